/**
 * The rest of <string.h> and <strings.h> a C program of the heap's kind calls — spans and
 * tokens (strcspn, strspn, strpbrk, strtok, strtok_r, strsep), bounded and case-blind
 * comparisons (strnlen, strcasecmp, strncasecmp), searches (memmem, memrchr, strchrnul),
 * copies (stpcpy) and zeroing (bzero, explicit_bzero) — as glibc defines them, in the C
 * locale. Their counts are unsigned `size_t`s (`byte_counts.ts`). None of them allocates; each reads and writes the program's memory byte for byte, so
 * a string that runs off its buffer reads on as the real one would (and faults where it would).
 * strtok's saved position is the process's, as glibc keeps it in libc's data.
 * Checked against real runs: tests/fixtures/c/string_functions/.
 *
 * @module
 */

import type { Int } from "./integer.ts";
import type { BuiltinCall, Machine } from "./interpreter.ts";
import { numberOf as n, type Value } from "./values.ts";
import { byteCount, endWraps, sizeMaxRefusal } from "./byte_counts.ts";
import { CUnsupportedError } from "./errors.ts";

type StringFunction = (m: Machine, c: BuiltinCall) => Value;

/** strtok's position between calls, per program (glibc's static `olds`). */
const strtokSaved = new WeakMap<Machine, number>();

/** The byte `c` as C's tolower makes it in the C locale. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** The length of the longest prefix of the string at `s` whose bytes are (not) in `set`. */
function span(m: Machine, s: number, set: string, inSet: boolean): number {
  let i = 0;
  for (;; i++) {
    const b = m.mem.read8(s + i);
    if (b === 0 || set.includes(String.fromCharCode(b)) !== inSet) return i;
  }
}

/** The first byte of the string at `s` that is in `set` (0: none). */
function breakAt(m: Machine, s: number, set: string): number {
  const end = span(m, s, set, false);
  return m.mem.read8(s + end) === 0 ? 0 : s + end;
}

/** strtok_r's work: the next token from `s` (0: go on from `saved`), and where to go on. */
function token(m: Machine, s: number, delim: string, saved: number): [number, number] {
  if (s === 0) s = saved;
  s += span(m, s, delim, true);
  if (m.mem.read8(s) === 0) return [0, s];
  const end = breakAt(m, s, delim);
  if (end === 0) return [s, s + span(m, s, "", false)];
  m.mem.write8(end, 0);
  return [s, end + 1];
}

/** bzero's refusal of exactly `(size_t) -1` on x86_64, as memset's (`byte_counts.ts`). */
function refuseSizeMax(m: Machine, c: BuiltinCall, call: string): void {
  const refusal = sizeMaxRefusal(call, c.args[1], m.abi.ptrSize === 8 ? 64 : 32);
  if (refusal) throw new CUnsupportedError(refusal, m.file, c.line);
}

function compareBlind(m: Machine, a: number, b: number, limit: number): number {
  for (let i = 0; i < limit; i++) {
    const x = lower(m.mem.read8(a + i)), y = lower(m.mem.read8(b + i));
    if (x !== y || x === 0) return x - y;
  }
  return 0;
}

/** The functions, by name. */
export const STRING_FUNCTIONS: Record<string, StringFunction> = {
  strcspn: (m, c) => span(m, n(c.args[0]), m.cString(c.args[1] as Int), false),
  strspn: (m, c) => span(m, n(c.args[0]), m.cString(c.args[1] as Int), true),
  strpbrk: (m, c) => breakAt(m, n(c.args[0]), m.cString(c.args[1] as Int)),
  strtok: (m, c) => {
    const [found, next] = token(
      m,
      n(c.args[0]),
      m.cString(c.args[1] as Int),
      strtokSaved.get(m) ?? 0,
    );
    strtokSaved.set(m, next);
    return found;
  },
  strtok_r: (m, c) => {
    const save = n(c.args[2]);
    const s = n(c.args[0]);
    const [found, next] = token(
      m,
      s,
      m.cString(c.args[1] as Int),
      s === 0 ? m.readPointer(save) : 0,
    );
    m.writePointer(save, next);
    return found;
  },
  strsep: (m, c) => {
    const at = n(c.args[0]), begin = m.readPointer(at);
    if (begin === 0) return 0;
    const end = breakAt(m, begin, m.cString(c.args[1] as Int));
    if (end !== 0) m.mem.write8(end, 0);
    m.writePointer(at, end === 0 ? 0 : end + 1);
    return begin;
  },
  strnlen: (m, c) => m.cString(c.args[0] as Int, byteCount(c.args[1])).length,
  strcasecmp: (m, c) => compareBlind(m, n(c.args[0]), n(c.args[1]), Infinity),
  strncasecmp: (m, c) => compareBlind(m, n(c.args[0]), n(c.args[1]), byteCount(c.args[2])),
  memmem: (m, c) => {
    const haystack = n(c.args[0]), length = byteCount(c.args[1]);
    const needleLength = byteCount(c.args[3]);
    if (needleLength === 0) return haystack;
    if (needleLength > length) return 0;
    // a haystack whose end passes the top of the address space: glibc's end pointer wraps below
    // it, and nothing is found (real 2.31–2.44, both ABIs: tests/fixtures/c/size_max/)
    if (endWraps(haystack, c.args[1], m.abi.ptrSize === 8 ? 64 : 32)) return 0;
    const needle = m.mem.readBytes(n(c.args[2]), needleLength);
    // (the haystack read as the search goes: a length past the memory faults where it ends)
    outer: for (let i = 0; i + needleLength <= length; i++) {
      for (let k = 0; k < needleLength; k++) {
        if (m.mem.read8(haystack + i + k) !== needle[k]) continue outer;
      }
      return haystack + i;
    }
    return 0;
  },
  memrchr: (m, c) => {
    const s = n(c.args[0]), byte = n(c.args[1]) & 0xff;
    for (let i = byteCount(c.args[2]) - 1; i >= 0; i--) {
      if (m.mem.read8(s + i) === byte) return s + i;
    }
    return 0;
  },
  strchrnul: (m, c) => {
    const s = n(c.args[0]), byte = n(c.args[1]) & 0xff;
    for (let i = 0;; i++) {
      const b = m.mem.read8(s + i);
      if (b === byte || b === 0) return s + i;
    }
  },
  stpcpy: (m, c) => {
    const d = n(c.args[0]), s = m.cString(c.args[1] as Int);
    m.writeText(d, s + "\0");
    return d + s.length;
  },
  bzero: (m, c) => {
    refuseSizeMax(m, c, "bzero");
    m.mem.fill(n(c.args[0]), byteCount(c.args[1]), 0);
    return 0;
  },
  explicit_bzero: (m, c) => {
    refuseSizeMax(m, c, "explicit_bzero");
    m.mem.fill(n(c.args[0]), byteCount(c.args[1]), 0);
    return 0;
  },
};
