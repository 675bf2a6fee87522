/**
 * Bytes as one-char-per-byte (latin1) text and back, and such text read from and written to the
 * simulated process's memory — the way the C library's calls carry the bytes they print, put
 * in a FILE's buffer or take from stdin.
 *
 * These run on every `puts`, every byte put in a buffer and every write(2) of a C program, so
 * they make no typed array of their own for a short text: in Deno a `new Uint8Array(n)` costs
 * some 300 ns (a host buffer each) and its garbage more, while the bytes of a call fit in one
 * reused buffer ({@link CHUNK} bytes). Longer texts go in slices of that size, as
 * `String.fromCharCode` takes at most so many arguments safely (it overflows the call stack near
 * 100,000). Nothing here keeps a reference to the reused buffer past a call.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";

/** The reused buffer's size: the longest text converted without a buffer of its own. */
const CHUNK = 8192;
const scratch = new Uint8Array(CHUNK);

/** A one-char-per-byte (latin1) string as bytes: the inverse of {@link byteText}. */
export function textBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Bytes as a one-char-per-byte string (one char per element, whatever its value). */
export function byteText(bytes: ArrayLike<number>): string {
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes as number[]);
  let s = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const part = ArrayBuffer.isView(bytes)
      ? (bytes as Uint8Array).subarray(i, i + CHUNK)
      : Array.prototype.slice.call(bytes, i, i + CHUNK);
    s += String.fromCharCode.apply(null, part as number[]);
  }
  return s;
}

/**
 * Writes text whose characters are bytes at `addr`, faulting as {@link Memory.writeBytes} does
 * (before writing anything).
 */
export function storeText(mem: Memory, addr: number, text: string): void {
  const n = text.length;
  if (n === 0) return;
  if (n > CHUNK) return mem.writeBytes(addr, textBytes(text));
  for (let i = 0; i < n; i++) scratch[i] = text.charCodeAt(i);
  mem.writeBytes(addr, scratch.subarray(0, n));
}

/**
 * The `length` bytes at `addr` as one-char-per-byte text, faulting as {@link Memory.readBytes}
 * does.
 */
export function loadText(mem: Memory, addr: number, length: number): string {
  if (length > CHUNK) return byteText(mem.readBytes(addr, length));
  mem.checkAccess(addr, length, "read");
  if (length === 0) return "";
  const view = scratch.subarray(0, length);
  mem.readInto(addr, view);
  return String.fromCharCode.apply(null, view as unknown as number[]);
}

/**
 * The NUL-terminated string at `addr` (at most `limit` bytes of it) as one-char-per-byte text:
 * a fault comes at the first byte before the NUL that may not be read, as a byte-by-byte read's
 * would ({@link Memory.findByte}).
 */
export function loadCString(mem: Memory, addr: number, limit = Infinity): string {
  if (!(limit > 0)) return "";
  const end = mem.findByte(addr, 0, limit);
  return loadText(mem, addr, end < 0 ? limit : end);
}
