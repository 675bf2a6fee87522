/**
 * How a C program run by heaplab's interpreter goes wrong, as typed errors: text that is not C
 * (or not the C the interpreter knows) is a {@link CSyntaxError} with file:line:column and the
 * offending token; a construct or library function the interpreter does not model is a
 * {@link CUnsupportedError} naming it and its line; a program that runs past its step budget is a
 * {@link CStepLimitError}; anything else the program does that C leaves to the machine (a
 * division by zero, a call through a pointer that is not a function) is a {@link CRuntimeError}.
 * Faults of the simulated memory stay the kernel's `SegmentationFault`, glibc's checks stay
 * `HeapAbort`: the interpreter only adds the C line to them. Source nested deeper than the
 * JavaScript stack lets heaplab's recursive parser, compiler or evaluator follow is refused by
 * name ({@link refuseStackOverflow}), never left as the engine's RangeError.
 *
 * @module
 */

/**
 * The source is not C the interpreter can read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CSyntaxError } from "./errors.ts";
 * const e = new CSyntaxError("expected ';'", "prog.c", 3, 7, "}");
 * assert.equal(e.message, "prog.c:3:7: expected ';' before '}'");
 * ```
 */
export class CSyntaxError extends Error {
  /** What is wrong, without the place. */
  readonly what: string;
  /** File name as given to the program. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The offending token's text ("" at the end of the input). */
  readonly token: string;

  /** A syntax error at file:line:column, before `token`. */
  constructor(what: string, file: string, line: number, column: number, token: string) {
    // "'x' undeclared" names its token already; other messages say where they stopped.
    const at = what.includes(`'${token}'`) && token !== ""
      ? ""
      : token === ""
      ? " at end of input"
      : ` before '${token}'`;
    super(`${file}:${line}:${column}: ${what}${at}`);
    this.name = "CSyntaxError";
    this.what = what;
    this.file = file;
    this.line = line;
    this.column = column;
    this.token = token;
  }
}

/**
 * A construct or library function that the interpreter does not model: never a silent wrong
 * answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CUnsupportedError } from "./errors.ts";
 * assert.equal(
 *   new CUnsupportedError("function 'fork'", "prog.c", 12).message,
 *   "prog.c:12: unsupported: function 'fork'",
 * );
 * ```
 */
export class CUnsupportedError extends Error {
  /** What is not supported. */
  readonly what: string;
  /** File name. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;

  /** `what` (a function or construct) at file:line. */
  constructor(what: string, file: string, line: number) {
    super(`${file}:${line}: unsupported: ${what}`);
    this.name = "CUnsupportedError";
    this.what = what;
    this.file = file;
    this.line = line;
  }
}

/**
 * The program wrote more to stdout or stderr than heaplab keeps of it (`limit` bytes, as of a
 * file it writes): a program printing for ever — a menu loop at end of input — ends here, with
 * the line it was at, rather than in the JavaScript engine's string limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COutputLimitError } from "./errors.ts";
 * const e = new COutputLimitError("stdout", 64 * 1024 * 1024, 7);
 * assert.equal(e.message, "Output limit reached: stdout past 67108864 bytes (line 7)");
 * ```
 */
export class COutputLimitError extends Error {
  /** The stream that grew too long. */
  readonly stream: "stdout" | "stderr";
  /** The bytes kept of it. */
  readonly limit: number;
  /** The line that wrote past it (0 where not known yet). */
  readonly line: number;

  /** Stream, limit and line. */
  constructor(stream: "stdout" | "stderr", limit: number, line: number) {
    super(`Output limit reached: ${stream} past ${limit} bytes (line ${line})`);
    this.name = "COutputLimitError";
    this.stream = stream;
    this.limit = limit;
    this.line = line;
  }
}

/**
 * The program executed more statements than its budget (`maxSteps`): it is stopped, not hung.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CStepLimitError } from "./errors.ts";
 * assert.equal(
 *   new CStepLimitError(1000, 4).message,
 *   "Step limit reached: 1000 statements executed (line 4)",
 * );
 * ```
 */
export class CStepLimitError extends Error {
  /** The budget that ran out. */
  readonly steps: number;
  /** The line about to run. */
  readonly line: number;

  /** Budget and line. */
  constructor(steps: number, line: number) {
    super(`Step limit reached: ${steps} statements executed (line ${line})`);
    this.name = "CStepLimitError";
    this.steps = steps;
    this.line = line;
  }
}

/**
 * Something the C program did that a real machine answers with a signal or undefined behaviour
 * the interpreter refuses to guess: a division by zero (SIGFPE), a type error found at run time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CRuntimeError } from "./errors.ts";
 * assert.equal(new CRuntimeError("division by zero", "prog.c", 5, "SIGFPE").signal, "SIGFPE");
 * ```
 */
export class CRuntimeError extends Error {
  /** What happened, without the place. */
  readonly what: string;
  /** File name. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** The signal a real process would die of, if any. */
  readonly signal: string | undefined;

  /** What happened, where, and the signal if a real process would get one. */
  constructor(what: string, file: string, line: number, signal?: string) {
    super(`${file}:${line}: ${what}`);
    this.name = "CRuntimeError";
    this.what = what;
    this.file = file;
    this.line = line;
    this.signal = signal;
  }
}

/**
 * `e` as the error to throw: the JavaScript engine's stack overflow ("Maximum call stack size
 * exceeded", a RangeError) while heaplab's `stage` (its parser, compiler or evaluator, which
 * recurse on the source's nesting) followed source nested deeper than its stack allows — which gcc
 * compiles — becomes a {@link CUnsupportedError} at `line` naming that; any other error is
 * returned as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseStackOverflow } from "./errors.ts";
 * const deep = (n: number): number => deep(n + 1) + 1;
 * let overflow: unknown;
 * try {
 *   deep(0);
 * } catch (e) {
 *   overflow = e;
 * }
 * assert.equal(
 *   (refuseStackOverflow(overflow, "parser", "prog.c", 3) as Error).message,
 *   "prog.c:3: unsupported: source nested too deeply for heaplab's parser (its JavaScript stack ran out)",
 * );
 * const other = new Error("x");
 * assert.equal(refuseStackOverflow(other, "parser", "prog.c", 3), other);
 * ```
 */
export function refuseStackOverflow(
  e: unknown,
  stage: string,
  file: string,
  line: number,
): unknown {
  if (!(e instanceof RangeError) || !e.message.includes("Maximum call stack size exceeded")) {
    return e;
  }
  const what = `source nested too deeply for heaplab's ${stage} (its JavaScript stack ran out)`;
  return new CUnsupportedError(what, file, line);
}
