/**
 * glibc's dcgettext as a C program meets it: libc passes its own messages through it (strerror's
 * and perror's, a failed assert's format), and in the C locale — that of every program that
 * never calls `setlocale` — it looks up no catalog and returns the message untranslated, after
 * the malloc calls of the version (the profile's `gettextCalls`, from each release's
 * `intl/dcigettext.c`, seen under gdb on real 2.31, 2.36, 2.41, 2.43 and 2.44:
 * `tests/fixtures/c/libc_calls/`). From 2.41 they are two mallocs and their frees, which take
 * chunks from the tcache and can meet a corrupted one.
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import { textBytes } from "./stdio.ts";

/** What dcgettext works with: the malloc family and the process's memory. */
export interface GettextLibc {
  readonly profile: Pick<GlibcProfile, "gettextCalls">;
  malloc(size: number): number;
  free(pointer: number): void;
  /** Writes bytes into the process's memory. */
  store(address: number, bytes: Uint8Array): void;
}

/** The catalog dcgettext would look for (`LC_MESSAGES/libc.mo`) and the locale's name. */
const CATALOG_NAME = textBytes("LC_MESSAGES/libc.mo\0");
const LOCALE_NAME = textBytes("C\0");

/** Makes dcgettext's malloc calls for one of libc's messages (which it leaves as it is). */
export function translateMessage(libc: GettextLibc): void {
  switch (libc.profile.gettextCalls) {
    case "none":
      return;
    case "free-dirname":
      libc.free(0);
      return;
    case "work-strings": {
      // A failed malloc goes straight to the frees, the strings not made stay NULL.
      const domain = libc.malloc(CATALOG_NAME.length);
      let locale = 0;
      if (domain !== 0) {
        libc.store(domain, CATALOG_NAME);
        locale = libc.malloc(LOCALE_NAME.length);
        if (locale !== 0) libc.store(locale, LOCALE_NAME);
      }
      libc.free(0);
      libc.free(domain);
      libc.free(locale);
    }
  }
}
