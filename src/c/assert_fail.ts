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
import { asprintf, type AsprintfLibc } from "./asprintf.ts";
import { type GettextLibc, translateMessage } from "./gettext.ts";
import { textBytes } from "./stdio.ts";

/** What `__assert_fail` works with: dcgettext's, realloc and stderr. */
export interface AssertFailLibc extends GettextLibc, AsprintfLibc {
  readonly profile: Pick<GlibcProfile, "gettextCalls" | "assertMessage">;
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
      return printAndFree(libc, message, asprintf(libc, text, "heap-100"));
    case "asprintf-200":
      libc.checkStack?.();
      return printAndFree(libc, message, asprintf(libc, text, "stack-200"));
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
