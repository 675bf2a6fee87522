/**
 * Getting memory from the system (glibc `sysmalloc`, `sysmalloc_mmap`,
 * `sysmalloc_mmap_fallback`); giving it back is `morecore.ts` (`systrim`) and
 * `mmapped_chunk.ts` (`munmap_chunk`, `mremap_chunk`):
 *
 * - a request at or above the mmap threshold becomes its own mmapped chunk (IS_MMAPPED, its
 *   offset into the mapping in prev_size);
 * - the main arena grows its top with sbrk (MORECORE), correcting a misaligned or foreign
 *   break with a second sbrk, and falls back to mmap when brk fails (the arena is then
 *   noncontiguous, the old top fenced off);
 * - a thread arena grows its heap (mprotect) or starts a new heap, fencing the old top;
 *
 * Invariant: after sysmalloc the top chunk ends on a page boundary (in a heap: at heap->size)
 * and has PREV_INUSE set; `system_mem` counts every byte the arena got from the system.
 *
 * @module
 */

import { isSyscallError } from "../kernel/errors.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../kernel/vma.ts";
import { alignUp, maskAlignUp, signedWord } from "../kernel/word.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE, withFlag } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { intFreeInternal } from "./free.ts";
import { morecore } from "./morecore.ts";
import { growHeap, heapSize, newHeap, registerHeap, setHeapOwner } from "./heap.ts";

/** The unsigned value of a word (approximate above 2^53), e.g. for a length passed to mmap. */
function unsigned(m: MallocContext, x: number): number {
  return x < 0 ? Number(m.words.toBigInt(x)) : x;
}

/**
 * glibc `sysmalloc_mmap`: maps a chunk of its own for `nb` bytes; the user pointer or 0.
 */
function sysmallocMmap(m: MallocContext, nb: number): number {
  const c = m.chunks, p = m.profile, pagesize = p.pageSize;
  if (p.mmapChunkTrailer) return sysmallocMmapPadded(m, nb);
  const overhead = p.mallocAlignment === 2 * p.sizeSz ? p.sizeSz : p.sizeSz + c.alignMask;
  const size = maskAlignUp(m.words, m.words.add(nb, overhead), pagesize);
  if (m.le(size, nb)) return 0;
  const mm = mmapChunkRegion(m, size);
  if (isSyscallError(mm)) return 0;
  const frontMisalign = p.mallocAlignment === 2 * p.sizeSz ? 0 : (mm + c.headerSize) & c.alignMask;
  let chunk: number;
  if (frontMisalign > 0) {
    const correction = p.mallocAlignment - frontMisalign;
    chunk = mm + correction;
    c.setPrevSize(chunk, correction);
    c.setHead(chunk, (size - correction) + IS_MMAPPED);
  } else {
    chunk = mm;
    c.setPrevSize(chunk, 0);
    c.setHead(chunk, size + IS_MMAPPED);
  }
  return mmappedChunkMade(m, chunk, size);
}

/**
 * glibc 2.43+ `sysmalloc_mmap` and `mmap_set_chunk`: the chunk starts `MALLOC_ALIGNMENT -
 * CHUNK_HDR_SZ` bytes into the mapping (its prev_size says so) and ends CHUNK_HDR_SZ before
 * the mapping's end.
 */
function sysmallocMmapPadded(m: MallocContext, nb: number): number {
  const c = m.chunks, p = m.profile;
  const padding = p.mallocAlignment - c.headerSize;
  const size = maskAlignUp(m.words, m.words.add(nb, padding + c.headerSize), p.pageSize);
  if (m.le(size, nb)) return 0;
  const mm = mmapChunkRegion(m, size);
  if (isSyscallError(mm)) return 0;
  const chunk = mm + padding;
  c.setPrevSize(chunk, padding);
  c.setHead(chunk, (size - padding - c.headerSize) + IS_MMAPPED);
  return mmappedChunkMade(m, chunk, size);
}

/** The anonymous read-write mapping `sysmalloc_mmap` asks for (`size` a signed word). */
function mmapChunkRegion(m: MallocContext, size: number): number {
  return m.process.sys.mmap(
    0,
    unsigned(m, size),
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    undefined,
    "mmapped chunk",
  );
}

/**
 * The tail of `sysmalloc_mmap` once the chunk's header is written: counts the mapping in
 * mp_'s n_mmaps / mmapped_mem (and their maxima) and returns the user pointer.
 */
function mmappedChunkMade(m: MallocContext, chunk: number, size: number): number {
  const c = m.chunks, mp = m.params;
  m.mmappedChunks.add(chunk);
  mp.nMmaps++;
  if (mp.nMmaps > mp.maxNMmaps) mp.maxNMmaps = mp.nMmaps;
  mp.mmappedMem += size;
  if (mp.mmappedMem > mp.maxMmappedMem) mp.maxMmappedMem = mp.mmappedMem;
  if (m.explain.enabled) {
    m.explain.arenaStep(chunk, c.size(chunk), `mmap ${size}`);
  }
  m.explain.serve("mmap");
  return c.toMem(chunk);
}

/**
 * glibc `sysmalloc (nb, arena)`: serves `nb` bytes when the top chunk is too small — an mmapped
 * chunk, a grown or new heap, or a grown break — and returns the user pointer, or 0 with errno
 * ENOMEM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.malloc(1000); // the first sbrk: 0x21000 bytes
 * assert.equal(heap.lastRecord?.syscalls[0].name, "brk");
 * ```
 */
export function sysmalloc(m: MallocContext, nb: number, arena: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile, mp = m.params, words = m.words;
  const pagesize = p.pageSize, minSize = p.minSize;
  let triedMmap = false;

  if (arena === 0 || (m.le(mp.mmapThreshold, nb) && mp.nMmaps < mp.nMmapsMax)) {
    const mem = sysmallocMmap(m, nb);
    if (mem !== 0) return mem;
    triedMmap = true;
  }
  if (arena === 0) return 0;

  const oldTop = a.top(arena);
  let oldSize = c.size(oldTop);
  const oldEnd = c.at(oldTop, oldSize);
  const initialTop = a.binAt(arena, 1);
  if (
    !((oldTop === initialTop && oldSize === 0) ||
      (m.le(minSize, oldSize) && c.prevInuse(oldTop) && oldEnd % pagesize === 0))
  ) {
    m.assertFail("sysmallocOldTop", oldTop);
  }
  if (!m.lt(oldSize, nb + minSize)) m.assertFail("sysmallocOldSize", oldTop);

  if (arena !== m.mainArena) {
    const oldHeap = m.heapForPtr(oldTop);
    const oldHeapSize = heapSize(m, oldHeap);
    const grow = minSize + nb - oldSize;
    let heap: number;
    if (grow > 0 && growHeap(m, oldHeap, grow) === 0) {
      a.setSystemMem(arena, a.systemMem(arena) + heapSize(m, oldHeap) - oldHeapSize);
      c.setHead(oldTop, oldHeap + heapSize(m, oldHeap) - oldTop + PREV_INUSE);
      if (m.explain.enabled) {
        m.explain.arenaStep(oldHeap, heapSize(m, oldHeap), "heap grown");
      }
      m.explain.serve("sysmalloc heap");
    } else if ((heap = newHeap(m, nb + (minSize + p.heapInfoSize), mp.topPad)) !== 0) {
      setHeapOwner(m, heap, arena, oldHeap);
      registerHeap(m, heap, arena);
      a.setSystemMem(arena, a.systemMem(arena) + heapSize(m, heap));
      const top = heap + p.heapInfoSize;
      a.setTop(arena, top);
      c.setHead(top, heapSize(m, heap) - p.heapInfoSize + PREV_INUSE);
      m.explain.serve("new heap");
      oldSize = (oldSize - minSize) - ((oldSize - minSize) & c.alignMask);
      c.setHead(c.at(oldTop, oldSize + c.headerSize), 0 + PREV_INUSE);
      if (m.le(minSize, oldSize)) {
        c.setHead(c.at(oldTop, oldSize), c.headerSize + PREV_INUSE);
        c.setFoot(c.at(oldTop, oldSize), c.headerSize);
        c.setHead(oldTop, oldSize + PREV_INUSE + NON_MAIN_ARENA);
        intFreeInternal(m, arena, oldTop, true);
      } else {
        c.setHead(oldTop, oldSize + c.headerSize + PREV_INUSE);
        c.setFoot(oldTop, oldSize + c.headerSize);
      }
    } else if (!triedMmap) {
      const mem = sysmallocMmap(m, nb);
      if (mem !== 0) return mem;
    }
  } else {
    // The main arena: extend the break.
    let size = words.add(words.add(nb, mp.topPad), minSize);
    const contiguous = a.contiguous(arena);
    if (contiguous) size = words.sub(size, oldSize);
    size = signedWord(m.words, size);
    size = alignUp(size, pagesize);
    let brk = 0;
    let sndBrk = 0;
    if (size > 0) brk = morecore(m, size);
    if (brk !== 0) m.explain.serve("sysmalloc brk");
    if (brk === 0) {
      // sysmalloc_mmap_fallback: mmap as MORECORE.
      const fb = p.mmapFallback;
      let fsize = size;
      if (contiguous) fsize = alignUp(fsize + oldSize, fb.align);
      if (m.lt(fsize, fb.min)) fsize = fb.min;
      if (m.lt(nb, fsize) && fsize > 0) {
        const mbrk = m.process.sys.mmap(
          0,
          fsize,
          PROT_READ | PROT_WRITE,
          MAP_PRIVATE | MAP_ANONYMOUS,
          undefined,
          "main arena (mmap instead of brk)",
        );
        if (!isSyscallError(mbrk)) {
          a.setNoncontiguous(arena);
          brk = mbrk;
          sndBrk = brk + fsize;
          size = fsize;
          m.explain.serve("sysmalloc mmap");
        }
      }
    }
    if (brk !== 0) {
      if (mp.sbrkBase === 0) mp.sbrkBase = brk;
      a.setSystemMem(arena, a.systemMem(arena) + size);
      if (brk === oldEnd && sndBrk === 0) {
        c.setHead(oldTop, size + oldSize + PREV_INUSE);
        if (m.explain.enabled) {
          m.explain.arenaStep(oldTop, size + oldSize, `top grown by ${size}`);
        }
      } else if (a.contiguous(arena) && oldSize !== 0 && brk < oldEnd) {
        m.abort("break adjusted to free malloc space", brk);
      } else {
        let frontMisalign = 0;
        let correction = 0;
        let alignedBrk = brk;
        if (a.contiguous(arena)) {
          if (oldSize) a.setSystemMem(arena, a.systemMem(arena) + brk - oldEnd);
          frontMisalign = (brk + c.headerSize) & c.alignMask;
          if (frontMisalign > 0) {
            correction = p.mallocAlignment - frontMisalign;
            alignedBrk += correction;
          }
          correction += oldSize;
          const endMisalign = brk + size + correction;
          correction += alignUp(endMisalign, pagesize) - endMisalign;
          sndBrk = morecore(m, correction);
          if (sndBrk === 0) {
            correction = 0;
            sndBrk = morecore(m, 0);
          }
        } else {
          if (p.mallocAlignment !== 2 * p.sizeSz) {
            frontMisalign = (brk + c.headerSize) & c.alignMask;
            if (frontMisalign > 0) alignedBrk += p.mallocAlignment - frontMisalign;
          }
          if (sndBrk === 0) sndBrk = morecore(m, 0);
        }
        if (sndBrk !== 0) {
          a.setTop(arena, alignedBrk);
          m.mainSegments.push(alignedBrk);
          c.setHead(alignedBrk, sndBrk - alignedBrk + correction + PREV_INUSE);
          a.setSystemMem(arena, a.systemMem(arena) + correction);
          if (m.explain.enabled) {
            m.explain.arenaStep(alignedBrk, sndBrk - alignedBrk + correction, "new top");
          }
          if (oldSize !== 0) {
            oldSize = (oldSize - 2 * c.headerSize) - ((oldSize - 2 * c.headerSize) & c.alignMask);
            c.setHead(oldTop, oldSize + PREV_INUSE);
            c.setHead(c.at(oldTop, oldSize), c.headerSize + PREV_INUSE);
            c.setHead(c.at(oldTop, oldSize + c.headerSize), c.headerSize + PREV_INUSE);
            if (m.le(minSize, oldSize)) intFreeInternal(m, arena, oldTop, true);
          }
        }
      }
    }
  }

  if (m.lt(a.maxSystemMem(arena), a.systemMem(arena))) {
    a.setMaxSystemMem(arena, a.systemMem(arena));
  }

  const top = a.top(arena);
  const size = c.size(top);
  if (m.le(nb + minSize, size)) {
    const remainderSize = size - nb;
    const remainder = c.at(top, nb);
    a.setTop(arena, remainder);
    c.setHead(top, nb + PREV_INUSE + (arena !== m.mainArena ? NON_MAIN_ARENA : 0));
    c.setHead(remainder, withFlag(remainderSize, PREV_INUSE));
    if (m.explain.enabled) m.explain.split(top, nb, { from: "top" });
    m.explain.serve("top");
    return c.toMem(top);
  }
  m.setErrno();
  return 0;
}
