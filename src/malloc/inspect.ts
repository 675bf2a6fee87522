/**
 * Looking at the allocator from outside, for views and tests: the arenas with their heaps, the
 * chunks of an arena in address order (with the bin that holds each free one), every bin's
 * list, each thread's tcache, the mmapped chunks — all read from simulated memory, never from
 * a shadow copy — and {@link checkArena}, which walks an arena and its bins and throws a
 * {@link HeapCheckError} at the first inconsistency.
 *
 * Invariant: inspection never writes memory and never throws for a corrupted heap except in
 * `checkArena`; walks stop at the first impossible chunk instead of faulting.
 *
 * @module
 */

import type { Thread } from "../kernel/threads.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE, SIZE_BITS } from "./chunk.ts";
import type { HeapRecord, MallocContext } from "./context.ts";
import { arenaList } from "./stats.ts";
import { NBINS, NSMALLBINS } from "./profile.ts";
import { tcacheCount, tcacheList } from "./tcache.ts";

/**
 * A thread heap, as data: its record plus `size` (`heap_info.size`) and
 * `mprotectSize` (the read-write part), both 0 once the heap is unmapped.
 */
export type ThreadHeapInfo = HeapRecord & { readonly size: number; readonly mprotectSize: number };

/** The heaps the allocator created, in creation order, with their current sizes. */
export function threadHeapInfos(m: MallocContext): ThreadHeapInfo[] {
  const s = m.profile.sizeSz;
  return m.heaps.map((h) => ({
    ...h,
    size: h.alive ? safe(() => m.chunks.word(h.start + 2 * s), 0) : 0,
    mprotectSize: h.alive ? safe(() => m.chunks.word(h.start + 3 * s), 0) : 0,
  }));
}

/** An arena, as data. */
export interface ArenaInfo {
  /** Address of its malloc_state. */
  readonly address: number;
  /** The main arena (in libc's data) or a thread arena (in its first heap). */
  readonly isMain: boolean;
  /** Its thread heaps (none for the main arena), oldest first. */
  readonly heaps: readonly ThreadHeapInfo[];
  /** Top chunk. */
  readonly top: number;
  /** Top chunk size. */
  readonly topSize: number;
  /** `system_mem`. */
  readonly systemMem: number;
  /** `attached_threads`. */
  readonly attachedThreads: number;
  /** On the free list (its threads have all exited). */
  readonly onFreeList: boolean;
  /** `flags` has NONCONTIGUOUS_BIT clear. */
  readonly contiguous: boolean;
}

/** What a chunk is, in the walk of an arena. */
export type ChunkState = "in use" | "free" | "tcache" | "fastbin" | "top" | "fencepost";

/** One chunk of an arena walk. */
export interface ChunkInfo {
  /** Chunk address. */
  readonly address: number;
  /** User pointer (address + 2 * SIZE_SZ). */
  readonly mem: number;
  /** Size without flags. */
  readonly size: number;
  /** The raw size word. */
  readonly sizeField: number;
  /** PREV_INUSE. */
  readonly prevInuse: boolean;
  /** IS_MMAPPED. */
  readonly mmapped: boolean;
  /** NON_MAIN_ARENA. */
  readonly nonMainArena: boolean;
  /** What it is. */
  readonly state: ChunkState;
  /** The bin holding it (`tcache 0x20 (tid 1234)`, `fastbin 0x20`, `unsorted`, …). */
  readonly bin?: string;
}

/** One bin list. */
export interface BinInfo {
  /** Bin name. */
  readonly name: string;
  /** Index (fastbin index, regular bin index, or tcache index). */
  readonly index: number;
  /** Chunk addresses from the head (fd order), at most a few thousand. */
  readonly chunks: readonly number[];
  /** The walk stopped early: a cycle, a misaligned or unreadable entry. */
  readonly broken: boolean;
}

/** All bins of an arena. */
export interface BinsInfo {
  /** The arena. */
  readonly arena: number;
  /** Fastbins, by index. */
  readonly fastbins: readonly BinInfo[];
  /** Bin 1. */
  readonly unsorted: BinInfo;
  /** Bins 2..63 that are not empty. */
  readonly smallbins: readonly BinInfo[];
  /** Bins 64..126 that are not empty. */
  readonly largebins: readonly BinInfo[];
  /** Top chunk and its size. */
  readonly top: { readonly address: number; readonly size: number };
  /** `last_remainder`. */
  readonly lastRemainder: number;
  /** The four binmap words. */
  readonly binmap: readonly number[];
}

/** A thread's tcache. */
export interface TcacheInfo {
  /** Thread id. */
  readonly tid: number;
  /** Address of tcache_perthread_struct (0: none yet). */
  readonly address: number;
  /** Non-empty bins. */
  readonly bins: readonly (BinInfo & { readonly count: number })[];
}

/** A chunk that has its own mapping. */
export interface MmappedChunkInfo {
  /** Chunk address. */
  readonly address: number;
  /** User pointer. */
  readonly mem: number;
  /** Chunk size. */
  readonly size: number;
  /** Start of its mapping (address - prev_size). */
  readonly mapping: number;
  /** Length of its mapping (prev_size + size). */
  readonly length: number;
}

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

const VIEW_LIMIT = 4096;

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** The arenas, main first. */
export function arenaInfos(m: MallocContext): ArenaInfo[] {
  if (!m.initialized) return [];
  const a = m.arenas, c = m.chunks;
  const free = new Set<number>();
  for (let f = m.freeList, n = 0; f !== 0 && n < VIEW_LIMIT; n++) {
    free.add(f);
    f = safe(() => a.nextFree(f), 0);
  }
  const heaps = threadHeapInfos(m);
  return safe(() => arenaList(m), [m.mainArena]).map((arena) => {
    const top = a.top(arena);
    return {
      address: arena,
      isMain: arena === m.mainArena,
      heaps: heaps.filter((h) => h.arena === arena && h.alive),
      top,
      topSize: safe(() => c.size(top), 0),
      systemMem: a.systemMem(arena),
      attachedThreads: a.attachedThreads(arena),
      onFreeList: free.has(arena),
      contiguous: a.contiguous(arena),
    };
  });
}

function walkList(
  name: string,
  index: number,
  first: number,
  next: (q: number) => number,
  stop: number,
): BinInfo {
  const chunks: number[] = [];
  const seen = new Set<number>();
  let broken = false;
  let q = first;
  while (q !== stop && q !== 0) {
    if (seen.has(q) || chunks.length >= VIEW_LIMIT) {
      broken = true;
      break;
    }
    seen.add(q);
    chunks.push(q);
    const n = safe(() => next(q), -1);
    if (n === -1) {
      broken = true;
      break;
    }
    q = n;
  }
  return { name, index, chunks, broken };
}

/** Every bin of an arena. */
export function binsInfo(m: MallocContext, arena: number): BinsInfo {
  const a = m.arenas, c = m.chunks, b = m.bins, p = m.profile;
  const fastbins: BinInfo[] = [];
  for (let i = 0; i < p.nFastbins; i++) {
    fastbins.push(
      walkList(b.fastbinName(i), i, a.fastbin(arena, i), (q) => c.reveal(q + 2 * c.sizeSz), 0),
    );
  }
  const regular = (i: number) => {
    const bin = a.binAt(arena, i);
    return walkList(b.binName(i), i, c.fd(bin), (q) => c.fd(q), bin);
  };
  const smallbins: BinInfo[] = [], largebins: BinInfo[] = [];
  for (let i = 2; i < NBINS; i++) {
    const v = regular(i);
    if (v.chunks.length === 0) continue;
    (i < NSMALLBINS ? smallbins : largebins).push(v);
  }
  const top = a.top(arena);
  return {
    arena,
    fastbins,
    unsorted: regular(1),
    smallbins,
    largebins,
    top: { address: top, size: safe(() => c.size(top), 0) },
    lastRemainder: a.lastRemainder(arena),
    binmap: [0, 1, 2, 3].map((i) => a.binmap(arena, i)),
  };
}

/** The tcache of a thread. */
export function tcacheInfo(m: MallocContext, thread: Thread): TcacheInfo {
  const tcache = m.hasTls(thread) ? m.tls(thread).tcache : 0;
  const bins: (BinInfo & { count: number })[] = [];
  if (tcache !== 0) {
    for (let i = 0; i < m.profile.tcacheMaxBins; i++) {
      const count = tcacheCount(m, tcache, i);
      const entries = safe(() => tcacheList(m, tcache, i, VIEW_LIMIT), []);
      if (count === 0 && entries.length === 0) continue;
      bins.push({
        name: m.bins.tcacheName(i),
        index: i,
        chunks: entries.map((e) => e - 2 * m.profile.sizeSz),
        broken: entries.length !== count,
        count,
      });
    }
  }
  return { tid: thread.tid, address: tcache, bins };
}

/** Where every cached or binned chunk is, by chunk address. */
function binMembership(m: MallocContext, arena: number): Map<number, string> {
  const where = new Map<number, string>();
  const bins = binsInfo(m, arena);
  for (const f of bins.fastbins) for (const q of f.chunks) where.set(q, f.name);
  for (const v of [bins.unsorted, ...bins.smallbins, ...bins.largebins]) {
    for (const q of v.chunks) where.set(q, v.name);
  }
  for (const t of m.process.threads) {
    if (t.state !== "running" || !m.hasTls(t)) continue;
    for (const v of tcacheInfo(m, t).bins) {
      for (const q of v.chunks) where.set(q, `${v.name} (tid ${t.tid})`);
    }
  }
  return where;
}

/** The address ranges holding an arena's chunks: [first chunk, end] pairs. */
function arenaRegions(m: MallocContext, arena: number): [number, number][] {
  const p = m.profile, c = m.chunks;
  if (arena === m.mainArena) {
    const top = m.arenas.top(arena);
    const topEnd = top + safe(() => c.size(top), 0);
    const out: [number, number][] = [];
    m.mainSegments.forEach((start, i) => {
      const next = m.mainSegments[i + 1];
      out.push([start, next === undefined ? topEnd : Infinity]);
    });
    return out;
  }
  const out: [number, number][] = [];
  for (const h of m.heaps) {
    if (h.arena !== arena || !h.alive) continue;
    let start = h.start + p.heapInfoSize;
    if (arena === start) {
      start = arena + p.arena.size;
      const mis = (start + c.headerSize) & c.alignMask;
      if (mis) start += p.mallocAlignment - mis;
    }
    out.push([start, h.start + c.word(h.start + 2 * p.sizeSz)]);
  }
  return out;
}

/** The chunks of an arena in address order, heap by heap. */
export function chunkInfos(m: MallocContext, arena: number): ChunkInfo[] {
  if (!m.initialized) return [];
  const c = m.chunks, a = m.arenas;
  const where = binMembership(m, arena);
  const top = a.top(arena);
  const out: ChunkInfo[] = [];
  for (const [start, end] of arenaRegions(m, arena)) {
    let q = start;
    let n = 0;
    while (q < end && n++ < 1 << 20) {
      const field = safe(() => c.sizeField(q), -1);
      if (field === -1) break;
      const size = field - (field & SIZE_BITS);
      let state: ChunkState;
      let bin: string | undefined;
      if (q === top) state = "top";
      else if (size <= c.headerSize) state = "fencepost";
      else {
        bin = where.get(q);
        const nextInuse = safe(() => c.inuseAt(q, size), true);
        state = bin?.startsWith("tcache")
          ? "tcache"
          : bin?.startsWith("fastbin")
          ? "fastbin"
          : nextInuse
          ? "in use"
          : "free";
      }
      out.push({
        address: q,
        mem: q + c.headerSize,
        size,
        sizeField: field,
        prevInuse: (field & PREV_INUSE) !== 0,
        mmapped: (field & IS_MMAPPED) !== 0,
        nonMainArena: (field & NON_MAIN_ARENA) !== 0,
        state,
        bin,
      });
      if (state === "top" || size === 0 || size < 0) break;
      if (state === "fencepost" && end === Infinity) break;
      q += size;
    }
  }
  return out;
}

/** The mmapped chunks the allocator handed out and has not unmapped. */
export function mmappedChunkInfos(m: MallocContext): MmappedChunkInfo[] {
  const c = m.chunks;
  return [...m.mmappedChunks].sort((x, y) => x - y).map((q) => {
    const size = c.size(q), prev = c.prevSize(q);
    return { address: q, mem: q + c.headerSize, size, mapping: q - prev, length: prev + size };
  });
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
 * import { checkArena } from "./inspect.ts";
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
