/**
 * The per-thread cache (glibc `tcache_perthread_struct`, glibc 2.26+): 64 singly linked LIFO
 * lists of free chunks, one per chunk size from MINSIZE up, at most `tcache_count` (7; 16 from
 * 2.43) each, taken and filled without locking the arena. The struct is itself a chunk,
 * malloc'ed from the thread's arena (at its first malloc or free; from 2.43 only when a chunk
 * is about to enter it):
 *
 * ```
 *   counts[64]     uint8_t (up to 2.29) or uint16_t (2.30+)
 *   entries[64]    tcache_entry *   (the user pointer of the first chunk)
 *
 *   num_slots[76]  uint16_t (2.42+: free slots left, counting down; 64 small + 12 large bins)
 *   entries[76]
 * ```
 *
 * A cached chunk keeps `next` in its first user word (mangled with PROTECT_PTR from 2.32) and
 * `key` in the second (2.29+: the tcache pointer, 2.34+: a random process-wide key), which
 * free() uses to spot a double free.
 *
 * Invariant: `counts[i]` (or `tcache_count - num_slots[i]`) equals the length of list i, and every entry of list i is the user
 * pointer of a chunk of size `tcacheSize(i)` that is in use as far as the arena is concerned.
 *
 * @module
 */

import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";

/** Address of `counts[i]`. */
function countAddr(m: MallocContext, tcache: number, i: number): number {
  return tcache + i * m.profile.tcacheCountBytes;
}

/** Address of `entries[i]`. */
export function tcacheEntrySlot(m: MallocContext, tcache: number, i: number): number {
  return tcache + m.profile.tcacheMaxBins * m.profile.tcacheCountBytes + i * m.profile.sizeSz;
}

/** The chunks held in bin i: `counts[i]`, or (2.42+) `tcache_count - num_slots[i]`. */
export function tcacheCount(m: MallocContext, tcache: number, i: number): number {
  const a = countAddr(m, tcache, i);
  const raw = m.profile.tcacheCountBytes === 2 ? m.memory.read16(a) : m.memory.read8(a);
  return m.profile.tcacheCountsDown ? m.params.tcacheCount - raw : raw;
}

function setCount(m: MallocContext, tcache: number, i: number, v: number): void {
  const a = countAddr(m, tcache, i);
  if (m.profile.tcacheCountsDown) v = m.params.tcacheCount - v;
  if (m.profile.tcacheCountBytes === 2) m.memory.write16(a, v & 0xffff);
  else m.memory.write8(a, v & 0xff);
}

/** glibc 2.42+ `tcache_init`: every bin starts with `tcache_count` free slots. */
export function tcacheFillSlots(m: MallocContext, tcache: number): void {
  if (!m.profile.tcacheCountsDown) return;
  for (let i = 0; i < m.profile.tcacheMaxBins; i++) setCount(m, tcache, i, 0);
}

/** `entries[i]`. */
export function tcacheEntry(m: MallocContext, tcache: number, i: number): number {
  return m.chunks.word(tcacheEntrySlot(m, tcache, i));
}

/** The value free() stores in `e->key` of a cached chunk (0 on versions without a key). */
export function tcacheKeyValue(m: MallocContext, tcache: number): number {
  switch (m.profile.tcacheKey) {
    case "random":
      return m.tcacheKey;
    case "tcache-pointer":
      return tcache;
    default:
      return 0;
  }
}

/**
 * glibc `tcache_put`: pushes chunk `p` onto list i of the current thread's tcache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { tcacheCount } from "./tcache.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.free(heap.malloc(24)); // tcache_put
 * assert.equal(tcacheCount(heap.context, heap.context.tls().tcache, 0), 1);
 * ```
 */
export function tcachePut(
  m: MallocContext,
  tcache: number,
  p: number,
  i: number,
  count = tcacheCount(m, tcache, i),
): void {
  const c = m.chunks;
  const e = c.toMem(p);
  if (m.profile.tcacheKey !== "none") c.setWord(e + c.sizeSz, tcacheKeyValue(m, tcache));
  const slot = tcacheEntrySlot(m, tcache, i);
  c.setWord(e, c.protect(e, c.word(slot)));
  c.setWord(slot, e);
  setCount(m, tcache, i, count + 1);
  if (m.explain.enabled) explainTcacheStep(m, "put", p, i);
}

/**
 * The explain step of a chunk put into or taken from tcache bin i (only with explain on): apart
 * so that the put and get paths stay small enough for V8 to inline.
 */
function explainTcacheStep(m: MallocContext, action: "put" | "take", p: number, i: number): void {
  const size = m.chunks.size(p), name = m.bins.tcacheName(i);
  if (action === "put") m.explain.put(p, size, name);
  else m.explain.take(p, size, name);
}

/**
 * glibc `tcache_get_n`: removes the entry whose link is stored at `linkAddr` (the list head
 * `entries[i]`, or the `next` field of the entry before it) and returns its user pointer.
 */
export function tcacheGetAt(
  m: MallocContext,
  tcache: number,
  i: number,
  linkAddr: number,
  count = tcacheCount(m, tcache, i),
): number {
  const c = m.chunks;
  const slot = tcacheEntrySlot(m, tcache, i);
  const atHead = linkAddr === slot;
  const e = atHead ? c.word(slot) : c.reveal(linkAddr);
  if (m.profile.alignmentChecks && !c.aligned(e)) {
    m.abort("malloc(): unaligned tcache chunk detected", e);
  }
  const next = c.reveal(e);
  c.setWord(linkAddr, atHead ? next : c.protect(linkAddr, next));
  setCount(m, tcache, i, count - 1);
  if (m.profile.tcacheKey !== "none") c.setWord(e + c.sizeSz, 0);
  if (m.explain.enabled) explainTcacheStep(m, "take", c.fromMem(e), i);
  return e;
}

/** glibc `tcache_get`: pops the head of list i (whose count the caller may pass). */
export function tcacheGet(
  m: MallocContext,
  tcache: number,
  i: number,
  count = tcacheCount(m, tcache, i),
): number {
  return tcacheGetAt(m, tcache, i, tcacheEntrySlot(m, tcache, i), count);
}

/**
 * The double-free test of `_int_free` (glibc `tcache_double_free_verify` in 2.41): called when
 * the chunk's key word equals the tcache key; walks list i (2.42+: every list) and aborts if
 * the chunk is on it.
 */
export function tcacheDoubleFreeCheck(
  m: MallocContext,
  tcache: number,
  e: number,
  i: number,
): void {
  if (m.profile.tcacheVerifyAllBins) {
    for (let k = 0; k < m.profile.tcacheMaxBins; k++) walkForDoubleFree(m, tcache, e, k);
  } else {
    walkForDoubleFree(m, tcache, e, i);
  }
}

function walkForDoubleFree(m: MallocContext, tcache: number, e: number, i: number): void {
  const c = m.chunks;
  const checks = m.profile.tcacheWalkChecks;
  let cnt = 0;
  for (let tmp = tcacheEntry(m, tcache, i); tmp !== 0; tmp = c.reveal(tmp), cnt++) {
    if (checks) {
      if (cnt >= m.params.tcacheCount) m.abort("free(): too many chunks detected in tcache", e);
      if (!c.aligned(tmp)) m.abort("free(): unaligned chunk detected in tcache 2", tmp);
    } else if (cnt >= LOOP_LIMIT) {
      throw new HeapLoopError(m.bins.tcacheName(i), "_int_free", tmp, cnt);
    }
    if (tmp === e) m.abort("free(): double free detected in tcache 2", c.fromMem(e));
  }
}

/**
 * The entries of list i, following the (unmangled) links from the head, at most `limit` long.
 * For views: it stops at the first misaligned or repeated entry instead of faulting on it.
 */
export function tcacheList(
  m: MallocContext,
  tcache: number,
  i: number,
  limit = 1 << 16,
): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const c = m.chunks;
  for (let e = tcacheEntry(m, tcache, i); e !== 0 && out.length < limit;) {
    if (seen.has(e)) break;
    seen.add(e);
    out.push(e);
    if (!c.aligned(e)) break;
    try {
      e = c.reveal(e);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * glibc 2.42+ `tcache_location_large`: the link (the list head or an entry's `next`) before
 * the first entry of large bin i whose chunk is at least `size` bytes, and that entry (0 if
 * none). A large bin is kept sorted by size, smallest first.
 */
function tcacheLocationLarge(
  m: MallocContext,
  tcache: number,
  i: number,
  size: number,
): [link: number, entry: number] {
  const c = m.chunks;
  let link = tcacheEntrySlot(m, tcache, i);
  let te = c.word(link);
  for (let steps = 0; te !== 0 && m.lt(c.size(c.fromMem(te)), size); steps++) {
    if (steps > LOOP_LIMIT) throw new HeapLoopError(m.bins.tcacheName(i), "tcache", te, steps);
    link = te;
    te = c.reveal(te);
  }
  return [link, te];
}

/** glibc 2.42+ `tcache_put_large`: chunk `p` into large bin i, in size order. */
export function tcachePutLarge(m: MallocContext, tcache: number, p: number, i: number): void {
  const c = m.chunks;
  const [link] = tcacheLocationLarge(m, tcache, i, c.size(p));
  const e = c.toMem(p);
  c.setWord(e + c.sizeSz, tcacheKeyValue(m, tcache));
  const slot = tcacheEntrySlot(m, tcache, i);
  if (link === slot) {
    c.setWord(e, c.protect(e, c.word(slot)));
    c.setWord(slot, e);
  } else {
    c.setWord(e, c.protect(e, c.reveal(link)));
    c.setWord(link, c.protect(link, e));
  }
  setCount(m, tcache, i, tcacheCount(m, tcache, i) + 1);
  if (m.explain.enabled) m.explain.put(p, c.size(p), m.bins.tcacheName(i));
}

/**
 * glibc 2.42+ `tcache_get_large`: a chunk of exactly `size` bytes from large bin i (its user
 * pointer), or 0.
 */
export function tcacheGetLarge(m: MallocContext, tcache: number, i: number, size: number): number {
  const c = m.chunks;
  const [link, te] = tcacheLocationLarge(m, tcache, i, size);
  if (te === 0 || c.size(c.fromMem(te)) !== size) return 0;
  return tcacheGetAt(m, tcache, i, link);
}

/**
 * The `glibc.malloc.tcache_max` tunable (glibc `do_set_tcache_max`): from 2.42 any request up
 * to 4 MiB (the large bins take the rest), before only up to the last small bin. Returns 1 if
 * accepted.
 */
export function setTcacheMax(m: MallocContext, value: number): number {
  const p = m.profile, mp = m.params, b = m.bins;
  const mask = p.mallocAlignment - 1;
  const nb = value + p.sizeSz + mask < p.minSize ? p.minSize : (value + p.sizeSz + mask) & ~mask;
  if (p.tcacheLargeBins === 0) {
    if (value > mp.tcacheMaxBytes) return 0;
    mp.tcacheMaxBytes = value;
    mp.tcacheBins = b.tcacheIndex(nb) + 1;
    return 1;
  }
  if (value > Number.MAX_SAFE_INTEGER) return 0;
  let idx = b.tcacheIndex(nb);
  if (idx >= p.tcacheSmallBins) idx = b.tcacheLargeIndex(nb);
  if (idx >= p.tcacheMaxBins) return 0;
  if (idx < p.tcacheSmallBins) mp.tcacheBins = idx + 1;
  mp.tcacheMaxBytes = nb + 1;
  return 1;
}
