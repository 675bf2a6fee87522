/**
 * The functions that read through stdio — getchar/getc/fgetc, fgets, gets, getline/getdelim
 * (whose buffer is the program's malloc and realloc, 120 bytes first, then at least doubled),
 * fread, scanf/fscanf/sscanf, ungetc, feof, ferror, clearerr — on stdin's FILE or one fopen
 * opened for reading, each as glibc writes it on top of the FILE's fileops (`read_file.ts`),
 * which run on the FILE's own fields: what a program wrote into them steers the read. What the
 * buffer holds, read(2) does not see (`descriptors.ts`).
 *
 * A FILE that only writes (stdout, stderr, fopen's "w" and "a") is read the same way, on its
 * fields: `__uflow` orients it and writes what its put area holds (`_IO_switch_to_get_mode`),
 * then its underflow finds `_IO_NO_READS`: EOF, errno EBADF, the error indicator set. fread
 * first makes its buffer, and asked for a buffer or more, drops what the put area held and reads
 * the descriptor (EBADF); fscanf's argument check fails with EBADF and leaves the indicator;
 * getline first returns -1 on an indicator already set. ungetc on such a FILE is refused.
 * feof, ferror and clearerr act on its `_flags` there as on any other FILE's.
 * Checked against real runs: tests/fixtures/c/descriptors/ (stdin_functions.c, fopen_files.c,
 * stdin_buf_base.c), tests/fixtures/c/stdio_errors/ (wrong_direction.c),
 * tests/fixtures/c/fd_reuse/ (stdout_redirect.c: ferror after a failed write).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { CRuntimeError, CUnsupportedError } from "./errors.ts";
import { EOF_SEEN, ERR_SEEN, NO_READS } from "./file_layout.ts";
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
  /**
   * A FILE that only writes (stdout, stderr, one fopen returned for writing), read on its fields
   * (its underflow fails with EBADF); undefined for any other pointer.
   */
  writeOnly(address: number): ReadingFile | undefined;
  /** The program's malloc, realloc and free (recorded as its calls). */
  malloc(size: number): number;
  realloc(pointer: number, size: number): number;
  free(pointer: number): void;
}

type StdinFunction = (h: StdinHost, c: BuiltinCall) => Generator<Signal, Value>;

const EOF = -1, { EBADF, EINVAL, EAGAIN } = Errno;

/**
 * The FILE a FILE* reads: stdin's, a fopen'ed FILE's, or one that only writes (stdout's,
 * stderr's, a fopen'ed writer's). Any other pointer — a FILE already closed, a forged one — is
 * not modelled: glibc would run whatever its bytes say.
 */
function streamOf(h: StdinHost, file: Value, c: BuiltinCall): ReadingFile {
  const a = n(file);
  if (a === h.files.stdin) return h.stdin;
  const opened = h.fopened(a) ?? h.writeOnly(a); // (one that reads and writes: fopened)
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

/**
 * The FILE getchar, scanf and gets read (glibc's `_IO_getc (stdin)`): the one libc's `stdin`
 * variable points to — a FILE fopen opened after `stdin = fopen(…)` — in one word's read.
 */
function stdinStream(h: StdinHost, c: BuiltinCall): ReadingFile {
  if (h.stdinVariable === undefined) return h.stdin;
  const fp = h.m.readPointer(h.stdinVariable);
  return fp === h.files.stdin ? h.stdin : streamOf(h, fp, c);
}

/** Runs a read on a FILE*'s FILE; `"stdin"`: the one libc's `stdin` variable points to. */
function* reading<T>(
  h: StdinHost,
  c: BuiltinCall,
  file: Value | "stdin",
  read: (r: ReadingFile) => Generator<Signal, T>,
): Generator<Signal, T> {
  return yield* read(file === "stdin" ? stdinStream(h, c) : streamOf(h, file, c));
}

/** Reused buffers for an integer scanf stores, by its size (a typed array made each time costs more). */
const INTEGER_BYTES = [1, 2, 4, 8].reduce<Uint8Array[]>((all, size) => {
  all[size] = new Uint8Array(size);
  return all;
}, []);

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
      const bytes = INTEGER_BYTES[size] ?? new Uint8Array(size);
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
  // vfscanf orients the stream to bytes, then its ARGCHECK refuses a FILE that may not read
  r.orient();
  if (r.flags & NO_READS) {
    h.m.mem.write32(h.errno, EBADF);
    return EOF;
  }
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
  const m = h.m, profile = h.profile, r = streamOf(h, stream, c);
  const fail = (errno?: number) => {
    if (errno !== undefined) m.mem.write32(h.errno, errno);
    if (profile.getdelimSetsError) r.flags |= ERR_SEEN;
    return -1;
  };
  if (lineptr === 0 || sizeAt === 0) return fail(EINVAL);
  if (r.flags & ERR_SEEN) return -1;
  let line = m.readPointer(lineptr), size = m.readPointer(sizeAt);
  if (line === 0 || size === 0) {
    size = 120;
    m.writePointer(sizeAt, size);
    line = h.malloc(size);
    m.writePointer(lineptr, line);
    if (line === 0) return fail();
    if (profile.getdelimTerminatesNewBuffer) m.mem.write8(line, 0);
  }
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
    return yield* stdinStream(h, c).getc();
  },
  *getc(h, c) {
    return yield* streamOf(h, c.args[0], c).getc();
  },
  *fgetc(h, c) {
    return yield* streamOf(h, c.args[0], c).getc();
  },
  *fgets(h, c) {
    const dst = n(c.args[0]), max = n(c.args[1]);
    return yield* reading(h, c, c.args[2], (r) => fgets(h, r, dst, max));
  },
  *gets(h, c) {
    return yield* reading(h, c, "stdin", (r) => gets(h, r, n(c.args[0])));
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
    return yield* reading(h, c, c.args[3], function* (r) {
      const read = BigInt(yield* r.xsgetn(dst, Number(bytes)));
      return read === bytes ? c.args[2] : Number(read / size);
    });
  },
  *scanf(h, c) {
    return yield* reading(h, c, "stdin", (r) => scanStream(h, r, c, 0, "scanf"));
  },
  *fscanf(h, c) {
    return yield* reading(h, c, c.args[0], (r) => scanStream(h, r, c, 1, "fscanf"));
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
    const byte = n(c.args[0]), r = streamOf(h, c.args[1], c);
    if (h.writeOnly(n(c.args[1])) === r) {
      throw new CUnsupportedError("ungetc on a FILE that only writes", h.m.file, c.line);
    }
    return byte === EOF ? EOF : r.sputbackc(byte & 0xff);
  },
  // feof, ferror and clearerr read and clear the `_flags` of any FILE (stdin's, a fopen'ed one,
  // one that only writes) in its fields: a failed write sets the error indicator of a FILE that
  // writes (fd_reuse/stdout_redirect.c), a read of it too (stdio_errors/wrong_direction.c)
  // deno-lint-ignore require-yield
  *feof(h, c) {
    return streamOf(h, c.args[0], c).flags & EOF_SEEN ? 1 : 0;
  },
  // deno-lint-ignore require-yield
  *ferror(h, c) {
    return streamOf(h, c.args[0], c).flags & ERR_SEEN ? 1 : 0;
  },
  // deno-lint-ignore require-yield
  *clearerr(h, c) {
    streamOf(h, c.args[0], c).flags &= ~(EOF_SEEN | ERR_SEEN);
    return 0;
  },
};
