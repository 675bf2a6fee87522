/**
 * The replay's output as bytes: a reused, growing `Uint8Array` that lines are written into —
 * ASCII text, decimal and lowercase hex numbers (two digits a step from small tables below 2^31
 * and 2^32, as a replay's line numbers, slots, offsets and size words are) — and that is handed to
 * a sink in chunks of whole lines. A replay of a million lines thus builds no string per line:
 * nothing to join, to encode or to collect. Text that is not ASCII (a path in a `rawmaps` line)
 * is written as UTF-8, so the bytes are always the UTF-8 of the text the lines spell.
 *
 * Invariant: `length` bytes are pending; a chunk is handed on only at a line's end, so every
 * chunk holds whole lines.
 *
 * @module
 */

/** Chunks are handed on once this many bytes are pending at a line's end. */
const CHUNK_BYTES = 1 << 16;

const encoder = new TextEncoder();

// Two ASCII digits per table entry, so that a number is written two digits a step: the decimal
// digits of 0..99 and the lowercase hex digits of 0..255.
const DECIMAL_PAIRS = new Uint8Array(200);
const HEX_PAIRS = new Uint8Array(512);
for (let i = 0; i < 100; i++) {
  DECIMAL_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DECIMAL_PAIRS[2 * i + 1] = 48 + (i % 10);
}
for (let i = 0; i < 256; i++) {
  const high = i >> 4, low = i & 15;
  HEX_PAIRS[2 * i] = high < 10 ? 48 + high : 87 + high;
  HEX_PAIRS[2 * i + 1] = low < 10 ? 48 + low : 87 + low;
}

// The number of decimal digits of `v`, 0 <= v < 2^31.
function decimalDigits(v: number): number {
  if (v < 10_000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
  if (v < 100_000_000) return v < 100_000 ? 5 : v < 1_000_000 ? 6 : v < 10_000_000 ? 7 : 8;
  return v < 1_000_000_000 ? 9 : 10;
}

/** The most bytes {@link putDecimal} writes (2^53 - 1 has 16 digits). */
export const MAX_DECIMAL = 16;
/** The most bytes {@link putHex} writes (`0x` and 14 digits). */
export const MAX_HEX = 16;

/**
 * Writes a whole number `0 <= value < 2^53` in decimal into `bytes` at `at` (room for
 * {@link MAX_DECIMAL} bytes); returns where it ends.
 */
export function putDecimal(bytes: Uint8Array, at: number, value: number): number {
  if (value >= 0x8000_0000) return putLargeDecimal(bytes, at, value);
  let v = value | 0;
  const first = at, end = at + decimalDigits(v);
  at = end;
  // Two digits a step from the right, then the first one or two.
  while (v >= 100) {
    const q = (v / 100) | 0, pair = 2 * (v - q * 100);
    bytes[--at] = DECIMAL_PAIRS[pair + 1];
    bytes[--at] = DECIMAL_PAIRS[pair];
    v = q;
  }
  if (v >= 10) {
    bytes[first + 1] = DECIMAL_PAIRS[2 * v + 1];
    bytes[first] = DECIMAL_PAIRS[2 * v];
  } else bytes[first] = 48 + v;
  return end;
}

// putDecimal() from 2^31 up: the digits by exact double division.
function putLargeDecimal(bytes: Uint8Array, at: number, value: number): number {
  let n = 10;
  for (let limit = 1e10; limit <= value && n < 16; limit *= 10) n++;
  const end = at + n;
  at = end;
  while (value >= 0x8000_0000) {
    const q = Math.floor(value / 10);
    bytes[--at] = 48 + (value - q * 10);
    value = q;
  }
  let small = value | 0;
  do {
    const q = (small / 10) | 0;
    bytes[--at] = 48 + (small - q * 10);
    small = q;
  } while (small > 0);
  return end;
}

/**
 * Writes a whole number `0 <= value < 2^53` as `0x` and lowercase hex digits into `bytes` at
 * `at` (room for {@link MAX_HEX} bytes); returns where it ends.
 */
export function putHex(bytes: Uint8Array, at: number, value: number): number {
  return value > 0xffff_ffff ? putLargeHex(bytes, at, value) : putHex32(bytes, at, value);
}

/**
 * {@link putHex} for `0 <= value < 2^32`, the usual offset or size word of a replay's line: small
 * enough for V8 to inline into a line's writer.
 */
export function putHex32(bytes: Uint8Array, at: number, value: number): number {
  let v = value >>> 0;
  // Digits: a quarter of the significant bits, rounded up (one for 0).
  const first = at + 2, end = first + (v === 0 ? 1 : (35 - Math.clz32(v)) >> 2);
  bytes[at] = 0x30; // 0
  bytes[at + 1] = 0x78; // x
  // Two digits (a byte) a step from the right, then the first one if there is one left.
  let i = end;
  while (i - first >= 2) {
    const pair = 2 * (v & 0xff);
    bytes[--i] = HEX_PAIRS[pair + 1];
    bytes[--i] = HEX_PAIRS[pair];
    v >>>= 8;
  }
  if (i > first) bytes[first] = HEX_PAIRS[2 * v + 1];
  return end;
}

// putHex() from 2^32 up: the low 32 bits by shifts, the rest by exact double division.
function putLargeHex(bytes: Uint8Array, at: number, value: number): number {
  let n = 9;
  for (let limit = 2 ** 36; limit <= value && n < 14; limit *= 16) n++;
  bytes[at] = 0x30; // 0
  bytes[at + 1] = 0x78; // x
  const end = at + 2 + n;
  at = end;
  let high = Math.floor(value / 0x1_0000_0000), low = (value - high * 0x1_0000_0000) >>> 0;
  for (let k = 8; k > 0; k--) {
    const d = low & 15;
    bytes[--at] = d < 10 ? 48 + d : 87 + d;
    low >>>= 4;
  }
  while (high > 0) {
    const d = high & 15;
    bytes[--at] = d < 10 ? 48 + d : 87 + d;
    high = Math.floor(high / 16);
  }
  return end;
}

/** Writes the ASCII text `text` into `bytes` at `at` (room for its length); returns its end. */
export function putAscii(bytes: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
  return at;
}

/**
 * A byte sink for output lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputBuffer, putAscii, putDecimal, putHex } from "./output_buffer.ts";
 *
 * const chunks: string[] = [];
 * const out = new OutputBuffer((chunk) => chunks.push(new TextDecoder().decode(chunk)));
 * out.ascii("# a header line");
 * out.endLine();
 * const bytes = out.room(64);
 * let at = putDecimal(bytes, out.length, 7);
 * at = putAscii(bytes, at, " malloc 3 main ");
 * at = putHex(bytes, at, 0x2a0);
 * bytes[at++] = 10;
 * out.endLineAt(at);
 * out.flush();
 * assert.deepEqual(chunks, ["# a header line\n7 malloc 3 main 0x2a0\n"]);
 * ```
 */
export class OutputBuffer {
  #bytes = new Uint8Array(CHUNK_BYTES + 4096);
  #length = 0;
  readonly #sink: (chunk: Uint8Array) => void;

  /** Lines go to `sink` in chunks of whole lines; a chunk is valid only during the call. */
  constructor(sink: (chunk: Uint8Array) => void) {
    this.#sink = sink;
  }

  /** Makes room for `n` more bytes. */
  #reserve(n: number): Uint8Array {
    return this.#length + n <= this.#bytes.length ? this.#bytes : this.#grow(n);
  }

  #grow(n: number): Uint8Array {
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + n));
    // All of it: a writer may have put bytes past #length that it has not ended yet (room()).
    grown.set(this.#bytes);
    this.#bytes = grown;
    return grown;
  }

  /** `text` as UTF-8 (a byte a character while it is ASCII, as a replay's lines are). */
  ascii(text: string): void {
    const to = text.length, bytes = this.#reserve(to);
    let n = this.#length;
    for (let i = 0; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return this.#utf8(text.slice(i), n);
      bytes[n++] = c;
    }
    this.#length = n;
  }

  // The rest of a text from its first character that is not ASCII, written at `at`.
  #utf8(text: string, at: number): void {
    this.#length = at;
    const bytes = this.#reserve(text.length * 3);
    this.#length += encoder.encodeInto(text, bytes.subarray(this.#length)).written;
  }

  /**
   * For a writer that puts a line's bytes itself (with {@link putDecimal}, {@link putHex},
   * {@link putAscii}): makes room for `n` more bytes and returns the buffer; they go from
   * {@link length} on, and {@link endLineAt} ends the line (or several lines). Bytes written past
   * {@link length} and not yet ended stay when a later call grows the buffer.
   */
  room(n: number): Uint8Array {
    return this.#reserve(n);
  }

  /** How many bytes are pending: where the next one goes. */
  get length(): number {
    return this.#length;
  }

  /**
   * Ends a line written into the buffer {@link room} returned, up to `end` (its `\n` included),
   * as {@link endLine} ends one.
   */
  endLineAt(end: number): void {
    this.#length = end;
    if (end >= CHUNK_BYTES) this.flush();
  }

  /** Ends a line; hands the pending lines on once there are enough of them. */
  endLine(): void {
    this.#reserve(1)[this.#length++] = 10;
    if (this.#length >= CHUNK_BYTES) this.flush();
  }

  /** Hands every pending line on. */
  flush(): void {
    if (this.#length === 0) return;
    const chunk = this.#bytes.subarray(0, this.#length);
    this.#length = 0;
    this.#sink(chunk);
  }

  /** The pending bytes, dropped from the buffer (for output that must not be lost). */
  take(): Uint8Array {
    const pending = this.#bytes.slice(0, this.#length);
    this.#length = 0;
    return pending;
  }
}
