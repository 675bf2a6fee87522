/**
 * Run by records_budget_test.ts with a small V8 heap (`--max-old-space-size`): a C loop of more
 * malloc/free calls than that heap holds explain records for; prints what came of it as JSON.
 */

import { runC } from "../../src/c/program.ts";

const iterations = Number(Deno.args[0]);
const r = runC(
  `#include <stdio.h>
#include <stdlib.h>
int main(void) {
  long n = 0;
  for (long i = 0; i < ${iterations}; i++) {
    char *p = malloc(24 + (i % 7) * 16);
    free(p);
    n++;
  }
  printf("%ld\\n", n);
  return 0;
}`,
  { maxSteps: 100 * iterations },
);
console.log(JSON.stringify({
  state: r.state,
  stdout: r.stdout,
  records: r.records.length,
  recordsFull: r.recordsFull,
}));
