/**
 * Aligned allocation (glibc `_mid_memalign`, `_int_memalign`, `__libc_memalign`,
 * `aligned_alloc`, `__posix_memalign`, `__libc_valloc`, `__libc_pvalloc`): malloc a chunk large
 * enough to hold an aligned chunk of the request plus a leading remainder of at least MINSIZE,
 * then give back the leading part (2.41: straight to the bins) and the tail.
 *
 * Invariant: the returned pointer is a multiple of the (power-of-two) alignment and its chunk
 * holds at least the request.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { NO_HOOK, runHook } from "./hooks.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { arenaGet, arenaGetRetry } from "./arena_get.ts";
import { intFree, intFreeCreateChunk, intFreeMaybeConsolidate, intFreeMergeChunk } from "./free.ts";
import { libcMalloc, maybeInitTcache, ptmallocInit } from "./libc_malloc.ts";
import { checkedRequest2size, intMalloc } from "./malloc.ts";
import { tcacheCount, tcacheEntrySlot, tcacheGetAt } from "./tcache.ts";

function isPowerOf2(x: number): boolean {
  if (x <= 0) return x === 0;
  if (x < 0x8000_0000) return (x & (x - 1)) === 0;
  return Number.isInteger(Math.log2(x));
}

/**
 * glibc `_mid_memalign (alignment, bytes)`: malloc for small alignments; otherwise the
 * alignment raised to MINSIZE and a power of two, then `_int_memalign` in the thread's arena.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * assert.equal(heap.memalign(4096, 100) % 4096, 0);
 * ```
 */
function midMemalign(m: MallocContext, alignment: number, bytes: number): number {
  const p = m.profile;
  const hooked = runHook(m, "__memalign_hook", "memalign", alignment, bytes);
  if (hooked !== NO_HOOK) return hooked;
  ptmallocInit(m);
  if (m.le(alignment, p.mallocAlignment)) return libcMalloc(m, bytes);
  if (m.lt(alignment, p.minSize)) alignment = p.minSize;
  const half = 2 ** (8 * p.sizeSz - 1);
  if (alignment < 0 || alignment > half) {
    m.setErrno(Errno.EINVAL);
    return 0;
  }
  if (!isPowerOf2(alignment)) {
    let a = p.mallocAlignment * 2;
    while (a < alignment) a *= 2;
    alignment = a;
  }
  if (p.requestLimit === "minus-2-minsize") {
    // glibc before 2.30: "Check for overflow."
    const room = m.words.sub(m.words.sub(m.words.max, alignment), p.minSize);
    if (m.lt(room, bytes)) {
      m.setErrno(Errno.ENOMEM);
      return 0;
    }
  }
  if (p.memalignStyle === "merge-leader" && p.tcache) {
    const tbytes = checkedRequest2size(m, bytes);
    if (tbytes === 0) {
      m.setErrno(Errno.ENOMEM);
      return 0;
    }
    const idx = m.bins.tcacheIndex(tbytes);
    // 2.42's tcache_get_align creates a missing tcache (and finds nothing in it).
    if (p.tcacheInit === "first-malloc") maybeInitTcache(m);
    const tcache = m.tls().tcache;
    if (p.tcacheLargeBins > 0) {
      const mem = tcacheGetAlign(m, tcache, tbytes, alignment);
      if (mem !== 0) return mem;
    } else if (idx < m.params.tcacheBins && tcache !== 0 && tcacheCount(m, tcache, idx) > 0) {
      const c = m.chunks;
      let link = tcacheEntrySlot(m, tcache, idx);
      let te = c.word(link);
      let steps = 0;
      while (te !== 0 && te % alignment !== 0) {
        if (++steps > LOOP_LIMIT) {
          throw new HeapLoopError(m.bins.tcacheName(idx), "_mid_memalign", te, steps);
        }
        link = te;
        te = c.reveal(te);
      }
      if (te !== 0 && te % alignment === 0) {
        m.explain.serve("tcache (aligned entry)");
        return tcacheGetAt(m, tcache, idx, link);
      }
    }
  }
  if (m.singleThread) return intMemalign(m, m.mainArena, alignment, bytes);
  let arena = arenaGet(m, bytes + alignment + p.minSize);
  let mem = intMemalign(m, arena, alignment, bytes);
  if (mem === 0 && arena !== 0) {
    arena = arenaGetRetry(m, arena, bytes);
    mem = intMemalign(m, arena, alignment, bytes);
  }
  return mem;
}

/**
 * glibc 2.42+ `tcache_get_align (nb, alignment)`: in the tcache bin of chunk size `nb` (a large
 * bin beyond the small ones, where chunks of several sizes lie in ascending order), the first
 * entry of exactly `nb` bytes that is aligned, taken out; 0 when the walk meets a larger chunk
 * or the end first.
 */
function tcacheGetAlign(m: MallocContext, tcache: number, nb: number, alignment: number): number {
  const p = m.profile, c = m.chunks, b = m.bins;
  if (tcache === 0 || !m.lt(nb, m.params.tcacheMaxBytes)) return 0;
  let idx = b.tcacheIndex(nb);
  if (idx >= p.tcacheSmallBins) idx = b.tcacheLargeIndex(nb);
  let link = tcacheEntrySlot(m, tcache, idx);
  let te = c.word(link), steps = 0;
  for (; te !== 0; link = te, te = c.reveal(te)) {
    const size = c.size(c.fromMem(te));
    if (!(m.lt(size, nb) || (size === nb && te % alignment !== 0))) break;
    if (++steps > LOOP_LIMIT) {
      throw new HeapLoopError(b.tcacheName(idx), "_mid_memalign", te, steps);
    }
  }
  if (te === 0 || c.size(c.fromMem(te)) !== nb || te % alignment !== 0) return 0;
  m.explain.serve("tcache (aligned entry)");
  return tcacheGetAt(m, tcache, idx, link);
}

/** glibc `_int_memalign (arena, alignment, bytes)`. */
function intMemalign(
  m: MallocContext,
  arena: number,
  alignment: number,
  bytes: number,
): number {
  const c = m.chunks, a = m.arenas, p = m.profile;
  const nb = checkedRequest2size(m, bytes);
  if (nb === 0 || alignment > 2 ** (8 * p.sizeSz - 1) - 1) {
    m.setErrno(Errno.ENOMEM);
    return 0;
  }
  const nonMain = arena !== 0 && arena !== m.mainArena ? NON_MAIN_ARENA : 0;
  const mem = intMalloc(m, arena, nb + alignment + p.minSize);
  if (mem === 0) return 0;
  let chunk = c.fromMem(mem);
  if (mem % alignment !== 0) {
    let brk = c.fromMem(Math.ceil(mem / alignment) * alignment);
    if (brk - chunk < p.minSize) brk += alignment;
    const newp = brk;
    const leadsize = brk - chunk;
    const newsize = c.size(chunk) - leadsize;
    if (c.isMmapped(chunk)) {
      c.setPrevSize(newp, c.prevSize(chunk) + leadsize);
      c.setHead(newp, newsize + IS_MMAPPED);
      m.mmappedChunks.delete(chunk);
      m.mmappedChunks.add(newp);
      if (m.explain.enabled) {
        m.explain.split(newp, newsize, { note: "aligned inside the mapping" });
      }
      return c.toMem(newp);
    }
    c.setHead(newp, newsize + PREV_INUSE + nonMain);
    c.setInuseAt(newp, newsize);
    c.setHeadSize(chunk, leadsize + nonMain);
    if (m.explain.enabled) {
      m.explain.split(newp, newsize, { note: `leading ${leadsize} given back` });
    }
    if (p.memalignStyle === "merge-leader") intFreeMergeChunk(m, arena, chunk, leadsize);
    else intFree(m, arena, chunk, true);
    chunk = newp;
  }
  if (!c.isMmapped(chunk)) {
    const size = c.size(chunk);
    if (p.memalignStyle === "merge-leader") {
      const nextchunk = c.at(chunk, size);
      const nextsize = c.size(nextchunk);
      if (size > nb) {
        const remainderSize = size - nb;
        if (
          remainderSize >= p.minSize || nextchunk === a.top(arena) ||
          !c.inuseAt(nextchunk, nextsize)
        ) {
          const remainder = c.at(chunk, nb);
          c.setHeadSize(chunk, nb);
          if (m.explain.enabled) {
            m.explain.split(chunk, nb, { note: "tail given back" });
          }
          const merged = intFreeCreateChunk(
            m,
            arena,
            remainder,
            remainderSize,
            nextchunk,
            nextsize,
          );
          intFreeMaybeConsolidate(m, arena, merged);
        }
      }
    } else if (m.lt(nb + p.minSize, size)) {
      const remainderSize = size - nb;
      const remainder = c.at(chunk, nb);
      c.setHead(remainder, remainderSize + PREV_INUSE + nonMain);
      c.setHeadSize(chunk, nb);
      if (m.explain.enabled) {
        m.explain.split(chunk, nb, { note: "tail given back" });
      }
      intFree(m, arena, remainder, true);
    }
  }
  return c.toMem(chunk);
}

/** glibc `__libc_memalign`. */
export function libcMemalign(m: MallocContext, alignment: number, bytes: number): number {
  ptmallocInit(m);
  return midMemalign(m, alignment, bytes);
}

/**
 * glibc `aligned_alloc`: memalign, except that from glibc 2.38 an alignment that is not a
 * power of two fails with EINVAL.
 */
export function alignedAlloc(m: MallocContext, alignment: number, bytes: number): number {
  ptmallocInit(m);
  if (m.profile.alignedAllocStrict && (alignment === 0 || !isPowerOf2(alignment))) {
    m.setErrno(Errno.EINVAL);
    return 0;
  }
  return midMemalign(m, alignment, bytes);
}

/**
 * glibc `__posix_memalign`: the error number (0, EINVAL, ENOMEM) and the pointer.
 */
export function posixMemalign(
  m: MallocContext,
  alignment: number,
  size: number,
): { error: number; pointer: number } {
  ptmallocInit(m);
  const s = m.profile.sizeSz;
  if (alignment % s !== 0 || !isPowerOf2(alignment / s) || alignment === 0) {
    return { error: Errno.EINVAL, pointer: 0 };
  }
  const mem = midMemalign(m, alignment, size);
  return mem !== 0 ? { error: 0, pointer: mem } : { error: Errno.ENOMEM, pointer: 0 };
}

/** glibc `__libc_valloc`: page-aligned memalign. */
export function valloc(m: MallocContext, bytes: number): number {
  ptmallocInit(m);
  return midMemalign(m, m.profile.pageSize, bytes);
}

/** glibc `__libc_pvalloc`: page-aligned, the size rounded (glibc's way) to pages. */
export function pvalloc(m: MallocContext, bytes: number): number {
  ptmallocInit(m);
  const pagesize = m.profile.pageSize, words = m.words;
  if (m.profile.requestLimit === "minus-2-minsize") {
    // glibc before 2.30: "Check for overflow.", then ALIGN_UP.
    const room = words.sub(words.sub(words.max, 2 * pagesize), m.profile.minSize);
    if (m.lt(room, bytes)) {
      m.setErrno(Errno.ENOMEM);
      return 0;
    }
    const up = words.add(bytes, pagesize - 1);
    return midMemalign(m, pagesize, words.sub(up, up & (pagesize - 1)));
  }
  const rounded = words.add(bytes, pagesize - 1);
  if (m.lt(rounded, bytes)) {
    m.setErrno(Errno.ENOMEM);
    return 0;
  }
  // glibc's `rounded_bytes & -(pagesize - 1)` (sic): it keeps bit 0.
  return midMemalign(m, pagesize, words.and(rounded, words.sub(0, pagesize - 1)));
}
