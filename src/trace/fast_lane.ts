/**
 * The replay's fast lane: the lines that make up nearly every trace — `malloc`, `calloc`,
 * `memalign`, `realloc`, `free`, `thread`, `join`, `brk` and `maps`, written the plain way (decimal
 * numbers, one space apart, no comment) — read straight from the trace's bytes, run through the
 * session's lean calls and printed as bytes into an {@link OutputBuffer}. No TraceOp, no
 * ReplayEvent, no string is built for such a line; per line, the replay's own work shrinks to a
 * few character reads and byte writes beside the allocator's. Each byte is read once: the lane
 * meets the line's `\n` as it reads the last field and tells the input where the line ended
 * (`TraceInput.begin` only made sure the whole line is in the buffer).
 *
 * The general way (`parse.ts`, `ReplaySession.execute`, `oracle_format.ts`) defines what a
 * line means and prints: the fast lane takes only lines whose meaning is beyond doubt, and a line
 * it does not recognise exactly — another operation, hex or out-of-range numbers, a comment,
 * extra spaces, anything the driver would refuse — goes the general way, which gives it its
 * error or its event. An operation the fast lane started that throws (an abort, a segmentation
 * fault, a slot that holds no chunk) has printed nothing yet, so its stop line is the general
 * way's. `tests/trace/fast_lane_test.ts` replays traces both ways and compares every byte.
 *
 * @module
 */

import type { WordOps } from "../kernel/word.ts";
import { formatPlace, hexOf, oracleHex, sizeWordHex } from "./oracle_format.ts";
import {
  MAX_DECIMAL,
  type OutputBuffer,
  putAscii,
  putDecimal,
  putHex,
  putHex32,
} from "./output_buffer.ts";
import { MAX_SLOTS, MAX_TID } from "./parse.ts";
import type { MappingVisitor, PlaceFields, ReplaySession } from "./session.ts";
import { permsText } from "../kernel/vma.ts";

const NEWLINE = 10, SPACE = 32, DASH = 45, ZERO = 48;
const TWO32 = 0x1_0000_0000;
// A number token of at most 15 digits is below 2^53: exact as a double.
const MAX_DIGITS = 15;
// What #slotOrDash returns for a field that is neither a slot nor `-`.
const NOT_READ = -2;
// The most bytes a pointer or brk line takes: a line number, the operation, a slot, `heapK ` or
// `heap? `, a signed offset and a size word (a word is at most 18 characters: `0x`, 16 digits).
const MAX_LINE = 128;

/** Runs the plain lines of a trace on a session, printing into a byte buffer. */
export class FastLane {
  readonly #session: ReplaySession;
  readonly #out: OutputBuffer;
  readonly #words: WordOps;
  // The largest size_t, capped where doubles stop being exact.
  readonly #sizeMax: number;
  // The line being read: the position of its next field, where the bytes read end (the line
  // ends at the first `\n` or there), and, once its last field is read, where it ends.
  #bytes: Uint8Array = new Uint8Array(0);
  #at = 0;
  #limit = 0;
  #end = 0;
  // The last line number printed, as ASCII digits: the next line's is the same plus one, added
  // in place (a copy of the digits costs less than writing a number of six or seven digits).
  readonly #lineDigits = new Uint8Array(MAX_DECIMAL);
  #lineDigitCount = 0;
  #lineNumber = -1;
  // Where the `maps` report being written ends so far (past the output's pending bytes).
  #mapsEnd = 0;

  /** Lines of `session`'s trace, printed into `out`. */
  constructor(session: ReplaySession, out: OutputBuffer) {
    this.#session = session;
    this.#out = out;
    this.#words = session.process.words;
    this.#sizeMax = this.#words.bits === 64 ? Number.MAX_SAFE_INTEGER : 0xffff_ffff;
  }

  /**
   * Runs and prints line `line` — the bytes from `start` to the first `\n` or to `limit` — if it
   * is a plain line of a hot operation, and returns where it ends (its `\n`, or `limit`); returns
   * -1 (having done nothing) for any other line.
   */
  run(bytes: Uint8Array, start: number, limit: number, line: number): number {
    this.#bytes = bytes;
    this.#limit = limit;
    let ran: boolean;
    switch (bytes[start]) {
      case 109: // m
        if (this.#word(start, "malloc")) ran = this.#malloc(start, line);
        else if (this.#word(start, "memalign")) ran = this.#memalign(start, line);
        else ran = this.#word(start, "maps") && this.#fieldEnd(start + 4, true) && this.#maps(line);
        break;
      case 102: // f
        ran = this.#word(start, "free") && this.#free(start, line);
        break;
      case 114: // r
        ran = this.#word(start, "realloc") && this.#realloc(start, line);
        break;
      case 99: // c
        ran = this.#word(start, "calloc") && this.#calloc(start, line);
        break;
      case 116: // t
        ran = this.#word(start, "thread") && this.#thread(start, line);
        break;
      case 106: // j
        ran = this.#word(start, "join") && this.#join(start, line);
        break;
      case 98: // b
        ran = this.#word(start, "brk") && this.#fieldEnd(start + 3, true) && this.#brk(line);
        break;
      default:
        ran = false;
    }
    return ran ? this.#end : -1;
  }

  // Whether the line starts with `word` and then a space (or ends there); #at is then past the
  // space (or at the end).
  #word(start: number, word: string): boolean {
    const bytes = this.#bytes, n = word.length, limit = this.#limit;
    if (start + n > limit) return false;
    for (let i = 1; i < n; i++) if (bytes[start + i] !== word.charCodeAt(i)) return false;
    if (start + n === limit || bytes[start + n] === NEWLINE) {
      this.#at = start + n;
      return true;
    }
    if (bytes[start + n] !== SPACE) return false;
    this.#at = start + n + 1;
    return true;
  }

  /**
   * The decimal field at #at (at most `max`), then a single space before the next field or, when
   * `last`, the line's end; -1 for anything else.
   */
  #number(max: number, last: boolean): number {
    const bytes = this.#bytes, limit = this.#limit;
    let i = this.#at, value = 0;
    const from = i;
    for (; i < limit; i++) {
      const digit = bytes[i] - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === from || i - from > MAX_DIGITS || value > max) return -1;
    return this.#fieldEnd(i, last) ? value : -1;
  }

  // A slot field that may be `-` (no chunk: -1); NOT_READ for anything else.
  #slotOrDash(last: boolean): number {
    const at = this.#at;
    if (at < this.#limit && this.#bytes[at] === DASH) {
      return this.#fieldEnd(at + 1, last) ? -1 : NOT_READ;
    }
    const slot = this.#number(MAX_SLOTS - 1, last);
    return slot < 0 ? NOT_READ : slot;
  }

  // Whether a field that ended at `i` is followed by the line's end (`last`: #end is then set)
  // or by a single space and another field's first character (#at is then past the space).
  #fieldEnd(i: number, last: boolean): boolean {
    const bytes = this.#bytes, limit = this.#limit;
    if (last) {
      if (i !== limit && bytes[i] !== NEWLINE) return false;
      this.#end = i;
      return true;
    }
    if (i + 1 >= limit || bytes[i] !== SPACE) return false;
    const next = bytes[i + 1];
    if (next === SPACE || next === NEWLINE) return false;
    this.#at = i + 1;
    return true;
  }

  #malloc(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const slotEnd = this.#at - 1;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.malloc(slot, size, line);
    this.#printPointer(start, 6, slotEnd, slot, line);
    return true;
  }

  #calloc(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const slotEnd = this.#at - 1;
    const count = this.#number(this.#sizeMax, false);
    if (count < 0) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.calloc(slot, count, size, line);
    this.#printPointer(start, 6, slotEnd, slot, line);
    return true;
  }

  #memalign(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const slotEnd = this.#at - 1;
    const alignment = this.#number(this.#sizeMax, false);
    if (alignment < 0) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.memalign(slot, alignment, size, line);
    this.#printPointer(start, 8, slotEnd, slot, line);
    return true;
  }

  #realloc(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const slotEnd = this.#at - 1;
    const oldSlot = this.#slotOrDash(false);
    if (oldSlot === NOT_READ) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.realloc(slot, oldSlot, size, line);
    this.#printPointer(start, 7, slotEnd, slot, line);
    return true;
  }

  #free(start: number, line: number): boolean {
    const slot = this.#slotOrDash(true);
    if (slot === NOT_READ) return false;
    this.#session.free(slot, line);
    this.#printEcho(start, line);
    return true;
  }

  #thread(start: number, line: number): boolean {
    const tid = this.#number(MAX_TID - 1, true);
    if (tid < 0) return false;
    this.#session.switchThread(tid);
    this.#printEcho(start, line);
    return true;
  }

  #join(start: number, line: number): boolean {
    const tid = this.#number(MAX_TID - 1, true);
    if (tid < 0) return false;
    this.#session.join(tid, line);
    this.#printEcho(start, line);
    return true;
  }

  #brk(line: number): boolean {
    const offset = this.#session.brk();
    const out = this.#out, bytes = out.room(MAX_LINE);
    let at = this.#putLine(bytes, out.length, line);
    at = putAscii(bytes, at, " brk ");
    at = this.#putSignedHex(bytes, at, offset);
    bytes[at++] = NEWLINE;
    out.endLineAt(at);
    return true;
  }

  // `<line> maps` and the report's lines, as formatEvent prints them: written past the output's
  // pending bytes and ended together, so that an error while listing prints nothing of it.
  #maps(line: number): boolean {
    const out = this.#out, bytes = out.room(MAX_LINE);
    const at = this.#putLine(bytes, out.length, line);
    this.#mapsEnd = putAscii(bytes, at, " maps\n");
    this.#session.maps(this.#printMapping);
    out.endLineAt(this.#mapsEnd);
    return true;
  }

  // `  <label> <perms> <size>`: a line of a `maps` report, as formatDetails prints it.
  readonly #printMapping: MappingVisitor = (label, id, area, size, exactSize) => {
    const out = this.#out;
    let at = this.#mapsEnd;
    const bytes = out.room(at - out.length + MAX_LINE);
    bytes[at++] = SPACE;
    bytes[at++] = SPACE;
    switch (label) {
      case "[heap]":
        at = putAscii(bytes, at, "[heap]");
        break;
      case "heap":
        at = putDecimal(bytes, putAscii(bytes, at, "heap"), id);
        break;
      case "mmapchunk":
        at = putDecimal(bytes, putAscii(bytes, at, "mmapchunk "), id);
        break;
      case "stack":
        at = putDecimal(bytes, putAscii(bytes, at, "stack:"), id);
        break;
    }
    bytes[at++] = SPACE;
    at = putAscii(bytes, at, area ? permsText(area) : "????");
    bytes[at++] = SPACE;
    at = exactSize === undefined
      ? this.#putHex(bytes, at, size)
      : putAscii(bytes, at, hexOf(exactSize));
    bytes[at++] = NEWLINE;
    this.#mapsEnd = at;
  };

  // `<line> <op> <slot> <where> <offset> <sizefield>`, as formatEvent prints a pointer result,
  // written straight into the output's buffer. The usual line — a main-heap chunk whose offset
  // and size word fit in 32 bits, its slot written the shortest way — is kept small enough for
  // V8 to inline its whole writing (the slot's digits are copied as the trace wrote them); any
  // other goes on in #printPlace.
  #printPointer(
    start: number,
    opLength: number,
    slotEnd: number,
    slot: number,
    line: number,
  ): void {
    const out = this.#out, place = this.#session.lastPlace, source = this.#bytes;
    const bytes = out.room(MAX_LINE);
    let at = this.#putLine(bytes, out.length, line);
    bytes[at++] = SPACE;
    const slotStart = start + opLength + 1;
    if (source[slotStart] === ZERO && slotEnd - slotStart > 1) {
      // Leading zeros: the slot as a number.
      for (let i = start; i < slotStart; i++) bytes[at++] = source[i];
      at = putDecimal(bytes, at, slot);
    } else for (let i = start; i < slotEnd; i++) bytes[at++] = source[i];
    bytes[at++] = SPACE;
    const offset = place.offset, sizeWord = place.sizeWord;
    if (
      place.kind !== "main" || !(offset >= 0 && offset < TWO32) ||
      !(sizeWord >= 0 && sizeWord < TWO32) ||
      place.exactSizeWord !== undefined
    ) {
      this.#printPlace(bytes, at, place);
      return;
    }
    // `main 0x<offset> 0x<size word>`
    bytes[at] = 109; // m
    bytes[at + 1] = 97; // a
    bytes[at + 2] = 105; // i
    bytes[at + 3] = 110; // n
    bytes[at + 4] = SPACE;
    at = putHex32(bytes, at + 5, offset);
    bytes[at++] = SPACE;
    at = putHex32(bytes, at, sizeWord);
    bytes[at++] = NEWLINE;
    out.endLineAt(at);
  }

  // The rest of a pointer line from its place on, written at `at` (#printPointer's other cases).
  #printPlace(bytes: Uint8Array, at: number, place: PlaceFields): void {
    switch (place.kind) {
      case "null":
        at = putAscii(bytes, at, "null - -");
        break;
      case "main":
        at = putAscii(bytes, at, "main ");
        at = this.#putSignedHex(bytes, at, place.offset);
        break;
      case "heap":
        if (place.heap === undefined) at = putAscii(bytes, at, "heap? ");
        else {
          at = putAscii(bytes, at, "heap");
          at = putDecimal(bytes, at, place.heap);
          bytes[at++] = SPACE;
        }
        at = this.#putHex(bytes, at, place.offset);
        break;
      case "mmap":
        at = putAscii(bytes, at, "mmap ");
        at = this.#putHex(bytes, at, place.offset);
        break;
      default:
        // (v2) A pointer a corrupted heap handed out: the rare way, size word included.
        at = putAscii(bytes, at, formatPlace(this.#words, place.v2Place!));
        bytes[at++] = NEWLINE;
        this.#out.endLineAt(at);
        return;
    }
    if (place.kind !== "null") {
      bytes[at++] = SPACE;
      at = place.exactSizeWord === undefined
        ? this.#putHex(bytes, at, place.sizeWord)
        : putAscii(bytes, at, sizeWordHex(this.#words, place));
    }
    bytes[at++] = NEWLINE;
    this.#out.endLineAt(at);
  }

  // `<line> <the line as written>`: free, thread and join echo their arguments, and a plain line
  // is its operation and arguments one space apart.
  #printEcho(start: number, line: number): void {
    const out = this.#out, source = this.#bytes, end = this.#end;
    const bytes = out.room(MAX_DECIMAL + 2 + end - start);
    let at = this.#putLine(bytes, out.length, line);
    bytes[at++] = SPACE;
    for (let i = start; i < end; i++) bytes[at++] = source[i];
    bytes[at++] = NEWLINE;
    out.endLineAt(at);
  }

  // Line number `line` in decimal.
  #putLine(bytes: Uint8Array, at: number, line: number): number {
    if (line !== this.#lineNumber) this.#setLineDigits(line);
    const digits = this.#lineDigits, n = this.#lineDigitCount;
    for (let i = 0; i < n; i++) bytes[at + i] = digits[i];
    return at + n;
  }

  #setLineDigits(line: number): void {
    const digits = this.#lineDigits;
    let i = this.#lineDigitCount - 1;
    if (line === this.#lineNumber + 1) {
      // One more: the trailing 9s turn to 0s and the digit before them goes up.
      while (i >= 0 && digits[i] === 57) digits[i--] = 48;
    }
    if (line === this.#lineNumber + 1 && i >= 0) digits[i]++;
    else this.#lineDigitCount = putDecimal(digits, 0, line); // another number, or one digit more
    this.#lineNumber = line;
  }

  // A word as the oracle prints it (a negative word unsigned, the rare way).
  #putHex(bytes: Uint8Array, at: number, x: number): number {
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) return putHex(bytes, at, x);
    return putAscii(bytes, at, oracleHex(this.#words, x));
  }

  // An offset that may be negative (below the main heap start): `-0x…` then, as signedHex in
  // oracle_format.ts prints it.
  #putSignedHex(bytes: Uint8Array, at: number, offset: number): number {
    if (offset >= 0) return this.#putHex(bytes, at, offset);
    bytes[at] = DASH;
    return this.#putHex(bytes, at + 1, -offset);
  }
}
