/**
 * glibc's `__assert_fail`: what a failed `assert()` asks of malloc before it prints its message
 * and aborts. The format goes through dcgettext (`gettext.ts`), and up to 2.42 the message is
 * built by asprintf into heap buffers that are grown, trimmed and freed (the profile's
 * `assertMessage`, read from each release's sources and seen under gdb on real 2.31, 2.36,
 * 2.41, 2.43 and 2.44: `tests/fixtures/c/libc_calls/`). These are real calls: a corrupted heap
 * can make one of them end in malloc's own abort instead of the assertion's message, and up to
 * 2.33 they go through the malloc hooks.
 *
 * Invariant: the calls are made in glibc's order with glibc's sizes, every buffer holds the
 * bytes glibc wrote into it when it is grown, copied or freed, and a string asprintf could not
 * build is reported as glibc reports it ("Unexpected error.").
 *
 * Not modelled: the page glibc maps to keep the message for a core dump (`__abort_msg`), as
 * for malloc's own aborts.
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import { type GettextLibc, translateMessage } from "./gettext.ts";
import { textBytes } from "./stdio.ts";

/** What `__assert_fail` works with: dcgettext's, realloc and stderr. */
export interface AssertFailLibc extends GettextLibc {
  readonly profile: Pick<GlibcProfile, "gettextCalls" | "assertMessage">;
  realloc(pointer: number, size: number): number;
  /** Writes text to stderr. */
  print(text: string): void;
  /**
   * Called as asprintf starts: throws when the build faults there on the caller's stack
   * (`misaligned_stack.ts`).
   */
  checkStack?(): void;
}

/** What glibc prints when asprintf could not build the message. */
export const UNEXPECTED_ERROR = "Unexpected error.\n";

const NUL = new Uint8Array(1);

/** asprintf's first buffer up to 2.36 (a malloc), and from 2.37 (on the stack). */
const ASPRINTF_100 = 100;
const ASPRINTF_200 = 200;

/**
 * Runs `__assert_fail` up to its abort: the message `message` (latin1, `prog: file:line: func:
 * Assertion ... failed.\n`) is printed unless asprintf fails; the caller then aborts.
 */
export function assertFail(libc: AssertFailLibc, message: string): void {
  translateMessage(libc);
  const text = textBytes(message);
  switch (libc.profile.assertMessage) {
    case "direct":
      libc.print(message);
      return;
    case "asprintf-100":
      libc.checkStack?.();
      return printAndFree(libc, message, asprintfFrom100(libc, text));
    case "asprintf-200":
      libc.checkStack?.();
      return printAndFree(libc, message, asprintfFrom200(libc, text));
  }
}

// The string asprintf built (0: it failed) printed, then freed.
function printAndFree(libc: AssertFailLibc, message: string, str: number): void {
  if (str === 0) {
    libc.print(UNEXPECTED_ERROR);
    return;
  }
  libc.print(message);
  libc.free(str);
}

/**
 * asprintf up to 2.36 (a string stream): a 100-byte buffer; when it is full and more is to be
 * written, a malloc of twice its size plus 100, the bytes copied, the rest zeroed, the old one
 * freed. Then the string: the buffer trimmed by realloc when it is at most twice the length,
 * else copied into an exact malloc (realloc again if that fails). 0 when it fails.
 */
function asprintfFrom100(libc: AssertFailLibc, text: Uint8Array): number {
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
function asprintfFrom200(libc: AssertFailLibc, text: Uint8Array): number {
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
function storeString(libc: AssertFailLibc, at: number, text: Uint8Array): void {
  libc.store(at, text);
  libc.store(at + text.length, NUL);
}
