/**
 * Random programs for the snapshot and history tests: allocator calls, threads, raw system calls
 * and writes into chunks (with `corrupt`, over chunk headers too), as data, so that a suffix can
 * be run again; `observe` prints everything observable about the process.
 */

import { SegmentationFault } from "../../src/kernel/errors.ts";
import { forEachPage } from "../../src/kernel/page_map.ts";
import type { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort, HeapLoopError } from "../../src/malloc/errors.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

/** Integers in [0, n) from the simulation's own seeded generator (mulberry32). */
function random(seed: number): (n: number) => number {
  const r = new SeededRandom(seed);
  return (n) => r.int(n);
}

export type Op =
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
export interface Vars {
  ptrs: number[];
  maps: number[];
}

/** Runs one step; returns what it printed, or "stop" once the process died. */
export function step(libc: Allocator, vars: Vars, op: Op): string {
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
export function observe(libc: Allocator): string {
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
