/**
 * Chunks (glibc `struct malloc_chunk`) as bytes in simulated memory, and the arithmetic on
 * their sizes. A chunk at address `p`:
 *
 * ```
 *   p + 0          mchunk_prev_size   size of the previous chunk, if it is free
 *   p + SIZE_SZ    mchunk_size        size | NON_MAIN_ARENA (4) | IS_MMAPPED (2) | PREV_INUSE (1)
 *   p + 2*SIZE_SZ  fd                 user data starts here (chunk2mem)
 *   p + 3*SIZE_SZ  bk
 *   p + 4*SIZE_SZ  fd_nextsize        large free chunks only
 *   p + 5*SIZE_SZ  bk_nextsize
 * ```
 *
 * Every read and write goes through the process's memory, so a wild chunk pointer faults the
 * way it would in C. Word values follow `kernel/word.ts`: on x86_64 a word at or above 2^63 is
 * a negative number, and the low bits of any word are read with `& 7` exactly.
 *
 * Invariant: nothing here caches memory; the bytes are the only truth.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";
import type { WordOps } from "../kernel/word.ts";
import type { GlibcProfile } from "./profile.ts";

/** The previous chunk is in use (glibc `PREV_INUSE`). */
export const PREV_INUSE = 1;
/** The chunk was obtained with mmap (glibc `IS_MMAPPED`). */
export const IS_MMAPPED = 2;
/** The chunk belongs to a thread arena (glibc `NON_MAIN_ARENA`). */
export const NON_MAIN_ARENA = 4;
/** All flag bits (glibc `SIZE_BITS`). */
export const SIZE_BITS = 7;

const TWO32 = 0x1_0000_0000;
const TWO44 = 2 ** 44;
const TWO53 = 2 ** 53;

/**
 * Reads and writes chunk fields of one process (glibc's chunk macros).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { ChunkMemory } from "./chunk.ts";
 * import { glibcProfile } from "./profile.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const base = proc.sys.mmap(0, 4096, 3, 0x22);
 * const chunks = new ChunkMemory(proc.memory, proc.words, glibcProfile("2.36", "x86_64"));
 * chunks.setHead(base, 0x21);
 * assert.equal(chunks.size(base), 0x20);
 * ```
 */
export class ChunkMemory {
  /** glibc `SIZE_SZ`. */
  readonly sizeSz: number;
  /** glibc `CHUNK_HDR_SZ`. */
  readonly headerSize: number;
  /** glibc `MALLOC_ALIGN_MASK`. */
  readonly alignMask: number;
  /** glibc `MINSIZE`. */
  readonly minSize: number;
  /** The process memory. */
  readonly memory: Memory;
  /** Word arithmetic. */
  readonly words: WordOps;
  readonly #safeLinking: boolean;
  readonly #is64: boolean;
  /** Safe-linking on 64-bit words: {@link ChunkMemory.protect}'s fast path applies. */
  readonly #fastProtect: boolean;

  /** Chunk access on `memory` for a glibc build. */
  constructor(memory: Memory, words: WordOps, profile: GlibcProfile) {
    this.memory = memory;
    this.words = words;
    this.sizeSz = profile.sizeSz;
    this.headerSize = 2 * profile.sizeSz;
    this.alignMask = profile.mallocAlignment - 1;
    this.minSize = profile.minSize;
    this.#safeLinking = profile.safeLinking;
    this.#is64 = profile.sizeSz === 8;
    this.#fastProtect = profile.safeLinking && this.#is64;
  }

  // Methods, not per-instance closures: a closure made for each process would be a new call
  // target for V8, so code optimized for one process's chunks deoptimizes on the next one's.

  /** Reads a word. */
  word(addr: number): number {
    return this.#is64 ? this.memory.read64(addr) : this.memory.read32(addr);
  }

  /** Writes a word. */
  setWord(addr: number, value: number): void {
    if (this.#is64) this.memory.write64(addr, value);
    else this.memory.write32(addr, value);
  }

  /** glibc `prev_size`. */
  prevSize(p: number): number {
    return this.word(p);
  }

  /** glibc `set_prev_size`. */
  setPrevSize(p: number, size: number): void {
    this.setWord(p, size);
  }

  /** glibc `chunksize_nomask`: the raw size word, flags included. */
  sizeField(p: number): number {
    return this.word(p + this.sizeSz);
  }

  /** glibc `chunksize`: the size without the flag bits. */
  size(p: number): number {
    const f = this.word(p + this.sizeSz);
    return f - (f & SIZE_BITS);
  }

  /** glibc `set_head`: writes the whole size word. */
  setHead(p: number, value: number): void {
    this.setWord(p + this.sizeSz, value);
  }

  /** glibc `set_head_size`: a new size, keeping the flag bits (or-ed with those of `value`). */
  setHeadSize(p: number, value: number): void {
    const f = this.word(p + this.sizeSz);
    this.setWord(p + this.sizeSz, value - (value & SIZE_BITS) + ((f | value) & SIZE_BITS));
  }

  /** glibc `set_foot`: the next chunk's prev_size. */
  setFoot(p: number, size: number): void {
    this.setWord(this.words.add(p, size), size);
  }

  /** glibc `prev_inuse`. */
  prevInuse(p: number): boolean {
    return (this.word(p + this.sizeSz) & PREV_INUSE) !== 0;
  }

  /** glibc `chunk_is_mmapped`. */
  isMmapped(p: number): boolean {
    return (this.word(p + this.sizeSz) & IS_MMAPPED) !== 0;
  }

  /** glibc `chunk_main_arena`. */
  isMainArena(p: number): boolean {
    return (this.word(p + this.sizeSz) & NON_MAIN_ARENA) === 0;
  }

  /** glibc `set_non_main_arena`. */
  setNonMainArena(p: number): void {
    const f = this.word(p + this.sizeSz);
    if (!(f & NON_MAIN_ARENA)) this.setWord(p + this.sizeSz, f + NON_MAIN_ARENA);
  }

  /** glibc `chunk_at_offset`, with C's wrap-around. */
  at(p: number, offset: number): number {
    const r = p + offset;
    return r >= 0 && r < TWO53 && (this.#is64 || r < TWO32) ? r : this.words.add(p, offset);
  }

  /** glibc `next_chunk`. */
  next(p: number): number {
    return this.at(p, this.size(p));
  }

  /** glibc `inuse`: the PREV_INUSE bit of the next chunk. */
  inuse(p: number): boolean {
    return (this.sizeField(this.next(p)) & PREV_INUSE) !== 0;
  }

  /** glibc `inuse_bit_at_offset`. */
  inuseAt(p: number, offset: number): boolean {
    return (this.sizeField(this.at(p, offset)) & PREV_INUSE) !== 0;
  }

  /** glibc `set_inuse_bit_at_offset`. */
  setInuseAt(p: number, offset: number): void {
    const q = this.at(p, offset) + this.sizeSz;
    const f = this.word(q);
    if (!(f & PREV_INUSE)) this.setWord(q, f + PREV_INUSE);
  }

  /** glibc `clear_inuse_bit_at_offset`. */
  clearInuseAt(p: number, offset: number): void {
    const q = this.at(p, offset) + this.sizeSz;
    const f = this.word(q);
    if (f & PREV_INUSE) this.setWord(q, f - PREV_INUSE);
  }

  /** The `fd` field. */
  fd(p: number): number {
    return this.word(p + 2 * this.sizeSz);
  }

  /** The `bk` field. */
  bk(p: number): number {
    return this.word(p + 3 * this.sizeSz);
  }

  /** The `fd_nextsize` field. */
  fdNextsize(p: number): number {
    return this.word(p + 4 * this.sizeSz);
  }

  /** The `bk_nextsize` field. */
  bkNextsize(p: number): number {
    return this.word(p + 5 * this.sizeSz);
  }

  /** Sets `fd`. */
  setFd(p: number, v: number): void {
    this.setWord(p + 2 * this.sizeSz, v);
  }

  /** Sets `bk`. */
  setBk(p: number, v: number): void {
    this.setWord(p + 3 * this.sizeSz, v);
  }

  /** Sets `fd_nextsize`. */
  setFdNextsize(p: number, v: number): void {
    this.setWord(p + 4 * this.sizeSz, v);
  }

  /** Sets `bk_nextsize`. */
  setBkNextsize(p: number, v: number): void {
    this.setWord(p + 5 * this.sizeSz, v);
  }

  /** glibc `chunk2mem`. */
  toMem(p: number): number {
    return p + this.headerSize;
  }

  /** glibc `mem2chunk`. */
  fromMem(mem: number): number {
    return this.at(mem, -this.headerSize);
  }

  /** glibc `aligned_OK` / `misaligned_chunk` test on an address or size. */
  aligned(x: number): boolean {
    return (x & this.alignMask) === 0;
  }

  /** glibc `misaligned_chunk`: the user pointer of chunk `p` is not MALLOC_ALIGNMENT-aligned. */
  misaligned(p: number): boolean {
    return ((p + this.headerSize) & this.alignMask) !== 0;
  }

  /**
   * glibc `PROTECT_PTR (pos, ptr)`: safe-linking's mangling of a singly linked pointer stored
   * at `pos` (`(pos >> 12) ^ ptr`, glibc 2.32+). The identity on versions without it.
   */
  protect(pos: number, ptr: number): number {
    // The usual case, a 64-bit user-space pointer, is kept small so V8 inlines it into the
    // tcache and fastbin paths; the others (no safe-linking, i386, whole words) are a call.
    if (this.#fastProtect && ptr >= 0 && ptr < TWO53 && pos >= 0) {
      // Both halves at once: the key's low half is `pos / 4096` truncated (`>>> 0` takes it
      // modulo 2^32), its high half `pos / 2^44`; no intermediate leaves the integers exactly.
      const hi = Math.floor(ptr / TWO32), lo = ptr >>> 0;
      const khi = Math.floor(pos / TWO44), klo = (pos / 4096) >>> 0;
      return ((hi ^ khi) >>> 0) * TWO32 + ((lo ^ klo) >>> 0);
    }
    return this.#protectOther(pos, ptr);
  }

  /** {@link ChunkMemory.protect} off its fast path. */
  #protectOther(pos: number, ptr: number): number {
    if (!this.#safeLinking) return ptr;
    if (!this.#is64) return (Math.floor(pos / 4096) ^ ptr) >>> 0;
    return this.words.xor(Math.floor(pos / 4096), ptr);
  }

  /** glibc `REVEAL_PTR`: reads the mangled pointer stored at `pos` and unmangles it. */
  reveal(pos: number): number {
    const w = this.word(pos);
    return w < TWO53 && w > -TWO53 ? this.protect(pos, w) : this.#revealWide(pos);
  }

  /**
   * {@link reveal} of a word beyond 2^53 in size, which a number carries rounded (`word.ts`):
   * random bytes a corruption wrote. Unmangled, it keeps high bits no user-space address has, so
   * any access through it faults whatever its exact value; glibc's alignment check looks at its
   * low bits, which the rounding lost. The result is read from the word's exact low half and
   * carried as 2^52 plus it: as far outside user space, with the low bits the check sees.
   */
  #revealWide(pos: number): number {
    const low = this.memory.read32(pos);
    const key = this.#safeLinking ? Math.floor(pos / 4096) >>> 0 : 0;
    return 2 ** 52 + ((low ^ key) >>> 0);
  }

  /** Unsigned `a < b` on words. */
  lt(a: number, b: number): boolean {
    return this.#is64 ? ((a < 0) === (b < 0) ? a < b : b < 0) : a < b;
  }

  /** Unsigned `a <= b` on words. */
  le(a: number, b: number): boolean {
    return this.#is64 ? ((a < 0) === (b < 0) ? a <= b : b < 0) : a <= b;
  }

  /**
   * The chunk access for a glibc build: {@link ChunkMemory64} for 64-bit words, else a plain
   * ChunkMemory. The allocator makes its chunk access here, once per process.
   */
  static of(memory: Memory, words: WordOps, profile: GlibcProfile): ChunkMemory {
    return profile.sizeSz === 8
      ? new ChunkMemory64(memory, words, profile)
      : new ChunkMemory(memory, words, profile);
  }
}

/**
 * {@link ChunkMemory} for 64-bit words (x86_64): the word accesses and the unsigned compares
 * without the test of the word size that ChunkMemory makes on every call. They are the
 * innermost calls of every malloc and free, inlined by V8 into their callers: each byte of
 * their bytecode counts against the caller's inlining budget (tests/malloc/fast_paths_test.ts
 * holds them to ChunkMemory's).
 */
export class ChunkMemory64 extends ChunkMemory {
  override word(addr: number): number {
    return this.memory.read64(addr);
  }

  override setWord(addr: number, value: number): void {
    this.memory.write64(addr, value);
  }

  override lt(a: number, b: number): boolean {
    return (a < 0) === (b < 0) ? a < b : b < 0;
  }

  override le(a: number, b: number): boolean {
    return (a < 0) === (b < 0) ? a <= b : b < 0;
  }
}

/**
 * `x | flag` for a single flag bit on a whole word (JavaScript's `|` only sees 32 bits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withFlag } from "./chunk.ts";
 * assert.equal(withFlag(0x20, 1), 0x21);
 * assert.equal(withFlag(-1, 1), -1); // (size_t) -1 already has every bit
 * ```
 */
export function withFlag(x: number, flag: number): number {
  return (x & flag) !== 0 ? x : x + flag;
}

/**
 * glibc `request2size`: the chunk size serving a request of `request` bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { request2size } from "./chunk.ts";
 * assert.equal(request2size(24, 8, 15, 32), 0x20);
 * assert.equal(request2size(25, 8, 15, 32), 0x30);
 * ```
 */
export function request2size(
  request: number,
  sizeSz: number,
  alignMask: number,
  minSize: number,
): number {
  const r = request + sizeSz + alignMask;
  if (r >= 0 && r < minSize) return minSize;
  // The usual request: a 32-bit mask instead of a floating-point remainder.
  if (r >= 0 && r <= 0x7fff_ffff) return r & ~alignMask;
  const a = alignMask + 1;
  return r - (((r % a) + a) % a);
}
