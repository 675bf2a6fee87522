/**
 * C integer arithmetic, exact. A value of an integer or pointer type is a JavaScript number
 * while its C value is a safe integer (|v| < 2^53), and a bigint beyond — so a 64-bit value is
 * never rounded through a double, and the common case (sizes, addresses below 2^47, counters)
 * stays on the fast number path. The representation is canonical (a bigint is never a safe
 * integer), so two equal values are `===`.
 *
 * Types up to 32 bits are always numbers: signed types hold -2^(n-1)..2^(n-1)-1, unsigned
 * 0..2^n-1. Every operation wraps as C does on the type it computes in (unsigned arithmetic
 * modulo 2^n; signed overflow wraps too, as x86 does, although C leaves it undefined). Shift
 * counts are masked to the width, as x86's shift instructions do. These are the run-time
 * semantics; a constant expression is folded as gcc folds it (`constant_folding.ts`).
 *
 * @module
 */

/** A C integer value. */
export type Int = number | bigint;

const MAX = Number.MAX_SAFE_INTEGER;
const MAXN = BigInt(MAX);
const TWO32 = 4294967296;

/** A 64-bit value as canonical `Int` for a signed or unsigned 64-bit type. */
export function norm64(x: Int, signed: boolean): Int {
  if (typeof x === "number") {
    if (x >= 0 ? x <= MAX : signed && x >= -MAX) return x;
    x = BigInt(Math.trunc(x));
  }
  const b = signed ? BigInt.asIntN(64, x) : BigInt.asUintN(64, x);
  return b >= -MAXN && b <= MAXN ? Number(b) : b;
}

/** Converts any integer to an integer type of `size` bytes. */
export function convertInt(x: Int, size: number, signed: boolean): Int {
  if (size === 8) return norm64(x, signed);
  if (typeof x === "bigint") x = Number(BigInt.asIntN(32, x));
  else if (!(x >= -2147483648 && x < TWO32)) x = x - Math.floor(x / TWO32) * TWO32;
  switch (size) {
    case 4:
      return signed ? x | 0 : x >>> 0;
    case 2:
      return signed ? (x << 16) >> 16 : x & 0xffff;
    default:
      return signed ? (x << 24) >> 24 : x & 0xff;
  }
}

/**
 * Float to integer as gcc's x86 code converts, truncating toward zero: `int` by a 32-bit
 * `cvttsd2si`, and `char` and `short` by the low bits of one; `long` by a 64-bit one, and
 * `unsigned int` by the low half of one; `unsigned long` by a 64-bit one below 2^63, else by one
 * of `x - 2^63` with bit 63 flipped. i386's x87 code (`x87`) converts `char` and `short` by a
 * 16-bit `fistp` instead (`unsigned short` by a 32-bit one). A value outside an instruction's
 * range (infinities and NaN too) converts to its "integer indefinite", the sign bit alone.
 * Checked against real runs: tests/fixtures/c/float_to_int/ (i386's `unsigned long long` not).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { floatToInt } from "./integer.ts";
 * assert.equal(floatToInt(1e20, 8, true), -(2n ** 63n));
 * assert.equal(floatToInt(2147483648, 4, true), -2147483648);
 * assert.equal(floatToInt(2147483648, 4, false), 2147483648);
 * assert.equal(floatToInt(65536.5, 2, true), 0);
 * assert.equal(floatToInt(-1.5, 8, false), 2n ** 64n - 1n);
 * ```
 */
export function floatToInt(x: number, size: number, signed: boolean, x87 = false): Int {
  const t = Math.trunc(x) + 0; // (NaN and the infinities stay; -0 becomes 0)
  if (x87 && (size === 1 || (size === 2 && signed))) {
    return convertInt(t >= -(2 ** 15) && t < 2 ** 15 ? t : -(2 ** 15), size, signed);
  }
  if (size === 8) {
    if (signed || !(x >= 2 ** 63)) return norm64(cvtt64(t), signed);
    return norm64(cvtt64(Math.trunc(x - 2 ** 63)) ^ (1n << 63n), false);
  }
  if (size === 4 && !signed) return convertInt(cvtt64(t), 4, false);
  return convertInt(t >= -(2 ** 31) && t < 2 ** 31 ? t : -(2 ** 31), size, signed);
}

/** A 64-bit `cvttsd2si` of a truncated value: the value, or the indefinite -2^63. */
function cvtt64(t: number): bigint {
  return t >= -(2 ** 63) && t < 2 ** 63 ? BigInt(t) : -(1n << 63n);
}

/** An `Int` as a double (C's int to floating conversion, rounding to nearest). */
export function intToFloat(x: Int): number {
  return typeof x === "number" ? x : Number(x);
}

function big(x: Int): bigint {
  return typeof x === "bigint" ? x : BigInt(x);
}

/** a + b on a 64-bit type. */
export function add64(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r >= -MAX && r <= MAX && (signed || r >= 0)) return r;
  }
  return norm64(big(a) + big(b), signed);
}

/** a - b on a 64-bit type. */
export function sub64(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r >= -MAX && r <= MAX && (signed || r >= 0)) return r;
  }
  return norm64(big(a) - big(b), signed);
}

/** a * b on a 64-bit type. */
export function mul64(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    if (r >= -MAX && r <= MAX && (signed || r >= 0)) return r === 0 ? 0 : r;
  }
  return norm64(big(a) * big(b), signed);
}

/** a / b on a 64-bit type (b nonzero; the caller checks). */
export function div64(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number" && Math.abs(a) < TWO32) {
    const r = Math.trunc(a / b);
    return r === 0 ? 0 : r;
  }
  return norm64(big(a) / big(b), signed);
}

/** a % b on a 64-bit type (b nonzero). */
export function mod64(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a % b;
    return r === 0 ? 0 : r;
  }
  return norm64(big(a) % big(b), signed);
}

/** a << n on a 64-bit type. */
export function shl64(a: Int, n: number, signed: boolean): Int {
  n &= 63;
  if (typeof a === "number" && n < 32) {
    const r = a * 2 ** n;
    if (r >= -MAX && r <= MAX && (signed || r >= 0)) return r;
  }
  return norm64(big(a) << BigInt(n), signed);
}

/** a >> n on a 64-bit type (arithmetic for signed). */
export function shr64(a: Int, n: number, signed: boolean): Int {
  n &= 63;
  if (typeof a === "number") return Math.floor(a / 2 ** n);
  return norm64((signed ? BigInt.asIntN(64, a) : a) >> BigInt(n), signed);
}

function split(a: number): [number, number] {
  const hi = Math.floor(a / TWO32);
  return [hi, a - hi * TWO32];
}

type BitOp = (x: number, y: number) => number;
const AND: BitOp = (x, y) => x & y;
const OR: BitOp = (x, y) => x | y;
const XOR: BitOp = (x, y) => x ^ y;

function bit64(a: Int, b: Int, signed: boolean, op: BitOp, bop: (x: bigint, y: bigint) => bigint) {
  if (typeof a === "number" && typeof b === "number") {
    if (a >= -2147483648 && a < 2147483648 && b >= -2147483648 && b < 2147483648) {
      return op(a, b);
    }
    const [ah, al] = split(a), [bh, bl] = split(b);
    const r = op(ah, bh) * TWO32 + (op(al, bl) >>> 0);
    if (r >= -MAX && r <= MAX && (signed || r >= 0)) return r;
  }
  return norm64(bop(BigInt.asUintN(64, big(a)), BigInt.asUintN(64, big(b))), signed);
}

/** a & b on a 64-bit type. */
export function and64(a: Int, b: Int, signed: boolean): Int {
  return bit64(a, b, signed, AND, (x, y) => x & y);
}

/** a | b on a 64-bit type. */
export function or64(a: Int, b: Int, signed: boolean): Int {
  return bit64(a, b, signed, OR, (x, y) => x | y);
}

/** a ^ b on a 64-bit type. */
export function xor64(a: Int, b: Int, signed: boolean): Int {
  return bit64(a, b, signed, XOR, (x, y) => x ^ y);
}

/** ~a on a 64-bit type. */
export function not64(a: Int, signed: boolean): Int {
  if (typeof a === "number") return norm64(-a - 1, signed);
  return norm64(~a, signed);
}

/** -a on a 64-bit type. */
export function neg64(a: Int, signed: boolean): Int {
  if (typeof a === "number") return norm64(a === 0 ? 0 : -a, signed);
  return norm64(-a, signed);
}

/** The two 32-bit halves of a 64-bit value (unsigned), for storing. */
export function halves(x: Int): [hi: number, lo: number] {
  if (typeof x === "number") {
    const hi = Math.floor(x / TWO32);
    return [hi >>> 0, x - hi * TWO32];
  }
  const u = BigInt.asUintN(64, x);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

/** A 64-bit value from its halves. */
export function fromHalves(hi: number, lo: number, signed: boolean): Int {
  if (hi < 0x200000) return hi * TWO32 + lo;
  if (signed && (hi > 0xffe00000 || (hi === 0xffe00000 && lo !== 0))) {
    return (hi - TWO32) * TWO32 + lo;
  }
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return signed ? BigInt.asIntN(64, u) : u;
}
