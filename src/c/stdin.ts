/**
 * stdin through stdio, as glibc's FILE runs it: a buffer malloc'ed at the first read (unless
 * unbuffered or set by setvbuf), refilled by one read(2) at a time when empty (`underflow`: a
 * send from a pipe, a line from a terminal, up to the buffer's size; a byte when unbuffered),
 * an end-of-file indicator set when a refill reads nothing, and the functions that read through
 * it — getchar/getc/fgetc, fgets, gets, getline/getdelim (whose buffer is the program's malloc
 * and realloc, 120 bytes first, then at least doubled), fread, scanf/fscanf/sscanf, ungetc
 * (whose backup area is a malloc of its own, `putBack`), feof, ferror, clearerr. What the buffer holds, read(2) does not see (`descriptors.ts`).
 * Checked against real runs: tests/fixtures/c/descriptors/ (stdin_functions.c).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { stdoutBufferSize } from "../malloc/stdio.ts";
import { CRuntimeError, CUnsupportedError } from "./errors.ts";
import type { Int } from "./integer.ts";
import { type BuiltinCall, type Machine, Signal } from "./interpreter.ts";
import { scanFormat, type ScanTarget } from "./scanf.ts";
import { IOLBF, IONBF, type Streams } from "./stdio.ts";
import { numberOf as n, type Value } from "./values.ts";

/** What the functions reading stdin work on. */
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
  /** The program's malloc, realloc and free (recorded as its calls). */
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
}

type StdinFunction = (h: StdinHost, c: BuiltinCall) => Generator<Signal, Value>;

const EOF = -1, { EBADF, EINVAL } = Errno;
/** The backup area's first size (glibc's _IO_default_pbackfail). */
const BACKUP_SIZE = 128;

/**
 * Refills stdio's stdin buffer when it is empty: "filled" (it holds bytes), "eof" (the read
 * found none and none will come: the end-of-file indicator is set) or "wait" (none yet).
 */
function underflow(h: StdinHost): "filled" | "eof" | "wait" {
  const s = h.streams;
  if (s.inBackup) {
    if (s.backupInput.length > 0) return "filled";
    // Back to the buffer, whose handed-out part starts anew where it was left.
    s.inBackup = false;
    s.stdioConsumed = "";
  }
  if (s.stdioInput.length > 0) return "filled";
  if (s.backupBuffer !== 0) {
    h.free(s.backupBuffer);
    s.backupBuffer = 0;
  }
  if (!s.stdinBuffered && s.stdinMode !== IONBF) {
    // glibc's _IO_file_doallocate at stdin's first read: a malloc of st_blksize (2.24 and
    // later, the glibc profile's stdioBuffers; older glibc mapped it, which the seed's layouts
    // hold).
    s.stdinBuffered = true;
    if (h.profile.stdioBuffers === "malloc") s.stdinBuffer = h.malloc(stdoutBufferSize(s.kind));
  }
  // glibc flushes a line-buffered stdout before it reads.
  if (s.mode === IOLBF) s.flush();
  const final = s.eof || !h.pauseOnInput, readable = s.readable(final);
  if (readable === 0) {
    if (!final) return "wait";
    s.stdinEof = true;
    return "eof";
  }
  const size = s.stdinMode === IONBF ? 1 : s.stdinBufferSize || stdoutBufferSize(s.kind);
  s.stdioInput = s.takeInput(Math.min(readable, size));
  s.stdioConsumed = "";
  // read(2) into the buffer: its bytes are the program's memory (not the FILE's own byte's)
  if (s.stdinBuffer !== 0 && s.stdinMode !== IONBF) h.m.writeText(s.stdinBuffer, s.stdioInput);
  return "filled";
}

/** The unread bytes of the area stdio reads from now: the backup area's, else the buffer's. */
function buffered(s: Streams): string {
  return s.inBackup ? s.backupInput : s.stdioInput;
}

/**
 * Puts `byte` back in front of stdin (glibc's _IO_sputbackc, for ungetc and scanf): the byte
 * just read is simply unread; any other goes into the backup area, which is malloc'ed (128
 * bytes) at the first such byte, doubled (malloc, copy, free) when full, and freed at the next
 * refill of the buffer. Returns the byte, or -1 when the malloc failed.
 */
function putBack(h: StdinHost, byte: number): number {
  const s = h.streams, m = h.m, char = String.fromCharCode(byte);
  if (s.inBackup && s.backupRoom > 0 && m.mem.read8(s.backupBuffer + s.backupRoom - 1) === byte) {
    s.backupRoom--;
    s.backupInput = char + s.backupInput;
  } else if (!s.inBackup && s.stdioConsumed.endsWith(char)) {
    s.stdioConsumed = s.stdioConsumed.slice(0, -1);
    s.stdioInput = char + s.stdioInput;
  } else {
    if (!s.inBackup) {
      if (s.backupBuffer === 0) {
        const buffer = h.malloc(BACKUP_SIZE);
        if (buffer === 0) return EOF;
        s.backupBuffer = buffer;
        s.backupSize = BACKUP_SIZE;
      }
      s.stdioConsumed = "";
      s.inBackup = true;
      s.backupRoom = s.backupSize;
      s.backupInput = "";
    } else if (s.backupRoom === 0) {
      const size = 2 * s.backupSize, grown = h.malloc(size);
      if (grown === 0) return EOF;
      m.mem.copy(grown + size - s.backupSize, s.backupBuffer, s.backupSize);
      h.free(s.backupBuffer);
      s.backupRoom = size - s.backupSize;
      s.backupBuffer = grown;
      s.backupSize = size;
    }
    s.backupRoom--;
    m.mem.write8(s.backupBuffer + s.backupRoom, byte);
    s.backupInput = char + s.backupInput;
  }
  s.stdinEof = false;
  return byte;
}

/** Refills the buffer when empty, pausing while input is awaited: false at end of file. */
function* refill(h: StdinHost): Generator<Signal, boolean> {
  for (;;) {
    const state = underflow(h);
    if (state !== "wait") return state === "filled";
    yield Signal.Input;
  }
}

/** The next byte of stdin through its buffer, -1 at end of file. */
function* getByte(h: StdinHost): Generator<Signal, number> {
  if (!(yield* refill(h))) return EOF;
  return takeBuffered(h.streams, 1).charCodeAt(0);
}

/** Takes `count` bytes (at most what it holds) from the area stdio reads from now. */
function takeBuffered(s: Streams, count: number): string {
  if (s.inBackup) {
    const taken = s.backupInput.slice(0, count);
    s.backupInput = s.backupInput.slice(taken.length);
    s.backupRoom += taken.length;
    return taken;
  }
  const taken = s.stdioInput.slice(0, count);
  s.stdioInput = s.stdioInput.slice(taken.length);
  s.stdioConsumed += taken;
  return taken;
}

/** A read of stdout or stderr, opened for writing only: it fails with EBADF; `result`. */
function failedRead(h: StdinHost, result: number): number {
  h.m.mem.write32(h.errno, EBADF);
  return result;
}

function isStdin(h: StdinHost, stream: Value): boolean {
  return n(stream) === h.files.stdin;
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

function* scanStdin(h: StdinHost, c: BuiltinCall, format: number, name: string) {
  const target = scanTarget(h, c, format + 1, () => getByte(h), (byte) => {
    putBack(h, byte);
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
  lineptr: number,
  sizeAt: number,
  delimiter: number,
  stream: Value,
): Generator<Signal, Value> {
  const m = h.m, s = h.streams, profile = h.profile;
  const fail = (errno?: number) => {
    if (errno !== undefined) m.mem.write32(h.errno, errno);
    if (profile.getdelimSetsError && isStdin(h, stream)) s.stdinError = true;
    return -1;
  };
  if (lineptr === 0 || sizeAt === 0) return fail(EINVAL);
  if (isStdin(h, stream) && s.stdinError) return -1;
  let line = m.readPointer(lineptr), size = m.readPointer(sizeAt);
  if (line === 0 || size === 0) {
    size = 120;
    m.writePointer(sizeAt, size);
    line = h.malloc(size);
    m.writePointer(lineptr, line);
    if (line === 0) return fail();
    if (profile.getdelimTerminatesNewBuffer) m.mem.write8(line, 0);
  }
  if (!isStdin(h, stream)) return failedRead(h, -1);
  if (!(yield* refill(h))) return -1;
  let length = 0;
  for (;;) {
    const area = buffered(s), end = area.indexOf(String.fromCharCode(delimiter & 0xff));
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
    h.m.writeText(line + length, takeBuffered(s, piece));
    length += piece;
    if (end >= 0 || !(yield* refill(h))) break;
  }
  m.mem.write8(line + length, 0);
  return length;
}

/** The functions, by name. */
export const STDIN_FUNCTIONS: Record<string, StdinFunction> = {
  *getchar(h) {
    return yield* getByte(h);
  },
  *getc(h, c) {
    return isStdin(h, c.args[0]) ? yield* getByte(h) : EOF;
  },
  *fgetc(h, c) {
    return isStdin(h, c.args[0]) ? yield* getByte(h) : EOF;
  },
  *fgets(h, c) {
    const dst = n(c.args[0]), max = n(c.args[1]);
    if (!isStdin(h, c.args[2]) || max <= 0) return 0;
    let s = "";
    while (s.length < max - 1) {
      const b = yield* getByte(h);
      if (b < 0) break;
      s += String.fromCharCode(b);
      if (b === 10) break;
    }
    if (s.length === 0) return 0;
    h.m.writeText(dst, s + "\0");
    return dst;
  },
  *gets(h, c) {
    // The line without its newline, which is read and dropped; NULL at end of file at once.
    const dst = n(c.args[0]);
    let s = "";
    for (;;) {
      const b = yield* getByte(h);
      if (b < 0 && s.length === 0) return 0;
      if (b < 0 || b === 10) break;
      s += String.fromCharCode(b);
    }
    h.m.writeText(dst, s + "\0");
    return dst;
  },
  *getline(h, c) {
    return yield* getdelim(h, n(c.args[0]), n(c.args[1]), 10, c.args[2]);
  },
  *getdelim(h, c) {
    return yield* getdelim(h, n(c.args[0]), n(c.args[1]), n(c.args[2]), c.args[3]);
  },
  *fread(h, c) {
    const dst = n(c.args[0]), size = n(c.args[1]), count = size * n(c.args[2]);
    if (count === 0) return 0;
    if (!isStdin(h, c.args[3])) return failedRead(h, 0);
    let s = "";
    while (s.length < count) {
      if (!(yield* refill(h))) break;
      s += takeBuffered(h.streams, count - s.length);
    }
    h.m.writeText(dst, s);
    return Math.floor(s.length / size);
  },
  *scanf(h, c) {
    return yield* scanStdin(h, c, 0, "scanf");
  },
  *fscanf(h, c) {
    if (!isStdin(h, c.args[0])) return failedRead(h, EOF);
    return yield* scanStdin(h, c, 1, "fscanf");
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
    if (!isStdin(h, c.args[1])) {
      throw new CUnsupportedError("ungetc on a stream other than stdin", h.m.file, c.line);
    }
    return byte === EOF ? EOF : putBack(h, byte & 0xff);
  },
  // deno-lint-ignore require-yield
  *feof(h, c) {
    return isStdin(h, c.args[0]) && h.streams.stdinEof ? 1 : 0;
  },
  // deno-lint-ignore require-yield
  *ferror(h, c) {
    return isStdin(h, c.args[0]) && h.streams.stdinError ? 1 : 0;
  },
  // deno-lint-ignore require-yield
  *clearerr(h, c) {
    if (isStdin(h, c.args[0])) h.streams.stdinEof = h.streams.stdinError = false;
    return 0;
  },
};
