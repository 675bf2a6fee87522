/**
 * The chunks of a process state, kept for diffs: every arena region's walk (what `chunks()`
 * lists), each arena's bins and top, and the mmapped chunks. The index of one state is made from
 * another's by walking again only where the two can differ, so {@link updateChunkIndex} costs
 * O(pages that differ, and the chunks on them) plus the bins, instead of a walk of every chunk.
 *
 * Why that is exact. A region's walk is a chain: it starts at the region's first chunk and each
 * chunk's address is the previous one's plus its size. A chunk's entry reads its own size word,
 * the next chunk's PREV_INUSE bit, the arena's top and the bins; the walk stops at top, at a size
 * of zero, at an unreadable chunk, at the region's end or after {@link CHUNK_WALK_LIMIT} chunks.
 * Call a chunk of the old walk *unsafe* when the new state may read it differently: its header or
 * the next chunk's lies on a page whose bytes or access differ, it is (or becomes) top, its bin
 * changed, it lies at or past the new end, or it is one of the walk's last two. From a chunk
 * address both walks reach whose chunk is safe, the new walk lists the same chunks, unchanged, up
 * to the next unsafe one; from an unsafe one the new state is walked chunk by chunk until it
 * reaches a safe chunk of the old walk again. The chunks walked anew and the old ones they replace
 * are the only ones that can have changed: a diff compares only those.
 *
 * It falls back (returns undefined) where that reasoning needs more care than it is worth: pages
 * not captured (a history's journal states), regions that start elsewhere or change between a
 * bounded and an open end, two regions of an arena at one address, chunk addresses that are not
 * unique in a state (corrupted walks running into each other), walks near the limit, or more
 * pages differing than a full walk would cost.
 *
 * @module
 */

import type { AddressSpaceState } from "../kernel/address_space.ts";
import { diffPageMaps } from "../kernel/page_map.ts";
import { threadsKey } from "../kernel/snapshot.ts";
import { PAGE_SIZE, type Vma } from "../kernel/vma.ts";
import {
  type BinsInfo,
  CHUNK_WALK_LIMIT,
  type ChunkInfo as WalkedChunk,
  type ChunkWalk,
  type MmappedChunkInfo,
} from "../malloc/inspect.ts";
import type { Libc } from "./libc.ts";
import type { HeapState } from "./state.ts";

/** One region of an arena and what its walk lists, in address order. */
export interface RegionChunks {
  /** The arena. */
  readonly arena: number;
  /** First chunk. */
  readonly start: number;
  /** Where the walk stops at the latest (Infinity: a main-arena segment below another). */
  readonly end: number;
  /** The chunks. */
  readonly chunks: readonly WalkedChunk[];
}

/** The chunks of one state. */
export interface ChunkIndex {
  /** The state's areas and pages. */
  readonly space: AddressSpaceState;
  /** Its threads, as captured (compared by identity: the same capture, the same threads). */
  readonly threads: unknown;
  /** Its C library state, as captured (compared by identity). */
  readonly runtime: unknown;
  /** Every arena's regions, arenas in `arenas()` order. */
  readonly regions: readonly RegionChunks[];
  /** Each arena's top. */
  readonly tops: ReadonlyMap<number, number>;
  /** Each arena's bins. */
  readonly bins: ReadonlyMap<number, BinsInfo>;
  /** Each arena's bin holding each binned or cached chunk (see `ChunkWalk.where`). */
  readonly where: ReadonlyMap<number, ReadonlyMap<number, string>>;
  /** The mmapped chunks, in address order. */
  readonly mmapped: readonly MmappedChunkInfo[];
  /** Chunks in all regions. */
  readonly count: number;
}

/** A chunk of an arena (or, with arena 0, an mmapped one) in a before or after list. */
export interface IndexedChunk {
  /** Its arena (0: mmapped). */
  readonly arena: number;
  /** The chunk as the walk lists it. */
  readonly chunk: WalkedChunk | MmappedChunkInfo;
}

/** The chunks that may differ between two states: each list in address order. */
export interface ChunkCandidates {
  /** Chunks of the older state that the newer may not list unchanged. */
  readonly before: readonly IndexedChunk[];
  /** Chunks of the newer state not listed unchanged from the older. */
  readonly after: readonly IndexedChunk[];
}

/** Thrown inside an update that must give up (caught: the update returns undefined). */
class GiveUp extends Error {}

/** True when `index` was made from a state captured as `state` is (same areas, pages, …). */
export function indexes(index: ChunkIndex, state: HeapState): boolean {
  const s = state.snapshot;
  return index.space === s.space && index.threads === threadsKey(s) && index.runtime === s.runtime;
}

/** The index of `libc`'s state now, from a walk of every chunk. */
export function buildChunkIndex(libc: Libc, state: HeapState): ChunkIndex {
  const regions: RegionChunks[] = [];
  const tops = new Map<number, number>(), where = new Map<number, ReadonlyMap<number, string>>();
  const bins = new Map<number, BinsInfo>();
  let count = 0;
  for (const walk of libc.chunkWalks()) {
    tops.set(walk.arena, walk.top);
    where.set(walk.arena, walk.where);
    bins.set(walk.arena, walk.bins);
    for (const [start, end] of walk.regions) {
      const chunks = walkRegion(walk, start, end);
      count += chunks.length;
      regions.push({ arena: walk.arena, start, end, chunks });
    }
  }
  return finish(libc, state, regions, { tops, where, bins }, count);
}

function finish(
  libc: Libc,
  state: HeapState,
  regions: RegionChunks[],
  arenas: Pick<ChunkIndex, "tops" | "where" | "bins">,
  count: number,
): ChunkIndex {
  const s = state.snapshot;
  return {
    space: s.space,
    threads: threadsKey(s),
    runtime: s.runtime,
    regions,
    ...arenas,
    mmapped: libc.mmappedChunks(),
    count,
  };
}

/**
 * The index of `libc`'s state now (`state`, read through `libc`), made from `base`'s, and the
 * chunks that may differ between the two; undefined where the update gives up (see the module
 * doc), or when more pages differ than `maxPages`.
 */
export function updateChunkIndex(
  base: ChunkIndex,
  libc: Libc,
  state: HeapState,
  maxPages: number = Infinity,
): { index: ChunkIndex; candidates: ChunkCandidates } | undefined {
  const space = state.snapshot.space;
  if (base.space.pages === null || space.pages === null) return undefined;
  const dirty = changedRanges(base.space, space, maxPages);
  if (dirty === undefined) return undefined;
  const sizeSz = libc.profile.sizeSz;
  const before: IndexedChunk[] = [], after: IndexedChunk[] = [];
  const regions: RegionChunks[] = [];
  const tops = new Map<number, number>(), where = new Map<number, ReadonlyMap<number, string>>();
  const bins = new Map<number, BinsInfo>();
  const old = new Map<number, RegionChunks[]>();
  for (const r of base.regions) {
    const list = old.get(r.arena);
    if (list === undefined) old.set(r.arena, [r]);
    else list.push(r);
  }
  const matched = new Set<RegionChunks>();
  let count = 0;
  try {
    for (const walk of libc.chunkWalks()) {
      const arena = walk.arena;
      tops.set(arena, walk.top);
      where.set(arena, walk.where);
      bins.set(arena, walk.bins);
      const moved = binChanges(base.where.get(arena), walk.where);
      const tookTop = [base.tops.get(arena), walk.top];
      const starts = new Set<number>();
      for (const [start, end] of walk.regions) {
        if (starts.has(start)) return undefined;
        starts.add(start);
        const was = old.get(arena)?.find((r) => r.start === start);
        if (
          was === undefined || (was.end === Infinity) !== (end === Infinity) || matched.has(was)
        ) {
          // A region the base did not have: walk it whole.
          const chunks = walkRegion(walk, start, end);
          for (const chunk of chunks) after.push({ arena, chunk });
          regions.push({ arena, start, end, chunks });
          count += chunks.length;
          continue;
        }
        matched.add(was);
        const unsafe = unsafeChunks(was.chunks, dirty, moved, tookTop, end, sizeSz);
        const gone: WalkedChunk[] = [], fresh: WalkedChunk[] = [];
        const chunks = walkRegion(walk, start, end, was.chunks, unsafe, { gone, fresh });
        for (const chunk of gone) before.push({ arena, chunk });
        for (const chunk of fresh) after.push({ arena, chunk });
        regions.push({ arena, start, end, chunks });
        count += chunks.length;
      }
    }
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
  for (const r of base.regions) {
    if (!matched.has(r)) { for (const chunk of r.chunks) before.push({ arena: r.arena, chunk }); }
  }
  const index = finish(libc, state, regions, { tops, where, bins }, count);
  if (!uniqueAddresses(base) || !uniqueAddresses(index)) return undefined;
  for (const chunk of base.mmapped) before.push({ arena: 0, chunk });
  for (const chunk of index.mmapped) after.push({ arena: 0, chunk });
  const byAddress = (x: IndexedChunk, y: IndexedChunk) => x.chunk.address - y.chunk.address;
  return { index, candidates: { before: before.sort(byAddress), after: after.sort(byAddress) } };
}

/**
 * Walks a region of `walk`'s state from `start`. With the base walk `old` and its unsafe chunks
 * (sorted indices), it lists a safe run of `old` as it is and walks chunk by chunk only from an
 * unsafe one until it reaches a safe one again; `changed.gone` gets the old chunks it did not
 * list as they are, `changed.fresh` the chunks it walked anew. With no `old` it walks every chunk.
 */
function walkRegion(
  walk: ChunkWalk,
  start: number,
  end: number,
  old: readonly WalkedChunk[] = [],
  risky: readonly number[] = [],
  changed: { gone: WalkedChunk[]; fresh: WalkedChunk[] } = { gone: [], fresh: [] },
): WalkedChunk[] {
  const out: WalkedChunk[] = [];
  const { gone, fresh } = changed;
  let listed = 0; // old[0, listed) are accounted for: listed as they are, or in `gone`
  let at = 0; // the first old chunk at or above q
  let u = 0; // the first unsafe index at or above `at`
  let q: number | undefined = start;
  let n = 0;
  while (q !== undefined && q < end) {
    while (at < old.length && old[at].address < q) at++;
    while (u < risky.length && risky[u] < at) u++;
    if (at < old.length && old[at].address === q && risky[u] !== at) {
      // A safe chunk of the old walk: it and those up to the next unsafe one are unchanged.
      const stop = u < risky.length ? risky[u] : old.length;
      // The last chunk is always unsafe; past the limit the walk would stop inside the run.
      if (stop === old.length || n + (stop - at) > CHUNK_WALK_LIMIT) throw new GiveUp();
      for (let i = listed; i < at; i++) gone.push(old[i]);
      for (let i = at; i < stop; i++) out.push(old[i]);
      n += stop - at;
      listed = at = stop;
      q = old[stop].address;
      continue;
    }
    if (n++ >= CHUNK_WALK_LIMIT) break;
    const { chunk, next } = walk.step(q, end);
    out.push(chunk);
    fresh.push(chunk);
    q = next;
  }
  for (let i = listed; i < old.length; i++) gone.push(old[i]);
  return out;
}

/** The first index of `chunks` (in address order) whose address is at least `addr`. */
export function lowerBound(chunks: readonly { address: number }[], addr: number): number {
  let lo = 0, hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].address < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The indices of `chunks` the new state may read differently (see the module doc), sorted. */
function unsafeChunks(
  chunks: readonly WalkedChunk[],
  dirty: readonly (readonly [number, number])[],
  moved: readonly number[],
  tops: readonly (number | undefined)[],
  end: number,
  sizeSz: number,
): number[] {
  const out: number[] = [];
  const n = chunks.length;
  if (n === 0) return out;
  const first = chunks[0].address, last = chunks[n - 1].address;
  for (const [lo, hi] of dirty) {
    // Headers [q, q + 2 * SIZE_SZ) that meet [lo, hi); each chunk before one reads its header.
    if (hi <= first - 2 * sizeSz || lo > last) continue;
    const to = lowerBound(chunks, hi);
    for (let i = Math.max(0, lowerBound(chunks, lo - 2 * sizeSz + 1) - 1); i < to; i++) out.push(i);
  }
  for (const addr of [...moved, ...tops]) {
    if (addr === undefined) continue;
    const i = lowerBound(chunks, addr);
    if (i < n && chunks[i].address === addr) out.push(i);
  }
  const past = lowerBound(chunks, end);
  if (past < n) out.push(past);
  out.push(n - 1);
  if (n > 1) out.push(n - 2);
  out.sort((x, y) => x - y);
  return out.filter((x, i) => i === 0 || out[i - 1] !== x);
}

/** Chunk addresses whose bin differs between two maps of `ChunkWalk.where`. */
function binChanges(
  a: ReadonlyMap<number, string> | undefined,
  b: ReadonlyMap<number, string>,
): number[] {
  const out: number[] = [];
  for (const [q, name] of b) if (a?.get(q) !== name) out.push(q);
  if (a !== undefined) { for (const q of a.keys()) if (!b.has(q)) out.push(q); }
  return out;
}

/**
 * The address ranges whose bytes or access differ between two states, in address order:
 * the pages the two page maps do not share and the ranges whose areas' protection differs;
 * undefined when more pages differ than `maxPages`.
 */
function changedRanges(
  a: AddressSpaceState,
  b: AddressSpaceState,
  maxPages: number,
): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  let pages = 0;
  let over = false;
  diffPageMaps(a.pages ?? undefined, b.pages ?? undefined, (no) => {
    if (over || ++pages > maxPages) return void (over = true);
    const last = ranges[ranges.length - 1];
    if (last && last[1] === no * PAGE_SIZE) last[1] += PAGE_SIZE;
    else ranges.push([no * PAGE_SIZE, (no + 1) * PAGE_SIZE]);
  });
  if (over) return undefined;
  if (a.vmas !== b.vmas) ranges.push(...protectionChanges(a.vmas, b.vmas));
  return ranges.sort((x, y) => x[0] - y[0]);
}

/** The ranges where two sorted, disjoint area lists map pages with another protection. */
function protectionChanges(a: readonly Vma[], b: readonly Vma[]): [number, number][] {
  const points = [...new Set([...a, ...b].flatMap((v) => [v.start, v.end]))].sort((x, y) => x - y);
  const out: [number, number][] = [];
  let i = 0, j = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const lo = points[k], hi = points[k + 1];
    while (i < a.length && a[i].end <= lo) i++;
    while (j < b.length && b[j].end <= lo) j++;
    const pa = i < a.length && a[i].start <= lo ? a[i].prot : -1;
    const pb = j < b.length && b[j].start <= lo ? b[j].prot : -1;
    if (pa === pb) continue;
    const last = out[out.length - 1];
    if (last && last[1] === lo) last[1] = hi;
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * True when no two chunks of `index` share an address: the regions' chunk spans do not overlap
 * and no mmapped chunk lies in one. (A region's walk only goes up.)
 */
function uniqueAddresses(index: ChunkIndex): boolean {
  const spans = index.regions.filter((r) => r.chunks.length > 0).map((r) => ({
    address: r.chunks[0].address,
    last: r.chunks[r.chunks.length - 1].address,
  })).sort((x, y) => x.address - y.address);
  for (let i = 1; i < spans.length; i++) if (spans[i].address <= spans[i - 1].last) return false;
  for (const m of index.mmapped) {
    const span = spans[lowerBound(spans, m.address + 1) - 1];
    if (span !== undefined && m.address <= span.last) return false;
  }
  return true;
}

/**
 * The chunk (of a region or mmapped) with the highest address at or below `addr`, with its arena
 * (0: mmapped) — what a binary search of the state's chunks in address order finds.
 */
export function chunkBelow(index: ChunkIndex, addr: number): IndexedChunk | undefined {
  let best: IndexedChunk | undefined;
  const consider = (arena: number, chunks: readonly (WalkedChunk | MmappedChunkInfo)[]) => {
    const i = lowerBound(chunks, addr + 1) - 1;
    if (i >= 0 && (best === undefined || chunks[i].address > best.chunk.address)) {
      best = { arena, chunk: chunks[i] };
    }
  };
  for (const r of index.regions) consider(r.arena, r.chunks);
  consider(0, index.mmapped);
  return best;
}
