/**
 * Text formatting for everything heaplab shows: addresses in hex, byte sizes
 * the way `pmap` and glibc's `malloc_stats` talk about them, and column
 * padding for /proc/PID/maps-style tables. Every view formats through this one
 * module, so switching to `@std/fmt` later is a one-file change.
 *
 * @module
 */

/**
 * Formats a non-negative integer as lowercase hex with a `0x` prefix,
 * zero-padded to at least `width` digits (the prefix does not count).
 *
 * Addresses in heaplab are exact `number`s below 2^53; larger values and
 * bigints are accepted too.
 *
 * @example Addresses and chunk sizes
 * ```ts
 * import { hex } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hex(0x20), "0x20");
 * assert.equal(hex(0x555555559000, 12), "0x555555559000");
 * assert.equal(hex(0x290, 8), "0x00000290");
 * ```
 *
 * @param n The value to format: an integer; a negative one is a 64-bit word from 2^63 up
 *   (heaplab's representation, `word.ts`) and prints as its unsigned value.
 * @param width Minimum number of hex digits, padded with zeros.
 * @returns The value as `0x`-prefixed hex.
 */
export function hex(n: number | bigint, width = 0): string {
  if (typeof n === "number" && !Number.isInteger(n)) {
    throw new RangeError(`Cannot format as hex: ${n} is not an integer`);
  }
  if (n < 0) n = BigInt.asUintN(64, BigInt(n));
  return "0x" + n.toString(16).padStart(width, "0");
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/**
 * Formats a byte count with binary units (1 KiB = 1024 B), as `pmap` and the
 * kernel's /proc files do: whole numbers print without decimals (`132 KiB`),
 * others with one decimal (`1.5 MiB`).
 *
 * @example The default main-arena heap and an mmap threshold
 * ```ts
 * import { formatBytes } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatBytes(135168), "132 KiB");
 * assert.equal(formatBytes(128 * 1024), "128 KiB");
 * assert.equal(formatBytes(24), "24 B");
 * assert.equal(formatBytes(1.5 * 1024 * 1024), "1.5 MiB");
 * ```
 *
 * @param n A byte count; must be a non-negative finite number.
 * @returns The count with the largest unit that keeps it at least 1.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot format as bytes: ${n} is not a non-negative number`);
  }
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = Math.round(value * 10) / 10;
  const text = Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
  return `${text} ${BYTE_UNITS[unit]}`;
}

/**
 * A byte count read from a heap that may be corrupted: {@link formatBytes} when it is one,
 * else the word in hex (a negative number is a 64-bit word from 2^63 up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heapBytes } from "./format.ts";
 *
 * assert.equal(heapBytes(135168), "132 KiB");
 * assert.equal(heapBytes(-16), "0xfffffffffffffff0");
 * ```
 */
export function heapBytes(n: number): string {
  if (Number.isFinite(n) && n >= 0) return formatBytes(n);
  return Number.isInteger(n) ? hex(n) : String(n);
}

/**
 * Pads text on the right to `width` characters (left-aligned column).
 * Text already that wide is returned unchanged, never cut.
 *
 * @example A maps table column
 * ```ts
 * import { padEnd } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(padEnd("rw-p", 6) + "|", "rw-p  |");
 * ```
 *
 * @param text The text to pad.
 * @param width The column width in characters.
 * @param fill The padding character; a space unless given.
 * @returns The padded text.
 */
export function padEnd(text: string, width: number, fill = " "): string {
  return text.padEnd(width, fill);
}

/**
 * Pads text on the left to `width` characters (right-aligned column, as for
 * numbers). Text already that wide is returned unchanged, never cut.
 *
 * @example A size column
 * ```ts
 * import { padStart } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(padStart("132 KiB", 10), "   132 KiB");
 * ```
 *
 * @param text The text to pad.
 * @param width The column width in characters.
 * @param fill The padding character; a space unless given.
 * @returns The padded text.
 */
export function padStart(text: string, width: number, fill = " "): string {
  return text.padStart(width, fill);
}

/** Options for {@linkcode formatTable}. */
export interface FormatTableOptions {
  /** Per-column alignment; columns without an entry are left-aligned. */
  align?: ReadonlyArray<"left" | "right">;
  /** Text placed between columns; two spaces unless given. */
  separator?: string;
}

/**
 * Lays rows of cells out as a plain-text table: each column as wide as its
 * widest cell, trailing spaces trimmed from every line.
 *
 * @example Bins as text
 * ```ts
 * import { formatTable } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatTable(
 *   [["bin", "chunks"], ["tcache[0]", "7"], ["fastbin[0]", "12"]],
 *   { align: ["left", "right"] },
 * );
 * assert.equal(text, "bin         chunks\ntcache[0]        7\nfastbin[0]      12");
 * ```
 *
 * @param rows The table, one array of cell texts per row.
 * @param options Column alignment and separator.
 * @returns The table as lines joined with `\n`.
 */
export function formatTable(
  rows: ReadonlyArray<ReadonlyArray<string>>,
  options: FormatTableOptions = {},
): string {
  const { align = [], separator = "  " } = options;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          align[i] === "right" ? padStart(cell, widths[i]) : padEnd(cell, widths[i])
        )
        .join(separator)
        .trimEnd()
    )
    .join("\n");
}
