/**
 * dup(2), dup2(2) and dup3(2) as a program calls them through glibc's wrappers (plain system
 * calls, alike from 2.31 to 2.44), with Linux's rules (fs/file.c): the new descriptor is on the
 * same open file description as the old one — a file's one offset, or one of the run's streams
 * (`open_files.ts` keeps the table). dup takes the lowest free descriptor (EMFILE with none
 * below RLIMIT_NOFILE); dup2 closes the new descriptor first when it is open, 0-2 included, and
 * returns it untouched when it is the old one; dup3 is dup2 that refuses flags other than
 * O_CLOEXEC, then equal descriptors, with EINVAL. A bad old descriptor, or a new one outside 0
 * to RLIMIT_NOFILE, is EBADF. fcntl's F_DUPFD and F_DUPFD_CLOEXEC are dup from its argument up:
 * EBADF for a bad descriptor first, then EINVAL for an argument outside 0 to RLIMIT_NOFILE;
 * fcntl's other commands are refused by name. heaplab keeps no close-on-exec flag: nothing it runs execs a
 * program that would inherit the descriptor (system and execve name the shell, and stop there).
 *
 * A dup of the descriptor of a FILE fopen returned shares the offset the FILE's reads move, a
 * buffer at a time. Not modelled, refused by name: dup2 onto a descriptor a FILE fopen returned
 * still uses (its fclose would close the file dup2 put there), and fclose of such a FILE that
 * holds bytes it read ahead while a dup shares its file (`libc.ts`: glibc 2.44 seeks the shared
 * offset back over them). Checked against real runs: tests/fixtures/c/dup/.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import { OPEN_FILES_LIMIT, type OpenFiles } from "./open_files.ts";

/** dup3's one flag. */
const O_CLOEXEC = 0o2000000;
/** fcntl's commands that duplicate a descriptor. */
const F_DUPFD = 0, F_DUPFD_CLOEXEC = 1030;

/** What dup, dup2 and dup3 work on. */
export interface DupHost {
  readonly openFiles: OpenFiles;
  /** Whether a FILE fopen returned uses descriptor `fd`. */
  fopenUses(fd: number): boolean;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** dup(fd): the new descriptor, or -errno. */
export function dup(h: DupHost, fd: number): number {
  return h.openFiles.dup(fd);
}

/** dup2(from, to): `to`, or -errno. */
export function dup2(h: DupHost, from: number, to: number): number {
  const fromOpen = h.openFiles.file(from) !== undefined || h.openFiles.standard(from);
  if (fromOpen && from !== to && h.fopenUses(to)) {
    h.refuse(`dup2(${from}, ${to}) onto the descriptor of a FILE fopen returned`);
  }
  return h.openFiles.dup2(from, to);
}

/** dup3(from, to, flags): `to`, or -errno (EINVAL first: flags, then equal descriptors). */
export function dup3(h: DupHost, from: number, to: number, flags: number): number {
  if ((flags & ~O_CLOEXEC) !== 0 || from === to) return -Errno.EINVAL;
  return dup2(h, from, to);
}

/** fcntl(fd, cmd, arg): F_DUPFD and F_DUPFD_CLOEXEC (see the module's notes); -errno. */
export function fcntl(h: DupHost, fd: number, cmd: number, arg: number): number {
  if (cmd !== F_DUPFD && cmd !== F_DUPFD_CLOEXEC) h.refuse(`fcntl command ${cmd} (only F_DUPFD)`);
  if (h.openFiles.file(fd) === undefined && !h.openFiles.standard(fd)) return -Errno.EBADF;
  // the argument is an unsigned long: a negative one is past any limit
  if (!(arg >= 0 && arg < OPEN_FILES_LIMIT)) return -Errno.EINVAL;
  return h.openFiles.dup(fd, arg);
}
