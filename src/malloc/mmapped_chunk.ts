/**
 * Chunks with a mapping of their own (IS_MMAPPED, their offset into the mapping in
 * `prev_size`): glibc's `munmap_chunk`, which unmaps one, and `mremap_chunk`, which resizes one
 * with mremap (it may move). Both check that the chunk's mapping is page-aligned first, with
 * glibc's abort messages.
 *
 * Invariant: `mp_.n_mmaps` and `mp_.mmapped_mem` count exactly the mmapped chunks alive.
 *
 * @module
 */

import { isSyscallError } from "../kernel/errors.ts";
import { MREMAP_MAYMOVE } from "../kernel/vma.ts";
import { maskAlignUp } from "../kernel/word.ts";
import { IS_MMAPPED } from "./chunk.ts";
import type { MallocContext } from "./context.ts";

/** Checks the mapping of an mmapped chunk (munmap_chunk / mremap_chunk). */
function mmappedBlock(
  m: MallocContext,
  chunk: number,
  message: string | undefined,
): [number, number] {
  const c = m.chunks, pagesize = m.profile.pageSize;
  const size = c.size(chunk);
  const offset = c.prevSize(chunk);
  const mem = c.toMem(chunk);
  const block = m.words.sub(chunk, offset);
  // 2.43+: the chunk ends CHUNK_HDR_SZ before the mapping (mmap_size).
  const trailer = m.profile.mmapChunkTrailer ? c.headerSize : 0;
  const total = m.words.add(offset, size + trailer);
  const low = mem % pagesize;
  if (
    message !== undefined &&
    (block % pagesize !== 0 || total % pagesize !== 0 ||
      (m.profile.munmapChunkMemCheck && (low & (low - 1)) !== 0))
  ) {
    m.abort(message, mem);
  }
  return [block, total];
}

/** glibc `munmap_chunk`: unmaps an mmapped chunk. */
export function munmapChunk(m: MallocContext, chunk: number): void {
  const [block, total] = mmappedBlock(m, chunk, "munmap_chunk(): invalid pointer");
  m.params.nMmaps--;
  m.params.mmappedMem -= total;
  m.mmappedChunks.delete(chunk);
  if (m.explain.enabled) {
    m.explain.arenaStep(chunk, total, `munmap ${total}`, { from: "mmap" });
  }
  m.process.sys.munmap(block, total);
}

/**
 * glibc `mremap_chunk (p, new_size)`: resizes an mmapped chunk with mremap (it may move); the
 * chunk or 0 when mremap fails.
 */
export function mremapChunk(m: MallocContext, chunk: number, newSize: number): number {
  const c = m.chunks, pagesize = m.profile.pageSize;
  const check = m.profile.mremapChunkCheck ? "mremap_chunk(): invalid pointer" : undefined;
  const [block, total] = mmappedBlock(m, chunk, check);
  const offset = c.prevSize(chunk);
  const size = c.size(chunk);
  const trailer = m.profile.mmapChunkTrailer ? c.headerSize : 0;
  // size_t arithmetic: a corrupted prev_size can wrap it.
  newSize = maskAlignUp(m.words, m.words.add(newSize, offset + (trailer || c.sizeSz)), pagesize);
  if (total === newSize) return chunk;
  const cp = m.process.sys.mremap(block, total, newSize, MREMAP_MAYMOVE);
  if (isSyscallError(cp)) return 0;
  const np = cp + offset;
  c.setHead(np, newSize - offset - trailer + IS_MMAPPED);
  m.mmappedChunks.delete(chunk);
  m.mmappedChunks.add(np);
  m.params.mmappedMem += newSize - size - offset;
  if (m.params.mmappedMem > m.params.maxMmappedMem) m.params.maxMmappedMem = m.params.mmappedMem;
  if (m.explain.enabled) {
    m.explain.arenaStep(np, newSize - offset, `mremap to ${newSize}`);
  }
  return np;
}
