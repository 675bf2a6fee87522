/**
 * Replays a whole heap trace: each line parsed (`parse.ts`), executed by a
 * {@link ReplaySession} and printed in the oracle's text (`oracle_format.ts`), until the end or
 * the first line that stops the oracle too — a malformed line (exit status 2), a glibc abort
 * (134) or a segmentation fault (139). The output is what the oracle driver prints for the same
 * trace on real glibc (`docs/trace_format.md`); callers that want data instead of text receive
 * every {@link ReplayEvent} through `onEvent`.
 *
 * @module
 */

import { exitStatusOf, fatalSignalOf } from "../kernel/signals.ts";
import type { SyscallRecord } from "../kernel/syscall_log.ts";
import { formatEvent, formatHeader, formatStop } from "./oracle_format.ts";
import { isKernelTrace, parseTraceLine, TraceError, traceLimits } from "./parse.ts";
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
  /** `error` (a malformed line), `abort` (SIGABRT) or `segfault` (SIGSEGV). */
  readonly kind: "error" | "abort" | "segfault";
  /** The oracle's message, or glibc's. */
  readonly message: string;
  /** The exit status: 2, 134 or 139. */
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
   * Streams the output: called with blocks of whole lines (each ending in a newline) as they are
   * complete, up to 256 lines a block. The result's `output` is then empty: a long replay never
   * holds its whole text.
   */
  write?: (text: string) => void;
  /** Called with each operation's event, after its lines are printed. */
  onEvent?: (event: ReplayEvent) => void;
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
  const signal = fatalSignalOf(e);
  if (!signal) return undefined;
  const kind = signal === "SIGABRT" ? "abort" : "segfault";
  return {
    line,
    kind,
    message: (e as Error).message,
    status: exitStatusOf(signal),
    error: e as Error,
  };
}

/**
 * Replays a trace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayTrace } from "./replay.ts";
 * const { output } = replayTrace("rawmaps\nmmap 0 4096 rw-\n", { arch: "x86_64" });
 * assert.equal(output.split("\n")[0], "# glibc 2.36 x86_64 nprocs=2");
 * ```
 */
export function replayTrace(text: string, options: ReplayOptions = {}): ReplayResult {
  checkReplayArguments(text, options);
  // The output, in blocks of up to 256 lines joined as soon as they are complete: each line's
  // string dies young, and the garbage collector copies one flat block instead of many ropes.
  // A block goes to `write` at once when the output is streamed.
  const blocks: string[] = [];
  const block: string[] = [];
  const onLine = options.onLine, onEvent = options.onEvent, write = options.write;
  const flush = () => {
    if (block.length === 0) return;
    if (write) write(block.join("\n") + "\n");
    else blocks.push(block.join("\n"));
    block.length = 0;
  };
  const emit = (line: string) => {
    block.push(line);
    if (block.length === 256) flush();
    onLine?.(line);
  };
  const session = new ReplaySession({ ...options, kernelTrace: isKernelTrace(text) });
  for (const line of formatHeader(session)) emit(line);

  const words = session.process.words;
  const limits = traceLimits(words.bits);
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let status = 0;
  let error: Error | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    try {
      const op = parseTraceLine(lines[i], line, limits);
      if (op) {
        const event = session.execute(op, line);
        formatEvent(words, event, emit);
        onEvent?.(event);
      }
    } catch (e) {
      const stop = stopOf(e, line);
      if (!stop) {
        if (block.length > 0) blocks.push(block.join("\n"));
        const output = blocks.length > 0 ? blocks.join("\n") + "\n" : "";
        throw new ReplayInterrupted(line, e, output);
      }
      emit(formatStop(stop));
      status = stop.status;
      error = stop.error;
      options.onStop?.({ ...stop, syscalls: session.syscallsSinceOperation() });
      break;
    }
  }
  flush();
  return {
    output: write ? "" : blocks.join("\n") + "\n",
    status,
    process: session.process,
    allocator: session.allocator,
    error,
  };
}

/** Throws a typed error for a bad argument of {@link replayTrace}. */
function checkReplayArguments(text: unknown, options: ReplayOptions): void {
  if (typeof text !== "string") throw new ArgumentTypeError("text", text, "the trace as a string");
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
  for (const name of ["onLine", "onEvent", "onStop", "allocator"] as const) {
    if (o[name] !== undefined && typeof o[name] !== "function") {
      throw new ArgumentTypeError(name, o[name], "a function");
    }
  }
  if (o.recordSyscalls !== undefined && typeof o.recordSyscalls !== "boolean") {
    throw new ArgumentRangeError("recordSyscalls", o.recordSyscalls, "true or false");
  }
}
