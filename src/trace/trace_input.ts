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
 * Invariant: `bytes[start, end)` is the current line, and the bytes from `end` to `#filled`
 * are read but not yet consumed.
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
  readonly #reader: TraceReader | undefined;
  #filled: number;
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
      this.#filled = source.length;
      this.#eof = true;
    } else {
      this.#reader = source;
      this.bytes = new Uint8Array(CHUNK);
      this.#filled = 0;
      this.#eof = false;
    }
  }

  /** Moves to the next line; false at the end of the text. */
  next(): boolean {
    let from = this.#next;
    for (;;) {
      const bytes = this.bytes, filled = this.#filled;
      for (let i = from; i < filled; i++) {
        if (bytes[i] === NEWLINE) {
          this.start = this.#next;
          this.end = i;
          this.#next = i + 1;
          return true;
        }
      }
      if (this.#eof) {
        if (this.#next >= filled) return false;
        this.start = this.#next;
        this.end = filled;
        this.#next = filled;
        return true;
      }
      from = this.#refill();
    }
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
  // which grows if that leaves too little room. Returns where the search for `\n` resumes.
  #refill(): number {
    const keep = this.#keepAll ? 0 : this.#next;
    const pending = this.#filled - keep;
    let bytes = this.bytes;
    if (pending + CHUNK / 4 > bytes.length) {
      const grown = new Uint8Array(bytes.length * 2);
      grown.set(bytes.subarray(keep, this.#filled));
      bytes = grown;
    } else if (keep > 0) bytes.copyWithin(0, keep, this.#filled);
    this.bytes = bytes;
    this.#next -= keep;
    this.#filled = pending;
    const room = bytes.length - pending;
    const n = this.#reader!.readSync(bytes.subarray(pending));
    if (n === null || n === 0) this.#eof = true;
    else if (Number.isInteger(n) && n > 0 && n <= room) this.#filled += n;
    // Anything else (undefined, a fraction, -1, more than the room) would spin or read garbage.
    else throw new ArgumentTypeError("trace", n, `readSync to return null or 0..${room} bytes`);
    return pending;
  }
}
