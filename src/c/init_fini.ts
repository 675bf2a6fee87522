/**
 * A C program's constructors and destructors (`__attribute__((constructor))`,
 * `__attribute__((destructor))`) as glibc runs them: the constructors before main, from the
 * program's `.init_array` (2.31's `__libc_csu_init` in the program, 2.34+'s `call_init` in
 * `__libc_start_main`), each given `(argc, argv, envp)` as far as it takes them; the destructors
 * by ld.so's `_dl_fini`, the entry `__libc_start_main` left in exit's `initial` list
 * (`exit_handlers.ts`), from `.fini_array`'s last entry to its first.
 *
 * gcc lays both arrays out by priority (`constructor(101)` before `constructor(102)` before those
 * given none, whose priority is 65535), and within a priority in the order the functions are
 * defined; so constructors run by priority then definition, destructors the other way round.
 * Checked against real runs of 2.31, 2.36, 2.41, 2.43 and 2.44 (`tests/fixtures/c/ctors/`): the
 * same on every version, a constructor's `exit` included (main never runs, the destructors do).
 *
 * @module
 */

import type { FunctionDef } from "./ast.ts";
import type { CFunction, Signal } from "./interpreter.ts";
import type { Value } from "./values.ts";
import type { Scheduler } from "./scheduler.ts";

/** A program's `.init_array` and `.fini_array`, as gcc and the linker lay them out. */
export interface InitFini {
  /** The constructors, in `.init_array`'s order (the order they run). */
  readonly initArray: readonly CFunction[];
  /** The destructors, in `.fini_array`'s order (`_dl_fini` runs them last to first). */
  readonly finiArray: readonly CFunction[];
}

/**
 * The arrays of the functions `defs` defines (in source order), `compiled` by name.
 *
 * @example Priorities first, then the order of definition
 * ```ts
 * import assert from "node:assert/strict";
 * import { initFini } from "./init_fini.ts";
 * import type { FunctionDef } from "./ast.ts";
 * import type { CFunction } from "./interpreter.ts";
 * const def = (name: string, initPriority?: number) => ({ name, initPriority }) as FunctionDef;
 * const fn = (name: string) => ({ name }) as CFunction;
 * const defs = [def("a", 65535), def("main"), def("b", 101)];
 * const arrays = initFini(defs, new Map(["a", "b", "main"].map((n) => [n, fn(n)])));
 * assert.deepEqual(arrays.initArray.map((f) => f.name), ["b", "a"]);
 * ```
 */
export function initFini(
  defs: readonly FunctionDef[],
  compiled: ReadonlyMap<string, CFunction>,
): InitFini {
  const laidOut = (priority: (d: FunctionDef) => number | undefined) =>
    defs.filter((d) => priority(d) !== undefined)
      .map((d, order) => ({ d, order, priority: priority(d)! }))
      .sort((x, y) => x.priority - y.priority || x.order - y.order)
      .map(({ d }) => compiled.get(d.name)!);
  return {
    initArray: laidOut((d) => d.initPriority),
    finiArray: laidOut((d) => d.finiPriority),
  };
}

/**
 * `__libc_start_main`'s start of the program on the main thread (by the host's scheduler, from
 * its arrays): the constructors, each with as many of argc, argv and envp (`start`'s) as it
 * takes, then main with as many; main's value.
 */
export function* startProgram(
  { sched, initFini: arrays }: { readonly sched: Scheduler; readonly initFini: InitFini },
  main: CFunction,
  start: { readonly argc: number; readonly argv: number; readonly envp: number },
): Generator<Signal, Value> {
  const args: Value[] = [start.argc, start.argv, start.envp];
  for (const ctor of arrays.initArray) {
    yield* sched.callFunction(ctor, args.slice(0, ctor.params.length));
  }
  return yield* sched.callFunction(main, args.slice(0, main.params.length));
}

/**
 * `_dl_fini`'s run of the program's destructors: `.fini_array` from its last entry to its first,
 * each given to `call` with its index (exit's own call of a function, which turns an exit in it
 * into exit's nested one).
 */
export function* runDestructors<T>(
  finiArray: readonly T[],
  call: (entry: T, index: number) => Generator<Signal, unknown>,
): Generator<Signal, void> {
  for (let i = finiArray.length - 1; i >= 0; i--) yield* call(finiArray[i], i);
}
