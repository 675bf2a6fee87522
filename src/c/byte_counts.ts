/**
 * The `size_t` arguments of the memory and string functions (memset, memcpy, memmove, memcmp,
 * memchr, strncpy, strncat, strncmp, strndup, snprintf) as glibc reads them: unsigned, so that
 * `(size_t) -1` is the largest count, not -1. A count longer than the memory it names makes the
 * call run until it stops on its own (a NUL, a match, a difference) or faults at the end of the
 * mapping — a SIGSEGV, as on the real build — never a JavaScript error about a negative or
 * enormous length. snprintf's count is where glibc 2.37's `__printf_buffer` differs: a buffer end
 * (`s + n`) past the top of the address space wraps below `s`, and glibc writes the whole text
 * and then its NUL over the last character (2.31 and 2.36 write it all and the NUL after it).
 *
 * One count is not modelled: exactly `(size_t) -1` to x86_64's memset, bzero, explicit_bzero,
 * memcpy, memmove, and a memcmp that finds no difference before the end of the memory. glibc's
 * vector versions of them treat it apart, differently by release — on the machine of the real
 * runs 2.36 and 2.41 return at once from memcpy, memmove and memcmp (2.41 from memset and bzero
 * too) where the others fault — so
 * heaplab refuses it by name ({@link sizeMaxRefusal}); every other count past the memory faults
 * on every release, as here. Checked against real runs: tests/fixtures/c/size_max/.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";
import type { Value } from "./values.ts";

/**
 * The most bytes a count stands for here: 2^52, past the top of any address space, so an
 * access that long always reaches unmapped memory and faults there.
 */
export const BYTE_COUNT_CAP = 2 ** 52;

/**
 * A `size_t` argument as a byte count: unsigned at the word's width (`(size_t) -1`, which the
 * interpreter passes as a 64-bit bigint or as -1, is the largest), at most {@link BYTE_COUNT_CAP}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BYTE_COUNT_CAP, byteCount } from "./byte_counts.ts";
 * assert.equal(byteCount(16), 16);
 * assert.equal(byteCount(-1), BYTE_COUNT_CAP);
 * assert.equal(byteCount(0xffff_ffff_ffff_fff0n), BYTE_COUNT_CAP);
 * ```
 */
export function byteCount(v: Value): number {
  if (typeof v === "number") return v < 0 ? BYTE_COUNT_CAP : Math.min(v, BYTE_COUNT_CAP);
  return Math.min(Number(BigInt.asUintN(64, v as bigint)), BYTE_COUNT_CAP);
}

/**
 * The refusal of `call` given exactly `(size_t) -1` on x86_64 (`bits` 64), where glibc's
 * releases end differently (see the module doc); undefined for any other count or on i386, whose
 * runs all fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeMaxRefusal } from "./byte_counts.ts";
 * assert.match(sizeMaxRefusal("memcpy", -1n, 64)!, /^memcpy of \(size_t\) -1 bytes/);
 * assert.equal(sizeMaxRefusal("memcpy", 1n << 63n, 64), undefined);
 * assert.equal(sizeMaxRefusal("memcpy", 0xffffffff, 32), undefined);
 * ```
 */
export function sizeMaxRefusal(call: string, count: Value, bits: 32 | 64): string | undefined {
  if (bits !== 64 || (typeof count !== "number" && typeof count !== "bigint")) return undefined;
  if (BigInt.asUintN(64, BigInt(count)) !== (1n << 64n) - 1n) return undefined;
  return `${call} of (size_t) -1 bytes (glibc's vector versions end it differently by release)`;
}

/**
 * Whether `start + count` (`count` unsigned, the word `bits` wide) passes the top of the address
 * space, where glibc's end pointer wraps below `start`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endWraps } from "./byte_counts.ts";
 * assert.equal(endWraps(0x7fffffffe000, -1n, 64), true);
 * assert.equal(endWraps(0x7fffffffe000, 1n << 63n, 64), false);
 * assert.equal(endWraps(0xffffd000, 0xfffff000, 32), true);
 * ```
 */
export function endWraps(start: number, count: Value, bits: 32 | 64): boolean {
  const n = BigInt.asUintN(bits, BigInt(count as number | bigint));
  return BigInt(start) + n >= 1n << BigInt(bits);
}

/**
 * memcmp: the difference of the first bytes that differ in the `length` bytes at `a` and `b`
 * (0 if none), read a page's worth at a time, so that a count past the end of the memory faults
 * only when every byte up to there is equal.
 */
export function compareBytes(mem: Memory, a: number, b: number, length: number): number {
  for (let done = 0; done < length;) {
    const step = Math.min(length - done, 4096 - ((a + done) % 4096), 4096 - ((b + done) % 4096));
    const x = mem.readBytes(a + done, step), y = mem.readBytes(b + done, step);
    for (let i = 0; i < step; i++) if (x[i] !== y[i]) return x[i] - y[i];
    done += step;
  }
  return 0;
}

/**
 * strncpy: `text` (the source up to its NUL, at most `length` bytes) written at `dst`, then NULs
 * up to `length` bytes in all, written as memset writes them (faulting at the end of the memory).
 */
export function copyPadded(mem: Memory, dst: number, text: Uint8Array, length: number): void {
  mem.writeBytes(dst, text);
  if (length > text.length) mem.fill(dst + text.length, length - text.length, 0);
}

/**
 * What snprintf writes for `text` into `size` bytes at `s` (`size` unsigned, the word `bits`
 * wide): nothing for 0; else the text cut to `size - 1` bytes and a NUL — but from 2.37
 * (`wrapDropsLast`), when `s + size` passes the top of the address space, glibc's buffer end
 * wraps below `s`: the whole text is written and the NUL goes over its last byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snprintfBytes } from "./byte_counts.ts";
 * assert.equal(snprintfBytes("hi-42", 0x7fffffffe000, -1n, 64, true), "hi-4\0");
 * assert.equal(snprintfBytes("hi-42", 0x7fffffffe000, -1n, 64, false), "hi-42\0");
 * assert.equal(snprintfBytes("hi-42", 0x7fffffffe000, 3, 64, true), "hi\0");
 * assert.equal(snprintfBytes("hi-42", 0x7fffffffe000, 0, 64, true), "");
 * ```
 */
export function snprintfBytes(
  text: string,
  s: number,
  size: Value,
  bits: 32 | 64,
  wrapDropsLast: boolean,
): string {
  const n = BigInt.asUintN(bits, BigInt(size as number | bigint));
  if (n === 0n) return "";
  if (wrapDropsLast && endWraps(s, size, bits)) return text.slice(0, -1) + "\0";
  return (n - 1n < BigInt(text.length) ? text.slice(0, Number(n - 1n)) : text) + "\0";
}
