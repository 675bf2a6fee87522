/**
 * Taking a chunk off a doubly linked bin (glibc `unlink_chunk`, the `unlink` macro before
 * 2.29): the safe-unlinking checks, then the fd/bk splice, and for a large chunk that heads a
 * run of equal sizes the repair of the fd_nextsize/bk_nextsize skip list.
 *
 * Invariant: after a successful unlink the bin no longer reaches `p`, and the skip list of a
 * large bin still links exactly one chunk of each size present.
 *
 * @module
 */

import type { MallocContext } from "./context.ts";

/**
 * glibc `unlink_chunk (arena, p)`.
 *
 * @example
 * ```ts
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { unlinkChunk } from "./unlink.ts";
 * import assert from "node:assert/strict";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const a = heap.malloc(0x500), guard = heap.malloc(16);
 * heap.free(a); // into the unsorted bin
 * assert.equal(heap.bins().unsorted.chunks.length, 1);
 * unlinkChunk(heap.context, heap.context.mainArena, a - 16);
 * assert.equal(heap.bins().unsorted.chunks.length, 0);
 * ```
 */
export function unlinkChunk(m: MallocContext, _arena: number, p: number): void {
  const c = m.chunks;
  // chunksize (p) once for the test and next_chunk (p): nothing is stored between the two.
  if (m.profile.unlinkSizeCheck && prevSizeMismatch(m, p)) {
    m.abort("corrupted size vs. prev_size", p);
  }
  const fd = c.fd(p);
  const bk = c.bk(p);
  if (c.bk(fd) !== p || c.fd(bk) !== p) m.abort("corrupted double-linked list", p);
  c.setBk(fd, bk);
  c.setFd(bk, fd);
  if (!m.bins.inSmallbinRange(c.sizeField(p)) && c.fdNextsize(p) !== 0) {
    const fdn = c.fdNextsize(p), bkn = c.bkNextsize(p);
    if (c.bkNextsize(fdn) !== p || c.fdNextsize(bkn) !== p) {
      m.abort("corrupted double-linked list (not small)", p);
    }
    if (c.fdNextsize(fd) === 0) {
      if (fdn === p) {
        c.setFdNextsize(fd, fd);
        c.setBkNextsize(fd, fd);
      } else {
        c.setFdNextsize(fd, fdn);
        c.setBkNextsize(fd, bkn);
        c.setBkNextsize(fdn, fd);
        c.setFdNextsize(bkn, fd);
      }
    } else {
      c.setBkNextsize(fdn, bkn);
      c.setFdNextsize(bkn, fdn);
    }
  }
}

/** glibc `chunksize (p) != prev_size (next_chunk (p))`, reading p's size word once. */
function prevSizeMismatch(m: MallocContext, p: number): boolean {
  const c = m.chunks;
  const size = c.size(p);
  return size !== c.prevSize(c.at(p, size));
}
