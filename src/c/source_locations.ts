/**
 * Where a token, a statement or an error is, once a program's own headers are part of its
 * translation unit: as gcc's line maps do (`location_t`), a line is a *location*, one number
 * that names a file and a line in it. The program's own file keeps its lines as they are
 * (location = line), so that `runTo(12)`, `step()` and everything written for one-file programs
 * read the same numbers; the k-th header read gets the locations `k * FILE_LINES + line`. Only
 * what leaves heaplab — an error's message, a backtrace, a result's line — is turned back into
 * `file:line` ({@link SourceFiles.where}, {@link SourceFiles.relocate}); the parser, the
 * compiler and the interpreter carry the numbers unchanged.
 *
 * @module
 */

import {
  COutputLimitError,
  CRuntimeError,
  CStepLimitError,
  CSyntaxError,
  CUnsupportedError,
} from "./errors.ts";

/** The lines one file may have: a location's file is `Math.floor(location / FILE_LINES)`. */
export const FILE_LINES = 2 ** 24;

/** A file and a 1-based line in it. */
export interface SourcePlace {
  /** The file's name as gcc would print it (the program's, or a header's path). */
  readonly file: string;
  /** 1-based line in that file. */
  readonly line: number;
}

/**
 * The files of one translation unit, numbered in the order the preprocessor first read them
 * (the program's own file is 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SourceFiles } from "./source_locations.ts";
 * const files = new SourceFiles("prog.c");
 * const base = files.base("common.h");
 * assert.deepEqual(files.where(base + 3), { file: "common.h", line: 3 });
 * assert.deepEqual(files.where(12), { file: "prog.c", line: 12 });
 * ```
 */
export class SourceFiles {
  readonly #names: string[];
  readonly #index = new Map<string, number>();

  /** The unit whose own file is `main`. */
  constructor(main: string) {
    this.#names = [main];
    this.#index.set(main, 0);
  }

  /** The file names, the program's first. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** What to add to a line of `file` to make its location (0 for the program's own file). */
  base(file: string): number {
    let k = this.#index.get(file);
    if (k === undefined) {
      k = this.#names.push(file) - 1;
      this.#index.set(file, k);
    }
    return k * FILE_LINES;
  }

  /** The file and line of a location. */
  where(location: number): SourcePlace {
    const k = Math.floor(location / FILE_LINES);
    const file = this.#names[k];
    return file === undefined || k === 0
      ? { file: this.#names[0], line: location }
      : { file, line: location - k * FILE_LINES };
  }

  /** What `work` returns; an error it throws is thrown {@link relocate}d. */
  relocating<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      throw this.relocate(e);
    }
  }

  /**
   * `e` with its location told as the header's file and line, where it is one of heaplab's C
   * errors at a header's location; any other value is returned as it is.
   */
  relocate(e: unknown): unknown {
    if (!(e instanceof Error) || !("line" in e) || typeof e.line !== "number") return e;
    if (e.line < FILE_LINES) return e;
    const { file, line } = this.where(e.line);
    let moved: Error;
    if (e instanceof CSyntaxError) {
      moved = new CSyntaxError(e.what, file, line, e.column, e.token);
    } else if (e instanceof CUnsupportedError) moved = new CUnsupportedError(e.what, file, line);
    else if (e instanceof CRuntimeError) {
      moved = new CRuntimeError(e.what, file, line, e.signal);
    } else if (e instanceof CStepLimitError) moved = new CStepLimitError(e.steps, line);
    else if (e instanceof COutputLimitError) moved = new COutputLimitError(e.stream, e.limit, line);
    else return e;
    if (e.stack) moved.stack = e.stack.replace(e.message, moved.message);
    return moved;
  }
}
