/**
 * Checks of the options a notebook passes to a view, made once at the view's public entry: an
 * options argument that is not a plain object, an option name the view does not know, a string
 * where a width is expected, `NaN`, ±Infinity, a fraction or a negative count, a value outside a
 * fixed set — each an {@link ArgumentTypeError} or {@link ArgumentRangeError} naming the option
 * and showing the value. Options left `undefined` take their defaults.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "../kernel/errors.ts";

/**
 * An options argument: `undefined` (no options) or a plain object whose names are all in
 * `known`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { viewOptions } from "./options.ts";
 * assert.throws(() => viewOptions({ widht: 5 }, ["title", "width"]), RangeError);
 * ```
 */
export function viewOptions<T extends object>(
  value: T | undefined,
  known: readonly string[],
  name = "options",
): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ArgumentTypeError(name, value, "an options object");
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ArgumentRangeError(
        `${name}.${key}`,
        (value as Record<string, unknown>)[key],
        `no such option; known: ${known.join(", ")}`,
      );
    }
  }
  return value;
}

/** A string option (a title, a label), if given. */
export function stringOption(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new ArgumentTypeError(name, value, "a string");
  }
}

/** A true/false option, if given. */
export function booleanOption(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new ArgumentTypeError(name, value, "true or false");
  }
}

/** An integer option (a count, a width in pixels, a step index) in `[min, max]`, if given. */
export function integerOption(
  name: string,
  value: unknown,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (value === undefined) return;
  if (typeof value !== "number") throw new ArgumentTypeError(name, value, "a number");
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentRangeError(name, value, `an integer from ${min} to ${max}`);
  }
}

/** A finite number option (a fraction of a row) in `[min, max]`, if given. */
export function numberOption(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number") throw new ArgumentTypeError(name, value, "a number");
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ArgumentRangeError(name, value, `a number from ${min} to ${max}`);
  }
}

/** A string option from a fixed set, if given. */
export function choiceOption(name: string, value: unknown, choices: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== "string") throw new ArgumentTypeError(name, value, choices.join(" or "));
  if (!choices.includes(value)) {
    throw new ArgumentRangeError(name, value, `one of ${choices.join(", ")}`);
  }
}

/** An array option whose items pass `item` (given the item's name `name[i]`), if given. */
export function arrayOption(
  name: string,
  value: unknown,
  what: string,
  item?: (name: string, value: unknown) => void,
): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new ArgumentTypeError(name, value, what);
  if (item) value.forEach((v, i) => item(`${name}[${i}]`, v));
}

/** An object option that `test` accepts (a snapshot, an allocator, a view), if given. */
export function objectOption(
  name: string,
  value: unknown,
  what: string,
  test: (value: object) => boolean = () => true,
): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || !test(value)) {
    throw new ArgumentTypeError(name, value, what);
  }
}

/** A function argument (a call to explain), required. */
export function functionArgument(name: string, value: unknown): void {
  if (typeof value !== "function") throw new ArgumentTypeError(name, value, "a function");
}

/** A string argument (maps text, a trace, a program's source), required. */
export function textArgument(name: string, value: unknown, what = "a string"): void {
  if (typeof value !== "string") throw new ArgumentTypeError(name, value, what);
}
