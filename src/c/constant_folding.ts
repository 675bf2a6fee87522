/**
 * Constant expressions as gcc 12 folds them at compile time, even at -O0: an expression whose
 * operands are all integer or floating constants (literals, enum constants, `sizeof`, `_Alignof`,
 * `offsetof`, casts of those to arithmetic types, operators over those) never reaches an x86
 * instruction, and where C leaves the result undefined gcc's folded value is not the one the
 * instruction would give. What gcc 12.2 does, as `tests/fixtures/c/constant_folding/` shows
 * (programs built -O0, run on the oracle's glibc builds):
 * - a shift by a constant count of the promoted left operand's width or more (the count first
 *   converted to `int`, as gcc's front end does) folds to 0 for `<<` and to the sign fill (0 or
 *   -1) for `>>`: `1 << 100` is 0, where x86's `shl` masks the count (16); a negative count is
 *   not folded, so x86 masks it at run time (`1 << -1` is `INT_MIN`);
 * - `INT_MIN / -1` folds to `INT_MIN` and `INT_MIN % -1` to 0 (`long`, `long long` alike), where
 *   x86's `idiv` raises SIGFPE; gcc also rewrites a division of any signed value by a constant -1
 *   as a negation and the remainder as 0 ({@link minusOneDivision}), so `x / -1` with a variable
 *   `x` does not trap either;
 * - a division by a constant 0 is not folded (gcc warns): it traps at run time;
 * - signed `+ - *` wrap, as at run time;
 * - a floating constant converted to an integer type saturates to the type's range (`(int)1e300`
 *   is `INT_MAX`, `(unsigned)-1.0` is 0, `(char)1e300` is 127), where `cvttsd2si` gives the
 *   "integer indefinite"; the conversion is implicit too (`int i = 1e300;`, an argument, a
 *   `return`); a NaN would convert to 0 (gcc's rule; no constant here makes one);
 * - a floating operation is not folded when it would raise an exception: a division by zero
 *   (`0.0 / 0.0`), a NaN from non-NaN operands (`1e309 - 1e309`), an overflow to infinity from
 *   finite operands (`1e300 * 1e10`); its value is the same at run time, but a conversion of it to
 *   an integer is then x86's (`(int)(0.0 / 0.0)` is `INT_MIN`).
 * An expression with a variable operand is left to run time (x86's semantics: `x << 100` masks).
 * Checked on x86_64 and, for the same program, on i386 (`gcc -m32`). i386's floating arithmetic
 * runs with x87's excess precision, which is not modelled, so there it is not folded (it runs as
 * heaplab runs it); conversions of constants are. `long double` is never folded.
 *
 * @module
 */

import type { Expr } from "./ast.ts";
import { convertInt, type Int, intToFloat } from "./integer.ts";
import { type Abi, commonType, type CType, type IntType, isArithmetic, promote } from "./types.ts";
import type { Value } from "./values.ts";

/** An expression whose value is a size the interpreter knows at compile time. */
export type Measure = Expr & { readonly k: "sizeof" | "alignof" | "offsetof" };

/** A folded constant: its C type (an integer or floating type) and its value. */
export interface Constant {
  readonly t: CType;
  readonly value: Int | number;
}

/**
 * Folds constant expressions of one translation unit as gcc does, each node once (the result,
 * constant or not, is remembered).
 */
export class ConstantFolder {
  readonly #abi: Abi;
  readonly #measure: (e: Measure) => Constant;
  readonly #memo = new WeakMap<Expr, Constant | null>();

  /**
   * @param abi the process's ABI (type sizes; i386 folds no floating arithmetic)
   * @param measure the value of a `sizeof`, `_Alignof` or `offsetof` expression, as the
   *   interpreter computes it
   */
  constructor(abi: Abi, measure: (e: Measure) => Constant) {
    this.#abi = abi;
    this.#measure = measure;
  }

  /**
   * The value gcc folds `e` to, or undefined when `e` is not a constant expression gcc folds.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConstantFolder } from "./constant_folding.ts";
   * import { LP64 } from "./types.ts";
   * const int = LP64.types.int;
   * const num = (value: number) => ({ k: "num" as const, value, type: int, line: 1, col: 1 });
   * const shift = { k: "bin" as const, op: "<<", l: num(1), r: num(100), line: 1, col: 1 };
   * const folder = new ConstantFolder(LP64, () => ({ t: LP64.types.size, value: 8 }));
   * assert.deepEqual(folder.fold(shift), { t: int, value: 0 });
   * assert.equal(folder.fold({ k: "id", name: "x", line: 1, col: 1 }), undefined);
   * ```
   */
  fold(e: Expr): Constant | undefined {
    const known = this.#memo.get(e);
    if (known !== undefined) return known ?? undefined;
    const c = this.#compute(e);
    this.#memo.set(e, c && isArithmetic(c.t) && !isLongDouble(c.t) ? c : null);
    return this.#memo.get(e) ?? undefined;
  }

  #compute(e: Expr): Constant | undefined {
    switch (e.k) {
      case "num":
        return { t: e.type, value: e.value };
      case "sizeof":
      case "alignof":
      case "offsetof":
        return this.#measure(e);
      case "cast": {
        const c = this.fold(e.e);
        return c && convertConstant(c, e.type);
      }
      case "un":
        return this.#unary(e.op, e.e);
      case "bin":
        return this.#binary(e.op, e.l, e.r);
      case "cond": {
        const c = this.fold(e.c), a = this.fold(e.a), b = this.fold(e.b);
        if (!c || !a || !b) return undefined;
        const t = commonType(a.t, b.t, this.#abi);
        return convertConstant(truth(c.value) ? a : b, t);
      }
      case "comma":
        return this.fold(e.l) && this.fold(e.r);
      default:
        return undefined;
    }
  }

  #unary(op: string, operand: Expr): Constant | undefined {
    const x = this.fold(operand);
    if (!x) return undefined;
    if (op === "!") return { t: this.#abi.types.int, value: truth(x.value) ? 0 : 1 };
    const t = promote(x.t, this.#abi);
    const v = convertConstant(x, t)?.value;
    if (v === undefined) return undefined;
    if (op === "+") return { t, value: v };
    if (t.k === "float") return op === "-" ? { t, value: -(v as number) } : undefined;
    const it = t as IntType;
    if (op === "-") return integer(it, -BigInt(v));
    if (op === "~") return integer(it, ~BigInt(v));
    return undefined;
  }

  #binary(op: string, left: Expr, right: Expr): Constant | undefined {
    const l = this.fold(left), r = this.fold(right);
    if (!l || !r) return undefined;
    const int = this.#abi.types.int;
    if (op === "&&") return { t: int, value: truth(l.value) && truth(r.value) ? 1 : 0 };
    if (op === "||") return { t: int, value: truth(l.value) || truth(r.value) ? 1 : 0 };
    if (op === "<<" || op === ">>") return this.#shift(op, l, r);
    const t = commonType(l.t, r.t, this.#abi);
    const a = convertConstant(l, t)?.value, b = convertConstant(r, t)?.value;
    if (a === undefined || b === undefined) return undefined;
    const compared = compare(op, a, b);
    if (compared !== undefined) return { t: int, value: compared ? 1 : 0 };
    if (t.k === "float") return this.#floating(op, t, a as number, b as number);
    const x = BigInt(a), y = BigInt(b);
    switch (op) {
      case "+":
        return integer(t as IntType, x + y);
      case "-":
        return integer(t as IntType, x - y);
      case "*":
        return integer(t as IntType, x * y);
      case "/": // gcc leaves a division by zero to run time; INT_MIN / -1 wraps to INT_MIN
        return y === 0n ? undefined : integer(t as IntType, x / y);
      case "%":
        return y === 0n ? undefined : integer(t as IntType, x % y);
      case "&":
        return integer(t as IntType, x & y);
      case "|":
        return integer(t as IntType, x | y);
      case "^":
        return integer(t as IntType, x ^ y);
    }
    return undefined;
  }

  /** A shift by a constant count: by the width or more, 0 or the sign; a negative one, not. */
  #shift(op: string, l: Constant, r: Constant): Constant | undefined {
    if (l.t.k !== "int" || r.t.k !== "int") return undefined;
    const t = promote(l.t, this.#abi) as IntType;
    const x = BigInt(l.value), count = convertInt(r.value, 4, true) as number;
    if (count < 0) return undefined;
    if (count >= t.size * 8) return integer(t, op === "<<" || x >= 0n ? 0n : -1n);
    return integer(t, op === "<<" ? x << BigInt(count) : x >> BigInt(count));
  }

  /** A floating `+ - * /`, unless it would raise an exception (then gcc leaves it). */
  #floating(op: string, t: CType, a: number, b: number): Constant | undefined {
    if (this.#abi.ptrSize === 4) return undefined; // x87 excess precision: not modelled
    if (op === "/" && b === 0) return undefined;
    const exact = op === "+"
      ? a + b
      : op === "-"
      ? a - b
      : op === "*"
      ? a * b
      : op === "/"
      ? a / b
      : undefined;
    if (exact === undefined) return undefined;
    const value = (t as { size: number }).size === 4 ? Math.fround(exact) : exact;
    if (Number.isNaN(value) && !Number.isNaN(a) && !Number.isNaN(b)) return undefined;
    if (!Number.isFinite(value) && Number.isFinite(a) && Number.isFinite(b)) return undefined;
    return { t, value };
  }
}

/**
 * A constant converted to an arithmetic type as gcc folds the conversion: integers wrap, a
 * floating value converted to an integer type saturates (NaN to 0), to `_Bool` tests against 0.
 * Undefined for a type that is not arithmetic, or `long double`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertConstant } from "./constant_folding.ts";
 * import { LP64 } from "./types.ts";
 * const { double, int, uchar } = LP64.types;
 * assert.deepEqual(convertConstant({ t: double, value: 1e300 }, int), { t: int, value: 2 ** 31 - 1 });
 * assert.deepEqual(convertConstant({ t: double, value: 300 }, uchar), { t: uchar, value: 255 });
 * assert.deepEqual(convertConstant({ t: int, value: 300 }, uchar), { t: uchar, value: 44 });
 * ```
 */
export function convertConstant(c: Constant, to: CType): Constant | undefined {
  if (!isArithmetic(to) || isLongDouble(to) || isLongDouble(c.t)) return undefined;
  const from = c.t;
  if (to.k === "int") {
    if (to.bool) return { t: to, value: truth(c.value) ? 1 : 0 };
    if (from.k !== "float") return { t: to, value: convertInt(c.value, to.size, to.signed) };
    const v = c.value as number;
    if (Number.isNaN(v)) return { t: to, value: 0 };
    const bits = BigInt(to.size * 8);
    const min = to.signed ? -(1n << (bits - 1n)) : 0n;
    const max = to.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    const whole = Number.isFinite(v) ? BigInt(Math.trunc(v)) : v > 0 ? max : min;
    return integer(to, whole < min ? min : whole > max ? max : whole);
  }
  if (to.k !== "float") return undefined;
  const v = from.k === "float" ? c.value as number : intToFloat(c.value);
  return { t: to, value: to.size === 4 ? Math.fround(v) : v };
}

/**
 * gcc's rewrite of a signed division by the constant -1 (it folds `x / -1` into `-x` and
 * `x % -1` into 0, even at -O0, with `x` a variable): the operation in the signed type `t`, so
 * that `INT_MIN / -1` wraps to `INT_MIN` instead of raising SIGFPE; undefined for another
 * operator, an unsigned type, or a divisor that is not the constant -1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { minusOneDivision } from "./constant_folding.ts";
 * import { LP64 } from "./types.ts";
 * const int = LP64.types.int;
 * const divide = minusOneDivision("/", int, { t: int, value: -1 });
 * assert.equal(divide?.(-(2 ** 31), -1), -(2 ** 31));
 * assert.equal(minusOneDivision("/", int, { t: int, value: 2 }), undefined);
 * ```
 */
export function minusOneDivision(
  op: string,
  t: CType,
  divisor: Constant | undefined,
): ((a: Value, b: Value) => Value) | undefined {
  if ((op !== "/" && op !== "%") || t.k !== "int" || !t.signed || t.bool) return undefined;
  if (!divisor || divisor.t.k !== "int" || Number(divisor.value) !== -1) return undefined;
  const it = t;
  if (op === "%") return () => 0;
  return (a) => integer(it, -BigInt(a as Int)).value;
}

/** A mathematical integer wrapped to an integer type, as C's arithmetic on it wraps. */
function integer(t: IntType, x: bigint): Constant {
  return { t, value: convertInt(x, t.size, t.signed) };
}

function truth(v: Int | number): boolean {
  return v !== 0 && v !== 0n;
}

function compare(op: string, a: Int | number, b: Int | number): boolean | undefined {
  switch (op) {
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
    case "==":
      return a == b;
    case "!=":
      return a != b;
  }
  return undefined;
}

function isLongDouble(t: CType): boolean {
  return t.k === "float" && t.size === 16;
}
