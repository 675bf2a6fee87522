/**
 * read(2) and write(2) on the program's descriptors, answered as Linux answers them, below
 * stdio: no FILE buffer is allocated, flushed or filled.
 *
 * - Descriptors. A descriptor open on a file (`open_files.ts`: from 3 up, or 0, 1 or 2 once the
 *   program closed it and opened a file, or dup2'ed one onto it) reads and writes the file as
 *   its open allowed. 0, 1 and 2 start on what the run gives, and a dup of one is on the same:
 *   on a terminal (stdout kind "tty") all three are the same terminal, opened for reading and
 *   writing: `write(0, …)` shows on it and `read(1, …)` reads what is typed. Run with a pipe or
 *   a file as stdout, stdin is a pipe's read end and stdout and stderr are write-only. Any
 *   other descriptor, a closed one, or the wrong direction, is EBADF.
 * - The buffer. The kernel first refuses a range that ends above the user address space
 *   (`access_ok`: `buf + count` beyond 0x7ffffffff000 on x86_64, or wrapping) with EFAULT and
 *   clamps the count to MAX_RW_COUNT; then it copies until the first page it may not touch,
 *   and what it has done by then depends on the file:
 *   - a write to a regular file keeps every byte copied before the fault;
 *   - a write to a pipe or a terminal goes in pages (4096 bytes from `buf`): a page that
 *     cannot be copied whole ends it, so a buffer that faults within its first 4096 bytes
 *     writes nothing (EFAULT) — assuming, for a pipe, that its reader has taken what was
 *     written before (a half-filled last page of the pipe would be filled first);
 *   - a read from a file opened by the program (`open_files.ts`) keeps every byte before the
 *     fault and moves the offset past them;
 *   - a read from a pipe copies what the writer sent: if it does not fit, the bytes before
 *     the fault are stored, the read fails with EFAULT and the bytes stay in the pipe;
 *   - a read from a terminal copies the line in pieces of 64 bytes: at a fault it returns the
 *     bytes stored (EFAULT if none) and the rest of that piece is lost.
 *   Measured on the real kernel with real glibc (tests/fixtures/c/descriptors/).
 * - stdin comes in sends (`Streams.send`), each arriving once the program waits for input: a
 *   read from a pipe returns at most the rest of the current send, one from a terminal a line
 *   (`Streams.readable`); with none, it waits (`pauseOnInput`) or reads end of file (0).
 *   stderr is the same kind of file as stdout.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import { COutputLimitError } from "./errors.ts";
import { FILE_SIZE_LIMIT, type OpenFile, type OpenFiles } from "./open_files.ts";
import { Signal } from "./interpreter.ts";
import { storeText, textBytes } from "./byte_text.ts";
import type { Streams } from "./stdio.ts";
import type { WrittenBytes } from "./written_bytes.ts";

const { EBADF, EFAULT } = Errno;

/** The top of x86_64's user address space (TASK_SIZE_MAX with 4-level page tables). */
const USER_END_X86_64 = 0x7fff_ffff_f000;
/** The most a single read or write transfers (MAX_RW_COUNT: INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7fff_f000;
/** The piece a pipe or a terminal write copies at a time (a page). */
const WRITE_PIECE = 4096;
/** The piece a terminal read hands over at a time (the kernel's 64-byte buffer). */
const TTY_READ_PIECE = 64;

/** What read(2) and write(2) work on. */
export interface DescriptorHost {
  readonly mem: Memory;
  readonly streams: Streams;
  /** 4 (i386) or 8 (x86_64). */
  readonly ptrSize: number;
  /** A read of empty stdin waits for input (else it reads end of file). */
  readonly pauseOnInput: boolean;
  /** The descriptor table: the standard descriptors still open, and those on files. */
  readonly openFiles: OpenFiles;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** Writes to a file, refusing to grow it past what heaplab keeps in memory. */
function writeFile(h: DescriptorHost, file: OpenFile, bytes: Uint8Array): void {
  if (!file.write(bytes)) h.refuse(`a write growing ${file.path} past ${FILE_SIZE_LIMIT} bytes`);
}

/** A size_t argument's value (a negative int converted, as C passes it). */
export function sizeArgument(value: number | bigint, ptrSize: number): number {
  return Number(BigInt.asUintN(ptrSize * 8, BigInt(value)));
}

/** access_ok: a range that ends above the user address space, or wraps, is refused. */
export function outsideUserSpace(buf: number, count: number, ptrSize: number): boolean {
  // An i386 process's range ends below 2^33, far below x86_64's limit: only its copy faults.
  return ptrSize === 8 && buf + count > USER_END_X86_64;
}

/**
 * Whether descriptor `fd`, on one of the run's streams (0-2 or a dup of one), is open for
 * writing: stdout's and stderr's, and stdin's on a terminal.
 */
function standardWritable(h: DescriptorHost, fd: number): boolean {
  const stream = h.openFiles.stream(fd);
  if (stream === undefined) return false;
  return stream !== 0 || h.streams.kind === "tty";
}

/** Whether `fd`, on one of the run's streams, is open for reading: stdin's; all on a terminal. */
function standardReadable(h: DescriptorHost, fd: number): boolean {
  const stream = h.openFiles.stream(fd);
  if (stream === undefined) return false;
  return stream === 0 || h.streams.kind === "tty";
}

/**
 * How descriptor `fd` is open, as fcntl(F_GETFL)'s O_ACCMODE says: 0 reading, 1 writing, 2 both
 * (3 neither: open's access mode 3); undefined when it is not open.
 */
export function accessMode(h: DescriptorHost, fd: number): number | undefined {
  const file = h.openFiles.file(fd);
  if (file === undefined && !h.openFiles.standard(fd)) return undefined;
  const readable = file ? file.readable : standardReadable(h, fd);
  const writable = file ? file.writable : standardWritable(h, fd);
  return readable ? (writable ? 2 : 0) : writable ? 1 : 3;
}

/**
 * Bytes written to a descriptor on the run's output: one on stderr (2, or a dup of it) writes
 * into stderr, one on stdin or stdout (a terminal's) into stdout, each kept up to
 * {@link FILE_SIZE_LIMIT} bytes, as a file is (past it: {@link COutputLimitError}).
 */
function outputTo(h: DescriptorHost, fd: number, text: string): void {
  outputStream(h, fd, text.length).appendText(text);
}

/**
 * The output that `count` more bytes on descriptor `fd` go to (see {@link outputTo}), or
 * {@link COutputLimitError} when they would take it past {@link FILE_SIZE_LIMIT}.
 */
function outputStream(h: DescriptorHost, fd: number, count: number): WrittenBytes {
  const s = h.streams;
  const stderr = h.openFiles.stream(fd) === 2, out = stderr ? s.stderrBytes : s.stdoutBytes;
  if (out.length + count > FILE_SIZE_LIMIT) {
    throw new COutputLimitError(stderr ? "stderr" : "stdout", FILE_SIZE_LIMIT, 0);
  }
  return out;
}

/**
 * write(fd, …) of bytes the caller holds rather than the program's memory (a FILE's own write,
 * dprintf's text, glibc's own messages on 2): their count, or -EBADF for a descriptor not open
 * for writing (the text is lost).
 */
export function writeText(h: DescriptorHost, fd: number, text: string): number {
  const file = h.openFiles.file(fd);
  if (file ? !file.writable : !standardWritable(h, fd)) return -EBADF;
  if (file) writeFile(h, file, textBytes(text));
  else outputTo(h, fd, text);
  return text.length;
}

/** write(fd, buf, count): the bytes written, or -errno. */
export function writeDescriptor(h: DescriptorHost, fd: number, buf: number, count: number): number {
  const s = h.streams, file = h.openFiles.file(fd);
  if (!(file ? file.writable : standardWritable(h, fd))) return -EBADF;
  if (outsideUserSpace(buf, count, h.ptrSize)) return -EFAULT;
  const wanted = Math.min(count, MAX_RW_COUNT);
  if (wanted === 0) return 0;
  if (file) {
    // a regular file: every byte before a fault written, the offset moved past them
    const fits = h.mem.accessibleLength(buf, wanted, "read");
    if (fits === 0) return -EFAULT;
    writeFile(h, file, h.mem.readBytes(buf, fits));
    return fits;
  }
  const readable = h.mem.accessibleLength(buf, wanted, "read");
  const done = readable === wanted || s.kind === "file"
    ? readable
    : readable - readable % WRITE_PIECE;
  if (done === 0) return -EFAULT;
  outputStream(h, fd, done).appendFrom(h.mem, buf, done);
  return done;
}

/** read(fd, buf, count): the bytes read, or -errno; pauses while stdin waits for input. */
export function* readDescriptor(
  h: DescriptorHost,
  fd: number,
  buf: number,
  count: number,
): Generator<Signal, number> {
  const s = h.streams, tty = s.kind === "tty", file = h.openFiles.file(fd);
  if (!(file ? file.readable : standardReadable(h, fd))) return -EBADF;
  if (outsideUserSpace(buf, count, h.ptrSize)) return -EFAULT;
  const wanted = Math.min(count, MAX_RW_COUNT);
  if (wanted === 0) return 0;
  if (file?.generated) {
    // a file the kernel makes at each read (/proc/self/maps): every byte before a fault kept
    const read = file.generated.read(file.offset, wanted, (bytes, done) => {
      const fits = h.mem.accessibleLength(buf + done, bytes.length, "write");
      h.mem.writeBytes(buf + done, bytes.subarray(0, fits));
      return fits;
    });
    if (read > 0) file.offset += read;
    return read;
  }
  if (file) {
    // a regular file: what is there, every byte before a fault kept, the offset moved past it
    const there = Math.max(0, Math.min(wanted, file.bytes.length - file.offset));
    if (there === 0) return 0;
    const fits = h.mem.accessibleLength(buf, there, "write");
    if (fits === 0) return -EFAULT;
    h.mem.writeBytes(buf, file.bytes.subarray(file.offset, file.offset + fits));
    file.offset += fits;
    return fits;
  }
  if (s.inputShared && (s.pendingInput > 0 || (!s.eof && h.pauseOnInput))) {
    h.refuse("a read of standard input in a fork's child (which process reads it first is a race)");
  }
  let readable: number;
  while ((readable = s.readable(s.eof || !h.pauseOnInput)) === 0) {
    if (s.eof || !h.pauseOnInput) return 0;
    yield Signal.Input;
  }
  const taken = Math.min(wanted, readable);
  if (!tty) {
    const fits = h.mem.accessibleLength(buf, taken, "write");
    store(h, buf, s.peekInput(fits));
    if (fits < taken) return -EFAULT;
    s.takeInput(taken);
    return taken;
  }
  let stored = 0;
  for (let left = taken; left > 0;) {
    const piece = Math.min(TTY_READ_PIECE, left);
    const fits = h.mem.accessibleLength(buf + stored, piece, "write");
    store(h, buf + stored, s.takeInput(piece).slice(0, fits));
    stored += fits;
    left -= piece;
    if (fits < piece) return stored > 0 ? stored : -EFAULT;
  }
  return stored;
}

function store(h: DescriptorHost, at: number, text: string): void {
  storeText(h.mem, at, text);
}
