/**
 * `deno bench -A bench/time_travel_bench.ts`: what time travel costs, on the generated small
 * trace (`bench/scale_trace.py`, made once into `out/bench/`): a snapshot and a restore after
 * 100k lines, a what-if and its diff there (the quick diff against a walk of every chunk), and a
 * recorded replay (a history step per line) against a plain one on 20k lines.
 * The 1M-line figures in the README come from `tools/time_travel_bench.ts`.
 *
 * @module
 */

import { fullDiff } from "../src/history/diff.ts";
import { recordReplay } from "../src/history/replay_record.ts";
import { heapState } from "../src/history/state.ts";
import type { ProcessSnapshot } from "../src/kernel/snapshot.ts";
import { Allocator } from "../src/malloc/allocator.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { ensureTrace } from "../tools/bench.ts";

const plain = (p: Parameters<typeof replayTrace>[1] = {}) =>
  ({ ...p, allocator: (proc, o) => new Allocator(proc, { ...o, explain: false }) }) as Parameters<
    typeof replayTrace
  >[1];

let long: string | undefined, short: string | undefined;
try {
  long = await Deno.readTextFile(await ensureTrace("small", 100_000));
  short = long.split("\n").slice(0, 20_000).join("\n");
} catch (error) {
  console.log(`Skipping the time-travel benches: ${(error as Error).message}`);
}

// One process after 100k lines, with a snapshot 1000 lines before its end.
let process: ReturnType<typeof replayTrace>["process"] | undefined;
let earlier: ProcessSnapshot | undefined;
let libc: Allocator | undefined;
if (long) {
  process = replayTrace(long, {
    allocator: (proc, o) => libc = new Allocator(proc, { ...o, explain: false }),
    onEvent: (e) => {
      if (e.line === 99_000) earlier = libc!.process.snapshot();
    },
  }).process;
}

Deno.bench({
  name: "snapshot after 100k lines (small trace)",
  group: "snapshot",
  ignore: process === undefined,
  fn() {
    process!.snapshot();
  },
});

Deno.bench({
  name: "restore 1000 lines back and forward again (small trace, 100k lines)",
  group: "snapshot",
  ignore: process === undefined || earlier === undefined,
  fn() {
    const now = process!.snapshot();
    process!.restore(earlier!);
    process!.restore(now);
  },
});

Deno.bench({
  name: "whatIf.malloc(200) after 100k lines: the call and its quick diff",
  group: "what-if",
  baseline: true,
  ignore: libc === undefined,
  fn() {
    libc!.whatIf.malloc(200);
  },
});

Deno.bench({
  name: "the same what-if's diff, walking every chunk of both states (fullDiff)",
  group: "what-if",
  ignore: libc === undefined,
  fn(b) {
    const before = heapState(libc!, "before");
    const after = libc!.whatIf.malloc(200).state;
    b.start();
    fullDiff(before, after);
    b.end();
  },
});

Deno.bench({
  name: "plain replay, 20k lines (small trace)",
  group: "record",
  baseline: true,
  ignore: short === undefined,
  n: 4,
  fn() {
    replayTrace(short!, plain());
  },
});

Deno.bench({
  name: "recorded replay, 20k lines (a history step per line)",
  group: "record",
  ignore: short === undefined,
  n: 4,
  fn() {
    recordReplay(short!, { explain: false });
  },
});
