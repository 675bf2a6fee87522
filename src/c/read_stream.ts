/**
 * A FILE read through glibc's file operations (libio's fileops), stdin's or one fopen
 * returned: its buffering mode, its buffer (malloc'ed at the first read, `_IO_file_doallocate`,
 * unless unbuffered or given by setvbuf), the get area over the buffer — what the last refill
 * read and the part of it already handed out — the backup area ungetc fills, and the
 * end-of-file and error indicators. Where the bytes come from (stdin's sends, a file's
 * contents) and what reads them is `stdin.ts`; where a fopen'ed FILE's fields lie in memory is
 * `fopen_files.ts`; what glibc's FILE holds for this state, {@link readingFields}.
 *
 * @module
 */

import {
  EOF_SEEN,
  ERR_SEEN,
  type FileState,
  IOLBF,
  IONBF,
  LINE_BUF,
  UNBUFFERED,
  USER_BUF,
} from "./file_layout.ts";

/** The state of one FILE open for reading. */
export class ReadStream {
  /** The descriptor it reads: 0 for stdin. */
  readonly fd: number;
  /** Buffering mode (`IOFBF`, `IOLBF`, `IONBF`). */
  mode: number;
  /** The buffer exists (allocated at the first read, or given by setvbuf). */
  buffered = false;
  /** Where the buffer is (0: not yet, or the FILE's own byte) and its size (0: st_blksize). */
  buffer = 0;
  bufferSize = 0;
  /** Bytes the buffer holds: read from the descriptor, not yet handed out (a byte scanf pushed
   * back too). read(2) does not see them. */
  unread = "";
  /** The bytes of the current fill already handed out (glibc's read_base..read_ptr). */
  consumed = "";
  /**
   * glibc's backup area, where ungetc puts a byte that is not the one just read: its buffer
   * (malloc'ed, 128 bytes, doubled when full; 0: none), its size, whether reads come from it,
   * its unread bytes, and the room before them.
   */
  backupBuffer = 0;
  backupSize = 0;
  inBackup = false;
  backupInput = "";
  backupRoom = 0;
  /** setbuf/setvbuf chose its mode and buffer. */
  modeChosen = false;
  /** The end-of-file indicator (feof): a refill found nothing. */
  eof = false;
  /** The error indicator (ferror). */
  error = false;
  /** A read has oriented it to bytes (glibc's `_mode` -1, set by the first refill). */
  oriented = false;
  /**
   * The file offset the buffer's fill ends at, as glibc caches it in `_offset` (-1,
   * `_IO_pos_BAD`: not known — until a seek, and again after a read meets the end of file).
   */
  offset = -1;

  constructor(fd: number, mode: number) {
    this.fd = fd;
    this.mode = mode;
  }

  /** The unread bytes of the area stdio reads from now: the backup area's, else the buffer's. */
  get available(): string {
    return this.inBackup ? this.backupInput : this.unread;
  }

  /** Takes `count` bytes (at most what it holds) from the area stdio reads from now. */
  take(count: number): string {
    if (this.inBackup) {
      const taken = this.backupInput.slice(0, count);
      this.backupInput = this.backupInput.slice(taken.length);
      this.backupRoom += taken.length;
      return taken;
    }
    const taken = this.unread.slice(0, count);
    this.unread = this.unread.slice(taken.length);
    this.consumed += taken;
    return taken;
  }
}

/**
 * The fields glibc's FILE holds for a stream's state: `flags` (the FILE's own: magic, linked,
 * reading only, …) with the end-of-file and error indicators, unbuffered (the FILE's own byte at
 * `shortbuf`) or the program's buffer from setvbuf, line buffering (setvbuf's, or a terminal's
 * buffer: `terminal`); the get area over the buffer, the put area and the buffer's ends at its
 * start and end (`size` bytes when setvbuf gave none); `_mode`. No area before the first read,
 * unless setvbuf made the stream unbuffered.
 */
export function readingFields(
  r: ReadStream,
  flags: number,
  shortbuf: number,
  size: number,
  terminal: boolean,
): FileState {
  const unbuffered = r.mode === IONBF;
  if (r.eof) flags |= EOF_SEEN;
  if (r.error) flags |= ERR_SEEN;
  if (unbuffered) flags |= UNBUFFERED | USER_BUF;
  else if (r.modeChosen && r.buffer !== 0) flags |= USER_BUF;
  if (r.mode === IOLBF && (r.modeChosen || (terminal && r.buffered))) flags |= LINE_BUF;
  const hasArea = unbuffered ? r.modeChosen || r.buffered : r.buffered && r.buffer !== 0;
  const base = !hasArea ? 0 : unbuffered ? shortbuf : r.buffer;
  const end = base === 0 ? 0 : base + (unbuffered ? 1 : r.bufferSize || size);
  const read = base === 0 ? 0 : base + r.consumed.length;
  return {
    flags: flags >>> 0,
    readPtr: read,
    readEnd: base === 0 ? 0 : read + r.unread.length,
    readBase: base,
    writeBase: base,
    writePtr: base,
    writeEnd: base,
    bufBase: base,
    bufEnd: end,
    mode: r.oriented ? -1 : 0,
  };
}
