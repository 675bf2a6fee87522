/**
 * What changed between two states of a process ({@link HeapState}): chunks created, freed,
 * allocated, split, merged, moved between bins (with the bins), released; the bytes that changed
 * inside chunks and in the arenas; arena fields (top, last_remainder, binmap, system_mem); the
 * /proc/PID/maps lines added, removed or changed; and the system calls made in between.
 *
 * Chunks are matched by address within their arena: a chunk at the same address that kept its
 * size changed state or bin; one that shrank was split (or carved from top); one that grew
 * merged; a chunk only in the newer state was created, one only in the older was absorbed into
 * a neighbour or released with its memory. Bytes are compared only on the pages the two states
 * do not share, and chunks only where those pages (or the bins, tops and areas) let them differ:
 * an index of the older state's chunks, kept from a recent diff of the same allocator, is updated
 * to the newer by walking again from the chunks on changed pages (`chunk_index.ts`). A diff then
 * costs O(pages written in between, and their chunks) plus the bins' lists and the areas, not a
 * walk of every chunk; {@link fullDiff} walks every chunk, and gives the same diff.
 *
 * @module
 */

import { diffPageMaps } from "../kernel/page_map.ts";
import type { SyscallRecord } from "../kernel/syscall_log.ts";
import { PAGE_SIZE } from "../kernel/vma.ts";
import type { Libc } from "./libc.ts";
import type { BinsInfo, ChunkInfo as WalkedChunk, ChunkState } from "../malloc/inspect.ts";
import {
  buildChunkIndex,
  chunkBelow,
  type ChunkIndex,
  type IndexedChunk,
  indexes as isIndexOf,
  lowerBound,
  updateChunkIndex,
} from "./chunk_index.ts";
import { diffMaps, type MapsChange } from "../view/maps_diff.ts";
import { type MapsRow, mapsRow } from "../view/region_kind.ts";
import type { HeapState } from "./state.ts";

/** How a chunk changed. */
export type ChunkChangeKind =
  /** A chunk at an address where none began (a split's remainder, a new top, a new heap). */
  | "created"
  /** In use before, free now (in a bin, tcache, or merged into top). */
  | "freed"
  /** Free before, in use now. */
  | "allocated"
  /** Free in both, in another bin now. */
  | "moved"
  /** Smaller now: split (the rest became another chunk). */
  | "split"
  /** Larger now: merged with a neighbour (or top grew). */
  | "merged"
  /** No chunk begins here now: absorbed into a neighbour or its memory released. */
  | "gone"
  /** An mmapped chunk was mapped. */
  | "mmapped"
  /** An mmapped chunk was unmapped. */
  | "munmapped";

/** One chunk's change. */
export interface ChunkChange {
  /** What happened. */
  readonly kind: ChunkChangeKind;
  /** Chunk address. */
  readonly address: number;
  /** Arena (0 for mmapped chunks). */
  readonly arena: number;
  /** Size before (0 if it did not exist). */
  readonly sizeBefore: number;
  /** Size now (0 if it no longer exists). */
  readonly sizeAfter: number;
  /** State before. */
  readonly stateBefore?: ChunkState | "mmapped";
  /** State now. */
  readonly stateAfter?: ChunkState | "mmapped";
  /** Bin before (`tcache 0x20 (tid 1)`, `fastbin 0x20`, `unsorted`, `smallbin 0x90`, …). */
  readonly binBefore?: string;
  /** Bin now. */
  readonly binAfter?: string;
}

/** A run of changed bytes. */
export interface ByteChange {
  /** Where: `chunk 0x…` (its address in `chunk`), `mmapped chunk 0x…`, or a maps region name. */
  readonly where: string;
  /** Address of the chunk holding the bytes (0 when they are outside every chunk). */
  readonly chunk: number;
  /** First changed byte. */
  readonly address: number;
  /** The bytes before. */
  readonly before: Uint8Array;
  /** The bytes now. */
  readonly after: Uint8Array;
}

/** An arena field that changed. */
export interface ArenaFieldChange {
  /** Arena address. */
  readonly arena: number;
  /** `top`, `last_remainder`, `binmap` or `system_mem`. */
  readonly field: "top" | "last_remainder" | "binmap" | "system_mem";
  /** Value before (binmap: its words joined as hex). */
  readonly before: number | string;
  /** Value now. */
  readonly after: number | string;
}

/** Everything that changed between two states. */
export interface HeapDiff {
  /** The older state's label. */
  readonly from: string;
  /** The newer state's label. */
  readonly to: string;
  /** Chunk changes, in address order. */
  readonly chunks: readonly ChunkChange[];
  /** Changed bytes, in address order (runs closer than 8 bytes are joined). */
  readonly bytes: readonly ByteChange[];
  /** Arena fields. */
  readonly arenas: readonly ArenaFieldChange[];
  /** Maps lines that are new, grown, shrunk, changed or removed. */
  readonly maps: readonly MapsChange[];
  /** System calls made in between (when `b` followed `a` in one run). */
  readonly syscalls: readonly SyscallRecord[];
}

interface ChunkInfo {
  address: number;
  arena: number;
  size: number;
  state: ChunkState | "mmapped";
  bin?: string;
}

/** What a diff reads of a state besides its chunks. */
interface Reading {
  arenas: Map<number, { top: number; lastRemainder: number; binmap: string; systemMem: number }>;
  maps: MapsRow[];
  /** Regions for naming bytes outside chunks. */
  regions: { start: number; end: number; name: string; anonymous: boolean }[];
  mainArena: number;
  arenaSize: number;
  /** The chunk with the highest address at or below an address, if any. */
  chunkBelow(addr: number): ChunkInfo | undefined;
}

/** Arena fields, maps and regions of `libc`'s state, with `bins` giving each arena's bins. */
function readState(
  libc: Libc,
  bins: (arena: number) => BinsInfo,
  chunkBelow: Reading["chunkBelow"],
): Reading {
  const arenas: Reading["arenas"] = new Map();
  for (const a of libc.arenas()) {
    const b = bins(a.address);
    arenas.set(a.address, {
      top: a.top,
      lastRemainder: b.lastRemainder,
      binmap: b.binmap.map((w) => w.toString(16).padStart(8, "0")).join(" "),
      systemMem: a.systemMem,
    });
  }
  const regions = libc.process.regions();
  return {
    arenas,
    maps: regions.map(mapsRow),
    regions: regions.map((r) => ({
      start: r.start,
      end: r.end,
      name: r.name || r.perms,
      anonymous: r.name === "" && r.inode === 0,
    })),
    mainArena: libc.mainArena,
    arenaSize: libc.profile.arena.size,
    chunkBelow,
  };
}

/** Every chunk of `libc`'s state, from a walk of each arena, in address order. */
function readChunks(libc: Libc): ChunkInfo[] {
  const chunks: ChunkInfo[] = [];
  for (const a of libc.arenas()) {
    for (const c of libc.chunks(a.address)) {
      chunks.push({
        address: c.address,
        arena: a.address,
        size: c.size,
        state: c.state,
        bin: c.bin,
      });
    }
  }
  for (const m of libc.mmappedChunks()) {
    chunks.push({ address: m.address, arena: 0, size: m.size, state: "mmapped" });
  }
  return chunks.sort((x, y) => x.address - y.address);
}

/** A chunk of a {@link ChunkIndex} as the diff compares it. */
function fromIndex(c: IndexedChunk): ChunkInfo {
  if (c.arena === 0) {
    return { address: c.chunk.address, arena: 0, size: c.chunk.size, state: "mmapped" };
  }
  const chunk = c.chunk as WalkedChunk;
  return {
    address: chunk.address,
    arena: c.arena,
    size: chunk.size,
    state: chunk.state,
    bin: chunk.bin,
  };
}

function chunkChange(a: ChunkInfo | undefined, b: ChunkInfo | undefined): ChunkChange | undefined {
  const base = {
    address: (a ?? b)!.address,
    arena: (b ?? a)!.arena,
    sizeBefore: a?.size ?? 0,
    sizeAfter: b?.size ?? 0,
    stateBefore: a?.state,
    stateAfter: b?.state,
    binBefore: a?.bin,
    binAfter: b?.bin,
  };
  if (a === undefined) return { kind: b!.state === "mmapped" ? "mmapped" : "created", ...base };
  if (b === undefined) return { kind: a.state === "mmapped" ? "munmapped" : "gone", ...base };
  if (b.size < a.size) return { kind: "split", ...base };
  if (b.size > a.size) return { kind: "merged", ...base };
  if (a.state === b.state && a.bin === b.bin) return undefined;
  const used = (s: string) => s === "in use" || s === "mmapped";
  if (used(a.state) && !used(b.state)) return { kind: "freed", ...base };
  if (!used(a.state) && used(b.state)) return { kind: "allocated", ...base };
  return { kind: "moved", ...base };
}

/** The changes from chunks `a` to chunks `b` (each in address order), in address order. */
function chunkChanges(a: readonly ChunkInfo[], b: readonly ChunkInfo[]): ChunkChange[] {
  const key = (c: ChunkInfo) => `${c.arena}:${c.address}`;
  const before = new Map(a.map((c) => [key(c), c]));
  const after = new Map(b.map((c) => [key(c), c]));
  const out: ChunkChange[] = [];
  for (const [k, c] of after) {
    const change = chunkChange(before.get(k), c);
    if (change) out.push(change);
  }
  for (const [k, c] of before) {
    if (!after.has(k)) out.push(chunkChange(c, undefined)!);
  }
  return out.sort((x, y) => x.address - y.address);
}

function arenaChanges(a: Reading, b: Reading): ArenaFieldChange[] {
  const out: ArenaFieldChange[] = [];
  for (const [arena, now] of b.arenas) {
    const was = a.arenas.get(arena);
    const fields = [
      ["top", was?.top ?? 0, now.top],
      ["last_remainder", was?.lastRemainder ?? 0, now.lastRemainder],
      ["binmap", was?.binmap ?? "", now.binmap],
      ["system_mem", was?.systemMem ?? 0, now.systemMem],
    ] as const;
    for (const [field, before, after] of fields) {
      if (before !== after) out.push({ arena, field, before, after });
    }
  }
  return out;
}

/** The chunk of a state holding `addr`, if any. */
function chunkAt(r: Reading, addr: number): ChunkInfo | undefined {
  const c = r.chunkBelow(addr);
  return c && addr < c.address + Math.max(c.size, 16) ? c : undefined;
}

function byteChanges(sa: HeapState, sb: HeapState, a: Reading, b: Reading): ByteChange[] {
  const runs: { address: number; before: number[]; after: number[] }[] = [];
  // The page before this one, when it differs too: a run may end there and go on here.
  let prevNo = -1, prevA: Uint32Array | undefined, prevB: Uint32Array | undefined;
  diffPageMaps(
    sa.snapshot.space.pages ?? undefined,
    sb.snapshot.space.pages ?? undefined,
    (no, pa, pb) => {
      const base = no * PAGE_SIZE;
      const prevBase = prevNo === no - 1 ? base - PAGE_SIZE : -1;
      for (let w = 0; w < PAGE_SIZE / 4; w++) {
        const x = pa?.[w] ?? 0, y = pb?.[w] ?? 0;
        if (x === y) continue;
        for (let k = 0; k < 4; k++) {
          const bx = (x >>> (8 * k)) & 0xff, by = (y >>> (8 * k)) & 0xff;
          if (bx === by) continue;
          const addr = base + 4 * w + k;
          const last = runs[runs.length - 1];
          if (last && addr - (last.address + last.before.length) < 8) {
            // Join with the previous run, taking the unchanged bytes in between along (those
            // below this page from the page before, which holds the run's last byte).
            for (let g = last.address + last.before.length; g < addr; g++) {
              const v = g >= base ? byteAt(pa, pb, g - base) : byteAt(prevA, prevB, g - prevBase);
              last.before.push(v[0]);
              last.after.push(v[1]);
            }
            last.before.push(bx);
            last.after.push(by);
          } else runs.push({ address: addr, before: [bx], after: [by] });
        }
      }
      prevNo = no;
      prevA = pa;
      prevB = pb;
    },
  );
  return runs.map((r) => {
    const c = chunkAt(b, r.address) ?? chunkAt(a, r.address);
    let where: string;
    if (c) {
      where = `${c.state === "mmapped" ? "mmapped chunk" : "chunk"} 0x${c.address.toString(16)}`;
    } else if (r.address >= b.mainArena && r.address < b.mainArena + b.arenaSize) {
      where = "main_arena";
    } else {
      const arena = [...b.arenas.keys()].find((x) => r.address >= x && r.address < x + b.arenaSize);
      const region = b.regions.find((g) => r.address >= g.start && r.address < g.end) ??
        a.regions.find((g) => r.address >= g.start && r.address < g.end);
      where = arena !== undefined
        ? `arena 0x${arena.toString(16)}`
        : region === undefined
        ? "unmapped"
        : region.anonymous
        ? `mapping 0x${region.start.toString(16)} (heap_info, a thread's stack, …)`
        : region.name;
    }
    return {
      where,
      chunk: c?.address ?? 0,
      address: r.address,
      before: Uint8Array.from(r.before),
      after: Uint8Array.from(r.after),
    };
  });
}

/** The bytes at offset `off` of two versions of one page (undefined: a page of zeros). */
function byteAt(
  pa: Uint32Array | undefined,
  pb: Uint32Array | undefined,
  off: number,
): [number, number] {
  const w = off >>> 2, k = off & 3;
  return [((pa?.[w] ?? 0) >>> (8 * k)) & 0xff, ((pb?.[w] ?? 0) >>> (8 * k)) & 0xff];
}

function syscallsBetween(a: HeapState, b: HeapState): SyscallRecord[] {
  const la = a.snapshot.syscalls, lb = b.snapshot.syscalls;
  if (lb.length < la.length) return [];
  const lastA = la.length > 0 ? la.records[la.length - 1] : undefined;
  if (lastA) {
    // b continues a only if it holds a's last record (the log may have dropped old ones).
    const at = lb.records.lastIndexOf(lastA, lb.length - 1);
    if (at < 0) return [];
    return lb.records.slice(at + 1, lb.length);
  }
  return lb.records.slice(0, lb.length);
}

/** Recent chunk indexes of each allocator's states, newest first (see {@link diff}). */
const indexes = new WeakMap<Libc, ChunkIndex[]>();

/** Pages that may differ before a full walk is cheaper than an update of `index`. */
function pageBudget(index: ChunkIndex): number {
  return 64 + index.count / 16;
}

/** A state's reading and chunk index, from a recent index when there is one. */
function indexed(state: HeapState): { reading: Reading; index: ChunkIndex } {
  const recent = indexes.get(state.allocator) ?? [];
  const same = recent.find((x) => isIndexOf(x, state));
  const found = same ? { index: same, reading: readings.get(same)! } : state.read((libc) => {
    const base = recent[0];
    const update = base && updateChunkIndex(base, libc, state, pageBudget(base));
    const index = update ? update.index : buildChunkIndex(libc, state);
    return { index, reading: readingOf(libc, index) };
  });
  remember(state.allocator, found.index);
  return found;
}

function remember(libc: Libc, index: ChunkIndex): void {
  const recent = indexes.get(libc) ?? [];
  if (recent[0] === index) return;
  indexes.set(libc, [index, ...recent.filter((x) => x !== index)].slice(0, 2));
}

/** The reading kept with each index (an index is of one state, read once). */
const readings = new WeakMap<ChunkIndex, Reading>();

/** The reading of `libc`'s state, whose index is `index`. */
function readingOf(libc: Libc, index: ChunkIndex): Reading {
  const below = (addr: number) => {
    const c = chunkBelow(index, addr);
    return c && fromIndex(c);
  };
  const r = readState(libc, (arena) => index.bins.get(arena)!, below);
  readings.set(index, r);
  return r;
}

/**
 * What changed from state `a` to state `b` — what {@link fullDiff} returns — from `a`'s chunk
 * index (kept from a recent diff, or made now) updated to `b`, walking again only where the two
 * can differ; undefined where the update gives up (see `chunk_index.ts`).
 */
export function quickDiff(a: HeapState, b: HeapState): HeapDiff | undefined {
  const { reading: ra, index: ia } = indexed(a);
  const update = b.read((libc) => {
    const u = updateChunkIndex(ia, libc, b, pageBudget(ia));
    return u && { ...u, reading: readingOf(libc, u.index) };
  });
  if (update === undefined) return undefined;
  if (b.allocator === a.allocator) remember(b.allocator, update.index);
  const { before, after } = update.candidates;
  const chunks = chunkChanges(before.map(fromIndex), after.map(fromIndex));
  return assemble(a, b, chunks, ra, update.reading);
}

/**
 * What changed from state `a` to state `b`, from a walk of every chunk of both: what
 * {@link diff} returns, the slow way (kept for tests to compare it with).
 */
export function fullDiff(a: HeapState, b: HeapState): HeapDiff {
  const read = (libc: Libc) => {
    const chunks = readChunks(libc);
    const below = (addr: number) => chunks[lowerBound(chunks, addr + 1) - 1];
    return { chunks, reading: readState(libc, (arena) => libc.bins(arena), below) };
  };
  const sa = a.read(read), sb = b.read(read);
  return assemble(a, b, chunkChanges(sa.chunks, sb.chunks), sa.reading, sb.reading);
}

function assemble(
  a: HeapState,
  b: HeapState,
  chunks: ChunkChange[],
  ra: Reading,
  rb: Reading,
): HeapDiff {
  const maps = diffMaps(ra.maps, rb.maps).filter((c) => c.change !== "same");
  return {
    from: a.label,
    to: b.label,
    chunks,
    bytes: byteChanges(a, b, ra, rb),
    arenas: arenaChanges(ra, rb),
    maps,
    syscalls: syscallsBetween(a, b),
  };
}

/**
 * What changed from state `a` to state `b` (of the same process or of a fork of it).
 *
 * @example
 * ```ts
 * import { Allocator, diff, heapState, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const p = libc.malloc(24);
 * const a = heapState(libc, "before free");
 * libc.free(p);
 * const d = diff(a, heapState(libc, "after free"));
 * assert.equal(d.chunks[0].kind, "freed");
 * assert.match(d.chunks[0].binAfter ?? "", /^tcache 0x20/);
 * ```
 */
export function diff(a: HeapState, b: HeapState): HeapDiff {
  return quickDiff(a, b) ?? fullDiff(a, b);
}
