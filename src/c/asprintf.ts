/**
 * glibc's asprintf as the heap sees it: the malloc, realloc and free calls it makes to build a
 * string, with the bytes it writes into each buffer — up to 2.36 in a string stream's heap
 * buffer of 100 bytes, from 2.37 in a printf buffer of 200 bytes on the stack (the profile's
 * `asprintfStart`). Seen under gdb on real 2.31, 2.36, 2.41, 2.43 and 2.44 for assert's message
 * and strerror's "Unknown error N" (`tests/fixtures/c/libc_calls/`).
 *
 * @module
 */

/** What asprintf works with: the program's malloc family and its memory. */
export interface AsprintfLibc {
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
  /** Writes bytes into the process's memory. */
  store(address: number, bytes: Uint8Array): void;
}

const NUL = new Uint8Array(1);

/** asprintf's first buffer up to 2.36 (a malloc), and from 2.37 (on the stack). */
const ASPRINTF_100 = 100;
const ASPRINTF_200 = 200;

/** The string `text` as asprintf builds it (`start`: which buffer it starts in); 0: it failed. */
export function asprintf(
  libc: AsprintfLibc,
  text: Uint8Array,
  start: "heap-100" | "stack-200",
): number {
  return start === "heap-100" ? asprintfFrom100(libc, text) : asprintfFrom200(libc, text);
}

/**
 * asprintf up to 2.36 (a string stream): a 100-byte buffer; when it is full and more is to be
 * written, a malloc of twice its size plus 100, the bytes copied, the rest zeroed, the old one
 * freed. Then the string: the buffer trimmed by realloc when it is at most twice the length,
 * else copied into an exact malloc (realloc again if that fails). 0 when it fails.
 */
function asprintfFrom100(libc: AsprintfLibc, text: Uint8Array): number {
  let buffer = libc.malloc(ASPRINTF_100), size = ASPRINTF_100;
  if (buffer === 0) return 0;
  while (text.length > size) {
    libc.store(buffer, text.subarray(0, size));
    const grown = 2 * size + 100;
    const next = libc.malloc(grown);
    if (next === 0) {
      libc.free(buffer);
      return 0;
    }
    const bytes = new Uint8Array(grown);
    bytes.set(text.subarray(0, size));
    libc.store(next, bytes);
    libc.free(buffer);
    buffer = next;
    size = grown;
  }
  libc.store(buffer, text);
  const needed = text.length + 1;
  let str: number;
  if (size >> 1 <= needed) str = libc.realloc(buffer, needed) || buffer;
  else {
    str = libc.malloc(needed);
    if (str !== 0) {
      libc.store(str, text);
      libc.free(buffer);
    } else str = libc.realloc(buffer, needed) || buffer;
  }
  libc.store(str + text.length, NUL);
  return str;
}

/**
 * asprintf from 2.37 (a printf buffer): 200 bytes on the stack, then an exact malloc. A longer
 * text fills them and goes on in a malloc of 312 bytes, grown by realloc by half (rounded up to
 * 8 more than a multiple of 16) whenever it is full, then trimmed by realloc. 0 when it fails.
 */
function asprintfFrom200(libc: AsprintfLibc, text: Uint8Array): number {
  if (text.length <= ASPRINTF_200) {
    const str = libc.malloc(text.length + 1);
    if (str !== 0) storeString(libc, str, text);
    return str;
  }
  let size = grownPrintfBuffer(ASPRINTF_200);
  let buffer = libc.malloc(size);
  if (buffer === 0) return 0;
  libc.store(buffer, text.subarray(0, ASPRINTF_200));
  while (text.length > size) {
    libc.store(buffer, text.subarray(0, size));
    size = grownPrintfBuffer(size);
    const next = libc.realloc(buffer, size);
    if (next === 0) {
      libc.free(buffer);
      return 0;
    }
    buffer = next;
  }
  libc.store(buffer, text);
  const str = libc.realloc(buffer, text.length + 1);
  if (str === 0) {
    libc.free(buffer);
    return 0;
  }
  storeString(libc, str, text);
  return str;
}

// glibc's printf buffer growth: half again, aligned up to 16, plus 8 (a chunk's size minus its
// header, so that the buffer fills its chunk).
function grownPrintfBuffer(size: number): number {
  return (Math.ceil((size + Math.floor(size / 2)) / 16) * 16) | 8;
}

// The finished string: the text and its NUL.
function storeString(libc: AsprintfLibc, at: number, text: Uint8Array): void {
  libc.store(at, text);
  libc.store(at + text.length, NUL);
}
