/**
 * Thread heaps (glibc arena.c: `heap_info`, `new_heap`, `grow_heap`, `shrink_heap`,
 * `heap_trim`). A thread arena's memory comes in heaps: each is a HEAP_MAX_SIZE-aligned
 * reservation of HEAP_MAX_SIZE bytes, mapped PROT_NONE and made read-write from the bottom up
 * as the heap grows. `heap_info` sits at the start:
 *
 * ```
 *   +0         ar_ptr         the arena
 *   +SIZE_SZ   prev           the arena's previous heap (0 for its first)
 *   +2*SIZE_SZ size           bytes in use by the heap
 *   +3*SIZE_SZ mprotect_size  bytes made PROT_READ|PROT_WRITE
 *   +4*SIZE_SZ pagesize       (2.35+) the page size the heap was made with
 * ```
 *
 * Invariant: `size <= mprotect_size <= HEAP_MAX_SIZE`, both page multiples; the heap's chunks
 * run from the end of heap_info (or of the arena, in its first heap) up to `size`, the last one
 * being the arena's top or a fencepost pair when the arena has moved on to a newer heap.
 *
 * @module
 */

import { isSyscallError } from "../kernel/errors.ts";
import { MADV_DONTNEED } from "../kernel/address_space.ts";
import { maskAlignDown, maskAlignUp, signedWord } from "../kernel/word.ts";
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../kernel/vma.ts";
import { PREV_INUSE } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { unlinkChunk } from "./unlink.ts";

/** heap_info field offsets, in words. */
const AR_PTR = 0, PREV = 1, SIZE = 2, MPROTECT_SIZE = 3, PAGESIZE = 4;

/** Reads a heap_info field. */
function field(m: MallocContext, heap: number, f: number): number {
  return m.chunks.word(heap + f * m.profile.sizeSz);
}

function setField(m: MallocContext, heap: number, f: number, v: number): void {
  m.chunks.setWord(heap + f * m.profile.sizeSz, v);
}

/** heap_info of a heap, as read from memory. */
export interface HeapInfo {
  /** Address (the heap's start). */
  readonly address: number;
  /** `ar_ptr`. */
  readonly arena: number;
  /** `prev`. */
  readonly prev: number;
  /** `size`. */
  readonly size: number;
  /** `mprotect_size`. */
  readonly mprotectSize: number;
  /** `pagesize` (the page size on versions without the field). */
  readonly pagesize: number;
}

/**
 * Reads the heap_info at `heap`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { readHeapInfo } from "./heap.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const heap = new Allocator(proc, { glibc: "2.36" });
 * const t = proc.pthreadCreate();
 * proc.runOn(t, () => heap.malloc(1000));
 * assert.equal(readHeapInfo(heap.context, heap.heaps()[0].start).size, 0x21000);
 * ```
 */
export function readHeapInfo(m: MallocContext, heap: number): HeapInfo {
  return {
    address: heap,
    arena: field(m, heap, AR_PTR),
    prev: field(m, heap, PREV),
    size: field(m, heap, SIZE),
    mprotectSize: field(m, heap, MPROTECT_SIZE),
    pagesize: m.profile.heapInfoHasPagesize ? field(m, heap, PAGESIZE) : m.profile.pageSize,
  };
}

/** `heap->size`. */
export function heapSize(m: MallocContext, heap: number): number {
  return field(m, heap, SIZE);
}

/** Sets `heap->ar_ptr` and `heap->prev`. */
export function setHeapOwner(m: MallocContext, heap: number, arena: number, prev: number): void {
  setField(m, heap, AR_PTR, arena);
  setField(m, heap, PREV, prev);
}

function heapPagesize(m: MallocContext, heap: number): number {
  return m.profile.heapInfoHasPagesize ? field(m, heap, PAGESIZE) : m.profile.pageSize;
}

function mmap(m: MallocContext, addr: number, size: number, prot: number, flags: number): number {
  return m.process.sys.mmap(
    addr,
    size,
    prot,
    flags | MAP_ANONYMOUS | MAP_PRIVATE,
    undefined,
    "thread arena heap",
  );
}

/**
 * glibc `new_heap (size, top_pad)` (`alloc_new_heap` from 2.35): reserves a HEAP_MAX_SIZE-aligned
 * heap — first at `aligned_heap_area` if a previous reservation left one, else by mapping twice
 * HEAP_MAX_SIZE and unmapping the misaligned ends — and makes its first `size` bytes (plus
 * top_pad, at least HEAP_MIN_SIZE) read-write. Returns the heap's address or 0.
 */
export function newHeap(m: MallocContext, size: number, topPad: number): number {
  const p = m.profile;
  const max = p.heapMaxSize, pagesize = p.pageSize;
  const sum = m.words.add(size, topPad);
  if (m.lt(sum, p.heapMinSize)) size = p.heapMinSize;
  else if (m.le(sum, max)) size = sum;
  else if (m.lt(max, size)) return 0;
  else size = max;
  size = Math.ceil(size / pagesize) * pagesize;
  const flags = p.heapReserveNoReserve ? MAP_NORESERVE : 0;
  const sys = m.process.sys;
  let p2 = -1;
  if (m.alignedHeapArea) {
    p2 = mmap(m, m.alignedHeapArea, max, PROT_NONE, flags);
    m.alignedHeapArea = 0;
    if (!isSyscallError(p2) && p2 % max !== 0) {
      sys.munmap(p2, max);
      p2 = -1;
    }
  }
  if (isSyscallError(p2)) {
    const p1 = mmap(m, 0, max * 2, PROT_NONE, flags);
    if (!isSyscallError(p1)) {
      p2 = Math.ceil(p1 / max) * max;
      const ul = p2 - p1;
      if (ul) sys.munmap(p1, ul);
      else m.alignedHeapArea = p2 + max;
      sys.munmap(p2 + max, max - ul);
    } else {
      p2 = mmap(m, 0, max, PROT_NONE, flags);
      if (isSyscallError(p2)) return 0;
      if (p2 % max !== 0) {
        sys.munmap(p2, max);
        return 0;
      }
    }
  }
  if (sys.mprotect(p2, size, PROT_READ | PROT_WRITE) !== 0) {
    sys.munmap(p2, max);
    return 0;
  }
  setField(m, p2, SIZE, size);
  setField(m, p2, MPROTECT_SIZE, size);
  if (p.heapInfoHasPagesize) setField(m, p2, PAGESIZE, pagesize);
  if (m.explain.enabled) m.explain.arenaStep(p2, size, "new heap");
  return p2;
}

/** Records a heap the allocator created, for inspection. */
export function registerHeap(m: MallocContext, heap: number, arena: number): void {
  m.heaps.push({ start: heap, arena, alive: true, number: m.heaps.length + 1 });
}

/**
 * glibc `grow_heap (h, diff)`: extends the heap by `diff` bytes rounded up to pages,
 * mprotecting more of the reservation when needed. 0 on success, -1 when the heap would
 * exceed HEAP_MAX_SIZE, -2 when mprotect fails.
 */
export function growHeap(m: MallocContext, heap: number, diff: number): number {
  const pagesize = heapPagesize(m, heap);
  diff = maskAlignUp(m.words, diff, pagesize);
  const newSize = field(m, heap, SIZE) + diff;
  if (m.lt(m.profile.heapMaxSize, newSize)) return -1;
  const mprotectSize = field(m, heap, MPROTECT_SIZE);
  if (m.lt(mprotectSize, newSize)) {
    const r = m.process.sys.mprotect(
      heap + mprotectSize,
      newSize - mprotectSize,
      PROT_READ | PROT_WRITE,
    );
    if (r !== 0) return -2;
    setField(m, heap, MPROTECT_SIZE, newSize);
  }
  setField(m, heap, SIZE, newSize);
  return 0;
}

/**
 * glibc `shrink_heap (h, diff)`: gives back the heap's last `diff` bytes — MADV_DONTNEED, or
 * (vm.overcommit_memory 2) a PROT_NONE mapping over them. 0 on success.
 */
function shrinkHeap(m: MallocContext, heap: number, diff: number): number {
  // (long) h->size - diff: signed, so a size word a corruption set from 2^31 up (i386) stops it.
  const newSize = signedWord(m.words, field(m, heap, SIZE)) - diff;
  if (newSize < m.profile.heapInfoSize) return -1;
  if (m.process.kernel.overcommitMemory === 2) {
    const r = m.process.sys.mmap(
      m.words.add(heap, newSize),
      diff,
      PROT_NONE,
      MAP_FIXED | MAP_ANONYMOUS | MAP_PRIVATE,
      undefined,
      "thread arena heap",
    );
    if (isSyscallError(r)) return -2;
    setField(m, heap, MPROTECT_SIZE, newSize);
  } else {
    m.process.sys.madvise(m.words.add(heap, newSize), diff, MADV_DONTNEED);
  }
  setField(m, heap, SIZE, newSize);
  return 0;
}

/**
 * glibc `heap_trim (heap, pad)`: while the arena's top chunk is the whole of its newest heap
 * (right after heap_info), unmaps that heap and makes the previous heap's last free space the
 * top again; then gives back the top's unused pages above `pad` with {@link shrinkHeap}.
 * Returns 1 if memory was released.
 */
export function heapTrim(m: MallocContext, heap: number, pad: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile;
  const arena = field(m, heap, AR_PTR);
  let top = a.top(arena);
  const max = p.heapMaxSize, minSize = p.minSize, s = p.sizeSz;
  while (top === heap + p.heapInfoSize) {
    const prevHeap = field(m, heap, PREV);
    const prevSize = field(m, prevHeap, SIZE) - (minSize - 2 * s);
    let q = prevHeap + prevSize;
    const misalign = q & c.alignMask;
    q = prevHeap + prevSize - misalign;
    if (c.sizeField(q) !== (0 | PREV_INUSE)) {
      m.assertFail("heapTrimFencepost", q);
    }
    q = c.at(q, -c.prevSize(q));
    let newSize = c.size(q) + (minSize - 2 * s) + misalign;
    if (!c.prevInuse(q)) newSize += c.prevSize(q);
    if (newSize + (max - field(m, prevHeap, SIZE)) < pad + minSize + heapPagesize(m, heap)) break;
    a.setSystemMem(arena, a.systemMem(arena) - field(m, heap, SIZE));
    if (heap + max === m.alignedHeapArea) m.alignedHeapArea = 0;
    m.process.sys.munmap(heap, max);
    const rec = m.heaps.find((h) => h.start === heap && h.alive);
    if (rec) rec.alive = false;
    if (m.explain.enabled) {
      m.explain.arenaStep(heap, max, "heap unmapped (heap_trim)");
    }
    heap = prevHeap;
    if (!c.prevInuse(q)) {
      q = c.at(q, -c.prevSize(q));
      unlinkChunk(m, arena, q);
    }
    a.setTop(arena, q);
    top = q;
    c.setHead(top, newSize + PREV_INUSE);
  }
  const topSize = c.size(top);
  if (m.lt(topSize, m.params.trimThreshold)) return 0;
  const topArea = topSize - minSize - 1;
  if (topArea < 0 || m.le(topArea, pad)) return 0;
  const pagesize = heapPagesize(m, heap);
  const extra = maskAlignDown(m.words, topArea - pad, pagesize);
  if (extra === 0) return 0;
  if (shrinkHeap(m, heap, extra) !== 0) return 0;
  a.setSystemMem(arena, a.systemMem(arena) - extra);
  c.setHead(top, topSize - extra + PREV_INUSE);
  if (m.explain.enabled) {
    m.explain.arenaStep(top, topSize - extra, `heap shrunk by ${extra}`);
  }
  return 1;
}
