/**
 * A C program running inside a simulated process: {@link CProgram} compiles the source,
 * places the binary's parts in the process's program mappings (functions in its text, string
 * literals in its read-only data, globals in `.data`/`.bss`, grown past the layout's page as exec
 * would map them: `program_image.ts`), and runs `main` on the process's
 * main thread through the scheduler. `run()` goes until the program pauses (a read of empty
 * standard input) or ends; `step()` runs one source line; `runTo()` runs up to a line, or until a
 * test of the program's state holds (`run_to.ts` finds the line); `feed()` gives it input.
 * `at()`, `copy()`, `back()` and `seek()` travel back in time: a new program re-run from the
 * start to a position of this one's past, given the same input (`rewind.ts`).
 *
 * How a run ends, as a shell would see it: `exit(n)` or a return from main is `exited` with
 * status n (stdout's buffer is written); glibc's `malloc_printerr` writes its message to stderr
 * and aborts (`aborted`, 134), as do `abort()` and a failed `assert` (its glibc message on
 * stderr); a bad memory access is `crashed` (SIGSEGV, 139); a return through an overwritten
 * return address or a call through a pointer into executable memory that is no function is
 * `hijacked`. Buffered stdout is lost at an abort or a crash (glibc 2.27 and later; older
 * glibc's abort() flushed it). The process stays inspectable after any of them.
 *
 * Over 500 lines: the `CProgram` class (about 700 lines, half of them JSDoc) is the one public
 * handle on a running C program — compile, feed input, run, step, run to a line, travel back,
 * the children its fork makes (re-runs of it: `fork.ts`), locals, backtrace and the brk/mmap
 * family it forwards
 * — and the rest is its options/result types and the helpers that format what it reports.
 *
 * @module
 */

import { Allocator } from "../malloc/allocator.ts";
import type { LibcState } from "../malloc/libc_state.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import type { OperationRecord } from "../malloc/explain.ts";
import { HeapAbort, HeapAssertionFailure } from "../malloc/errors.ts";
import { ControlFlowHijack, type LibcEvent, ProcessExit } from "../malloc/hooks.ts";
import { ArgumentRangeError, SegmentationFault } from "../kernel/errors.ts";
import { exitStatusOf } from "../kernel/signals.ts";
import { writingReadOnly } from "./read_only_pages.ts";
import { Process } from "../kernel/process.ts";
import type { Vma } from "../kernel/vma.ts";
import { HEAP_CHECK_STEPS, HEAP_STOP_SHARE, heapNearlyFull } from "../kernel/heap_budget.ts";

import {
  COutputLimitError,
  CRuntimeError,
  CStepLimitError,
  CUnsupportedError,
  refuseStackOverflow,
} from "./errors.ts";
import { headerTags, headerTypedefs, predefinedMacros, PROTOTYPES } from "./headers.ts";
import {
  compileUnit,
  ControlHijack,
  type Frame,
  Machine,
  ProgramAbort,
  ProgramExit,
  Signal,
} from "./interpreter.ts";
import {
  flushAllFiles,
  glibcMessage,
  type LibcHost,
  makeBuiltins,
  runExitHandlers,
  startExitHandlers,
  threadCallHost,
} from "./libc.ts";
import { detachedThreadEnd } from "./pthread_detach.ts";
import { initFini, startProgram } from "./init_fini.ts";
import { parse } from "./parser.ts";
import { preprocess } from "./preprocessor.ts";
import type { SourceFiles } from "./source_locations.ts";
import { OpenFiles } from "./open_files.ts";
import { ProcFiles } from "./proc_maps.ts";
import { GlibcRand } from "./rand.ts";
import { layStartStack, MAIN_RETURN_SITES, STACK_TOP, type StartStack } from "./start_stack.ts";
import { type CThread, Scheduler } from "./scheduler.ts";
import { SignalDispositions } from "./signal_dispositions.ts";
import { type AddressKind, deliver, faultSignal } from "./signal_delivery.ts";
import { GLOBALS_LIMIT, mapProgramImage, planGlobals } from "./program_image.ts";
import { type FileInfo, fileLayout, readFileFields } from "./file_layout.ts";
import { type CompiledGlobals, type GlobalsInfo, globalsInfo } from "./globals_info.ts";
import { writeStandardFiles } from "./std_files.ts";
import { byteText, type StdoutKind, Streams } from "./stdio.ts";
import { type Abi, abiOf, type CType, type FunctionType, typeName } from "./types.ts";
import { loader, type Value } from "./values.ts";
import { targetLine } from "./run_to.ts";
import {
  type ChildEnd,
  type ChildRole,
  type ForkedChild,
  ProcessFamily,
  waitStatusOf,
} from "./fork.ts";
import { type HeapState, heapState } from "../history/state.ts";
import {
  checkPosition,
  type InputEvent,
  lastStops,
  type Rerun,
  rerun,
  type RerunPlan,
  RewindError,
} from "./rewind.ts";

/** An explain record of the allocator (what one malloc/free did). */
export type ExplainRecord = OperationRecord;

/** Options of {@link CProgram} and {@link runC}. */
export interface CRunOptions {
  /** File name used in messages, assert text and `__FILE__` (default "prog.c"). */
  file?: string;
  /**
   * argv[0] (default "./prog"): an assert message prints its last component (glibc's
   * `__progname`), glibc 2.23's malloc_printerr all of it.
   */
  programName?: string;
  /** Run inside this process (default: a new Process of `arch`'s layout). */
  process?: Process;
  /** Default: `new Allocator(process, { glibc })`. */
  allocator?: Allocator;
  /** glibc version (default "2.36"). */
  glibc?: string;
  /** When no process is given (default "x86_64"). */
  arch?: "x86_64" | "i386";
  /**
   * Keep the allocator's explain records (default true; false runs faster, and `records` stays
   * empty). Only for the allocator made here.
   */
  explain?: boolean;
  /** argv after argv[0] (`programName`). */
  args?: readonly string[];
  /**
   * Whether the program was built as gcc builds by default, its builtins on (default true), so
   * that a printf, fprintf or fputs whose value the program discards runs as the call gcc
   * emitted for it (printf("text\n") as puts("text"), fputs("\n", f) as fputc; `gcc_folding.ts`);
   * false: as written, as with -fno-builtin.
   */
  gccBuiltins?: boolean;
  /**
   * The environment, as `NAME=value` strings (default none, as `env -i` runs a program): on
   * x86_64 its strings shift the stack as they would in the real process.
   */
  environment?: readonly string[];
  /**
   * Standard input, sent to the program a line at a time, or as the sends of an array (each
   * whole: a pipe delivers a send's newlines and all to one read, a terminal a line): bytes, or
   * strings whose characters are bytes (`"\xe0"` is the byte 0xe0; text beyond latin1 must be
   * encoded first, e.g. with `TextEncoder`). Each send arrives once the program waits for input.
   */
  stdin?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** A read of empty stdin pauses (default true for CProgram); false: it reads EOF. */
  pauseOnInput?: boolean;
  /**
   * Files the program may open(2) or fopen: path → contents (a string's characters are bytes).
   * `flag.txt` and `./flag.txt` are the same file. What the program writes to them, or to files
   * it creates, stays in this run ({@link CProgram.fileBytes}); the caller's object is not
   * changed.
   */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /**
   * The program's own headers, for its `#include "common.h"`: path → text, a path relative to
   * the directory of {@link file}, where gcc would find it (`include_search.ts`). Apart from
   * `files`: gcc reads them when it compiles, and the running program does not see them.
   */
  headers?: Readonly<Record<string, string>>;
  /** Statements before CStepLimitError (default 50_000_000). */
  maxSteps?: number;
  /**
   * Where stdout goes: "tty" (line buffered, a 1 KiB buffer), "pipe" or "file" (fully
   * buffered, 4 KiB). Default: "tty" for CProgram (a program that waits for the reader runs
   * on a terminal), "pipe" for runC (as real runs are captured).
   */
  stdout?: StdoutKind;
}

/** How far a program got. */
export type CRunState = "paused" | "exited" | "aborted" | "crashed" | "hijacked" | "error";

/** The result of `run()` or `step()`. */
export interface CRunResult {
  /** How the run stopped. */
  state: CRunState;
  /** As a shell shows it: exit(n) → n, SIGABRT → 134, SIGSEGV → 139. */
  exitStatus?: number;
  /** C line where it paused or ended (in {@link file}). */
  line: number;
  /** The file of {@link line}: the program's, or the header a function it ran came from. */
  file: string;
  /** All of stdout written so far (what reached fd 1), decoded as UTF-8. */
  stdout: string;
  /** All of stderr so far, decoded as UTF-8. */
  stderr: string;
  /** stdout since the previous result, decoded as UTF-8. */
  newStdout: string;
  /** The bytes of {@link stdout}, as written: what a leak's bytes need (made when read). */
  readonly stdoutBytes: Uint8Array;
  /** The bytes of {@link stderr} (made when read). */
  readonly stderrBytes: Uint8Array;
  /** The bytes of {@link newStdout} (made when read). */
  readonly newStdoutBytes: Uint8Array;
  /**
   * The allocator's explain records of the calls since the previous result (none once
   * `recordsFull` is set).
   */
  records: ExplainRecord[];
  /**
   * Why the run keeps no more explain records: the JavaScript heap was nearly full (see
   * `src/kernel/heap_budget.ts`). The program runs on; pass `explain: false` for long runs.
   */
  recordsFull?: string;
  /** A glibc abort (malloc_printerr), with glibc's message. */
  abort?: HeapAbort;
  /** The SIGSEGV, with its address. */
  fault?: SegmentationFault;
  /** Any other error (unsupported construct, step limit, hijacked control flow). */
  error?: Error;
  /** The C call stack where it paused or ended, innermost first ("main () at prog.c:12"). */
  backtrace: string[];
  /** What calls through overwritten pointers ran so far (system's ShellSpawned, …). */
  events: readonly LibcEvent[];
}

/**
 * Where {@link CProgram.runTo} runs to: a line number, text on a line, or a test of the
 * program's state (true: stop here).
 */
export type RunTarget = number | string | ((program: CProgram) => boolean);

/** The result of {@link CProgram.runTo}. */
export interface CRunToResult extends CRunResult {
  /**
   * The program stopped at the target (its `state` is then "paused"); false: it stopped
   * earlier, as `state` says (paused: waiting for input; or ended).
   */
  reached: boolean;
}

/** A child the program's fork made (`fork.ts`): it runs when waited for, or once its parent ends. */
export interface CChild {
  /** Its pid. */
  readonly pid: number;
  /** The child's program — its process, memory, output — once it has run. */
  readonly program?: CProgram;
  /** How its run ended, once it has run. */
  readonly result?: CRunResult;
  /** What wait(2) stores for it, once it has run. */
  readonly waitStatus?: number;
  /** A wait has returned it. */
  readonly reaped: boolean;
}

/** What a fork's child knows of its fork ({@link CProgram.forkedFrom}). */
export interface CForkOrigin {
  /** The parent's pid. */
  readonly ppid: number;
  /** The child's process as the fork left it: the parent's memory, areas and allocator. */
  readonly atFork: HeapState;
  /** The sequence number of the last system call before the fork: the child's own come after. */
  readonly syscallSeq: number;
  /** Its allocator's events before the fork (the parent's): its own come after. */
  readonly eventsBefore: number;
}

/** A re-run being made to become a child: its role, and its parent's files. */
interface ChildMaking {
  readonly role: ChildRole;
  readonly parentFiles: OpenFiles;
}

/** A local variable of the current frame. */
export interface CLocal {
  /** Name. */
  name: string;
  /** C spelling of the type. */
  type: string;
  /** Address of the variable. */
  address: number;
  /** The value as C prints it (integers in decimal, pointers as %p, arrays in braces). */
  value: string;
}

const prototypeCache = new Map<string, Map<string, FunctionType>>();

function prototypes(abi: Abi): Map<string, FunctionType> {
  let p = prototypeCache.get(abi.arch);
  if (p) return p;
  const typedefs = headerTypedefs(abi);
  const { tokens } = preprocess(PROTOTYPES, "<libc>", predefinedMacros(abi));
  const unit = parse(tokens, { file: "<libc>", abi, typedefs, tags: headerTags(abi) });
  p = new Map();
  for (const g of unit.globals) if (g.type.k === "fn") p.set(g.name, g.type);
  prototypeCache.set(abi.arch, p);
  return p;
}

/**
 * The sends of a `stdin` option: each element of an array, or each line of a text or of bytes
 * (a line per send, as typed: each arrives once the program waits for input).
 */
function stdinSends(stdin: string | Uint8Array | readonly (string | Uint8Array)[]): string[] {
  if (Array.isArray(stdin)) return stdin.map((sent) => inputText("stdin", sent));
  return inputText("stdin", stdin as string | Uint8Array).match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Input given as bytes or as a string of bytes, as the one-char-per-byte text stdin keeps. */
function inputText(argument: string, input: string | Uint8Array): string {
  if (typeof input !== "string") return byteText(input);
  const wide = input.search(/[\u0100-\uffff]/);
  if (wide >= 0) {
    throw new ArgumentRangeError(
      argument,
      input.slice(wide, wide + 1),
      "bytes: a string's characters are bytes, \\x00 to \\xff; encode text first (TextEncoder)",
    );
  }
  return input;
}

/**
 * A C program in a simulated process.
 *
 * @example A program that waits for the reader
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "./program.ts";
 * const source = [
 *   "int main(void) {",
 *   "  char *p = malloc(1000);",
 *   '  printf("%p\\n", p);',
 *   "  getchar();",
 *   "  free(p);",
 *   "  return 0;",
 *   "}",
 * ].join("\n");
 * const prog = new CProgram(source);
 * const r = prog.run();
 * assert.equal(r.state, "paused");
 * assert.equal(r.line, 4);
 * assert.equal(r.stdout, "0x5555555592a0\n");
 * assert.deepEqual(r.records.map((x) => x.operation), ["malloc", "printf", "malloc"]);
 * prog.feed("\n");
 * assert.equal(prog.run().state, "exited");
 * ```
 */
export class CProgram {
  /** The process the program runs in. */
  readonly process: Process;
  /** glibc's allocator of the process. */
  readonly allocator: Allocator;
  /** Preprocessor warnings (an `#include` without a name, an unknown header). */
  readonly warnings: string[];
  /** The C source. */
  readonly source: string;
  /** File name used in messages. */
  readonly file: string;
  readonly #m: Machine;
  readonly #sched: Scheduler;
  readonly #streams: Streams;
  readonly #maxSteps: number;
  readonly #host: LibcHost;
  #records: ExplainRecord[] = [];
  /** Records noted so far, and why no more are kept (see CRunResult.recordsFull). */
  #recordCount = 0;
  #recordsFull: string | undefined;
  #lastRecord: ExplainRecord | undefined;
  #reportedStdout = 0;
  #final: CRunResult | undefined;
  #started = false;
  #lastLine = 0;
  /** The files of the program's translation unit: what its locations name. */
  readonly #files: SourceFiles;
  readonly #glibcOld: boolean;
  /** exit's flush has begun (a function it calls may not exit again). */
  #exitFlushing = false;
  /** An old glibc's abort has flushed the FILEs. */
  #abortFlushed = false;
  /** The program's identifiers and their lines (what a signal handler names: `signal_delivery.ts`). */
  readonly #identifiers: { v: string; line: number }[] = [];
  /** The aborts whose glibc message is printed already (before their SIGABRT handler ran). */
  readonly #announced = new WeakSet<object>();
  /** glibc before 2.26 wrapped malloc_printerr's message in "*** Error in `prog': …". */
  readonly #glibcOldMessages: boolean;
  /** The parsed program and its globals' plan (what {@link globalsInfo} reads). */
  readonly #image: Pick<CompiledGlobals, "unit" | "plan" | "dataStart">;
  /** The options it was made with (a re-run is made with them: `rewind.ts`). */
  readonly #options: CRunOptions;
  /** Input given, at which position (`rewind.ts`). */
  readonly #inputs: InputEvent[] = [];
  /** Pauses at input so far, each a position of its own. */
  #pauses = 0;
  /** Paused at input, and no input given since (a run from there pauses at the same place). */
  #waiting = false;
  /** The last stop of #drive was one that step() makes (a line, a pause), not a position's. */
  #atLineStop = false;
  /** Set while a re-run that is to become a fork's child is constructed (`fork.ts`). */
  static #making: ChildMaking | undefined;
  /** In a re-run made to become a child: its role and its parent's files. */
  readonly #childOf: ChildMaking | undefined = CProgram.#making;
  /** Once this run is a fork's child: its fork. */
  #forkedFrom: CForkOrigin | undefined;
  /** The children that have run: their programs and results, by pid. */
  readonly #childRuns = new Map<number, { program: CProgram; result: CRunResult }>();

  /** Compiles `source`; syntax errors throw CSyntaxError (file:line:column and token). */
  constructor(source: string, options: CRunOptions = {}) {
    this.source = source;
    this.#options = { ...options }; // (the options as they were: a re-run's)
    const file = options.file ?? "prog.c";
    this.file = file;
    this.process = options.process ?? new Process({ layout: options.arch ?? "x86_64" });
    this.allocator = options.allocator ??
      new Allocator(this.process, {
        glibc: options.glibc ?? "2.36",
        explain: options.explain ?? true,
      });
    this.#lastRecord = this.allocator.lastRecord;
    this.#glibcOld = this.allocator.profile.abortFlushesStdio;
    this.#glibcOldMessages = this.allocator.profile.printerrErrorIn;
    const abi = abiOf(this.process.arch);
    this.#maxSteps = options.maxSteps ?? 50_000_000;
    this.#streams = new Streams(options.stdout ?? "tty");
    for (const sent of stdinSends(options.stdin ?? "")) this.#streams.send(sent);
    const pre = preprocess(source, file, predefinedMacros(abi), { headers: options.headers });
    this.warnings = pre.warnings;
    const files = this.#files = pre.files;
    // (an error at a header's location names the header and its line: source_locations.ts)
    const unit = files.relocating(() =>
      parse(pre.tokens, { file, abi, typedefs: headerTypedefs(abi), tags: headerTags(abi) })
    );
    const places = findPlaces(this.process);
    // The interpreter's own accesses skip the argument checks of `process.memory`, as the
    // allocator's do: every address it passes is a number (a pointer beyond 2^53 faults in
    // `toAddress` first), and each checked access cost a proxy lookup (a quarter of a loop's time).
    const space = this.process.space;
    const mem = space.memory;
    const host = (): LibcHost => this.#host;
    // Library functions and stdio's FILEs at their real addresses in the libc build, where known.
    const libc = this.allocator.libc;
    const symbol = (name: string) => libc.symbol(name);
    const builtins = makeBuiltins(prototypes(abi), host, places.libcText, symbol);
    // The program's globals where gcc and GNU ld put them (program_image.ts), heaplab's past _end.
    const occurrences = identifierCounts(pre.tokens, this.#identifiers), named = occurrences.named;
    const gccBuiltins = options.gccBuiltins ?? true;
    const plan = planGlobals(unit, {
      abi,
      named,
      occurrences,
      gccBuiltins,
      library: new Set(builtins.keys()),
      dataStart: places.data.start,
      rodata: places.rodataArea,
      file,
    });
    this.#image = { unit, plan, dataStart: places.data.start };
    const plannedLiterals = new Map(plan.literals.map((l) => [byteText(l.bytes), l.address]));
    const m = new Machine({
      abi,
      mem,
      file,
      builtins,
      place: {
        ...places.place,
        ...(places.rodataArea && { rodata: plan.rodataEnd }),
        planned: plan.planned,
        plannedLiterals,
        data: plan.ownStart,
      },
      writeReadOnly: (addr, bytes) =>
        writingReadOnly(space, addr, addr + bytes.length, () => mem.writeBytes(addr, bytes)),
      gccBuiltins,
    });
    this.#m = m;
    const P = abi.ptrSize;
    const standardFiles = layStandardFiles(m, libc, places.libcData, {
      profile: this.allocator.profile,
      copies: plan.copies,
      named,
    });
    // glibc's malloc hooks, at their addresses in libc (called by malloc.c up to 2.33)
    const hookType: CType = { k: "ptr", to: abi.types.void };
    for (const [name, addr] of Object.entries(libc.hooks)) {
      m.globals.set(name, { type: hookType, addr });
    }
    const errnoAddr = errnoInTls(libc, this.process) ?? m.allocateGlobal(abi.types.int, 4, 0);
    m.globals.set("errno", { type: abi.types.int, addr: errnoAddr });
    // glibc's `environ` (also `__environ`): the environment main's third argument points to; in
    // libc's data, unless the program names it, which gives the program its own copy in its data
    // (a copy relocation) and leaves libc's at 0.
    const charPP: CType = { k: "ptr", to: { k: "ptr", to: abi.types.char } };
    const namesEnviron = pre.tokens.some((t) => t.v === "environ" || t.v === "__environ");
    // The x86_64 process started as exec starts it (start_stack.ts), with a real libc build.
    const stack = this.process.space.areaAt(STACK_TOP - 1);
    const execStack = P === 8 && stack?.name === "[stack]" && stack.end === STACK_TOP;
    // (an i386 program has no copy: gcc -m32's PIE reaches libc's own through the GOT)
    const libcEnviron = libc.placement === "packed" ? undefined : libc.symbol("environ");
    const environAddr = (((execStack && !namesEnviron) || P === 4) && libcEnviron) ||
      plan.copies.get("environ") || m.allocateGlobal(charPP, P, 0);
    m.globals.set("environ", { type: charPP, addr: environAddr });
    m.globals.set("__environ", { type: charPP, addr: environAddr });
    files.relocating(() => compileUnit(unit, m));
    // The image as exec maps it for these globals (program_image.ts), before their initialisers.
    mapProgramImage(space, places.data, plan.layout, m.place.data, file);
    this.#sched = new Scheduler(m, this.process);
    this.#host = {
      m,
      sched: this.#sched,
      process: this.process,
      allocator: this.allocator,
      streams: this.#streams,
      programName: options.programName ?? "./prog",
      pauseOnInput: options.pauseOnInput ?? true,
      ...standardFiles, // files, shortbufs, variables
      openFiles: new OpenFiles(options.files, new ProcFiles(this.process)),
      errno: errnoAddr,
      environ: environAddr,
      noteRecords: () => this.#noteRecords(),
      initFini: initFini(unit.functions, m.functions),
      rand: new GlibcRand(),
      signals: new SignalDispositions(),
      strerrorBuffers: new Map(),
      ...this.#forkParts(),
    };
    // Static initializers (constant in C; evaluated once, before main).
    const initFrame: Frame = { fp: 0, line: 0, fn: undefined!, ret: 0 };
    // (const objects among them, in the read-only pages: as the loader's relocations write)
    const readOnlyStart = places.rodataArea?.start ?? 0;
    writingReadOnly(space, readOnlyStart, Math.max(readOnlyStart, plan.rodataEnd), () => {
      files.relocating(() => m.inits.forEach((init) => init(initFrame)));
    });
    const main = m.functions.get("main");
    if (!main) throw new CRuntimeError("undefined reference to 'main'", file, 1);
    const name = this.#host.programName;
    const argv = [name, ...(options.args ?? [])], env = options.environment ?? [];
    let start: StartStack, returnTo: number | undefined;
    // The strings take the top of the stack area, which the kernel would grow and heaplab does
    // not: keep them to a quarter of it (the path once more than argv: exec copies both).
    const strings = [name, ...argv, ...env].reduce((n, text) => n + text.length + 1, 0);
    const room = stack ? (stack.end - stack.start) / 4 : Infinity;
    if (strings > room) {
      const what = `argv and the environment take ${strings} bytes`;
      throw new CRuntimeError(`${what}: at most ${room} fit the initial stack`, file, 1);
    }
    if (execStack) {
      // As exec and glibc's start code leave it for `setarch -R env -i ./prog` (start_stack.ts).
      const below = this.allocator.profile.mainFrameBelowArgv;
      start = layStartStack(mem, name, argv, env, below);
      const site = MAIN_RETURN_SITES[libc.build.facts.version];
      if (site !== undefined) returnTo = libc.base + site;
    } else start = this.#plainStartStack(m, argv, env); // (i386's AT_RANDOM: past the strings)
    if (start.random !== undefined) startExitHandlers(this.#host, start.random, this.#dsoHandle());
    m.writePointer(environAddr, start.envp);
    this.#sched.startMain(startProgram(this.#host, main, start), start.callerSp, returnTo);
    this.#lastLine = (this.#host.initFini.initArray[0] ?? main).line;
  }

  /** Where crt's `__dso_handle` is (what the program's atexit passes). */
  #dsoHandle(): number {
    return this.globalsInfo().landmarks.find((l) => l.name === "__dso_handle")?.address ?? 0;
  }

  // Another layout (i386, a process given with its own stack): the pointer arrays just above
  // the main thread's stack pointer, then the strings (from sp + 0x200 unless the arrays reach
  // further), main's frame below it; on i386, AT_RANDOM's 16 bytes after the strings.
  #plainStartStack(m: Machine, argv: readonly string[], env: readonly string[]): StartStack {
    const sp = this.process.mainThread.sp, P = m.abi.ptrSize;
    const argvAt = sp + 0x100, envp = argvAt + (argv.length + 1) * P;
    let text = Math.max(sp + 0x200, envp + (env.length + 1) * P);
    [...argv, ...env].forEach((s, i) => {
      m.writeText(text, s + "\0");
      m.writePointer(i < argv.length ? argvAt + i * P : envp + (i - argv.length) * P, text);
      text += s.length + 1;
    });
    m.writePointer(argvAt + argv.length * P, 0);
    m.writePointer(envp + env.length * P, 0);
    const random = P === 4 ? Math.ceil(text / 16) * 16 : undefined;
    return { argc: argv.length, argv: argvAt, envp, callerSp: sp, random };
  }

  /** True once the program has ended (exited, aborted, crashed, …). */
  get done(): boolean {
    return this.#final !== undefined;
  }

  /**
   * Sends to standard input, as one write (see {@link CRunOptions.stdin}): bytes, or a string
   * whose characters are bytes.
   */
  feed(input: string | Uint8Array): void {
    const text = inputText("input", input);
    if (text === "") return;
    this.#inputs.push({ position: this.position, input: text });
    this.#waiting = false;
    this.#streams.send(text);
  }

  /** Closes standard input: reads past its end return EOF instead of pausing. */
  closeInput(): void {
    if (this.#streams.eof) return;
    this.#inputs.push({ position: this.position });
    this.#waiting = false;
    this.#streams.eof = true;
  }

  /**
   * The program's clock: statements begun, plus one per pause at input, plus one once it has
   * ended (`rewind.ts`). Every place `step()`, `run()` or `runTo()` stops has its own position;
   * {@link at} goes back to one.
   */
  get position(): number {
    return this.#m.steps + this.#pauses + (this.#final ? 1 : 0);
  }

  /**
   * The input given so far by {@link feed} and {@link closeInput}, with the positions it came at
   * (what {@link at} and {@link copy} give their re-run).
   */
  get inputs(): readonly InputEvent[] {
    return this.#inputs.slice();
  }

  /**
   * A new program, run from the start to `position` of this one's past and given the same input
   * at the same positions (not the input given there): as this program was when it first got
   * there. This program is not touched. Costs a run from the start (`rewind.ts`).
   *
   * @example Back to the pause, another input
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const prog = new CProgram(
   *   'int main(void) { char s[8]; fgets(s, 8, stdin); puts(s); return 0; }',
   * );
   * prog.run();
   * const pause = prog.position;
   * prog.feed("one\n");
   * assert.equal(prog.run().stdout, "one\n\n");
   * const again = prog.at(pause);
   * again.feed("two\n");
   * assert.equal(again.run().stdout, "two\n\n");
   * assert.equal(prog.stdout, "one\n\n");
   * ```
   *
   * @param position 0 to {@link position}.
   * @returns The new program, stopped there.
   * @throws {ArgumentRangeError} A position the program has not reached.
   * @throws {RewindError} The program was given its process or allocator (`options.process`,
   * `options.allocator`), or was changed from JavaScript so that a re-run cannot follow it.
   */
  at(position: number): CProgram {
    checkPosition(position, this.position);
    return rerun(this.#plan(), position).program;
  }

  /**
   * A new program in this one's state now, input given included: a branch to go on with
   * otherwise. Costs a run from the start.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const prog = new CProgram("int main(void) { int c = getchar(); return c; }");
   * prog.run();
   * const branch = prog.copy();
   * prog.feed("A");
   * prog.closeInput();
   * branch.feed("B");
   * branch.closeInput();
   * assert.equal(prog.run().exitStatus, 65);
   * assert.equal(branch.run().exitStatus, 66);
   * ```
   *
   * @returns The new program, at {@link position}.
   * @throws {RewindError} The program was given its process or allocator, or was changed from
   * JavaScript so that a re-run cannot follow it.
   */
  copy(): CProgram {
    return rerun(this.#plan(), this.position, { inputsThere: true }).program;
  }

  /**
   * A new program `n` stops of `step()` back (a line, a pause at input): as it was there.
   * Costs two runs from the start (the first steps through the last few thousand statements).
   *
   * @example Back before the free
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const source = [
   *   "int main(void) {",
   *   "  char *p = malloc(0x18);",
   *   "  free(p);",
   *   "  return 0;",
   *   "}",
   * ].join("\n");
   * const prog = new CProgram(source);
   * prog.runTo("return");
   * const before = prog.back();
   * assert.equal(before.currentLine(), 3);
   * assert.equal(before.allocator.lastRecord?.operation, "malloc");
   * assert.equal(prog.allocator.lastRecord?.operation, "free");
   * ```
   *
   * @param n How many stops back (default 1).
   * @returns The new program, there.
   * @throws {ArgumentRangeError} Fewer than `n` stops lie behind.
   */
  back(n = 1): CProgram {
    if (!Number.isSafeInteger(n) || n < 1) throw new ArgumentRangeError("n", n, "1 or more");
    const stops = lastStops(this.#plan(), () => true, n);
    if (n > stops.length) {
      throw new ArgumentRangeError("n", n, `at most the ${stops.length} stops behind`);
    }
    return this.at(stops[0]);
  }

  /**
   * A new program at the last stop of `step()` before now where the target held: a line
   * number, text on a line (where a statement begins), or a test of the program. Costs two
   * runs from the start when it held a few thousand statements back; further back, a run more
   * for every window four times wider (the test is tried wherever `step()` would stop).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const source = [
   *   "int main(void) {",
   *   "  for (int i = 0; i < 3; i++)",
   *   "    free(malloc(0x18 + 0x10 * i));",
   *   "  return 0;",
   *   "}",
   * ].join("\n");
   * const prog = new CProgram(source);
   * prog.run();
   * assert.equal(prog.seek("free").locals()[0].value, "2"); // the last time round
   * const second = prog.seek((p) => p.currentLine() === 3 && p.locals()[0].value === "1");
   * assert.equal(second.allocator.chunks().filter((c) => c.state === "tcache").length, 1);
   * ```
   *
   * @param target A line number, text on a line, or a test of the program at a stop.
   * @returns The new program, at the last such stop.
   * @throws {ArgumentRangeError} No such stop lies behind.
   */
  seek(target: RunTarget): CProgram {
    const test = this.#targetTest(target);
    const found = lastStops(this.#plan(), test, 1)[0];
    if (found === undefined) {
      throw new ArgumentRangeError("target", target, "a place the program stopped at before now");
    }
    return this.at(found);
  }

  /** Runs until a pause or the end. */
  run(): CRunResult {
    return this.#drive(false);
  }

  /** Runs one source line. */
  step(): CRunResult {
    return this.#drive(true);
  }

  /**
   * Runs until the program is about to execute a line, or until a test of its state holds: as
   * `step()` repeated until then, but without a result for each line. It stops earlier where
   * `run()` would stop — at the end (exit, abort, crash, a hijack, an error such as the step
   * limit) or to wait for input — and `reached` says whether it got there; `state` says how
   * it stopped otherwise.
   *
   * The target is a line number, where a statement must begin; or text on a line: the first
   * line after the current one that holds it and where a statement begins, wrapping around to
   * the top (found once, when called); or a predicate, tested wherever `step()` would stop.
   * At least one statement runs first: at the target line already (in a loop), it runs to the
   * next time the program arrives there.
   *
   * @example Up to a line, then on to the end
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const source = [
   *   "int main(void) {",
   *   "  char *p = malloc(0x18);",
   *   "  free(p);",
   *   "  return 0;",
   *   "}",
   * ].join("\n");
   * const prog = new CProgram(source);
   * const at = prog.runTo("free(p)");
   * assert.equal(at.reached, true);
   * assert.equal(at.line, 3);
   * assert.equal(prog.allocator.lastRecord?.operation, "malloc");
   * assert.equal(prog.runTo((p) => p.allocator.lastRecord?.operation === "free").line, 4);
   * assert.equal(prog.runTo(3).state, "exited"); // line 3 never comes again
   * ```
   *
   * @param target A line number, text on a line, or a test of the program's state.
   * @returns The result as `step()` gives it, and whether the target was reached.
   * @throws {ArgumentRangeError} No statement begins on the line, or on a line with the text.
   */
  runTo(target: RunTarget): CRunToResult {
    let arrived: () => boolean;
    let failure: { error: unknown } | undefined;
    if (typeof target === "function") {
      arrived = () => {
        try {
          return target(this) === true;
        } catch (error) {
          failure = { error };
          return true;
        }
      };
    } else {
      const line = targetLine(target, {
        source: this.source,
        currentLine: this.#location(),
        statementLines: this.#m.statementLines,
      });
      arrived = () => this.#location() === line;
    }
    let reached = false;
    const r = this.#drive(true, () => reached = arrived());
    if (failure) throw failure.error; // the predicate's own error, the program paused before it
    return Object.assign(r, { reached: reached && r.state === "paused" });
  }

  /** What {@link seek} looks for, as a test of a program at a stop. */
  #targetTest(target: RunTarget): (program: CProgram) => boolean {
    if (typeof target === "function") return (program) => target(program) === true;
    const statementLines = this.#m.statementLines;
    const line = targetLine(target, {
      source: this.source,
      currentLine: this.#location(),
      statementLines,
    });
    if (typeof target === "number") return (program) => program.#location() === line;
    return (program) => {
      const at = program.#location();
      return statementLines.has(at) && program.sourceLine(at).includes(target);
    };
  }

  /** What the program's fork, wait and waitpid work with (`fork.ts`). */
  #forkParts(): Pick<LibcHost, "family" | "children"> {
    return {
      family: new ProcessFamily(this.#childOf?.role),
      children: {
        becomeChild: (role) => this.#becomeChild(role),
        runChild: (child) => this.#runChild(child),
        position: () => this.position,
      },
    };
  }

  /** The children the program's fork made, in fork order (`fork.ts`). */
  get children(): readonly CChild[] {
    return this.#host.family.children.map((c) => ({
      pid: c.pid,
      reaped: c.reaped,
      ...(c.waitStatus !== undefined && { waitStatus: c.waitStatus }),
      ...this.#childRuns.get(c.pid),
    }));
  }

  /** In a fork's child: its fork (its parent's pid, its process then); else undefined. */
  get forkedFrom(): CForkOrigin | undefined {
    return this.#forkedFrom;
  }

  /**
   * This re-run has reached the fork its role names, and becomes the child (`fork.ts`): its
   * output so far (its parent's, written already) dropped, its parent's files and descriptors
   * in place of its own, standard input shared, its own pid.
   */
  #becomeChild(role: ChildRole): void {
    const streams = this.#streams;
    streams.stdoutBytes.clear();
    streams.stderrBytes.clear();
    streams.inputShared = true;
    this.#reportedStdout = 0;
    this.#records = [];
    this.#host.openFiles.adoptFork(this.#childOf!.parentFiles);
    this.process.becomeForkChild(role.pid);
    this.#forkedFrom = {
      ppid: role.ppid,
      atFork: heapState(this.allocator, `child ${role.pid} at its fork`),
      syscallSeq: this.process.syscalls.lastSeq,
      eventsBefore: this.allocator.events.length,
    };
  }

  /**
   * Runs a child this program's fork made (`fork.ts`): a re-run of this program, given the same
   * input, to the fork — where it becomes the child — and on to its end. What it wrote to stdout
   * and stderr joins this program's; a `ChildExited` event tells how it ended.
   */
  #runChild(child: ForkedChild): ChildEnd {
    const plan = this.#plan();
    const role = { forkNumber: child.forkNumber, pid: child.pid, ppid: this.process.pid };
    const making: ChildMaking = { role, parentFiles: this.#host.openFiles };
    const start = () => {
      CProgram.#making = making;
      try {
        return plan.start();
      } finally {
        CProgram.#making = undefined;
      }
    };
    const at = rerun({ ...plan, start }, child.position, { inputsThere: true });
    const program = at.program, result = program.run();
    const origin = program.#forkedFrom;
    if (origin === undefined) {
      throw new RewindError(`the re-run of child ${child.pid} did not reach its fork`);
    }
    this.#childRuns.set(child.pid, { program, result });
    this.#streams.stdoutBytes.appendWritten(program.#streams.stdoutBytes);
    this.#streams.stderrBytes.appendWritten(program.#streams.stderrBytes);
    const end = { state: result.state, exitStatus: result.exitStatus, error: result.error };
    const waitStatus = waitStatusOf(end);
    if (waitStatus !== undefined) {
      this.allocator.context.events.push({
        kind: "ChildExited",
        pid: child.pid,
        state: result.state,
        exitStatus: result.exitStatus!,
        waitStatus,
        events: program.allocator.events.slice(origin.eventsBefore),
      });
    }
    return end;
  }

  /** The children not yet run, run once this program has ended (orphans: `fork.ts`). */
  #runOrphans(): void {
    for (const child of this.#host.family.children) {
      if (!this.#childRuns.has(child.pid)) child.waitStatus = waitStatusOf(this.#runChild(child));
    }
  }

  /** How to re-run this program (`rewind.ts`). */
  #plan(): RerunPlan<CProgram> {
    const options = this.#options;
    if (this.#forkedFrom !== undefined) {
      throw new RewindError(
        "a fork's child cannot be re-run: its files are its parent's now (re-run the parent)",
      );
    }
    if (options.process || options.allocator) {
      throw new RewindError(
        "a program run in a process or allocator given to it cannot be re-run: its state " +
          "before the program is not known (let the program make its own)",
      );
    }
    const start = (): Rerun<CProgram> => {
      const program = new CProgram(this.source, options);
      return {
        program,
        get position() {
          return program.position;
        },
        advance: (position, lines) => program.#advance(position, lines),
        give: (e) => e.input === undefined ? program.closeInput() : program.feed(e.input),
      };
    };
    return { position: this.position, inputs: this.#inputs, start };
  }

  /** Runs to `position` (see Rerun.advance); whether it stopped where step() stops. */
  #advance(position: number, lines: boolean): boolean {
    this.#atLineStop = false;
    this.#drive(lines, undefined, position);
    return this.#atLineStop;
  }

  /**
   * The C line where the current thread is: a line of the program's file, or of the header
   * {@link currentFile} names (a function the program's own header defines).
   */
  currentLine(): number {
    return this.#files.where(this.#location()).line;
  }

  /** The file of {@link currentLine}: the program's (`file`), or one of its `headers`. */
  currentFile(): string {
    return this.#files.where(this.#location()).file;
  }

  /** Where the current thread is, as a location (`source_locations.ts`). */
  #location(): number {
    const f = this.#topFrame();
    return f ? f.line : this.#sched.lastLine || this.#lastLine;
  }

  /** All of stdout written so far. */
  get stdout(): string {
    return this.#streams.stdoutBytes.utf8();
  }

  /** All of stderr written so far. */
  get stderr(): string {
    return this.#streams.stderrBytes.utf8();
  }

  /**
   * The bytes of a file as the program's writes left it — one given as `files` or one it
   * created, through any descriptor: after `fclose(stderr)` a file fopen'ed for writing is
   * descriptor 2, and glibc's abort message lands in it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const source = [
   *   "int main(void) {",
   *   "  fclose(stderr);",
   *   '  FILE *log = fopen("log.txt", "w");',
   *   "  char *p = malloc(0x18);",
   *   "  free(p);",
   *   "  free(p);",
   *   "}",
   * ].join("\n");
   * const prog = new CProgram(source, { glibc: "2.36" });
   * assert.equal(prog.run().exitStatus, 134);
   * assert.equal(prog.stderr, "");
   * const log = new TextDecoder().decode(prog.fileBytes("log.txt"));
   * assert.equal(log, "free(): double free detected in tcache 2\n");
   * ```
   *
   * @param path The file's path, as the program would name it (`log.txt`, `./log.txt`).
   * @returns A copy of its bytes, or undefined when there is no such file (or it was unlinked).
   */
  fileBytes(path: string): Uint8Array | undefined {
    return this.#host.openFiles.contents(path);
  }

  /** The locals of the current frame (declared by the current line), in declaration order. */
  locals(): CLocal[] {
    const f = this.#topFrame();
    if (!f) return [];
    const line = f.line;
    const m = this.#m;
    return f.fn.locals
      .filter((l) => l.line <= line && line <= l.endLine)
      .map((l) => {
        const address = f.fp + l.offset;
        let value: string;
        try {
          value = formatValue(l.type, address, m);
        } catch {
          value = "<unreadable>";
        }
        return { name: l.name, type: typeName(l.type), address, value };
      });
  }

  /**
   * A FILE as the process's memory holds it now, every field ({@link FileInfo}): the FILE at an
   * address, or the one the program's `stdin`, `stdout` or `stderr` points at (in libc,
   * `_IO_2_1_stdout_`, unless a program naming it pointed it elsewhere).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const prog = new CProgram('int main(void) { puts("hi"); return 0; }', { glibc: "2.31" });
   * prog.run();
   * const stdout = prog.fileInfo("stdout");
   * assert.equal(prog.allocator.libc.symbolAt(stdout.address), "_IO_2_1_stdout_");
   * assert.equal(stdout.fields[0].field, "_flags");
   * assert.equal(stdout.fields[0].value, 0xfbad2a84n);
   * assert.equal(stdout.fields.at(-1)!.field, "vtable");
   * ```
   *
   * @param file The FILE's address, or the name of a standard stream.
   * @returns Its address and fields.
   */
  fileInfo(file: number | "stdin" | "stdout" | "stderr"): FileInfo {
    const m = this.#m;
    // the program's copy of the pointer where it names the stream (ld's copy relocation), else
    // the FILE libc's own pointer starts at
    const copy = typeof file === "number" ? undefined : m.globals.get(file);
    const address = typeof file === "number"
      ? file
      : copy
      ? m.readPointer(copy.addr)
      : this.#host.files[file];
    return { address, fields: readFileFields(m.mem, m.abi, address) };
  }

  /**
   * The program's globals as gcc 12 and GNU ld placed them (`program_image.ts`), in address
   * order — name, section, address, size, alignment — and the landmarks of its writable segment
   * as far as heaplab's plan knows them: the tail of `.got.plt`, `data_start`, `__dso_handle`,
   * `_edata`, the copies of libc's objects the program names, `completed.0`, `_end`
   * ({@link GlobalsInfo}). Where they are, not what they hold: read memory for that.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CProgram } from "./program.ts";
   * const prog = new CProgram("int counter = 1;\nchar buf[64];\nint main(void) { return 0; }");
   * const { globals, landmarks } = prog.globalsInfo();
   * assert.deepEqual(globals.map((g) => [g.name, g.section, g.size, g.align]), [
   *   ["counter", ".data", 4, 4],
   *   ["buf", ".bss", 64, 32],
   * ]);
   * assert.equal(globals[0].address, 0x555555558010);
   * assert.equal(landmarks.find((l) => l.name === "_end")!.address, 0x555555558080);
   * ```
   *
   * @returns The globals and the landmarks, each in address order.
   */
  globalsInfo(): GlobalsInfo {
    return globalsInfo({
      ...this.#image,
      abi: this.#m.abi,
      library: new Set(this.#m.builtins.keys()),
      gccBuiltins: this.#options.gccBuiltins ?? true,
    });
  }

  /** The C call stack of the current thread, innermost first. */
  backtrace(): string[] {
    const t = this.#sched.current;
    if (!t) return [];
    return t.frames.slice().reverse().map((f, i) => {
      const { file, line } = this.#files.where(f.line);
      return `#${i} ${f.fn.name} () at ${file}:${line}`;
    });
  }

  /** The source line `n` (1-based). */
  sourceLine(n: number): string {
    return this.source.split("\n")[n - 1] ?? "";
  }

  #topFrame(): Frame | undefined {
    const t = this.#sched.current;
    return t?.frames[t.frames.length - 1];
  }

  #noteRecords(): void {
    const r = this.allocator.lastRecord;
    if (r && r !== this.#lastRecord) {
      this.#lastRecord = r;
      if (this.#recordsFull !== undefined) return;
      if (++this.#recordCount % HEAP_CHECK_STEPS === 0) {
        const full = heapNearlyFull();
        if (full !== undefined) {
          this.#recordsFull = `${full} after ${this.#recordCount - 1} explain records: later ` +
            `calls' records were not kept (run with explain: false)`;
          return;
        }
      }
      this.#records.push(r);
    }
  }

  #result(state: CRunState, extra: Partial<CRunResult> = {}): CRunResult {
    if (state !== "paused" && state !== "error") {
      try {
        this.#runOrphans(); // (after the program's own end: their output comes after its)
      } catch (e) {
        [state, extra] = ["error", { error: e instanceof Error ? e : new Error(String(e)) }];
      }
    }
    this.#noteRecords();
    const location = this.#location();
    this.#lastLine = location;
    const { file, line } = this.#files.where(location);
    // Written bytes never change: the getters read them up to where they ended now.
    const out = this.#streams.stdoutBytes, errors = this.#streams.stderrBytes;
    const end = out.length, errorEnd = errors.length, before = this.#reportedStdout;
    const stdout = out.utf8(0, end);
    const r: CRunResult = {
      state,
      line,
      file,
      stdout,
      stderr: errors.utf8(0, errorEnd),
      newStdout: before === 0 ? stdout : out.utf8(before, end),
      get stdoutBytes() {
        return out.bytes(0, end);
      },
      get stderrBytes() {
        return errors.bytes(0, errorEnd);
      },
      get newStdoutBytes() {
        return out.bytes(before, end);
      },
      records: this.#records,
      ...(this.#recordsFull === undefined ? {} : { recordsFull: this.#recordsFull }),
      events: this.allocator.events,
      backtrace: this.backtrace(),
      ...extra,
    };
    if (r.error) r.error = this.#files.relocate(r.error) as Error; // (a header's file and line)
    this.#reportedStdout = end;
    this.#records = [];
    return r;
  }

  /**
   * Runs to the end or a pause; stepping, to the next line (of any thread), or on past each
   * line until `arrived()` holds there.
   */
  #drive(stepping: boolean, arrived?: () => boolean, until?: number): CRunResult {
    // the heap guard looks where memory grows, while the program runs (not between stops)
    const memory = this.process.space.memory;
    memory.onGrowth = this.#growth;
    try {
      return this.#driveSteps(stepping, arrived, until);
    } finally {
      memory.onGrowth = undefined;
    }
  }

  readonly #growth = () => this.#heapFull();

  #driveSteps(stepping: boolean, arrived?: () => boolean, until?: number): CRunResult {
    if (this.#final) {
      return { ...this.#final, newStdout: "", records: [] };
    }
    const m = this.#m;
    const sched = this.#sched;
    let startThread = sched.current;
    let startLine = this.#started ? this.#location() : -1;
    this.#started = true;
    const max = this.#maxSteps;
    // (up to a position: no pause on the way, the step that reaches it)
    const yieldAt = () =>
      stepping
        ? m.steps + 1
        : until === undefined
        ? max
        : Math.min(max, m.steps + until - this.position);
    m.yieldAt = yieldAt();
    try {
      for (;;) {
        const th = sched.current;
        if (th.thread.state === "running") this.process.switchTo(th.thread);
        const r: IteratorResult<Signal, Value> = th.gen.next();
        if (r.done) {
          if (th.thread.index === 0) throw new ProgramExit(Number(r.value) | 0, true);
          this.#threadDone(th, r.value);
          continue;
        }
        switch (r.value) {
          case Signal.Step:
            if (m.steps >= max) throw new CStepLimitError(max, this.#location());
            if (stepping) {
              if (this.#location() !== startLine || sched.current !== startThread) {
                if (arrived === undefined || arrived()) {
                  this.#atLineStop = true;
                  return this.#result("paused");
                }
                startLine = this.#location();
                startThread = sched.current;
              }
            }
            if (until !== undefined && this.position >= until) return this.#result("paused");
            m.yieldAt = yieldAt();
            break;
          case Signal.Input:
            // (a run from a pause with no input given since pauses there again: the same place)
            if (!this.#waiting) this.#pauses++;
            this.#waiting = true;
            this.#atLineStop = true;
            return this.#result("paused");
          case Signal.Spawn:
            sched.runnable.push(th);
            sched.switchTo(sched.spawned!);
            sched.spawned = undefined;
            break;
          case Signal.Block: {
            const next = sched.runnable.pop();
            if (!next) {
              throw new CRuntimeError(
                "deadlock: every thread is blocked",
                this.file,
                this.#location(),
              );
            }
            sched.switchTo(next);
            break;
          }
        }
      }
    } catch (e) {
      let handler;
      try {
        handler = this.#delivered(e);
      } catch (refusal) {
        return this.#end(refusal);
      }
      if (handler === undefined) return this.#end(e);
      sched.current.gen = sched.run(handler);
      return this.#drive(stepping, arrived, until);
    }
  }

  /**
   * The run of the program's handler for the signal of the fault `e` on the thread that faulted
   * (`signal_delivery.ts`), or undefined when the fault ends the run; a refusal of what is not
   * modelled ends it too.
   */
  #delivered(e: unknown): Generator<Signal, Value> | undefined {
    const space = this.process.space;
    const kindAt = (a: bigint): AddressKind => {
      const area = a <= BigInt(Number.MAX_SAFE_INTEGER) ? space.areaAt(Number(a)) : undefined;
      return area === undefined ? "unmapped" : area.prot & 4 ? "code" : "data";
    };
    const fault = faultSignal(e, kindAt);
    if (fault === undefined) return undefined;
    if (this.#glibcOld && fault.fromAbort && this.#host.signals.action(6)!.handler > 1) {
      const what = "a SIGABRT handler on a glibc whose abort() flushes stdio first";
      throw new CUnsupportedError(what, this.file, this.#location());
    }
    const ids = this.#identifiers;
    const th = this.#sched.current;
    return deliver(
      {
        signals: this.#host.signals,
        sched: this.#sched,
        mentions: (fn, index, name) => {
          const param = fn.locals.find((l) => l.offset === fn.params[index]?.offset);
          if (!param) return false;
          const inside = ids.filter((t) => t.line >= fn.line && t.line <= param.endLine);
          return name === ""
            ? inside.filter((t) => t.v === param.name).length > 1
            : inside.some((t) => t.v === name);
        },
        announce: (a) => this.#announce(a),
        kindAt,
        refuse: (what) => {
          throw new CUnsupportedError(what, this.file, this.#location());
        },
      },
      th,
      e,
    );
  }

  /** Prints malloc's or assert's message of an abort, once; the abort as its result carries it. */
  #announce(e: unknown): HeapAbort | undefined {
    if (!(e instanceof HeapAbort)) return undefined;
    let named = e;
    if (e instanceof HeapAssertionFailure) {
      // assert's own words (not malloc_printerr's), naming the program by its argv[0], which
      // is not the name of the process the allocator was made for
      named = new HeapAssertionFailure(e.failed, {
        programName: this.#host.programName,
        operation: e.operation,
        address: e.address,
      });
    }
    if (this.#announced.has(e)) return named;
    this.#announced.add(e);
    if (e instanceof HeapAssertionFailure) {
      glibcMessage(this.#host, named.glibcMessage + "\n");
      return named;
    }
    glibcMessage(
      this.#host,
      this.#glibcOldMessages
        ? `*** Error in \`${this.#host.programName}': ${e.glibcMessage}: 0x${
          // glibc passed chunk2mem(p); heaplab's abort carries the chunk (realloc's the pointer).
          (e.glibcMessage.startsWith("realloc")
            ? e.address
            : e.address + 2 * (this.process.arch === "x86_64" ? 8 : 4))
            .toString(16).padStart(this.process.arch === "x86_64" ? 16 : 8, "0")} ***\n`
        : e.glibcMessage + "\n",
    );
    return e;
  }

  /**
   * Ends the run with a CUnsupportedError once the JavaScript heap holds most of its limit
   * (`heapNearlyFull` past `HEAP_STOP_SHARE`), looked at where the process's memory grows (the
   * memory's `onGrowth`, every megabyte of pages first written): a program that
   * maps and touches memory without end (a malloc loop of 1 MiB chunks) would otherwise end the
   * whole JavaScript process in V8's fatal out-of-memory before its step limit, where the real
   * one runs until the kernel's OOM killer, which heaplab does not model. A heap full of what the
   * run let go of (a menu loop printing at end of input), which V8 collects, does not stop it:
   * that loop writes no new pages. (Areas are bounded by vm.max_map_count.)
   */
  #heapFull(): void {
    const full = heapNearlyFull(HEAP_STOP_SHARE);
    if (full === undefined) return;
    const what = `a process holding more memory than heaplab can (${full}, ` +
      `${this.process.space.memory.residentPages} pages resident)`;
    throw new CUnsupportedError(what, this.file, this.#location());
  }

  #threadDone(th: CThread, value: Value): void {
    const sched = this.#sched;
    th.done = true;
    th.result = value;
    if (th.thread.state === "running") this.process.threadExit(th.thread, { sp: th.sp });
    if (th.detached) detachedThreadEnd(threadCallHost(this.#host), th);
    this.#noteRecords();
    sched.runnable.push(...th.joiners);
    th.joiners = [];
    const next = sched.runnable.pop();
    if (!next) {
      throw new CRuntimeError("deadlock: every thread is blocked", this.file, this.#location());
    }
    sched.switchTo(next);
  }

  /**
   * The end of an exit with status `status`: exit's flush of the FILEs first, which a forged
   * FILE's vtable can turn into an abort (glibc's vtable check) or into a call of the program's
   * own function (House of Apple 2), run here to its end.
   */
  #exited(status: number): CRunResult {
    if (this.#exitFlushing) {
      const line = this.#location();
      return this.#end(
        new CUnsupportedError("exit called again inside exit's flush", this.file, line),
      );
    }
    this.#exitFlushing = true;
    try {
      // exit's handlers in reverse order (their own exit gives the status), then _IO_cleanup
      status = this.#runToEnd(runExitHandlers(this.#host, status));
      if (this.#runToEnd(flushAllFiles(this.#host, "exit")) === "aborted") {
        return this.#result("aborted", { exitStatus: exitStatusOf("SIGABRT") });
      }
    } catch (e) {
      return this.#end(e); // a fault in a FILE the program broke: the process's crash
    }
    return this.#result("exited", { exitStatus: status & 0xff });
  }

  /**
   * An abort of glibc before 2.27 flushes the FILEs as exit does (once): undefined, or the result
   * when that flush faults or is not modelled (a forged FILE's vtable).
   */
  #flushedOnAbort(): CRunResult | undefined {
    if (!this.#glibcOld || this.#abortFlushed) return undefined;
    this.#abortFlushed = true;
    try {
      this.#runToEnd(flushAllFiles(this.#host, "abort"));
    } catch (e) {
      return this.#end(e);
    }
    return undefined;
  }

  /**
   * Runs a generator of the library outside the program's own run (exit's flush calling a
   * function of the program) to its end, within the step budget; it cannot pause for input or
   * switch threads there.
   */
  #runToEnd<T>(gen: Generator<Signal, T>): T {
    const m = this.#m, max = this.#maxSteps;
    const run = this.#sched.run(gen);
    for (;;) {
      const next = run.next();
      if (next.done) return next.value;
      if (next.value !== Signal.Step) {
        const what = "a function run by exit's flush pausing for input or another thread";
        throw new CUnsupportedError(what, this.file, this.#location());
      }
      if (m.steps >= max) throw new CStepLimitError(max, this.#location());
      m.yieldAt = max;
    }
  }

  #end(e: unknown): CRunResult {
    let r: CRunResult;
    if (e instanceof ProgramExit) {
      r = e.flush
        ? this.#exited(e.status)
        : this.#result("exited", { exitStatus: e.status & 0xff });
    } else if (e instanceof ProgramAbort) {
      r = this.#flushedOnAbort() ??
        this.#result("aborted", { exitStatus: exitStatusOf("SIGABRT") });
    } else if (e instanceof HeapAbort) {
      const named = this.#announce(e)!;
      r = this.#flushedOnAbort() ??
        this.#result("aborted", { exitStatus: exitStatusOf("SIGABRT"), abort: named });
    } else if (e instanceof SegmentationFault) {
      r = this.#result("crashed", { exitStatus: exitStatusOf("SIGSEGV"), fault: e });
    } else if (e instanceof ControlFlowHijack) {
      // (A jump to nothing executable is also the process's SIGSEGV: its exit status.)
      const exitStatus = e.signal ? exitStatusOf(e.signal) : undefined;
      r = this.#result("hijacked", { error: e, ...(exitStatus !== undefined && { exitStatus }) });
    } else if (e instanceof ProcessExit) {
      r = this.#exited(e.status);
    } else if (e instanceof ControlHijack) {
      const a = typeof e.address === "bigint" ? e.address : BigInt(e.address);
      r = this.#result("hijacked", {
        error: new Error(
          `Control flow hijacked: ${e.how} (0x${BigInt.asUintN(64, a).toString(16)})`,
        ),
      });
    } else if (e instanceof COutputLimitError && e.line === 0) {
      // the line it was written at, which the stream did not know
      r = this.#result("error", {
        error: new COutputLimitError(e.stream, e.limit, this.#location()),
      });
    } else if (e instanceof CRuntimeError && e.signal === "SIGFPE") {
      r = this.#result("crashed", { exitStatus: 136, error: e });
    } else if (e instanceof CRuntimeError && e.signal === "SIGILL") {
      r = this.#result("crashed", { exitStatus: 132, error: e });
    } else {
      const error = refuseStackOverflow(e, "evaluator", this.file, this.#location());
      r = this.#result("error", { error: error instanceof Error ? error : new Error(String(e)) });
    }
    this.#final = r;
    return r;
  }
}

/**
 * How often each identifier occurs in the program's tokens (what it names: ld's copies follow);
 * each one and its line go into `list` (what a signal handler names: `signal_delivery.ts`).
 */
function identifierCounts(
  tokens: readonly { k: string; v: string; line: number }[],
  list: { v: string; line: number }[],
): Map<string, number> & { readonly named: Set<string> } {
  const counts = new Map<string, number>();
  for (const t of tokens) {
    if (t.k !== "id") continue;
    counts.set(t.v, (counts.get(t.v) ?? 0) + 1);
    list.push({ v: t.v, line: t.line });
  }
  return Object.assign(counts, { named: new Set(counts.keys()) });
}

/**
 * Runs a C program to its end (stdin at EOF once the given text is read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runC } from "./program.ts";
 * const r = runC(`#include <stdio.h>
 * int main(void) { printf("%zu\\n", sizeof(long)); return 3; }`);
 * assert.equal(r.stdout, "8\n");
 * assert.equal(r.exitStatus, 3);
 * ```
 */
export function runC(source: string, options: CRunOptions = {}): CRunResult {
  const prog = new CProgram(source, {
    stdout: "pipe",
    ...options,
    pauseOnInput: false,
  });
  return prog.run();
}

/** Where the program's parts go in the process. */
function findPlaces(process: Process) {
  const areas = process.space.areas();
  const path = process.start.programPath;
  const prog = areas.filter((a) =>
    a.file && (path ? a.file.path === path : true) && a.start < 0xf0000000_0000
  );
  const progFile = prog[0]?.file?.path;
  const mine = prog.filter((a) => a.file?.path === progFile);
  const text = mine.find((a) => a.prot & 4);
  const data = mine.filter((a) => a.prot & 2).at(-1);
  let rodata: Vma | undefined = mine.find((a) =>
    text && a.start >= text.end && !(a.prot & 2) && a.pgoff > text.pgoff
  );
  let rodataStart: number;
  const rodataArea = rodata;
  if (rodata) rodataStart = rodata.start + 0x10;
  else {
    rodata = text;
    rodataStart = text ? text.start + 0x800 : 0;
  }
  const libc = areas.filter((a) => a.file && /libc[.-]/.test(a.file.path));
  const libcText = libc.find((a) => a.prot & 4)?.start ?? 0x7000_0000;
  const libcData = libc.filter((a) => a.prot & 2).at(-1)?.start ?? 0x7100_0000;
  if (!text || !data || !rodata) {
    throw new Error(
      "The process has no program mappings (text, rodata, data) to load a C program into",
    );
  }
  return {
    place: {
      rodata: rodataStart,
      rodataEnd: rodata.end,
      more: [
        ...mine.filter((a) => a !== rodata && !(a.prot & 6)).map((a): [number, number] => [
          a.start + 0x40,
          a.end,
        ]),
        ...(rodata !== text ? [[text.start + 0x800, text.end] as [number, number]] : []),
      ],
      data: data.start + 0x20,
      dataLimit: data.start + GLOBALS_LIMIT,
      text: text.start + 0x100,
    },
    libcText: libcText + 0x20000,
    libcData,
    data,
    /** The binary's read-only data page(s), if it has them apart from its text. */
    rodataArea,
  };
}

/** A value in memory as C would print it. */
function formatValue(t: CType, addr: number, m: Machine): string {
  switch (t.k) {
    case "int": {
      const v = loader(t, m.mem, m.abi)(addr);
      if (t.size === 1 && t.name === "char") {
        const c = Number(v);
        return c >= 32 && c < 127 ? `${c} '${String.fromCharCode(c)}'` : String(c);
      }
      return String(v);
    }
    case "float":
      return String(loader(t, m.mem, m.abi)(addr));
    case "ptr": {
      const v = loader(t, m.mem, m.abi)(addr) as number | bigint;
      return v === 0 ? "(nil)" : "0x" + BigInt(v).toString(16);
    }
    case "array": {
      const n = t.n ?? 0;
      const esz = t.of.k === "int" || t.of.k === "ptr" || t.of.k === "float"
        ? (t.of.k === "ptr" ? m.abi.ptrSize : t.of.size === 16 ? 16 : t.of.size)
        : 0;
      if (t.of.k === "int" && t.of.size === 1) {
        const s = m.cString(addr, n);
        return JSON.stringify(s);
      }
      if (!esz) return "{…}";
      const shown = Math.min(n, 16);
      const parts: string[] = [];
      for (let i = 0; i < shown; i++) parts.push(formatValue(t.of, addr + i * esz, m));
      return `{${parts.join(", ")}${n > shown ? ", …" : ""}}`;
    }
    case "struct":
      return `{${
        (t.fields ?? []).slice(0, 8).map((f) =>
          `${f.name} = ${formatValue(f.type, addr + f.offset, m)}`
        )
          .join(", ")
      }}`;
    default:
      return "";
  }
}

/**
 * libc's FILE objects — stdin's, stdout's and stderr's at their addresses, with their bytes
 * where libc's data is the build's (`std_files.ts`) — `_IO_list_all`, and the program's copies
 * of stdin/stdout/stderr in its .bss. Where each FILE's own byte (`_shortbuf`) is: in the FILE,
 * or in the program's data when libc's is not the build's (another layout's libc).
 */
function layStandardFiles(
  m: Machine,
  libc: LibcState,
  libcData: number,
  options: {
    profile: GlibcProfile;
    copies: ReadonlyMap<string, number>;
    named: ReadonlySet<string>;
  },
): Pick<LibcHost, "files" | "shortbufs" | "variables"> {
  const abi = m.abi, mem = m.mem, P = abi.ptrSize;
  const symbol = (name: string) => libc.symbol(name);
  const files = {
    stdin: symbol("_IO_2_1_stdin_") ?? libcData + 0x5a0,
    stdout: symbol("_IO_2_1_stdout_") ?? libcData + 0x780 - (P === 8 ? 0 : 0x100),
    stderr: symbol("_IO_2_1_stderr_") ?? libcData + 0x6c0 - (P === 8 ? 0 : 0x100),
  };
  // (only where libc's data is the build's: another layout's libc has other data there)
  const realLibc = libc.placement !== "packed";
  if (realLibc) {
    writeStandardFiles({
      write32: (address, value) => mem.write32(address, value),
      writePointer: (address, value) => m.writePointer(address, value),
      symbol,
      layout: fileLayout(abi),
      profile: options.profile,
      ptrSize: P,
    });
  }
  const ownBytes = realLibc ? 0 : m.allocateGlobal({ k: "array", of: abi.types.char, n: 3 }, 1, 0);
  const shortbufs = realLibc
    ? {
      stdin: files.stdin + fileLayout(abi).shortbuf,
      stdout: files.stdout + fileLayout(abi).shortbuf,
      stderr: files.stderr + fileLayout(abi).shortbuf,
    }
    : { stdin: ownBytes, stdout: ownBytes + 1, stderr: ownBytes + 2 };
  const fileType: CType = { k: "ptr", to: headerTypedefs(abi).get("FILE")! };
  // The program's copies (copy relocations) of the pointers it names: libc's list of FILEs,
  // which fopen links into and exploits (FSOP) aim at, holding the list's head as the program
  // starts (libc goes on using its own), and stdin, stdout and stderr. One it does not name has
  // no copy, and no name in the program. (Written with the initialisers, once the image is
  // mapped.)
  // An i386 program (gcc -m32's PIE) has no copy of `_IO_list_all`: it reads and writes libc's
  // own through the GOT (descriptors_i386/std_files.c: clearing it empties exit's flush list).
  const listAll = P === 4 ? symbol("_IO_list_all") : options.copies.get("_IO_list_all");
  if (P === 4 && realLibc && listAll !== undefined) {
    m.globals.set("_IO_list_all", { type: fileType, addr: listAll });
  } else if (realLibc && symbol("_IO_list_all") !== undefined && listAll !== undefined) {
    m.globals.set("_IO_list_all", { type: fileType, addr: listAll });
    m.inits.push(() => m.writePointer(listAll, files.stderr));
  }
  // Nor of stdin, stdout and stderr (R_386_GLOB_DAT, descriptors_i386/std_streams.c): its names
  // are libc's variables — where libc's data is not the build's, a word of the program's data
  // stands in for each it names. The word libc's functions read (`variables`: puts and printf
  // stdout, getchar and scanf stdin, perror stderr) is the program's copy on x86_64, or libc's
  // own where it has none (std_streams_libc/: dlsym finds it), so that `stdout = stderr` or a
  // write to libc's word moves their output.
  const variables: { stdin?: number; stdout?: number; stderr?: number } = {};
  for (const name of ["stdout", "stdin", "stderr"] as const) {
    const inLibc = realLibc ? symbol(name) : undefined;
    if (inLibc !== undefined) m.inits.push(() => m.writePointer(inLibc, files[name]));
    const own = () => options.named.has(name) ? m.allocateGlobal(fileType, P, 0) : undefined;
    const addr = P === 8 ? options.copies.get(name) : inLibc || own();
    variables[name] = addr ?? inLibc;
    if (addr === undefined) continue;
    m.globals.set(name, { type: fileType, addr });
    if (addr !== inLibc) m.inits.push(() => m.writePointer(addr, files[name]));
  }
  return { files, shortbufs, variables };
}

/**
 * errno's offset in the TLS segment of x86_64 libc.so.6, by version (`readelf -s`: its value);
 * the main thread's copy lies that far into libc's TLS block, which ends at the thread pointer.
 */
const ERRNO_TLS_OFFSET: Readonly<Record<string, number>> = {
  "2.31": 0x10,
  "2.36": 0x10,
  "2.41": 0x28,
  "2.43": 0x30,
  "2.44": 0x30,
};

/** The main thread's errno where libc's TLS block has it, in a real x86_64 build's process. */
function errnoInTls(libc: LibcState, process: Process): number | undefined {
  const f = libc.build.facts;
  const offset = ERRNO_TLS_OFFSET[f.version];
  if (libc.placement === "packed" || f.arch !== "x86_64" || offset === undefined) return undefined;
  if (f.mainThreadPointer === undefined) return undefined;
  const block = Math.ceil(f.tlsBlock.size / f.tlsBlock.align) * f.tlsBlock.align;
  return libc.threadPointer(process.mainThread) - block + offset;
}
