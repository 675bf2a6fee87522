/**
 * gcc's bit builtins — `__builtin_clz`, `ctz`, `popcount`, `parity`, `ffs`, `clrsb`, each for
 * unsigned int, long (`…l`) and long long (`…ll`), and `__builtin_bswap16/32/64` — plus
 * <strings.h>'s `ffs`, `ffsl` and `ffsll`, which compute what `__builtin_ffs` does.
 *
 * gcc leaves `clz(0)` and `ctz(0)` undefined; its -O0 code on x86_64 gives what the
 * instructions give: `clz` is `bsr` then `xor` with width - 1, and `bsr` of zero leaves the
 * register holding the zero it was loaded with, so `clz(0)` is width - 1; `ctz` is `tzcnt`,
 * which gives the width for zero. Those are the values here (gcc 12, x86_64, checked in
 * tests/c/bit_builtins_test.ts).
 *
 * @module
 */

import type { Int } from "./integer.ts";
import type { BuiltinCall } from "./interpreter.ts";

type BitFunction = (c: BuiltinCall) => Int;

/** The argument as an unsigned value of `bits` bits. */
function unsigned(v: unknown, bits: number): bigint {
  return BigInt.asUintN(bits, BigInt(v as Int));
}

function clz(x: bigint, bits: number): number {
  if (x === 0n) return bits - 1;
  return bits - x.toString(2).length;
}

function ctz(x: bigint, bits: number): number {
  if (x === 0n) return bits;
  let n = 0;
  while ((x & 1n) === 0n) x >>= 1n, n++;
  return n;
}

function popcount(x: bigint): number {
  let n = 0;
  for (; x; x &= x - 1n) n++;
  return n;
}

/** The number of bits after the sign bit that equal it (`__builtin_clrsb`). */
function clrsb(x: bigint, bits: number): number {
  const signed = BigInt.asIntN(bits, x);
  const magnitude = signed < 0n ? ~signed : signed;
  return bits - 1 - (magnitude === 0n ? 0 : magnitude.toString(2).length);
}

function bswap(x: bigint, bytes: number): Int {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(out) : out;
}

/** The three widths of each builtin: int, long, long long (x86_64: 32, 64, 64 bits). */
function widths(
  name: string,
  f: (x: bigint, bits: number) => number,
  longBits: number,
): Record<string, BitFunction> {
  return {
    [name]: (c) => f(unsigned(c.args[0], 32), 32),
    [`${name}l`]: (c) => f(unsigned(c.args[0], longBits), longBits),
    [`${name}ll`]: (c) => f(unsigned(c.args[0], 64), 64),
  };
}

/** The builtins for a long of `longBits` bits (64 on x86_64, 32 on i386), by name. */
function bitBuiltins(longBits: number): Record<string, BitFunction> {
  const ffs = (x: bigint, bits: number) => (x === 0n ? 0 : ctz(x, bits) + 1);
  return {
    ...widths("__builtin_clz", clz, longBits),
    ...widths("__builtin_ctz", ctz, longBits),
    ...widths("__builtin_popcount", popcount, longBits),
    ...widths("__builtin_parity", (x) => popcount(x) & 1, longBits),
    ...widths("__builtin_ffs", ffs, longBits),
    ...widths("__builtin_clrsb", clrsb, longBits),
    ...widths("ffs", ffs, longBits),
    __builtin_bswap16: (c) => bswap(unsigned(c.args[0], 16), 2),
    __builtin_bswap32: (c) => bswap(unsigned(c.args[0], 32), 4),
    __builtin_bswap64: (c) => bswap(unsigned(c.args[0], 64), 8),
  };
}

const LP64 = bitBuiltins(64), ILP32 = bitBuiltins(32);

/** Every builtin's name (the functions declared in `headers.ts`). */
export const BIT_BUILTIN_NAMES: ReadonlySet<string> = new Set(Object.keys(LP64));

/**
 * The builtin `name` for a long of `longBits` bits (64 on x86_64, 32 on i386).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bitBuiltin } from "./bit_builtins.ts";
 * const call = (x: number) => ({ args: [x], types: [], line: 1, frame: undefined! });
 * assert.equal(bitBuiltin("__builtin_clz", 64)(call(1)), 31);
 * assert.equal(bitBuiltin("__builtin_popcountl", 64)(call(0xff)), 8);
 * ```
 */
export function bitBuiltin(name: string, longBits: number): BitFunction {
  return (longBits === 64 ? LP64 : ILP32)[name];
}
