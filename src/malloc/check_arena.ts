/**
 * The heap's consistency check (glibc `do_check_malloc_state` and the `do_check_*` routines it
 * calls, compiled into glibc only with MALLOC_DEBUG): {@link checkArena} walks an arena's chunks
 * and bins and throws a {@link HeapCheckError} at the first inconsistency. Tests call it after
 * every step; it reads memory only.
 *
 * @module
 */

import { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE, SIZE_BITS } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { arenaRegions, binsInfo } from "./inspect.ts";
import { NBINS, NSMALLBINS } from "./profile.ts";
import { tcacheCount, tcacheList } from "./tcache.ts";

/** An inconsistency found by {@link checkArena}. */
export class HeapCheckError extends Error {
  /** The arena checked. */
  readonly arena: number;
  /** The chunk or bin at fault. */
  readonly address: number;

  /** An inconsistency `message` in `arena` at `address`. */
  constructor(message: string, arena: number, address: number) {
    super(`${message} (arena 0x${arena.toString(16)}, at 0x${address.toString(16)})`);
    this.name = "HeapCheckError";
    this.arena = arena;
    this.address = address;
  }
}

/**
 * glibc `do_check_malloc_state` (malloc.c's MALLOC_DEBUG check of an arena), extended: walks
 * an arena's chunks and bins and throws a {@link HeapCheckError} at the first inconsistency: a
 * chunk size that is misaligned, too small or runs past its heap; a free chunk whose footer or
 * successor's PREV_INUSE disagrees; two adjacent free chunks; a free chunk in no bin; a bin
 * whose links do not point back, whose chunks have the wrong size or
 * are not free; an unsorted large bin; a tcache count that does not match its list.
 *
 * @example
 * ```ts
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { checkArena } from "./check_arena.ts";
 * import assert from "node:assert/strict";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.free(heap.malloc(2000));
 * assert.doesNotThrow(() => checkArena(heap.context, heap.context.mainArena));
 * ```
 */
export function checkArena(m: MallocContext, arena: number): void {
  if (!m.initialized) return;
  const c = m.chunks, a = m.arenas, b = m.bins, p = m.profile;
  const fail = (msg: string, at: number): never => {
    throw new HeapCheckError(msg, arena, at);
  };
  const isMain = arena === m.mainArena;
  const top = a.top(arena);
  const freeInBins = new Set<number>();
  // Bins.
  const bins = binsInfo(m, arena);
  for (const f of bins.fastbins) {
    if (f.broken) fail(`${f.name} is broken (cycle or bad entry)`, f.chunks.at(-1) ?? 0);
    for (const q of f.chunks) {
      if (c.misaligned(q)) fail(`${f.name} holds a misaligned chunk`, q);
      if (b.fastbinIndex(c.size(q)) !== f.index) {
        fail(`${f.name} holds a chunk of size 0x${c.size(q).toString(16)}`, q);
      }
      if (!c.inuseAt(q, c.size(q))) fail(`${f.name} holds a chunk marked free`, q);
    }
  }
  for (let i = 1; i < NBINS; i++) {
    const bin = a.binAt(arena, i);
    let prev = bin;
    let q = c.fd(bin);
    let n = 0;
    let lastSize = Infinity;
    while (q !== bin) {
      if (++n > 1 << 20) fail(`${b.binName(i)} does not end`, q);
      if (c.bk(q) !== prev) fail(`${b.binName(i)}: bk of a chunk does not point back`, q);
      const size = c.size(q);
      if (c.misaligned(q)) fail(`${b.binName(i)} holds a misaligned chunk`, q);
      if (i >= 2 && b.binIndex(size) !== i) {
        fail(`${b.binName(i)} holds a chunk of size 0x${size.toString(16)}`, q);
      }
      if (i >= NSMALLBINS) {
        if (size > lastSize) fail(`${b.binName(i)} is not sorted by size`, q);
        lastSize = size;
      }
      if (c.inuseAt(q, size)) {
        fail(`${b.binName(i)} holds a chunk whose successor says it is in use`, q);
      }
      if (c.prevSize(c.at(q, size)) !== size) {
        fail(`${b.binName(i)}: footer of a chunk does not match its size`, q);
      }
      freeInBins.add(q);
      prev = q;
      q = c.fd(q);
    }
    if (c.bk(bin) !== prev) fail(`${b.binName(i)}: the bin's bk is not its last chunk`, bin);
    if (i >= 2 && n > 0 && !a.binMarked(arena, i)) {
      fail(`${b.binName(i)} is not empty but unmarked in the binmap`, bin);
    }
  }
  // Tcaches of running threads.
  for (const t of m.process.threads) {
    if (t.state !== "running" || !m.hasTls(t)) continue;
    const tc = m.tls(t).tcache;
    if (tc === 0) continue;
    for (let i = 0; i < p.tcacheMaxBins; i++) {
      const list = tcacheList(m, tc, i, 1 << 16);
      const count = tcacheCount(m, tc, i);
      if (list.length !== count) {
        fail(`${b.tcacheName(i)} of tid ${t.tid} counts ${count} but holds ${list.length}`, tc);
      }
      for (const e of list) {
        const q = e - c.headerSize;
        if (!c.aligned(e)) fail(`${b.tcacheName(i)} holds a misaligned entry`, e);
        if (b.tcacheIndex(c.size(q)) !== i) {
          fail(`${b.tcacheName(i)} holds a chunk of size 0x${c.size(q).toString(16)}`, q);
        }
      }
    }
  }
  // Chunks.
  if (top !== a.binAt(arena, 1)) {
    const topSize = c.size(top);
    if (!c.prevInuse(top)) fail("the top chunk follows a free chunk", top);
    if (topSize < p.minSize && a.systemMem(arena) !== 0) {
      fail("the top chunk is smaller than MINSIZE", top);
    }
  }
  for (const [start, end] of arenaRegions(m, arena)) {
    let q = start;
    let prevFree = false;
    let n = 0;
    while (q !== top) {
      if (++n > 1 << 22) fail("the chunk walk does not end", q);
      if (end !== Infinity && q >= end) fail("the chunk walk ran past the end of its heap", q);
      const field = c.sizeField(q);
      const size = field - (field & SIZE_BITS);
      if (size === 0 && !isMain) break; // heap fencepost
      if (size === c.headerSize) break; // main-arena fencepost pair
      if (!c.aligned(size) || size < p.minSize) {
        fail(`chunk size 0x${size.toString(16)} is invalid`, q);
      }
      if ((field & PREV_INUSE) === 0 && !prevFree) {
        fail("PREV_INUSE clear after an in-use chunk", q);
      }
      if ((field & PREV_INUSE) !== 0 && prevFree) fail("PREV_INUSE set after a free chunk", q);
      const next = q + size;
      const isFree = !c.inuseAt(q, size);
      if (isFree) {
        if (prevFree) fail("two adjacent free chunks", q);
        if (!freeInBins.has(q)) fail("a free chunk is in no bin", q);
        if (c.prevSize(next) !== size) fail("footer does not match the free chunk's size", q);
      } else {
        if (freeInBins.has(q)) fail("a chunk in a regular bin is marked in use", q);
        if (isMain === ((field & NON_MAIN_ARENA) !== 0)) {
          fail("an in-use chunk's NON_MAIN_ARENA bit does not match its arena", q);
        }
        if (field & IS_MMAPPED) fail("an arena chunk has IS_MMAPPED set", q);
      }
      prevFree = isFree;
      q = next;
    }
  }
}
