/**
 * `deno bench -A bench/c_bench.ts`: the C interpreter's speed — a C loop of 1M `malloc`/`free`
 * pairs against replaying the equivalent 2M-line trace (`malloc 1 16` / `free 1`), both on
 * glibc 2.36 x86_64. C statements per second = 3M statements (the loop test, the malloc line
 * and the free line per iteration) over the C run's time.
 *
 * @module
 */

import { runC } from "../src/c/mod.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";

const PAIRS = Number(Deno.env.get("C_BENCH_PAIRS") ?? 1_000_000);

const C_LOOP = `#include <stdlib.h>
int main(void) {
  for (int i = 0; i < ${PAIRS}; i++) {
    void *p = malloc(16);
    free(p);
  }
  return 0;
}
`;

const TRACE = "malloc 1 16\nfree 1\n".repeat(PAIRS);

Deno.bench({
  name: `C loop of ${PAIRS / 1e6}M malloc/free pairs (interpreter)`,
  group: "c-vs-replay",
  baseline: true,
  n: 1,
  warmup: 0,
  fn() {
    const r = runC(C_LOOP, { maxSteps: 10 * PAIRS, explain: false });
    if (r.state !== "exited") throw new Error(`C run ended ${r.state}: ${r.error?.message}`);
  },
});

Deno.bench({
  name: `replay of the equivalent ${(2 * PAIRS) / 1e6}M-line trace`,
  group: "c-vs-replay",
  n: 1,
  warmup: 0,
  fn() {
    const result = replayTrace(TRACE, { allocator: defaultAllocatorFactory });
    if (result.status !== 0) throw new Error(`replay stopped: ${result.error?.message}`);
  },
});
