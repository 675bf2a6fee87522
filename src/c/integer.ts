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
 * counts are masked to the width, as x86's shift instructions do.
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

/** Float to integer (C truncates toward zero; out-of-range values are x86's "indefinite"). */
export function floatToInt(x: number, size: number, signed: boolean): Int {
  if (!Number.isFinite(x)) return convertInt(size === 8 ? -(2n ** 63n) : -2147483648, size, signed);
  const t = Math.trunc(x);
  return convertInt(Number.isSafeInteger(t) ? t : BigInt(t), size, signed);
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
