/**
 * fclose of stdin, stdout or stderr, as glibc's `_IO_new_fclose` does it to a FILE in libc's
 * data (`_IO_new_file_close_it`, from 2.42 `_IO_file_close_maybe_unlink`): a FILE that is
 * putting writes what its buffer holds; a reading one frees its backup area and, from 2.42,
 * seeks its descriptor back over what it read ahead (stdin is a pipe or a terminal here: the
 * seek fails, leaving ESPIPE in errno); the descriptor is closed; a buffer stdio allocated is
 * freed (`_IO_setb`: not the program's, not the FILE's own byte); then the get, put and buffer
 * pointers are cleared, the FILE un-linked from `_IO_list_all`, its flags those of a closed FILE,
 * its `_fileno` -1 — and the FILE itself is not freed (`_IO_deallocate_file` keeps libc's three).
 * A FILE already closed (`_fileno` -1) is left as it is: EOF.
 *
 * After it, an output call on the FILE fails as `_IO_NO_WRITES` makes it (EBADF, the error
 * indicator), a read as `_IO_NO_READS` does, read(2) and write(2) of the descriptor fail with
 * EBADF, and exit's flush no longer reaches the FILE. Checked against real runs:
 * tests/fixtures/c/descriptors/ (std_fclose.c, stderr_fclose.c: each FILE's words after, the
 * freed buffer given back by malloc, the calls after; five builds) and, for i386 (std_fclose.c
 * only), tests/fixtures/c/descriptors_i386/ (real i386 glibc under qemu-i386).
 *
 * Refused by name: a standard FILE whose `_fileno` the program changed (glibc would close that
 * descriptor), one whose descriptor the program closed with close(2) (glibc's close fails, or
 * closes the file an open gave that descriptor), one without `_IO_IS_FILEBUF`, and glibc before
 * 2.24 (its buffers are mmap'ed).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import {
  CLOSED_FILEBUF,
  CURRENTLY_PUTTING,
  type FileLayout,
  IN_BACKUP,
  IS_FILEBUF,
  MAGIC,
  NO_WRITES,
  USER_BUF,
} from "./file_layout.ts";
import { doFlush, type OutputHost } from "./output_file.ts";
import type { ReadingFile } from "./read_file.ts";

/** What fclose of a standard FILE works with. */
export interface StdFcloseHost {
  readonly profile: GlibcProfile;
  /** Where a FILE's fields lie. */
  readonly layout: FileLayout;
  /** The FILE's `_flags` and `_fileno`, as libc's memory holds them. */
  flags(fd: number): number;
  fileno(fd: number): number;
  /** stdout's or stderr's fields, loaded from memory, and their fileops. */
  output(fd: 1 | 2): OutputHost;
  /** stdin's FILE, read on its fields in memory. */
  readonly stdin: ReadingFile;
  /** glibc's free() of a stdio buffer. */
  free(pointer: number): void;
  setErrno(errno: number): void;
  /**
   * Whether standard descriptor `fd` is still on what the run gave it (not closed, reused, nor
   * made another's by dup2).
   */
  descriptorOpen(fd: number): boolean;
  /** close(2) of a standard descriptor. */
  closeDescriptor(fd: number): void;
  /**
   * The rest, after the fields stdio keeps are written back: the pointers cleared, the FILE
   * un-linked, its flags, `_fileno` and `_offset` a closed FILE's (`FopenFiles.closedStandard`).
   */
  finish(fd: number): void;
  refuse(what: string): never;
}

const EOF = -1;
const NAMES = ["stdin", "stdout", "stderr"];

/** fclose of the standard FILE on descriptor `fd` (0, 1 or 2): 0, or EOF. */
export function closeStandardFile(h: StdFcloseHost, fd: number): number {
  const name = NAMES[fd];
  if (h.profile.stdioBuffers !== "malloc") {
    h.refuse(`fclose of ${name} on glibc ${h.profile.version} (its buffer is mmap'ed)`);
  }
  if (!(h.flags(fd) & IS_FILEBUF)) h.refuse(`fclose of ${name} without _IO_IS_FILEBUF`);
  const fileno = h.fileno(fd);
  if (fileno === -1) {
    // _IO_file_close_it: not open; _IO_FINISH finds nothing to do
    (fd === 0 ? h.stdin : h.output(fd as 1 | 2)).checkVtable("__finish");
    return EOF;
  }
  if (fileno !== fd) h.refuse(`fclose of ${name} whose _fileno the program set to ${fileno}`);
  if (!h.descriptorOpen(fd)) {
    h.refuse(
      `fclose of ${name} after close(${fd}) or a dup2 onto it ` +
        `(its close fails, or closes what is now on ${fd})`,
    );
  }
  const status = fd === 0 ? closeReader(h) : closeWriter(h, h.output(fd as 1 | 2));
  h.closeDescriptor(fd);
  h.finish(fd);
  return status;
}

/** stdout or stderr: its buffer written if it is putting, the descriptor's close, its buffer. */
function closeWriter(h: StdFcloseHost, out: OutputHost): number {
  const f = out.file;
  const written = !(f.flags & NO_WRITES) && (f.flags & CURRENTLY_PUTTING) ? doFlush(out) : 0;
  out.checkVtable("__close");
  if (f.bufBase !== 0 && !(f.flags & USER_BUF)) h.free(f.bufBase);
  f.readBase = f.readPtr = f.readEnd = 0;
  f.writeBase = f.writePtr = f.writeEnd = 0;
  f.bufBase = f.bufEnd = 0;
  f.flags = (MAGIC | CLOSED_FILEBUF) >>> 0;
  return written;
}

/** stdin: the seek over what it read ahead (2.42+), its backup area and buffer freed. */
function closeReader(h: StdFcloseHost): number {
  const r = h.stdin, f = r.fields, F = h.layout;
  if (h.profile.fcloseSeeksUnread && (r.readPtr < r.readEnd || (r.flags & IN_BACKUP))) {
    r.checkVtable("__seekoff");
    h.setErrno(Errno.ESPIPE); // lseek of a pipe or a terminal; fclose goes on
  }
  if (f.pointer(F.saveBase) !== 0) r.freeBackupArea();
  r.checkVtable("__close");
  const buffer = f.pointer(F.bufBase);
  if (buffer !== 0 && !(r.flags & USER_BUF)) h.free(buffer);
  return 0;
}
