/**
 * glibc's scanf: a format read against standard input, byte by byte, as `vfscanf` does it —
 * whitespace in the format skips any whitespace, another character must come next, `%%` is a
 * `%`; a conversion (`%[*][width][length]conv`, conv one of `d i u o x X p s c n`) reads at most
 * its width, stores unless `*`, and a byte that does not fit is pushed back for the next read
 * (as `ungetc` leaves it in the stream). The result is the number of conversions stored, or EOF
 * (-1) when the input ended before the first one.
 *
 * Not modelled: `%[` scan sets, floating point (`%f`…), `%m` allocation, wide characters; a
 * format that uses them is a {@link CUnsupportedError}.
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
    let length = "";
    while ("hlLqjzt".includes(format[i]) && i < format.length) length += format[i++];
    const conv = format[i];
    const size = conv === "p"
      ? t.longSize
      : length === "hh"
      ? 1
      : length === "h"
      ? 2
      : length === "l" || length === "z" || length === "j" || length === "t"
      ? t.longSize
      : length === "ll" || length === "q" || length === "L"
      ? 8
      : t.intSize;
    if (conv === "n") {
      if (!suppress) t.storeInteger(t.argument(argument++), BigInt(consumed), size);
      continue;
    }
    if (conv === "c") {
      let text = "";
      const count = width || 1;
      while (text.length < count) {
        const b = yield* read();
        if (b < 0) return stop(true);
        text += String.fromCharCode(b);
      }
      sawInput = true;
      if (!suppress) {
        t.storeChars(t.argument(argument++), text);
        assigned++;
      }
      continue;
    }
    if (conv === "[") {
      // A scanset: at least one byte of it, no whitespace skipped.
      const set = scanset(t, format, i);
      i = set.end;
      const { text, b } = yield* takeWhile(yield* read(), set.accepts, width || Infinity);
      if (text.length === 0) return stop(b < 0);
      sawInput = true;
      if (!suppress) {
        t.storeText(t.argument(argument++), text);
        assigned++;
      }
      continue;
    }
    if (!"diuoxXps".includes(conv)) {
      throw new CUnsupportedError(`scanf conversion '%${length}${conv ?? ""}'`, t.file, t.line);
    }
    // Every other conversion skips leading whitespace.
    let b: number;
    while (isSpace(b = yield* read()));
    if (b < 0) return stop(true);
    const max = width || Infinity;
    if (conv === "s") {
      const { text } = yield* takeWhile(b, (b) => !isSpace(b), max);
      sawInput = true;
      if (!suppress) {
        t.storeText(t.argument(argument++), text);
        assigned++;
      }
      continue;
    }
    // A number: an optional sign, a base prefix, digits; at most `max` bytes.
    let base = conv === "d" || conv === "u" ? 10 : conv === "o" ? 8 : conv === "i" ? 0 : 16;
    let taken = 0, negative = false, digits = 0, value = 0n;
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
    while (b >= 0 && digitValue(b) < base) {
      value = value * BigInt(base) + BigInt(digitValue(b));
      digits++;
      b = yield* next();
    }
    if (b !== WIDTH_DONE) unget(b);
    if (digits === 0) return stop(b < 0 && b !== WIDTH_DONE);
    sawInput = true;
    if (!suppress) {
      t.storeInteger(t.argument(argument++), negative ? -value : value, size);
      assigned++;
    }
  }
  return assigned;
}
