/**
 * Words packed into bytes and read back, little-endian, as an exploit script does with a
 * program's output and its payloads (pwntools' `u64`/`p64`, `u32`/`p32`): a leak read from
 * `stdoutBytes` or from a {@link ProgramTube}'s `recv…`, an address sent as the bytes a `read`
 * stores.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "../kernel/errors.ts";

/** The `size` bytes at `offset`, checked to be there. */
function wordAt(bytes: Uint8Array, offset: number, size: number): DataView {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentTypeError("bytes", bytes, "a Uint8Array");
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > bytes.length) {
    throw new ArgumentRangeError(
      "offset",
      offset,
      `an offset with ${size} bytes after it, 0 to ${bytes.length - size} ` +
        `(the bytes are ${bytes.length} long${bytes.length < size ? "; pad a short leak" : ""})`,
    );
  }
  return new DataView(bytes.buffer, bytes.byteOffset + offset, size);
}

/** `value` as an unsigned integer below 2^bits (a negative one taken modulo 2^bits, as C does). */
function unsigned(value: bigint | number, bits: 32 | 64): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new ArgumentRangeError("value", value, "an integer (a bigint beyond 2^53)");
  }
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw new ArgumentTypeError("value", value, "a bigint or a number");
  }
  const v = BigInt(value), limit = 1n << BigInt(bits);
  if (v < -(limit >> 1n) || v >= limit) {
    throw new ArgumentRangeError("value", value, `a ${bits}-bit integer`);
  }
  return BigInt.asUintN(bits, v);
}

/**
 * The 8-byte little-endian word at `offset` of `bytes` (pwntools' `u64`): a leaked pointer.
 *
 * @example A pointer leaked through stdout
 * ```ts
 * import assert from "node:assert/strict";
 * import { runC, u64 } from "../../mod.ts";
 * const r = runC(`#include <unistd.h>
 * int main(void) { static char *p = "x"; write(1, "leak:", 5); write(1, &p, 8); return 0; }`);
 * const pointer = u64(r.stdoutBytes, "leak:".length);
 * assert.equal(pointer >> 12n, 0x555555556n); // in the program's read-only data
 * ```
 *
 * @param bytes The bytes, e.g. a result's `stdoutBytes`.
 * @param offset Where the word starts (default 0).
 * @returns The word, unsigned.
 * @throws {ArgumentRangeError} Fewer than 8 bytes from `offset` on.
 */
export function u64(bytes: Uint8Array, offset = 0): bigint {
  return wordAt(bytes, offset, 8).getBigUint64(0, true);
}

/**
 * The 4-byte little-endian word at `offset` of `bytes` (pwntools' `u32`): an i386 pointer, an
 * int.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { u32 } from "../../mod.ts";
 * assert.equal(u32(new Uint8Array([0xff, 0x10, 0x0c, 0x08, 0x41]), 0), 0x080c10ff);
 * ```
 *
 * @param bytes The bytes.
 * @param offset Where the word starts (default 0).
 * @returns The word, unsigned.
 * @throws {ArgumentRangeError} Fewer than 4 bytes from `offset` on.
 */
export function u32(bytes: Uint8Array, offset = 0): number {
  return wordAt(bytes, offset, 4).getUint32(0, true);
}

/**
 * `value` as 8 little-endian bytes (pwntools' `p64`): an address to send as a payload. A
 * negative value is taken modulo 2^64 (`p64(-1)` is eight 0xff bytes).
 *
 * @example An address as a `read` would store it
 * ```ts
 * import assert from "node:assert/strict";
 * import { p64, u64 } from "../../mod.ts";
 * const bytes = p64(0x7ffff7dd1190n);
 * assert.deepEqual([...bytes], [0x90, 0x11, 0xdd, 0xf7, 0xff, 0x7f, 0, 0]);
 * assert.equal(u64(bytes), 0x7ffff7dd1190n);
 * ```
 *
 * @param value A bigint or a safe integer, from -2^63 to 2^64 - 1.
 * @returns 8 bytes.
 * @throws {ArgumentRangeError} The value does not fit 64 bits.
 */
export function p64(value: bigint | number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, unsigned(value, 64), true);
  return bytes;
}

/**
 * `value` as 4 little-endian bytes (pwntools' `p32`); a negative value is taken modulo 2^32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { p32 } from "../../mod.ts";
 * assert.deepEqual([...p32(0x0804a010)], [0x10, 0xa0, 0x04, 0x08]);
 * assert.deepEqual([...p32(-2)], [0xfe, 0xff, 0xff, 0xff]);
 * ```
 *
 * @param value A bigint or a safe integer, from -2^31 to 2^32 - 1.
 * @returns 4 bytes.
 * @throws {ArgumentRangeError} The value does not fit 32 bits.
 */
export function p32(value: bigint | number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, Number(unsigned(value, 32)), true);
  return bytes;
}
