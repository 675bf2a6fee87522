/**
 * The C program's standard streams, as glibc's stdio runs them: stdout fully buffered when it
 * is not a terminal (a pipe or a file, as when real runs are captured) and line buffered on a
 * terminal, its buffer a real allocation at the first output (the allocator's
 * `printf()`, glibc `_IO_file_doallocate`) unless `setbuf`/`setvbuf` chose otherwise; stderr
 * unbuffered; stdin read from the text the caller feeds. What reached file descriptors 1 and 2
 * is kept as text. Buffered stdout is written at `exit` and lost at an abort or a crash, as in a
 * real process.
 *
 * `formatPrintf` is glibc's printf format language: flags, width, precision, length modifiers,
 * `%d %i %u %x %X %o %c %s %p %f %e %g %a %%` and `%n`.
 *
 * @module
 */

import type { Int } from "./integer.ts";
import type { CType } from "./types.ts";

/** A one-char-per-byte (latin1) string as bytes: the inverse of {@link byteText}. */
export function textBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Bytes as a one-char-per-byte string, in slices: `String.fromCharCode(...bytes)` overflows the
 * call stack near 100,000 arguments (a long literal, a large fwrite).
 */
export function byteText(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...Array.prototype.slice.call(bytes, i, i + 8192) as number[]);
  }
  return s;
}

/** Buffering modes (glibc `_IOFBF`, `_IOLBF`, `_IONBF`). */
export const IOFBF = 0, IOLBF = 1, IONBF = 2;

/** Where stdout goes: a terminal, a pipe or a file. */
export type StdoutKind = "tty" | "pipe" | "file";

/** stdout, stderr and stdin of one program. */
export class Streams {
  /** Bytes written to fd 1, as latin1 text. */
  stdoutBytes = "";
  /** Bytes written to fd 2. */
  stderrBytes = "";
  /** Bytes in stdout's buffer, not yet written (its put area, from the start to the pointer). */
  pending = "";
  /** stdout's mode. */
  mode: number;
  /** stdout's buffer (0 until allocated, or when it is the FILE's own one byte). */
  buffer = 0;
  /** stdout's buffer size (0: none yet). */
  bufferSize = 0;
  /** The buffer was chosen by setvbuf (no allocation). */
  userBuffer = false;
  /** Where the room to fill ends in stdout's buffer (glibc's write_end; 0: no room). */
  writeEnd = 0;
  /** stdout's put area is set up (glibc's _IO_CURRENTLY_PUTTING). */
  putting = false;
  /**
   * Bytes stdio's stdin buffer holds: read from the descriptor, not yet handed out by getchar,
   * fgets or scanf (a byte scanf pushed back too). read(2) does not see them.
   */
  stdioInput = "";
  /** The bytes of stdin's current buffer fill already handed out (glibc's read_base..read_ptr). */
  stdioConsumed = "";
  /**
   * glibc's backup area, where ungetc puts a byte that is not the one just read: its buffer
   * (malloc'ed, 128 bytes, doubled when full; 0: none), its size, whether reads come from it,
   * its unread bytes, and the room before them.
   */
  backupBuffer = 0;
  backupSize = 0;
  inBackup = false;
  backupInput = "";
  backupRoom = 0;
  /** stdin's end-of-file indicator (feof): a refill found nothing and nothing will come. */
  stdinEof = false;
  /** stdin's error indicator (ferror). */
  stdinError = false;
  /** stdin's buffer exists (allocated at its first read, or given by setvbuf). */
  stdinBuffered = false;
  /** Where stdin's buffer is (0: not yet, or the FILE's own byte) and its size (0: st_blksize). */
  stdinBuffer = 0;
  stdinBufferSize = 0;
  /** stdin's mode. */
  stdinMode: number = IOLBF;
  /** Input was closed (no more will come): reads return EOF. */
  eof = false;
  readonly kind: StdoutKind;
  /** stdin's bytes sent and not yet read, as one-char-per-byte text. */
  #input = "";
  /** The size of each send not yet read whole; the first is what is left of the current one. */
  #sends: number[] = [];

  constructor(kind: StdoutKind) {
    this.kind = kind;
    this.mode = kind === "tty" ? IOLBF : IOFBF;
  }

  /** How many bytes were sent to stdin and not yet read. */
  get pendingInput(): number {
    return this.#input.length;
  }

  /** Sends bytes to stdin: one write by what feeds the program (a line typed, a script's send). */
  send(text: string): void {
    if (text.length === 0) return;
    this.#input += text;
    this.#sends.push(text.length);
  }

  /**
   * How many bytes one read(2) of stdin may take now (0: none yet, or none will come). From a
   * pipe, the rest of the current send: each send arrives once the program waits for input, so
   * a read never joins two. From a terminal (stdout kind "tty"), a line, whole, whatever the
   * sends were; an unfinished line only when no more input will come (`final`).
   */
  readable(final: boolean): number {
    if (this.#input.length === 0) return 0;
    if (this.kind !== "tty") return this.#sends[0];
    const lineEnd = this.#input.indexOf("\n");
    return lineEnd >= 0 ? lineEnd + 1 : final ? this.#input.length : 0;
  }

  /** The next `n` bytes of stdin, left where they are. */
  peekInput(n: number): string {
    return this.#input.slice(0, n);
  }

  /** Takes the next `n` bytes of stdin (at most what was sent). */
  takeInput(n: number): string {
    const taken = this.#input.slice(0, n);
    this.#input = this.#input.slice(taken.length);
    for (let left = taken.length; left > 0;) {
      const part = Math.min(left, this.#sends[0]);
      left -= part;
      if ((this.#sends[0] -= part) === 0) this.#sends.shift();
    }
    return taken;
  }

  /**
   * Writes to fd 1 what stdout's buffer holds (glibc's _IO_do_write): the put area starts
   * again at the buffer's start, with room to the end unless line buffered or unbuffered.
   */
  flush(): void {
    if (this.pending.length > 0) this.writeOut(this.pending);
  }

  /** Writes bytes to fd 1 from stdout's FILE (glibc's new_do_write), the put area restarted. */
  writeOut(text: string): void {
    this.stdoutBytes += text;
    this.startPutArea();
  }

  /** stdout's put area empty at the buffer's start, with room to its end when fully buffered. */
  startPutArea(): void {
    this.pending = "";
    this.writeEnd = this.mode === IOFBF ? this.bufferSize : 0;
  }
}

/** How printf gets its arguments. */
export interface FormatArgs {
  /**
   * The value and type of the argument at `position` (0: the first after the format), or
   * undefined when the call passed none there.
   */
  at(position: number): { value: Int | Uint8Array; type: CType } | undefined;
  /**
   * The error for a conversion that reads an argument the call did not pass (`position`, from
   * 0): real printf would read whatever a register or the stack holds there.
   */
  missing(position: number): Error;
  /** `%m`: the text for errno (strerror's; `%#m`, `alt`: the errno's name where glibc has it). */
  errorText(alt: boolean): string;
  /** The text of a C string at an address. */
  cString(addr: Int, limit?: number): string;
  /** `%n`: stores the count so far at an address, with the length modifier. */
  storeCount(addr: Int, count: number, length: string): void;
}

function pad(s: string, width: number, left: boolean, zero: boolean, signAware = true): string {
  if (s.length >= width) return s;
  if (left) return s + " ".repeat(width - s.length);
  if (zero) {
    let prefix = "";
    if (signAware && (s[0] === "-" || s[0] === "+" || s[0] === " ")) {
      prefix = s[0];
      s = s.slice(1);
    }
    if (/^0[xX]/.test(s)) {
      prefix += s.slice(0, 2);
      s = s.slice(2);
    }
    return prefix + "0".repeat(width - prefix.length - s.length) + s;
  }
  return " ".repeat(width - s.length) + s;
}

function toBig(v: Int | Uint8Array): bigint {
  if (v instanceof Uint8Array) return 0n;
  return typeof v === "bigint" ? v : BigInt(Math.trunc(v));
}

/**
 * Formats like glibc's printf; returns the text (latin1: one char per byte). `pieces`, when
 * given, receives where each of the text's pieces ends — each literal run, each conversion —
 * as vfprintf up to 2.36 puts them into a stream one by one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPrintf } from "./stdio.ts";
 * import { LP64 } from "./types.ts";
 * const vals = [
 *   { value: 0x5555555592a0, type: { k: "ptr", to: LP64.types.void } as const },
 *   { value: 42, type: LP64.types.int },
 * ];
 * const text = formatPrintf("%p|%5d|%2$d", {
 *   at: (position) => vals[position],
 *   missing: (position) => new Error(`no argument ${position + 1}`),
 *   errorText: () => "Success",
 *   cString: () => "",
 *   storeCount: () => {},
 * }, 8);
 * assert.equal(text, "0x5555555592a0|   42|42");
 * ```
 */
export function formatPrintf(
  fmt: string,
  args: FormatArgs,
  ptrSize: number,
  pieces?: number[],
): string {
  let out = "";
  let i = 0;
  const n = fmt.length;
  // The next argument in order; a conversion's `N$` (and a `*N$` width or precision) names its
  // own, from 1, as glibc's positional arguments do.
  let sequence = 0;
  const take = (position: number) => {
    const arg = args.at(position);
    if (arg === undefined) throw args.missing(position);
    return arg;
  };
  const positional = (): number | undefined => {
    const m = /^([1-9][0-9]*)\$/.exec(fmt.slice(i, i + 12));
    if (m === null) return undefined;
    i += m[0].length;
    return Number(m[1]) - 1;
  };
  let position: number | undefined;
  const next = () => take(position ?? sequence++);
  // A width or precision: `*` (or `*N$`) takes an int argument, else the digits there.
  const starred = () => {
    i++;
    const at = positional();
    return Number(BigInt.asIntN(32, toBig(take(at ?? sequence++).value)));
  };
  const digits = () => {
    let value = 0;
    while (i < n && fmt[i] >= "0" && fmt[i] <= "9") value = value * 10 + (fmt.charCodeAt(i++) - 48);
    return value;
  };
  while (i < n) {
    const c = fmt[i];
    if (c !== "%") {
      const j = fmt.indexOf("%", i);
      const end = j < 0 ? n : j;
      out += fmt.slice(i, end);
      pieces?.push(out.length);
      i = end;
      continue;
    }
    i++;
    position = positional();
    let left = false, plus = false, space = false, alt = false, zero = false;
    for (; i < n; i++) {
      const f = fmt[i];
      if (f === "-") left = true;
      else if (f === "+") plus = true;
      else if (f === " ") space = true;
      else if (f === "#") alt = true;
      else if (f === "0") zero = true;
      else if (f === "'") continue;
      else break;
    }
    let width = fmt[i] === "*" ? starred() : digits();
    if (width < 0) {
      left = true;
      width = -width;
    }
    let prec = -1;
    if (fmt[i] === ".") {
      i++;
      prec = fmt[i] === "*" ? Math.max(starred(), -1) : digits();
    }
    let length = "";
    while (i < n && "hlLqjzt".includes(fmt[i])) length += fmt[i++];
    const conv = fmt[i++];
    if (conv === undefined) {
      out += "%";
      break;
    }
    const bits = lengthBits(length, ptrSize);
    switch (conv) {
      case "%":
        out += "%";
        break;
      case "d":
      case "i":
      case "u":
      case "x":
      case "X":
      case "o": {
        const flags = { plus, space, alt };
        out += pad(
          formatInteger(toBig(next().value), conv, bits, prec, flags),
          width,
          left,
          zero && prec < 0,
        );
        break;
      }
      case "c": {
        const v = Number(BigInt.asUintN(8, toBig(next().value)));
        out += pad(String.fromCharCode(v), width, left, false);
        break;
      }
      case "s": {
        const a = next().value;
        let s: string;
        if (toBig(a) === 0n) s = prec < 0 || prec >= 6 ? "(null)" : "";
        else s = args.cString(a as Int, prec < 0 ? Infinity : prec);
        out += pad(s, width, left, false);
        break;
      }
      case "p": {
        const v = BigInt.asUintN(ptrSize * 8, toBig(next().value));
        const s = v === 0n ? "(nil)" : (plus ? "+" : space ? " " : "") + "0x" + v.toString(16);
        out += pad(s, width, left, zero && v !== 0n);
        break;
      }
      case "n": {
        args.storeCount(next().value as Int, out.length, length);
        break;
      }
      case "f":
      case "F":
      case "e":
      case "E":
      case "g":
      case "G":
      case "a":
      case "A": {
        const x = next().value as number;
        out += pad(
          formatFloat(x, conv, prec, alt, plus, space),
          width,
          left,
          zero && Number.isFinite(x),
        );
        break;
      }
      case "m": {
        const text = args.errorText(alt);
        out += pad(prec < 0 ? text : text.slice(0, prec), width, left, false);
        break;
      }
      default:
        out += "%" + length + conv;
    }
    pieces?.push(out.length);
  }
  return out;
}

/** The width in bits of an integer argument with printf length modifier `length`. */
function lengthBits(length: string, ptrSize: number): number {
  switch (length) {
    case "hh":
      return 8;
    case "h":
      return 16;
    case "l":
    case "z":
    case "t":
      return ptrSize * 8;
    case "ll":
    case "q":
    case "j":
    case "L":
      return 64;
    default:
      return 32;
  }
}

/** The digits of an integer conversion (`d i u x X o`), with sign, precision and `#` prefix. */
function formatInteger(
  raw: bigint,
  conv: string,
  bits: number,
  prec: number,
  { plus, space, alt }: { plus: boolean; space: boolean; alt: boolean },
): string {
  const signed = conv === "d" || conv === "i";
  let v = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
  const neg = v < 0n;
  if (neg) v = -v;
  let digits = conv === "x"
    ? v.toString(16)
    : conv === "X"
    ? v.toString(16).toUpperCase()
    : conv === "o"
    ? v.toString(8)
    : v.toString();
  if (prec >= 0) {
    if (prec === 0 && v === 0n) digits = "";
    digits = digits.padStart(prec, "0");
  }
  if (alt && conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
  if (alt && v !== 0n && (conv === "x" || conv === "X")) {
    digits = (conv === "x" ? "0x" : "0X") + digits;
  }
  const sign = neg ? "-" : signed && plus ? "+" : signed && space ? " " : "";
  return sign + digits;
}

function formatFloat(
  x: number,
  conv: string,
  prec: number,
  alt: boolean,
  plus: boolean,
  space: boolean,
): string {
  const upper = conv === conv.toUpperCase();
  const sign = x < 0 || Object.is(x, -0) ? "-" : plus ? "+" : space ? " " : "";
  const a = Math.abs(x);
  let body: string;
  if (!Number.isFinite(a)) body = Number.isNaN(a) ? "nan" : "inf";
  else {
    const p = prec < 0 ? 6 : prec;
    switch (conv.toLowerCase()) {
      case "f":
        body = a.toFixed(Math.min(p, 100));
        if (alt && p === 0) body += ".";
        break;
      case "e":
        body = expForm(a.toExponential(Math.min(p, 100)));
        break;
      case "g": {
        const P = p === 0 ? 1 : p;
        const exp = a === 0 ? 0 : Math.floor(Math.log10(Number(a.toExponential(P - 1))));
        if (exp < -4 || exp >= P) body = expForm(a.toExponential(P - 1));
        else body = a.toFixed(Math.max(0, P - 1 - exp));
        if (!alt && body.includes(".")) {
          body = body.replace(/(\.\d*?)0+(e|$)/, "$1$2").replace(/\.(e|$)/, "$1");
        }
        break;
      }
      default:
        body = hexFloat(a, prec);
    }
  }
  if (upper) body = body.toUpperCase();
  return sign + body;
}

function expForm(s: string): string {
  // JavaScript writes 1.5e+2; C writes 1.5e+02.
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function hexFloat(a: number, prec: number): string {
  if (a === 0) return "0x0p+0";
  let e = Math.floor(Math.log2(a));
  let m = a / 2 ** e;
  if (m >= 2) {
    m /= 2;
    e++;
  }
  let frac = "";
  let f = m - 1;
  for (let k = 0; k < 13 && (prec < 0 ? f > 0 : k < prec); k++) {
    f *= 16;
    const d = Math.floor(f);
    frac += d.toString(16);
    f -= d;
  }
  return `0x1${frac ? "." + frac : ""}p${e >= 0 ? "+" : ""}${e}`;
}
