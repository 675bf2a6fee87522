/**
 * `deno bench -A`: replay throughput on 20k-line traces of the three generated shapes (small,
 * mixed, threads; `bench/scale_trace.py`, made once into `out/bench/` with python3), and the
 * allocator's tcache fast path. The 1M-line figures next to real glibc come from
 * `deno task bench` (tools/bench.ts). Runs in well under a minute.
 *
 * @module
 */

import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";
import { Process } from "../src/kernel/process.ts";
import { Allocator } from "../src/malloc/allocator.ts";
import { ensureTrace } from "../tools/bench.ts";

const OPS = 20_000;

for (const shape of ["small", "mixed", "threads"]) {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(await ensureTrace(shape, OPS));
  } catch (error) {
    console.log(`Skipping the ${shape} replay bench: ${(error as Error).message}`);
  }
  Deno.bench({
    name: `replay ${shape} trace (${OPS / 1000}k lines, glibc 2.36 x86_64)`,
    group: "replay",
    ignore: text === undefined,
    n: 4,
    warmup: 1,
    fn() {
      const result = replayTrace(text!, { allocator: defaultAllocatorFactory });
      if (result.status !== 0) throw new Error(`replay stopped: ${result.error?.message}`);
    },
  });
}

Deno.bench({
  name: "malloc(24) + free, 10k pairs (tcache fast path)",
  group: "allocator",
  fn(b) {
    const process = new Process({ layout: "x86_64" });
    const heap = new Allocator(process, { explain: false });
    b.start();
    for (let i = 0; i < 10_000; i++) heap.free(heap.malloc(24));
    b.end();
  },
});

Deno.bench({
  name: "malloc(32) × 10k live chunks (top chunk split)",
  group: "allocator",
  fn(b) {
    const process = new Process({ layout: "x86_64" });
    const heap = new Allocator(process, { explain: false });
    b.start();
    for (let i = 0; i < 10_000; i++) heap.malloc(32);
    b.end();
  },
});
