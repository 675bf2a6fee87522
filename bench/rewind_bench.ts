/**
 * `deno bench -A bench/rewind_bench.ts`: what time travel by re-execution costs
 * (`src/c/rewind.ts`) on a program of 1M statements: a loop, then a pause at input. Against the
 * program's own `run()` to the pause: `at()` back to the middle of the loop and `copy()` at the
 * pause (a re-run as fast as `run()`), `back()` one line (a re-run that steps through the last
 * few thousand statements, then one that runs), and `seek()` of a line that came only at the
 * start (the worst case: every statement stepped). `REWIND_BENCH_STATEMENTS` sets the size.
 *
 * @module
 */

import { CProgram } from "../src/c/mod.ts";

const STATEMENTS = Number(Deno.env.get("REWIND_BENCH_STATEMENTS") ?? 1_000_000);

// each iteration: the loop's test and the body's statement (the test's last, failing, one too)
const LOOP = `#include <stdio.h>
int main(void) {
  long sum = 0;
  for (long i = 0; i < ${Math.floor((STATEMENTS - 4) / 2)}; i++)
    sum += i;
  int c = getchar();
  printf("%ld %c\\n", sum, c);
  return 0;
}
`;

const OPTIONS = { maxSteps: 10 * STATEMENTS, explain: false };

/** The program at its pause, after the loop. */
function paused(): CProgram {
  const prog = new CProgram(LOOP, OPTIONS);
  const r = prog.run();
  if (r.state !== "paused") throw new Error(`the loop ended ${r.state}: ${r.error?.message}`);
  return prog;
}

const atPause = paused();
console.log(`position at the pause: ${atPause.position}`);

Deno.bench({
  name: `run() of ${STATEMENTS / 1e6}M statements to the pause (a fresh program)`,
  group: "rewind",
  baseline: true,
  n: 3,
  warmup: 1,
  fn() {
    paused();
  },
});

Deno.bench({
  name: "at(): back to the middle of the loop",
  group: "rewind",
  n: 3,
  warmup: 1,
  fn() {
    atPause.at(Math.floor(atPause.position / 2));
  },
});

Deno.bench({
  name: "copy(): a branch at the pause",
  group: "rewind",
  n: 3,
  warmup: 1,
  fn() {
    atPause.copy();
  },
});

Deno.bench({
  name: "back(): one line back (a stepping re-run, then a run)",
  group: "rewind",
  n: 1,
  warmup: 0,
  fn() {
    atPause.back();
  },
});

Deno.bench({
  name: "seek(): the line before the loop (every statement stepped)",
  group: "rewind",
  n: 1,
  warmup: 0,
  fn() {
    atPause.seek("long sum");
  },
});
