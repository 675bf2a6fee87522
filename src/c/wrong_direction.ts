/**
 * stdio's calls on a FILE opened the other way, as glibc answers them.
 *
 * - A write to a FILE that only reads (fopen's "r"): fputs and fwrite orient it to bytes and go
 *   through `_IO_sputn` (its `__xsputn`), whose put area has no room, to `_IO_OVERFLOW`;
 *   fputc and putc through `__overflow`, which orients it; fprintf's vfprintf orients it and its
 *   ARGCHECK finds `_IO_NO_WRITES`. `_IO_new_file_overflow` (and ARGCHECK) set the error
 *   indicator and errno EBADF: fputc, fputs and fprintf return EOF (-1), fwrite 0; nothing is
 *   written. An empty fputs writes nothing and succeeds; a wide-oriented FILE (`_mode` > 0)
 *   fails its orientation check first, with neither. A put area with room (forged pointers) is
 *   refused by name.
 * - A read of a FILE that only writes is glibc's ordinary read (`read_file.ts`, `stdin.ts`) on
 *   the FILE's fields (stdout's and stderr's in libc's memory): `_IO_switch_to_get_mode` first
 *   writes what the put area holds, then the underflow fails on `_IO_NO_READS`.
 *
 * Checked against real runs: tests/fixtures/c/stdio_errors/ (wrong_direction.c, five builds).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import { ERR_SEEN, type FileLayout } from "./file_layout.ts";
import type { ReadingFile } from "./read_file.ts";

/** How a write call puts its text: `put` (fputs, fwrite), `putc` (one byte), or printf's pieces. */
export type PutHow = "put" | "putc" | number[];

/** What a failed write works with. */
export interface WrongWriteHost {
  readonly layout: FileLayout;
  /** Sets `errno`. */
  setErrno(errno: number): void;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * A write of `length` bytes, as `how` puts them, to FILE `r` that may not write
 * (`_IO_NO_WRITES`): whether glibc reports it written (only an empty fputs: true).
 */
export function writeToReader(
  h: WrongWriteHost,
  r: ReadingFile,
  how: PutHow,
  length: number,
): boolean {
  const F = h.layout, f = r.fields;
  if ((f.word(F.mode) | 0) > 0 && how !== "putc") return false; // _IO_fwide (fp, -1) != -1
  r.orient();
  if (how === "put" && length === 0) return true; // _IO_sputn of nothing: 0 written of 0
  if (!Array.isArray(how) && f.pointer(F.writePtr) < f.pointer(F.writeEnd)) {
    h.refuse("a write into the put area of a FILE flagged _IO_NO_WRITES");
  }
  if (how === "put") r.checkVtable("__xsputn");
  if (!Array.isArray(how)) r.checkVtable("__overflow");
  r.flags |= ERR_SEEN;
  h.setErrno(Errno.EBADF);
  return false;
}
