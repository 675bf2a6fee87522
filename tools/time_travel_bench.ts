/**
 * `deno run -A tools/time_travel_bench.ts [--ops N] [--record-ops N]`: what time travel costs on
 * the generated traces (`bench/scale_trace.py`, made into `out/bench/` once), as a markdown table
 * for the README. For each shape (small, mixed, threads):
 *
 * - a replay of N lines (default 1M) taking a snapshot every N/100 lines: the snapshots' memory
 *   (pages copied by the first write after a snapshot, page-map nodes) per snapshot; then, after
 *   the last line, the time of one more snapshot, of a restore to the snapshot N/100 lines back
 *   and of a restore forward again;
 * - a recorded replay of the first M lines (default 100k; a history step per line, explain
 *   records off) against a plain replay of the same lines: CPU seconds, their ratio, and the
 *   history's memory per step (the memory's journal).
 *
 * CPU seconds are the process's user + system time (the machines are shared).
 *
 * @module
 */

import { Allocator } from "../src/malloc/allocator.ts";
import type { ProcessSnapshot } from "../src/kernel/snapshot.ts";
import type { Process } from "../src/kernel/process.ts";
import { recordReplay } from "../src/history/replay_record.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { ensureTrace } from "./bench.ts";

function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ms(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const OPS = arg("--ops", 1_000_000);
const RECORD_OPS = arg("--record-ops", 100_000);
const plainAllocator = (p: Process, o: { glibc: string; nprocs: number }) =>
  new Allocator(p, { ...o, explain: false });

const rows: string[] = [];
for (const shape of ["small", "mixed", "threads"]) {
  const text = await Deno.readTextFile(await ensureTrace(shape, OPS));
  const every = Math.max(1, Math.floor(OPS / 100));
  const snaps: ProcessSnapshot[] = [];
  let proc: Process | undefined;
  const result = replayTrace(text, {
    allocator: (p, o) => (proc = p, plainAllocator(p, o)),
    onEvent: (e) => {
      if (e.line % every === 0) snaps.push(proc!.snapshot());
    },
  });
  const process = result.process;
  const cost = process.memory.snapshotCost;
  const perSnapshot = cost.bytes / snaps.length;
  let end!: ProcessSnapshot;
  const snapMs = ms(() => end = process.snapshot());
  const againMs = ms(() => process.snapshot());
  const back = snaps[snaps.length - 2];
  const backMs = ms(() => process.restore(back));
  const forwardMs = ms(() => process.restore(end));
  const resident = process.memory.residentPages;

  const head = text.split("\n").slice(0, RECORD_OPS).join("\n");
  let c = cpuSeconds();
  replayTrace(head, { allocator: plainAllocator });
  const plain = cpuSeconds() - c;
  c = cpuSeconds();
  const recorded = recordReplay(head, { explain: false });
  const rec = cpuSeconds() - c;
  const journalPerStep = recorded.result.process.memory.journalBytes / recorded.history.length;
  rows.push(
    `| ${shape} | ${OPS} | ${resident} | ${snaps.length} | ${(perSnapshot / 1024).toFixed(1)} | ` +
      `${snapMs.toFixed(2)} | ${againMs.toFixed(3)} | ${backMs.toFixed(2)} | ${
        forwardMs.toFixed(2)
      } | ${RECORD_OPS} | ${plain.toFixed(2)} | ${rec.toFixed(2)} | ${
        (rec / plain).toFixed(2)
      }× | ${journalPerStep.toFixed(0)} |`,
  );
  console.error(rows[rows.length - 1]);
}
console.log(
  "| trace | lines | resident pages | snapshots | KiB per snapshot | snapshot ms | again ms | " +
    "restore back ms | restore forward ms | recorded lines | plain CPU s | recorded CPU s | " +
    "recorded / plain | journal bytes per step |",
);
console.log(
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of rows) console.log(r);
