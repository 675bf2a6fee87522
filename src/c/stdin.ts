/**
 * The functions that read through stdio — getchar/getc/fgetc, fgets, gets, getline/getdelim
 * (whose buffer is the program's malloc and realloc, 120 bytes first, then at least doubled),
 * fread, scanf/fscanf/sscanf, ungetc, feof, ferror, clearerr — on stdin's FILE or one fopen
 * opened for reading, each as glibc writes it on top of the FILE's fileops (`read_file.ts`),
 * which run on the FILE's own fields: what a program wrote into them steers the read. What the
 * buffer holds, read(2) does not see (`descriptors.ts`).
 * Checked against real runs: tests/fixtures/c/descriptors/ (stdin_functions.c, fopen_files.c,
 * stdin_buf_base.c).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { CRuntimeError, CUnsupportedError } from "./errors.ts";
import { EOF_SEEN, ERR_SEEN } from "./file_layout.ts";
import type { Int } from "./integer.ts";
import type { BuiltinCall, Machine, Signal } from "./interpreter.ts";
import type { ReadingFile } from "./read_file.ts";
import { scanFormat, type ScanTarget } from "./scanf.ts";
import { numberOf as n, type Value } from "./values.ts";

/** What the functions reading through stdio work on. */
export interface StdinHost {
  readonly m: Machine;
  readonly profile: GlibcProfile;
  /** Address of `errno`. */
  readonly errno: number;
  /** FILE* values of stdin, stdout, stderr. */
  readonly files: { readonly stdin: number; readonly stdout: number; readonly stderr: number };
  /** stdin's FILE, read on its fields. */
  readonly stdin: ReadingFile;
  /**
   * The word getchar, scanf and gets read for `stdin` (the program's copy, or libc's variable;
   * undefined: stdin's FILE is read).
   */
  readonly stdinVariable?: number;
  /** A FILE fopen returned for reading and fclose has not closed. */
  fopened(address: number): ReadingFile | undefined;
  /** A FILE* fopen returned for writing (a read of it fails with EBADF). */
  writes(address: number): boolean;
  /**
   * The `_flags` of stdout's, stderr's or a fopen'ed FILE that only writes, at `address`,
   * after clearing the bits `clear` (clearerr).
   */
  outputFlags(address: number, clear?: number): number;
  /** The program's malloc, realloc and free (recorded as its calls). */
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
}

type StdinFunction = (h: StdinHost, c: BuiltinCall) => Generator<Signal, Value>;

const EOF = -1, { EBADF, EINVAL, EAGAIN } = Errno;

/**
 * The FILE a FILE* reads: stdin's, a fopen'ed FILE's, or "write-only" for stdout and stderr
 * (a read fails with EBADF). Any other pointer — a FILE already closed, a forged one — is not
 * modelled: glibc would run whatever its bytes say.
 */
function streamOf(h: StdinHost, file: Value, c: BuiltinCall): ReadingFile | "write-only" {
  const a = n(file);
  if (a === h.files.stdin) return h.stdin;
  const opened = h.fopened(a); // (one that reads and writes too)
  if (opened) return opened;
  if (a === h.files.stdout || a === h.files.stderr || h.writes(a)) return "write-only";
  // glibc reads the FILE's flags first: a pointer to nothing mapped is the process's SIGSEGV
  h.m.mem.read32(a);
  throw new CUnsupportedError(
    `stdio on a FILE* that is not stdin, stdout, stderr or a FILE fopen returned and ` +
      `fclose has not closed (0x${a.toString(16)})`,
    h.m.file,
    c.line,
  );
}

/**
 * The FILE getchar, scanf and gets read (glibc's `_IO_getc (stdin)`): the one libc's `stdin`
 * variable points to — a FILE fopen opened after `stdin = fopen(…)` — in one word's read.
 */
function stdinStream(h: StdinHost, c: BuiltinCall): ReadingFile | "write-only" {
  if (h.stdinVariable === undefined) return h.stdin;
  const fp = h.m.readPointer(h.stdinVariable);
  return fp === h.files.stdin ? h.stdin : streamOf(h, fp, c);
}

/**
 * Runs a read on a FILE*'s FILE (`onWriteOnly` for stdout's and stderr's); `"stdin"`: the one
 * libc's `stdin` variable points to.
 */
function* reading<T>(
  h: StdinHost,
  c: BuiltinCall,
  file: Value | "stdin",
  onWriteOnly: () => T,
  read: (r: ReadingFile) => Generator<Signal, T>,
): Generator<Signal, T> {
  const r = file === "stdin" ? stdinStream(h, c) : streamOf(h, file, c);
  return r === "write-only" ? onWriteOnly() : yield* read(r);
}

/** {@link reading} for a call that does not read. */
function onStream<T>(
  h: StdinHost,
  c: BuiltinCall,
  file: Value,
  onWriteOnly: () => T,
  use: (r: ReadingFile) => T,
): T {
  const r = streamOf(h, file, c);
  return r === "write-only" ? onWriteOnly() : use(r);
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
    storePointer: (address, value) => h.m.writePointer(address, value),
    malloc: (size) => h.malloc(size),
    realloc: (pointer, size) => h.realloc(pointer, size),
    free: (pointer) => h.free(pointer),
    shortChars: h.profile.scanfShortChars,
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

function* scanStream(h: StdinHost, r: ReadingFile, c: BuiltinCall, format: number, name: string) {
  // vfscanf orients the stream to bytes before it reads
  r.orient();
  const target = scanTarget(h, c, format + 1, () => r.getc(), (byte) => {
    r.sputbackc(byte);
  }, name);
  return yield* scanFormat(target, h.m.cString(c.args[format] as Int));
}

/**
 * getdelim (`_IO_getdelim`): a line through `delimiter` into `*lineptr` (malloc'ed, 120 bytes,
 * when NULL or `*n` is 0; realloc'ed to what it needs, at least twice its size),
 * NUL-terminated, copied out of the get area a fill at a time; its length, or -1 at end of file
 * or on error.
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
    if (profile.getdelimSetsError && r) r.flags |= ERR_SEEN;
    return -1;
  };
  if (lineptr === 0 || sizeAt === 0) return fail(EINVAL);
  if (r && (r.flags & ERR_SEEN)) return -1;
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
  let length = r.readEnd - r.readPtr;
  if (length <= 0) {
    if ((yield* r.underflowGeneric()) === EOF) return -1;
    length = r.readEnd - r.readPtr;
  }
  let total = 0;
  for (;;) {
    const ptr = r.readPtr, end = m.mem.readBytes(ptr, length).indexOf(delimiter & 0xff);
    if (end >= 0) length = end + 1;
    let needed = total + length + 1;
    if (needed > size) {
      if (needed < 2 * size) needed = 2 * size;
      const grown = h.realloc(line, needed);
      if (grown === 0) return fail();
      line = grown;
      size = needed;
      m.writePointer(lineptr, line);
      m.writePointer(sizeAt, size);
    }
    m.mem.copy(line + total, ptr, length);
    r.readPtr = ptr + length;
    total += length;
    if (end >= 0 || (yield* r.underflowGeneric()) === EOF) break;
    length = r.readEnd - r.readPtr;
  }
  m.mem.write8(line + total, 0);
  return total;
}

/**
 * fgets (`_IO_fgets`): at most `max - 1` bytes, through a newline, NUL-terminated; NULL at end
 * of file, or when this call's read failed (the error indicator it found is kept).
 */
function* fgets(h: StdinHost, r: ReadingFile, dst: number, max: number) {
  if (max <= 0) return 0;
  if (max === 1) {
    // glibc stores the NUL of a one-byte buffer without reading
    h.m.mem.write8(dst, 0);
    return dst;
  }
  const oldError = r.flags & ERR_SEEN;
  r.flags &= ~ERR_SEEN;
  const count = yield* r.getline(dst, max - 1, 10, 1);
  let result = 0;
  if (count !== 0 && !((r.flags & ERR_SEEN) && h.m.mem.read32(h.errno) !== EAGAIN)) {
    h.m.mem.write8(dst + count, 0);
    result = dst;
  }
  r.flags |= oldError;
  return result;
}

/** gets (`_IO_gets`): the line without its newline, which is read and dropped. */
function* gets(h: StdinHost, r: ReadingFile, dst: number) {
  const first = yield* r.getc();
  if (first === EOF) return 0;
  let count = 0;
  if (first !== 10) {
    const oldError = r.flags & ERR_SEEN;
    r.flags &= ~ERR_SEEN;
    h.m.mem.write8(dst, first);
    count = (yield* r.getline(dst + 1, 0x7fffffff, 10, 0)) + 1;
    if (r.flags & ERR_SEEN) return 0;
    r.flags |= oldError;
  }
  h.m.mem.write8(dst + count, 0);
  return dst;
}

/** The functions, by name. */
export const STDIN_FUNCTIONS: Record<string, StdinFunction> = {
  *getchar(h, c) {
    // (its own body, without reading's closures: a program's loop calls it per byte)
    const r = stdinStream(h, c);
    return r === "write-only" ? EOF : yield* r.getc();
  },
  *getc(h, c) {
    return yield* reading(h, c, c.args[0], () => EOF, (r) => r.getc());
  },
  *fgetc(h, c) {
    return yield* reading(h, c, c.args[0], () => EOF, (r) => r.getc());
  },
  *fgets(h, c) {
    const dst = n(c.args[0]), max = n(c.args[1]);
    return yield* reading(h, c, c.args[2], () => 0, (r) => fgets(h, r, dst, max));
  },
  *gets(h, c) {
    return yield* reading(h, c, "stdin", () => 0, (r) => gets(h, r, n(c.args[0])));
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
    return yield* reading(h, c, c.args[3], () => failedRead(h, 0), function* (r) {
      const read = BigInt(yield* r.xsgetn(dst, Number(bytes)));
      return read === bytes ? c.args[2] : Number(read / size);
    });
  },
  *scanf(h, c) {
    const scan = (r: ReadingFile) => scanStream(h, r, c, 0, "scanf");
    return yield* reading(h, c, "stdin", () => failedRead(h, EOF), scan);
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
    }, (r) => byte === EOF ? EOF : r.sputbackc(byte & 0xff));
  },
  // deno-lint-ignore require-yield
  *feof(h, c) {
    const output = () => h.outputFlags(n(c.args[0])) & EOF_SEEN ? 1 : 0;
    return onStream(h, c, c.args[0], output, (r) => r.flags & EOF_SEEN ? 1 : 0);
  },
  // deno-lint-ignore require-yield
  *ferror(h, c) {
    // a failed write sets the indicator on a FILE that writes (fd_reuse/stdout_redirect.c)
    const output = () => h.outputFlags(n(c.args[0])) & ERR_SEEN ? 1 : 0;
    return onStream(h, c, c.args[0], output, (r) => r.flags & ERR_SEEN ? 1 : 0);
  },
  // deno-lint-ignore require-yield
  *clearerr(h, c) {
    const output = () => (h.outputFlags(n(c.args[0]), EOF_SEEN | ERR_SEEN), 0);
    return onStream(h, c, c.args[0], output, (r) => {
      r.flags &= ~(EOF_SEEN | ERR_SEEN);
      return 0;
    });
  },
};
