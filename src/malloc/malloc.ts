/**
 * The allocation path inside one arena (glibc `_int_malloc`), stage by stage as glibc takes
 * them:
 *
 * 1. fastbin of the exact size (and stash the rest of that fastbin into the tcache);
 * 2. smallbin of the exact size (and stash the rest of that smallbin);
 * 3. for a large request, malloc_consolidate first;
 * 4. the unsorted bin, oldest first: the last remainder for a small request, an exact fit
 *    (into the tcache first, while it has room), everything else sorted into its bin;
 * 5. for a large request, the best fit in its large bin (by the nextsize skip list);
 * 6. the binmap: the smallest non-empty larger bin, split;
 * 7. the top chunk — after one more malloc_consolidate if fast chunks exist — or sysmalloc.
 *
 * Invariant: on return, the chunk handed out is marked in use (PREV_INUSE of the next chunk, or
 * IS_MMAPPED), carries NON_MAIN_ARENA iff the arena is a thread arena, and every remainder it
 * left is in the unsorted bin or is the top.
 *
 * `intMalloc` takes the stages in glibc's order; each stage is a function of its own (`fromFastbin`,
 * `fromSmallbin`, `fromUnsorted`, `fromLargebin`, `fromBinmap`, `fromTop`) that returns the user
 * pointer or 0 when it cannot serve. glibc's `_int_malloc` is one routine whose stages share
 * locals; split, the common stages are small enough for V8 to compile early and inline, and the
 * rare ones (sorting into large bins, the binmap scan, sysmalloc) no longer make V8 recompile the
 * whole routine each time one of them runs for the first time.
 *
 * Over 500 lines: `intMalloc` and its stage functions model glibc's `_int_malloc`, one routine
 * longer than this file; the stages are kept in one file, in glibc's order, so a glibc reader
 * finds each at once.
 *
 * @module
 */

import { NON_MAIN_ARENA, PREV_INUSE, request2size, SIZE_BITS, withFlag } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { mallocConsolidate } from "./free.ts";
import { BINMAPSIZE } from "./profile.ts";
import { sysmalloc } from "./sysmalloc.ts";
import { tcacheCount, tcacheGet, tcachePut } from "./tcache.ts";
import { unlinkChunk } from "./unlink.ts";

/** glibc's `MAX_ITERS` of the unsorted-bin loop. */
const MAX_ITERS = 10000;

/**
 * glibc `checked_request2size`: the chunk size for a request, or 0 when the request is too
 * large (above PTRDIFF_MAX, or before 2.30 at or above `-2 * MINSIZE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { checkedRequest2size } from "./malloc.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * assert.equal(checkedRequest2size(heap.context, 1000), 0x3f0);
 * assert.equal(checkedRequest2size(heap.context, -1), 0); // (size_t) -1 is too large
 * ```
 */
export function checkedRequest2size(m: MallocContext, request: number): number {
  const p = m.profile;
  if (p.requestLimit === "ptrdiff") {
    // Above PTRDIFF_MAX: a negative word on x86_64, 2^31 and up on i386.
    if (p.sizeSz === 8 ? request < 0 : request > 0x7fff_ffff) return 0;
  } else if (
    p.sizeSz === 8 ? request < 0 && request >= -2 * p.minSize : request >= 2 ** 32 - 2 * p.minSize
  ) {
    // REQUEST_OUT_OF_RANGE: at or above -2 * MINSIZE.
    return 0;
  }
  return request2size(request, p.sizeSz, p.mallocAlignment - 1, p.minSize);
}

/** glibc `alloc_perturb`: fills a fresh chunk with `perturb_byte ^ 0xff` when M_PERTURB is set. */
function allocPerturb(m: MallocContext, mem: number, bytes: number): void {
  if (m.perturbByte) m.memory.fill(mem, bytes, (m.perturbByte ^ 0xff) & 0xff);
}

/**
 * 2.43+: the tcache is created when the first chunk is about to be stashed in it, if it is
 * still inactive (neither created nor disabled). The thread's tcache, or 0.
 */
function tcacheForStash(m: MallocContext, arena: number): number {
  const tls = m.tls();
  if (tls.tcache === 0 && !tls.shuttingDown) {
    // tcache_init runs an _int_malloc of its own, which starts its own count; glibc's count is
    // a local, so this call's goes on where it was.
    const count = m.tcacheUnsortedCount;
    m.explain.aside(() => m.tcacheInitIn(arena));
    m.tcacheUnsortedCount = count;
  }
  return tls.tcache;
}

/** List `i` of the tcache holds `tcache_count` chunks: nothing more may be stashed in it. */
function tcacheFull(m: MallocContext, tcache: number, i: number): boolean {
  return tcacheCount(m, tcache, i) >= m.params.tcacheCount;
}

/*
 * The two walks along a large bin's nextsize skip list (one chunk per size, largest first along
 * fd_nextsize), kept out of _int_malloc so that V8 compiles each tight loop on its own.
 */

/**
 * Sorting a chunk into large bin `idx`: from `fwd`, follows fd_nextsize past the chunks larger
 * than `sizeIn` (a size with PREV_INUSE set, compared with whole size words as glibc does).
 */
function skipLargerChunks(m: MallocContext, fwd: number, sizeIn: number, idx: number): number {
  const c = m.chunks;
  let steps = 0;
  while (m.lt(sizeIn, c.sizeField(fwd))) {
    fwd = c.fdNextsize(fwd);
    if (++steps > LOOP_LIMIT) {
      throw new HeapLoopError(m.bins.binName(idx), "_int_malloc", fwd, steps);
    }
  }
  return fwd;
}

/** The best fit in large bin `idx`: from `v`, follows bk_nextsize past chunks smaller than `nb`. */
function skipSmallerChunks(m: MallocContext, v: number, nb: number, idx: number): number {
  const c = m.chunks;
  let steps = 0;
  while (m.lt(c.size(v), nb)) {
    v = c.bkNextsize(v);
    if (++steps > LOOP_LIMIT) {
      throw new HeapLoopError(m.bins.binName(idx), "_int_malloc", v, steps);
    }
  }
  return v;
}

function done(m: MallocContext, victim: number, bytes: number, served: string): number {
  const mem = m.chunks.toMem(victim);
  allocPerturb(m, mem, bytes);
  m.explain.serve(served);
  return mem;
}

/** Nothing else served the request: sysmalloc (mmap only when `arena` is 0). */
function fromSystem(m: MallocContext, nb: number, arena: number, bytes: number): number {
  const mem = sysmalloc(m, nb, arena);
  if (mem !== 0) allocPerturb(m, mem, bytes);
  return mem;
}

/**
 * glibc `_int_malloc (arena, bytes)`: returns a user pointer or 0 (errno ENOMEM). `arena` 0
 * means no usable arena: only mmap is tried.
 *
 * Each stage is a function of its own, in glibc's order, returning the user pointer or 0 when it
 * could not serve: V8 then compiles and inlines the common stages (fastbin, smallbin, top) early
 * and on their own, and the rare ones (large bins, binmap, sysmalloc) do not weigh on them. The
 * stages share only the request (`nb`, its bin index) and the tcache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { intMalloc } from "./malloc.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.malloc(1); // initializes malloc and the tcache
 * const p = intMalloc(heap.context, heap.context.mainArena, 100);
 * assert.equal(heap.usableSize(p), 0x68);
 * ```
 */
export function intMalloc(m: MallocContext, arena: number, bytes: number): number {
  const b = m.bins;
  const nb = checkedRequest2size(m, bytes);
  if (nb === 0) {
    m.setErrno();
    return 0;
  }
  if (arena === 0) return fromSystem(m, nb, 0, bytes);
  m.explain.arena(arena);
  const tcache = m.tls().tcache;
  const tcIdx = b.tcacheIndex(nb);
  const useTcache = tcache !== 0 && tcIdx < m.params.tcacheBins;

  // 1. Fastbins.
  if (m.le(nb, m.globalMaxFast)) {
    const mem = fromFastbin(m, arena, nb, bytes, useTcache ? tcache : 0, tcIdx);
    if (mem !== 0) return mem;
  }

  // 2. Small bins (or, for a large request, consolidate the fastbins first).
  let idx: number;
  if (b.inSmallbinRange(nb)) {
    idx = b.smallbinIndex(nb);
    const mem = fromSmallbin(m, arena, nb, bytes, idx, useTcache ? tcache : 0, tcIdx);
    if (mem !== 0) return mem;
  } else {
    idx = b.largebinIndex(nb);
    if (m.arenas.haveFastchunks(arena)) mallocConsolidate(m, arena);
  }

  const lazy = m.profile.tcacheInit === "lazy";
  const tcacheNb = useTcache || (lazy && tcIdx < m.params.tcacheBins) ? nb : 0;
  m.tcacheUnsortedCount = 0;
  for (;;) {
    // 4. The unsorted bin.
    let mem = fromUnsorted(m, arena, nb, bytes, tcache, tcIdx, tcacheNb);
    if (mem !== 0) return mem;
    // 5. A large request: the smallest chunk that fits in its own bin.
    if (!b.inSmallbinRange(nb)) {
      mem = fromLargebin(m, arena, nb, bytes, idx);
      if (mem !== 0) return mem;
    }
    // 6. The binmap: the next non-empty bin, best fit by size class.
    mem = fromBinmap(m, arena, nb, bytes, idx + 1);
    if (mem !== 0) return mem;
    // 7. The top chunk — after one more malloc_consolidate if fast chunks exist — or sysmalloc.
    mem = fromTop(m, arena, nb, bytes);
    if (mem !== 0) return mem;
    if (!m.arenas.haveFastchunks(arena)) return fromSystem(m, nb, arena, bytes);
    mallocConsolidate(m, arena);
    idx = b.inSmallbinRange(nb) ? b.smallbinIndex(nb) : b.largebinIndex(nb);
  }
}

/**
 * Stage 1: the head of the fastbin of size `nb`, the rest of that fastbin stashed into the
 * `tcache` (0: no stashing) while it has room. 0 when the fastbin is empty.
 */
function fromFastbin(
  m: MallocContext,
  arena: number,
  nb: number,
  bytes: number,
  tcache: number,
  tcIdx: number,
): number {
  const c = m.chunks, b = m.bins, p = m.profile, ex = m.explain;
  const idx = b.fastbinIndex(nb);
  const slot = m.arenas.fastbinSlot(arena, idx);
  const victim = c.word(slot);
  if (victim === 0) return 0;
  if (p.alignmentChecks && c.misaligned(victim)) {
    m.abort("malloc(): unaligned fastbin chunk detected 2", victim);
  }
  const next = c.reveal(victim + 2 * c.sizeSz);
  if (!m.singleThread && p.alignmentChecks && next !== 0 && c.misaligned(next)) {
    m.abort("malloc(): unaligned fastbin chunk detected", next);
  }
  c.setWord(slot, next);
  if (b.fastbinIndex(c.size(victim)) !== idx) {
    m.abort("malloc(): memory corruption (fast)", victim);
  }
  if (ex.enabled) ex.take(victim, nb, b.fastbinName(idx));
  if (tcache !== 0) stashFastbin(m, slot, nb, idx, tcache, tcIdx);
  return done(m, victim, bytes, "fastbin");
}

/** Moves chunks from the head of fastbin `idx` (at `slot`) into the tcache while it has room. */
function stashFastbin(
  m: MallocContext,
  slot: number,
  nb: number,
  idx: number,
  tcache: number,
  tcIdx: number,
): void {
  const c = m.chunks, p = m.profile, ex = m.explain;
  let tcVictim: number;
  while (!tcacheFull(m, tcache, tcIdx) && (tcVictim = c.word(slot)) !== 0) {
    if (p.alignmentChecks && c.misaligned(tcVictim)) {
      m.abort("malloc(): unaligned fastbin chunk detected 3", tcVictim);
    }
    const after = c.reveal(tcVictim + 2 * c.sizeSz);
    if (!m.singleThread && p.alignmentChecks && after !== 0 && c.misaligned(after)) {
      m.abort("malloc(): unaligned fastbin chunk detected", after);
    }
    c.setWord(slot, after);
    if (ex.enabled) ex.take(tcVictim, nb, m.bins.fastbinName(idx), "stashed");
    tcachePut(m, tcache, tcVictim, tcIdx);
  }
}

/**
 * Stage 2: the last chunk of smallbin `idx` (exact size `nb`), the rest of that smallbin stashed
 * into the `tcache` (0: no stashing; 2.43+ creates it here) while it has room. 0 when the bin is
 * empty.
 */
function fromSmallbin(
  m: MallocContext,
  arena: number,
  nb: number,
  bytes: number,
  idx: number,
  tcache: number,
  tcIdx: number,
): number {
  const c = m.chunks, ex = m.explain;
  const bin = m.arenas.binAt(arena, idx);
  const victim = c.bk(bin);
  if (victim === bin) return 0;
  const isMain = arena === m.mainArena;
  const bck = c.bk(victim);
  if (c.fd(bck) !== victim) m.abort("malloc(): smallbin double linked list corrupted", victim);
  c.setInuseAt(victim, nb);
  c.setBk(bin, bck);
  c.setFd(bck, bin);
  if (!isMain) c.setNonMainArena(victim);
  if (ex.enabled) ex.take(victim, nb, m.bins.binName(idx));
  if (m.profile.tcacheInit === "lazy" && tcIdx < m.params.tcacheBins) {
    tcache = tcacheForStash(m, arena);
  }
  if (tcache !== 0) stashSmallbin(m, arena, bin, nb, idx, tcache, tcIdx);
  return done(m, victim, bytes, "smallbin");
}

/** Moves chunks from the back of smallbin `idx` (`bin`) into the tcache while it has room. */
function stashSmallbin(
  m: MallocContext,
  arena: number,
  bin: number,
  nb: number,
  idx: number,
  tcache: number,
  tcIdx: number,
): void {
  const c = m.chunks, ex = m.explain;
  const isMain = arena === m.mainArena;
  let tcVictim: number;
  while (!tcacheFull(m, tcache, tcIdx) && (tcVictim = c.bk(bin)) !== bin) {
    if (tcVictim !== 0) {
      const tbck = c.bk(tcVictim);
      c.setInuseAt(tcVictim, nb);
      if (!isMain) c.setNonMainArena(tcVictim);
      c.setBk(bin, tbck);
      c.setFd(tbck, bin);
      if (ex.enabled) ex.take(tcVictim, nb, m.bins.binName(idx), "stashed");
      tcachePut(m, tcache, tcVictim, tcIdx);
    }
  }
}

/**
 * Stage 4: the unsorted bin, oldest first, at most MAX_ITERS chunks: the last remainder for a
 * small request, an exact fit (into the tcache first while it has room, when `tcacheNb` is not
 * 0), everything else sorted into its bin. 0 when nothing was served.
 */
function fromUnsorted(
  m: MallocContext,
  arena: number,
  nb: number,
  bytes: number,
  tcache: number,
  tcIdx: number,
  tcacheNb: number,
): number {
  const c = m.chunks, a = m.arenas, p = m.profile, ex = m.explain;
  const unsorted = a.binAt(arena, 1);
  const lazy = p.tcacheInit === "lazy";
  let returnCached = false;
  let iters = 0;
  let victim: number;
  while ((victim = c.bk(unsorted)) !== unsorted) {
    const bck = c.bk(victim);
    const size = checkedUnsortedSize(m, arena, victim, bck);

    // The last remainder serves a run of small requests.
    if (
      m.bins.inSmallbinRange(nb) && bck === unsorted && victim === a.lastRemainder(arena) &&
      m.lt(nb + p.minSize, size)
    ) {
      splitLastRemainder(m, arena, victim, size, nb);
      return done(m, victim, bytes, "last remainder");
    }

    // Take it off the unsorted list. glibc 2.29–2.38 test `bck->fd != victim` again first
    // ("malloc(): corrupted unsorted chunks 3"): the word checkedUnsortedSize has just compared
    // (2.29+), with nothing stored since, so that test cannot fail and the word is not read again.
    c.setBk(unsorted, bck);
    c.setFd(bck, unsorted);

    if (size === nb) {
      c.setInuseAt(victim, size);
      if (arena !== m.mainArena) c.setNonMainArena(victim);
      if (lazy && p.tcacheStashUnsorted) tcache = tcacheForStash(m, arena);
      if (
        p.tcacheStashUnsorted && tcacheNb > 0 && tcache !== 0 && !tcacheFull(m, tcache, tcIdx)
      ) {
        if (ex.enabled) ex.take(victim, size, "unsorted", "exact fit");
        tcachePut(m, tcache, victim, tcIdx);
        returnCached = true;
        continue;
      }
      if (ex.enabled) ex.take(victim, size, "unsorted", "exact fit");
      return done(m, victim, bytes, "unsorted exact fit");
    }

    sortIntoBin(m, arena, victim, size);

    m.tcacheUnsortedCount++;
    if (
      returnCached && m.params.tcacheUnsortedLimit > 0 &&
      m.tcacheUnsortedCount > m.params.tcacheUnsortedLimit
    ) {
      m.explain.serve("unsorted exact fit (via tcache)");
      return tcacheGet(m, tcache, tcIdx);
    }
    if (++iters >= MAX_ITERS) break;
  }
  if (returnCached) {
    m.explain.serve("unsorted exact fit (via tcache)");
    return tcacheGet(m, tcache, tcIdx);
  }
  return 0;
}

/** The size of unsorted chunk `victim` (whose `bk` is `bck`), after the version's checks. */
function checkedUnsortedSize(
  m: MallocContext,
  arena: number,
  victim: number,
  bck: number,
): number {
  const c = m.chunks, a = m.arenas;
  if (!m.profile.unsortedChecks) {
    const raw = c.sizeField(victim);
    if (m.le(raw, c.headerSize) || m.lt(a.systemMem(arena), raw)) {
      m.abort("malloc(): memory corruption", victim);
    }
    return raw - (raw & SIZE_BITS); // chunksize (victim): the word just read
  }
  const size = c.size(victim);
  const systemMem = a.systemMem(arena);
  if (m.le(size, c.headerSize) || m.lt(systemMem, size)) {
    m.abort("malloc(): invalid size (unsorted)", victim);
  }
  const next = c.at(victim, size);
  const nextField = c.sizeField(next);
  if (m.lt(nextField, c.headerSize) || m.lt(systemMem, nextField)) {
    m.abort("malloc(): invalid next size (unsorted)", victim);
  }
  const nextPrev = c.prevSize(next);
  if (nextPrev - (nextPrev & SIZE_BITS) !== size) {
    m.abort("malloc(): mismatching next->prev_size (unsorted)", victim);
  }
  if (c.fd(bck) !== victim || c.fd(victim) !== a.binAt(arena, 1)) {
    m.abort("malloc(): unsorted double linked list corrupted", victim);
  }
  if (nextField & PREV_INUSE) {
    m.abort("malloc(): invalid next->prev_inuse (unsorted)", victim);
  }
  return size;
}

/** The last remainder `victim` (`size` bytes, alone in the unsorted bin) split for `nb`. */
function splitLastRemainder(
  m: MallocContext,
  arena: number,
  victim: number,
  size: number,
  nb: number,
): void {
  const c = m.chunks, a = m.arenas, ex = m.explain;
  const unsorted = a.binAt(arena, 1);
  const remainderSize = size - nb;
  const remainder = c.at(victim, nb);
  c.setBk(unsorted, remainder);
  c.setFd(unsorted, remainder);
  a.setLastRemainder(arena, remainder);
  c.setBk(remainder, unsorted);
  c.setFd(remainder, unsorted);
  if (!m.bins.inSmallbinRange(remainderSize)) {
    c.setFdNextsize(remainder, 0);
    c.setBkNextsize(remainder, 0);
  }
  c.setHead(victim, nb + PREV_INUSE + (arena === m.mainArena ? 0 : NON_MAIN_ARENA));
  c.setHead(remainder, remainderSize + PREV_INUSE);
  c.setFoot(remainder, remainderSize);
  if (ex.enabled) ex.split(victim, nb, { from: "unsorted", note: "last remainder" });
  if (ex.enabled) {
    ex.put(remainder, remainderSize, "unsorted", { note: "remainder" });
  }
}

/** Sorts `victim` (`size` bytes, off the unsorted list) into its small or large bin. */
function sortIntoBin(m: MallocContext, arena: number, victim: number, size: number): void {
  const b = m.bins;
  if (b.inSmallbinRange(size)) {
    const victimIndex = b.smallbinIndex(size);
    const bck = m.arenas.binAt(arena, victimIndex);
    linkIntoBin(m, arena, victim, size, victimIndex, bck, m.chunks.fd(bck));
  } else {
    sortIntoLargebin(m, arena, victim, size);
  }
}

/** Sorts `victim` into its large bin: by size, largest first, on the nextsize skip list too. */
function sortIntoLargebin(m: MallocContext, arena: number, victim: number, size: number): void {
  const c = m.chunks, p = m.profile;
  const victimIndex = m.bins.largebinIndex(size);
  let bck = m.arenas.binAt(arena, victimIndex);
  let fwd = c.fd(bck);
  if (fwd !== bck) {
    const sizeIn = size + PREV_INUSE;
    const last = c.bk(bck);
    if (m.lt(sizeIn, c.sizeField(last))) {
      fwd = bck;
      bck = last;
      const first = c.fd(fwd);
      if (p.largebinSmallestCheck && c.fdNextsize(c.bkNextsize(first)) !== first) {
        m.abort("malloc(): largebin double linked list corrupted (nextsize)", first);
      }
      c.setFdNextsize(victim, first);
      c.setBkNextsize(victim, c.bkNextsize(first));
      c.setBkNextsize(first, victim);
      c.setFdNextsize(c.bkNextsize(victim), victim);
    } else {
      fwd = skipLargerChunks(m, fwd, sizeIn, victimIndex);
      if (sizeIn === c.sizeField(fwd)) {
        fwd = c.fd(fwd);
      } else {
        c.setFdNextsize(victim, fwd);
        c.setBkNextsize(victim, c.bkNextsize(fwd));
        if (p.unsortedChecks && c.fdNextsize(c.bkNextsize(fwd)) !== fwd) {
          m.abort("malloc(): largebin double linked list corrupted (nextsize)", fwd);
        }
        c.setBkNextsize(fwd, victim);
        c.setFdNextsize(c.bkNextsize(victim), victim);
      }
      bck = c.bk(fwd);
      if (p.unsortedChecks && c.fd(bck) !== fwd) {
        m.abort("malloc(): largebin double linked list corrupted (bk)", fwd);
      }
    }
  } else {
    c.setFdNextsize(victim, victim);
    c.setBkNextsize(victim, victim);
  }
  linkIntoBin(m, arena, victim, size, victimIndex, bck, fwd);
}

/** Links `victim` into bin `victimIndex` between `bck` and `fwd`, and marks the bin in use. */
function linkIntoBin(
  m: MallocContext,
  arena: number,
  victim: number,
  size: number,
  victimIndex: number,
  bck: number,
  fwd: number,
): void {
  const c = m.chunks, ex = m.explain;
  m.arenas.markBin(arena, victimIndex);
  c.setBk(victim, bck);
  c.setFd(victim, fwd);
  c.setBk(fwd, victim);
  c.setFd(bck, victim);
  if (ex.enabled) {
    ex.put(victim, size, m.bins.binName(victimIndex), { from: "unsorted", note: "sorted" });
  }
}

/** Stage 5: the smallest chunk of large bin `idx` that fits `nb`, split. 0 when none fits. */
function fromLargebin(m: MallocContext, arena: number, nb: number, bytes: number, idx: number) {
  const c = m.chunks, ex = m.explain;
  const bin = m.arenas.binAt(arena, idx);
  let v = c.fd(bin);
  if (v === bin || !m.le(nb, c.sizeField(v))) return 0;
  v = skipSmallerChunks(m, c.bkNextsize(v), nb, idx);
  const size = c.size(v);
  if (v !== c.bk(bin) && c.sizeField(v) === c.sizeField(c.fd(v))) v = c.fd(v);
  unlinkChunk(m, arena, v);
  if (ex.enabled) ex.take(v, size, m.bins.binName(idx));
  useOrSplit(m, arena, v, nb, size, false, "malloc(): corrupted unsorted chunks");
  return done(m, v, bytes, "largebin");
}

/**
 * Stage 6: from bin `idx` up, by the binmap, the first non-empty bin (its chunks are all larger
 * than `nb`), its last chunk split; a bin found empty has its bit cleared. 0 when none is left.
 * The binmap's words are read as unsigned 32-bit numbers; `bit` is kept signed (bit 31 is
 * negative, `>>> 0` only in the comparisons) so that it stays a small integer for V8.
 */
function fromBinmap(m: MallocContext, arena: number, nb: number, bytes: number, idx: number) {
  const c = m.chunks, a = m.arenas;
  let bin = a.binAt(arena, idx);
  let block = idx >> 5;
  let map = a.binmap(arena, block);
  let bit = 1 << (idx & 31);
  for (;;) {
    if ((bit >>> 0) > map || bit === 0) {
      do {
        if (++block >= BINMAPSIZE) return 0;
      } while ((map = a.binmap(arena, block)) === 0);
      bin = a.binAt(arena, block << 5);
      bit = 1;
    }
    while ((bit & map) === 0) {
      bin += 2 * c.sizeSz;
      bit <<= 1;
      if (bit === 0) m.assertFail("binmapBit");
    }
    const v = c.bk(bin);
    if (v === bin) {
      map = (map & ~bit) >>> 0;
      a.setBinmap(arena, block, map);
      bin += 2 * c.sizeSz;
      bit <<= 1;
    } else {
      const size = c.size(v);
      if (m.lt(size, nb)) {
        m.assertFail("binmapSize", v);
      }
      unlinkChunk(m, arena, v);
      if (m.explain.enabled) {
        m.explain.take(v, size, m.bins.binName(a.binIndexOf(arena, bin)), "binmap");
      }
      useOrSplit(
        m,
        arena,
        v,
        nb,
        size,
        m.bins.inSmallbinRange(nb),
        "malloc(): corrupted unsorted chunks 2",
      );
      return done(m, v, bytes, "binmap");
    }
  }
}

/**
 * A chunk `v` of `size` bytes, unlinked, for a request of `nb`: used whole when the rest would be
 * smaller than MINSIZE, else split (the remainder to the unsorted bin, advertised as the last
 * remainder when `advertise`).
 */
function useOrSplit(
  m: MallocContext,
  arena: number,
  v: number,
  nb: number,
  size: number,
  advertise: boolean,
  message: string,
): void {
  const remainderSize = size - nb;
  if (remainderSize < m.profile.minSize) {
    m.chunks.setInuseAt(v, size);
    if (arena !== m.mainArena) m.chunks.setNonMainArena(v);
  } else {
    const nonMain = arena === m.mainArena ? 0 : NON_MAIN_ARENA;
    splitRemainder(m, arena, v, nb, remainderSize, nonMain, advertise, message);
  }
}

/** Stage 7: `nb` bytes split off the top chunk. 0 when the top is too small. */
function fromTop(m: MallocContext, arena: number, nb: number, bytes: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile;
  const top = a.top(arena);
  const size = c.size(top);
  if (p.topSizeCheck && m.lt(a.systemMem(arena), size)) {
    m.abort("malloc(): corrupted top size", top);
  }
  if (!m.le(nb + p.minSize, size)) return 0;
  const remainderSize = m.words.sub(size, nb);
  const remainder = c.at(top, nb);
  a.setTop(arena, remainder);
  c.setHead(top, nb + PREV_INUSE + (arena === m.mainArena ? 0 : NON_MAIN_ARENA));
  c.setHead(remainder, withFlag(remainderSize, PREV_INUSE));
  if (m.explain.enabled) m.explain.split(top, nb, { from: "top" });
  return done(m, top, bytes, "top");
}

/**
 * Splits `victim` (already unlinked) into an `nb`-byte chunk and a remainder that goes to the
 * front of the unsorted bin (and becomes the last remainder when `advertise`).
 */
function splitRemainder(
  m: MallocContext,
  arena: number,
  victim: number,
  nb: number,
  remainderSize: number,
  nonMain: number,
  advertise: boolean,
  message: string,
): void {
  const c = m.chunks, a = m.arenas;
  const remainder = c.at(victim, nb);
  const bck = a.binAt(arena, 1);
  const fwd = c.fd(bck);
  if (c.bk(fwd) !== bck) m.abort(message, fwd);
  c.setBk(remainder, bck);
  c.setFd(remainder, fwd);
  c.setFd(bck, remainder);
  c.setBk(fwd, remainder);
  if (advertise) a.setLastRemainder(arena, remainder);
  if (!m.bins.inSmallbinRange(remainderSize)) {
    c.setFdNextsize(remainder, 0);
    c.setBkNextsize(remainder, 0);
  }
  c.setHead(victim, nb + PREV_INUSE + nonMain);
  c.setHead(remainder, remainderSize + PREV_INUSE);
  c.setFoot(remainder, remainderSize);
  if (m.explain.enabled) m.explain.split(victim, nb, { note: "split" });
  if (m.explain.enabled) {
    m.explain.put(remainder, remainderSize, "unsorted", { note: "remainder" });
  }
}
