/**
 * Statistics (glibc `int_mallinfo`, `__libc_mallinfo2`, `__libc_mallinfo`, `__malloc_stats`):
 * what each arena got from the system, what is free in it (top, fastbins, bins), and the
 * mmapped chunks — as the structs and the stderr text glibc produces.
 *
 * Invariant: `uordblks + fordblks == arena` (summed over arenas).
 *
 * @module
 */

import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { ptmallocInit } from "./libc_malloc.ts";
import { NBINS } from "./profile.ts";

/** glibc `struct mallinfo2` (size_t fields). */
export interface Mallinfo {
  /** Non-mmapped space from the system (sum of system_mem). */
  arena: number;
  /** Number of free chunks (bins and top). */
  ordblks: number;
  /** Number of free fastbin chunks. */
  smblks: number;
  /** Number of mmapped chunks. */
  hblks: number;
  /** Bytes in mmapped chunks. */
  hblkhd: number;
  /** Always 0. */
  usmblks: number;
  /** Bytes in free fastbin chunks. */
  fsmblks: number;
  /** Bytes in use. */
  uordblks: number;
  /** Bytes free. */
  fordblks: number;
  /** Size of the main arena's top chunk (trimmable). */
  keepcost: number;
}

function empty(): Mallinfo {
  return {
    arena: 0,
    ordblks: 0,
    smblks: 0,
    hblks: 0,
    hblkhd: 0,
    usmblks: 0,
    fsmblks: 0,
    uordblks: 0,
    fordblks: 0,
    keepcost: 0,
  };
}

/** glibc `int_mallinfo (arena, m)`: adds one arena's numbers. */
function intMallinfo(m: MallocContext, arena: number, info: Mallinfo): void {
  const c = m.chunks, a = m.arenas, p = m.profile;
  let avail = c.size(a.top(arena));
  let nblocks = 1;
  let nfastblocks = 0, fastavail = 0;
  for (let i = 0; i < p.nFastbins; i++) {
    let steps = 0;
    for (let q = a.fastbin(arena, i); q !== 0; q = c.reveal(q + 2 * c.sizeSz)) {
      if (p.alignmentChecks && c.misaligned(q)) {
        m.abort("int_mallinfo(): unaligned fastbin chunk detected", q);
      }
      if (++steps > LOOP_LIMIT) {
        throw new HeapLoopError(m.bins.fastbinName(i), "int_mallinfo", q, steps);
      }
      nfastblocks++;
      fastavail += c.size(q);
    }
  }
  avail += fastavail;
  for (let i = 1; i < NBINS; i++) {
    const b = a.binAt(arena, i);
    let steps = 0;
    for (let q = c.bk(b); q !== b; q = c.bk(q)) {
      if (++steps > LOOP_LIMIT) {
        throw new HeapLoopError(m.bins.binName(i), "int_mallinfo", q, steps);
      }
      nblocks++;
      avail += c.size(q);
    }
  }
  const systemMem = a.systemMem(arena);
  info.smblks += nfastblocks;
  info.ordblks += nblocks;
  info.fordblks += avail;
  info.uordblks += systemMem - avail;
  info.arena += systemMem;
  info.fsmblks += fastavail;
  if (arena === m.mainArena) {
    info.hblks = m.params.nMmaps;
    info.hblkhd = m.params.mmappedMem;
    info.usmblks = 0;
    info.keepcost = c.size(a.top(arena));
  }
}

/** Every arena, main arena first (glibc's `ar_ptr = ar_ptr->next` loop). */
export function arenaList(m: MallocContext): number[] {
  const out: number[] = [];
  let arena = m.mainArena;
  do {
    out.push(arena);
    arena = m.arenas.next(arena);
    if (out.length > LOOP_LIMIT) {
      throw new HeapLoopError("arena list", "arena walk", arena, out.length);
    }
  } while (arena !== m.mainArena && arena !== 0);
  return out;
}

/**
 * glibc `__libc_mallinfo2`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.malloc(1000);
 * assert.equal(heap.mallinfo2().arena, 0x21000);
 * ```
 */
export function mallinfo2(m: MallocContext): Mallinfo {
  ptmallocInit(m);
  const info = empty();
  for (const arena of arenaList(m)) intMallinfo(m, arena, info);
  return info;
}

/** glibc `__libc_mallinfo`: the same with every field truncated to an int. */
export function mallinfo(m: MallocContext): Mallinfo {
  const info = mallinfo2(m);
  const out = empty();
  for (const k of Object.keys(info) as (keyof Mallinfo)[]) out[k] = info[k] | 0;
  return out;
}

function u32(x: number): number {
  return x >= 0 && x < 2 ** 32 ? x : Number(BigInt.asUintN(32, BigInt(Math.trunc(x))));
}

function pad10(x: number): string {
  return String(x).padStart(10, " ");
}

/**
 * glibc `__malloc_stats`: the text it prints to stderr.
 */
export function mallocStats(m: MallocContext): string {
  ptmallocInit(m);
  const lines: string[] = [];
  let inUse = u32(m.params.mmappedMem), system = inUse;
  arenaList(m).forEach((arena, i) => {
    const info = empty();
    intMallinfo(m, arena, info);
    lines.push(`Arena ${i}:`);
    lines.push(`system bytes     = ${pad10(u32(info.arena))}`);
    lines.push(`in use bytes     = ${pad10(u32(info.uordblks))}`);
    system = u32(system + u32(info.arena));
    inUse = u32(inUse + u32(info.uordblks));
  });
  lines.push("Total (incl. mmap):");
  lines.push(`system bytes     = ${pad10(system)}`);
  lines.push(`in use bytes     = ${pad10(inUse)}`);
  lines.push(`max mmap regions = ${pad10(u32(m.params.maxNMmaps))}`);
  const maxBytes = m.profile.sizeSz === 8 ? m.params.maxMmappedMem : u32(m.params.maxMmappedMem);
  lines.push(`max mmap bytes   = ${pad10(maxBytes)}`);
  return lines.join("\n") + "\n";
}
