/**
 * "What would this call do now?": runs one allocator call on a throwaway copy of the process
 * (a fork from a snapshot, reused between questions) and reports its explain record, its result
 * or the glibc abort (or fault) it would hit, and the diff it would make. The real process is
 * untouched — memory, areas, threads, system call log and the allocator's state.
 *
 * @module
 */

import { SegmentationFault } from "../kernel/errors.ts";
import type { Libc } from "./libc.ts";
import { HeapAbort, HeapLoopError } from "../malloc/errors.ts";
import type { OperationRecord } from "../malloc/explain.ts";
import { diff, type HeapDiff } from "./diff.ts";
import { HeapState, heapState } from "./state.ts";

/** What a call would do. */
export interface WhatIfResult {
  /** The call, as C: `malloc(24)`. */
  readonly call: string;
  /** Its return value (a pointer, 0 for NULL; 0 for free), unless it stopped. */
  readonly result?: number;
  /** The abort (glibc's message in `glibcMessage`), fault or endless list it would hit. */
  readonly error?: HeapAbort | SegmentationFault | HeapLoopError;
  /** Its explain record. */
  readonly record: OperationRecord | undefined;
  /** What it would change. */
  readonly diff: HeapDiff;
  /** The state it would leave (read it with `state.read(...)`). */
  readonly state: HeapState;
}

const sandboxes = new WeakMap<Libc, Libc>();

/**
 * The what-if questions for one allocator: each method runs the call on a copy and returns a
 * {@link WhatIfResult}.
 *
 * @example
 * ```ts
 * import { Allocator, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const p = libc.malloc(24);
 * libc.free(p);
 * const w = libc.whatIf.free(p);
 * assert.equal(w.error?.message, "free(): double free detected in tcache 2");
 * assert.equal(libc.whatIf.malloc(24).result, p); // and p is still in the tcache
 * ```
 */
export class WhatIf {
  readonly #libc: Libc;

  /** Questions about `libc`'s next call. */
  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** What `malloc(size)` would do. */
  malloc(size: number): WhatIfResult {
    return this.#ask(`malloc(${size})`, (l) => l.malloc(size));
  }

  /** What `free(ptr)` would do. */
  free(ptr: number): WhatIfResult {
    return this.#ask(`free(0x${ptr.toString(16)})`, (l) => {
      l.free(ptr);
      return 0;
    });
  }

  /** What `realloc(ptr, size)` would do. */
  realloc(ptr: number, size: number): WhatIfResult {
    return this.#ask(`realloc(0x${ptr.toString(16)}, ${size})`, (l) => l.realloc(ptr, size));
  }

  /** What `calloc(count, size)` would do. */
  calloc(count: number, size: number): WhatIfResult {
    return this.#ask(`calloc(${count}, ${size})`, (l) => l.calloc(count, size));
  }

  /** What any calls would do together (the record and result are the last call's). */
  run(call: string, fn: (libc: Libc) => number): WhatIfResult {
    return this.#ask(call, fn);
  }

  #ask(call: string, fn: (libc: Libc) => number): WhatIfResult {
    const libc = this.#libc;
    const before = heapState(libc, "now");
    let sandbox = sandboxes.get(libc);
    if (sandbox === undefined) {
      sandbox = libc.process.fork(before.snapshot).runtime as unknown as Libc;
      sandboxes.set(libc, sandbox);
    } else sandbox.process.restore(before.snapshot);
    const prior = sandbox.lastRecord;
    let result: number | undefined;
    let error: WhatIfResult["error"];
    try {
      result = fn(sandbox);
    } catch (e) {
      if (e instanceof HeapAbort || e instanceof SegmentationFault || e instanceof HeapLoopError) {
        error = e;
      } else throw e;
    }
    const record = sandbox.lastRecord === prior ? undefined : sandbox.lastRecord;
    const after = new HeapState(sandbox, sandbox.process.snapshot(), `after ${call}`);
    return { call, result, error, record, diff: diff(before, after), state: after };
  }
}
