/**
 * Checks of the arguments that cross heaplab's public boundary: a C argument becomes a machine
 * word the way C converts it (`(size_t) -1` is the largest word) and anything C could not pass —
 * `NaN`, ±Infinity, fractions, strings, values wider than the process's words — is an
 * {@link ArgumentTypeError} or {@link ArgumentRangeError} naming the argument and the value.
 *
 * Each public call checks once, at its entry; the simulator's inner paths trust their inputs.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "./errors.ts";
import type { WordOps } from "./word.ts";

/**
 * A C argument of word type (`size_t`, `unsigned long`, a pointer) as the process's word:
 * integers from `-2^(bits-1)` to `2^bits - 1` (numbers or bigints) are taken modulo `2^bits`,
 * as C converts them; for 64-bit words a bigint keeps values a number cannot hold exactly.
 *
 * @example
 * ```ts
 * import { wordArgument } from "./arguments.ts";
 * import { words32 } from "./word.ts";
 * wordArgument(words32, "size", -1); // 0xffffffff
 * ```
 */
export function wordArgument(words: WordOps, name: string, value: unknown): number {
  if (typeof value === "number") {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER && value % 1 === 0) {
      if (value <= words.max || words.bits === 64) return value;
    }
    if (!Number.isInteger(value)) {
      throw new ArgumentRangeError(name, value, `an integer (a ${words.bits}-bit word)`);
    }
    if (value < -(2 ** (words.bits - 1)) || value >= 2 ** words.bits) {
      throw new ArgumentRangeError(name, value, `a ${words.bits}-bit word`);
    }
    return words.wrap(value);
  }
  if (typeof value === "bigint") {
    if (value < -(1n << BigInt(words.bits - 1)) || value >= 1n << BigInt(words.bits)) {
      throw new ArgumentRangeError(name, value, `a ${words.bits}-bit word`);
    }
    return words.fromBigInt(value);
  }
  throw new ArgumentTypeError(name, value, "a number or a bigint");
}

/**
 * An integer argument in `[min, max]` (a C `int`, a count, an id).
 *
 * @example
 * ```ts
 * import { integerArgument } from "./arguments.ts";
 * integerArgument("nprocs", 4, 1, 1024); // 4
 * ```
 */
export function integerArgument(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") throw new ArgumentTypeError(name, value, "a number");
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentRangeError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * A C `int` argument (`mallopt`'s parameter and value): an integer from -2^31 to 2^32 - 1,
 * an unsigned value converted as gcc converts it (`0xffffffff` is -1).
 */
export function intArgument(name: string, value: unknown): number {
  return integerArgument(name, value, -0x8000_0000, 0xffff_ffff) | 0;
}

/** A string argument from a fixed set. */
export function choiceArgument<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== "string") throw new ArgumentTypeError(name, value, choices.join(" or "));
  if (!choices.includes(value as T)) {
    throw new ArgumentRangeError(name, value, `one of ${choices.join(", ")}`);
  }
  return value as T;
}

/** A boolean argument. */
export function booleanArgument(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new ArgumentTypeError(name, value, "true or false");
  return value;
}

/** An options argument: undefined or a plain object. */
export function optionsArgument<T extends object>(name: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ArgumentTypeError(name, value, "an options object");
  }
  return value;
}
