/**
 * The C library as heap-exploitation programs use it, each function working on the simulated
 * process: the malloc family through the simulated glibc (`Allocator`), stdio through
 * `stdio.ts` (stdout's buffer a real allocation at the first output), `mmap`/`brk`/`sbrk`
 * through `Process.sys`, threads through the scheduler, `mem*`/`str*` on the process's memory
 * (so they fault where the real ones would). A function the interpreter does not provide is a
 * {@link CUnsupportedError} when the program calls it.
 *
 * Over 500 lines: two tables, `impls` (about 450 lines) and `genImpls` (about 90 lines), with one
 * short independent entry per libc function the interpreter provides, plus the few helpers they
 * share. The natural later split is one table per header (string, stdlib, stdio, unistd, pthread).
 *
 * @module
 */

import type { Allocator } from "../malloc/allocator.ts";
import type { Process } from "../kernel/process.ts";
import { Errno, isSyscallError, SegmentationFault } from "../kernel/errors.ts";
import { BUFSIZ, stdoutBufferSize } from "../malloc/stdio.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../kernel/vma.ts";
import { writingReadOnly } from "./read_only_pages.ts";
import { asprintf } from "./asprintf.ts";
import { assertFail, type AssertFailLibc } from "./assert_fail.ts";
import {
  accessMode,
  type DescriptorHost,
  readDescriptor,
  sizeArgument,
  writeDescriptor,
  writeText,
} from "./descriptors.ts";
import { errorMessage, errorName, unknownErrorText } from "./error_messages.ts";
import { checkStackAlignment } from "./misaligned_stack.ts";
import {
  CURRENTLY_PUTTING,
  EOF_SEEN,
  ERR_SEEN,
  fieldsAside,
  fieldsInMemory,
  fieldsKept,
  fileLayout,
  type FileMemory,
  type FileState,
  IS_FILEBUF,
  NO_WRITES,
  readFileState,
  writeFileState,
} from "./file_layout.ts";
import { FopenFiles } from "./fopen_files.ts";
import {
  type FlushAllCall,
  flushAllFiles as flushFiles,
  type FlushAllHost,
  type FlushAllResult,
  wideOverflowHost,
} from "./flush_all.ts";
import { INVALID_STDIO_HANDLE, type JumpSlot, vtableCall } from "./vtable_check.ts";
import { wideSputn } from "./wfile_xsputn.ts";
import { perror, type PerrorHost } from "./perror.ts";
import { type PutHow, writeToReader } from "./wrong_direction.ts";
import { callThrough } from "../malloc/hooks.ts";
import { ExitHandlers, type ExitHandlersHost } from "./exit_handlers.ts";
import { PROC_BLOCK_SIZE } from "./file_facts.ts";
import type { OpenFiles } from "./open_files.ts";
import { STDIN_FUNCTIONS, type StdinHost } from "./stdin.ts";
import { type ReaderHost, ReadingFile } from "./read_file.ts";
import { StandardFiles } from "./std_files.ts";
import { closeStandardFile, type StdFcloseHost } from "./std_fclose.ts";
import { type FreopenHost, reopenStandard } from "./freopen.ts";
import {
  doFlush,
  flushAll,
  flushBeforeRead,
  modeOf,
  type OutputHost,
  put,
  putc,
  putPrintf,
  setbuffer,
  setvbuf,
  sync,
} from "./output_file.ts";
import { STRING_FUNCTIONS } from "./string_functions.ts";
import { getrandom } from "./getrandom.ts";
import { fork, type ForkHost, getppid, type ProcessFamily, waitpid } from "./fork.ts";
import { dup, dup2, dup3, type DupHost, fcntl } from "./dup.ts";
import { pthreadDetach, pthreadJoin, type ThreadCallHost } from "./pthread_detach.ts";
import {
  attrDestroy,
  attrGetDetachState,
  attrGetGuardSize,
  attrGetStackSize,
  attrInit,
  attrSetDetachState,
  attrSetGuardSize,
  attrSetStackSize,
  type ThreadAttrHost,
  threadAttributes,
  UNMODELLED_ATTR_FUNCTIONS,
} from "./pthread_attr.ts";
import { clockGettime, type ClockHost, gettimeofday, time } from "./clock.ts";
import { type FileStatusHost, statAt, statDescriptor, statPath } from "./file_status.ts";
import { alloca } from "./alloca.ts";
import { BIT_BUILTIN_NAMES, bitBuiltin } from "./bit_builtins.ts";
import { CTYPE_FUNCTIONS } from "./ctype.ts";
import { JumpBuffers } from "./setjmp.ts";
import { parseDouble } from "./strtod.ts";
import type { GlibcRand } from "./rand.ts";
import { SIG_ERR, type SignalDispositions } from "./signal_dispositions.ts";
import { sigaction, type SigactionHost, sigchange, sigfill, sigismember } from "./sigaction.ts";
import { translateMessage } from "./gettext.ts";
import { CRuntimeError, CUnsupportedError } from "./errors.ts";
import { convertInt, type Int } from "./integer.ts";
import {
  type Builtin,
  type BuiltinCall,
  type Machine,
  ProgramAbort,
  ProgramExit,
  Signal,
} from "./interpreter.ts";
import type { Scheduler } from "./scheduler.ts";
import { type InitFini, runDestructors } from "./init_fini.ts";
import { byteText, IOFBF, IOLBF, IONBF, type Streams, textBytes } from "./stdio.ts";
import { formatPrintf } from "./printf_format.ts";
import type { CType, FunctionType } from "./types.ts";
import { MALLINFO_FIELDS } from "./headers.ts";
import { COPIED_LIBC_OBJECTS } from "./program_image.ts";
import { numberOf as n, type Value } from "./values.ts";
import {
  byteCount,
  compareBytes,
  copyPadded,
  sizeMaxRefusal,
  snprintfBytes,
} from "./byte_counts.ts";

/** What the library functions work on. */
export interface LibcHost {
  readonly m: Machine;
  readonly sched: Scheduler;
  readonly process: Process;
  readonly allocator: Allocator;
  readonly streams: Streams;
  readonly programName: string;
  readonly pauseOnInput: boolean;
  /** FILE* values of stdin, stdout, stderr. */
  readonly files: { stdin: number; stdout: number; stderr: number };
  /**
   * Where stdin's, stdout's and stderr's own byte (`_shortbuf`) is: in their FILEs, or in the
   * program's data where libc's data is not the build's.
   */
  readonly shortbufs: { stdin: number; stdout: number; stderr: number };
  /**
   * The words libc's own functions read for stdin, stdout and stderr (`getchar`, `puts`,
   * `perror`): the program's copies (x86_64), else libc's variables (undefined: neither is in
   * memory, and each function uses its FILE).
   */
  readonly variables: { stdin?: number; stdout?: number; stderr?: number };
  /** The files the program may open, and those it has open. */
  readonly openFiles: OpenFiles;
  /** Address of `errno` (the program sees one errno; glibc's is per thread). */
  readonly errno: number;
  /** Address of `environ`. */
  readonly environ: number;
  /** Collects the allocator's explain records made since the last call. */
  noteRecords(): void;
  /** The generator behind `rand()`. */
  readonly rand: GlibcRand;
  /** What `signal()` and `alarm()` set. */
  readonly signals: SignalDispositions;
  /** strerror's buffers for numbers without a message, by thread (-1: the one static buffer). */
  readonly strerrorBuffers: Map<number, number>;
  /** The program's constructors and destructors (`init_fini.ts`). */
  readonly initFini: InitFini;
  /** The forks of the run (`fork.ts`). */
  readonly family: ProcessFamily;
  /** How the program becomes a fork's child, and runs one (`fork.ts`, `program.ts`). */
  readonly children: Pick<ForkHost, "becomeChild" | "runChild" | "position">;
}

type Impl = (h: LibcHost, c: BuiltinCall) => Value;

const EOF = -1;
type GenImpl = (h: LibcHost, c: BuiltinCall) => Generator<Signal, Value>;

/** An integer argument as a number; a 64-bit word from 2^63 up as heaplab's word (negative). */

/** The libc objects a program gets a copy of by naming them (`program_image.ts`). */
const COPIED_NAMES = new Set(COPIED_LIBC_OBJECTS.map((o) => o.name));

/** A word the simulator returned (negative from 2^63 up) as a C pointer or size_t value. */
function fromWord(h: LibcHost, x: number): Value {
  return x < 0 ? convertInt(x, h.m.abi.ptrSize, false) : x;
}

/**
 * Writes text (latin1) to an output stream through its FILE (`output_file.ts`) as `how` glibc's
 * function puts it — `put` (fputs, fwrite, puts' string, perror), `putc` (one byte), or
 * printf's (where its pieces end). The stream is stdout's FILE (1), stderr's (2) or a FILE fopen
 * opened for writing (its address: see {@link outputStream}), whatever descriptor each writes to.
 * False when the FILE may not write (see {@link failedWrite}).
 */
export function writeStream(
  h: LibcHost,
  stream: number,
  text: string,
  how: "put" | "putc" | number[] = "put",
): boolean {
  if (stream >= 3) return writeToFile(h, stream, text, how), true;
  if (stream !== 1 && stream !== 2) return true;
  const file = stream === 1 ? stdoutHost(h) : stderrHost(h);
  // printf, puts, fputs, fwrite and perror orient the FILE to bytes; a byte put does when it
  // overflows
  if (how !== "putc" && file.file.mode === 0) file.file.mode = -1;
  if (how === "put" && text.length === 0) return true;
  if (file.file.flags & NO_WRITES) return failedWrite(h, file.file, how);
  if (Array.isArray(how)) putPrintf(file, text, how);
  else if (how === "putc") putc(file, text);
  else put(file, text);
  return true;
}

/**
 * A write to stdout or stderr flagged `_IO_NO_WRITES` (fclose closed it): vfprintf's ARGCHECK,
 * or the `_IO_new_file_overflow` that a put area without room calls — the error indicator set,
 * errno EBADF, nothing written. A put area with room (a program's forged flags) is refused.
 */
function failedWrite(h: LibcHost, f: FileState, how: "put" | "putc" | number[]): false {
  if (!Array.isArray(how) && f.writePtr < f.writeEnd) {
    refuse(h, "a write into the put area of a FILE flagged _IO_NO_WRITES");
  }
  f.flags |= ERR_SEEN;
  h.m.mem.write32(h.errno, Errno.EBADF);
  return false;
}

/**
 * A view of the program that a library module works with, made once per program (the C
 * library's calls ask for it at every output, read and write).
 */
function perHost<T>(make: (h: LibcHost) => T): (h: LibcHost) => T {
  const made = new WeakMap<LibcHost, T>();
  return (h) => {
    let view = made.get(h);
    if (view === undefined) made.set(h, view = make(h));
    return view;
  };
}

/**
 * What a FILE written through glibc's fileops works with: its fields (`fields`), its descriptor
 * `fd`, its own byte, how its buffer is made — stdout's and stderr's as the allocator models
 * stdio's first output (`standard`), any other's by a malloc of a regular file's st_blksize —
 * and where its vtable pointer lies in memory (`vtable`, with the FILE's name), checked before
 * each call through it (none where libc's data is not the build's, or glibc checked it already);
 * where it is given, the FILE's `_total_written` (2.42+) counts what each write(2) wrote.
 */
function fileOutput(
  h: LibcHost,
  fd: number,
  fields: () => FileState,
  shortbuf: number,
  standard: boolean,
  vtable?: { at: number; file: string },
  offset?: OutputHost["offset"],
): OutputHost {
  // what fstat(fd) finds now: the run's stream (0-2, or a dup of one), or a file the program
  // opened (on 0-2 too, after a close or a dup2)
  const kind = () =>
    h.openFiles.stream(fd) !== undefined ||
      (h.openFiles.file(fd) === undefined && fd < 3)
      ? h.streams.kind
      : "file";
  const fileJumps = h.allocator.libc.symbol("_IO_file_jumps");
  // _IO_new_file_write adds what each write(2) wrote to _total_written (2.42+), in memory
  const F = fileLayout(h.m.abi), fp = vtable === undefined ? undefined : vtable.at - F.vtable;
  // _IO_new_file_write: a failed write(2) leaves its errno
  const failed = (written: number) => {
    if (written >= 0) return written;
    h.m.mem.write32(h.errno, -written);
    return -1;
  };
  const counted = (written: number) => {
    if (fp === undefined || written <= 0 || !h.allocator.profile.fileTotalWritten) return written;
    const at = fp + F.totalWritten;
    h.m.writePointer(at, h.m.readPointer(at) + written);
    return written;
  };
  return {
    checkVtable: vtable === undefined ? () => {} : (slot) => {
      const pointer = h.m.readPointer(vtable.at);
      if (pointer !== fileJumps) checkVtable(h, pointer, slot, vtable.file);
    },
    get file() {
      return fields();
    },
    get seekable() {
      return kind() === "file";
    },
    allocate: () => {
      // glibc's _IO_file_doallocate
      const size = stdoutBufferSize(kind());
      if (!standard || reopenedStreams(h).has(fd)) {
        return { address: mallocCall(h, () => h.allocator.malloc(size)), size };
      }
      const address = h.allocator.printf({ stdout: kind() });
      h.noteRecords();
      return { address, size };
    },
    release: (address) => {
      if (h.allocator.profile.stdioBuffers === "malloc") {
        mallocCall(h, () => h.allocator.free(address));
      }
    },
    store: (address, text) => h.m.writeText(address, text),
    writeText: (text) => failed(counted(writeText(descriptorHost(h), fd, text))),
    writeFrom: (address, count) =>
      failed(counted(writeDescriptor(descriptorHost(h), fd, address, count))),
    printfIntoBuffer: h.allocator.profile.printfIntoBuffer,
    shortbuf,
    offset,
    get terminal() {
      return kind() === "tty";
    },
    refuse: (what) => refuse(h, what),
  };
}

/**
 * glibc's call through `slot` of a FILE's vtable pointer other than `_IO_file_jumps`
 * (`vtable_check.ts`), where the caller models only fileops: outside libc's vtables the process
 * ends with glibc's message; a slot holding the function `_IO_file_jumps` has there goes on as
 * fileops; another function is refused by name.
 */
function checkVtable(h: LibcHost, pointer: number, slot: JumpSlot, file: string): void {
  const call = vtableCall(h.allocator.libc, h.allocator.profile.vtableValidation, pointer, slot);
  if (call === "file") return;
  if (call === "invalid") {
    glibcMessage(h, INVALID_STDIO_HANDLE);
    throw new ProgramAbort("invalid stdio handle");
  }
  refuse(h, `a call of ${slot} through ${file}'s vtable ${call.vtable} ${reaches(call.function)}`);
}

/** How a refusal names the function a vtable's slot holds. */
function reaches(fn: string | null | undefined): string {
  return fn === undefined
    ? "reaches a word libc's vtables do not hold"
    : `reaches ${fn ?? "a NULL word"}`;
}

/** The FILE fopen opened for writing at `address`: its output host, its fields loaded. */
function writerAt(h: LibcHost, address: number): { address: number; host: OutputHost } {
  const files = fopenFiles(h), fd = files.writer(address)!.fd;
  files.loadWriter(address);
  let host = writerHosts(h).get(address);
  if (host === undefined) {
    const F = fileLayout(h.m.abi), shortbuf = address + F.shortbuf;
    const vtable = standardFiles(h) && { at: address + F.vtable, file: "a fopen'ed FILE" };
    const fields = () => files.writer(address)!.fields;
    host = fileOutput(h, fd, fields, shortbuf, false, vtable, offsetOf(h, address, fd));
    writerHosts(h).set(address, host);
  }
  return { address, host };
}

const writerHosts = perHost(() => new Map<number, OutputHost>());

/** A fopen'ed FILE's `_offset` and its descriptor's offset, as `new_do_write` keeps them. */
function offsetOf(h: LibcHost, address: number, fd: number): OutputHost["offset"] {
  const at = address + fileLayout(h.m.abi).offset, mem = h.m.mem;
  const read = () => (mem.read32(at + 4) | 0) * 2 ** 32 + mem.read32(at);
  const write = (value: number) => {
    const low = ((value % 2 ** 32) + 2 ** 32) % 2 ** 32;
    mem.write32(at, low);
    mem.write32(at + 4, Math.floor((value - low) / 2 ** 32) >>> 0);
  };
  return {
    seek: (delta) => {
      const file = h.openFiles.file(fd);
      if (file === undefined || file.offset + delta < 0) return false;
      write(file.offset += delta);
      return true;
    },
    forget: () => write(-1),
    wrote: (count) => {
      if (count > 0 && read() >= 0) write(read() + count);
    },
  };
}

/** {@link writeStream} to a FILE fopen opened for writing: its fields read, run, written back. */
function writeToFile(h: LibcHost, file: number, text: string, how: "put" | "putc" | number[]) {
  const { address, host } = writerAt(h, file);
  if (how !== "putc" && host.file.mode === 0) host.file.mode = -1;
  if (Array.isArray(how)) putPrintf(host, text, how);
  else if (how === "putc") putc(host, text);
  else put(host, text);
  fopenFiles(h).settleWriter(address);
}

const stdoutHost = perHost((h) =>
  fileOutput(h, 1, () => h.streams.stdout, h.shortbufs.stdout, true, standardVtable(h, "stdout"))
);
const stderrHost = perHost((h) =>
  fileOutput(h, 2, () => h.streams.stderr, h.shortbufs.stderr, true, standardVtable(h, "stderr"))
);

/** Where stdout's or stderr's vtable pointer is, where libc's data is the build's. */
function standardVtable(h: LibcHost, file: "stdout" | "stderr") {
  return standardFiles(h) && { at: h.files[file] + fileLayout(h.m.abi).vtable, file };
}

/**
 * glibc's `_IO_flush_all` (`flush_all.ts`), as exit, fflush(NULL) and an abort of glibc before
 * 2.27 run it (`call`): fopen'ed writers, stderr, stdout and FILEs
 * a program forged and linked in (FSOP), in `_IO_list_all`'s order — where libc's data is not the
 * build's, the FILEs heaplab knows. 0, EOF when a write failed, or "aborted" when a vtable check
 * ended the process.
 */
export function flushAllFiles(h: LibcHost, call: FlushAllCall): Generator<Signal, FlushAllResult> {
  return flushFiles(flushHost(h), call);
}

/** What `_IO_flush_all` works with in the program's process. */
const flushHost = perHost((h): FlushAllHost => {
  const m = h.m, F = fileLayout(m.abi), libc = h.allocator.libc;
  const memory = {
    read32: (a: number) => m.mem.read32(a),
    readPointer: (a: number) => m.readPointer(a),
    write32: (a: number, v: number) => m.mem.write32(a, v),
    writePointer: (a: number, v: number) => m.writePointer(a, v),
  };
  return {
    ...memory,
    layout: F,
    ptrSize: m.abi.ptrSize,
    libc,
    profile: h.allocator.profile,
    files: () => {
      const listAll = standardFiles(h) && libc.symbol("_IO_list_all");
      return listAll === undefined
        ? [...fopenFiles(h).writers(), h.files.stderr, h.files.stdout]
        : listed(h, listAll);
    },
    flushOwn: (fp) => {
      const fopened = fopenFiles(h), files = standardFiles(h);
      if (fopened.writer(fp) !== undefined) {
        const { host } = writerAt(h, fp);
        const result = flushAll(host);
        fopened.settleWriter(fp);
        return result;
      } else if (fp === h.files.stdout || fp === h.files.stderr) {
        // another vtable than fileops': walked in memory as a forged FILE is, through its slots
        if (files && m.readPointer(fp + F.vtable) !== libc.symbol("_IO_file_jumps")) return;
        files?.load();
        try {
          return flushAll(fp === h.files.stdout ? stdoutHost(h) : stderrHost(h));
        } finally {
          files?.settle();
        }
      }
      return fp === h.files.stdin || fopened.stream(fp) !== undefined ? 0 : undefined;
    },
    fileOverflow: (fp, only) => {
      // _IO_new_file_overflow (or its _IO_do_write) on the FILE's own fields, to its descriptor
      const fields = readFileState(memory, F, fp), fd = m.mem.read32(fp + F.fileno) | 0;
      const host = fileOutput(h, fd, () => fields, fp + F.shortbuf, false);
      const result = only === "write" ? doFlush(host) : flushAll(host);
      writeFileState(memory, F, fp, fields);
      return result;
    },
    malloc: (size) => {
      if (h.allocator.profile.stdioBuffers !== "malloc") refuse(h, "a stdio buffer mmap'ed");
      return mallocCall(h, () => h.allocator.malloc(size));
    },
    free: (pointer) => mallocCall(h, () => h.allocator.free(pointer)),
    fileBuffer: (fd) => {
      // fstat: a file the program opened, stdout as the run gives it, EBADF for none
      const kind = h.streams.kind;
      if (h.openFiles.file(fd) !== undefined) {
        return { size: stdoutBufferSize("file"), terminal: false };
      }
      const stream = h.openFiles.stream(fd);
      if (stream === 1) return { size: stdoutBufferSize(kind), terminal: kind === "tty" };
      if (stream !== undefined) {
        refuse(h, `a stdio buffer sized by fstat of descriptor ${fd}`);
      }
      return { size: BUFSIZ, terminal: false };
    },
    callAt: (slot, args, via, call) => callAt(h, slot, args, via, call),
    threadSelf: () => h.sched.current.handle || pthreadSelfMain(h),
    fatal: (message) => glibcMessage(h, message),
    refuse: (what) => refuse(h, what),
  };
});

/** Each program's exit handlers, where they are modelled (`exit_handlers.ts`). */
const exitHandlerSets = new WeakMap<LibcHost, ExitHandlers>();

/**
 * ld.so's and `__libc_start_main`'s setup of exit's list and the guards, AT_RANDOM's bytes being
 * at `atRandom`, the program's `__dso_handle` at `dsoHandle` (libc's real data, x86_64's or
 * i386's; elsewhere nothing).
 */
export function startExitHandlers(h: LibcHost, atRandom: number, dsoHandle: number): void {
  const libc = h.allocator.libc;
  if (libc.placement === "packed" || !libc.symbol("initial")) return;
  exitHandlerSets.set(h, new ExitHandlers(exitHandlersHost(h), atRandom, dsoHandle));
}

/** exit's run of the handlers: the status it ends with. */
export function* runExitHandlers(h: LibcHost, status: number): Generator<Signal, number> {
  const handlers = exitHandlerSets.get(h);
  if (handlers) return yield* handlers.run(status);
  // (no exit list in memory: _dl_fini's destructors all the same)
  yield* runDestructors(h.initFini.finiArray, (fn) => h.sched.callFunction(fn, []));
  return status;
}

function exitHandlers(h: LibcHost, call: string): ExitHandlers {
  return exitHandlerSets.get(h) ??
    refuse(h, `${call} without libc's real data (exit's list is not checked there)`);
}

function exitHandlersHost(h: LibcHost): ExitHandlersHost {
  const m = h.m, mem = m.mem, libc = h.allocator.libc, space = h.process.space;
  const library = (path: string | undefined) => /\/(libc|ld-linux)[^/]*$/.test(path ?? "");
  return {
    libc,
    profile: h.allocator.profile,
    read8: (a) => mem.read8(a),
    write8: (a, v) => mem.write8(a, v),
    read32: (a) => mem.read32(a),
    write32: (a, v) => mem.write32(a, v),
    threadPointer: pthreadSelfMain(h),
    // (before main starts: the main thread)
    currentThreadPointer: () => libc.threadPointer(h.sched.current?.thread ?? h.process.mainThread),
    ldBase: libc.ldBase,
    isWritable: (a) => ((space.areaAt(a)?.prot ?? 0) & PROT_WRITE) !== 0,
    writeRelro32: (a, v) => writingReadOnly(space, a, a + 4, () => mem.write32(a, v)),
    inLibrary: (a) => library(space.areaAt(a)?.file?.path),
    seed: h.allocator.context.randomState,
    calloc: (size) => mallocCall(h, () => h.allocator.calloc(1, size)),
    free: (p) => mallocCall(h, () => h.allocator.free(p)),
    *call(target, args, via) {
      const address = target <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(target) : undefined;
      const fn = address === undefined ? undefined : m.byAddress.get(address);
      if (fn && "body" in fn) yield* h.sched.callFunction(fn, [...args]);
      else callThrough(h.allocator.context, address ?? target, [...args], via, "exit");
    },
    refuse: (what) => refuse(h, what),
    finiArray: h.initFini.finiArray.map((fn) => fn.address),
  };
}

/**
 * A call glibc makes through a pointer the program could overwrite (`via`, read from `slot`): a
 * C function of the program runs on the calling thread; anything else is as the hooks' calls are
 * (`hooks.ts`: system spawns a shell, garbage faults). What it returns.
 */
function* callAt(
  h: LibcHost,
  slot: number,
  args: number[],
  via: string,
  call: string,
): Generator<Signal, number> {
  const word = h.m.readPointer(slot);
  const fn = h.m.byAddress.get(word);
  if (fn && "body" in fn) {
    const result = yield* h.sched.callFunction(fn, args);
    return typeof result === "bigint" ? Number(BigInt.asUintN(64, result)) : Number(result);
  }
  const target = Number.isSafeInteger(word)
    ? word
    : (BigInt(h.m.mem.read32(slot + 4)) << 32n) | BigInt(h.m.mem.read32(slot));
  return callThrough(h.allocator.context, target, args, via, call);
}

/**
 * The wide function (`wfile_xsputn.ts`) a call of `__xsputn` through the vtable of FILE `fp`
 * reaches, or undefined (fileops', or a call the caller's check aborts or refuses).
 */
function wideXsputn(h: LibcHost, fp: number) {
  const vtable = h.m.readPointer(fp + fileLayout(h.m.abi).vtable), libc = h.allocator.libc;
  if (vtable === libc.symbol("_IO_file_jumps")) return undefined;
  const call = vtableCall(libc, h.allocator.profile.vtableValidation, vtable, "__xsputn");
  if (call === "file" || call === "invalid") return undefined;
  const fn = call.function;
  return fn === "_IO_wfile_overflow" || fn === "_IO_wfile_xsputn" ? fn : undefined;
}

/** The FILEs on `_IO_list_all` as libc's memory chains them (each once). */
function listed(h: LibcHost, listAll: number): number[] {
  const chain = fileLayout(h.m.abi).chain, out: number[] = [];
  for (let fp = h.m.readPointer(listAll); fp !== 0 && !out.includes(fp);) {
    out.push(fp);
    fp = h.m.readPointer(fp + chain);
  }
  return out;
}

/** stdin's, stdout's and stderr's FILEs in libc's memory, kept as glibc keeps them (if libc's data is the build's). */
const standardFiles = perHost((h) =>
  h.allocator.libc.placement === "packed" ? undefined : new StandardFiles({
    write32: (address, value) => h.m.mem.write32(address, value),
    writePointer: (address, value) => h.m.writePointer(address, value),
    read32: (address) => h.m.mem.read32(address),
    readPointer: (address) => h.m.readPointer(address),
    layout: fileLayout(h.m.abi),
    streams: h.streams,
    files: h.files,
  })
);

/**
 * The output stream ({@link outputStream}) of the FILE libc's `stdout` (or `stderr`) variable
 * points to, which puts, printf and putchar (perror) write to: the word is the program's copy on
 * x86_64, which ld makes the one libc uses, libc's own where the program has none, and on i386
 * (reached through the GOT), so `stdout = stderr` — or a write to libc's word — sends their
 * output to stderr. Another FILE (a forged one, stdin's) is refused by name: its writes are not
 * modelled.
 */
function variableStream(h: LibcHost, name: "stdout" | "stderr"): number {
  const variable = h.variables[name], own = name === "stdout" ? 1 : 2;
  if (variable === undefined) return own;
  const fp = h.m.readPointer(variable);
  if (fp === h.files.stdout) return 1;
  if (fp === h.files.stderr) return 2;
  if (fopenFiles(h).writer(fp) !== undefined) return fp;
  refuse(h, `a write through ${name} pointing at 0x${fp.toString(16)}, not a FILE heaplab writes`);
}

function stdoutStream(h: LibcHost): number {
  return variableStream(h, "stdout");
}

/**
 * fileno: the FILE's `_fileno`. For stdin, stdout and stderr, as libc's memory holds them, -1
 * with EBADF for one fclose closed (`_fileno` -1) or without `_IO_IS_FILEBUF` (fd_reuse/).
 */
function streamFd(h: LibcHost, f: Value): number {
  const a = n(f), standard = [h.files.stdin, h.files.stdout, h.files.stderr].indexOf(a);
  if (standard >= 0) {
    if (!standardFiles(h)) return standard;
    const F = fileLayout(h.m.abi), fd = h.m.mem.read32(a + F.fileno) | 0;
    if (fd >= 0 && (h.m.mem.read32(a + F.flags) & IS_FILEBUF)) return fd;
    h.m.mem.write32(h.errno, Errno.EBADF);
    return -1;
  }
  return fopenFiles(h).readerFd(a) ?? fopenFiles(h).writer(a)?.fd ?? -1;
}

/** stdin's FILE, or a FILE fopen opened for reading only, which `f` points to. */
function readOnlyFile(h: LibcHost, f: Value): ReadingFile | undefined {
  const files = fopenFiles(h), a = n(f);
  // stdin's FILE is opened for reading whatever descriptor 0 is (stdio_errors/stdin_written.c)
  if (a === h.files.stdin) return stdinFile(h);
  return files.writer(a) === undefined ? files.stream(a) : undefined;
}

/**
 * fprintf, fputs, fputc and fwrite of `text` to FILE* `f`, as `how` puts it: through its output
 * stream ({@link writeStream}), or into one fopen opened for reading only, where glibc's write
 * fails (`wrong_direction.ts`). Whether it was written.
 */
function putToFile(h: LibcHost, c: BuiltinCall, f: Value, text: string, how: PutHow): boolean {
  const reader = readOnlyFile(h, f);
  if (reader === undefined) return writeStream(h, outputStream(h, c, f), text, how);
  const host = {
    layout: fileLayout(h.m.abi),
    setErrno: (errno: number) => h.m.mem.write32(h.errno, errno),
    refuse: (what: string) => refuse(h, what),
  };
  return writeToReader(host, reader, how, text.length);
}

/**
 * The stream fprintf writes to, for its stack check ({@link checkPrintfStack}): its output
 * stream, or a FILE fopen opened for reading only (its address: its vfprintf fails first).
 */
function printfStream(h: LibcHost, c: BuiltinCall, f: Value): number {
  return readOnlyFile(h, f) ? n(f) : outputStream(h, c, f);
}

/**
 * The output stream a FILE* that is written to, flushed or given a buffer names: stdin's FILE
 * (0), stdout's (1), stderr's (2), or a FILE fopen opened for writing (its address) — the FILE,
 * not its descriptor: after `fclose(stdout)` a fopen'ed FILE may write to descriptor 1. Flushing
 * or setting the buffer of a FILE fopen opened for reading is refused (a write to it fails:
 * {@link putToFile}); a pointer that is no FILE too (`unknownFile`).
 */
function outputStream(h: LibcHost, c: BuiltinCall, f: Value): number {
  const a = n(f), files = fopenFiles(h);
  const standard = [h.files.stdin, h.files.stdout, h.files.stderr].indexOf(a);
  if (standard >= 0) return standard;
  if (files.writer(a) !== undefined) return a;
  if (files.stream(a) === undefined) unknownFile(h, a, "a write to");
  throw new CUnsupportedError(
    "flushing or setting the buffer of a FILE fopen opened for reading",
    h.m.file,
    c.line,
  );
}

function printfText(
  h: LibcHost,
  c: BuiltinCall,
  fmtIndex: number,
  pieces?: number[],
): string {
  const m = h.m;
  const fmt = m.cString(c.args[fmtIndex] as Int);
  const first = fmtIndex + 1;
  return formatPrintf(
    fmt,
    {
      at: (position) =>
        first + position < c.args.length
          ? { value: c.args[first + position] as Int, type: c.types[first + position] }
          : undefined,
      errorText: (alt) => {
        const e = m.mem.read32(h.errno) | 0;
        // __get_errname: the name, or the number when it has none; no translation
        if (alt && h.allocator.profile.printfErrnoName) {
          return errorName(e, h.allocator.profile) ?? String(e);
        }
        return errorText(h, e); // __strerror_r into printf's own buffer
      },
      refuse: (what) => new CUnsupportedError(`printf with ${what}`, m.file, c.line),
      missing: (position) =>
        new CUnsupportedError(
          `a format that reads argument ${position + 1} of ${c.args.length - first} passed ` +
            `(${JSON.stringify(fmt.length > 40 ? fmt.slice(0, 40) + "…" : fmt)}: a format-string ` +
            "bug; real printf reads whatever a register or the stack holds there)",
          m.file,
          c.line,
        ),
      cString: (a, limit) => m.cString(a, limit),
      storeCount: (a, count, length) => {
        const addr = n(a);
        if (length === "hh") m.mem.write8(addr, count & 0xff);
        else if (length === "h") m.mem.write16(addr, count & 0xffff);
        else if (length === "l" || length === "z" || length === "ll") {
          if (m.abi.ptrSize === 8 || length === "ll") m.mem.write64(addr, count);
          else m.mem.write32(addr, count);
        } else m.mem.write32(addr, count);
      },
    },
    m.abi.ptrSize,
    pieces,
  );
}

/** A v*printf call as the *printf call it stands for: the va_list's arguments spliced in. */
function withVaList(h: LibcHost, c: BuiltinCall, fmtIndex: number): BuiltinCall {
  const list = h.m.vaLists.get(n(c.args[fmtIndex + 1]));
  if (!list) throw new CRuntimeError("a va_list that va_start did not set", h.m.file, c.line);
  return {
    ...c,
    args: [...c.args.slice(0, fmtIndex + 1), ...list.values.slice(list.next)],
    types: [...c.types.slice(0, fmtIndex + 1), ...list.types.slice(list.next)],
  };
}

/**
 * A new va_list's handle (the value C holds in its `va_list`), the program's own: counted by its
 * machine's lists (never deleted), so that a re-run writes the same value (`rewind.ts`).
 */
function vaHandle(h: LibcHost): number {
  return (h.m.abi.ptrSize === 8 ? 0x7ff000000000 : 0xf0000000) + 16 * (h.m.vaLists.size + 1);
}

/** A raw system call result as libc returns it: -1 with errno set, or the result. */
function sysResult(h: LibcHost, r: number, fail: Value = -1): Value {
  if (!isSyscallError(r)) return r;
  h.m.mem.write32(h.errno, -r);
  return fail;
}

/** `struct mallinfo` (int counters) or `struct mallinfo2` (size_t) as the bytes C receives. */
function mallinfoBytes(h: LibcHost, size: number): Uint8Array {
  const info = size === 4 ? h.allocator.mallinfo() : h.allocator.mallinfo2();
  const bytes = new Uint8Array(MALLINFO_FIELDS.length * size);
  const view = new DataView(bytes.buffer);
  MALLINFO_FIELDS.forEach((name, i) => {
    const v = BigInt(info[name]);
    if (size === 8) view.setBigUint64(i * 8, BigInt.asUintN(64, v), true);
    else view.setUint32(i * 4, Number(BigInt.asUintN(32, v)), true);
  });
  return bytes;
}

/**
 * The malloc family, memory and stderr as glibc's own routines use them (`assert_fail.ts`,
 * `gettext.ts`): their calls are the program's calls, recorded as such.
 */
function libcCalls(h: LibcHost): AssertFailLibc {
  const a = h.allocator;
  return {
    profile: a.profile,
    malloc: (size) => mallocCall(h, () => a.malloc(size)),
    realloc: (pointer, size) => mallocCall(h, () => a.realloc(pointer, size)),
    free: (pointer) => mallocCall(h, () => a.free(pointer)),
    store: (address, bytes) => h.m.mem.writeBytes(address, bytes),
    print: (message) => {
      // up to 2.42 `__fxprintf (NULL, …)` and `fflush (stderr)` on libc's `stderr` variable; the
      // direct message (2.43 on) is write(2) (std_streams_assert/)
      if (a.profile.assertMessage === "direct") return glibcMessage(h, message);
      const stream = variableStream(h, "stderr");
      writeStream(h, stream, message);
      if (stream === 1) sync(stdoutHost(h));
      else if (stream >= 3) sync(writerAt(h, stream).host);
    },
  };
}

/**
 * glibc's message for error number `e` as perror and printf's %m write it into a buffer of
 * their own, after the one dcgettext call behind it: the message, or "Unknown error N".
 */
function errorText(h: LibcHost, e: number): string {
  translateMessage(libcCalls(h));
  return errorMessage(e, h.allocator.profile) ??
    unknownErrorText(e, h.allocator.profile, h.m.abi.ptrSize === 8 ? 64 : 32);
}

/**
 * strerror(e): the address of its text. A message is libc's own string (after dcgettext's
 * call). "Unknown error N" goes into a buffer glibc keeps: up to 2.31 one static malloc of 1024
 * bytes, made at the first such number, with a dcgettext call before and after it; from 2.32 a
 * per-thread string, the previous one freed, built by asprintf after the dcgettext call
 * (`strerrorUnknownBuffer`; seen under gdb on the real builds, tests/fixtures/c/libc_calls/).
 */
function strerrorString(h: LibcHost, e: number, line: number): number {
  const profile = h.allocator.profile, libc = libcCalls(h);
  const message = errorMessage(e, profile);
  if (message !== undefined) {
    translateMessage(libc);
    return h.m.literal([...textBytes(message)], line);
  }
  const text = unknownErrorText(e, profile, h.m.abi.ptrSize === 8 ? 64 : 32);
  const owner = profile.strerrorUnknownBuffer === "static-1024" ? -1 : h.process.currentThread.tid;
  let buffer = h.strerrorBuffers.get(owner) ?? 0;
  if (profile.strerrorUnknownBuffer === "static-1024") {
    translateMessage(libc); // __strerror_r (errnum, NULL, 0)
    if (buffer === 0) buffer = libc.malloc(1024);
    if (buffer === 0) return h.m.literal([...textBytes("Unknown error")], line);
    h.strerrorBuffers.set(owner, buffer);
    translateMessage(libc);
    libc.store(buffer, textBytes(text + "\0"));
    return buffer;
  }
  libc.free(buffer);
  translateMessage(libc);
  buffer = asprintf(libc, textBytes(text), profile.asprintfStart);
  h.strerrorBuffers.set(owner, buffer);
  return buffer !== 0 ? buffer : h.m.literal([...textBytes("Unknown error")], line);
}

/**
 * glibc's own message about to end the process (malloc's, an assertion's, a vtable check's):
 * write(2) of it to descriptor 2, whatever that is now — a file the program opened after
 * closing stderr takes it, a closed or read-only one loses it (fd_reuse/).
 */
export function glibcMessage(h: LibcHost, text: string): void {
  writeText(descriptorHost(h), 2, text);
}

/**
 * What perror (`perror.ts`) works with, for message `msg` and error number `e`: the FILE libc's
 * `stderr` points to ({@link variableStream}), as its fields are in memory (stdout's and
 * stderr's kept fields where libc's data is not the build's), and the descriptor table — the
 * standard descriptors still on what the run gave, and files opened on any descriptor, 0-2 too.
 */
function perrorHost(h: LibcHost, msg: string, e: number): PerrorHost {
  const F = fileLayout(h.m.abi), stream = variableStream(h, "stderr"), files = standardFiles(h);
  const fp = stream === 1 ? h.files.stdout : stream === 2 ? h.files.stderr : stream;
  return {
    stderrFields: () => {
      if (files === undefined && stream < 3) {
        const kept = stream === 1 ? h.streams.stdout : h.streams.stderr;
        return { flags: kept.flags, mode: kept.mode, fileno: stream };
      }
      const word = (at: number) => h.m.mem.read32(fp + at) | 0;
      return { flags: word(F.flags), mode: word(F.mode), fileno: word(F.fileno) };
    },
    access: (fd) => {
      const mode = accessMode(descriptorHost(h), fd);
      if (mode === undefined) return undefined;
      // a file opened on it (0-2 too, after a close), or stdout's and stderr's run a file
      const file = h.openFiles.file(fd) !== undefined, stream = h.openFiles.stream(fd);
      return { mode, regularFile: file || (!!stream && h.streams.kind === "file") };
    },
    lowestFree: () => h.openFiles.lowestFree(),
    setErrno: (errno) => h.m.mem.write32(h.errno, errno),
    message: () => {
      const colon = msg ? ": " : "", text = errorText(h, e);
      return {
        text: `${msg}${colon}${text}\n`,
        pieces: [msg.length, msg.length + colon.length, msg.length + colon.length + text.length],
      };
    },
    writeStderr: (text) => void writeStream(h, stream, text),
    writeThroughDup: (original, dup, message) => {
      const opened = fopenFiles(h), address = opened.fdopen(dup);
      if (address === 0) return false;
      const { text, pieces } = message();
      // its writes go where the descriptor it duplicates writes
      const fields = () => opened.writer(address)!.fields, shortbuf = address + F.shortbuf;
      const vtable = { at: address + F.vtable, file: "perror's FILE" };
      const host = fileOutput(h, original, fields, shortbuf, false, vtable);
      opened.loadWriter(address);
      host.file.mode = -1; // vfprintf orients it
      putPrintf(host, text, pieces);
      if (host.file.flags & CURRENTLY_PUTTING) sync(host); // fclose
      opened.settleWriter(address);
      opened.close(address);
      return true;
    },
    refuse: (what) => refuse(h, what),
  };
}

/** What read(2) and write(2) see of the program. */
const descriptorHost = perHost((h): DescriptorHost => ({
  mem: h.m.mem,
  streams: h.streams,
  ptrSize: h.m.abi.ptrSize,
  pauseOnInput: h.pauseOnInput,
  openFiles: h.openFiles,
  refuse: (what) => refuse(h, what),
}));

/**
 * Refuses fclose of a FILE fopen made that read ahead (or holds pushed-back bytes) on a file a
 * dup shares: glibc 2.44's _IO_file_close_it seeks the shared offset back over what the FILE did
 * not hand out, which is not modelled (before 2.44 it closes without a seek).
 */
function readAheadOnSharedFile(h: LibcHost, address: number): void {
  const files = fopenFiles(h), fd = files.readerFd(address), F = fileLayout(h.m.abi);
  const reading = files.stream(address);
  if (fd === undefined || reading === undefined || !h.openFiles.shared(fd)) return;
  const field = (at: number) => reading.fields.pointer(at);
  if (field(F.readPtr) < field(F.readEnd) || field(F.saveBase) !== 0) {
    refuse(h, `fclose of a FILE that read ahead on descriptor ${fd}, which a dup shares`);
  }
}

/** What dup, dup2 and dup3 work on. */
const dupHost = perHost((h): DupHost => ({
  openFiles: h.openFiles,
  fopenUses: (fd) => fopenFiles(h).uses(fd),
  refuse: (what) => refuse(h, what),
}));

/** A file offset argument (lseek, fseek) as a number: one past 2^53 is refused, not rounded. */
function fileOffset(h: LibcHost, v: Value): number {
  const offset = BigInt(v as Int);
  if (offset > 2n ** 53n || offset < -(2n ** 53n)) refuse(h, `a file offset of ${offset}`);
  return Number(offset);
}

/** A `CUnsupportedError` for `what`, at the line running (or the last one, after main). */
/** Refuses `call` given exactly `(size_t) -1` where glibc's releases differ (`byte_counts.ts`). */
function sizeMax(h: LibcHost, call: string, count: Value): void {
  const refusal = sizeMaxRefusal(call, count, h.m.abi.ptrSize === 8 ? 64 : 32);
  if (refusal) refuse(h, refusal);
}

function refuse(h: LibcHost, what: string): never {
  const line = h.sched.current?.frames.at(-1)?.line ?? h.sched.lastLine;
  throw new CUnsupportedError(what, h.m.file, line);
}

/** The setjmp calls the program made (`setjmp.ts`). */
const jumpBuffers = perHost(() => new JumpBuffers());

function setjmpCall(h: LibcHost, c: BuiltinCall): Value {
  return jumpBuffers(h).setjmp(n(c.args[0]), c.frame, h.sched.current, (w) => refuse(h, w));
}

function longjmpCall(h: LibcHost, c: BuiltinCall): Value {
  const value = n(c.args[1]);
  return jumpBuffers(h).longjmp(n(c.args[0]), value, h.sched.current, (w) => refuse(h, w));
}

/** alloca(size) on the calling thread's stack, as gcc places it (`alloca.ts`). */
function allocaCall(h: LibcHost, c: BuiltinCall): Value {
  const P = h.m.abi.ptrSize;
  return alloca(h.sched.current, sizeArgument(c.args[0] as Int, P), P);
}

/** What fork, wait, waitpid and getppid work with (`fork.ts`). */
const forkHost = perHost((h): ForkHost => ({
  family: h.family,
  threadRefusal: () => {
    if (h.sched.current.thread.index !== 0) return "inside a thread";
    const others = h.process.threads.some((t) => t.index !== 0 && t.state === "running");
    return others ? "while another thread runs" : undefined;
  },
  catchesChildSignal: (signal) => (h.signals.action(signal)?.handler ?? 0) > 1,
  childPid: () => h.process.childPid(),
  pid: () => h.process.pid,
  ...h.children,
  storeStatus: (address, status) => {
    if (h.m.mem.accessibleLength(address, 4, "write") < 4) return false;
    h.m.mem.write32(address, status);
    return true;
  },
  refuse: (what) => refuse(h, what),
}));

/** getrandom(buf, count, flags) on the simulation's random source (`getrandom.ts`). */
function getrandomCall(h: LibcHost, c: BuiltinCall): Value {
  const host = {
    mem: h.m.mem,
    ptrSize: h.m.abi.ptrSize,
    kernelGetrandom: h.process.kernel.getrandom,
    glibcUsesVdso: h.allocator.profile.getrandomVdso,
    random32: () => h.allocator.context.random32(),
    refuse: (what: string) => refuse(h, what),
  };
  const count = sizeArgument(c.args[1] as Int, h.m.abi.ptrSize);
  return sysResult(h, getrandom(host, n(c.args[0]), count, n(c.args[2]) >>> 0));
}

/** What stat and its kin see of the program (`file_status.ts`). */
const fileStatusHost = perHost((h): FileStatusHost => ({
  mem: h.m.mem,
  ptrSize: h.m.abi.ptrSize,
  streams: h.streams,
  openFiles: h.openFiles,
  refuse: (what) => refuse(h, what),
}));

/** What the clock's functions see of the program (`clock.ts`). */
const clockHost = perHost((h): ClockHost => ({
  mem: h.m.mem,
  ptrSize: h.m.abi.ptrSize,
  gettimeofdayCopies: h.m.abi.ptrSize === 4 && h.allocator.profile.gettimeofdayCopiesTime64,
  refuse: (what) => refuse(h, what),
}));

/** What the functions reading through stdio see of the program. */
const stdinHost = perHost((h): StdinHost => ({
  m: h.m,
  profile: h.allocator.profile,
  errno: h.errno,
  files: h.files,
  stdin: stdinFile(h),
  stdinVariable: h.variables.stdin,
  fopened: (address) => fopenFiles(h).stream(address),
  writeOnly: (address) => writeOnlyFile(h, address),
  malloc: (size) => mallocCall(h, () => h.allocator.malloc(size)),
  realloc: (pointer, size) => mallocCall(h, () => h.allocator.realloc(pointer, size)),
  free: (pointer) => mallocCall(h, () => h.allocator.free(pointer)),
}));

/**
 * A FILE that only writes as a read sees it (`stdin.ts`): a fopen'ed writer's, or stdout's or
 * stderr's on their fields in libc's memory, which write what their put area holds through
 * their output fileops first (`wrong_direction.ts`); undefined for another pointer.
 */
function writeOnlyFile(h: LibcHost, address: number): ReadingFile | undefined {
  const fopened = fopenFiles(h).writeOnly(address);
  if (fopened !== undefined) return fopened;
  if (address !== h.files.stdout && address !== h.files.stderr) return undefined;
  return standardReaders(h)[address === h.files.stdout ? 0 : 1];
}

/**
 * stdout's and stderr's FILEs as a read sees them (see {@link writeOnlyFile}): on their fields in
 * libc's memory, or on those heaplab keeps where libc's data is not the build's.
 */
const standardReaders = perHost((h) => {
  const files = standardFiles(h), F = fileLayout(h.m.abi);
  return (["stdout", "stderr"] as const).map((name, k) => {
    const fp = h.files[name], output = () => name === "stdout" ? stdoutHost(h) : stderrHost(h);
    const fields = files === undefined
      ? fieldsKept(F, () => output().file, k + 1)
      : fieldsInMemory(h.m, fp);
    const r = new ReadingFile(
      readerHost(h),
      fields,
      h.shortbufs[name],
      files === undefined ? undefined : name,
    );
    r.flushPut = () => {
      if (files === undefined) return flushAll(output());
      // its fields written back first, read from memory for the flush, then written back
      files.settle();
      files.load();
      try {
        return flushAll(output());
      } finally {
        files.settle();
        files.load();
      }
    };
    return r;
  });
});

/** What a FILE read through glibc's fileops works with (`read_file.ts`). */
const readerHost = perHost((h): ReaderHost => ({
  mem: h.m.mem,
  layout: fileLayout(h.m.abi),
  *read(fd, buf, count) {
    const read = readDescriptor(descriptorHost(h), fd, buf, count);
    for (let step = read.next();; step = read.next()) {
      if (step.done) return step.value;
      standardFiles(h)?.settle(); // as the FILEs are while the read waits
      yield step.value;
    }
  },
  setErrno: (errno) => h.m.mem.write32(h.errno, errno),
  stat: (fd) => {
    const kind = h.openFiles.file(fd)
      ? "file"
      : h.openFiles.standard(fd)
      ? h.streams.kind
      : undefined;
    if (kind === undefined) return undefined;
    // a /proc file's st_blksize is 1024: a buffer of that size
    if (h.openFiles.file(fd)?.facts.procfs) return { blksize: PROC_BLOCK_SIZE, terminal: false };
    return { blksize: stdoutBufferSize(kind), terminal: kind === "tty" };
  },
  allocateBuffer: (size) => {
    if (h.allocator.profile.stdioBuffers === "malloc") {
      return mallocCall(h, () => h.allocator.malloc(size));
    }
    // glibc before 2.24 mapped it (ALLOC_BUF)
    const length = Math.ceil(size / 4096) * 4096, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    const mapped = h.process.sys.mmap(
      0,
      length,
      PROT_READ | PROT_WRITE,
      flags,
      undefined,
      "stdio buffer",
    );
    return isSyscallError(mapped) ? 0 : mapped;
  },
  malloc: (size) => mallocCall(h, () => h.allocator.malloc(size)),
  free: (pointer) => mallocCall(h, () => h.allocator.free(pointer)),
  flushStdout: () => flushBeforeRead(stdoutHost(h)),
  eofSticky: h.allocator.profile.stdioEofSticky,
  refuse: (what) => refuse(h, what),
  checkVtable: (pointer, slot, file) => checkVtable(h, pointer, slot, file),
}));

/**
 * stdin's FILE, read on its fields: `_IO_2_1_stdin_` in libc's memory, or kept aside where libc's
 * data is not the build's.
 */
const stdinFile = perHost((h) => {
  const F = fileLayout(h.m.abi), packed = h.allocator.libc.placement === "packed";
  const fields = packed ? fieldsAside(F) : fieldsInMemory(h.m, h.files.stdin);
  return new ReadingFile(readerHost(h), fields, h.shortbufs.stdin, packed ? undefined : "stdin");
});

/**
 * setbuf/setvbuf on stdin: glibc's `_IO_setvbuf` on its fields, as on stdout's
 * (`output_file.ts`); 0, or EOF.
 */
function setStdinBuffer(h: LibcHost, run: (host: OutputHost) => number): number {
  const fields = stdinFile(h).fields,
    memory: FileMemory = {
      read32: (at) => fields.word(at),
      readPointer: (at) => fields.pointer(at),
      write32: (at, value) => fields.setWord(at, value),
      writePointer: (at, value) => fields.setPointer(at, value),
    };
  const F = fileLayout(h.m.abi), state = readFileState(memory, F, 0);
  const result = run(fileOutput(h, 0, () => state, h.shortbufs.stdin, false));
  writeFileState(memory, F, 0, state);
  return result;
}

/**
 * The FILE* a call that only fopen'ed FILEs support was given (fseek, ftell, rewind): stdin,
 * stdout and stderr (a pipe or a terminal here, where glibc's seek fails) and pointers that are
 * no open FILE are refused.
 */
function fopenedFile(h: LibcHost, f: Value): number {
  const a = n(f);
  if (fopenFiles(h).stream(a) !== undefined) return a;
  if (a === h.files.stdin || a === h.files.stdout || a === h.files.stderr) {
    refuse(h, "a seek on stdin, stdout or stderr");
  }
  return unknownFile(h, a, "a seek on");
}

/**
 * A FILE* that is none of the standard FILEs nor one fopen opened and fclose has not closed (a
 * forged FILE, one already closed): glibc would read its fields, so a pointer to nothing mapped
 * is the process's SIGSEGV; anything else is not modelled.
 */
function unknownFile(h: LibcHost, a: number, what: string): never {
  h.m.mem.read32(a);
  refuse(h, `${what} a FILE* that no fopen opened or fclose has closed (0x${a.toString(16)})`);
}

/**
 * The path argument `index` (the first by default) points to, as the kernel copies it (getname):
 * undefined when it cannot be read (the call's EFAULT).
 */
function pathArgument(h: LibcHost, c: BuiltinCall, index = 0): string | undefined {
  try {
    return h.m.cString(c.args[index] as Int);
  } catch (e) {
    if (e instanceof SegmentationFault) return undefined;
    throw e;
  }
}

/** A system call on the path the first argument points to: EFAULT when it cannot be read. */
function pathCall(h: LibcHost, c: BuiltinCall, call: (path: string) => number): Value {
  const path = pathArgument(h, c);
  return sysResult(h, path === undefined ? -Errno.EFAULT : call(path));
}

/** unlink(path) (and remove: no directory can be named): 0 or -1 with errno. */
function unlinkCall(h: LibcHost, c: BuiltinCall): Value {
  return pathCall(h, c, (path) => {
    const done = h.openFiles.unlink(path);
    return typeof done === "object" ? refuse(h, `unlink of ${done.unmodelled}`) : done;
  });
}

/** strtod(s, endptr) (atof: no endptr): the number at the start of s, `*endptr` after it. */
function strtod(h: LibcHost, c: BuiltinCall, endptr: number): number {
  const start = n(c.args[0]), parsed = parseDouble(h.m.cString(c.args[0] as Int));
  if (endptr !== 0) h.m.writePointer(endptr, start + parsed.length);
  if (parsed.range) h.m.mem.write32(h.errno, Errno.ERANGE);
  return parsed.value;
}

/** The shells an exec may start: they are not run (see {@link execShell}). */
const SHELLS = new Set(["/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/sh", "/usr/bin/bash"]);

/** The pointers of a NULL-terminated argument vector (none for a NULL vector, as Linux allows). */
function argumentVector(h: LibcHost, at: number): number[] {
  const out: number[] = [];
  if (at === 0) return out;
  for (let p; (p = h.m.readPointer(at + out.length * h.m.abi.ptrSize)) !== 0;) out.push(p);
  return out;
}

/**
 * execve/execv/execl of a shell: the process is replaced — what stdio buffered is lost, as in a
 * real exec — and a {@link ShellSpawned} event names the command; the shell is not run: it ends
 * as one reading end of input does, with status 0. Another program is not modelled; a path,
 * an argument or an environment string that cannot be read fails with EFAULT, as the kernel's
 * copy does.
 */
function execShell(
  h: LibcHost,
  c: BuiltinCall,
  call: string,
  argv: number | readonly number[],
  envp: number,
): Value {
  const path = pathArgument(h, c);
  if (path === undefined) return sysResult(h, -Errno.EFAULT);
  if (!SHELLS.has(path)) {
    throw new CUnsupportedError(
      `${call} of ${JSON.stringify(path)}: only a shell`,
      h.m.file,
      c.line,
    );
  }
  // the kernel copies the argument and environment strings first: an unreadable one is EFAULT
  let words: string[];
  try {
    const args = typeof argv === "number" ? argumentVector(h, argv) : argv;
    const end = args.indexOf(0);
    words = (end < 0 ? args : args.slice(0, end)).map((a) => h.m.cString(a as Int));
    for (const e of argumentVector(h, envp)) h.m.cString(e as Int);
  } catch (e) {
    if (e instanceof SegmentationFault) return sysResult(h, -Errno.EFAULT);
    throw e;
  }
  h.allocator.context.events.push({
    kind: "ShellSpawned",
    command: words.length > 1 ? words.slice(1).join(" ") : path,
    via: "direct call",
    call,
    target: h.allocator.libc.symbol("execve") ?? 0,
  });
  throw new ProgramExit(0, false);
}

/** What fclose of stdin, stdout or stderr works with (`std_fclose.ts`). */
const stdFcloseHost = perHost((h): StdFcloseHost => {
  const F = fileLayout(h.m.abi), files = standardFiles(h);
  const file = (fd: number) => [h.files.stdin, h.files.stdout, h.files.stderr][fd];
  if (files === undefined) refuse(h, "fclose of stdin, stdout or stderr outside libc's own data");
  return {
    profile: h.allocator.profile,
    layout: F,
    flags: (fd) => h.m.mem.read32(file(fd) + F.flags),
    fileno: (fd) => h.m.mem.read32(file(fd) + F.fileno) | 0,
    output: (fd) => {
      files.load();
      return fd === 1 ? stdoutHost(h) : stderrHost(h);
    },
    stdin: stdinFile(h),
    free: (pointer) => mallocCall(h, () => h.allocator.free(pointer)),
    setErrno: (errno) => h.m.mem.write32(h.errno, errno),
    descriptorOpen: (fd) => h.openFiles.stream(fd) === fd,
    closeDescriptor: (fd) => void h.openFiles.close(fd),
    finish: (fd) => {
      files.settle();
      fopenFiles(h).closedStandard(file(fd));
    },
    refuse: (what) => refuse(h, what),
  };
});

/**
 * stdout and stderr (1, 2) once freopen opened them again: their buffers are malloc'ed as a
 * fopen'ed FILE's are, not as the allocator models the process's first output.
 */
const reopenedStreams = perHost(() => new Set<number>());

/** What freopen of stdin, stdout or stderr works with (`freopen.ts`). */
const freopenHost = perHost((h): FreopenHost => {
  const close = stdFcloseHost(h), files = standardFiles(h)!;
  const file = (fd: number) => [h.files.stdin, h.files.stdout, h.files.stderr][fd];
  // fclose's steps, with the descriptor left open and the FILE left in the list
  const closeIt = { ...close, descriptorOpen: () => true, closeDescriptor: () => {} };
  return {
    profile: h.allocator.profile,
    openFiles: h.openFiles,
    layout: fileLayout(h.m.abi),
    stdin: stdinFile(h),
    fopenUses: (fd) => fopenFiles(h).uses(fd),
    fileno: (fd) => close.fileno(fd),
    closeIt: (fd) => void closeStandardFile({ ...closeIt, finish: () => files.settle() }, fd),
    reopened: (fd, flags, fileno, keepLinked) => {
      reopenedStreams(h).add(fd);
      fopenFiles(h).reopenedStandard(file(fd), flags, fileno, keepLinked);
    },
    failed: (fd) => fopenFiles(h).closedStandard(file(fd)),
    setErrno: (errno) => h.m.mem.write32(h.errno, errno),
    refuse: (what) => refuse(h, what),
  };
});

/** The FILEs the program opened with fopen. */
const fopenFiles = perHost((h) =>
  new FopenFiles({
    mem: h.m.mem,
    writePointer: (address, value) => h.m.writePointer(address, value),
    read32: (address) => h.m.mem.read32(address),
    readPointer: (address) => h.m.readPointer(address),
    layout: fileLayout(h.m.abi),
    profile: h.allocator.profile,
    openFiles: h.openFiles,
    ptrSize: h.m.abi.ptrSize,
    // only where libc's data is the build's
    symbol: (name) =>
      h.allocator.libc.placement === "packed" ? undefined : h.allocator.libc.symbol(name),
    files: h.files,
    malloc: (size) => mallocCall(h, () => h.allocator.malloc(size)),
    free: (pointer) => mallocCall(h, () => h.allocator.free(pointer)),
    flushWriter: (address) => {
      const files = fopenFiles(h), { host } = writerAt(h, address);
      const result = flushAll(host);
      files.settleWriter(address);
      return result;
    },
    reader: readerHost(h),
    machine: h.m,
  })
);

/**
 * A call of the allocator: its explain records collected after it, and the errno it set on the
 * thread (ENOMEM for a request too large or a failed mmap and brk) copied to the program's errno,
 * which lives in libc's TLS; an errno it did not set is left as the program had it.
 */
function mallocCall<T>(h: LibcHost, f: () => T): T {
  const thread = h.process.currentThread, before = thread.errno;
  thread.errno = 0;
  try {
    return f();
  } finally {
    if (thread.errno) h.m.mem.write32(h.errno, thread.errno);
    else thread.errno = before;
    h.noteRecords();
  }
}

/**
 * strtol and its family as glibc's `____strtol_l_internal` parses, in the C locale: spaces
 * (" \t\n\v\f\r"), a sign, `0x` skipped for base 16 (or 0, which it makes 16) when a hex
 * digit follows, a leading 0 making base 0 octal (and counted as a digit), digits up to the
 * first that is not one; `*endptr` after the last digit (at the start when there is none); a
 * value past the type's range clamped to it with errno ERANGE, a base other than 0 or 2–36
 * errno EINVAL and 0 (endptr not written).
 */
function strtoX(h: LibcHost, c: BuiltinCall, size: number, signed: boolean): Value {
  const m = h.m;
  const start = n(c.args[0]);
  const s = m.cString(start);
  let base = n(c.args[2]);
  if (base < 0 || base === 1 || base > 36) {
    m.mem.write32(h.errno, Errno.EINVAL);
    return 0;
  }
  const [, spaces, sign] = /^([ \t\n\v\f\r]*)([+-]?)/.exec(s)!;
  const body = s.slice(spaces.length + sign.length);
  let skip = 0;
  if ((base === 0 || base === 16) && /^0[xX][0-9a-fA-F]/.test(body)) (base = 16), (skip = 2);
  else if (base === 0) base = body[0] === "0" ? 8 : 10;
  let v = 0n;
  let used = 0;
  for (const ch of body.slice(skip)) {
    const d = /[0-9a-zA-Z]/.test(ch) ? parseInt(ch, 36) : NaN;
    if (Number.isNaN(d) || d >= base) break;
    v = v * BigInt(base) + BigInt(d);
    used++;
  }
  if (sign === "-") v = -v;
  const consumed = used ? spaces.length + sign.length + skip + used : 0;
  if (n(c.args[1]) !== 0) {
    const P = m.abi.ptrSize;
    const end = start + consumed;
    if (P === 8) m.mem.write64(n(c.args[1]), end);
    else m.mem.write32(n(c.args[1]), end);
  }
  const bits = size * 8;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : -max;
  if (v > max || v < min) {
    m.mem.write32(h.errno, Errno.ERANGE);
    v = v > max || !signed ? max : min;
  }
  return convertInt(v, size, signed);
}

/**
 * A printf-family call on a misaligned stack faults where the build does (`misaligned_stack.ts`):
 * into a string or a descriptor (`to` -1: a string; dprintf's descriptor), or to an output
 * stream (`outputStream`), which faults when the stream is unbuffered (stderr; stdout after
 * `setbuf(stdout, NULL)`). A call gcc rewrote into puts, putchar, fputs, fputc or fwrite
 * (`gcc_folding.ts`) never comes here.
 */
function checkPrintfStack(h: LibcHost, c: BuiltinCall, fn: string, to: number): void {
  if (!c.frame.misaligned) return;
  const kind = to === -1 || fn === "dprintf"
    ? "printf-buffer"
    : (to === 1 || to === 2) && modeOf(to === 1 ? h.streams.stdout : h.streams.stderr) === IONBF
    ? "unbuffered-stream-printf"
    : undefined;
  if (kind) checkStackAlignment(h.allocator.profile, c.frame.misaligned, kind, fn);
}

/** The pthread_attr functions not modelled (`pthread_attr.ts`), each refused by name. */
const UNMODELLED_ATTR_IMPLS: Record<string, Impl> = Object.fromEntries(
  UNMODELLED_ATTR_FUNCTIONS.map((name): [string, Impl] => [name, (h) => refuseAttr(h, name)]),
);

function refuseAttr(h: LibcHost, name: string): never {
  refuse(
    h,
    `${name} (not modelled: heaplab's threads take their stack size, guard and detach state only)`,
  );
}

const impls: Record<string, Impl> = {
  printf: (h, c) => {
    checkPrintfStack(h, c, "printf", 1);
    const pieces: number[] = [];
    const t = printfText(h, c, 0, pieces);
    return writeStream(h, stdoutStream(h), t, pieces) ? t.length : -1;
  },
  fprintf: (h, c) => {
    checkPrintfStack(h, c, "fprintf", printfStream(h, c, c.args[0]));
    const pieces: number[] = [];
    const t = printfText(h, c, 1, pieces);
    return putToFile(h, c, c.args[0], t, pieces) ? t.length : -1;
  },
  dprintf: (h, c) => {
    checkPrintfStack(h, c, "dprintf", n(c.args[0]));
    // vdprintf writes through a FILE of its own on fd: write(2)'s descriptors, EBADF and all
    return sysResult(h, writeText(descriptorHost(h), n(c.args[0]), printfText(h, c, 1)));
  },
  vprintf: (h, c) => {
    checkPrintfStack(h, c, "vprintf", 1);
    return impls.printf(h, withVaList(h, c, 0));
  },
  vfprintf: (h, c) => {
    checkPrintfStack(h, c, "vfprintf", printfStream(h, c, c.args[0]));
    return impls.fprintf(h, withVaList(h, c, 1));
  },
  vsprintf: (h, c) => {
    checkPrintfStack(h, c, "vsprintf", -1);
    return impls.sprintf(h, withVaList(h, c, 1));
  },
  vsnprintf: (h, c) => {
    checkPrintfStack(h, c, "vsnprintf", -1);
    return impls.snprintf(h, withVaList(h, c, 2));
  },
  __builtin_va_start: (h, c) => {
    const va = c.frame.varargs;
    if (!va) {
      throw new CRuntimeError("va_start in a function without '...'", h.m.file, c.line);
    }
    const handle = vaHandle(h);
    h.m.vaLists.set(handle, { values: va.values, types: va.types, next: 0 });
    return handle;
  },
  __builtin_va_copy: (h, c) => {
    const list = h.m.vaLists.get(n(c.args[1]));
    if (!list) {
      throw new CRuntimeError("va_copy of a va_list that va_start did not set", h.m.file, c.line);
    }
    const handle = vaHandle(h);
    h.m.vaLists.set(handle, { ...list });
    h.m.writePointer(n(c.args[0]), handle);
    return 0;
  },
  sprintf: (h, c) => {
    checkPrintfStack(h, c, "sprintf", -1);
    const t = printfText(h, c, 1);
    h.m.writeText(n(c.args[0]), t + "\0");
    return t.length;
  },
  snprintf: (h, c) => {
    checkPrintfStack(h, c, "snprintf", -1);
    const t = printfText(h, c, 2), s = n(c.args[0]), bits = h.m.abi.ptrSize === 8 ? 64 : 32;
    const wraps = h.allocator.profile.snprintfEndWraps;
    const written = snprintfBytes(t, s, c.args[1], bits, wraps);
    if (written) h.m.writeText(s, written);
    return t.length;
  },
  puts: (h, c) => {
    const text = h.m.cString(c.args[0] as Int), out = stdoutStream(h);
    if (!writeStream(h, out, text) || !writeStream(h, out, "\n", "putc")) return EOF;
    return Math.min(text.length + 1, 0x7fff_ffff); // glibc: the bytes written, at most INT_MAX
  },
  putchar: (h, c) => {
    const byte = String.fromCharCode(n(c.args[0]) & 0xff);
    return writeStream(h, stdoutStream(h), byte, "putc") ? n(c.args[0]) & 0xff : EOF;
  },
  fputs: (h, c) => {
    return putToFile(h, c, c.args[1], h.m.cString(c.args[0] as Int), "put") ? 1 : EOF;
  },
  fputc: (h, c) => {
    const byte = String.fromCharCode(n(c.args[0]) & 0xff);
    return putToFile(h, c, c.args[1], byte, "putc") ? n(c.args[0]) & 0xff : EOF;
  },
  putc: (h, c) => impls.fputc(h, c),
  fwrite: (h, c) => {
    const len = n(c.args[1]) * n(c.args[2]);
    if (len === 0) return 0; // glibc returns before it looks at the stream
    const bytes = h.m.mem.readBytes(n(c.args[0]), len);
    return putToFile(h, c, c.args[3], byteText(bytes), "put") ? c.args[2] : 0;
  },
  setbuf: (h, c) => {
    const stream = outputStream(h, c, c.args[0]), buffer = n(c.args[1]);
    if (stream === 0) setStdinBuffer(h, (host) => (setbuffer(host, buffer, BUFSIZ), 0));
    if (stream === 1 || stream === 2) {
      setbuffer(stream === 1 ? stdoutHost(h) : stderrHost(h), buffer, BUFSIZ);
    }
    return 0;
  },
  setvbuf: (h, c) => {
    const stream = outputStream(h, c, c.args[0]), mode = n(c.args[2]);
    if (mode !== IOFBF && mode !== IOLBF && mode !== IONBF) return -1; // EOF, nothing changed
    const base = n(c.args[1]), size = n(c.args[3]);
    if (stream === 0) return setStdinBuffer(h, (host) => setvbuf(host, mode, base, size));
    if (stream === 1 || stream === 2) {
      return setvbuf(stream === 1 ? stdoutHost(h) : stderrHost(h), mode, base, size);
    }
    return 0;
  },
  write: (h, c) => {
    const size = (v: Value) => sizeArgument(v as Int, h.m.abi.ptrSize);
    return sysResult(
      h,
      writeDescriptor(descriptorHost(h), n(c.args[0]), size(c.args[1]), size(c.args[2])),
    );
  },
  open: (h, c) => {
    // the mode argument, when given, is a created file's permissions
    const mode = c.args.length > 2 ? n(c.args[2]) : undefined;
    return pathCall(h, c, (path) => {
      const fd = h.openFiles.open(path, n(c.args[1]), mode);
      if (typeof fd === "object") refuse(h, `open of ${fd.unmodelled}`);
      return fd === "directory" ? refuse(h, `open(${JSON.stringify(path)}): a directory`) : fd;
    });
  },
  fopen: (h, c) => {
    const path = pathArgument(h, c); // undefined: open(2)'s EFAULT
    const opened = fopenFiles(h).open(path, h.m.cString(c.args[1] as Int), h.m.file, c.line);
    if ("address" in opened) return opened.address;
    h.m.mem.write32(h.errno, opened.errno);
    return 0;
  },
  freopen: (h, c) => {
    // checked against real x86_64 runs only (freopen/): i386's FILE and list are not
    if (h.m.abi.ptrSize === 4) refuse(h, "freopen on i386 (no real run checks it)");
    const a = n(c.args[2]), fd = [h.files.stdin, h.files.stdout, h.files.stderr].indexOf(a);
    if (fd < 0) {
      if (fopenFiles(h).writer(a) === undefined && fopenFiles(h).stream(a) === undefined) {
        unknownFile(h, a, "freopen of");
      }
      refuse(h, "freopen of a FILE fopen returned");
    }
    const pointer = n(c.args[0]), path = pointer === 0 ? null : pathArgument(h, c);
    if (path === undefined) refuse(h, "freopen of a path it cannot read");
    const mode = h.m.cString(c.args[1] as Int);
    return reopenStandard(freopenHost(h), fd, path, mode) ? a : 0;
  },
  fclose: (h, c) => {
    const a = n(c.args[0]), files = fopenFiles(h), writer = files.writer(a);
    if (writer !== undefined) {
      readAheadOnSharedFile(h, a);
      // _IO_file_close_it: a FILE that is putting writes what its buffer holds first
      const { host } = writerAt(h, a);
      if (host.file.flags & CURRENTLY_PUTTING) sync(host);
      host.checkVtable("__close"); // _IO_file_close_it's _IO_SYSCLOSE
      writerHosts(h).delete(a);
      return files.close(a);
    }
    if (files.stream(a) === undefined) {
      const fd = [h.files.stdin, h.files.stdout, h.files.stderr].indexOf(a);
      if (fd >= 0) return closeStandardFile(stdFcloseHost(h), fd);
      unknownFile(h, a, "fclose of");
    }
    files.stream(a)!.checkVtable("__close"); // _IO_file_close_it's _IO_SYSCLOSE
    readAheadOnSharedFile(h, a);
    return files.close(a);
  },
  fseek: (h, c) => {
    const at = fileOffset(h, c.args[1]);
    const r = fopenFiles(h).seek(fopenedFile(h, c.args[0]), at, n(c.args[2]));
    return r < 0 ? sysResult(h, r) : 0;
  },
  ftell: (h, c) => sysResult(h, fopenFiles(h).tell(fopenedFile(h, c.args[0]))),
  rewind: (h, c) => {
    const files = fopenFiles(h), address = fopenedFile(h, c.args[0]);
    files.seek(address, 0, 0);
    const r = files.stream(address)!;
    r.flags &= ~(EOF_SEEN | ERR_SEEN);
    return 0;
  },
  unlink: (h, c) => unlinkCall(h, c),
  // stat and its kin on the files heaplab knows (`file_status.ts`)
  stat: (h, c) => sysResult(h, statPath(fileStatusHost(h), pathArgument(h, c), n(c.args[1]))),
  lstat: (h, c) => sysResult(h, statPath(fileStatusHost(h), pathArgument(h, c), n(c.args[1]))),
  fstat: (h, c) => sysResult(h, statDescriptor(fileStatusHost(h), n(c.args[0]), n(c.args[1]))),
  fstatat: (h, c) => {
    const path = pathArgument(h, c, 1);
    const r = statAt(fileStatusHost(h), n(c.args[0]), path, n(c.args[2]), n(c.args[3]));
    return sysResult(h, r);
  },
  remove: (h, c) => unlinkCall(h, c),
  close: (h, c) => {
    // a standard descriptor too: stdin's, stdout's or stderr's FILE stays as it was, its reads
    // and writes failing with EBADF until an open takes the descriptor (fd_reuse/)
    const fd = n(c.args[0]);
    if (fopenFiles(h).uses(fd)) {
      throw new CUnsupportedError(
        `close(${fd}): closing the descriptor of a FILE fopen returned (fclose closes it)`,
        h.m.file,
        c.line,
      );
    }
    return sysResult(h, h.openFiles.close(fd));
  },
  // dup, dup2, dup3 and fcntl's F_DUPFD on the descriptor table (`dup.ts`)
  dup: (h, c) => sysResult(h, dup(dupHost(h), n(c.args[0]))),
  dup2: (h, c) => sysResult(h, dup2(dupHost(h), n(c.args[0]), n(c.args[1]))),
  dup3: (h, c) => sysResult(h, dup3(dupHost(h), n(c.args[0]), n(c.args[1]), n(c.args[2]))),
  fcntl: (h, c) => {
    const arg = c.args.length > 2 ? n(c.args[2]) : 0;
    return sysResult(h, fcntl(dupHost(h), n(c.args[0]), n(c.args[1]), arg));
  },
  lseek: (h, c) => {
    const fd = n(c.args[0]);
    const stream = h.openFiles.stream(fd);
    if (stream !== undefined) {
      // stdin is a pipe or a terminal, and so is stdout unless it is a file
      if (stream === 0 || h.streams.kind !== "file") return sysResult(h, -Errno.ESPIPE);
      throw new CUnsupportedError(
        `lseek(${fd}) on stdout or stderr written to a file`,
        h.m.file,
        c.line,
      );
    }
    return sysResult(h, h.openFiles.seek(fd, fileOffset(h, c.args[1]), n(c.args[2])));
  },
  exit: (_h, c) => {
    throw new ProgramExit(n(c.args[0]), true);
  },
  _exit: (_h, c) => {
    throw new ProgramExit(n(c.args[0]), false);
  },
  _Exit: (_h, c) => {
    throw new ProgramExit(n(c.args[0]), false);
  },
  system: (h, c) => {
    checkStackAlignment(h.allocator.profile, c.frame.misaligned, "system", "system");
    // system(NULL) asks whether a shell exists: /bin/sh does.
    if (n(c.args[0]) === 0) return 1;
    // The command is not run: the event names it, and system returns what /bin/sh returns when
    // it reads no more input (0).
    const libc = h.allocator.libc;
    h.allocator.context.events.push({
      kind: "ShellSpawned",
      command: h.m.cString(c.args[0] as Int),
      via: "direct call",
      call: "system",
      target: libc.symbol("system") ?? 0,
    });
    return 0;
  },
  execve: (h, c) => execShell(h, c, "execve", n(c.args[1]), n(c.args[2])),
  execv: (h, c) => execShell(h, c, "execv", n(c.args[1]), 0),
  execl: (h, c) => execShell(h, c, "execl", c.args.slice(1).map(n), 0),
  abort: () => {
    throw new ProgramAbort("abort()");
  },
  __assert_fail: (h, c) => {
    const m = h.m;
    // glibc prints __progname: argv[0] after its last '/'.
    const prog = h.programName.slice(h.programName.lastIndexOf("/") + 1);
    const text = `${prog}: ${m.cString(c.args[1] as Int)}:${n(c.args[2])}: ` +
      `${m.cString(c.args[3] as Int)}: Assertion \`${m.cString(c.args[0] as Int)}' failed.\n`;
    assertFail({
      ...libcCalls(h),
      checkStack: () => {
        checkStackAlignment(h.allocator.profile, c.frame.misaligned, "asprintf", "__assert_fail");
      },
    }, text);
    throw new ProgramAbort("assertion failed");
  },
  malloc: (h, c) => mallocCall(h, () => h.allocator.malloc(n(c.args[0]))),
  free: (h, c) => mallocCall(h, () => (h.allocator.free(n(c.args[0])), 0)),
  calloc: (h, c) => mallocCall(h, () => h.allocator.calloc(n(c.args[0]), n(c.args[1]))),
  realloc: (h, c) => mallocCall(h, () => h.allocator.realloc(n(c.args[0]), n(c.args[1]))),
  reallocarray: (h, c) => {
    // nmemb * size in size_t, or ENOMEM without calling realloc when it overflows
    const bits = h.m.abi.ptrSize * 8;
    const count = BigInt.asUintN(bits, BigInt(c.args[1] as Int));
    const bytes = count * BigInt.asUintN(bits, BigInt(c.args[2] as Int));
    if (bytes >> BigInt(bits) !== 0n) {
      h.m.mem.write32(h.errno, Errno.ENOMEM);
      return 0;
    }
    return mallocCall(h, () => h.allocator.realloc(n(c.args[0]), Number(bytes)));
  },
  memalign: (h, c) => mallocCall(h, () => h.allocator.memalign(n(c.args[0]), n(c.args[1]))),
  aligned_alloc: (h, c) =>
    mallocCall(h, () => h.allocator.alignedAlloc(n(c.args[0]), n(c.args[1]))),
  posix_memalign: (h, c) =>
    mallocCall(h, () => {
      const r = h.allocator.posixMemalign(n(c.args[1]), n(c.args[2]));
      if (r.error === 0) h.m.writePointer(n(c.args[0]), r.pointer);
      return r.error;
    }),
  valloc: (h, c) => mallocCall(h, () => h.allocator.valloc(n(c.args[0]))),
  pvalloc: (h, c) => mallocCall(h, () => h.allocator.pvalloc(n(c.args[0]))),
  malloc_usable_size: (h, c) => mallocCall(h, () => h.allocator.usableSize(n(c.args[0]))),
  mallopt: (h, c) => mallocCall(h, () => h.allocator.mallopt(n(c.args[0]), n(c.args[1]))),
  malloc_trim: (h, c) => mallocCall(h, () => h.allocator.mallocTrim(n(c.args[0]))),
  mallinfo: (h) => mallinfoBytes(h, 4),
  mallinfo2: (h) => mallinfoBytes(h, h.m.abi.ptrSize),
  malloc_stats: (h) => {
    writeStream(h, variableStream(h, "stderr"), h.allocator.mallocStats()); // fprintf (stderr, …)
    return 0;
  },
  memset: (h, c) => {
    sizeMax(h, "memset", c.args[2]);
    h.m.mem.fill(n(c.args[0]), byteCount(c.args[2]), n(c.args[1]) & 0xff);
    return c.args[0];
  },
  memcpy: (h, c) => {
    sizeMax(h, "memcpy", c.args[2]);
    h.m.mem.copy(n(c.args[0]), n(c.args[1]), byteCount(c.args[2]));
    return c.args[0];
  },
  memmove: (h, c) => {
    sizeMax(h, "memmove", c.args[2]);
    h.m.mem.copy(n(c.args[0]), n(c.args[1]), byteCount(c.args[2]));
    return c.args[0];
  },
  memcmp: (h, c) => {
    const a = n(c.args[0]), b = n(c.args[1]), count = c.args[2];
    try {
      return compareBytes(h.m.mem, a, b, byteCount(count));
    } catch (e) {
      // (no difference before the end of the memory)
      if (e instanceof SegmentationFault) sizeMax(h, "memcmp", count);
      throw e;
    }
  },
  memchr: (h, c) => {
    const a = n(c.args[0]), ch = n(c.args[1]) & 0xff, len = byteCount(c.args[2]);
    for (let i = 0; i < len; i++) if (h.m.mem.read8(a + i) === ch) return a + i;
    return 0;
  },
  strlen: (h, c) => h.m.cString(c.args[0] as Int).length,
  strcpy: (h, c) => {
    h.m.writeText(n(c.args[0]), h.m.cString(c.args[1] as Int) + "\0");
    return c.args[0];
  },
  strncpy: (h, c) => {
    const len = byteCount(c.args[2]);
    copyPadded(h.m.mem, n(c.args[0]), textBytes(h.m.cString(c.args[1] as Int, len)), len);
    return c.args[0];
  },
  strcat: (h, c) => {
    const d = n(c.args[0]);
    h.m.writeText(d + h.m.cString(d).length, h.m.cString(c.args[1] as Int) + "\0");
    return c.args[0];
  },
  strncat: (h, c) => {
    const d = n(c.args[0]);
    const s = h.m.cString(c.args[1] as Int, byteCount(c.args[2]));
    h.m.writeText(d + h.m.cString(d).length, s + "\0");
    return c.args[0];
  },
  strcmp: (h, c) => cmp(h.m.cString(c.args[0] as Int), h.m.cString(c.args[1] as Int)),
  strncmp: (h, c) => {
    const len = byteCount(c.args[2]);
    return cmp(h.m.cString(c.args[0] as Int, len), h.m.cString(c.args[1] as Int, len));
  },
  strchr: (h, c) => {
    const a = n(c.args[0]), s = h.m.cString(a), ch = n(c.args[1]) & 0xff;
    if (ch === 0) return a + s.length;
    const i = s.indexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : a + i;
  },
  strrchr: (h, c) => {
    const a = n(c.args[0]), s = h.m.cString(a), ch = n(c.args[1]) & 0xff;
    if (ch === 0) return a + s.length;
    const i = s.lastIndexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : a + i;
  },
  strstr: (h, c) => {
    const a = n(c.args[0]);
    const i = h.m.cString(a).indexOf(h.m.cString(c.args[1] as Int));
    return i < 0 ? 0 : a + i;
  },
  strdup: (h, c) => {
    const s = h.m.cString(c.args[0] as Int);
    const p = mallocCall(h, () => h.allocator.malloc(s.length + 1));
    if (p) h.m.writeText(p, s + "\0");
    return p;
  },
  strndup: (h, c) => {
    const s = h.m.cString(c.args[0] as Int, byteCount(c.args[1]));
    const p = mallocCall(h, () => h.allocator.malloc(s.length + 1));
    if (p) h.m.writeText(p, s + "\0");
    return p;
  },
  atoi: (h, c) => {
    // (int) strtol (nptr, NULL, 10): a long's range, then cut to an int
    const long = strtoX(h, { ...c, args: [c.args[0], 0, 10] }, h.m.abi.ptrSize, true);
    return convertInt(long as Int, 4, true);
  },
  atol: (h, c) => strtoX(h, { ...c, args: [c.args[0], 0, 10] }, h.m.abi.ptrSize, true),
  strtol: (h, c) => strtoX(h, c, h.m.abi.ptrSize, true),
  strtoul: (h, c) => strtoX(h, c, h.m.abi.ptrSize, false),
  strtoll: (h, c) => strtoX(h, c, 8, true),
  atoll: (h, c) => strtoX(h, { ...c, args: [c.args[0], 0, 10] }, 8, true),
  strtoull: (h, c) => strtoX(h, c, 8, false),
  strtod: (h, c) => strtod(h, c, n(c.args[1])),
  atof: (h, c) => strtod(h, c, 0),
  abs: (_h, c) => Math.abs(n(c.args[0])) | 0,
  labs: (h, c) => {
    const v = BigInt(c.args[0] as Int);
    return convertInt(v < 0n ? -v : v, h.m.abi.ptrSize, true);
  },
  getpid: (h) => h.process.pid,
  getppid: (h) => getppid(forkHost(h)),
  fork: (h) => fork(forkHost(h)),
  vfork: (h) => refuse(h, "vfork (the child borrows its parent's memory until it execs or exits)"),
  wait: (h, c) => sysResult(h, waitpid(forkHost(h), -1, n(c.args[0]), 0)),
  waitpid: (h, c) => sysResult(h, waitpid(forkHost(h), n(c.args[0]), n(c.args[1]), n(c.args[2]))),
  gettid: (h) => h.process.currentThread.tid,
  sleep: () => 0,
  usleep: () => 0,
  pthread_self: (h) => h.sched.current.handle || pthreadSelfMain(h),
  atexit: (h, c) => exitHandlers(h, "atexit").atexit(n(c.args[0])),
  on_exit: (h, c) => exitHandlers(h, "on_exit").onExit(n(c.args[0]), n(c.args[1])),
  __cxa_atexit: (h, c) =>
    exitHandlers(h, "__cxa_atexit").cxaAtexit(n(c.args[0]), n(c.args[1]), n(c.args[2])),
  __cxa_thread_atexit_impl: (h, c) =>
    exitHandlers(h, "__cxa_thread_atexit_impl")
      .cxaThreadAtexit(n(c.args[0]), n(c.args[1]), n(c.args[2])),
  getauxval: (h, c) => exitHandlers(h, "getauxval").auxval(n(c.args[0])),
  pthread_detach: (h, c) => pthreadDetach(threadCallHost(h), c.args[0] as Int),
  pthread_attr_init: (h, c) => attrInit(threadAttrHost(h), n(c.args[0])),
  pthread_attr_destroy: (h, c) => attrDestroy(threadAttrHost(h), n(c.args[0])),
  pthread_attr_setstacksize: (h, c) =>
    attrSetStackSize(threadAttrHost(h), n(c.args[0]), c.args[1] as Int),
  pthread_attr_getstacksize: (h, c) =>
    attrGetStackSize(threadAttrHost(h), n(c.args[0]), n(c.args[1])),
  pthread_attr_setguardsize: (h, c) =>
    attrSetGuardSize(threadAttrHost(h), n(c.args[0]), c.args[1] as Int),
  pthread_attr_getguardsize: (h, c) =>
    attrGetGuardSize(threadAttrHost(h), n(c.args[0]), n(c.args[1])),
  pthread_attr_setdetachstate: (h, c) =>
    attrSetDetachState(threadAttrHost(h), n(c.args[0]), n(c.args[1])),
  pthread_attr_getdetachstate: (h, c) =>
    attrGetDetachState(threadAttrHost(h), n(c.args[0]), n(c.args[1])),
  ...UNMODELLED_ATTR_IMPLS,
  // glibc unwinds the thread: its first pthread_exit dlopens libgcc_s.so.1, which maps the
  // library and mallocs in the thread's arena (the next thread's first malloc 0x1080 bytes further
  // on real 2.36 and 2.44; 2.31 aborts where the library cannot be found) — not modelled
  pthread_exit: (h) =>
    refuse(
      h,
      "pthread_exit (glibc's unwinding dlopens libgcc_s.so.1, mapping it and malloc'ing in the thread's arena); return from the thread's function instead",
    ),
  mmap: (h, c) => {
    if (n(c.args[4]) !== -1 && !(n(c.args[3]) & 0x20)) {
      throw new CUnsupportedError("mmap of a file", h.m.file, c.line);
    }
    const r = h.process.sys.mmap(n(c.args[0]), n(c.args[1]), n(c.args[2]), n(c.args[3]));
    return sysResult(h, r, convertInt(-1, h.m.abi.ptrSize, false));
  },
  munmap: (h, c) => {
    return sysResult(h, h.process.sys.munmap(n(c.args[0]), n(c.args[1])));
  },
  mprotect: (h, c) => {
    return sysResult(h, h.process.sys.mprotect(n(c.args[0]), n(c.args[1]), n(c.args[2])));
  },
  madvise: (h, c) => {
    return sysResult(h, h.process.sys.madvise(n(c.args[0]), n(c.args[1]), n(c.args[2])));
  },
  brk: (h, c) => {
    const want = n(c.args[0]);
    const got = h.process.sys.brk(want);
    if (got < want) {
      h.process.currentThread.errno = 12;
      h.m.mem.write32(h.errno, 12);
      return -1;
    }
    return 0;
  },
  sbrk: (h, c) => {
    const before = h.process.currentThread.errno;
    h.process.currentThread.errno = 0;
    const r = h.process.sbrk(n(c.args[0]));
    if (h.process.currentThread.errno) h.m.mem.write32(h.errno, h.process.currentThread.errno);
    else h.process.currentThread.errno = before;
    return fromWord(h, r);
  },
  perror: (h, c) => {
    checkPrintfStack(h, c, "perror", 2);
    const e = h.m.mem.read32(h.errno) | 0; // errno is an int
    const msg = n(c.args[0]) ? h.m.cString(c.args[0] as Int) : "";
    perror(perrorHost(h, msg, e));
    return 0;
  },
  strerror: (h, c) => strerrorString(h, n(c.args[0]) | 0, c.line),
  sysconf: (h, c) => {
    const name = n(c.args[0]);
    if (name === 30) return 4096;
    if (name === 84) return 2;
    throw new CUnsupportedError(`sysconf(${name})`, h.m.file, c.line);
  },
  getpagesize: () => 4096,
  dlsym: (h, c) => {
    // The libc build's symbols (RTLD_NEXT and RTLD_DEFAULT both find libc's) — but RTLD_DEFAULT
    // finds first the program's copy of a libc object it names, which the program exports and
    // libc uses (std_streams_read/: dlsym(RTLD_DEFAULT, "stdout") == &stdout)
    const name = h.m.cString(c.args[1] as Int);
    const copied = n(c.args[0]) === 0 && COPIED_NAMES.has(name);
    const copy = copied ? h.m.globals.get(name)?.addr : undefined;
    return copy ?? h.m.builtins.get(name)?.address ?? h.allocator.libc.symbol(name) ?? 0;
  },
  alloca: allocaCall,
  __builtin_alloca: allocaCall,
  setjmp: setjmpCall,
  _setjmp: setjmpCall,
  longjmp: longjmpCall,
  _longjmp: longjmpCall,
  getrandom: getrandomCall,
  syscall: (h, c) => {
    const nr = n(c.args[0]);
    const lp64 = h.m.abi.ptrSize === 8;
    if (nr === (lp64 ? 60 : 1) || nr === (lp64 ? 231 : 252)) {
      throw new ProgramExit(n(c.args[1] ?? 0), false);
    }
    if (nr === (lp64 ? 186 : 224)) return h.process.currentThread.tid;
    if (nr === (lp64 ? 39 : 20)) return h.process.pid;
    throw new CUnsupportedError(`syscall(${nr})`, h.m.file, c.line);
  },
  __builtin_return_address: (h, c) => {
    const f = c.frame;
    if (n(c.args[0]) !== 0) {
      throw new CUnsupportedError("__builtin_return_address(n > 0)", h.m.file, c.line);
    }
    return h.m.readPointer(f.fp + h.m.abi.ptrSize);
  },
  __builtin_frame_address: (h, c) => {
    if (n(c.args[0]) !== 0) {
      throw new CUnsupportedError("__builtin_frame_address(n > 0)", h.m.file, c.line);
    }
    return c.frame.fp;
  },
  __builtin_expect: (_h, c) => c.args[0],
  __builtin_trap: (h, c) => {
    throw new CRuntimeError("__builtin_trap (illegal instruction)", h.m.file, c.line, "SIGILL");
  },
  __builtin_unreachable: (h, c) => {
    throw new CRuntimeError("__builtin_unreachable reached", h.m.file, c.line, "SIGILL");
  },
  // (a standard descriptor still on the run's terminal; not one closed, nor a file opened on it)
  isatty: (h, c) => (h.streams.kind === "tty" && h.openFiles.standard(n(c.args[0])) ? 1 : 0),
  fileno: (h, c) => streamFd(h, c.args[0]),
  // glibc's getenv walks `environ`, whatever the program did to it.
  getenv: (h, c) => {
    const m = h.m, key = m.cString(c.args[0] as Int) + "=";
    const environ = m.readPointer(h.environ);
    if (environ === 0) return 0;
    for (let at = environ, entry; (entry = m.readPointer(at)) !== 0; at += m.abi.ptrSize) {
      if (m.cString(entry, key.length) === key) return entry + key.length;
    }
    return 0;
  },
  clearenv: (h) => {
    h.m.writePointer(h.environ, 0);
    return 0;
  },
  // The clock reads 0 (1970-01-01): a simulated program takes no time (`clock.ts`).
  time: (h, c) => time(clockHost(h), n(c.args[0])),
  gettimeofday: (h, c) => gettimeofday(clockHost(h), n(c.args[0]), n(c.args[1])),
  clock_gettime: (h, c) => sysResult(h, clockGettime(clockHost(h), n(c.args[0]), n(c.args[1]))),
  rand: (h) => h.rand.next(),
  // glibc's rand() is random(), srand() srandom(): one generator.
  random: (h) => h.rand.next(),
  srandom: (h, c) => impls.srand(h, c),
  srand: (h, c) => {
    h.rand.seed(n(c.args[0]));
    return 0;
  },
  alarm: (h, c) => h.signals.alarm(n(c.args[0]) >>> 0),
  signal: (h, c) => {
    const previous = h.signals.set(n(c.args[0]), n(c.args[1]));
    if (previous === SIG_ERR) h.m.mem.write32(h.errno, 22); // EINVAL
    return fromWord(h, previous);
  },
  sigaction: (h, c) =>
    sysResult(h, sigaction(sigactionHost(h), n(c.args[0]), n(c.args[1]), n(c.args[2]))),
  sigemptyset: (h, c) => sigfill(h.m.mem, n(c.args[0]), false, wholeSigset(h)),
  sigfillset: (h, c) => sigfill(h.m.mem, n(c.args[0]), true, wholeSigset(h)),
  sigaddset: (h, c) => sysResult(h, sigchange(h.m.mem, n(c.args[0]), n(c.args[1]), true)),
  sigdelset: (h, c) => sysResult(h, sigchange(h.m.mem, n(c.args[0]), n(c.args[1]), false)),
  sigismember: (h, c) => sysResult(h, sigismember(h.m.mem, n(c.args[0]), n(c.args[1]))),
};

/** sigemptyset and sigfillset write the whole sigset_t (`sigaction.ts`; the profile's fact). */
function wholeSigset(h: LibcHost): boolean {
  return h.allocator.profile.sigsetClearsWhole;
}

/** What sigaction works on (`sigaction.ts`). */
function sigactionHost(h: LibcHost): SigactionHost {
  const m = h.m;
  return {
    mem: m.mem,
    abi: m.abi,
    signals: h.signals,
    readPointer: (a) => m.readPointer(a),
    writePointer: (a, v) => m.writePointer(a, v),
  };
}

/** What pthread_join and pthread_detach work on (`pthread_detach.ts`). */
export function threadCallHost(h: LibcHost): ThreadCallHost {
  return {
    sched: h.sched,
    process: h.process,
    joinState: h.allocator.profile.threadJoinState,
    get mainHandle() {
      return pthreadSelfMain(h);
    },
    writePointer: (address, value) => h.m.writePointer(address, value),
    noteRecords: () => h.noteRecords(),
    refuse: (what) => refuse(h, what),
  };
}

/** What the pthread_attr functions work on (`pthread_attr.ts`). */
function threadAttrHost(h: LibcHost): ThreadAttrHost {
  return {
    mem: h.m.mem,
    ptrSize: h.m.abi.ptrSize,
    stackLimit: h.process.stackLimit,
    refuse: (what) => refuse(h, what),
  };
}

function pthreadSelfMain(h: LibcHost): number {
  // The main thread's descriptor is its thread pointer, in the static TLS area the loader put
  // next to libc (where the probe of the real process found it; see src/malloc/libc_state.ts).
  return h.allocator.libc.threadPointer(h.process.mainThread);
}

function cmp(a: string, b: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = i < a.length ? a.charCodeAt(i) : 0, y = i < b.length ? b.charCodeAt(i) : 0;
    if (x !== y) return x - y;
  }
  return 0;
}

const genImpls: Record<string, GenImpl> = {
  *puts(h, c) {
    const fp = h.files.stdout, fn = standardFiles(h) && wideXsputn(h, fp);
    if (!fn || stdoutStream(h) !== 1) return impls.puts(h, c);
    // _IO_puts: _IO_fwide (stdout, -1), then _IO_sputn through the vtable, then the newline
    const F = fileLayout(h.m.abi), mode = h.m.mem.read32(fp + F.mode) | 0;
    if (mode > 0) return -1; // EOF: a wide stdout
    if (mode === 0) h.m.mem.write32(fp + F.mode, -1 >>> 0);
    const text = n(c.args[0]), length = h.m.cString(c.args[0] as Int).length;
    const host = wideOverflowHost(flushHost(h), "puts");
    if ((yield* wideSputn(host, fp, fn, text, length)) !== length) return -1; // EOF
    writeStream(h, 1, "\n", "putc");
    return Math.min(length + 1, 0x7fff_ffff);
  },
  *fflush(h, c) {
    if (n(c.args[0]) === 0) {
      // _IO_flush_all: a forged FILE's vtable check can end the process, its wide vtable call a
      // function of the program
      const result = yield* flushAllFiles(h, "fflush");
      if (result === "aborted") throw new ProgramAbort("invalid stdio handle");
      return result;
    }
    const stream = outputStream(h, c, c.args[0]);
    if (stream >= 3) {
      const { address, host } = writerAt(h, stream);
      const result = sync(host);
      fopenFiles(h).settleWriter(address);
      return result;
    }
    if (stream === 1 || stream === 2) return sync(stream === 1 ? stdoutHost(h) : stderrHost(h));
    return 0;
  },
  *read(h, c) {
    const size = (v: Value) => sizeArgument(v as Int, h.m.abi.ptrSize);
    const host = descriptorHost(h);
    return sysResult(
      h,
      yield* readDescriptor(host, n(c.args[0]), size(c.args[1]), size(c.args[2])),
    );
  },
  *pthread_create(h, c) {
    const attr = threadAttributes(threadAttrHost(h), n(c.args[1]));
    const t = h.sched.create(c.args[2] as Int, c.args[3], c.line, attr);
    if (typeof t === "number") return t; // allocate_stack's errno
    // the guards copied into its TCB, its TLS destructors run at its end (exit_handlers.ts)
    const handlers = exitHandlerSets.get(h);
    handlers?.threadCreated(h.allocator.libc.threadPointer(t.thread));
    if (handlers) t.gen = handlers.threadBody(t.gen);
    h.noteRecords();
    h.m.writePointer(n(c.args[0]), t.handle);
    yield Signal.Spawn;
    return 0;
  },
  *pthread_join(h, c) {
    return yield* pthreadJoin(threadCallHost(h), c.args[0] as Int, n(c.args[1]));
  },
};

/** The library functions, with their prototypes and addresses in libc's text. */
/** The plain calls that change a standard FILE (the reading ones are generators). */
const STDIO_CALLS = new Set([
  "perror",
  "malloc_stats",
  "__assert_fail",
  "printf",
  "fprintf",
  "vprintf",
  "vfprintf",
  "puts",
  "putchar",
  "fputs",
  "fputc",
  "putc",
  "fwrite",
  "fflush",
  "setbuf",
  "setvbuf",
]);

/** A generator call, the standard FILEs written after it. */
function* settling(h: LibcHost, call: Generator<Signal, Value>): Generator<Signal, Value> {
  standardFiles(h)?.load();
  try {
    return yield* call;
  } finally {
    standardFiles(h)?.settle();
  }
}

export function makeBuiltins(
  prototypes: Map<string, FunctionType>,
  host: () => LibcHost,
  textBase: number,
  symbol: (name: string) => number | undefined = () => undefined,
): Map<string, Builtin> {
  const out = new Map<string, Builtin>();
  const taken = new Set<number>();
  let addr = textBase;
  for (const [name, type] of prototypes) {
    const string = STRING_FUNCTIONS[name];
    const impl = impls[name] ??
      (string && ((h: LibcHost, c: BuiltinCall) => string(h.m, c))) ??
      (CTYPE_FUNCTIONS[name] &&
        ((h: LibcHost, c: BuiltinCall) =>
          CTYPE_FUNCTIONS[name]({ refuse: (w) => refuse(h, w) }, c))) ??
      (BIT_BUILTIN_NAMES.has(name) &&
        ((h: LibcHost, c: BuiltinCall) => bitBuiltin(name, h.m.abi.ptrSize * 8)(c)));
    const reads = STDIN_FUNCTIONS[name];
    const gen = genImpls[name] ??
      (reads && ((h: LibcHost, c: BuiltinCall) => reads(stdinHost(h), c)));
    // The real address when the libc build has the symbol, else a made-up one in its text.
    let address = symbol(name);
    if (address === undefined || taken.has(address)) {
      while (taken.has(addr)) addr += 0x30;
      address = addr;
      addr += 0x30;
    }
    taken.add(address);
    if (gen) {
      // stdio's calls keep the standard FILEs' fields; read(2) and threads do not touch them
      const run = name in STDIN_FUNCTIONS || STDIO_CALLS.has(name)
        ? (c: BuiltinCall) => settling(host(), gen(host(), c))
        : (c: BuiltinCall) => gen(host(), c);
      out.set(name, { name, type, address, gen: run });
    } else if (impl && STDIO_CALLS.has(name)) {
      out.set(name, {
        name,
        type,
        address,
        fn: (c) => {
          const h = host();
          standardFiles(h)?.load();
          try {
            return impl(h, c);
          } finally {
            standardFiles(h)?.settle();
          }
        },
      });
    } else if (impl) {
      out.set(name, { name, type, address, fn: (c) => impl(host(), c) });
    } else {
      out.set(name, {
        name,
        type,
        address,
        fn: (c) => {
          throw new CUnsupportedError(`function '${name}'`, host().m.file, c.line);
        },
      });
    }
  }
  return out;
}

/** Re-exported types for the program module. */
export type { CType };
