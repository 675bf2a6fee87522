/**
 * malloc_trim (glibc `__malloc_trim`, `mtrim`): for every arena, consolidate the fastbins,
 * give the whole unused pages inside free chunks back with MADV_DONTNEED, and for the main
 * arena shrink the break (systrim) down to `pad` bytes of slack above the top chunk's start.
 *
 * Invariant: trimming never changes which chunks are free or in use, nor where they are.
 *
 * @module
 */

import { MADV_DONTNEED } from "../kernel/address_space.ts";
import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { mallocConsolidate } from "./free.ts";
import { ptmallocInit } from "./libc_malloc.ts";
import { NBINS } from "./profile.ts";
import { systrim } from "./morecore.ts";

/** glibc `mtrim (arena, pad)`: 1 if anything was released. */
export function mtrim(m: MallocContext, arena: number, pad: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile;
  mallocConsolidate(m, arena);
  const ps = p.pageSize, psm1 = ps - 1;
  const psindex = m.bins.binIndex(ps);
  const chunkStruct = 6 * p.sizeSz;
  let result = 0;
  for (let i = 1; i < NBINS; i++) {
    if (i !== 1 && i < psindex) continue;
    const bin = a.binAt(arena, i);
    let steps = 0;
    for (let q = c.bk(bin); q !== bin; q = c.bk(q)) {
      if (++steps > LOOP_LIMIT) throw new HeapLoopError(m.bins.binName(i), "mtrim", q, steps);
      let size = c.size(q);
      if (size > psm1 + chunkStruct) {
        const paligned = Math.floor((q + chunkStruct + psm1) / ps) * ps;
        size -= paligned - q;
        if (size > psm1) {
          m.process.sys.madvise(paligned, size - (size % ps), MADV_DONTNEED);
          result = 1;
        }
      }
    }
  }
  return result | (arena === m.mainArena ? systrim(m, pad, arena) : 0);
}

/**
 * glibc `__malloc_trim (pad)`: mtrim on every arena, main arena first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const p = heap.malloc(100_000);
 * heap.free(p);
 * assert.equal(heap.mallocTrim(0), 1); // the break went down
 * ```
 */
export function mallocTrim(m: MallocContext, pad: number): number {
  ptmallocInit(m);
  let result = 0;
  let arena = m.mainArena;
  let steps = 0;
  do {
    result |= mtrim(m, arena, pad);
    arena = m.arenas.next(arena);
    if (++steps > LOOP_LIMIT) throw new HeapLoopError("arena list", "malloc_trim", arena, steps);
  } while (arena !== m.mainArena);
  return result;
}
