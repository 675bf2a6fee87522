/**
 * Machine words of the simulated process: 32-bit (i386) and 64-bit (x86_64) unsigned integers
 * carried in JavaScript numbers, with the wrap-around arithmetic C does on `size_t`.
 *
 * Representation: a 32-bit word is its unsigned value (0 .. 2^32-1). A 64-bit word is its
 * unsigned value while below 2^63 and its two's-complement (negative) value from 2^63 up, so that
 * the words C programs actually write near the top of the range — `(size_t) -1` as a top chunk
 * size, a huge request that wraps an address around — stay exact: `0xffffffffffffffff` is `-1`.
 * Numbers are exact up to 2^53 in magnitude; a 64-bit word between 2^53 and 2^64 - 2^53 (random
 * bytes, mostly) is carried to the nearest representable value. All wrap-around arithmetic on
 * words goes through this module.
 *
 * @module
 */

const TWO32 = 0x1_0000_0000;
const TWO63 = 2 ** 63;
const TWO64 = 2 ** 64;

/** Operations on the words of one architecture. */
export interface WordOps {
  /** Word size in bits. */
  readonly bits: 32 | 64;
  /** Word size in bytes (glibc `SIZE_SZ`). */
  readonly bytes: 4 | 8;
  /** Brings any integer back into the word range, modulo 2^bits. */
  wrap(x: number): number;
  /** `a + b` modulo 2^bits. */
  add(a: number, b: number): number;
  /** `a - b` modulo 2^bits. */
  sub(a: number, b: number): number;
  /** Unsigned `a < b`. */
  lt(a: number, b: number): boolean;
  /** Unsigned `a <= b`. */
  le(a: number, b: number): boolean;
  /** The unsigned value as a bigint (exact for every representable word). */
  toBigInt(x: number): bigint;
  /** The word for an unsigned bigint value, modulo 2^bits. */
  fromBigInt(x: bigint): number;
  /** `a ^ b` on whole words (JavaScript's `^` only sees 32 bits). */
  xor(a: number, b: number): number;
  /** `a & b` on whole words. */
  and(a: number, b: number): number;
  /** The largest word, `(size_t) -1`. */
  readonly max: number;
}

/**
 * Lowercase hex of a word's unsigned value, without prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { words64, wordHex } from "./word.ts";
 * assert.equal(wordHex(words64, -1), "ffffffffffffffff");
 * ```
 */
export function wordHex(ops: WordOps, x: number): string {
  return ops.toBigInt(x).toString(16);
}

function fromHiLo64(hi: number, lo: number): number {
  const h = hi >>> 0;
  // Negative from 2^63 up, computed without an inexact intermediate.
  return h >= 0x8000_0000 ? (h - TWO32) * TWO32 + (lo >>> 0) : h * TWO32 + (lo >>> 0);
}

/** Words of a 64-bit process (x86_64). */
export const words64: WordOps = {
  bits: 64,
  bytes: 8,
  max: -1,
  wrap(x: number): number {
    if (x >= -TWO63 && x < TWO63) return x;
    let r = x % TWO64;
    if (r >= TWO63) r -= TWO64;
    else if (r < -TWO63) r += TWO64;
    return r;
  },
  add(a: number, b: number): number {
    return words64.wrap(a + b);
  },
  sub(a: number, b: number): number {
    return words64.wrap(a - b);
  },
  lt(a: number, b: number): boolean {
    return (a < 0) === (b < 0) ? a < b : b < 0;
  },
  le(a: number, b: number): boolean {
    return (a < 0) === (b < 0) ? a <= b : b < 0;
  },
  toBigInt(x: number): bigint {
    const b = BigInt(Math.trunc(x));
    return b < 0n ? b + (1n << 64n) : b;
  },
  fromBigInt(x: bigint): number {
    let v = BigInt.asUintN(64, x);
    if (v >= 1n << 63n) v -= 1n << 64n;
    return Number(v);
  },
  xor(a: number, b: number): number {
    const ah = Math.floor(a / TWO32), bh = Math.floor(b / TWO32);
    return fromHiLo64(ah ^ bh, (a - ah * TWO32) ^ (b - bh * TWO32));
  },
  and(a: number, b: number): number {
    const ah = Math.floor(a / TWO32), bh = Math.floor(b / TWO32);
    return fromHiLo64(ah & bh, (a - ah * TWO32) & (b - bh * TWO32));
  },
};

/** Words of a 32-bit process (i386). */
export const words32: WordOps = {
  bits: 32,
  bytes: 4,
  max: 0xffff_ffff,
  wrap(x: number): number {
    if (x >= 0 && x < TWO32) return x;
    const r = x % TWO32;
    return r < 0 ? r + TWO32 : r;
  },
  add(a: number, b: number): number {
    return words32.wrap(a + b);
  },
  sub(a: number, b: number): number {
    return words32.wrap(a - b);
  },
  lt(a: number, b: number): boolean {
    return a < b;
  },
  le(a: number, b: number): boolean {
    return a <= b;
  },
  toBigInt(x: number): bigint {
    return BigInt(x);
  },
  fromBigInt(x: bigint): number {
    return Number(BigInt.asUintN(32, x));
  },
  xor(a: number, b: number): number {
    return (a ^ b) >>> 0;
  },
  and(a: number, b: number): number {
    return (a & b) >>> 0;
  },
};

/** Joins unsigned 32-bit halves into a 64-bit word. */
export function joinWord64(hi: number, lo: number): number {
  return fromHiLo64(hi, lo);
}

/**
 * A word read as C's `long` (INTERNAL_SIZE_T cast to a signed type): a 32-bit word at or above
 * 2^31 is negative. (A 64-bit word is already carried signed.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signedWord, words32 } from "./word.ts";
 * assert.equal(signedWord(words32, 0xffff_f000), -0x1000);
 * ```
 */
export function signedWord(ops: WordOps, x: number): number {
  return ops.bits === 32 && x >= 0x8000_0000 ? x - TWO32 : x;
}

/**
 * glibc's `ALIGN_DOWN (x, a)` on a word: `x & ~(a - 1)`, a mask and not a division, so that an
 * `a` a corruption left at 0 (heap_info's pagesize) gives 0 and any other gives what C gives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskAlignDown, maskAlignUp, words32 } from "./word.ts";
 * assert.equal(maskAlignDown(words32, 0x1fff, 0x1000), 0x1000);
 * assert.equal(maskAlignDown(words32, 0x1fff, 0), 0);
 * assert.equal(maskAlignUp(words32, 0xffff_f001, 0x1000), 0); // wraps, as size_t does
 * ```
 */
export function maskAlignDown(ops: WordOps, x: number, a: number): number {
  return ops.and(x, ops.sub(0, a));
}

/** glibc's `ALIGN_UP (x, a)` on a word: `(x + a - 1) & ~(a - 1)`, wrapping as C does. */
export function maskAlignUp(ops: WordOps, x: number, a: number): number {
  return maskAlignDown(ops, ops.add(x, ops.sub(a, 1)), a);
}

/** `x` rounded up to a multiple of `alignment` (a negative `x` towards zero), as glibc's ALIGN_UP. */
export function alignUp(x: number, alignment: number): number {
  const r = x % alignment;
  return r === 0 ? x : r > 0 ? x + (alignment - r) : x - r;
}
