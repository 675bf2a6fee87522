/**
 * Resizing (glibc `__libc_realloc`, `_int_realloc`): realloc(p, 0) frees; realloc(NULL, n)
 * mallocs; an mmapped chunk is resized with mremap; a heap chunk shrinks in place (splitting
 * off and freeing the tail), grows in place into the top or a free next chunk, or moves
 * (malloc, copy, free).
 *
 * Invariant: the first `min(old usable size, new size)` bytes of the block are preserved.
 *
 * @module
 */

import { NON_MAIN_ARENA, PREV_INUSE } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { NO_HOOK, runHook } from "./hooks.ts";
import { intFreeInternal } from "./free.ts";
import { libcFree, libcMalloc, maybeInitTcache } from "./libc_malloc.ts";
import { checkedRequest2size, intMalloc } from "./malloc.ts";
import { mremapChunk, munmapChunk } from "./mmapped_chunk.ts";
import { unlinkChunk } from "./unlink.ts";

/**
 * Copies `n` bytes (memcpy), leaving pages that are zero on both sides untouched so that a
 * large copy of never-written memory costs no simulated pages.
 */
function copyBytes(m: MallocContext, dst: number, src: number, n: number): void {
  const BLOCK = 1 << 20;
  for (let done = 0; done < n; done += BLOCK) {
    copyBlock(m, dst + done, src + done, Math.min(BLOCK, n - done));
  }
}

function copyBlock(m: MallocContext, dst: number, src: number, n: number): void {
  const memory = m.memory;
  // memcpy reads the whole source: a fault there comes before any write.
  memory.checkAccess(src, n, "read");
  const PAGE = 4096;
  // Destination page by destination page: runs of zero pages are written with one fill, which
  // creates no page that was never touched; other pages are copied page view to page view
  // (Memory.copy). Untouched source pages read as zero without being created.
  let zeroFrom = -1;
  for (let start = 0; start < n;) {
    const end = Math.min(n, start + PAGE - ((dst + start) % PAGE));
    if (memory.isZero(src + start, end - start)) {
      if (zeroFrom < 0) zeroFrom = start;
    } else {
      if (zeroFrom >= 0) memory.fill(dst + zeroFrom, start - zeroFrom, 0);
      zeroFrom = -1;
      memory.copy(dst + start, src + start, end - start);
    }
    start = end;
  }
  if (zeroFrom >= 0) memory.fill(dst + zeroFrom, n - zeroFrom, 0);
}

/** glibc `memsize (p)` / `musable`: the usable bytes of an in-use chunk. */
export function usableSize(m: MallocContext, mem: number): number {
  const c = m.chunks;
  const p = c.fromMem(mem);
  if (c.isMmapped(p)) return c.size(p) - c.headerSize + (m.profile.mmapChunkTrailer ? c.sizeSz : 0);
  if (c.inuse(p)) return c.size(p) - c.headerSize + c.sizeSz;
  return 0;
}

/**
 * glibc `__libc_realloc (oldmem, bytes)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const p = heap.malloc(100);
 * assert.equal(heap.realloc(p, 50), p); // shrunk in place
 * ```
 */
export function libcRealloc(m: MallocContext, oldmem: number, bytes: number): number {
  const c = m.chunks, p = m.profile;
  const hooked = runHook(m, "__realloc_hook", "realloc", oldmem, bytes);
  if (hooked !== NO_HOOK) return hooked;
  if (bytes === 0 && oldmem !== 0) {
    libcFree(m, oldmem);
    return 0;
  }
  if (oldmem === 0) return libcMalloc(m, bytes);
  const oldp = c.fromMem(oldmem);
  if (p.reallocUsableShortcut) {
    const usable = usableSize(m, oldmem);
    if (m.le(bytes, usable)) {
      const difference = usable - bytes;
      const mmappedSlack = !p.mmapChunkTrailer && c.isMmapped(oldp) && difference <= p.pageSize;
      if (difference < 2 * p.sizeSz || mmappedSlack) {
        m.explain.serve("in place (usable size)");
        return oldmem;
      }
    }
  }
  const oldsize = c.size(oldp);
  let arena = 0;
  if (!c.isMmapped(oldp)) {
    maybeInitTcache(m, "free");
    arena = m.arenaForChunk(oldp);
    m.explain.arena(arena);
  }
  if (m.lt(m.words.sub(0, oldsize), oldp) || c.misaligned(oldp)) {
    m.abort("realloc(): invalid pointer", oldmem);
  }
  const nb = checkedRequest2size(m, bytes);
  if (nb === 0) {
    m.setErrno();
    return 0;
  }
  if (c.isMmapped(oldp)) {
    const newp = mremapChunk(m, oldp, nb);
    if (newp !== 0) {
      m.explain.serve("mremap");
      return c.toMem(newp);
    }
    const usable = usableSize(m, oldmem);
    if (p.mmapChunkTrailer ? m.le(bytes, usable) : m.le(nb, oldsize - p.sizeSz)) return oldmem;
    const newmem = libcMalloc(m, bytes);
    if (newmem === 0) return 0;
    copyBytes(m, newmem, oldmem, usable);
    munmapChunk(m, oldp);
    return newmem;
  }
  if (m.singleThread) return intRealloc(m, arena, oldp, oldsize, nb);
  let newp = intRealloc(m, arena, oldp, oldsize, nb);
  if (newp === 0) {
    newp = libcMalloc(m, bytes);
    if (newp !== 0) {
      copyBytes(m, newp, oldmem, usableSize(m, oldmem));
      intFreeInternal(m, arena, oldp, false);
    }
  }
  return newp;
}

/** glibc `_int_realloc (arena, oldp, oldsize, nb)`: the user pointer or 0. */
function intRealloc(
  m: MallocContext,
  arena: number,
  oldp: number,
  oldsize: number,
  nb: number,
): number {
  const c = m.chunks, a = m.arenas, p = m.profile, ex = m.explain;
  const nonMain = arena !== m.mainArena ? NON_MAIN_ARENA : 0;
  if (
    m.le(c.sizeField(oldp), c.headerSize) || m.le(a.systemMem(arena), oldsize) ||
    (p.reallocOldSizeCheck && oldsize !== c.size(oldp))
  ) {
    m.abort("realloc(): invalid old size", c.toMem(oldp));
  }
  const next = c.at(oldp, oldsize);
  const nextsize = c.size(next);
  if (m.le(c.sizeField(next), c.headerSize) || m.le(a.systemMem(arena), nextsize)) {
    m.abort("realloc(): invalid next size", c.toMem(oldp));
  }
  let newp: number, newsize: number;
  if (m.le(nb, oldsize)) {
    newp = oldp;
    newsize = oldsize;
    ex.serve("in place");
  } else {
    const top = a.top(arena);
    if (next === top && m.le(nb + p.minSize, newsize = oldsize + nextsize)) {
      c.setHeadSize(oldp, nb + nonMain);
      a.setTop(arena, c.at(oldp, nb));
      c.setHead(a.top(arena), newsize - nb + PREV_INUSE);
      if (ex.enabled) ex.merge(oldp, nb, { from: "top", note: "grown into top" });
      ex.serve("grown into top");
      return c.toMem(oldp);
    } else if (next !== top && !c.inuse(next) && m.le(nb, newsize = oldsize + nextsize)) {
      newp = oldp;
      unlinkChunk(m, arena, next);
      if (ex.enabled) {
        ex.merge(oldp, newsize, { from: m.bins.nameForSize(nextsize), note: "grown into next" });
      }
      ex.serve("grown into next chunk");
    } else {
      const newmem = intMalloc(m, arena, nb - c.alignMask);
      if (newmem === 0) return 0;
      newp = c.fromMem(newmem);
      newsize = c.size(newp);
      if (newp === next) {
        newsize += oldsize;
        newp = oldp;
        ex.overrideServed("grown into next chunk");
      } else {
        const oldmem = c.toMem(oldp);
        copyBytes(m, newmem, oldmem, oldsize - c.headerSize + c.sizeSz);
        intFreeInternal(m, arena, oldp, true);
        // The path name is built only for a record (explain off builds nothing).
        if (ex.current) ex.overrideServed(`moved (${ex.current.served || "malloc"})`);
        return newmem;
      }
    }
  }
  const remainderSize = newsize - nb;
  if (remainderSize < p.minSize) {
    c.setHeadSize(newp, newsize + nonMain);
    c.setInuseAt(newp, newsize);
  } else {
    const remainder = c.at(newp, nb);
    c.setHeadSize(newp, nb + nonMain);
    c.setHead(remainder, remainderSize + PREV_INUSE + nonMain);
    c.setInuseAt(remainder, remainderSize);
    if (ex.enabled) ex.split(newp, nb, { note: "tail freed" });
    intFreeInternal(m, arena, remainder, true);
  }
  return c.toMem(newp);
}
