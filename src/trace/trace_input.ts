/**
 * A trace's text as the replay reads it: UTF-8 bytes, one line at a time, from a string, a byte
 * array or a reader (a file, stdin) read in chunks into one reused buffer. Reading a file in
 * chunks is what keeps a million-line replay from first allocating and filling a string the size
 * of the file (on the bench machine, reading a 13 MB trace into a string costs some 100 ms; in
 * 256 KiB chunks, about 20 ms).
 *
 * Lines end at `\n` (a `\r` before it stays in the line, as when the text is split at `\n`); a
 * last line without `\n` is a line too; an empty text has none.
 *
 * A line is found in one of two ways. {@link TraceInput.next} looks for its `\n`. The replay's
 * fast lane instead reads the line's fields straight from the bytes and meets the `\n` on the way,
 * so searching for it first would read every byte twice: {@link TraceInput.begin} only makes
 * sure the whole line is in the buffer — it starts before the last `\n` read, which a refill
 * finds once per chunk, or the text has ended — and the reader of the fields then tells where the
 * line ended ({@link TraceInput.endAt}), or asks for it to be found ({@link TraceInput.findEnd}).
 *
 * Invariant: `bytes[start, end)` is the current line once its end is known, every line that
 * starts before `#complete` ends in a `\n` before it, and the bytes from the current line's end
 * to `limit` are read but not yet consumed.
 *
 * @module
 */

import { ArgumentTypeError } from "../kernel/errors.ts";

/** What a trace can be read from: Deno's `FsFile` and `Deno.stdin` are such readers. */
export interface TraceReader {
  /** Reads into `buffer`; returns how many bytes it read, or null (or 0) at the end. */
  readSync(buffer: Uint8Array): number | null;
}

/** A trace as the replay accepts it: the text, its UTF-8 bytes, or a reader of them. */
export type TraceSource = string | Uint8Array | TraceReader;

/** Bytes read from a reader at a time (the buffer grows for a longer line). */
const CHUNK = 1 << 18;
const NEWLINE = 10;

const decoder = new TextDecoder();

/**
 * The lines of a trace, as byte ranges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TraceInput } from "./trace_input.ts";
 *
 * const input = new TraceInput("malloc 0 24\nfree 0");
 * const lines: string[] = [];
 * while (input.next()) lines.push(input.text());
 * assert.deepEqual(lines, ["malloc 0 24", "free 0"]);
 * ```
 */
export class TraceInput {
  /** The buffer holding the current line (replaced when it grows or is refilled). */
  bytes: Uint8Array;
  /** Where the current line starts in {@link bytes}. */
  start = 0;
  /** Where the current line ends (at its `\n`, or at the end of the text). */
  end = 0;
  /** Where the bytes read end: the current line ends at a `\n` before this, or at it. */
  limit = 0;
  readonly #reader: TraceReader | undefined;
  // Just past the last `\n` in bytes[0, limit) (0 if none).
  #complete = 0;
  // Where the next line starts.
  #next = 0;
  #eof: boolean;
  // The source text, when it was given as a string of ASCII characters only.
  #ascii: string | undefined;

  /** The lines of `source`. */
  constructor(source: TraceSource) {
    if (typeof source === "string") {
      const text = source;
      source = new TextEncoder().encode(text);
      // ASCII text: byte offsets are character offsets, and a line's text is a slice.
      if (source.length === text.length) this.#ascii = text;
    }
    if (source instanceof Uint8Array) {
      this.bytes = source;
      this.#complete = source.lastIndexOf(NEWLINE) + 1;
      this.limit = source.length;
      this.#eof = true;
    } else {
      this.#reader = source;
      this.bytes = new Uint8Array(CHUNK);
      this.#eof = false;
    }
  }

  /** Moves to the next line; false at the end of the text. */
  next(): boolean {
    if (!this.begin()) return false;
    this.findEnd();
    return true;
  }

  /**
   * Moves to the next line without looking for its end: false at the end of the text. The whole
   * line is then in `bytes` from {@link start}: it ends at the first `\n` from there, or at
   * {@link limit}. Give its end to {@link endAt}, or find it with {@link findEnd}, before the
   * next call.
   */
  begin(): boolean {
    const next = this.#next;
    if (next < this.#complete) {
      this.start = next;
      return true;
    }
    return this.#beginSlowly();
  }

  // begin() when the next line is not known to be whole in the buffer: read more until it is.
  #beginSlowly(): boolean {
    while (!this.#eof) {
      this.#refill();
      if (this.#next < this.#complete) break;
    }
    if (this.#next >= this.limit) return false;
    this.start = this.#next;
    return true;
  }

  /** The current line ends at `end` (its `\n`, or {@link limit}): the next line starts after. */
  endAt(end: number): void {
    this.end = end;
    this.#next = end + 1;
  }

  /** Finds where the current line ends ({@link end}). */
  findEnd(): void {
    const bytes = this.bytes, limit = this.limit;
    let i = this.start;
    while (i < limit && bytes[i] !== NEWLINE) i++;
    this.endAt(i);
  }

  /** The current line as text. */
  text(): string {
    return this.#ascii !== undefined
      ? this.#ascii.slice(this.start, this.end)
      : decoder.decode(this.bytes.subarray(this.start, this.end));
  }

  /**
   * The text of the first line for which `wanted` is true (undefined when there is none), read
   * ahead before the first line is consumed: {@link next} then still starts at the first line.
   */
  firstLine(wanted: (line: string) => boolean): string | undefined {
    this.#keepAll = true;
    let found: string | undefined;
    while (found === undefined && this.next()) {
      const line = this.text();
      if (wanted(line)) found = line;
    }
    this.#keepAll = false;
    this.start = this.end = this.#next = 0;
    return found;
  }

  // While reading ahead, #refill keeps every byte from the start of the text.
  #keepAll = false;

  // Reads more: the unfinished line (and whatever must be kept) moves to the buffer's front,
  // which grows if that leaves too little room.
  #refill(): void {
    const keep = this.#keepAll ? 0 : this.#next;
    const pending = this.limit - keep;
    let bytes = this.bytes;
    if (pending + CHUNK / 4 > bytes.length) {
      const grown = new Uint8Array(bytes.length * 2);
      grown.set(bytes.subarray(keep, this.limit));
      bytes = grown;
    } else if (keep > 0) bytes.copyWithin(0, keep, this.limit);
    this.bytes = bytes;
    this.#next -= keep;
    this.limit = pending;
    this.#complete = Math.max(0, this.#complete - keep);
    const room = bytes.length - pending;
    const n = this.#reader!.readSync(bytes.subarray(pending));
    if (n === null || n === 0) this.#eof = true;
    else if (Number.isInteger(n) && n > 0 && n <= room) {
      this.limit += n;
      // (lastIndexOf on the new bytes only: a builtin loop, once per chunk.)
      const last = bytes.subarray(pending, this.limit).lastIndexOf(NEWLINE);
      if (last >= 0) this.#complete = pending + last + 1;
    } // Anything else (undefined, a fraction, -1, more than the room) would spin or read garbage.
    else throw new ArgumentTypeError("trace", n, `readSync to return null or 0..${room} bytes`);
  }
}
