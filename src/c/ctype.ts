/**
 * <ctype.h> in the C locale, as a program compiled against glibc's header sees it. The header
 * makes each `isX(c)` a macro that reads the locale's class table (`(*__ctype_b_loc())[c]`) and
 * masks the class's bit, so a true result is that bit — `isprint('a')` is 0x4000, `isgraph`'s
 * 0x8000 — not 1. The table covers -128 to 255: the negative half for a signed char (all
 * classless in the C locale, EOF included), 128 to 255 classless too; a c outside it reads
 * past the table, which is refused. `toupper` and `tolower` are functions: their tables map
 * -128 to -2 onto the unsigned char of the same bits (toupper(-9) is 247), EOF to itself, and
 * any other c outside the table is returned unchanged. `isascii` is `(c & ~0x7f) == 0`.
 * Checked against real runs: tests/fixtures/c/ctype/.
 *
 * @module
 */

import type { BuiltinCall } from "./interpreter.ts";
import { numberOf as n, type Value } from "./values.ts";

/** glibc's class bits (`_ISupper` … `_ISalnum`, as `_ISbit` places them on little-endian). */
const UPPER = 0x100, LOWER = 0x200, ALPHA = 0x400, DIGIT = 0x800, XDIGIT = 0x1000;
const SPACE = 0x2000, PRINT = 0x4000, GRAPH = 0x8000, BLANK = 0x1, CNTRL = 0x2, PUNCT = 0x4;
const ALNUM = 0x8;

/** The C locale's class bits of a byte 0 to 127. */
function classes(c: number): number {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/[A-Z]/.test(ch)) bits |= UPPER | ALPHA | ALNUM;
  if (/[a-z]/.test(ch)) bits |= LOWER | ALPHA | ALNUM;
  if (/[0-9]/.test(ch)) bits |= DIGIT | ALNUM;
  if (/[0-9A-Fa-f]/.test(ch)) bits |= XDIGIT;
  if (/[ \t\n\v\f\r]/.test(ch)) bits |= SPACE;
  if (c >= 32 && c < 127) bits |= PRINT;
  if (c > 32 && c < 127) bits |= GRAPH;
  if (c === 32 || c === 9) bits |= BLANK;
  if (c < 32 || c === 127) bits |= CNTRL;
  if ((bits & GRAPH) && !(bits & ALNUM)) bits |= PUNCT;
  return bits;
}

/** The class bits of 0 to 127. */
const TABLE = Array.from({ length: 128 }, (_, c) => classes(c));

/** What the ctype functions need of the interpreter. */
export interface CtypeHost {
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

type CtypeFunction = (h: CtypeHost, c: BuiltinCall) => Value;

/** An isX(c) macro: the class bit of the table's entry for c. */
function classify(name: string, bit: number): CtypeFunction {
  return (h, call) => {
    const c = n(call.args[0]);
    if (c < -128 || c > 255) {
      h.refuse(`${name}(${c}): glibc's macro reads outside its class table (-128 to 255)`);
    }
    return c >= 0 && c < 128 ? TABLE[c] & bit : 0;
  };
}

/** toupper or tolower: the table's entry for c within -128 to 255, else c. */
function convert(from: RegExp, by: number): CtypeFunction {
  return (_h, call) => {
    const c = n(call.args[0]);
    if (c >= -128 && c <= -2) return c + 256;
    if (c >= 0 && c < 128 && from.test(String.fromCharCode(c))) return c + by;
    return call.args[0];
  };
}

/**
 * The functions, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CTYPE_FUNCTIONS } from "./ctype.ts";
 * const host = { refuse: (what: string): never => { throw new Error(what); } };
 * const call = (c: number) => ({ args: [c], types: [], line: 1, frame: undefined! });
 * assert.equal(CTYPE_FUNCTIONS.isprint(host, call(97)), 0x4000);
 * assert.equal(CTYPE_FUNCTIONS.toupper(host, call(-9)), 247);
 * ```
 */
export const CTYPE_FUNCTIONS: Record<string, CtypeFunction> = {
  isalnum: classify("isalnum", ALNUM),
  isalpha: classify("isalpha", ALPHA),
  iscntrl: classify("iscntrl", CNTRL),
  isdigit: classify("isdigit", DIGIT),
  isgraph: classify("isgraph", GRAPH),
  islower: classify("islower", LOWER),
  isprint: classify("isprint", PRINT),
  ispunct: classify("ispunct", PUNCT),
  isspace: classify("isspace", SPACE),
  isupper: classify("isupper", UPPER),
  isxdigit: classify("isxdigit", XDIGIT),
  isblank: classify("isblank", BLANK),
  isascii: (_h, call) => ((n(call.args[0]) & ~0x7f) === 0 ? 1 : 0),
  toupper: convert(/[a-z]/, -32),
  tolower: convert(/[A-Z]/, 32),
};
