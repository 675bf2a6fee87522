/**
 * perror as glibc writes it (stdio-common/perror.c, alike from 2.31 to 2.44): the standard says
 * it must not orient stderr, so when the FILE libc's `stderr` points to is not yet oriented,
 * glibc writes through a FILE of its own — `fdopen (dup (fileno (stderr)), "w+")` — and closes
 * it after; when any step fails it writes through stderr as it is (which orients it).
 *
 * - stderr oriented (`_mode` ≠ 0): through stderr; errno as it was.
 * - `__fileno` fails (no `_IO_IS_FILEBUF`, `_fileno` < 0: a closed stderr): errno EBADF.
 * - dup fails: EBADF (a descriptor not open), EMFILE (none free below RLIMIT_NOFILE).
 * - fdopen's `fcntl (F_GETFL)` finds the descriptor open for reading only or writing only, which
 *   "w+" may not use: errno EINVAL, before any malloc; the dup closed again. This is a pipe's or a
 *   file's stderr — a real run's, captured — so perror leaves errno EINVAL there.
 * - A descriptor open for reading and writing (a terminal's: a login's or script(1)'s) gets the
 *   FILE: malloc'ed as fopen's (`fopen_files.ts`), linked, its message's dcgettext calls made
 *   after it, vfprintf's text written through it — a buffer of the terminal's st_blksize
 *   (1 KiB), line buffered — and fclose: the buffer freed, then the FILE. errno as it was.
 *
 * Not modelled, refused by name: a FILE path on a descriptor of a regular file open for reading
 * and writing (a stderr pointed at fopen's "w+"), whose dup would share its offset. The dup is
 * not entered in the descriptor table: nothing else runs while perror holds it.
 * Checked against real runs with stderr a file and a terminal (script(1)):
 * tests/fixtures/c/stdio_errors/ (perror_heap.c: errno, stderr's `_mode` and the next malloc
 * after each perror, five builds).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import { IS_FILEBUF } from "./file_layout.ts";

/** How a descriptor is open: its access mode (O_ACCMODE), and whether it is a regular file. */
export interface DescriptorAccess {
  /** 0 reading, 1 writing, 2 both (3: neither). */
  readonly mode: number;
  readonly regularFile: boolean;
}

/** What perror works with. */
export interface PerrorHost {
  /** The `_flags`, `_mode` and `_fileno` of the FILE libc's `stderr` points to. */
  stderrFields(): { flags: number; mode: number; fileno: number };
  /** How descriptor `fd` is open; undefined when it is not. */
  access(fd: number): DescriptorAccess | undefined;
  /**
   * The descriptor dup would return: the lowest free one in the descriptor table (0-2 too, once
   * closed), or -EMFILE.
   */
  lowestFree(): number;
  setErrno(errno: number): void;
  /**
   * The message perror_internal prints, with vfprintf's pieces (where each `%s` ends), made by
   * `__strerror_r` (its dcgettext calls) when perror_internal runs.
   */
  message(): { text: string; pieces: number[] };
  /** `__fxprintf (stderr, …)`: the message through the FILE `stderr` points to. */
  writeStderr(text: string, pieces: number[]): void;
  /**
   * The FILE path: fdopen of descriptor `dup` (a dup of `fd`) for "w+", the message made after
   * fdopen's malloc and written through the FILE, then fclose. False when fdopen's malloc failed
   * (nothing else done).
   */
  writeThroughDup(
    fd: number,
    dup: number,
    message: () => { text: string; pieces: number[] },
  ): boolean;
  refuse(what: string): never;
}

/** perror: the message through stderr, or through a FILE of its own (see the module's notes). */
export function perror(h: PerrorHost): void {
  const stderr = h.stderrFields();
  const asIs = (errno?: number) => {
    if (errno !== undefined) h.setErrno(errno);
    const { text, pieces } = h.message();
    h.writeStderr(text, pieces);
  };
  if (stderr.mode !== 0) return asIs();
  const fd = stderr.fileno;
  if (!(stderr.flags & IS_FILEBUF) || fd < 0) return asIs(Errno.EBADF); // __fileno
  const access = h.access(fd);
  if (access === undefined) return asIs(Errno.EBADF); // dup
  const dup = h.lowestFree();
  if (dup < 0) return asIs(-dup);
  // fdopen's check of F_GETFL against "w+" (a mode of 3 passes it, as neither test matches)
  if (access.mode === 0 || access.mode === 1) return asIs(Errno.EINVAL);
  if (access.regularFile) {
    h.refuse("perror through a FILE fdopen'ed on a dup of a regular file's descriptor");
  }
  if (access.mode === 3) {
    h.refuse(`perror on descriptor ${fd}, open for neither reading nor writing`);
  }
  if (!h.writeThroughDup(fd, dup, h.message)) asIs(Errno.ENOMEM);
}
