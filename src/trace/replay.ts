/**
 * Replays a whole heap trace: each line parsed (`parse.ts`), executed by a
 * {@link ReplaySession} and printed in the oracle's text (`oracle_format.ts`), until the end or
 * the first line that stops the oracle too — a malformed line (exit status 2), a glibc abort
 * (134), a segmentation fault (139) or a call glibc would never return from (142, `hang`). The
 * output is what the oracle driver prints for the same trace on real glibc
 * (`docs/trace_format.md`); callers that want data instead of text receive every
 * {@link ReplayEvent} through `onEvent`.
 *
 * The trace is read as bytes, line by line in place (`trace_input.ts`: a file is read in chunks,
 * never whole), and the output is written as bytes into one reused buffer (`output_buffer.ts`)
 * that streams to `writeBytes` or `write` in chunks of whole lines. When no caller wants each
 * event or line, the plain lines of the hot operations take the fast lane (`fast_lane.ts`), which
 * builds no object per line; every other line, and every line when `onEvent` or `onLine` is
 * given, is parsed, executed and formatted the general way, which defines the output. Callers
 * that only need to know that a line ran (`onOperation`) keep the fast lane.
 *
 * @module
 */

import { exitStatusOf, fatalSignalOf } from "../kernel/signals.ts";
import { HeapAssertionFailure, HeapLoopError } from "../malloc/errors.ts";
import type { SyscallRecord } from "../kernel/syscall_log.ts";
import { FastLane } from "./fast_lane.ts";
import { formatEvent, formatHeader, formatStop } from "./oracle_format.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { isBlankLine, isKernelTrace, parseTraceLine, TraceError, traceLimits } from "./parse.ts";
import { TraceInput, type TraceSource } from "./trace_input.ts";
import {
  type ReplayEvent,
  ReplaySession,
  type SessionOptions,
  type TraceAllocator,
} from "./session.ts";
import { type Process, ThreadCreateError } from "../kernel/process.ts";
import { ArgumentRangeError, ArgumentTypeError } from "../kernel/errors.ts";
import { choiceArgument, integerArgument, optionsArgument } from "../kernel/arguments.ts";

/** How a replay stopped before the end of its trace. */
export interface ReplayStop {
  /** 1-based trace line. */
  readonly line: number;
  /**
   * `error` (a malformed line), `abort` (SIGABRT), `segfault` (SIGSEGV) or `hang` (glibc would
   * never return: the driver's per-operation alarm).
   */
  readonly kind: "error" | "abort" | "segfault" | "hang";
  /** The oracle's message, or glibc's. */
  readonly message: string;
  /** The exit status: 2, 134, 139 or 142. */
  readonly status: number;
  /** The error. */
  readonly error: Error;
  /** System calls made by the stopped operation (with `recordSyscalls`). */
  readonly syscalls: readonly SyscallRecord[];
}

/** Options of a replay. */
export interface ReplayOptions extends Omit<SessionOptions, "kernelTrace"> {
  /** Called with each output line as it is produced (the returned text has them all too). */
  onLine?: (line: string) => void;
  /**
   * Streams the output: called with chunks of whole lines (each ending in a newline) as they are
   * complete, some 64 KiB a chunk. The result's `output` is then empty: a long replay never
   * holds its whole text.
   */
  write?: (text: string) => void;
  /**
   * Streams the output as UTF-8 bytes, as `write` streams it as text (the cheaper of the two:
   * the replay writes bytes). The chunk is valid only during the call: write or copy it then.
   * Given together with `write`, this one gets the output and `write` is not called (a caller
   * can pass both to replay with versions of heaplab that know only `write`).
   */
  writeBytes?: (chunk: Uint8Array) => void;
  /** Called with each operation's event, after its lines are printed. */
  onEvent?: (event: ReplayEvent) => void;
  /**
   * Called once the header is printed, before the first trace line runs: the process is set up
   * (its break aligned) and no line has run. Keeps the fast lane open.
   */
  onStart?: (process: Process) => void;
  /**
   * Called with the line number of each operation that ran, after its lines are printed: what
   * `onEvent` tells without the event, so the plain lines of the hot operations still take the
   * fast lane (a recorded replay steps its history here).
   */
  onOperation?: (line: number) => void;
  /** Called when a line stops the replay, after its line is printed. */
  onStop?: (stop: ReplayStop) => void;
}

/** The result of a replay. */
export interface ReplayResult {
  /** The output, each line ending in a newline (empty when it was streamed to `write`). */
  readonly output: string;
  /** 0, or 2 for a malformed line, 134 after an abort (SIGABRT), 139 after a SIGSEGV. */
  readonly status: number;
  /** The process, left as the last operation left it (inspectable after an abort). */
  readonly process: Process;
  /** The allocator, if there was one. */
  readonly allocator?: TraceAllocator;
  /** The error that stopped the replay, if any. */
  readonly error?: Error;
}

/**
 * A replay broke off on an error no oracle run can give (a simulator bug): it carries the
 * output printed so far, so that nothing is lost.
 */
export class ReplayInterrupted extends Error {
  /** The output up to the line that threw, each line ending in a newline. */
  readonly output: string;
  /** 1-based trace line. */
  readonly line: number;

  /** `cause` stopped the replay at `line` after `output`. */
  constructor(line: number, cause: unknown, output: string) {
    super(`line ${line}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "ReplayInterrupted";
    this.line = line;
    this.output = output;
  }
}

/** How an error thrown by an operation stops the replay, or undefined if it does not. */
function stopOf(e: unknown, line: number): Omit<ReplayStop, "syscalls"> | undefined {
  if (e instanceof TraceError) {
    return { line: e.line, kind: "error", message: e.message, status: 2, error: e };
  }
  // The driver's own words when its pthread_create fails (no room for another stack).
  if (e instanceof ThreadCreateError) {
    return { line, kind: "error", message: "pthread_create failed", status: 2, error: e };
  }
  // A loop real glibc would never leave: the driver's alarm ends it (SIGALRM, 128 + 14).
  if (e instanceof HeapLoopError) {
    return { line, kind: "hang", message: e.message, status: 142, error: e };
  }
  const signal = fatalSignalOf(e);
  if (!signal) return undefined;
  const kind = signal === "SIGABRT" ? "abort" : "segfault";
  // The driver prints an assert's words without the program's name they start with (2.31).
  const message = e instanceof HeapAssertionFailure ? e.messageFor("") : (e as Error).message;
  return {
    line,
    kind,
    message,
    status: exitStatusOf(signal),
    error: e as Error,
  };
}

/**
 * Replays a trace: its text, its UTF-8 bytes, or a reader of them (a file opened with
 * `Deno.openSync`, `Deno.stdin`), which is read in chunks as the replay goes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayTrace } from "./replay.ts";
 * const { output } = replayTrace("rawmaps\nmmap 0 4096 rw-\n", { arch: "x86_64" });
 * assert.equal(output.split("\n")[0], "# glibc 2.36 x86_64 nprocs=2");
 * ```
 */
export function replayTrace(trace: TraceSource, options: ReplayOptions = {}): ReplayResult {
  checkReplayArguments(trace, options);
  const onLine = options.onLine, onEvent = options.onEvent, onOperation = options.onOperation;
  const write = options.write, writeBytes = options.writeBytes;
  // The output, kept as decoded chunks unless it is streamed.
  const kept: string[] = [];
  const decoder = new TextDecoder();
  const out = new OutputBuffer(
    writeBytes ??
      (write
        ? (chunk) => write(decoder.decode(chunk))
        : (chunk) => kept.push(decoder.decode(chunk))),
  );
  const emit = (line: string) => {
    out.ascii(line);
    out.endLine();
    onLine?.(line);
  };
  // A failure that is no stop of the oracle's (a reader, a sink or a callback that throws, a
  // simulator error): what was printed and not yet streamed goes with the error.
  const interrupted = (line: number, e: unknown) =>
    new ReplayInterrupted(line, e, kept.join("") + decoder.decode(out.take()));
  const input = new TraceInput(trace);
  // A kernel trace is one whose first operation line is `rawmaps`.
  let first: string | undefined;
  try {
    first = input.firstLine((line) => !isBlankLine(line));
  } catch (e) {
    // A reader that fails before the first line breaks the replay off there, as below.
    throw interrupted(1, e);
  }
  const kernelTrace = first !== undefined && isKernelTrace(first);
  const session = new ReplaySession({ ...options, kernelTrace });
  try {
    for (const line of formatHeader(session)) emit(line);
    options.onStart?.(session.process);
  } catch (e) {
    // An onLine or onStart that throws on the header: broken off as on any later line.
    throw interrupted(1, e);
  }
  // Callers that watch every event or line get them all the general way.
  const fast = onLine === undefined && onEvent === undefined
    ? new FastLane(session, out)
    : undefined;

  const words = session.process.words;
  const limits = traceLimits(words.bits);
  let status = 0;
  let error: Error | undefined;
  let line = 1;
  for (;; line++) {
    try {
      // (A reader that fails breaks the replay off like a simulator error: output kept.)
      if (!input.begin()) break;
      // The fast lane finds the line's end as it reads the fields; the general way, first.
      const end = fast === undefined ? -1 : fast.run(input.bytes, input.start, input.limit, line);
      if (end >= 0) {
        input.endAt(end);
        onOperation?.(line);
      } else {
        input.findEnd();
        const op = parseTraceLine(input.text(), line, limits);
        if (op) {
          const event = session.execute(op, line);
          formatEvent(words, event, emit);
          onEvent?.(event);
          onOperation?.(line);
        }
      }
    } catch (e) {
      const stop = stopOf(e, line);
      if (!stop) throw interrupted(line, e);
      try {
        emit(formatStop(stop));
        options.onStop?.({ ...stop, syscalls: session.syscallsSinceOperation() });
      } catch (e) {
        throw interrupted(line, e);
      }
      status = stop.status;
      error = stop.error;
      break;
    }
  }
  try {
    out.flush();
  } catch (e) {
    // A sink that fails on the last chunk: the same typed error as one failing mid-replay.
    throw interrupted(line, e);
  }
  return {
    output: write || writeBytes ? "" : kept.join(""),
    status,
    process: session.process,
    allocator: session.allocator,
    error,
  };
}

/** Throws a typed error for a bad argument of {@link replayTrace}. */
function checkReplayArguments(trace: unknown, options: ReplayOptions): void {
  if (
    typeof trace !== "string" && !(trace instanceof Uint8Array) &&
    typeof (trace as { readSync?: unknown })?.readSync !== "function"
  ) {
    throw new ArgumentTypeError(
      "text",
      trace,
      "the trace as a string, its UTF-8 bytes or a reader (readSync)",
    );
  }
  const o = optionsArgument("options", options);
  if (o.glibc !== undefined && typeof o.glibc !== "string") {
    throw new ArgumentTypeError("glibc", o.glibc, 'a version string such as "2.36"');
  }
  if (o.arch !== undefined) choiceArgument("arch", o.arch, ["i386", "x86_64"]);
  if (o.nprocs !== undefined) integerArgument("nprocs", o.nprocs, 1, 8192);
  if (o.initialMaps !== undefined && typeof o.initialMaps !== "string") {
    throw new ArgumentTypeError("initialMaps", o.initialMaps, "a /proc/PID/maps text");
  }
  if (o.layout !== undefined && typeof o.layout !== "string") {
    throw new ArgumentTypeError("layout", o.layout, "a layout name");
  }
  for (
    const name of [
      "onLine",
      "onEvent",
      "onStart",
      "onOperation",
      "onStop",
      "write",
      "writeBytes",
      "allocator",
    ] as const
  ) {
    if (o[name] !== undefined && typeof o[name] !== "function") {
      throw new ArgumentTypeError(name, o[name], "a function");
    }
  }
  if (o.recordSyscalls !== undefined && typeof o.recordSyscalls !== "boolean") {
    throw new ArgumentRangeError("recordSyscalls", o.recordSyscalls, "true or false");
  }
}
