/**
 * Random writes into glibc's own state in libc — `main_arena`, `mp_`, `global_max_fast`, the
 * hooks, the thread's TLS `tcache` pointer — between random allocator calls, on every build.
 * Every write reaches the bytes the allocator reads on its next call; whatever that does, the
 * simulated process may only stop as a real one would: glibc's abort ({@link HeapAbort}), a
 * segmentation fault, a hang ({@link HeapLoopError}), or a call through an overwritten pointer
 * ({@link ControlFlowHijack}, or exit). `LIBC_FUZZ_SEEDS=n` runs n seeds per build.
 */

import assert from "node:assert/strict";
import { SegmentationFault } from "../../src/kernel/errors.ts";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort, HeapLoopError } from "../../src/malloc/errors.ts";
import { ControlFlowHijack, ProcessExit } from "../../src/malloc/hooks.ts";
import { GLIBC_VERSIONS, type GlibcArch, type GlibcVersion } from "../../src/malloc/profile.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

/** Integers in [0, n) from the simulation's own seeded generator (mulberry32). */
function rng(seed: number): (n: number) => number {
  const r = new SeededRandom(seed);
  return (n) => r.int(n);
}

function dies(e: unknown): boolean {
  return e instanceof HeapAbort || e instanceof SegmentationFault ||
    e instanceof HeapLoopError || e instanceof ControlFlowHijack || e instanceof ProcessExit;
}

/** Runs one program; returns how it ended ("survived" or the error's name). */
function run(glibc: GlibcVersion, arch: GlibcArch, seed: number): string {
  const r = rng(seed * 131 + glibc.length + arch.length);
  const proc = new Process({ layout: arch });
  const heap = new Allocator(proc, { glibc, explain: false, seed });
  const libc = heap.libc, sz = heap.profile.sizeSz, mem = proc.memory;
  const live: number[] = [];
  const freed: number[] = [];
  // the state's bytes: [start, length]
  const regions: [number, number][] = [
    [libc.mainArena, libc.build.facts.mallocStateSize],
    [libc.mp, libc.build.facts.mallocParSize],
    [libc.hooks.__malloc_hook, sz],
    [libc.hooks.__free_hook, sz],
    [libc.hooks.__realloc_hook, sz],
    [libc.hooks.__memalign_hook, sz],
  ];
  if (libc.globalMaxFast) regions.push([libc.globalMaxFast, libc.globalMaxFastSize]);
  const value = (): number => {
    switch (r(6)) {
      case 0:
        return 0;
      case 1:
        return r(0x100);
      case 2:
        return live.length ? live[r(live.length)] : libc.mainArena;
      case 3:
        return libc.mainArena + r(0x100) * sz;
      case 4:
        return libc.symbol(["system", "puts", "exit", "malloc"][r(4)])!;
      default:
        return r(2 ** 32);
    }
  };
  for (let step = 0; step < 150; step++) {
    try {
      const k = r(10);
      if (step >= 20 && k < 3) {
        const [start, length] = regions[r(regions.length)];
        if (r(2) === 0) {
          mem.write8(start + r(length), r(256));
        } else {
          const at = start + Math.floor(r(length) / sz) * sz;
          if (at + sz <= start + length) {
            if (sz === 8) mem.write64(at, value());
            else mem.write32(at, value() >>> 0);
          }
        }
        if (r(8) === 0) {
          const slot = libc.tcacheSlot(proc.mainThread);
          if (sz === 8) mem.write64(slot, value());
          else mem.write32(slot, value() >>> 0);
        }
      } else if (k < 6 || live.length === 0) {
        const n = r(4) === 0 ? r(0x30000) : r(0x600);
        const p = [() => heap.malloc(n), () => heap.calloc(1, n), () => heap.memalign(64, n)][
          r(3)
        ]();
        if (p !== 0) live.push(p);
      } else if (k < 9) {
        const p = live.splice(r(live.length), 1)[0];
        heap.free(p);
        freed.push(p);
      } else if (r(2) === 0) {
        const i = r(live.length);
        const p = heap.realloc(live[i], r(0x800));
        if (p !== 0) live[i] = p;
      } else {
        heap.mallocTrim(r(0x1000));
      }
    } catch (e) {
      if (dies(e)) return (e as Error).name;
      throw new Error(
        `glibc ${glibc} ${arch} seed ${seed} step ${step}: ${(e as Error).stack ?? e}`,
      );
    }
  }
  return "survived";
}

const SEEDS = Number(Deno.env.get("LIBC_FUZZ_SEEDS") ?? 12);

for (const arch of ["x86_64", "i386"] as const) {
  Deno.test(`random writes into libc's malloc state end only as a real process ends (${arch})`, () => {
    const endings = new Map<string, number>();
    for (const glibc of GLIBC_VERSIONS) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const how = run(glibc, arch, seed);
        endings.set(how, (endings.get(how) ?? 0) + 1);
      }
    }
    assert.ok(endings.size > 1, `every program ended the same way: ${[...endings.keys()]}`);
  });
}
