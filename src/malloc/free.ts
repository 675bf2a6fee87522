/**
 * The free path inside one arena (glibc `_int_free`, split in 2.41 into `_int_free_check`,
 * `tcache_free`, `_int_free_chunk`, `_int_free_merge_chunk`, `_int_free_create_chunk` and
 * `_int_free_maybe_consolidate`) and `malloc_consolidate`, which empties the fastbins the same
 * way. Stage by stage:
 *
 * 1. sanity checks on the pointer and size;
 * 2. the tcache, while its list for this size has room (with the double-free key test);
 * 3. a fastbin for small sizes (no merging; the fasttop double-free test);
 * 4. otherwise merge with free neighbours (backward, forward, or into top) and put the result
 *    on the unsorted bin (2.41: small chunks go straight to their smallbin);
 * 5. a large result (>= 64 KiB) consolidates the fastbins and trims the top (systrim) or the
 *    heap (heap_trim).
 *
 * Invariant: no two adjacent chunks outside the tcache and the fastbins are both free, and the
 * top chunk never follows a free chunk.
 *
 * A word glibc reads more than once with no store in between (a chunk's size word for its flag,
 * its size and the size check) is read once here and reused, as glibc's compiler does: the
 * value cannot differ, and the first read faults where the others would.
 *
 * @module
 */

import { PREV_INUSE, SIZE_BITS, withFlag } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { heapTrim } from "./heap.ts";
import { munmapChunk } from "./mmapped_chunk.ts";
import { systrim } from "./morecore.ts";
import { tcacheCount, tcacheDoubleFreeCheck, tcacheKeyValue, tcachePut } from "./tcache.ts";
import { unlinkChunk } from "./unlink.ts";

/** glibc `FASTBIN_CONSOLIDATION_THRESHOLD`. */
const FASTBIN_CONSOLIDATION_THRESHOLD = 65536;

/** glibc `free_perturb`. */
function freePerturb(m: MallocContext, mem: number, n: number): void {
  if (m.perturbByte && n > 0) m.memory.fill(mem, n, m.perturbByte);
}

/**
 * glibc `_int_free (arena, p, have_lock)`: frees chunk `p` of `arena` (not an mmapped chunk
 * unless it reaches the final munmap branch). `tcache` is the calling thread's tcache pointer,
 * which `__libc_free` has just read from its TLS (default: read it now; 0 without a tcache).
 *
 * @example
 * ```ts
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { intFree } from "./free.ts";
 * import assert from "node:assert/strict";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const p = heap.malloc(24);
 * intFree(heap.context, heap.context.mainArena, p - 16, false);
 * assert.equal(heap.lastRecord?.operation, "malloc"); // intFree alone makes no record
 * assert.equal(heap.tcache().bins[0].chunks.length, 1);
 * ```
 */
export function intFree(
  m: MallocContext,
  arena: number,
  p: number,
  haveLock: boolean,
  size = m.chunks.size(p),
  tcache = m.profile.tcache ? m.tls().tcache : 0,
): void {
  intFreeCheck(m, p, size);
  if (tcache !== 0 && tcacheFree(m, p, size, tcache)) return;
  intFreeChunk(m, arena, p, size, haveLock);
}

/**
 * malloc's own frees of chunks it holds (sysmalloc's old top, realloc's old chunk and
 * remainder): `_int_free` up to 2.41, `_int_free_chunk` from 2.42 (no checks, no tcache).
 */
export function intFreeInternal(
  m: MallocContext,
  arena: number,
  p: number,
  haveLock: boolean,
): void {
  if (m.profile.internalFreesSkipTcache) intFreeChunk(m, arena, p, m.chunks.size(p), haveLock);
  else intFree(m, arena, p, haveLock);
}

/** glibc `_int_free_check`: the pointer and size checks every free starts with. */
function intFreeCheck(m: MallocContext, p: number, size: number): void {
  const c = m.chunks;
  if (m.lt(m.words.sub(0, size), p) || c.misaligned(p)) m.abort("free(): invalid pointer", p);
  if (m.lt(size, m.profile.minSize) || !c.aligned(size)) m.abort("free(): invalid size", p);
}

/** glibc `tcache_free`: true when the chunk went into `tcache`, the current thread's. */
function tcacheFree(m: MallocContext, p: number, size: number, tcache: number): boolean {
  const idx = m.bins.tcacheIndex(size);
  if (!(idx < m.params.tcacheBins)) return false;
  const c = m.chunks;
  const e = c.toMem(p);
  if (m.profile.tcacheKey !== "none" && c.word(e + c.sizeSz) === tcacheKeyValue(m, tcache)) {
    tcacheDoubleFreeCheck(m, tcache, e, idx);
  }
  const count = tcacheCount(m, tcache, idx);
  if (count < m.params.tcacheCount) {
    tcachePut(m, tcache, p, idx, count);
    m.explain.serve("tcache");
    return true;
  }
  return false;
}

/**
 * glibc `_int_free_chunk`: a fastbin for small sizes, else merge into the bins, else (an
 * mmapped chunk) munmap.
 */
export function intFreeChunk(
  m: MallocContext,
  arena: number,
  p: number,
  size: number,
  haveLock: boolean,
): void {
  const c = m.chunks, a = m.arenas, b = m.bins;
  // (2.43+ has no fastbins: its global_max_fast of 0 would still take a size word of 0, which
  // tcache_thread_shutdown passes here unchecked.)
  if (m.le(size, m.globalMaxFast) && m.profile.fastbins) {
    const next = c.at(p, size);
    const nextField = c.sizeField(next);
    const nextSize = nextField - (nextField & SIZE_BITS);
    if (m.le(nextField, c.headerSize) || m.le(a.systemMem(arena), nextSize)) {
      m.abort("free(): invalid next size (fast)", p);
    }
    freePerturb(m, c.toMem(p), size - c.headerSize);
    a.setHaveFastchunks(arena, true);
    const idx = b.fastbinIndex(size);
    const slot = a.fastbinSlot(arena, idx);
    const old = c.word(slot);
    if (old === p) m.abort("double free or corruption (fasttop)", p);
    const fdAddr = p + 2 * c.sizeSz;
    c.setWord(fdAddr, c.protect(fdAddr, old));
    c.setWord(slot, p);
    if (haveLock && old !== 0 && b.fastbinIndex(c.size(old)) !== idx) {
      m.abort("invalid fastbin entry (free)", old);
    }
    if (m.explain.enabled) m.explain.put(p, size, b.fastbinName(idx));
    m.explain.serve("fastbin");
  } else if (!c.isMmapped(p)) {
    intFreeMergeChunk(m, arena, p, size);
  } else {
    munmapChunk(m, p);
    m.explain.serve("munmap");
  }
}

/**
 * glibc `_int_free_merge_chunk`: merges a chunk that is not on any list with its free
 * neighbours and files the result (unsorted bin, smallbin on 2.41, or top).
 */
export function intFreeMergeChunk(m: MallocContext, arena: number, p: number, size: number): void {
  const c = m.chunks, a = m.arenas;
  const nextchunk = c.at(p, size);
  const top = a.top(arena);
  if (p === top) m.abort("double free or corruption (top)", p);
  if (a.contiguous(arena) && m.le(c.at(top, c.size(top)), nextchunk)) {
    m.abort("double free or corruption (out)", p);
  }
  const nextField = c.sizeField(nextchunk);
  if (!(nextField & PREV_INUSE)) m.abort("double free or corruption (!prev)", p);
  const nextsize = nextField - (nextField & SIZE_BITS);
  if (m.le(nextField, c.headerSize) || m.le(a.systemMem(arena), nextsize)) {
    m.abort("free(): invalid next size (normal)", p);
  }
  freePerturb(m, c.toMem(p), size - c.headerSize);
  if (!c.prevInuse(p)) {
    const prevsize = c.prevSize(p);
    size = m.words.add(size, prevsize);
    p = c.at(p, -prevsize);
    if (m.profile.consolidatePrevSizeCheck && c.size(p) !== prevsize) {
      m.abort("corrupted size vs. prev_size while consolidating", p);
    }
    unlinkChunk(m, arena, p);
    if (m.explain.enabled) m.explain.merge(p, size, { note: "backward" });
  }
  size = intFreeCreateChunk(m, arena, p, size, nextchunk, nextsize);
  intFreeMaybeConsolidate(m, arena, size);
}

/**
 * glibc `_int_free_create_chunk`: absorbs the next chunk if it is free, then links the chunk
 * into the unsorted bin (or its smallbin, 2.41), or makes it the top when it borders it.
 * Returns the final size.
 */
export function intFreeCreateChunk(
  m: MallocContext,
  arena: number,
  p: number,
  size: number,
  nextchunk: number,
  nextsize: number,
): number {
  const c = m.chunks, a = m.arenas, b = m.bins;
  if (nextchunk !== a.top(arena)) {
    const nextinuse = c.inuseAt(nextchunk, nextsize);
    if (!nextinuse) {
      unlinkChunk(m, arena, nextchunk);
      size += nextsize;
      if (m.explain.enabled) m.explain.merge(p, size, { note: "forward" });
    } else {
      c.clearInuseAt(nextchunk, 0);
    }
    // `toSmallbin`: the bin the chunk goes to, for the explain record (named only when asked).
    let bck: number, fwd: number, toSmallbin = 0;
    if (m.profile.freeSmallToSmallbin && b.inSmallbinRange(size)) {
      const idx = b.smallbinIndex(size);
      bck = a.binAt(arena, idx);
      fwd = c.fd(bck);
      if (c.bk(fwd) !== bck) m.abort("free(): chunks in smallbin corrupted", p);
      a.markBin(arena, idx);
      toSmallbin = idx;
    } else {
      bck = a.binAt(arena, 1);
      fwd = c.fd(bck);
      if (c.bk(fwd) !== bck) m.abort("free(): corrupted unsorted chunks", p);
      if (!b.inSmallbinRange(size)) {
        c.setFdNextsize(p, 0);
        c.setBkNextsize(p, 0);
      }
    }
    c.setFd(p, fwd);
    c.setBk(p, bck);
    c.setFd(bck, p);
    c.setBk(fwd, p);
    c.setHead(p, withFlag(size, PREV_INUSE));
    c.setFoot(p, size);
    if (m.explain.enabled) {
      m.explain.put(p, size, toSmallbin === 0 ? "unsorted" : b.binName(toSmallbin));
    }
    m.explain.serve(toSmallbin === 0 ? "unsorted" : "smallbin");
  } else {
    size += nextsize;
    c.setHead(p, withFlag(size, PREV_INUSE));
    a.setTop(arena, p);
    if (m.explain.enabled) m.explain.merge(p, size, { to: "top", note: "into top" });
    m.explain.serve("top");
  }
  return size;
}

/**
 * glibc `_int_free_maybe_consolidate`: after freeing 64 KiB or more, consolidate the
 * fastbins, then trim the main arena's top (systrim) or the thread heap (heap_trim).
 */
export function intFreeMaybeConsolidate(m: MallocContext, arena: number, size: number): void {
  if (!m.le(FASTBIN_CONSOLIDATION_THRESHOLD, size)) return;
  const a = m.arenas, c = m.chunks;
  if (a.haveFastchunks(arena)) mallocConsolidate(m, arena);
  if (arena === m.mainArena) {
    if (m.le(m.params.trimThreshold, c.size(a.top(arena)))) systrim(m, m.params.topPad, arena);
  } else {
    const heap = m.heapForPtr(a.top(arena));
    heapTrim(m, heap, m.params.topPad);
  }
}

/**
 * glibc `malloc_consolidate (arena)`: empties every fastbin, merging each chunk with its free
 * neighbours and putting the results on the unsorted bin (or into top).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { mallocConsolidate } from "./free.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const ps = Array.from({ length: 9 }, () => heap.malloc(24));
 * ps.forEach((p) => heap.free(p)); // 7 to the tcache, 2 to the 0x20 fastbin
 * mallocConsolidate(heap.context, heap.context.mainArena);
 * assert.equal(heap.bins().fastbins[0].chunks.length, 0);
 * ```
 */
export function mallocConsolidate(m: MallocContext, arena: number): void {
  const c = m.chunks, a = m.arenas, b = m.bins, p = m.profile;
  if (!p.fastbins) return; // 2.43+: no fastbins, and nothing calls malloc_consolidate
  a.setHaveFastchunks(arena, false);
  if (m.explain.enabled) {
    m.explain.arenaStep(arena, 0, "malloc_consolidate");
  }
  const unsorted = a.binAt(arena, 1);
  for (let i = 0; i < p.nFastbins; i++) {
    const slot = a.fastbinSlot(arena, i);
    let q = c.word(slot);
    c.setWord(slot, 0);
    let steps = 0;
    while (q !== 0) {
      if (p.alignmentChecks && c.misaligned(q)) {
        m.abort("malloc_consolidate(): unaligned fastbin chunk detected", q);
      }
      // q's size word, read once: before its `fd` where the version checks the size, after it
      // where it does not (the order in which a wild q faults).
      let qField = p.consolidateSizeCheck ? c.sizeField(q) : 0;
      if (p.consolidateSizeCheck && b.fastbinIndex(qField - (qField & SIZE_BITS)) !== i) {
        m.abort("malloc_consolidate(): invalid chunk size", q);
      }
      if (++steps > LOOP_LIMIT) {
        throw new HeapLoopError(b.fastbinName(i), "malloc_consolidate", q, steps);
      }
      const nextp = c.reveal(q + 2 * c.sizeSz);
      if (!p.consolidateSizeCheck) qField = c.sizeField(q);
      let size = qField - (qField & SIZE_BITS);
      const nextchunk = c.at(q, size);
      const nextsize = c.size(nextchunk);
      if (m.explain.enabled) {
        m.explain.take(q, size, b.fastbinName(i), "consolidate");
      }
      if (!(qField & PREV_INUSE)) {
        const prevsize = c.prevSize(q);
        size = m.words.add(size, prevsize);
        q = c.at(q, -prevsize);
        if (p.consolidatePrevSizeCheck && c.size(q) !== prevsize) {
          m.abort("corrupted size vs. prev_size in fastbins", q);
        }
        unlinkChunk(m, arena, q);
      }
      if (nextchunk !== a.top(arena)) {
        const nextinuse = c.inuseAt(nextchunk, nextsize);
        if (!nextinuse) {
          size += nextsize;
          unlinkChunk(m, arena, nextchunk);
        } else {
          c.clearInuseAt(nextchunk, 0);
        }
        const first = c.fd(unsorted);
        c.setFd(unsorted, q);
        c.setBk(first, q);
        if (!b.inSmallbinRange(size)) {
          c.setFdNextsize(q, 0);
          c.setBkNextsize(q, 0);
        }
        c.setHead(q, withFlag(size, PREV_INUSE));
        c.setBk(q, unsorted);
        c.setFd(q, first);
        c.setFoot(q, size);
        if (m.explain.enabled) {
          m.explain.put(q, size, "unsorted", { note: "consolidated" });
        }
      } else {
        size += nextsize;
        c.setHead(q, withFlag(size, PREV_INUSE));
        a.setTop(arena, q);
        if (m.explain.enabled) {
          m.explain.merge(q, size, { to: "top", note: "consolidated into top" });
        }
      }
      q = nextp;
    }
  }
}
