/**
 * glibc's public allocation entry points on the calling thread (`__libc_malloc`,
 * `__libc_free`, `__libc_calloc`), the one-time set-up (`ptmalloc_init`, `set_max_fast`) and
 * the tcache's life cycle (`tcache_init` at a thread's first malloc or free — from 2.43 only
 * when a chunk is about to enter it —, `tcache_thread_shutdown` when it exits).
 *
 * Invariant: a pointer returned here is 0 or the user pointer of a chunk marked in use; the
 * calling thread's tcache exists after any malloc or free unless the thread is shutting down.
 *
 * Over 500 lines: glibc's public entry points share the hook checks, the tcache fast path and
 * the arena retry logic with each other; they are kept beside each other as in glibc's malloc.c.
 *
 * @module
 */

import { Errno, SegmentationFault } from "../kernel/errors.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, SIZE_BITS } from "./chunk.ts";
import { arenaGet, arenaGetRetry, arenaThreadFreeres } from "./arena_get.ts";
import type { MallocContext } from "./context.ts";
import { NO_HOOK, runHook } from "./hooks.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { request2size } from "./chunk.ts";
import { intFree, intFreeChunk } from "./free.ts";
import { checkedRequest2size, intMalloc } from "./malloc.ts";
import { munmapChunk } from "./mmapped_chunk.ts";
import type { GlibcProfile } from "./profile.ts";
import {
  tcacheCount,
  tcacheDoubleFreeCheck,
  tcacheEntry,
  tcacheEntrySlot,
  tcacheFillSlots,
  tcacheGet,
  tcacheGetLarge,
  tcachePut,
  tcachePutLarge,
} from "./tcache.ts";

/** glibc `set_max_fast (s)`. */
export function setMaxFast(m: MallocContext, s: number): void {
  const p = m.profile, mask = p.mallocAlignment - 1;
  if (!p.fastbins) {
    m.globalMaxFast = 0; // 2.43+: no fastbins; no size is ever "fast"
    return;
  }
  const small = p.maxFastMaskCheck ? m.le(s, mask - p.sizeSz) : s === 0;
  m.globalMaxFast = small ? 2 * p.sizeSz : (s + p.sizeSz) - ((s + p.sizeSz) % p.mallocAlignment);
}

/**
 * glibc `ptmalloc_init`: the tcache key, the calling thread's arena (main_arena), the main
 * arena's bins and `global_max_fast`.
 */
export function ptmallocInit(m: MallocContext): void {
  if (!m.initialized) ptmallocFirstCall(m);
}

/**
 * {@link ptmallocInit}'s work, done once: apart so that the test every `malloc` and `free`
 * makes is a few bytes of bytecode, which V8 inlines without spending its inlining budget
 * (the whole function was 235 bytes of it, in front of `tcacheTake`).
 */
function ptmallocFirstCall(m: MallocContext): void {
  m.initialized = true;
  if (m.profile.tcacheKey === "random") {
    const hi = m.random32(), lo = m.random32();
    m.tcacheKey = m.profile.sizeSz === 8
      ? m.words.fromBigInt((BigInt(hi) << 32n) | BigInt(lo))
      : lo;
  }
  m.tls().arena = m.mainArena;
  m.arenas.initState(m.mainArena, true);
  m.tcacheInitIn = (arena) => tcacheInit(m, arena);
  setMaxFast(m, m.profile.defaultMxFast);
}

/**
 * glibc `tcache_init`: mallocs the calling thread's tcache_perthread_struct from its arena and
 * zeroes it (nothing happens while the thread is shutting down, or when memory is short).
 * From 2.43 it is called with the arena `_int_malloc` is working in (`arena`), or with none
 * from free; the tcache is disabled first, so a failure is never retried.
 */
export function tcacheInit(m: MallocContext, arena?: number): void {
  const tls = m.tls();
  if (tls.shuttingDown) return;
  const p = m.profile;
  const bytes = p.tcacheStructSize;
  let victim: number;
  if (p.tcacheInit === "lazy") {
    tls.shuttingDown = true; // tcache_set_disabled
    victim = arena !== undefined
      ? intMalloc(m, arena, p.tcacheInitPadsTwice ? padded(m, bytes) : bytes)
      : libcMalloc2(m, bytes);
    if (victim !== 0) tls.shuttingDown = false;
  } else if (m.singleThread && p.tcacheInit === "first-malloc") {
    victim = intMalloc(m, m.mainArena, bytes);
  } else {
    let a = arenaGet(m, bytes);
    victim = intMalloc(m, a, bytes);
    if (victim === 0 && a !== 0) {
      a = arenaGetRetry(m, a, bytes);
      victim = intMalloc(m, a, bytes);
    }
  }
  if (victim !== 0) {
    tls.tcache = victim;
    m.memory.fill(victim, bytes, 0);
    tcacheFillSlots(m, victim);
    if (m.explain.enabled) {
      m.explain.arenaStep(victim - 2 * m.profile.sizeSz, 0, "tcache_init");
    }
  }
}

/** glibc `request2size`. */
function padded(m: MallocContext, bytes: number): number {
  const p = m.profile;
  return request2size(bytes, p.sizeSz, p.mallocAlignment - 1, p.minSize);
}

/**
 * glibc `MAYBE_INIT_TCACHE` where the version has it: `on` is the kind of call (`malloc` for
 * the allocating calls, `free` for free and realloc). 2.26–2.41 create the tcache at a thread's
 * first call of either kind, 2.42 at its first allocation, 2.43+ never here (lazily, later).
 * Returns the thread's tcache after it (0: none), so the caller need not read its TLS again.
 * Every malloc and free comes here: what it does once the tcache exists (a test and the read
 * of the TLS pointer) is kept small enough for V8 to inline, the creation is a call.
 */
export function maybeInitTcache(m: MallocContext, on: "malloc" | "free" = "malloc"): number {
  if (!m.profile.tcache) return 0;
  const tcache = m.tls().tcache;
  return tcache !== 0 ? tcache : initTcacheOnCall(m, on);
}

/**
 * {@link maybeInitTcache} when the thread has no tcache (yet, or any more: an exiting thread's
 * `tcache_thread_shutdown` frees every cached chunk with the tcache gone, and tcache_init
 * returns at once while it is shutting down).
 */
function initTcacheOnCall(m: MallocContext, on: "malloc" | "free"): number {
  const init = m.profile.tcacheInit;
  if (m.tls().shuttingDown) return 0;
  if (init === "first-call" || (init === "first-malloc" && on === "malloc")) {
    m.explain.aside(() => tcacheInit(m));
    return m.tls().tcache;
  }
  return 0;
}

/**
 * The count of tcache bin i when malloc may take from it (glibc 2.30–2.41 test the count,
 * 2.26–2.29 and 2.42+ the list head), else {@link NO_CHUNK}.
 */
function tcacheAvailable(m: MallocContext, tcache: number, i: number): number {
  if (!(i < m.params.tcacheBins) || tcache === 0) return NO_CHUNK;
  const count = tcacheCount(m, tcache, i);
  if (m.profile.tcacheCountBytes === 2 && !m.profile.tcacheCountsDown) {
    return count > 0 ? count : NO_CHUNK;
  }
  // Only the list's head decides (2.26–2.29, 2.42+): a list a corruption made longer than its
  // count goes on giving chunks, its count below zero (2.42+: free slots above tcache_count).
  return tcacheEntry(m, tcache, i) !== 0 ? count : NO_CHUNK;
}

/** {@link tcacheAvailable}: the bin has no chunk to give (a count never is this). */
const NO_CHUNK = -Infinity;

/** {@link tcacheTake} found no cached chunk: the caller goes on to the arenas. */
const TCACHE_MISS = -1;

/**
 * The tcache fast path shared by `__libc_malloc` and (2.41) `__libc_calloc`: a chunk from the
 * thread's tcache bin for `bytes`, 0 with ENOMEM for a request too large to represent, or
 * {@link TCACHE_MISS} when the bin is empty (the tcache is created on the way if needed).
 */
function tcacheTake(m: MallocContext, bytes: number): number {
  const tbytes = checkedRequest2size(m, bytes);
  if (tbytes === 0) return tooLarge(m);
  const idx = m.bins.tcacheIndex(tbytes);
  const tcache = maybeInitTcache(m);
  // The rare paths are calls of their own, so that V8 inlines this function into its callers
  // (each call not inlined boxes the pointers it passes and returns).
  const p = m.profile;
  if (p.tcacheLargeBins > 0 && idx >= p.tcacheSmallBins) return tcacheTakeLarge(m, tcache, tbytes);
  const count = tcacheAvailable(m, tcache, idx);
  if (count === NO_CHUNK) return TCACHE_MISS;
  m.explain.serve("tcache");
  return tcacheGet(m, tcache, idx, count);
}

/** A request too large to represent: 0 with ENOMEM. */
function tooLarge(m: MallocContext): number {
  m.setErrno(Errno.ENOMEM);
  return 0;
}

/** {@link tcacheTake} from a large tcache bin (2.42+), searched by size (tcache_max raised). */
function tcacheTakeLarge(m: MallocContext, tcache: number, tbytes: number): number {
  if (tcache === 0 || !m.lt(tbytes, m.params.tcacheMaxBytes)) return TCACHE_MISS;
  const mem = tcacheGetLarge(m, tcache, m.bins.tcacheLargeIndex(tbytes), tbytes);
  if (mem === 0) return TCACHE_MISS;
  m.explain.serve("tcache");
  return mem;
}

/**
 * glibc `__libc_malloc (bytes)`: the tcache first, then `_int_malloc` in the thread's arena
 * (retrying in another arena when it fails).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const p = heap.malloc(1000);
 * assert.equal(p - heap.process.start.initialBreak, 0x2a0); // after the tcache's 0x290 chunk
 * ```
 */
export function libcMalloc(m: MallocContext, bytes: number): number {
  const hooked = runHook(m, "__malloc_hook", "malloc", bytes);
  if (hooked !== NO_HOOK) return hooked;
  return m.profile.tcache ? mallocTcacheFirst(m, bytes) : mallocNoTcache(m, bytes);
}

/** `__libc_malloc` without hooks (2.34+) on a glibc with a tcache. */
function mallocTcacheFirst(m: MallocContext, bytes: number): number {
  ptmallocInit(m);
  const mem = tcacheTake(m, bytes);
  return mem !== TCACHE_MISS ? mem : libcMalloc2(m, bytes);
}

/** `__libc_malloc` without hooks and without a tcache. */
function mallocNoTcache(m: MallocContext, bytes: number): number {
  ptmallocInit(m);
  return libcMalloc2(m, bytes);
}

/** `__libc_malloc` on a context (see {@link libcMallocOf}). */
export type LibcEntry = (m: MallocContext, value: number) => number;

/** `__libc_free` on a context (see {@link libcFreeOf}). */
export type LibcFreeEntry = (m: MallocContext, mem: number) => void;

/**
 * `__libc_malloc` of a glibc build, chosen once per allocator (the Allocator's `malloc` calls
 * it): where a version reads no hooks, the hook check is left out rather than made on every
 * call, and the tcache branch is taken or not by construction. Each is {@link libcMalloc}.
 */
export function libcMallocOf(profile: GlibcProfile): LibcEntry {
  if (profile.mallocHooks) return libcMalloc;
  return profile.tcache ? mallocTcacheFirst : mallocNoTcache;
}

/**
 * `__libc_malloc` after a tcache miss the WebAssembly tier (tcache_tier.ts) made: the hook, the
 * tcache and its bin were read there and the bin has no chunk, so the arena serves the call.
 */
export function mallocAfterTcacheMiss(m: MallocContext, bytes: number): number {
  return libcMalloc2(m, bytes);
}

/**
 * `__libc_free` (up to 2.41) from `_int_free_chunk` on, for a chunk whose checks the WebAssembly
 * tier (tcache_tier.ts) made: not mmapped, the thread's tcache made, `_int_free`'s pointer and
 * size checks passed, no double-free key, and no tcache bin takes it. As freeArenaFirst goes on.
 */
export function freeAfterTcache(m: MallocContext, mem: number): void {
  const c = m.chunks;
  const thread = m.thread;
  const savedErrno = thread.errno;
  const p = c.fromMem(mem);
  const raw = c.sizeField(p);
  intFreeChunk(m, chunkArena(m, p, raw), p, raw - (raw & SIZE_BITS), false);
  if (m.profile.freePreservesErrno) thread.errno = savedErrno;
}

/**
 * glibc `arena_for_chunk (p)` in `__libc_free`, of a chunk whose size word `raw` was read: the
 * main arena, or its thread heap's `ar_ptr`; noted in the explain record.
 */
function chunkArena(m: MallocContext, p: number, raw: number): number {
  const arena = raw & NON_MAIN_ARENA ? m.chunks.word(m.heapForPtr(p)) : m.mainArena;
  m.explain.arena(arena);
  return arena;
}

/** glibc `__libc_malloc2` (the arena part of `__libc_malloc`, named so in 2.42+). */
function libcMalloc2(m: MallocContext, bytes: number): number {
  if (m.singleThread) return intMalloc(m, m.mainArena, bytes);
  let arena = arenaGet(m, bytes);
  let victim = intMalloc(m, arena, bytes);
  if (victim === 0 && arena !== 0) {
    arena = arenaGetRetry(m, arena, bytes);
    victim = intMalloc(m, arena, bytes);
  }
  return victim;
}

/**
 * glibc `__libc_free (mem)`: munmap for an mmapped chunk (raising the dynamic mmap threshold),
 * else `_int_free` in the chunk's arena.
 */
export function libcFree(m: MallocContext, mem: number): void {
  if (runHook(m, "__free_hook", "free", mem) !== NO_HOOK) return;
  if (m.profile.tcacheCountsDown) freeTcacheFirst(m, mem);
  else freeArenaFirst(m, mem);
}

/**
 * `__libc_free` of a glibc build, chosen once per allocator as {@link libcMallocOf} chooses
 * malloc: the hook check only where the version has hooks, then the version's free path. Each
 * is {@link libcFree}.
 */
export function libcFreeOf(profile: GlibcProfile): LibcFreeEntry {
  if (profile.mallocHooks) return libcFree;
  return profile.tcacheCountsDown ? freeTcacheFirst : freeArenaFirst;
}

/** `__libc_free` after the hook check, up to 2.41: the chunk's arena decides (or munmap). */
function freeArenaFirst(m: MallocContext, mem: number): void {
  if (mem === 0) return;
  const c = m.chunks;
  const thread = m.thread;
  const savedErrno = thread.errno;
  const p = c.fromMem(mem);
  const raw = c.sizeField(p);
  if (raw & IS_MMAPPED) {
    freeMmapped(m, p, raw);
  } else {
    const tcache = maybeInitTcache(m, "free");
    intFree(m, chunkArena(m, p, raw), p, false, raw - (raw & SIZE_BITS), tcache);
  }
  if (m.profile.freePreservesErrno) thread.errno = savedErrno;
}

/**
 * glibc 2.42+ `__libc_free`: the alignment check, then the tcache (for every chunk, mmapped or
 * not, whose size the tcache takes; 2.43+ creates the tcache here and frees again), then the
 * size check and `_int_free_chunk`.
 */
function freeTcacheFirst(m: MallocContext, mem: number): void {
  if (mem === 0) return;
  const c = m.chunks, pr = m.profile;
  const p = c.fromMem(mem);
  const raw = c.sizeField(p);
  const size = raw - (raw & SIZE_BITS);
  if (c.misaligned(p)) m.abort("free(): invalid pointer", p);
  const tls = m.tls();
  const tcacheSize = m.lt(size, m.params.tcacheMaxBytes);
  if (tcacheSize && (tls.tcache !== 0 || pr.tcacheInit === "lazy")) {
    const tcache = tls.tcache;
    if (c.word(mem + c.sizeSz) === m.tcacheKey) {
      if (tcache !== 0) tcacheDoubleFreeCheck(m, tcache, mem, m.bins.tcacheIndex(size));
      // Not a double free after all: clear the key and free it again.
      c.setWord(mem + c.sizeSz, 0);
      libcFree(m, mem);
      return;
    }
    const idx = m.bins.tcacheIndex(size);
    if (idx < pr.tcacheSmallBins) {
      if (
        tcache !== 0 && idx < m.params.tcacheBins &&
        tcacheCount(m, tcache, idx) < m.params.tcacheCount
      ) {
        tcachePut(m, tcache, p, idx);
        m.explain.serve("tcache");
        return;
      }
    } else {
      // A large tcache bin (only reachable when the tcache_max tunable raised the limit).
      const large = m.bins.tcacheLargeIndex(size);
      if (
        tcache !== 0 && m.le(pr.minSize, size) &&
        !(pr.tcacheLargeSkipsMmapped && raw & IS_MMAPPED) &&
        tcacheCount(m, tcache, large) < m.params.tcacheCount
      ) {
        tcachePutLarge(m, tcache, p, large);
        m.explain.serve("tcache");
        return;
      }
    }
    if (tcache === 0 && !tls.shuttingDown) {
      // tcache_free_init: create the tcache, then free again.
      m.explain.aside(() => tcacheInit(m));
      libcFree(m, mem);
      return;
    }
  }
  // INT_ADD_OVERFLOW (p, size - MINSIZE), unsigned: also catches a size below MINSIZE (the
  // difference wraps to a huge word). Words from 2^63 up are negative numbers: counted exactly.
  const room = m.words.sub(size, pr.minSize);
  if (
    room >= 0
      ? p + room >= 2 ** (8 * c.sizeSz)
      : m.words.toBigInt(p) + m.words.toBigInt(room) >= 1n << BigInt(8 * c.sizeSz)
  ) {
    m.abort("free(): invalid size", p);
  }
  const arena = raw & IS_MMAPPED ? 0 : raw & NON_MAIN_ARENA ? c.word(m.heapForPtr(p)) : m.mainArena;
  if (arena !== 0) m.explain.arena(arena);
  intFreeChunkOrMunmap(m, arena, p, size);
}

/**
 * glibc 2.42+ `_int_free_chunk` as `__libc_free` calls it: the fastbins (2.42), merging into
 * the bins, or for an mmapped chunk the dynamic threshold and munmap; errno kept as it was.
 */
function intFreeChunkOrMunmap(m: MallocContext, arena: number, p: number, size: number): void {
  const c = m.chunks;
  const thread = m.thread;
  const savedErrno = thread.errno;
  const raw = c.sizeField(p);
  if (raw & IS_MMAPPED) {
    freeMmapped(m, p, raw);
  } else {
    intFreeChunk(m, arena, p, size, false);
  }
  thread.errno = savedErrno;
}

/**
 * The mmapped-chunk branch of `__libc_free` (every version): raise the dynamic mmap threshold
 * (and the trim threshold with it) when the chunk is above it, then munmap the chunk.
 */
function freeMmapped(m: MallocContext, p: number, raw: number): void {
  const mp = m.params;
  if (!mp.noDynThreshold && m.lt(mp.mmapThreshold, raw) && m.le(raw, m.profile.mmapThresholdMax)) {
    mp.mmapThreshold = m.chunks.size(p);
    mp.trimThreshold = 2 * mp.mmapThreshold;
    if (m.explain.enabled) {
      m.explain.arenaStep(p, mp.mmapThreshold, "mmap threshold raised");
    }
  }
  munmapChunk(m, p);
  m.explain.serve("munmap");
}

/** Zeroes `n` bytes at `mem` (glibc's memset / clear_memory). */
function clear(m: MallocContext, mem: number, n: number): void {
  if (n > 0) m.memory.fill(mem, n, 0);
}

/**
 * glibc `clear_memory` (the clear at the end of `__libc_calloc`): `clearsize` is the unsigned
 * word `chunksize - SIZE_SZ`. Up to nine words it stores 3, 5, 7 or 9 words — at least three,
 * whatever the chunk's size; beyond, it is a {@link libcMemset} of `clearsize` bytes, which for
 * a forged size word of 0 (`clearsize` = `(size_t) -SIZE_SZ`) is a length that wraps around
 * the address space (tests/fixtures/glibc_facts/calloc_size0.trace).
 */
function clearMemory(m: MallocContext, mem: number, clearsize: number): number {
  const ss = m.profile.sizeSz;
  const unsigned = clearsize < 0 ? clearsize + 2 ** 64 : clearsize;
  const nclears = Math.floor(unsigned / ss);
  if (nclears > 9) {
    libcMemset(m, mem, clearsize);
    return mem;
  }
  const words = nclears > 8 ? 9 : nclears > 6 ? 7 : nclears > 4 ? 5 : 3;
  m.memory.fill(mem, words * ss, 0);
  return mem;
}

/**
 * Bytes glibc's x86_64 memset stores at each end of a long range before its loop: four vectors
 * of its EVEX/AVX-512 variant (64 bytes), the one it selects on the oracle's machine.
 */
const MEMSET_EDGE_X86_64 = 4 * 64;

/**
 * `memset(d, 0, length)` for a length of more than nine words (`length` a word of the process).
 * x86_64 glibc stores the first and the last four vectors, then loops while below the end: when
 * `d + length` wraps past 2^64 the loop runs no iteration, so only `[d, d + 256)` and
 * `[end - 256, end)` are zeroed, without a fault (what real glibc 2.41 did). Otherwise every
 * byte is zeroed up to the first one that may not be written, where it faults (on i386 this is
 * assumed, not checked against real glibc).
 */
function libcMemset(m: MallocContext, d: number, length: number): void {
  const words = m.words;
  const end = words.add(d, length);
  if (m.profile.sizeSz === 8 && words.lt(end, d)) {
    m.memory.fill(d, MEMSET_EDGE_X86_64, 0);
    m.memory.fill(words.sub(end, MEMSET_EDGE_X86_64), MEMSET_EDGE_X86_64, 0);
    return;
  }
  const unsigned = length < 0 ? length + 2 ** 64 : length;
  const reach = Math.min(unsigned, Number.MAX_SAFE_INTEGER - d);
  try {
    m.memory.checkAccess(d, reach, "write");
  } catch (fault) {
    if (fault instanceof SegmentationFault && fault.address > d) {
      m.memory.fill(d, fault.address - d, 0);
    }
    throw fault;
  }
  m.memory.fill(d, reach, 0);
}

/**
 * The chunk size whose usable part calloc clears in a chunk `mem` it took from the tcache for
 * `bytes`: the bin's (the request's chunk size) for a small bin where the version clears by the
 * bin (2.43+), else the chunk's own size word, as a corruption may have left it.
 */
function callocClearSize(m: MallocContext, mem: number, bytes: number): number {
  const p = m.profile;
  if (p.callocClearsBinSize) {
    const nb = checkedRequest2size(m, bytes);
    if (m.bins.tcacheIndex(nb) < p.tcacheSmallBins) return nb;
  }
  return m.chunks.size(m.chunks.fromMem(mem));
}

/**
 * glibc `__libc_calloc (n, elem_size)`: like malloc of the product (NULL with ENOMEM on
 * overflow), bypassing the tcache before 2.41, and zeroing only the part of the chunk that
 * was not fresh memory from the system.
 */
export function libcCalloc(m: MallocContext, n: number, elemSize: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile;
  const words = m.words;
  const bits = 8 * p.sizeSz;
  const product = n * elemSize;
  let sz: number;
  let overflow: boolean;
  if (n >= 0 && elemSize >= 0 && product < 2 ** 53) {
    sz = product;
    overflow = product >= 2 ** bits;
  } else {
    const nb = words.toBigInt(n) * words.toBigInt(elemSize);
    overflow = nb >= 1n << BigInt(bits);
    sz = words.fromBigInt(nb);
  }
  if (overflow) {
    m.setErrno(Errno.ENOMEM);
    return 0;
  }
  if (m.libc.hooksActive) {
    // up to 2.33 calloc calls __malloc_hook itself (malloc_hook_ini: __libc_malloc) and clears
    const hook = m.chunks.word(m.libc.hooks.__malloc_hook);
    if (hook !== 0) {
      const hooked = runHook(m, "__malloc_hook", "calloc", sz);
      const mem = hooked === NO_HOOK ? libcMalloc(m, sz) : hooked;
      if (mem !== 0) clear(m, mem, sz);
      return mem;
    }
  }
  ptmallocInit(m);
  if (p.callocUsesTcache) {
    const mem = tcacheTake(m, sz);
    if (mem !== TCACHE_MISS) {
      if (mem !== 0) clearMemory(m, mem, words.sub(callocClearSize(m, mem, sz), p.sizeSz));
      return mem;
    }
  } else {
    maybeInitTcache(m);
  }
  let arena = m.singleThread ? m.mainArena : arenaGet(m, sz);
  let oldtop = 0, oldtopsize = 0;
  if (arena !== 0) {
    oldtop = a.top(arena);
    oldtopsize = c.size(oldtop);
    if (arena === m.mainArena) {
      const fresh = words.sub(words.add(m.params.sbrkBase, a.maxSystemMem(arena)), oldtop);
      if (m.lt(oldtopsize, fresh)) oldtopsize = fresh;
    } else {
      const heap = m.heapForPtr(oldtop);
      const fresh = words.sub(heap + c.word(heap + 3 * p.sizeSz), oldtop);
      if (m.lt(oldtopsize, fresh)) oldtopsize = fresh;
    }
  }
  let mem = intMalloc(m, arena, sz);
  if (!m.singleThread && mem === 0 && arena !== 0) {
    arena = arenaGetRetry(m, arena, sz);
    mem = intMalloc(m, arena, sz);
  }
  if (mem === 0) return 0;
  const chunk = c.fromMem(mem);
  let csz = c.size(chunk);
  if (c.isMmapped(chunk)) {
    if (m.perturbByte) clear(m, mem, sz);
    return mem;
  }
  if (m.perturbByte === 0 && chunk === oldtop && m.lt(oldtopsize, csz)) csz = oldtopsize;
  return clearMemory(m, mem, words.sub(csz, p.sizeSz));
}

/**
 * glibc `tcache_thread_shutdown`: the exiting thread frees every chunk of its tcache, then the
 * tcache itself, into their arenas (the tcache is gone first, so nothing returns to it).
 *
 * Each chunk goes through the version's `__libc_free` as glibc's does, picked once
 * ({@link libcFreeOf}: the hook check only where the version has hooks), or from 2.43 through
 * {@link freeToArena}; an exiting thread frees some 45 chunks on the threads trace, so no
 * closure or entry test is made per chunk.
 */
function tcacheThreadShutdown(m: MallocContext): void {
  const tls = m.tls();
  const tcache = tls.tcache;
  tls.shuttingDown = true;
  if (tcache === 0) return;
  tls.tcache = 0;
  const c = m.chunks, p = m.profile;
  const release = p.tcacheShutdownToArena ? freeToArena : libcFreeOf(p);
  for (let i = 0; i < p.tcacheMaxBins; i++) {
    const slot = tcacheEntrySlot(m, tcache, i);
    let steps = 0;
    for (let e = c.word(slot); e !== 0; e = c.word(slot)) {
      if (p.alignmentChecks && !c.aligned(e)) {
        m.abort("tcache_thread_shutdown(): unaligned tcache chunk detected", e);
      }
      if (++steps > LOOP_LIMIT) {
        throw new HeapLoopError(m.bins.tcacheName(i), "tcache_thread_shutdown", e, steps);
      }
      c.setWord(slot, c.reveal(e));
      release(m, e);
    }
  }
  release(m, tcache);
}

/**
 * 2.43+ `tcache_thread_shutdown`'s free of a cached chunk: its key cleared, then straight to
 * the chunk's arena (glibc `_int_free_chunk`), or munmap.
 */
function freeToArena(m: MallocContext, mem: number): void {
  const c = m.chunks;
  c.setWord(mem + c.sizeSz, 0);
  const p = c.fromMem(mem);
  const raw = c.sizeField(p);
  const arena = raw & NON_MAIN_ARENA ? c.word(m.heapForPtr(p)) : m.mainArena;
  intFreeChunkOrMunmap(m, arena, p, raw - (raw & SIZE_BITS));
}

/** glibc `__malloc_arena_thread_freeres`: the tcache, then the arena, of an exiting thread. */
export function mallocThreadFreeres(m: MallocContext): void {
  if (m.profile.tcache) tcacheThreadShutdown(m);
  arenaThreadFreeres(m);
}
