/**
 * glibc's printf format language (`formatPrintf`): flags, width, precision, length modifiers,
 * positional arguments, `%d %i %u %x %X %o %c %s %p %f %e %g %a %m %%` and `%n`, over the
 * arguments a call passed (`FormatArgs`); the text it makes, one char per byte, and where its
 * pieces end (vfprintf's puts up to 2.36). Checked against real runs:
 * tests/fixtures/c/printf_positional/, printf_errno/, and the programs whose output the C tests
 * compare.
 *
 * @module
 */

import type { Int } from "./integer.ts";
import type { CType } from "./types.ts";

/**
 * The widest field or precision printf pads to here (16 MiB): glibc writes up to INT_MAX bytes
 * of padding; heaplab keeps a program's output in memory.
 */
const MAX_FIELD = 1 << 24;

/** A conversion's flags, where they start (sticky: `lastIndex` says where). */
const FLAGS = /[-+ #0']*/y;

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
  /** The error for a format heaplab does not carry out (`what` says which). */
  refuse(what: string): Error;
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
 * import { formatPrintf } from "./printf_format.ts";
 * import { LP64 } from "./types.ts";
 * const vals = [
 *   { value: 0x5555555592a0, type: { k: "ptr", to: LP64.types.void } as const },
 *   { value: 42, type: LP64.types.int },
 * ];
 * const text = formatPrintf("%p|%5d|%2$d", {
 *   at: (position) => vals[position],
 *   missing: (position) => new Error(`no argument ${position + 1}`),
 *   errorText: () => "Success",
 *   refuse: (what) => new Error(what),
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
    FLAGS.lastIndex = i;
    const flags = FLAGS.exec(fmt)![0];
    i += flags.length;
    let left = flags.includes("-");
    const plus = flags.includes("+"), space = flags.includes(" "), alt = flags.includes("#");
    const zero = flags.includes("0");
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
    if (Math.max(width, prec) > MAX_FIELD) {
      throw args.refuse(`a field of ${Math.max(width, prec)} bytes (at most ${MAX_FIELD} here)`);
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
        // (JavaScript writes 1e+21 and more in exponent form; a double that large is an integer)
        body = a >= 1e21
          ? BigInt(a).toString() + (p > 0 ? "." + "0".repeat(p) : "")
          : a.toFixed(Math.min(p, 100));
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
        body = hexFloat(a, prec, alt);
    }
  }
  if (upper) body = body.toUpperCase();
  return sign + body;
}

function expForm(s: string): string {
  // JavaScript writes 1.5e+2; C writes 1.5e+02.
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/**
 * `%a` of a finite `a` ≥ 0, from its bits as glibc prints them: `0x1.<fraction>p<exponent>`
 * (a subnormal `0x0.<fraction>p-1022`), the fraction's 13 hex digits without trailing zeros, or
 * rounded to `prec` digits (to nearest, ties to even; a carry can make the leading digit 2); `alt`
 * (`#`) keeps the point when no digit follows it.
 */
function hexFloat(a: number, prec: number, alt: boolean): string {
  if (a === 0) return prec > 0 ? `0x0.${"0".repeat(prec)}p+0` : alt ? "0x0.p+0" : "0x0p+0";
  const bits = new DataView(new Float64Array([a]).buffer).getBigUint64(0, true);
  const field = Number(bits >> 52n);
  let lead = field === 0 ? 0n : 1n, fraction = bits & ((1n << 52n) - 1n);
  const exponent = field === 0 ? -1022 : field - 1023;
  let digits = 13;
  if (prec >= 0 && prec < 13) {
    const drop = BigInt(4 * (13 - prec)), half = 1n << (drop - 1n);
    const rest = fraction & ((1n << drop) - 1n);
    fraction >>= drop;
    const last = prec === 0 ? lead : fraction; // the digit a tie rounds to even
    if (rest > half || (rest === half && (last & 1n) === 1n)) fraction++;
    if (fraction >> BigInt(4 * prec) !== 0n) {
      lead++;
      fraction &= (1n << BigInt(4 * prec)) - 1n;
    }
    digits = prec;
  }
  let text = digits === 0 ? "" : fraction.toString(16).padStart(digits, "0");
  if (prec < 0) text = text.replace(/0+$/, "");
  else if (prec > 13) text += "0".repeat(prec - 13);
  return `0x${lead}${text || alt ? "." + text : ""}p${exponent >= 0 ? "+" : ""}${exponent}`;
}
