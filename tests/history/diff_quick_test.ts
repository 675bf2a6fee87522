/**
 * The quick diff (a chunk index updated where two states can differ) gives exactly the full
 * walk's diff — same entries, same order — for what-ifs and for history steps: on heaps with
 * every kind of bin, consolidation into top, sbrk growth, mmapped chunks, thread arenas, aborts
 * mid-call and corrupted headers.
 */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { diff, fullDiff, type HeapDiff, quickDiff } from "../../src/history/diff.ts";
import { History } from "../../src/history/history.ts";
import type { Libc } from "../../src/history/libc.ts";
import { type HeapState, heapState } from "../../src/history/state.ts";
import type { WhatIfResult } from "../../src/history/what_if.ts";
import { type Op, randomProgram, step, type Vars } from "../kernel/random_program.ts";

const unlabelled = (d: HeapDiff) => ({ ...d, from: "", to: "" });

/** Asserts the what-if's diff is the full walk's; true when the quick diff did not give up. */
function sameAsFull(before: HeapState, w: WhatIfResult, what: string): boolean {
  const full = fullDiff(before, w.state);
  assert.deepEqual(unlabelled(w.diff), unlabelled(full), `${what}: what-if diff`);
  const quick = quickDiff(before, w.state);
  if (quick !== undefined) assert.deepEqual(quick, full, `${what}: quick diff`);
  return quick !== undefined;
}

/** Asks what-ifs of several kinds and of the program's next step; counts quick diffs. */
function askAround(libc: Allocator, vars: Vars, next: Op | undefined, what: string): number[] {
  const before = heapState(libc, "before");
  const ptr = vars.ptrs[(vars.ptrs.length * 7) >> 3];
  const asks: [string, () => WhatIfResult][] = [
    ["malloc(24)", () => libc.whatIf.malloc(24)],
    ["malloc(100)", () => libc.whatIf.malloc(100)],
    ["malloc(1500)", () => libc.whatIf.malloc(1500)],
    ["malloc(200000)", () => libc.whatIf.malloc(200000)],
    ["calloc(3, 40)", () => libc.whatIf.calloc(3, 40)],
  ];
  if (ptr !== undefined) {
    asks.push(["free", () => libc.whatIf.free(ptr)]);
    asks.push(["realloc", () => libc.whatIf.realloc(ptr, 3000)]);
    asks.push(["double free", () =>
      libc.whatIf.run("free twice", (l) => {
        l.free(ptr);
        l.free(ptr);
        return 0;
      })]);
  }
  if (next !== undefined) {
    asks.push([next.kind, () =>
      libc.whatIf.run(next.kind, (l: Libc) => {
        step(l as Allocator, { ptrs: [...vars.ptrs], maps: [...vars.maps] }, next);
        return 0;
      })]);
  }
  let quick = 0;
  for (const [name, ask] of asks) if (sameAsFull(before, ask(), `${what} ${name}`)) quick++;
  return [quick, asks.length];
}

Deno.test("a what-if's diff is the full walk's at every step of random programs", () => {
  let quick = 0, total = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const layout = seed === 5 ? "i386" : undefined;
    const libc = new Allocator(new Process(layout ? { layout } : {}), {
      glibc: seed % 2 ? "2.36" : "2.31",
    });
    const vars: Vars = { ptrs: [], maps: [] };
    const program = randomProgram(seed * 7919, 160, seed > 3);
    for (let i = 0; i < program.length; i++) {
      if (i % 4 === 0) {
        const [q, n] = askAround(libc, vars, program[i], `seed ${seed}, step ${i}`);
        quick += q;
        total += n;
      }
      if (step(libc, vars, program[i]).startsWith("stop")) break;
    }
  }
  // The comparison means something only if the quick path ran: it gives up on corrupted walks.
  assert.ok(quick > total * 0.9, `quick diffs: ${quick} of ${total}`);
});

Deno.test("what-ifs on a heap of thousands of chunks take the quick path and diff like the full walk", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  const sizes = [24, 40, 72, 130, 300, 600, 1100, 2000, 5000];
  const live: number[] = [];
  for (let i = 0; i < 4000; i++) live.push(libc.malloc(sizes[(i * 7) % sizes.length]));
  for (let i = 0; i < live.length; i += 3) libc.free(live[i]); // tcache, fastbins, unsorted
  libc.malloc(3000); // sorts the unsorted chunks into small and large bins
  const kept = live.filter((_, i) => i % 3 !== 0);
  const before = heapState(libc, "before");
  const asks: [string, () => WhatIfResult][] = [
    ["tcache hit", () => libc.whatIf.malloc(24)],
    ["smallbin", () => libc.whatIf.malloc(290)],
    ["largebin", () => libc.whatIf.malloc(4000)],
    ["consolidation", () => libc.whatIf.malloc(70000)],
    ["sbrk growth", () => libc.whatIf.malloc(120000)],
    ["mmapped", () => libc.whatIf.calloc(1, 400000)],
    ["free into top", () => libc.whatIf.free(kept[kept.length - 1])],
    ["free, merging", () => libc.whatIf.free(kept[1000])],
    ["realloc", () => libc.whatIf.realloc(kept[2000], 9000)],
    ["abort", () => libc.whatIf.free(live[3])],
    ["a thread's arena", () =>
      libc.whatIf.run("thread", (l) => {
        l.process.switchTo(l.process.pthreadCreate());
        return l.malloc(100);
      })],
    ["many calls", () =>
      libc.whatIf.run("calls", (l) => {
        for (let i = 0; i < 200; i++) l.free(kept[i * 4]);
        return l.malloc(50000);
      })],
  ];
  for (const [name, ask] of asks) {
    assert.ok(sameAsFull(before, ask(), name), `${name}: the quick diff gave up`);
  }
  // A corrupted size word: the walks of both states run off through it.
  libc.process.memory.write64(kept[1500] - 8, 0x31337);
  const corrupt = heapState(libc, "corrupt");
  sameAsFull(corrupt, libc.whatIf.malloc(24), "corrupted heap, malloc");
  sameAsFull(corrupt, libc.whatIf.free(kept[1499]), "corrupted heap, free");
});

Deno.test("history diffs between any two steps are the full walk's", () => {
  for (let seed = 1; seed <= 4; seed++) {
    const libc = new Allocator(new Process(), { glibc: "2.36" });
    const history = new History(libc, { calls: true, syscalls: false });
    const vars: Vars = { ptrs: [], maps: [] };
    for (const op of randomProgram(seed * 104729, 120, seed > 2)) {
      if (step(libc, vars, op).startsWith("stop")) break;
    }
    const n = history.length;
    for (let j = 1; j < n; j++) {
      const i = j % 3 === 0 ? (j * 37) % j : j - 1; // neighbours, and steps further back
      const a = history.at(i).state, b = history.at(j).state;
      assert.deepEqual(diff(a, b), fullDiff(a, b), `seed ${seed}: steps ${i} to ${j}`);
      assert.deepEqual(history.diff(j, i), fullDiff(a, b), `seed ${seed}: history.diff(${j})`);
    }
  }
});

Deno.test("writes that change chunks read from another page diff like the full walk", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  const mem = libc.process.memory;
  const big = Array.from({ length: 12 }, () => libc.malloc(5000)); // each spans a page boundary
  const small = Array.from({ length: 40 }, () => libc.malloc(40));
  const proc = libc.process;
  proc.switchTo(proc.pthreadCreate());
  const threadPtrs = Array.from({ length: 30 }, () => libc.malloc(3000));
  proc.switchTo(proc.mainThread);
  const before = heapState(libc, "before");
  const quickly = (name: string, fn: (l: Libc) => number) => {
    assert.ok(sameAsFull(before, libc.whatIf.run(name, fn), name), `${name}: gave up`);
  };
  // The next chunk's PREV_INUSE, on another page than big[5]'s header, says big[5] is free.
  const next = big[6] - 8;
  quickly("clear PREV_INUSE", (l) => (l.process.memory.write64(next, mem.read64(next) - 1), 0));
  // main_arena's top, on libc's page, pointed at a chunk in the middle of the heap.
  const top = libc.arenas()[0].top;
  let field = libc.mainArena;
  while (mem.read64(field) !== top) field += 8;
  quickly("top moved", (l) => (l.process.memory.write64(field, small[20] - 16), 0));
  // A thread heap's heap_info size cut below its chunks: the walk ends early.
  // A page of the heap made PROT_NONE: no byte changes, but its chunks are unreadable now.
  const page = Math.floor(big[8] / 4096) * 4096;
  quickly("mprotect", (l) => l.process.sys.mprotect(page, 4096, 0));
  const heap = libc.arenas()[1].heaps[0];
  quickly("heap_info cut", (l) => {
    l.process.memory.write64(heap.start + 16, threadPtrs[10] - heap.start);
    return 0;
  });
});
