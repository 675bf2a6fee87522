/**
 * Snapshots of a whole process: random programs (with corrupting writes, threads, raw system
 * calls) run to step k, snapshot, run on, restore, and run the same suffix again — the memory,
 * maps text, system calls and explain records must come out identical; a fork and its parent
 * never see each other's calls.
 */

import assert from "node:assert/strict";
import { SegmentationFault } from "../../src/kernel/errors.ts";
import { forEachPage } from "../../src/kernel/page_map.ts";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort, HeapLoopError } from "../../src/malloc/errors.ts";

/** mulberry32. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

type Op =
  | { kind: "malloc" | "calloc"; size: number }
  | { kind: "free"; pick: number }
  | { kind: "realloc"; pick: number; size: number }
  | { kind: "write"; pick: number; offset: number; value: number }
  | { kind: "thread" | "join" | "switch"; pick: number }
  | { kind: "mmap"; pages: number }
  | { kind: "munmap"; pick: number }
  | { kind: "trim" };

const SIZES = [8, 24, 40, 100, 200, 500, 1000, 1100, 3000, 70000, 140000, 300000];

/** A random program: mostly allocator calls, some header-corrupting writes and threads. */
export function randomProgram(seed: number, length: number, corrupt: boolean): Op[] {
  const r = random(seed);
  const ops: Op[] = [];
  for (let i = 0; i < length; i++) {
    const k = r(100);
    const size = SIZES[r(SIZES.length)] + r(16);
    if (k < 35) ops.push({ kind: "malloc", size });
    else if (k < 40) ops.push({ kind: "calloc", size });
    else if (k < 65) ops.push({ kind: "free", pick: r(1000) });
    else if (k < 72) ops.push({ kind: "realloc", pick: r(1000), size });
    else if (k < 80) {
      ops.push({ kind: "write", pick: r(1000), offset: 8 * r(6), value: r(2 ** 31) });
    } else if (k < 83) ops.push({ kind: "thread", pick: 0 });
    else if (k < 88) ops.push({ kind: "switch", pick: r(1000) });
    else if (k < 90) ops.push({ kind: "join", pick: r(1000) });
    else if (k < 93) ops.push({ kind: "mmap", pages: 1 + r(40) });
    else if (k < 95) ops.push({ kind: "munmap", pick: r(1000) });
    else if (k < 97) ops.push({ kind: "trim" });
    else if (corrupt) {
      // A write over a chunk header: the size word or a free-list link.
      ops.push({ kind: "write", pick: r(1000), offset: -8 + 8 * r(3), value: r(2 ** 16) });
    } else ops.push({ kind: "malloc", size: 16 });
  }
  return ops;
}

/** The program's own variables: live pointers and mappings (it copies them with a snapshot). */
interface Vars {
  ptrs: number[];
  maps: number[];
}

/** Runs one step; returns what it printed, or "stop" once the process died. */
function step(libc: Allocator, vars: Vars, op: Op): string {
  const proc = libc.process;
  const pick = <T>(list: T[], n: number) => list.length ? list[n % list.length] : undefined;
  try {
    switch (op.kind) {
      case "malloc":
      case "calloc": {
        const p = op.kind === "malloc" ? libc.malloc(op.size) : libc.calloc(1, op.size);
        if (p) vars.ptrs.push(p);
        return `${op.kind} ${p.toString(16)}`;
      }
      case "free": {
        const p = pick(vars.ptrs, op.pick);
        if (p === undefined) return "-";
        vars.ptrs = vars.ptrs.filter((x) => x !== p);
        libc.free(p);
        return `free ${p.toString(16)}`;
      }
      case "realloc": {
        const p = pick(vars.ptrs, op.pick);
        if (p === undefined) return "-";
        const q = libc.realloc(p, op.size);
        if (q) vars.ptrs = vars.ptrs.map((x) => x === p ? q : x);
        return `realloc ${q.toString(16)}`;
      }
      case "write": {
        const p = pick(vars.ptrs, op.pick);
        if (p === undefined) return "-";
        proc.memory.write32(p + op.offset, op.value);
        return "write";
      }
      case "thread":
        if (proc.threads.filter((t) => t.state === "running").length > 4) return "-";
        return `thread ${proc.pthreadCreate().tid}`;
      case "switch": {
        const t = pick(proc.threads.filter((t) => t.state === "running"), op.pick)!;
        proc.switchTo(t);
        return `switch ${t.tid}`;
      }
      case "join": {
        const t = pick(proc.threads.filter((t) => t.state === "running" && t.index > 0), op.pick);
        if (!t) return "-";
        proc.switchTo(proc.mainThread);
        proc.pthreadJoin(t);
        return `join ${t.tid}`;
      }
      case "mmap": {
        const a = proc.sys.mmap(0, op.pages * 4096, 3, 0x22);
        vars.maps.push(a);
        proc.memory.write64(a + 8, a);
        return `mmap ${a.toString(16)}`;
      }
      case "munmap": {
        const a = pick(vars.maps, op.pick);
        if (a === undefined) return "-";
        vars.maps = vars.maps.filter((x) => x !== a);
        return `munmap ${proc.sys.munmap(a, 4096)}`;
      }
      case "trim":
        return `trim ${libc.mallocTrim(0)}`;
    }
  } catch (e) {
    if (e instanceof HeapAbort || e instanceof SegmentationFault || e instanceof HeapLoopError) {
      return `stop ${e.message}`;
    }
    throw e;
  }
}

/** Everything observable about the process: pages, maps, syscalls, threads, explain. */
function observe(libc: Allocator): string {
  const proc = libc.process;
  const pages: string[] = [];
  forEachPage(proc.memory.snapshotPages(), (no, page) => {
    let h = 0;
    for (let i = 0; i < page.length; i++) h = (Math.imul(h, 31) + page[i]) | 0;
    pages.push(`${no.toString(16)}:${h}`);
  });
  return [
    proc.maps(),
    pages.join(" "),
    proc.syscalls.all().map((s) => `${s.tid} ${s.name} ${s.args} ${s.result}`).join("\n"),
    proc.threads.map((t) => `${t.tid} ${t.state} ${t.errno}`).join(","),
    proc.currentThread.tid,
    JSON.stringify(libc.lastRecord),
    JSON.stringify(libc.arenas()),
  ].join("\n--\n");
}

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
      const libc = new Allocator(new Process({ profile: arch }), { glibc });
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
  forEachPage(snap.space.pages, (n, p) => {
    if (n === no) found = p;
  });
  return found;
}
