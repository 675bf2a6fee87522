/**
 * Views never throw on a heap a user can make: seeded random programs on 64- and 32-bit builds
 * mix heap calls with corrupting writes (size words of 0, -1, -16, values of 2^63 and more,
 * tiny i386 pointers, links into unmapped or PROT_NONE pages, a top size of -1) and with
 * mprotect of heap pages to PROT_NONE, and after every step every view is rendered: heap, bins,
 * explain, step, charts, maps, address-space chart. Each must give a bundle with `text/plain`;
 * an address it cannot read is marked, never a JavaScript error.
 * `VIEW_FUZZ_SEEDS=n` runs n seeds per build.
 */
import assert from "node:assert/strict";
import {
  addressSpaceChart,
  Allocator,
  binsTable,
  explainView,
  HeapAbort,
  heapLog,
  HeapLoopError,
  heapView,
  JUPYTER_DISPLAY,
  mapsTable,
  Process,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
  stepView,
  syscallTable,
} from "../../mod.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

/** Integers in [0, n) from the simulation's own seeded generator (mulberry32). */
function random(seed: number): (n: number) => number {
  const r = new SeededRandom(seed);
  return (n) => r.int(n);
}

function isProcessDeath(e: unknown): boolean {
  return e instanceof HeapAbort || e instanceof SegmentationFault || e instanceof HeapLoopError;
}

/** Renders every view of the process; returns how many bundles were made. */
async function renderAll(libc: Allocator, log: ReturnType<typeof heapLog>): Promise<number> {
  const proc = libc.process;
  const bundles: { "text/plain"?: string }[] = [
    heapView(libc)[JUPYTER_DISPLAY](),
    heapView(libc, { arena: "all", bytes: 32 })[JUPYTER_DISPLAY](),
    binsTable(libc)[JUPYTER_DISPLAY](),
    explainView(libc)[JUPYTER_DISPLAY](),
    stepView(libc)[JUPYTER_DISPLAY](),
    mapsTable(proc)[JUPYTER_DISPLAY](),
    syscallTable(proc)[JUPYTER_DISPLAY](),
    log[JUPYTER_DISPLAY](),
  ];
  for (const chart of [log.growthChart(), log.usageChart(), log.arenaChart()]) {
    chart.spec; // the spec is built without throwing
  }
  addressSpaceChart(proc);
  for (const b of bundles) {
    assert.equal(typeof b["text/plain"], "string", "every bundle has text/plain");
  }
  await Promise.resolve();
  return bundles.length;
}

async function fuzzViews(glibc: string, arch: "i386" | "x86_64", seed: number): Promise<void> {
  const rnd = random(seed * 31 + arch.length);
  const proc = new Process({ layout: arch });
  const libc = new Allocator(proc, { glibc, seed });
  const sz = libc.profile.sizeSz;
  const log = heapLog(libc);
  const live: number[] = [];
  const weird = sz === 8
    ? [0, -1, -16, 2 ** 63, -(2 ** 62), 2 ** 53 + 8, 0x10, 0x21, 0x7ffffffff000, 1]
    : [0, 0xffffffff, 0xfffffff0, 0x80000000, 0x10, 0x21, 0x4, 0xb7000000, 1];
  const steps: string[] = [];
  for (let step = 0; step < 60; step++) {
    const what = rnd(10);
    let action = "";
    try {
      if (what < 4 || live.length === 0) {
        const n = [8, 24, 100, 1000, 5000, 200000][rnd(6)];
        action = `malloc(${n})`;
        live.push(libc.malloc(n));
      } else if (what < 6) {
        const p = live.splice(rnd(live.length), 1)[0];
        action = `free(${p.toString(16)})`;
        libc.free(p);
      } else if (what < 9) {
        // Corrupt a word at or around a chunk header (size, fd, bk), or the top size.
        const p = live[rnd(live.length)];
        const where = [p - sz, p, p + sz, p - 2 * sz][rnd(4)];
        const value = weird[rnd(weird.length)];
        action = `write ${where.toString(16)} = ${value}`;
        if (sz === 8) proc.memory.write64(where, value);
        else proc.memory.write32(where, value >>> 0);
      } else {
        // Make a heap page unreadable: chunk headers there cannot be read.
        const p = live[rnd(live.length)];
        const page = Math.floor(p / 4096) * 4096;
        action = `mprotect ${page.toString(16)} PROT_NONE`;
        proc.sys.mprotect(page, 4096, rnd(2) ? PROT_NONE : PROT_READ | PROT_WRITE);
      }
      log.record(action);
    } catch (e) {
      if (!isProcessDeath(e)) throw e;
      steps.push(`${action} -> ${(e as Error).name}`);
      // The process died; its heap must still render.
      await renderAll(libc, log);
      return;
    }
    steps.push(action);
    try {
      await renderAll(libc, log);
    } catch (e) {
      throw new Error(
        `views threw on glibc ${glibc} ${arch} seed ${seed} after:\n  ${steps.join("\n  ")}\n${
          (e as Error).stack
        }`,
      );
    }
  }
}

const SEEDS = Number(Deno.env.get("VIEW_FUZZ_SEEDS") ?? 6);
for (
  const [glibc, arch] of [["2.36", "x86_64"], ["2.31", "i386"], ["2.41", "x86_64"], [
    "2.23",
    "i386",
  ]] as const
) {
  Deno.test(`every view renders after every step of corrupting programs on ${glibc} ${arch}`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) await fuzzViews(glibc, arch, seed);
  });
}
