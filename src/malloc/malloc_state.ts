/**
 * Arenas (glibc `struct malloc_state`) as bytes in simulated memory: the fastbin heads, the top
 * chunk, the last remainder, the 127 circular bin lists with their bitmap, the arena list links
 * and the memory counters. The main arena lives in libc's data; a thread arena lives in its
 * first heap, right after heap_info. This module reads and writes the fields and sets up a
 * fresh arena (glibc `malloc_init_state`). glibc's `arena.c` (finding, creating and reusing
 * arenas and thread heaps) is `arena_get.ts` and `heap.ts`.
 *
 * Invariant: each bin header `bin_at (arena, i)` is addressed so that its `fd`/`bk` words are
 * `bins[2i-2]` and `bins[2i-1]`; an empty bin points to itself both ways.
 *
 * @module
 */

import type { ChunkMemory } from "./chunk.ts";
import { BINMAPSIZE, type GlibcProfile, NBINS } from "./profile.ts";

/** glibc `NONCONTIGUOUS_BIT` of `malloc_state.flags`. */
export const NONCONTIGUOUS_BIT = 2;
/** glibc `FASTCHUNKS_BIT` (before 2.26: set when there are *no* fast chunks). */
export const FASTCHUNKS_BIT = 1;

/**
 * Field access to the arenas of one process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { ChunkMemory } from "./chunk.ts";
 * import { ArenaMemory } from "./malloc_state.ts";
 * import { glibcProfile } from "./profile.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const profile = glibcProfile("2.36", "x86_64");
 * const at = proc.sys.mmap(0, 4096, 3, 0x22);
 * const arenas = new ArenaMemory(new ChunkMemory(proc.memory, proc.words, profile), profile);
 * arenas.initState(at, true);
 * assert.equal(arenas.top(at), arenas.binAt(at, 1)); // initial_top is the unsorted bin
 * ```
 */
export class ArenaMemory {
  readonly #c: ChunkMemory;
  readonly #p: GlibcProfile;
  readonly #s: number;
  readonly #binsBase: number;
  // The offsets of the fields read on every call, copied out of the profile: one load instead of
  // three (`this.#top`), and smaller accessors for V8 to inline into the malloc paths.
  readonly #top: number;
  readonly #lastRemainder: number;
  readonly #fastbins: number;
  readonly #flags: number;
  readonly #haveFastchunks: number;
  readonly #binmap: number;
  readonly #systemMem: number;
  readonly #maxSystemMem: number;
  readonly #hasFastbins: boolean;

  /** Arena access through `chunks` for a glibc build. */
  constructor(chunks: ChunkMemory, profile: GlibcProfile) {
    this.#c = chunks;
    this.#p = profile;
    this.#s = profile.sizeSz;
    this.#binsBase = profile.arena.bins - 2 * profile.sizeSz - 2 * profile.sizeSz;
    this.#top = profile.arena.top;
    this.#lastRemainder = profile.arena.lastRemainder;
    this.#fastbins = profile.arena.fastbins;
    this.#flags = profile.arena.flags;
    this.#haveFastchunks = profile.arena.haveFastchunks;
    this.#binmap = profile.arena.binmap;
    this.#systemMem = profile.arena.systemMem;
    this.#maxSystemMem = profile.arena.maxSystemMem;
    this.#hasFastbins = profile.fastbins;
  }

  /** glibc `bin_at (arena, i)`: the fake chunk whose fd/bk are the bin's list head. */
  binAt(arena: number, i: number): number {
    return arena + this.#binsBase + i * 2 * this.#s;
  }

  /** The bin index of a bin header address, or -1. */
  binIndexOf(arena: number, addr: number): number {
    const d = addr - arena - this.#binsBase;
    if (d < 0 || d % (2 * this.#s) !== 0) return -1;
    const i = d / (2 * this.#s);
    return i >= 1 && i < NBINS ? i : -1;
  }

  /** `top`. */
  top(arena: number): number {
    return this.#c.word(arena + this.#top);
  }

  /** Sets `top`. */
  setTop(arena: number, chunk: number): void {
    this.#c.setWord(arena + this.#top, chunk);
  }

  /** `last_remainder`. */
  lastRemainder(arena: number): number {
    return this.#c.word(arena + this.#lastRemainder);
  }

  /** Sets `last_remainder`. */
  setLastRemainder(arena: number, chunk: number): void {
    this.#c.setWord(arena + this.#lastRemainder, chunk);
  }

  /** Address of `fastbinsY[i]`. */
  fastbinSlot(arena: number, i: number): number {
    return arena + this.#fastbins + i * this.#s;
  }

  /** `fastbinsY[i]`: the head chunk of fastbin i (not mangled). */
  fastbin(arena: number, i: number): number {
    return this.#c.word(arena + this.#fastbins + i * this.#s);
  }

  /** Sets `fastbinsY[i]`. */
  setFastbin(arena: number, i: number, chunk: number): void {
    this.#c.setWord(arena + this.#fastbins + i * this.#s, chunk);
  }

  /** `flags`. */
  flags(arena: number): number {
    return this.#c.memory.read32(arena + this.#flags);
  }

  /** Sets `flags`. */
  setFlags(arena: number, flags: number): void {
    this.#c.memory.write32(arena + this.#flags, flags >>> 0);
  }

  /** glibc `contiguous (arena)`. */
  contiguous(arena: number): boolean {
    return (this.flags(arena) & NONCONTIGUOUS_BIT) === 0;
  }

  /** glibc `set_noncontiguous`. */
  setNoncontiguous(arena: number): void {
    this.setFlags(arena, this.flags(arena) | NONCONTIGUOUS_BIT);
  }

  /** `have_fastchunks` (or, before 2.26, FASTCHUNKS_BIT clear in flags). */
  haveFastchunks(arena: number): boolean {
    if (!this.#hasFastbins) return false;
    const off = this.#haveFastchunks;
    if (off >= 0) return this.#c.memory.read32(arena + off) !== 0;
    return (this.flags(arena) & FASTCHUNKS_BIT) === 0;
  }

  /** Sets `have_fastchunks`. */
  setHaveFastchunks(arena: number, value: boolean): void {
    if (!this.#hasFastbins) return;
    const off = this.#haveFastchunks;
    if (off >= 0) {
      this.#c.memory.write32(arena + off, value ? 1 : 0);
      return;
    }
    const f = this.flags(arena);
    this.setFlags(arena, value ? f & ~FASTCHUNKS_BIT : f | FASTCHUNKS_BIT);
  }

  /** `binmap[block]`. */
  binmap(arena: number, block: number): number {
    return this.#c.memory.read32(arena + this.#binmap + 4 * block);
  }

  /** Sets `binmap[block]`. */
  setBinmap(arena: number, block: number, value: number): void {
    this.#c.memory.write32(arena + this.#binmap + 4 * block, value >>> 0);
  }

  /** glibc `mark_bin`. */
  markBin(arena: number, i: number): void {
    const block = i >> 5;
    this.setBinmap(arena, block, this.binmap(arena, block) | (1 << (i & 31)));
  }

  /** glibc `unmark_bin`. */
  unmarkBin(arena: number, i: number): void {
    const block = i >> 5;
    this.setBinmap(arena, block, this.binmap(arena, block) & ~(1 << (i & 31)));
  }

  /** glibc `get_binmap`. */
  binMarked(arena: number, i: number): boolean {
    return (this.binmap(arena, i >> 5) & (1 << (i & 31))) !== 0;
  }

  /** `next`: the next arena in the circular list starting at main_arena. */
  next(arena: number): number {
    return this.#c.word(arena + this.#p.arena.next);
  }

  /** Sets `next`. */
  setNext(arena: number, value: number): void {
    this.#c.setWord(arena + this.#p.arena.next, value);
  }

  /** `next_free`. */
  nextFree(arena: number): number {
    return this.#c.word(arena + this.#p.arena.nextFree);
  }

  /** Sets `next_free`. */
  setNextFree(arena: number, value: number): void {
    this.#c.setWord(arena + this.#p.arena.nextFree, value);
  }

  /** `attached_threads`. */
  attachedThreads(arena: number): number {
    return this.#c.word(arena + this.#p.arena.attachedThreads);
  }

  /** Sets `attached_threads`. */
  setAttachedThreads(arena: number, value: number): void {
    this.#c.setWord(arena + this.#p.arena.attachedThreads, value);
  }

  /** `system_mem`. */
  systemMem(arena: number): number {
    return this.#c.word(arena + this.#systemMem);
  }

  /** Sets `system_mem`. */
  setSystemMem(arena: number, value: number): void {
    this.#c.setWord(arena + this.#systemMem, value);
  }

  /** `max_system_mem`. */
  maxSystemMem(arena: number): number {
    return this.#c.word(arena + this.#maxSystemMem);
  }

  /** Sets `max_system_mem`. */
  setMaxSystemMem(arena: number, value: number): void {
    this.#c.setWord(arena + this.#maxSystemMem, value);
  }

  /** `mutex` (0 unlocked). Operations never overlap in the simulation, so it stays 0. */
  mutex(arena: number): number {
    return this.#c.memory.read32(arena + this.#p.arena.mutex);
  }

  /**
   * The static initializer of `main_arena` in libc's data (`.next = &main_arena`,
   * `.attached_threads = 1`), everything else zero.
   */
  staticInit(arena: number): void {
    this.#c.memory.fill(arena, this.#p.arena.size, 0);
    this.setNext(arena, arena);
    this.setAttachedThreads(arena, 1);
  }

  /**
   * glibc `malloc_init_state`: every bin empty (pointing to itself), the arena noncontiguous
   * unless it is the main arena, top at the initial fake chunk (the unsorted bin header).
   */
  initState(arena: number, isMain: boolean): void {
    const c = this.#c;
    for (let i = 1; i < NBINS; i++) {
      const bin = this.binAt(arena, i);
      c.setFd(bin, bin);
      c.setBk(bin, bin);
    }
    if (!isMain) this.setNoncontiguous(arena);
    if (this.#haveFastchunks >= 0) this.setHaveFastchunks(arena, false);
    else if (this.#p.fastbins) this.setFlags(arena, this.flags(arena) | FASTCHUNKS_BIT);
    this.setTop(arena, this.binAt(arena, 1));
  }

  /** Number of binmap words. */
  get binmapSize(): number {
    return BINMAPSIZE;
  }
}
