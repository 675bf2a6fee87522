/**
 * The replay's fast lane: the lines that make up nearly every trace — `malloc`, `calloc`,
 * `memalign`, `realloc`, `free`, `thread`, `join` and `brk`, written the plain way (decimal
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
import { oracleHex } from "./oracle_format.ts";
import type { OutputBuffer } from "./output_buffer.ts";
import { MAX_SLOTS, MAX_TID } from "./parse.ts";
import type { ReplaySession } from "./session.ts";

const NEWLINE = 10, SPACE = 32, DASH = 45;
// A number token of at most 15 digits is below 2^53: exact as a double.
const MAX_DIGITS = 15;
// What #slotOrDash returns for a field that is neither a slot nor `-`.
const NOT_READ = -2;

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
        else ran = this.#word(start, "memalign") && this.#memalign(start, line);
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
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.malloc(slot, size, line);
    this.#printPointer(start, 6, slot, line);
    return true;
  }

  #calloc(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const count = this.#number(this.#sizeMax, false);
    if (count < 0) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.calloc(slot, count, size, line);
    this.#printPointer(start, 6, slot, line);
    return true;
  }

  #memalign(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const alignment = this.#number(this.#sizeMax, false);
    if (alignment < 0) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.memalign(slot, alignment, size, line);
    this.#printPointer(start, 8, slot, line);
    return true;
  }

  #realloc(start: number, line: number): boolean {
    const slot = this.#number(MAX_SLOTS - 1, false);
    if (slot < 0) return false;
    const oldSlot = this.#slotOrDash(false);
    if (oldSlot === NOT_READ) return false;
    const size = this.#number(this.#sizeMax, true);
    if (size < 0) return false;
    this.#session.realloc(slot, oldSlot, size, line);
    this.#printPointer(start, 7, slot, line);
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
    const out = this.#out;
    out.decimal(line);
    out.ascii(" brk ");
    this.#signedHex(offset);
    out.endLine();
    return true;
  }

  // `<line> <op> <slot> <where> <offset> <sizefield>`, as formatEvent prints a pointer result.
  #printPointer(start: number, opLength: number, slot: number, line: number): void {
    const out = this.#out, place = this.#session.lastPlace;
    out.decimal(line);
    out.byte(SPACE);
    out.copy(this.#bytes, start, start + opLength);
    out.byte(SPACE);
    out.decimal(slot);
    out.byte(SPACE);
    switch (place.kind) {
      case "null":
        out.ascii("null - -");
        break;
      case "main":
        out.ascii("main ");
        this.#signedHex(place.offset);
        break;
      case "heap":
        if (place.heap === undefined) out.ascii("heap? ");
        else {
          out.ascii("heap");
          out.decimal(place.heap);
          out.byte(SPACE);
        }
        this.#hex(place.offset);
        break;
      case "mmap":
        out.ascii("mmap ");
        this.#hex(place.offset);
        break;
    }
    if (place.kind !== "null") {
      out.byte(SPACE);
      this.#hex(place.sizeWord);
    }
    out.endLine();
  }

  // `<line> <the line as written>`: free, thread and join echo their arguments, and a plain line
  // is its operation and arguments one space apart.
  #printEcho(start: number, line: number): void {
    const out = this.#out;
    out.decimal(line);
    out.byte(SPACE);
    out.copy(this.#bytes, start, this.#end);
    out.endLine();
  }

  // A word as the oracle prints it (a negative word unsigned, the rare way).
  #hex(x: number): void {
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) this.#out.hex(x);
    else this.#out.ascii(oracleHex(this.#words, x));
  }

  // An offset that may be negative (below the main heap start): `-0x…` then, as signedHex in
  // oracle_format.ts prints it.
  #signedHex(offset: number): void {
    if (offset < 0) {
      this.#out.byte(DASH);
      this.#hex(-offset);
    } else this.#hex(offset);
  }
}
