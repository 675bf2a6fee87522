/**
 * Run by memory_budget_test.ts with a small V8 heap (`--max-old-space-size`): a C loop that
 * mallocs 1 MiB chunks (each an mmap with a page touched) until malloc fails, which the heap
 * cannot hold; prints what came of it as JSON.
 */

import { runC } from "../../src/c/program.ts";

const r = runC(
  `#include <stdio.h>
#include <stdlib.h>
int main(void) {
  long n = 0;
  for (;;) {
    void *p = malloc(0x100000);
    if (!p) break;
    n++;
  }
  printf("%ld\\n", n);
  return 0;
}`,
  { explain: false, maxSteps: 100_000_000 },
);
console.log(JSON.stringify({
  state: r.state,
  error: r.error?.constructor.name,
  message: r.error?.message,
}));
