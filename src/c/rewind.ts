/**
 * Time travel for a C program by re-execution: `CProgram.at`, `copy`, `back` and `seek` make a
 * NEW program of the same source and options and run it from the start to a position of the
 * original's past, giving it the same input at the same positions. The original is not touched.
 *
 * Why this works: a run is a function of its source, its options and the input fed at each
 * position. Nothing else reaches it — `time()` reads 0, and every random byte (ASLR, glibc's
 * tcache key, `getrandom`, the stack's `AT_RANDOM`) comes from a generator seeded per process
 * (`src/kernel/random.ts`); the thread schedule is cooperative and does not depend on how the
 * program is driven (`scheduler.ts`); a statement run plainly or through its generator takes the
 * same steps (`interpreter.ts`). What JavaScript does to the process between stops (a write to
 * its memory, an allocator call made from a notebook) is not part of the run, and is not re-done.
 *
 * A program's position is its clock: the statements it has begun (`Machine.steps`), plus one
 * for each pause at input (a read of empty stdin: the state inside the read differs from the one
 * before its statement), plus one once it has ended. Every place where `step()`, `run()` or
 * `runTo()` stops has its own position, and the input log ({@link InputEvent}) says at which one
 * each `feed` and `closeInput` came.
 *
 * Invariant: a re-run to position p, given the inputs logged before p, is in the state the
 * original was in when it first arrived at p — every page, the areas, the allocator, stdio's
 * streams and the interpreter's frames (tests/c/rewind_test.ts compares them).
 *
 * Cost: O(statements up to the position) — a re-run runs as fast as `run()`; {@link lastStops}
 * (for `back` and `seek`) steps, as `step()` does, through a window before the end, wider until
 * it finds the stops, then re-runs once more (bench/rewind_bench.ts).
 *
 * @module
 */

import { ArgumentRangeError } from "../kernel/errors.ts";

/** One input given to a program, and the position it came at. */
export interface InputEvent {
  /** The program's position when it was given (see the module doc). */
  readonly position: number;
  /** The bytes sent, one character per byte; undefined: standard input was closed. */
  readonly input?: string;
}

/**
 * A re-run cannot be made or did not follow the original: a program given its own process or
 * allocator, or a re-run that stopped short of a position its original reached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RewindError } from "./rewind.ts";
 * const e = new RewindError("the re-run stopped at position 3 before position 5");
 * assert.equal(e.name, "RewindError");
 * ```
 */
export class RewindError extends Error {
  /** An error saying why a re-run is not possible. */
  constructor(message: string) {
    super(message);
    this.name = "RewindError";
  }
}

/** A fresh program being re-run, as this module drives it (`CProgram` makes it). */
export interface Rerun<P> {
  /** The new program. */
  readonly program: P;
  /** Its position now. */
  readonly position: number;
  /**
   * Runs it towards `position`: to there, or to an earlier pause at input or its end; with
   * `lines`, also to the next place where `step()` would stop. Returns whether it stopped where
   * `step()` would (a line, a pause).
   */
  advance(position: number, lines: boolean): boolean;
  /** Gives it an input as the original was given it (which logs it in the new program). */
  give(event: InputEvent): void;
}

/** What a re-run starts from: the original's position, its input log and a maker of fresh runs. */
export interface RerunPlan<P> {
  /** The original's position. */
  readonly position: number;
  /** The original's input log. */
  readonly inputs: readonly InputEvent[];
  /** A fresh program of the same source and options, at position 0. */
  start(): Rerun<P>;
}

/** Options of {@link rerun}. */
export interface RerunOptions<P> {
  /** Give the inputs logged at the target position too (a copy of the program as it is now). */
  readonly inputsThere?: boolean;
  /**
   * Called at every place after {@link stepFrom}, up to the target, where `step()` would stop
   * (the re-run steps there: some 50 times slower than it runs).
   */
  readonly visit?: (rerun: Rerun<P>) => void;
  /** Where the stepping for {@link visit} begins (default 0). */
  readonly stepFrom?: number;
}

/** Throws unless `position` is one the original has reached. */
export function checkPosition(position: number, reached: number): void {
  if (!Number.isSafeInteger(position) || position < 0 || position > reached) {
    throw new ArgumentRangeError(
      "position",
      position,
      `a position the program has reached, 0 to ${reached}`,
    );
  }
}

/**
 * A fresh program run to `target`, given the original's inputs logged before it (and there,
 * with `inputsThere`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rerun, type Rerun } from "./rewind.ts";
 * // a "program" that counts: each advance moves one position, or up to the target
 * const start = (): Rerun<{ n: number; fed: string[] }> => {
 *   const program = { n: 0, fed: [] as string[] };
 *   return {
 *     program,
 *     get position() { return program.n; },
 *     advance: (to) => { program.n = to; return false; },
 *     give: (e) => { program.fed.push(e.input ?? "EOF"); },
 *   };
 * };
 * const plan = { position: 9, inputs: [{ position: 2, input: "a" }, { position: 6 }], start };
 * assert.deepEqual(rerun(plan, 6).program, { n: 6, fed: ["a"] });
 * assert.deepEqual(rerun(plan, 6, { inputsThere: true }).program.fed, ["a", "EOF"]);
 * ```
 *
 * @param plan The original's position, inputs and a maker of fresh runs.
 * @param target The position to stop at, 0 to the original's.
 * @param options Whether to give the inputs at the target, and a visitor of the stops on the way.
 * @returns The re-run, at the target.
 * @throws {ArgumentRangeError} The target is not a position the original reached.
 * @throws {RewindError} The re-run stopped short of a position the original reached.
 */
export function rerun<P>(
  plan: RerunPlan<P>,
  target: number,
  options: RerunOptions<P> = {},
): Rerun<P> {
  checkPosition(target, plan.position);
  const inputs = plan.inputs.filter((e) =>
    e.position < target || (options.inputsThere && e.position === target)
  );
  const run = plan.start();
  const from = options.visit === undefined ? Infinity : options.stepFrom ?? 0;
  let next = 0;
  for (;;) {
    while (next < inputs.length && inputs[next].position === run.position) run.give(inputs[next++]);
    const goal = next < inputs.length ? inputs[next].position : target;
    if (run.position >= goal) break; // at the target, every input given
    const before = run.position, stepping = before >= from;
    const to = stepping ? goal : Math.min(goal, from);
    const stop = run.advance(to, stepping);
    if (run.position === before || (run.position < to && !stop)) {
      throw new RewindError(
        `the re-run stopped at position ${run.position} before position ${to}, which the ` +
          "original reached: was its process changed from JavaScript between its stops?",
      );
    }
    if (stepping && stop) options.visit?.(run);
  }
  return run;
}

/** Statements stepped through first by {@link lastStops}, before it looks further back. */
const FIRST_WINDOW = 4096;

/**
 * The positions of the last `count` places before `plan.position` where `step()` would have
 * stopped (a line, a pause at input) and `test` held, oldest first (fewer: all there were).
 * Found by re-runs that run to a window before the end and step through it, the window four
 * times wider each time until enough are found: one or two runs for a stop a few lines back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastStops, type Rerun } from "./rewind.ts";
 * // a "program" whose every third position is a line
 * const start = (): Rerun<{ n: number }> => {
 *   const program = { n: 0 };
 *   return {
 *     program,
 *     get position() { return program.n; },
 *     advance: (to, lines) => {
 *       program.n = lines ? Math.min(to, (Math.floor(program.n / 3) + 1) * 3) : to;
 *       return program.n % 3 === 0;
 *     },
 *     give: () => {},
 *   };
 * };
 * const plan = { position: 10_000, inputs: [], start };
 * assert.deepEqual(lastStops(plan, () => true, 2), [9996, 9999]);
 * assert.deepEqual(lastStops(plan, (p) => p.n % 3000 === 0, 5), [3000, 6000, 9000]);
 * ```
 *
 * @param plan The original's position, inputs and a maker of fresh runs.
 * @param test Which stops to keep (the re-run's program, at the stop).
 * @param count How many to find.
 * @returns Their positions.
 */
export function lastStops<P>(
  plan: RerunPlan<P>,
  test: (program: P) => boolean,
  count: number,
): number[] {
  const found: number[] = [];
  let end = plan.position, width = FIRST_WINDOW;
  while (end > 0 && found.length < count) {
    const from = Math.max(0, end - width), window: number[] = [];
    rerun(plan, end, {
      stepFrom: from,
      visit: (run) => {
        if (run.position < plan.position && test(run.program)) window.push(run.position);
      },
    });
    found.unshift(...window);
    end = from;
    width *= 4;
  }
  return found.slice(-count);
}
