/**
 * glibc's scanf: a format read against standard input, byte by byte, as `vfscanf` does it —
 * whitespace in the format skips any whitespace, another character must come next, `%%` is a
 * `%`; a conversion (`%[*][width][length]conv`, conv one of `d i u o x X p s c n`) reads at most
 * its width, stores unless `*`, and a byte that does not fit is pushed back for the next read
 * (as `ungetc` leaves it in the stream). The result is the number of conversions stored, or EOF
 * (-1) when the input ended before the first one.
 *
 * A `%Nc` that meets the end of the input before N bytes keeps what it read (glibc before 2.41,
 * and 2.41, which pads an `m` buffer with NULs) or fails as at the end of the input (2.42+).
 *
 * The `m` modifier (`%ms`, `%m[…]`, `%mc`; glibc's `STRING_ARG`) mallocs the string and stores
 * its address at a `char **` argument: 100 bytes for `%ms` and `%m[` (after `%ms` skipped
 * whitespace, before `%m[` reads a byte), doubled by realloc each time it fills, then a realloc
 * to the string's length and NUL; `%mc` mallocs its width. A conversion that fails after its
 * malloc (a `%m[` matching nothing, the end of the input) frees the buffer and stores NULL.
 * Checked against real runs: tests/fixtures/c/scanf/ (scanf.c) and tests/fixtures/c/scanf_malloc/
 * (scanf_malloc.c: each buffer's offset and usable size, the next mallocs).
 *
 * Not modelled: floating point (`%f`…), wide characters (`%ls`, `%mls`), `m` on another
 * conversion, a `%mc` wider than 1024 bytes (glibc grows it) and an `m` buffer whose malloc or
 * realloc fails; a format that uses them is a {@link CUnsupportedError}.
 *
 * @module
 */

import { CUnsupportedError } from "./errors.ts";
import type { Signal } from "./interpreter.ts";

/** Where scanf reads and stores. */
export interface ScanTarget {
  /** The next byte of standard input, -1 at its end (a generator: reading may pause). */
  get(): Generator<Signal, number>;
  /** Puts a byte back in front of standard input. */
  unget(byte: number): void;
  /** Stores text (with its NUL) at a `char *` argument. */
  storeText(address: number, text: string): void;
  /** Stores chars (no NUL) at a `char *` argument. */
  storeChars(address: number, text: string): void;
  /** Stores an integer of `size` bytes at an argument. */
  storeInteger(address: number, value: bigint, size: number): void;
  /** Stores a pointer at a `char **` argument (an `m` conversion's buffer). */
  storePointer(address: number, value: number): void;
  /** glibc's malloc, realloc (0: failed) and free, for the `m` conversions' buffers. */
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
  /** What a `%Nc` cut short by the end of the input does (the glibc profile's `scanfShortChars`). */
  readonly shortChars: "kept" | "padded" | "error";
  /** The `index`-th pointer argument after the format. */
  argument(index: number): number;
  /** Bytes of `int`, `long`, pointers. */
  readonly intSize: number;
  readonly longSize: number;
  /** Where the format came from, for errors. */
  readonly file: string;
  readonly line: number;
}

/** What a read past a conversion's width gives: no byte was read (none to push back). */
const WIDTH_DONE = -2;
/** Below this, a number times 16 plus a digit is still exact in a double (scanNumber). */
const SMALL_DIGITS_LIMIT = 2 ** 48;

const isSpace = (b: number) => b === 32 || (b >= 9 && b <= 13);
const digitValue = (b: number) =>
  b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : 99;

/**
 * The scanset of a `%[` at `format[i]`: the bytes in it (or, after '^', not in it); ']' first
 * is a member, and a '-' between two bytes a range. `end` is the index of its closing ']'.
 */
function scanset(t: ScanTarget, format: string, i: number) {
  let j = i + 1;
  const negate = format[j] === "^";
  if (negate) j++;
  const members = new Set<number>();
  for (let first = true; j < format.length && (first || format[j] !== "]"); first = false) {
    const from = format.charCodeAt(j);
    if (format[j + 1] === "-" && j + 2 < format.length && format[j + 2] !== "]") {
      for (let b = from; b <= format.charCodeAt(j + 2); b++) members.add(b);
      j += 3;
    } else {
      members.add(from);
      j++;
    }
  }
  if (j >= format.length) {
    throw new CUnsupportedError(`scanf conversion '%${format.slice(i)}': no ']'`, t.file, t.line);
  }
  return { accepts: (b: number) => members.has(b) !== negate, end: j };
}

/**
 * The buffer of an `m` conversion (glibc's `STRING_ARG`): malloc'ed, its address stored at the
 * `char **` argument at `at` at once.
 */
class Allocated {
  readonly #t: ScanTarget;
  readonly #at: number;
  #pointer: number;
  #size: number;

  constructor(t: ScanTarget, at: number, size: number) {
    this.#t = t;
    this.#at = at;
    this.#size = size;
    this.#pointer = this.#check(t.malloc(size));
    t.storePointer(at, this.#pointer);
  }

  /**
   * A conversion that fails after its malloc (errout): the buffer, holding the bytes `read` so
   * far, freed, and NULL stored.
   */
  drop(read = ""): void {
    this.#t.storeChars(this.#pointer, read);
    this.#t.free(this.#pointer);
    this.#t.storePointer(this.#at, 0);
  }

  /**
   * `%ms` and `%m[`'s text: the buffer doubled each time a byte fills it (what it holds copied),
   * then the text and its NUL, and a realloc to their length when the buffer is not exactly full.
   */
  storeString(text: string): void {
    for (let filled = 1; filled <= text.length; filled++) {
      if (filled === this.#size) this.#resize(text.slice(0, filled), 2 * this.#size);
    }
    this.#t.storeText(this.#pointer, text);
    if (text.length + 1 !== this.#size) this.#resize(text + "\0", text.length + 1);
  }

  /** `%mc`'s bytes (fewer than its width at the end of the input: shrunk to them, or padded). */
  storeChars(text: string, padded: boolean): void {
    if (padded) text = text.padEnd(this.#size, "\0");
    this.#t.storeChars(this.#pointer, text);
    if (text.length !== this.#size) this.#resize(text, text.length);
  }

  /** realloc to `size` bytes, with `written` (already in the buffer, as glibc wrote them). */
  #resize(written: string, size: number): void {
    this.#t.storeChars(this.#pointer, written);
    this.#pointer = this.#check(this.#t.realloc(this.#pointer, size));
    this.#size = size;
    this.#t.storePointer(this.#at, this.#pointer);
  }

  #check(pointer: number): number {
    if (pointer !== 0) return pointer;
    throw new CUnsupportedError(
      "a scanf 'm' buffer whose malloc or realloc fails",
      this.#t.file,
      this.#t.line,
    );
  }
}

/** Runs scanf's format `format` against standard input; returns its result. */
export function* scanFormat(t: ScanTarget, format: string): Generator<Signal, number> {
  let assigned = 0, argument = 0, consumed = 0, sawInput = false;
  const read = function* () {
    const b = yield* t.get();
    if (b >= 0) consumed++;
    return b;
  };
  const unget = (b: number) => {
    if (b < 0) return;
    t.unget(b);
    consumed--;
  };
  // The bytes from `b` on that `accepts` takes, at most `max`; the first it does not is put back.
  const takeWhile = function* (b: number, accepts: (b: number) => boolean, max: number) {
    let text = "";
    while (b >= 0 && accepts(b) && text.length < max) {
      text += String.fromCharCode(b);
      b = text.length < max ? yield* read() : WIDTH_DONE;
    }
    if (b !== WIDTH_DONE) unget(b);
    return { text, b };
  };
  // The result when the input ends or stops matching here.
  const stop = (eof: boolean) => (eof && assigned === 0 && !sawInput ? -1 : assigned);
  for (let i = 0; i < format.length; i++) {
    const f = format.charCodeAt(i);
    if (isSpace(f)) {
      let b: number;
      while (isSpace(b = yield* read()));
      unget(b);
      continue;
    }
    if (f !== 37 || format[i + 1] === "%") {
      if (f === 37) i++;
      let b: number;
      if (f === 37) { while (isSpace(b = yield* read())); }
      else b = yield* read();
      if (b !== f) {
        unget(b);
        return stop(b < 0);
      }
      sawInput = true;
      continue;
    }
    i++;
    const suppress = format[i] === "*";
    if (suppress) i++;
    let width = 0;
    while (format[i] >= "0" && format[i] <= "9") width = width * 10 + Number(format[i++]);
    const allocate = format[i] === "m";
    if (allocate) i++;
    let length = "";
    while ("hlLqjzt".includes(format[i]) && i < format.length) length += format[i++];
    const conv = format[i];
    if (allocate && (length !== "" || !"sc[".includes(conv) || (conv === "c" && width > 1024))) {
      throw new CUnsupportedError(
        `scanf conversion '%${width || ""}m${length}${conv ?? ""}'`,
        t.file,
        t.line,
      );
    }
    /** An `m` conversion's buffer, malloc'ed (unless `*`) before its first byte is read. */
    const buffer = (size: number) =>
      allocate && !suppress ? new Allocated(t, t.argument(argument++), size) : undefined;
    const size = storedSize(t, conv, length);
    if (conv === "n") {
      if (!suppress) t.storeInteger(t.argument(argument++), BigInt(consumed), size);
      continue;
    }
    if (conv === "c") {
      let text = "";
      const count = width || 1, allocated = buffer(count);
      while (text.length < count) {
        const b = yield* read();
        if (b < 0) break;
        text += String.fromCharCode(b);
      }
      if (text.length === 0 || (text.length < count && t.shortChars === "error")) {
        // (the bytes read are stored as they came: into the buffer it then frees)
        if (allocated) allocated.drop(text);
        else if (!suppress && text.length > 0) t.storeChars(t.argument(argument++), text);
        return stop(true);
      }
      sawInput = true;
      if (allocated) allocated.storeChars(text, t.shortChars === "padded");
      else if (!suppress) t.storeChars(t.argument(argument++), text);
      if (!suppress) assigned++;
      continue;
    }
    if (conv === "[") {
      // A scanset: at least one byte of it, no whitespace skipped.
      const set = scanset(t, format, i);
      i = set.end;
      const allocated = buffer(100);
      const { text, b } = yield* takeWhile(yield* read(), set.accepts, width || Infinity);
      if (text.length === 0) {
        allocated?.drop();
        return stop(b < 0);
      }
      sawInput = true;
      if (allocated) allocated.storeString(text);
      else if (!suppress) t.storeText(t.argument(argument++), text);
      if (!suppress) assigned++;
      continue;
    }
    if (!"diuoxXps".includes(conv)) {
      throw new CUnsupportedError(`scanf conversion '%${length}${conv ?? ""}'`, t.file, t.line);
    }
    // Every other conversion skips leading whitespace.
    let b: number;
    while (isSpace(b = yield* read()));
    const max = width || Infinity;
    if (conv === "s") {
      // %ms mallocs after the whitespace, even at the end of the input (then frees it)
      const allocated = buffer(100);
      if (b < 0) {
        allocated?.drop();
        return stop(true);
      }
      const { text } = yield* takeWhile(b, (b) => !isSpace(b), max);
      sawInput = true;
      if (allocated) allocated.storeString(text);
      else if (!suppress) t.storeText(t.argument(argument++), text);
      if (!suppress) assigned++;
      continue;
    }
    if (b < 0) return stop(true);
    const number = yield* scanNumber(read, b, conv, max);
    b = number.b;
    if (b !== WIDTH_DONE) unget(b);
    if (number.digits === 0) return stop(b < 0 && b !== WIDTH_DONE);
    sawInput = true;
    if (!suppress) {
      t.storeInteger(t.argument(argument++), number.value, size);
      assigned++;
    }
  }
  return assigned;
}

/** The bytes a conversion `conv` with length modifier `length` stores. */
function storedSize(t: ScanTarget, conv: string, length: string): number {
  if (conv === "p") return t.longSize;
  if (length === "hh") return 1;
  if (length === "h") return 2;
  if (length === "l" || length === "z" || length === "j" || length === "t") return t.longSize;
  if (length === "ll" || length === "q" || length === "L") return 8;
  return t.intSize;
}

/**
 * A number from its first byte `b` on: an optional sign, a base prefix, digits; at most `max`
 * bytes (`read` giving the rest). Its value, how many digits, and the byte after it (to put
 * back, unless {@link WIDTH_DONE}).
 */
function* scanNumber(
  read: () => Generator<Signal, number>,
  b: number,
  conv: string,
  max: number,
): Generator<Signal, { value: bigint; digits: number; b: number }> {
  let base = conv === "d" || conv === "u" ? 10 : conv === "o" ? 8 : conv === "i" ? 0 : 16;
  let taken = 0, negative = false, digits = 0;
  const next = function* () {
    taken++;
    return taken < max ? yield* read() : WIDTH_DONE;
  };
  if (b === 43 || b === 45) {
    negative = b === 45;
    b = yield* next();
  }
  if (b === 48 && (base === 0 || base === 16)) {
    // "0": a digit whatever follows; "0x" a prefix when hex digits may follow.
    digits++;
    b = yield* next();
    if ((b === 120 || b === 88) && taken < max) {
      base = 16;
      b = yield* next();
    } else if (base === 0) base = 8;
  }
  if (base === 0) base = 10;
  // exact in a number while small (no bigint made per digit), then in a bigint
  let small = 0, big: bigint | undefined;
  while (b >= 0 && digitValue(b) < base) {
    if (big !== undefined) big = big * BigInt(base) + BigInt(digitValue(b));
    else if ((small = small * base + digitValue(b)) > SMALL_DIGITS_LIMIT) big = BigInt(small);
    digits++;
    b = yield* next();
  }
  const value = big ?? BigInt(small);
  return { value: negative ? -value : value, digits, b };
}
