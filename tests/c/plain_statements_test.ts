// Statements the interpreter runs plainly (without a generator each) when their steps fit before
// the next stop: a run must stop where a program stepped one statement at a time stops, at any
// step limit, with the same output, locals and call stack.
import assert from "node:assert/strict";
import { CProgram, type CRunResult, CStepLimitError } from "../../mod.ts";

const PROGRAM = `#include <stdio.h>
#include <stdlib.h>
int twice(int x) { return 2 * x; }
int main(void) {
  long sum = 0;
  char *p = malloc(32);
  for (int i = 0; i < 6; i++) {
    int k = i * 3;
    if (k % 2 == 0) { sum += k; } else if (k > 10) { sum -= 1; continue; } else sum += 1;
    { long t = sum; sum = t + i; }
    p[i] = (char)sum;
    if (i == 4) break;
  }
  int j = 0;
  while (j < 4) { j++; if (j == 2) printf("j %d\\n", j); }
  do { j += twice(j); } while (j < 40);
  switch (j % 3) { case 0: sum += 7; case 1: sum += 1; break; default: sum = 0; }
  if (sum > 0) goto out;
  sum = -1;
out:
  free(p);
  printf("%ld %d\\n", sum, j);
  return 0;
}
`;

/** What a stopped run shows. */
function seen(program: CProgram, result: CRunResult) {
  return {
    state: result.state,
    line: result.line,
    stopLine: result.error instanceof CStepLimitError ? result.error.line : undefined,
    stdout: result.stdout,
    locals: program.locals().map((l) => `${l.name}=${l.value}`),
    backtrace: result.backtrace,
  };
}

/** The program stepped statement by statement under a budget of `maxSteps`, to its end. */
function stepped(maxSteps: number) {
  const program = new CProgram(PROGRAM, { maxSteps, explain: false });
  let result = program.step();
  while (result.state === "paused") result = program.step();
  return seen(program, result);
}

Deno.test("a run stops at every step limit where a program stepped one statement at a time stops", () => {
  const full = new CProgram(PROGRAM, { explain: false }).run();
  assert.equal(full.state, "exited");
  assert.equal(full.stdout, "j 2\n38 108\n"); // as gcc -O0 prints it
  let limits = 0;
  for (let maxSteps = 1;; maxSteps++) {
    const program = new CProgram(PROGRAM, { maxSteps, explain: false });
    const run = seen(program, program.run());
    assert.deepEqual(run, stepped(maxSteps), `maxSteps ${maxSteps}`);
    if (run.state === "exited") break;
    assert.ok(run.stopLine !== undefined, `maxSteps ${maxSteps}: ${run.state}`);
    limits++;
  }
  assert.ok(limits > 60, `only ${limits} step limits before the end`);
});
