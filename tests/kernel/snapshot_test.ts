/**
 * Snapshots of a whole process: random programs (with corrupting writes, threads, raw system
 * calls) run to step k, snapshot, run on, restore, and run the same suffix again — the memory,
 * maps text, system calls and explain records must come out identical; a fork and its parent
 * never see each other's calls.
 */

import assert from "node:assert/strict";
import { forEachPage } from "../../src/kernel/page_map.ts";
import { Process } from "../../src/kernel/process.ts";
import type { ProcessSnapshot } from "../../src/kernel/snapshot.ts";
import type { Thread } from "../../src/kernel/threads.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { observe, type Op, randomProgram, step, type Vars } from "./random_program.ts";

/** Runs `ops` from `from`, stopping at the first death; the printed lines and records. */
function run(libc: Allocator, vars: Vars, ops: Op[], from = 0): string[] {
  const out: string[] = [];
  for (let i = from; i < ops.length; i++) {
    const line = step(libc, vars, ops[i]);
    out.push(`${line} ${JSON.stringify(libc.lastRecord)}`);
    if (line.startsWith("stop")) break;
  }
  return out;
}

const BUILDS: [string, "x86_64" | "i386"][] = [["2.36", "x86_64"], ["2.31", "i386"], [
  "2.41",
  "x86_64",
], ["2.23", "x86_64"]];

for (const [glibc, arch] of BUILDS) {
  Deno.test(`restoring a snapshot and re-running the suffix gives identical state (${glibc} ${arch})`, () => {
    for (let seed = 1; seed <= 12; seed++) {
      const ops = randomProgram(seed * 7919, 160, seed % 2 === 0);
      const k = 20 + ((seed * 37) % 100);
      const libc = new Allocator(new Process({ layout: arch }), { glibc });
      const vars: Vars = { ptrs: [], maps: [] };
      const prefix = run(libc, vars, ops.slice(0, k));
      if (prefix.at(-1)?.startsWith("stop")) continue;
      const snap = libc.process.snapshot();
      const saved = structuredClone(vars);
      const first = run(libc, vars, ops, k);
      const end = observe(libc);
      libc.process.restore(snap);
      const again = run(libc, structuredClone(saved), ops, k);
      assert.deepEqual(again, first, `seed ${seed}: suffix output`);
      assert.equal(observe(libc), end, `seed ${seed}: final state`);
    }
  });
}

Deno.test("a fork and its parent never see each other's calls", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const ops = randomProgram(seed * 104729, 120, seed % 2 === 1);
    const libc = new Allocator(new Process(), { glibc: "2.36" });
    const vars: Vars = { ptrs: [], maps: [] };
    if (run(libc, vars, ops.slice(0, 40)).at(-1)?.startsWith("stop")) continue;
    // A reference copy that runs alone, from the same state.
    const reference = libc.fork();
    const child = libc.fork();
    const childVars = structuredClone(vars);
    const refVars = structuredClone(vars);
    // Parent and child interleave different programs; the reference runs the parent's alone.
    const other = randomProgram(seed, 80, true);
    const parentOut: string[] = [], childOut: string[] = [];
    for (let i = 40; i < 120; i++) {
      if (!parentOut.at(-1)?.startsWith("stop")) parentOut.push(step(libc, vars, ops[i]));
      if (!childOut.at(-1)?.startsWith("stop")) {
        childOut.push(step(child, childVars, other[i - 40]));
      }
    }
    const refOut = run(reference, refVars, ops, 40).map((l) => l.slice(0, l.indexOf(" {") >>> 0));
    assert.deepEqual(
      parentOut.map((l) => l.slice(0, l.indexOf(" {") >>> 0)),
      refOut,
      `seed ${seed}`,
    );
    assert.equal(observe(libc), observe(reference), `seed ${seed}: parent as if alone`);
  }
});

Deno.test("restore goes forward as well as back", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  const a = libc.malloc(100);
  const s1 = libc.process.snapshot();
  libc.free(a);
  libc.malloc(5000);
  const s2 = libc.process.snapshot();
  const at2 = observe(libc);
  libc.process.restore(s1);
  libc.malloc(40);
  libc.process.restore(s2);
  assert.equal(observe(libc), at2);
  libc.process.restore(s1);
  libc.free(a);
  libc.malloc(5000);
  assert.equal(observe(libc), at2);
});

Deno.test("a snapshot shares untouched pages: resident pages are not copied", () => {
  const proc = new Process();
  const libc = new Allocator(proc);
  const ptrs = Array.from({ length: 2000 }, () => libc.malloc(1000));
  const snap = proc.snapshot();
  const before = proc.memory.residentPages;
  libc.free(ptrs[1000]);
  // One chunk's page, the tcache page and main_arena's page at most.
  let copied = 0;
  forEachPage(proc.memory.snapshotPages(), (no, page) => {
    if (page !== pageOf(snap, no)) copied++;
  });
  assert.ok(copied <= 3, `${copied} pages copied`);
  assert.equal(proc.memory.residentPages, before);
});

function pageOf(snap: ReturnType<Process["snapshot"]>, no: number): Uint32Array | undefined {
  let found: Uint32Array | undefined;
  forEachPage(snap.space.pages ?? undefined, (n, p) => {
    if (n === no) found = p;
  });
  return found;
}

Deno.test("snapshots keep each of 200 threads and its malloc variables as they were then", () => {
  // More threads than a chunk of the snapshots' thread lists holds (64), created, run and joined
  // one at a time, a snapshot after each: restoring any of them, in any order, gives back every
  // thread as it was, and so does reading the snapshot's own list.
  const proc = new Process();
  const libc = new Allocator(proc);
  const m = libc.context;
  const now = () =>
    JSON.stringify(proc.threads.map((t) => [
      t.index,
      t.state,
      t.errno,
      t.sp,
      t.stack?.base,
      m.hasTls(t) ? [m.tls(t).arena, m.tls(t).shuttingDown] : null,
    ]));
  const listed = (snap: ProcessSnapshot) =>
    JSON.stringify(
      snap.threads.map((s) => [s.thread.index, s.state, s.errno, s.sp, s.stack?.base]),
    );
  const running: Thread[] = [];
  const taken: { snap: ProcessSnapshot; threads: string; list: string }[] = [];
  for (let i = 0; i < 200; i++) {
    const t = proc.runOn(proc.mainThread, () => proc.pthreadCreate());
    proc.switchTo(t);
    libc.free(libc.malloc(24 + 16 * (i % 7)));
    proc.switchTo(proc.mainThread);
    running.push(t);
    if (i % 3 === 2) proc.pthreadJoin(running.splice((i * 7) % running.length, 1)[0]);
    const snap = proc.snapshot();
    taken.push({ snap, threads: now(), list: listed(snap) });
  }
  for (const k of [199, 0, 150, 63, 64, 65, 128, 7, 199]) {
    proc.restore(taken[k].snap);
    assert.equal(now(), taken[k].threads, `restored snapshot ${k}`);
    assert.equal(listed(taken[k].snap), taken[k].list, `snapshot ${k}'s threads`);
    assert.equal(taken[k].snap.threads.length, k + 2);
  }
});

Deno.test("a copy of a snapshot restores as it does; anything else is a typed error", () => {
  const proc = new Process();
  const libc = new Allocator(proc);
  proc.runOn(proc.mainThread, () => proc.pthreadCreate());
  const p = libc.malloc(24);
  const snap = proc.snapshot();
  const at = observe(libc);
  libc.free(p);
  proc.restore({ ...snap }); // a spread keeps the fields, not the threads getter
  assert.equal(observe(libc), at);
  assert.equal(proc.threads.length, 2);
  for (const bad of [null, {}, { ...snap, threadList: undefined, threads: 3 }]) {
    assert.throws(
      () => proc.restore(bad as unknown as ProcessSnapshot),
      (e: Error & { argument?: string }) =>
        e.name === "ArgumentTypeError" && e.argument === "snapshot",
    );
  }
  assert.equal(observe(libc), at, "a refused restore changes nothing");
});
