/**
 * freopen(path, mode, stream) of stdin, stdout or stderr, as glibc's libio/freopen.c does it
 * (alike in its steps from 2.31 to 2.44): the FILE — in libc's data, at the address it had —
 * is closed as fclose closes it (`_IO_file_close_it`: what it buffers to write written, its
 * backup area and its buffer freed, its get, put and buffer pointers cleared, its flags a
 * closed FILE's, `_fileno` -1), except that its descriptor stays open (`_IO_FLAGS2_NOCLOSE`);
 * then `_IO_file_fopen` opens `path` on the same FILE (the lowest free descriptor, the flags a
 * fopen'ed FILE gets: stderr loses `_IO_UNBUFFERED`, stdout its line buffering, so a buffer is
 * malloc'ed at their first write, as stdin's is at its first read), `_mode` is 0, and the new
 * descriptor is dup3'ed onto the old one and closed: the FILE keeps its descriptor number.
 * Where the FILE is in `_IO_list_all` after: `_IO_file_close_it` un-links it and the open
 * links it back at the head, up to 2.43; from 2.44 (`_IO_file_close_maybe_unlink`) it stays
 * where it was. A path that does not open leaves the FILE closed, its old descriptor closed,
 * un-linked (from 2.44 by freopen's end, flagged `_IO_FLAGS2_NOCLOSE`), and NULL returned: a
 * read then fails (`_IO_NO_READS`), read(2) of the descriptor with EBADF.
 *
 * Checked against real runs: tests/fixtures/c/freopen/ (freopen_stdin.c: stdin onto a file
 * after a read, the reads, a second freopen, a missing file; freopen_stdout.c: stdout and
 * stderr onto files, "w" and "a", what the files hold; the heap offsets of the buffers and of
 * the mallocs after each step; five builds).
 *
 * Refused by name: a FILE fopen returned, freopen(NULL, …) (a mode change through
 * /proc/self/fd), device paths the run does not give (`/dev/null`: open refuses them, as for every
 * caller: open_files.ts), modes with "+",
 * "c", "e", "m" or ",ccs=", stdin for writing or stdout and stderr for reading, stdin holding
 * bytes it read ahead (glibc seeks its descriptor back over them), a standard descriptor a
 * fopen'ed FILE uses (the dup3 would take it from that FILE), and glibc before 2.24.
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import {
  type FileLayout,
  IN_BACKUP,
  IS_APPENDING,
  IS_FILEBUF,
  MAGIC,
  NO_READS,
  NO_WRITES,
  TIED_PUT_GET,
} from "./file_layout.ts";
import type { OpenFiles } from "./open_files.ts";
import type { ReadingFile } from "./read_file.ts";

/** What freopen of a standard FILE works with. */
export interface FreopenHost {
  readonly profile: GlibcProfile;
  readonly openFiles: OpenFiles;
  /** Where a FILE's fields lie. */
  readonly layout: FileLayout;
  /** stdin's FILE, read on its fields in memory. */
  readonly stdin: ReadingFile;
  /** Whether a FILE fopen returned uses descriptor `fd`. */
  fopenUses(fd: number): boolean;
  /** The standard FILE's `_fileno`. */
  fileno(fd: number): number;
  /**
   * `_IO_file_close_it` of the standard FILE on `fd` with its descriptor left open: fclose's
   * steps (`std_fclose.ts`) up to the un-linking, which {@link FreopenHost.reopened} and
   * {@link FreopenHost.failed} do.
   */
  closeIt(fd: number): void;
  /**
   * The FILE opened again: its fields a closed FILE's, un-linked unless `keepLinked`, then
   * `flags` (with `_IO_LINKED`), linked at the head if it is not in the list, `_fileno`, `_mode`
   * 0.
   */
  reopened(fd: number, flags: number, fileno: number, keepLinked: boolean): void;
  /** The open failed: the FILE left as fclose leaves it (`FopenFiles.closedStandard`). */
  failed(fd: number): void;
  setErrno(errno: number): void;
  refuse(what: string): never;
}

const NAMES = ["stdin", "stdout", "stderr"];
const O_WRONLY = 1, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000;

/**
 * freopen(path, mode, stream) of the standard FILE on descriptor `fd` (0, 1 or 2): true when it
 * opened (freopen returns the FILE), false with errno set (NULL). `path` is null for a NULL
 * pointer.
 */
export function reopenStandard(
  h: FreopenHost,
  fd: number,
  path: string | null,
  mode: string,
): boolean {
  const name = NAMES[fd],
    call = `freopen(${JSON.stringify(path)}, ${JSON.stringify(mode)}, ${name})`;
  if (h.profile.stdioBuffers !== "malloc") h.refuse(`${call} on glibc ${h.profile.version}`);
  if (path === null) h.refuse(`${call}: a mode change (glibc reopens /proc/self/fd/${fd})`);
  const letters = mode.slice(1, 7);
  if (/[+cem]/.test(letters) || mode.includes(",ccs=") || !"rwa".includes(mode[0] ?? "-")) {
    h.refuse(`${call}: only the modes "r", "w" and "a" (and "b", "x") are modelled`);
  }
  if ((fd === 0) !== (mode[0] === "r")) h.refuse(`${call}: ${name} the other way round`);
  if (h.fopenUses(fd)) h.refuse(`${call} while a FILE fopen returned uses descriptor ${fd}`);
  const before = h.fileno(fd);
  if (before !== -1 && before !== fd) h.refuse(`${call} of ${name} whose _fileno is ${before}`);
  if (fd === 0 && before !== -1) syncReader(h, call);
  h.closeIt(fd);
  // _IO_file_fopen on the same FILE: open(2) with fopen's flags and 0666
  const reading = mode[0] === "r";
  let oflags = reading ? 0 : O_WRONLY | O_CREAT | (mode[0] === "w" ? O_TRUNC : O_APPEND);
  if (letters.includes("x") && !reading) oflags |= O_EXCL;
  const opened = h.openFiles.open(path, oflags, 0o666);
  if (opened === "directory") h.refuse(`${call}: a directory`);
  if (typeof opened === "object") h.refuse(`${call} of ${opened.unmodelled}`);
  if (opened < 0) {
    if (before !== -1) h.openFiles.close(before);
    h.failed(fd);
    h.setErrno(-opened);
    return false;
  }
  const flags = MAGIC | IS_FILEBUF | TIED_PUT_GET |
    (reading ? NO_WRITES : NO_READS | (mode[0] === "a" ? IS_APPENDING : 0));
  // the new descriptor dup3'ed onto the old one and closed (none when the FILE was closed)
  let fileno = opened;
  if (before !== -1 && opened !== before) {
    h.openFiles.dup2(opened, before);
    h.openFiles.close(opened);
    fileno = before;
  }
  // (2.44 keeps it linked: the same rework that has fclose mark a FILE _IO_FLAGS2_NOCLOSE)
  h.reopened(fd, flags >>> 0, fileno, h.profile.fcloseMarksNoClose);
  return true;
}

/**
 * `_IO_SYNC` of stdin (`_IO_new_file_sync`): bytes it read ahead of a file are given back — its
 * descriptor's offset moved back over them, the get area ending where it is read up to. On the
 * run's stdin (a pipe or a terminal, where glibc's seek fails) and with pushed-back bytes, it is
 * refused.
 */
function syncReader(h: FreopenHost, call: string): void {
  const r = h.stdin, ahead = r.readEnd - r.readPtr;
  if (r.flags & IN_BACKUP) h.refuse(`${call} while stdin holds bytes ungetc pushed back`);
  if (ahead <= 0) return;
  if (h.openFiles.file(0) === undefined) {
    h.refuse(`${call} while stdin holds bytes it read ahead of the run's input`);
  }
  h.openFiles.seek(0, -ahead, 1);
  r.fields.setPointer(h.layout.readEnd, r.readPtr);
}
