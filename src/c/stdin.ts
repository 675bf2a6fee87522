/**
 * Reading through stdio, as glibc's FILE runs it — stdin, or a file fopen opened: a buffer
 * malloc'ed at the first read (unless unbuffered or set by setvbuf), refilled by one read(2) at
 * a time when empty (`underflow`: a send from a pipe, a line from a terminal, a file's next
 * bytes, up to the buffer's size; a byte when unbuffered), an end-of-file indicator set when a
 * refill reads nothing, and the functions that read through it — getchar/getc/fgetc, fgets,
 * gets, getline/getdelim (whose buffer is the program's malloc and realloc, 120 bytes first,
 * then at least doubled), fread, scanf/fscanf/sscanf, ungetc (whose backup area is a malloc of
 * its own, `putBack`), feof, ferror, clearerr. What the buffer holds, read(2) does not see
 * (`descriptors.ts`). A FILE's state is a {@link ReadStream}; a fopen'ed FILE's fields are
 * written to its heap chunk after each call (`settle`, `fopen_files.ts`).
 * Checked against real runs: tests/fixtures/c/descriptors/ (stdin_functions.c, fopen_files.c).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { stdoutBufferSize } from "../malloc/stdio.ts";
import { CRuntimeError, CUnsupportedError } from "./errors.ts";
import type { Int } from "./integer.ts";
import { type BuiltinCall, type Machine, Signal } from "./interpreter.ts";
import type { OpenFiles } from "./open_files.ts";
import type { ReadStream } from "./read_stream.ts";
import { scanFormat, type ScanTarget } from "./scanf.ts";
import { IOLBF, IONBF, type Streams } from "./stdio.ts";
import { numberOf as n, type Value } from "./values.ts";

/** What the functions reading through stdio work on. */
export interface StdinHost {
  readonly m: Machine;
  readonly streams: Streams;
  readonly profile: GlibcProfile;
  /** A read of empty stdin waits for input (else it reads end of file). */
  readonly pauseOnInput: boolean;
  /** Address of `errno`. */
  readonly errno: number;
  /** FILE* values of stdin, stdout, stderr. */
  readonly files: { readonly stdin: number; readonly stdout: number; readonly stderr: number };
  /** The files open on descriptors from 3 up. */
  readonly openFiles: OpenFiles;
  /** The stream of a FILE* fopen returned for reading and fclose has not closed. */
  fopened(address: number): ReadStream | undefined;
  /** A FILE* fopen returned for writing (a read of it fails with EBADF). */
  writes(address: number): boolean;
  /** Writes a FILE's fields (a fopen'ed one's chunk, stdin's) after a call changed them. */
  settle(stream: ReadStream): void;
  /** stdin's own byte (`_shortbuf`), its buffer when unbuffered (0: not in memory). */
  readonly shortbuf: number;
  /** Writes stdout if it is line buffered, as a read of a line-buffered or unbuffered FILE does. */
  flushBeforeRead(): void;
  /** The program's malloc, realloc and free (recorded as its calls). */
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
}

type StdinFunction = (h: StdinHost, c: BuiltinCall) => Generator<Signal, Value>;

const EOF = -1, { EBADF, EINVAL } = Errno;
/** Where the user address space ends, by pointer size (access_ok's limit). */
const USER_SPACE: Record<number, bigint> = { 8: 0x7ffffffff000n, 4: 0x100000000n };
/** The backup area's first size (glibc's _IO_default_pbackfail). */
const BACKUP_SIZE = 128;

/**
 * Refills a stream's buffer when it is empty: "filled" (it holds bytes), "eof" (the read found
 * none and none will come: the end-of-file indicator is set) or "wait" (none yet). As glibc's
 * underflow, the get area starts again at the buffer's start before the read.
 */
function underflow(h: StdinHost, r: ReadStream): "filled" | "eof" | "wait" {
  if (r.inBackup) {
    if (r.backupInput.length > 0) return "filled";
    // Back to the buffer, whose handed-out part starts anew where it was left.
    r.inBackup = false;
    r.consumed = "";
  }
  if (r.unread.length > 0) return "filled";
  r.oriented = true;
  if (r.backupBuffer !== 0) {
    h.free(r.backupBuffer);
    r.backupBuffer = 0;
  }
  const s = h.streams, file = r.fd === 0 ? undefined : h.openFiles.file(r.fd);
  const kind = file ? "file" : s.kind;
  if (!r.buffered && r.mode !== IONBF) {
    // glibc's _IO_file_doallocate at the first read: a malloc of st_blksize (2.24 and
    // later, the glibc profile's stdioBuffers; older glibc mapped it, which the seed's layouts
    // hold).
    r.buffered = true;
    if (h.profile.stdioBuffers === "malloc") r.buffer = h.malloc(stdoutBufferSize(kind));
  }
  r.consumed = "";
  const size = r.mode === IONBF ? 1 : r.bufferSize || stdoutBufferSize(kind);
  if (file) {
    // read(2) of a regular file: what is left, up to the buffer's size
    r.unread = String.fromCharCode(...file.bytes.subarray(file.offset, file.offset + size));
    file.offset += r.unread.length;
  } else {
    // glibc writes a line-buffered stdout before a line-buffered or unbuffered FILE reads
    const lineBuffered = r.mode === IOLBF && (r.modeChosen || (s.kind === "tty" && r.buffered));
    if (r.mode === IONBF || lineBuffered) h.flushBeforeRead();
    const final = s.eof || !h.pauseOnInput, readable = s.readable(final);
    if (readable === 0 && !final) return "wait";
    r.unread = s.takeInput(Math.min(readable, size));
  }
  if (r.unread.length === 0) {
    r.eof = true;
    r.offset = -1;
    return "eof";
  }
  if (r.offset !== -1) r.offset += r.unread.length;
  // read(2) into the buffer, or the FILE's own byte when unbuffered: the program's memory
  const target = r.mode === IONBF ? (r.fd === 0 ? h.shortbuf : 0) : r.buffer;
  if (target !== 0) h.m.writeText(target, r.unread);
  return "filled";
}

/**
 * Puts `byte` back in front of a stream (glibc's _IO_sputbackc, for ungetc and scanf): the byte
 * just read is simply unread; any other goes into the backup area, which is malloc'ed (128
 * bytes) at the first such byte, doubled (malloc, copy, free) when full, and freed at the next
 * refill of the buffer. Returns the byte, or -1 when the malloc failed.
 */
function putBack(h: StdinHost, r: ReadStream, byte: number, line: number): number {
  const m = h.m, char = String.fromCharCode(byte);
  if (r.inBackup && r.backupRoom > 0 && m.mem.read8(r.backupBuffer + r.backupRoom - 1) === byte) {
    r.backupRoom--;
    r.backupInput = char + r.backupInput;
  } else if (!r.inBackup && r.consumed.endsWith(char)) {
    r.consumed = r.consumed.slice(0, -1);
    r.unread = char + r.unread;
  } else {
    if (r.fd !== 0) {
      // glibc's backup area moves the FILE's save and backup pointers, not written here
      throw new CUnsupportedError(
        "a byte put back into a fopen'ed FILE that is not the byte just read",
        m.file,
        line,
      );
    }
    if (!r.inBackup) {
      if (r.backupBuffer === 0) {
        const buffer = h.malloc(BACKUP_SIZE);
        if (buffer === 0) return EOF;
        r.backupBuffer = buffer;
        r.backupSize = BACKUP_SIZE;
      }
      r.consumed = "";
      r.inBackup = true;
      r.backupRoom = r.backupSize;
      r.backupInput = "";
    } else if (r.backupRoom === 0) {
      const size = 2 * r.backupSize, grown = h.malloc(size);
      if (grown === 0) return EOF;
      m.mem.copy(grown + size - r.backupSize, r.backupBuffer, r.backupSize);
      h.free(r.backupBuffer);
      r.backupRoom = size - r.backupSize;
      r.backupBuffer = grown;
      r.backupSize = size;
    }
    r.backupRoom--;
    m.mem.write8(r.backupBuffer + r.backupRoom, byte);
    r.backupInput = char + r.backupInput;
  }
  r.eof = false;
  return byte;
}

/** Refills the buffer when empty, pausing while input is awaited: false at end of file. */
function* refill(h: StdinHost, r: ReadStream): Generator<Signal, boolean> {
  for (;;) {
    const state = underflow(h, r);
    if (state !== "wait") return state === "filled";
    h.settle(r); // as the FILE is while the read waits
    yield Signal.Input;
  }
}

/** The next byte of a stream through its buffer, -1 at end of file. */
function* getByte(h: StdinHost, r: ReadStream): Generator<Signal, number> {
  if (!(yield* refill(h, r))) return EOF;
  return r.take(1).charCodeAt(0);
}

/**
 * The stream a FILE* reads: stdin's, a fopen'ed FILE's, or "write-only" for stdout and stderr
 * (a read fails with EBADF). Any other pointer — a FILE already closed, a forged one — is not
 * modelled: glibc would run whatever its bytes say.
 */
function streamOf(h: StdinHost, file: Value, c: BuiltinCall): ReadStream | "write-only" {
  const a = n(file);
  if (a === h.files.stdin) return h.streams.stdin;
  if (a === h.files.stdout || a === h.files.stderr || h.writes(a)) return "write-only";
  const opened = h.fopened(a);
  if (opened) return opened;
  // glibc reads the FILE's flags first: a pointer to nothing mapped is the process's SIGSEGV
  h.m.mem.read32(a);
  throw new CUnsupportedError(
    `stdio on a FILE* that is not stdin, stdout, stderr or a FILE fopen returned and ` +
      `fclose has not closed (0x${a.toString(16)})`,
    h.m.file,
    c.line,
  );
}

/** Runs a read on a FILE*'s stream, its fields written after it (a fopen'ed FILE's). */
function* reading<T>(
  h: StdinHost,
  c: BuiltinCall,
  file: Value,
  onWriteOnly: () => T,
  read: (r: ReadStream) => Generator<Signal, T>,
): Generator<Signal, T> {
  const r = streamOf(h, file, c);
  if (r === "write-only") return onWriteOnly();
  try {
    return yield* read(r);
  } finally {
    h.settle(r);
  }
}

/** {@link reading} for a call that does not read. */
function onStream<T>(
  h: StdinHost,
  c: BuiltinCall,
  file: Value,
  onWriteOnly: () => T,
  use: (r: ReadStream) => T,
): T {
  const r = streamOf(h, file, c);
  if (r === "write-only") return onWriteOnly();
  try {
    return use(r);
  } finally {
    h.settle(r);
  }
}

/** A read of stdout or stderr, opened for writing only: it fails with EBADF; `result`. */
function failedRead(h: StdinHost, result: number): number {
  h.m.mem.write32(h.errno, EBADF);
  return result;
}

/** scanf's target: `get`/`unget` the input; arguments from `first` on. */
function scanTarget(
  h: StdinHost,
  c: BuiltinCall,
  first: number,
  get: () => Generator<Signal, number>,
  unget: (byte: number) => void,
  name: string,
): ScanTarget {
  const m = h.m;
  return {
    get,
    unget,
    storeText: (address, text) => h.m.writeText(address, text + "\0"),
    storeChars: (address, text) => h.m.writeText(address, text),
    storeInteger: (address, value, size) => {
      const bytes = new Uint8Array(size);
      let v = BigInt.asUintN(8 * size, value);
      for (let k = 0; k < size; k++, v >>= 8n) bytes[k] = Number(v & 0xffn);
      m.mem.writeBytes(address, bytes);
    },
    argument: (index) => {
      // glibc would store through whatever the missing argument's register holds.
      if (first + index >= c.args.length) {
        throw new CRuntimeError(
          `${name}: conversion ${index + 1} has no argument to store into`,
          m.file,
          c.line,
        );
      }
      return n(c.args[first + index]);
    },
    intSize: 4,
    longSize: m.abi.ptrSize,
    file: m.file,
    line: c.line,
  };
}

function* scanStream(h: StdinHost, r: ReadStream, c: BuiltinCall, format: number, name: string) {
  // vfscanf orients the stream to bytes before it reads
  r.oriented = true;
  const target = scanTarget(h, c, format + 1, () => getByte(h, r), (byte) => {
    putBack(h, r, byte, c.line);
  }, name);
  return yield* scanFormat(target, h.m.cString(c.args[format] as Int));
}

/**
 * getdelim: a line through `delimiter` into `*lineptr` (malloc'ed, 120 bytes, when NULL or
 * `*n` is 0; realloc'ed to what it needs, at least twice its size), NUL-terminated; its length,
 * or -1 at end of file or on error.
 */
function* getdelim(
  h: StdinHost,
  c: BuiltinCall,
  lineptr: number,
  sizeAt: number,
  delimiter: number,
  stream: Value,
): Generator<Signal, Value> {
  const m = h.m, profile = h.profile, found = streamOf(h, stream, c);
  const r = found === "write-only" ? undefined : found;
  const fail = (errno?: number) => {
    if (errno !== undefined) m.mem.write32(h.errno, errno);
    if (profile.getdelimSetsError && r) r.error = true;
    return -1;
  };
  try {
    if (lineptr === 0 || sizeAt === 0) return fail(EINVAL);
    if (r?.error) return -1;
    let line = m.readPointer(lineptr), size = m.readPointer(sizeAt);
    if (line === 0 || size === 0) {
      size = 120;
      m.writePointer(sizeAt, size);
      line = h.malloc(size);
      m.writePointer(lineptr, line);
      if (line === 0) return fail();
      if (profile.getdelimTerminatesNewBuffer) m.mem.write8(line, 0);
    }
    if (!r) return failedRead(h, -1);
    if (!(yield* refill(h, r))) return -1;
    let length = 0;
    for (;;) {
      const area = r.available, end = area.indexOf(String.fromCharCode(delimiter & 0xff));
      const piece = end < 0 ? area.length : end + 1;
      let needed = length + piece + 1;
      if (needed > size) {
        if (needed < 2 * size) needed = 2 * size;
        const grown = h.realloc(line, needed);
        if (grown === 0) return fail();
        line = grown;
        size = needed;
        m.writePointer(lineptr, line);
        m.writePointer(sizeAt, size);
      }
      h.m.writeText(line + length, r.take(piece));
      length += piece;
      if (end >= 0 || !(yield* refill(h, r))) break;
    }
    m.mem.write8(line + length, 0);
    return length;
  } finally {
    if (r) h.settle(r);
  }
}

/** fgets: at most `max - 1` bytes, through a newline, NUL-terminated; NULL at end of file. */
function* fgets(h: StdinHost, r: ReadStream, dst: number, max: number) {
  if (max <= 0) return 0;
  let s = "";
  // glibc stores the NUL of a one-byte buffer without reading
  while (s.length < max - 1) {
    const b = yield* getByte(h, r);
    if (b < 0) break;
    s += String.fromCharCode(b);
    if (b === 10) break;
  }
  if (s.length === 0 && max > 1) return 0;
  h.m.writeText(dst, s + "\0");
  return dst;
}

/** The functions, by name. */
export const STDIN_FUNCTIONS: Record<string, StdinFunction> = {
  *getchar(h) {
    return yield* getByte(h, h.streams.stdin);
  },
  *getc(h, c) {
    return yield* reading(h, c, c.args[0], () => EOF, (r) => getByte(h, r));
  },
  *fgetc(h, c) {
    return yield* reading(h, c, c.args[0], () => EOF, (r) => getByte(h, r));
  },
  *fgets(h, c) {
    const dst = n(c.args[0]), max = n(c.args[1]);
    return yield* reading(h, c, c.args[2], () => 0, (r) => fgets(h, r, dst, max));
  },
  *gets(h, c) {
    // The line without its newline, which is read and dropped; NULL at end of file at once.
    const dst = n(c.args[0]), r = h.streams.stdin;
    let s = "";
    for (;;) {
      const b = yield* getByte(h, r);
      if (b < 0 && s.length === 0) return 0;
      if (b < 0 || b === 10) break;
      s += String.fromCharCode(b);
    }
    h.m.writeText(dst, s + "\0");
    return dst;
  },
  *getline(h, c) {
    return yield* getdelim(h, c, n(c.args[0]), n(c.args[1]), 10, c.args[2]);
  },
  *getdelim(h, c) {
    return yield* getdelim(h, c, n(c.args[0]), n(c.args[1]), n(c.args[2]), c.args[3]);
  },
  *fread(h, c) {
    // size * count in size_t, as glibc computes it: a product that wraps to 0 reads nothing
    const bits = 8 * h.m.abi.ptrSize, dst = n(c.args[0]);
    const size = BigInt.asUintN(bits, BigInt(c.args[1] as Int));
    const bytes = BigInt.asUintN(bits, size * BigInt.asUintN(bits, BigInt(c.args[2] as Int)));
    if (bytes === 0n) return 0;
    // past the user address space, glibc's direct read(2) of the rest fails with EFAULT
    const beyond = BigInt(dst) + bytes > USER_SPACE[h.m.abi.ptrSize];
    const count = beyond ? 0 : Number(bytes);
    return yield* reading(h, c, c.args[3], () => failedRead(h, 0), function* (r) {
      let s = "";
      if (beyond) {
        s = r.take(Infinity);
        r.error = true;
        h.m.mem.write32(h.errno, Errno.EFAULT);
      }
      while (s.length < count) {
        if (!(yield* refill(h, r))) break;
        s += r.take(count - s.length);
      }
      h.m.writeText(dst, s);
      return Number(BigInt(s.length) / size);
    });
  },
  *scanf(h, c) {
    return yield* scanStream(h, h.streams.stdin, c, 0, "scanf");
  },
  *fscanf(h, c) {
    return yield* reading(
      h,
      c,
      c.args[0],
      () => failedRead(h, EOF),
      (r) => scanStream(h, r, c, 1, "fscanf"),
    );
  },
  *sscanf(h, c) {
    const text = h.m.cString(c.args[0] as Int);
    let at = 0;
    // deno-lint-ignore require-yield
    const get = function* () {
      return at < text.length ? text.charCodeAt(at++) : EOF;
    };
    const target = scanTarget(h, c, 2, get, () => at--, "sscanf");
    return yield* scanFormat(target, h.m.cString(c.args[1] as Int));
  },
  // deno-lint-ignore require-yield
  *ungetc(h, c) {
    const byte = n(c.args[0]);
    return onStream(h, c, c.args[1], () => {
      throw new CUnsupportedError("ungetc on stdout or stderr", h.m.file, c.line);
    }, (r) => byte === EOF ? EOF : putBack(h, r, byte & 0xff, c.line));
  },
  // deno-lint-ignore require-yield
  *feof(h, c) {
    return onStream(h, c, c.args[0], () => 0, (r) => r.eof ? 1 : 0);
  },
  // deno-lint-ignore require-yield
  *ferror(h, c) {
    return onStream(h, c, c.args[0], () => 0, (r) => r.error ? 1 : 0);
  },
  // deno-lint-ignore require-yield
  *clearerr(h, c) {
    return onStream(h, c, c.args[0], () => 0, (r) => {
      r.eof = r.error = false;
      return 0;
    });
  },
};
