/**
 * The heap trace format of the real-glibc oracle (`docs/trace_format.md`): one operation a line,
 * `#` comments, decimal or 0x-hex numbers, slots 0..65535 — version 1's heap and kernel operations
 * and version 2's memory (`write`, `read`), fake areas (`fake`) and frees of any pointer
 * (`free <id> <±offset>`). Each line parses on its own, with
 * the oracle driver's checks in the driver's order and its error messages, so that a malformed
 * line stops a replay exactly where, and with the words, the oracle stops.
 *
 * @module
 */

import { MALLOPT_PARAMS } from "../malloc/mallopt.ts";

/** Slots a trace can name. */
export const MAX_SLOTS = 65536;
/** Thread ids a trace can name. */
export const MAX_TID = 4096;

/**
 * The mallopt names the trace format accepts (the oracle driver's table): all of
 * {@link MALLOPT_PARAMS} but `M_CHECK_ACTION` and `M_PERTURB`.
 */
const TRACE_MALLOPT_NAMES: ReadonlySet<string> = new Set([
  "M_TRIM_THRESHOLD",
  "M_TOP_PAD",
  "M_MMAP_THRESHOLD",
  "M_MMAP_MAX",
  "M_ARENA_TEST",
  "M_ARENA_MAX",
  "M_MXFAST",
]);

/** A number from a trace: a double when exact (below 2^53), else a bigint. */
export type TraceNumber = number | bigint;

/** One parsed operation. Numbers that may not fit a double exactly are bigints. */
export type TraceOp =
  | { kind: "malloc"; slot: number; size: TraceNumber }
  | { kind: "calloc"; slot: number; count: TraceNumber; size: TraceNumber }
  | { kind: "memalign"; slot: number; alignment: TraceNumber; size: TraceNumber }
  | { kind: "realloc"; slot: number; oldSlot: number; size: TraceNumber }
  /** free(slot's pointer), or with `offset` (format v2) free(slot's pointer + offset). */
  | { kind: "free"; slot: number; offset?: TraceNumber; args: string }
  /** (v2) Stores `value`, truncated to `width` bytes, at the slot's pointer + offset. */
  | {
    kind: "write";
    slot: number;
    offset: TraceNumber;
    width: AccessWidth;
    value: WriteValue;
    args: string;
  }
  /** (v2) Loads `width` bytes from the slot's pointer + offset. */
  | { kind: "read"; slot: number; offset: TraceNumber; width: AccessWidth; args: string }
  /** (v2) Slot = a new zeroed fake area of `size` bytes (rounded up to 16). */
  | { kind: "fake"; slot: number; size: TraceNumber; args: string }
  | { kind: "trim"; pad: TraceNumber; args: string }
  | { kind: "mallopt"; name: string; param: number; value: number; args: string }
  | { kind: "thread"; tid: number; args: string }
  | { kind: "join"; tid: number; args: string }
  | { kind: "sbrk"; slot: number; delta: TraceNumber; args: string }
  | { kind: "mmap"; slot: number; length: TraceNumber; prot: number; args: string }
  | { kind: "munmap"; slot: number; offset: TraceNumber; length: TraceNumber; args: string }
  | {
    kind: "mprotect";
    slot: number;
    offset: TraceNumber;
    length: TraceNumber;
    prot: number;
    args: string;
  }
  | { kind: "brk" }
  | { kind: "maps" }
  | { kind: "rawmaps" };

/** The widths of a v2 `write` or `read`, in bytes. */
export type AccessWidth = 1 | 2 | 4 | 8;

/**
 * What a v2 `write` stores: a number (its 64-bit two's complement, cut to the width), or the
 * address slot `slot`'s pointer + `offset`, plain (`ptr`) or safe-linked as glibc 2.32+ keeps
 * tcache and fastbin links (`mangled`: XORed with the written address shifted right by 12).
 */
export type WriteValue =
  | { kind: "number"; value: bigint }
  | { kind: "ptr" | "mangled"; slot: number; offset: TraceNumber };

/** A malformed trace line; the message is the oracle driver's. */
export class TraceError extends Error {
  /** 1-based line number. */
  readonly line: number;
  /** A malformed line `line` (1-based) with the driver's message. */
  constructor(line: number, message: string) {
    super(message);
    this.name = "TraceError";
    this.line = line;
  }
}

/** Limits of the replaying process's C types. */
export interface TraceLimits {
  /** Largest size_t. */
  readonly sizeMax: bigint;
  /** Largest intptr_t. */
  readonly intptrMax: bigint;
}

/** size_t and intptr_t of a 32-bit or 64-bit process. */
export function traceLimits(bits: 32 | 64): TraceLimits {
  return bits === 64
    ? { sizeMax: (1n << 64n) - 1n, intptrMax: (1n << 63n) - 1n }
    : { sizeMax: (1n << 32n) - 1n, intptrMax: (1n << 31n) - 1n };
}

const U64_MAX = (1n << 64n) - 1n;
const EXACT = 2 ** 53;

/** An unsigned number token (decimal or 0x-hex), or undefined if it is not one. */
function parseNum(token: string | undefined): TraceNumber | undefined {
  if (token === undefined || token.length === 0) return undefined;
  const hex = token.length > 2 && token.charCodeAt(0) === 48 &&
    (token.charCodeAt(1) | 0x20) === 0x78;
  let value = 0;
  if (hex) {
    for (let i = 2; i < token.length; i++) {
      const c = token.charCodeAt(i);
      const d = c >= 48 && c <= 57
        ? c - 48
        : c >= 97 && c <= 102
        ? c - 87
        : c >= 65 && c <= 70
        ? c - 55
        : -1;
      if (d < 0) return undefined;
      value = value * 16 + d;
    }
  } else {
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      value = value * 10 + (c - 48);
    }
  }
  if (value < EXACT) return value;
  // Too large for a double: redo it exactly. The driver refuses anything above 2^64 - 1.
  const big = BigInt(token);
  return big > U64_MAX ? undefined : big;
}

function gt(a: TraceNumber, b: bigint): boolean {
  return typeof a === "number" ? a > Number(b) && BigInt(a) > b : a > b;
}

class Cursor {
  #tokens: string[];
  #i = 0;
  constructor(tokens: string[], readonly line: number, readonly limits: TraceLimits) {
    this.#tokens = tokens;
  }
  fail(message: string): never {
    throw new TraceError(this.line, message);
  }
  rest(): string {
    return this.#tokens.slice(this.#i).join(" ");
  }
  peek(): string | undefined {
    return this.#tokens[this.#i];
  }
  next(): string | undefined {
    return this.#tokens[this.#i++];
  }
  end(): void {
    if (this.#i < this.#tokens.length) this.fail("trailing garbage");
  }
  slot(allowDash: boolean): number {
    const t = this.next();
    if (allowDash && t === "-") return -1;
    const v = parseNum(t);
    if (typeof v !== "number" || v >= MAX_SLOTS) this.fail("bad slot id");
    return v;
  }
  unsigned(): TraceNumber {
    const v = parseNum(this.next());
    if (v === undefined) this.fail("bad number");
    return v;
  }
  size(): TraceNumber {
    const v = this.unsigned();
    if (gt(v, this.limits.sizeMax)) this.fail("number does not fit in size_t");
    return v;
  }
  signedPtr(): TraceNumber {
    let t = this.next();
    let neg = false;
    if (t !== undefined && (t[0] === "-" || t[0] === "+")) {
      neg = t[0] === "-";
      t = t.slice(1);
    }
    const u = parseNum(t);
    if (u === undefined) this.fail("bad number");
    if (gt(u, this.limits.intptrMax + (neg ? 1n : 0n))) {
      this.fail("number does not fit in intptr_t");
    }
    return neg ? -u : u;
  }
  /** A `write` value: an optional `-`, then a number up to 2^64 - 1 (the driver's long long). */
  signedValue(): bigint {
    let t = this.next();
    const neg = t !== undefined && t[0] === "-";
    if (neg) t = t!.slice(1);
    const u = parseNum(t);
    if (u === undefined) this.fail("bad number");
    return BigInt.asUintN(64, neg ? -BigInt(u) : BigInt(u));
  }
  width(): AccessWidth {
    const w = this.unsigned();
    if (w !== 1 && w !== 2 && w !== 4 && w !== 8) this.fail("bad width (1, 2, 4 or 8)");
    return w;
  }
  prot(): number {
    const t = this.next();
    if (t === undefined || !/^[r-][w-][x-]$/.test(t)) {
      this.fail("bad protection (expected three characters like rw- or r-x)");
    }
    return (t[0] === "r" ? 1 : 0) | (t[1] === "w" ? 2 : 0) | (t[2] === "x" ? 4 : 0);
  }
}

/** Splits a raw line into fields: comment stripped, tabs and `\r` taken as spaces. */
function lineFields(raw: string): string[] {
  const hash = raw.indexOf("#");
  let text = hash >= 0 ? raw.slice(0, hash) : raw;
  if (text.indexOf("\t") >= 0 || text.indexOf("\r") >= 0) text = text.replace(/[\t\r]/g, " ");
  const fields = text.split(" ");
  for (let i = 0; i < fields.length; i++) {
    if (fields[i].length === 0) return fields.filter((f) => f.length > 0);
  }
  return fields;
}

/**
 * Parses one line. Returns undefined for a blank or comment-only line; throws
 * {@link TraceError} for a malformed one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTraceLine, traceLimits } from "./parse.ts";
 * assert.deepEqual(parseTraceLine("malloc 3 0x20  # a small chunk", 1, traceLimits(64)), {
 *   kind: "malloc",
 *   slot: 3,
 *   size: 32,
 * });
 * ```
 */
export function parseTraceLine(
  raw: string,
  line: number,
  limits: TraceLimits,
): TraceOp | undefined {
  const common = parseCommonLine(raw);
  if (common !== undefined) return common;
  const fields = lineFields(raw);
  if (fields.length === 0) return undefined;
  const c = new Cursor(fields.slice(1), line, limits);
  const word = fields[0];
  switch (word) {
    case "malloc": {
      const slot = c.slot(false), size = c.size();
      c.end();
      return { kind: "malloc", slot, size };
    }
    case "calloc": {
      const slot = c.slot(false), count = c.size(), size = c.size();
      c.end();
      return { kind: "calloc", slot, count, size };
    }
    case "memalign": {
      const slot = c.slot(false), alignment = c.size(), size = c.size();
      c.end();
      return { kind: "memalign", slot, alignment, size };
    }
    case "realloc": {
      const slot = c.slot(false), oldSlot = c.slot(true), size = c.size();
      c.end();
      return { kind: "realloc", slot, oldSlot, size };
    }
    case "free": {
      const args = c.rest();
      const slot = c.slot(true);
      // (v2) A slot, then a signed number: free(the slot's pointer + offset).
      const t = c.peek();
      if (slot >= 0 && t !== undefined && /^[-+0-9]/.test(t)) {
        const offset = c.signedPtr();
        c.end();
        return { kind: "free", slot, offset, args };
      }
      c.end();
      return { kind: "free", slot, args };
    }
    case "write":
    case "read": {
      const args = c.rest();
      const slot = c.slot(false), offset = c.signedPtr(), width = c.width();
      if (word === "read") {
        c.end();
        return { kind: "read", slot, offset, width, args };
      }
      let value: WriteValue;
      const t = c.peek();
      if (t === "ptr" || t === "mangled") {
        c.next();
        value = { kind: t, slot: c.slot(false), offset: c.signedPtr() };
      } else value = { kind: "number", value: c.signedValue() };
      c.end();
      return { kind: "write", slot, offset, width, value, args };
    }
    case "fake": {
      const args = c.rest();
      const slot = c.slot(false), size = c.size();
      c.end();
      if (size === 0) return c.fail("bad size");
      return { kind: "fake", slot, size, args };
    }
    case "trim": {
      const args = c.rest();
      const pad = c.size();
      c.end();
      return { kind: "trim", pad, args };
    }
    case "mallopt": {
      const args = c.rest();
      const name = c.next() ?? "";
      const param = TRACE_MALLOPT_NAMES.has(name) ? MALLOPT_PARAMS[name] : undefined;
      if (param === undefined) return c.fail("unknown mallopt name");
      const t = c.next();
      const neg = t !== undefined && t.startsWith("-");
      const u = parseNum(neg ? t!.slice(1) : t);
      if (u === undefined) return c.fail("bad number");
      c.end();
      // The driver passes the value to mallopt as an int.
      const value = Number(BigInt.asIntN(32, BigInt(neg ? -u : u)));
      return { kind: "mallopt", name, param, value, args };
    }
    case "thread": {
      const args = c.rest();
      const tid = c.unsigned();
      c.end();
      if (typeof tid !== "number" || tid >= MAX_TID) return c.fail("thread id too large");
      return { kind: "thread", tid, args };
    }
    case "join": {
      const args = c.rest();
      const tid = c.unsigned();
      c.end();
      return { kind: "join", tid: typeof tid !== "number" || tid >= MAX_TID ? MAX_TID : tid, args };
    }
    case "sbrk": {
      const args = c.rest();
      const slot = c.slot(false), delta = c.signedPtr();
      c.end();
      return { kind: "sbrk", slot, delta, args };
    }
    case "mmap": {
      const args = c.rest();
      const slot = c.slot(false), length = c.size(), prot = c.prot();
      c.end();
      return { kind: "mmap", slot, length, prot, args };
    }
    case "munmap": {
      const args = c.rest();
      const slot = c.slot(false), offset = c.signedPtr(), length = c.size();
      c.end();
      return { kind: "munmap", slot, offset, length, args };
    }
    case "mprotect": {
      const args = c.rest();
      const slot = c.slot(false), offset = c.signedPtr(), length = c.size(), prot = c.prot();
      c.end();
      return { kind: "mprotect", slot, offset, length, prot, args };
    }
    case "brk":
    case "maps":
    case "rawmaps":
      c.end();
      return { kind: word };
    default:
      return c.fail("unknown operation");
  }
}

/** True for a line that holds no operation: blank or only a comment. */
export function isBlankLine(raw: string): boolean {
  return lineFields(raw).length === 0;
}

/** True when the first operation line of a trace is `rawmaps` (a kernel trace). */
export function isKernelTrace(text: string): boolean {
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const fields = lineFields(text.slice(start, end));
    if (fields.length > 0) return fields.length === 1 && fields[0] === "rawmaps";
    start = end + 1;
  }
  return false;
}

/**
 * The value of the decimal digits `text[from, to)`, or -1 when that is empty, longer than 15
 * digits (so the value is below 2^53) or holds anything but digits.
 */
function decimalAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * The lines that make up nearly every trace — `malloc SLOT SIZE` and `free SLOT`, decimal, one
 * space apart, no comment, a size that fits every size_t — parsed without splitting the line.
 * Undefined for any other line, which then goes the general way (and gets its error there).
 */
function parseCommonLine(raw: string): TraceOp | undefined {
  if (raw.startsWith("malloc ")) {
    const space = raw.indexOf(" ", 7);
    if (space < 0) return undefined;
    const slot = decimalAt(raw, 7, space), size = decimalAt(raw, space + 1, raw.length);
    if (slot < 0 || slot >= MAX_SLOTS || size < 0 || size > 0xffff_ffff) return undefined;
    return { kind: "malloc", slot, size };
  }
  if (raw.startsWith("free ")) {
    const slot = decimalAt(raw, 5, raw.length);
    if (slot < 0 || slot >= MAX_SLOTS) return undefined;
    return { kind: "free", slot, args: raw.slice(5) };
  }
  return undefined;
}
