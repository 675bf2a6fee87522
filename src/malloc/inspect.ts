/**
 * Looking at the allocator from outside, for views and tests: the arenas with their heaps, the
 * chunks of an arena in address order (with the bin that holds each free one), every bin's
 * list, each thread's tcache, the mmapped chunks — all read from simulated memory, never from
 * a shadow copy. (`check_arena.ts` checks them.)
 *
 * Invariant: inspection never writes memory and never throws for a corrupted heap; walks stop
 * at the first impossible chunk instead of faulting.
 *
 * @module
 */

import { SegmentationFault } from "../kernel/errors.ts";
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
export type ChunkState =
  | "in use"
  | "free"
  | "tcache"
  | "fastbin"
  | "top"
  | "fencepost"
  | "unreadable";

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
  /** For an `unreadable` chunk: `cannot read 0x… (SEGV_ACCERR)`; the walk stops there. */
  readonly fault?: string;
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
  /** Why an entry could not be read (`cannot read 0x… (SEGV_MAPERR)`), if that stopped it. */
  readonly fault?: string;
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
  /** Its header could not be read: `cannot read 0x… (SEGV_ACCERR)`. */
  readonly fault?: string;
}

const VIEW_LIMIT = 4096;

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * What a view shows for memory it cannot read: `cannot read 0x… (SEGV_ACCERR)` for a fault,
 * the error's message for anything else a corrupted heap can make a walk throw.
 */
function faultText(e: unknown): string {
  if (e instanceof SegmentationFault) {
    return `cannot read 0x${e.exactAddress.toString(16)} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** `fn()`, or its fault as text. */
function attempt<T>(fn: () => T): { value: T; fault?: undefined } | { fault: string } {
  try {
    return { value: fn() };
  } catch (e) {
    return { fault: faultText(e) };
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
    const top = safe(() => a.top(arena), 0);
    return {
      address: arena,
      isMain: arena === m.mainArena,
      heaps: heaps.filter((h) => h.arena === arena && h.alive),
      top,
      topSize: safe(() => c.size(top), 0),
      systemMem: safe(() => a.systemMem(arena), 0),
      attachedThreads: safe(() => a.attachedThreads(arena), 0),
      onFreeList: free.has(arena),
      contiguous: safe(() => a.contiguous(arena), true),
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
  let fault: string | undefined;
  let q = first;
  while (q !== stop && q !== 0) {
    if (seen.has(q) || chunks.length >= VIEW_LIMIT) {
      broken = true;
      break;
    }
    seen.add(q);
    chunks.push(q);
    const n = attempt(() => next(q));
    if (n.fault !== undefined) {
      broken = true;
      fault = n.fault;
      break;
    }
    q = n.value;
  }
  return fault === undefined
    ? { name, index, chunks, broken }
    : { name, index, chunks, broken, fault };
}

/** A bin whose head cannot be read. */
function unreadableBin(name: string, index: number, e: unknown): BinInfo {
  return { name, index, chunks: [], broken: true, fault: faultText(e) };
}

/** Every bin of an arena. */
export function binsInfo(m: MallocContext, arena: number): BinsInfo {
  const a = m.arenas, c = m.chunks, b = m.bins, p = m.profile;
  const fastbins: BinInfo[] = [];
  for (let i = 0; i < p.nFastbins; i++) {
    let head: number;
    try {
      head = a.fastbin(arena, i);
    } catch (e) {
      fastbins.push(unreadableBin(b.fastbinName(i), i, e));
      continue;
    }
    fastbins.push(walkList(b.fastbinName(i), i, head, (q) => c.reveal(q + 2 * c.sizeSz), 0));
  }
  const regular = (i: number) => {
    const bin = a.binAt(arena, i);
    let head: number;
    try {
      head = c.fd(bin);
    } catch (e) {
      return unreadableBin(b.binName(i), i, e);
    }
    return walkList(b.binName(i), i, head, (q) => c.fd(q), bin);
  };
  const smallbins: BinInfo[] = [], largebins: BinInfo[] = [];
  for (let i = 2; i < NBINS; i++) {
    const v = regular(i);
    if (v.chunks.length === 0) continue;
    (i < NSMALLBINS ? smallbins : largebins).push(v);
  }
  const top = safe(() => a.top(arena), 0);
  return {
    arena,
    fastbins,
    unsorted: regular(1),
    smallbins,
    largebins,
    top: { address: top, size: safe(() => c.size(top), 0) },
    lastRemainder: safe(() => a.lastRemainder(arena), 0),
    binmap: [0, 1, 2, 3].map((i) => safe(() => a.binmap(arena, i), 0)),
  };
}

/** The tcache of a thread. */
export function tcacheInfo(m: MallocContext, thread: Thread): TcacheInfo {
  const tcache = m.hasTls(thread) ? m.tls(thread).tcache : 0;
  const bins: (BinInfo & { count: number })[] = [];
  if (tcache !== 0) {
    for (let i = 0; i < m.profile.tcacheMaxBins; i++) {
      const count = attempt(() => tcacheCount(m, tcache, i));
      if (count.fault !== undefined) {
        bins.push({
          ...unreadableBin(m.bins.tcacheName(i), i, undefined),
          fault: count.fault,
          count: 0,
        });
        break; // the rest of tcache_perthread_struct is as unreadable
      }
      const entries = attempt(() => tcacheList(m, tcache, i, VIEW_LIMIT));
      const list = entries.fault === undefined ? entries.value : [];
      if (count.value === 0 && list.length === 0 && entries.fault === undefined) continue;
      bins.push({
        name: m.bins.tcacheName(i),
        index: i,
        chunks: list.map((e) => e - 2 * m.profile.sizeSz),
        broken: list.length !== count.value || entries.fault !== undefined,
        count: count.value,
        ...(entries.fault === undefined ? {} : { fault: entries.fault }),
      });
    }
  }
  return { tid: thread.tid, address: tcache, bins };
}

/** The tcache entries of every running thread, by chunk address (`tcache 0x20 (tid 1)`). */
function tcacheMembership(m: MallocContext): Map<number, string> {
  const where = new Map<number, string>();
  for (const t of m.process.threads) {
    if (t.state !== "running" || !m.hasTls(t)) continue;
    for (const v of tcacheInfo(m, t).bins) {
      for (const q of v.chunks) where.set(q, `${v.name} (tid ${t.tid})`);
    }
  }
  return where;
}

/**
 * Where every cached or binned chunk is, by chunk address: the arena's bins, then every running
 * thread's tcache (`tcache`, computed once for all arenas), which wins for a chunk in both.
 */
function binMembership(bins: BinsInfo, tcache: ReadonlyMap<number, string>): Map<number, string> {
  const where = new Map<number, string>();
  for (const f of bins.fastbins) for (const q of f.chunks) where.set(q, f.name);
  for (const v of [bins.unsorted, ...bins.smallbins, ...bins.largebins]) {
    for (const q of v.chunks) where.set(q, v.name);
  }
  for (const [q, name] of tcache) where.set(q, name);
  return where;
}

/** The address ranges holding an arena's chunks: [first chunk, end] pairs. */
export function arenaRegions(m: MallocContext, arena: number): [number, number][] {
  const p = m.profile, c = m.chunks;
  if (arena === m.mainArena) {
    const top = safe(() => m.arenas.top(arena), 0);
    // A corrupted top size (House of Force's -1) still ends the walk at top, which is listed.
    const topSize = safe(() => c.size(top), 0);
    const topEnd = topSize > 0 ? top + topSize : top + 1;
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
    out.push([start, h.start + safe(() => c.word(h.start + 2 * p.sizeSz), 0)]);
  }
  return out;
}

/** Most chunks one region's walk lists before it gives up (a corrupted heap can loop). */
export const CHUNK_WALK_LIMIT: number = 1 << 20;

/**
 * An arena's chunk walk one chunk at a time, for a caller that reads only part of a heap (the
 * time-travel diff): a region's walk steps from its first chunk while below the region's end,
 * for at most {@link CHUNK_WALK_LIMIT} chunks, until `step` gives no `next` ({@link chunkInfos}).
 */
export interface ChunkWalk {
  /** The arena. */
  readonly arena: number;
  /** The address ranges holding its chunks: [first chunk, end] pairs. */
  readonly regions: readonly (readonly [number, number])[];
  /** Its top chunk (0 when unreadable). */
  readonly top: number;
  /** Its bins (as `bins()` gives them). */
  readonly bins: BinsInfo;
  /** The bin of each chunk in its bins or (any arena's) in a running thread's tcache. */
  readonly where: ReadonlyMap<number, string>;
  /** The chunk at `q` of a region ending at `end`, and the next one's address unless it stops. */
  step(q: number, end: number): { readonly chunk: ChunkInfo; readonly next?: number };
}

function chunkWalk(
  m: MallocContext,
  arena: number,
  tcache: ReadonlyMap<number, string>,
): ChunkWalk {
  const c = m.chunks;
  const bins = binsInfo(m, arena);
  const where = binMembership(bins, tcache);
  const top = safe(() => m.arenas.top(arena), 0);
  const step = (q: number, end: number): { chunk: ChunkInfo; next?: number } => {
    const read = attempt(() => c.sizeField(q));
    if (read.fault !== undefined) {
      const flags = { prevInuse: false, mmapped: false, nonMainArena: false };
      const size = { size: 0, sizeField: 0 };
      const fault = read.fault;
      return {
        chunk: { address: q, mem: q + c.headerSize, ...size, ...flags, state: "unreadable", fault },
      };
    }
    const field = read.value;
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
    const chunk: ChunkInfo = {
      address: q,
      mem: q + c.headerSize,
      size,
      sizeField: field,
      prevInuse: (field & PREV_INUSE) !== 0,
      mmapped: (field & IS_MMAPPED) !== 0,
      nonMainArena: (field & NON_MAIN_ARENA) !== 0,
      state,
      bin,
    };
    const stops = state === "top" || size === 0 || size < 0 ||
      (state === "fencepost" && end === Infinity);
    return stops ? { chunk } : { chunk, next: q + size };
  };
  return { arena, regions: arenaRegions(m, arena), top, bins, where, step };
}

/** The chunk walks of the given arenas (default: every arena), in their order. */
export function chunkWalks(m: MallocContext, arenas?: readonly number[]): ChunkWalk[] {
  if (!m.initialized) return [];
  const tcache = tcacheMembership(m);
  return (arenas ?? arenaInfos(m).map((a) => a.address)).map((a) => chunkWalk(m, a, tcache));
}

/** The chunks of an arena in address order, heap by heap. */
export function chunkInfos(m: MallocContext, arena: number): ChunkInfo[] {
  if (!m.initialized) return [];
  const walk = chunkWalk(m, arena, tcacheMembership(m));
  const out: ChunkInfo[] = [];
  for (const [start, end] of walk.regions) {
    let q: number | undefined = start;
    let n = 0;
    while (q !== undefined && q < end && n++ < CHUNK_WALK_LIMIT) {
      const { chunk, next } = walk.step(q, end);
      out.push(chunk);
      q = next;
    }
  }
  return out;
}

/** The mmapped chunks the allocator handed out and has not unmapped. */
export function mmappedChunkInfos(m: MallocContext): MmappedChunkInfo[] {
  const c = m.chunks;
  return [...m.mmappedChunks].sort((x, y) => x - y).map((q) => {
    const read = attempt(() => [c.size(q), c.prevSize(q)]);
    if (read.fault !== undefined) {
      return {
        address: q,
        mem: q + c.headerSize,
        size: 0,
        mapping: q,
        length: 0,
        fault: read.fault,
      };
    }
    const [size, prev] = read.value;
    return { address: q, mem: q + c.headerSize, size, mapping: q - prev, length: prev + size };
  });
}
