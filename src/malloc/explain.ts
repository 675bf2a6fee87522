/**
 * Explain records: what the allocator did for one public call — which path served it, which
 * chunks moved between which bins, which chunks were split or merged, which system calls it
 * made. Views render them; tests read them to assert on behaviour rather than on addresses.
 *
 * Invariant: a record describes exactly one public call; steps are in the order glibc took
 * them, and `syscalls` are those logged by the process during the call.
 *
 * @module
 */

import { NO_SYSCALLS, type SyscallRecord } from "../kernel/syscall_log.ts";

/** What a step did to a chunk. */
export type StepAction =
  /** The chunk left a bin (`from`) to be returned or used. */
  | "take"
  /** The chunk went into a bin (`to`). */
  | "put"
  /** A chunk was split; `chunk` is the part kept, `note` says where the rest went. */
  | "split"
  /** The chunk merged with a neighbour (`note`: backward, forward, into top). */
  | "merge"
  /** Something happened to the arena: malloc_consolidate, sysmalloc, trim, … */
  | "arena";

/** One step. */
export interface ExplainStep {
  /** What happened. */
  readonly action: StepAction;
  /** Chunk address (0 for arena-wide steps). */
  readonly chunk: number;
  /** Chunk size at the time (0 when not meaningful). */
  readonly size: number;
  /** Bin the chunk came from, e.g. `tcache 0x20`, `fastbin 0x20`, `unsorted`, `top`. */
  readonly from?: string;
  /** Bin the chunk went to. */
  readonly to?: string;
  /** Free text. */
  readonly note?: string;
}

/** Where a step's chunk came from or went, and a note, when a step has them. */
export interface StepDetail {
  /** Bin the chunk came from. */
  readonly from?: string;
  /** Bin the chunk went to. */
  readonly to?: string;
  /** Free text. */
  readonly note?: string;
}

/** What one public call did. */
export interface OperationRecord {
  /** `malloc`, `free`, `calloc`, `realloc`, `memalign`, `malloc_trim`, `mallopt`, … */
  readonly operation: string;
  /** The arguments, as numbers. */
  readonly args: readonly number[];
  /** Thread id of the caller. */
  readonly tid: number;
  /** Returned value (pointer, 0 for NULL, or the int result). */
  result: number;
  /**
   * The path that served the call: `tcache`, `fastbin`, `smallbin`, `unsorted exact fit`,
   * `last remainder`, `largebin`, `binmap`, `top`, `sysmalloc brk`, `sysmalloc heap`,
   * `new heap`, `mmap`, `mremap`, `in place`, … or for free: `tcache`, `fastbin`, `unsorted`,
   * `smallbin`, `top`, `munmap`.
   */
  served: string;
  /** Address of the arena used (0 for none). */
  arena: number;
  /** The steps, in order. */
  readonly steps: ExplainStep[];
  /** System calls made during the call. */
  syscalls: readonly SyscallRecord[];
}

/**
 * Collects the steps of the current call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Explainer } from "./explain.ts";
 * const ex = new Explainer(true);
 * const rec = ex.begin("malloc", [24], 1);
 * ex.take(0x1000, 0x20, "tcache 0x20");
 * ex.serve("tcache");
 * assert.equal(rec.served, "tcache");
 * assert.deepEqual(rec.steps[0], {
 *   action: "take",
 *   chunk: 0x1000,
 *   size: 0x20,
 *   from: "tcache 0x20",
 *   to: undefined,
 *   note: undefined,
 * });
 * ```
 */
export class Explainer {
  /** Whether steps are recorded (records still carry operation, result and path). */
  enabled: boolean;
  // The record being written: its list of steps is replaced by the first step (see #step).
  #current: (Omit<OperationRecord, "steps"> & { steps: ExplainStep[] }) | undefined;
  #depth = 0;

  /** A collector; `enabled` false keeps no steps. */
  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** The record of the call in progress (or the last one). */
  get current(): OperationRecord | undefined {
    return this.#current;
  }

  /** Starts a record, unless a public call is already in progress (nested calls add to it). */
  begin(operation: string, args: readonly number[], tid: number): OperationRecord {
    if (this.#depth++ > 0 && this.#current) return this.#current;
    this.#current = {
      operation,
      args,
      tid,
      result: 0,
      served: "",
      arena: 0,
      steps: [],
      syscalls: NO_SYSCALLS,
    };
    return this.#current;
  }

  /** Ends the outermost call; true when this was it. */
  end(): boolean {
    this.#depth = Math.max(0, this.#depth - 1);
    return this.#depth === 0;
  }

  /** Forgets nesting after an abort. */
  reset(): void {
    this.#depth = 0;
  }

  /** The chunk left bin `from` (`tcache 0x20`, `fastbin 0x20`, `unsorted`, …). */
  take(chunk: number, size: number, from: string, note?: string): void {
    this.#step("take", chunk, size, from, undefined, note);
  }

  /** The chunk went into bin `to`. */
  put(chunk: number, size: number, to: string, detail: StepDetail = {}): void {
    this.#step("put", chunk, size, detail.from, to, detail.note);
  }

  /** A chunk was split; `chunk` is the part kept. */
  split(chunk: number, size: number, detail: StepDetail = {}): void {
    this.#step("split", chunk, size, detail.from, detail.to, detail.note);
  }

  /** The chunk merged with a neighbour (or top). */
  merge(chunk: number, size: number, detail: StepDetail = {}): void {
    this.#step("merge", chunk, size, detail.from, detail.to, detail.note);
  }

  /** Something happened to the arena (`malloc_consolidate`, `new heap`, `systrim 4096`, …). */
  arenaStep(address: number, size: number, note: string, detail: StepDetail = {}): void {
    this.#step("arena", address, size, detail.from, detail.to, note);
  }

  #step(
    action: StepAction,
    chunk: number,
    size: number,
    from: string | undefined,
    to: string | undefined,
    note: string | undefined,
  ): void {
    const rec = this.#current;
    if (!this.enabled || !rec) return;
    const step = { action, chunk, size, from, to, note };
    // The first step makes a list of one: a push onto the empty list would reserve 16 slots, and
    // most calls take one step (a run of C code or a history keeps every record).
    if (rec.steps.length === 0) rec.steps = [step];
    else rec.steps.push(step);
  }

  /** Sets the serving path (the first one set wins, nested calls do not override it). */
  serve(path: string): void {
    if (this.#current && this.#current.served === "") this.#current.served = path;
  }

  /** Sets the serving path, overriding an earlier one. */
  overrideServed(path: string): void {
    if (this.#current) this.#current.served = path;
  }

  /**
   * Runs `fn` as glibc's own bookkeeping inside the call (e.g. tcache_init): its steps are
   * kept, but it does not decide the serving path.
   */
  aside<T>(fn: () => T): T {
    const rec = this.#current;
    const served = rec?.served ?? "";
    try {
      return fn();
    } finally {
      if (rec) rec.served = served;
    }
  }

  /** Nesting of the public calls in progress (0 between calls). */
  get depth(): number {
    return this.#depth;
  }

  /**
   * Returns to a captured state: whether steps are kept, the current record and the nesting (the
   * allocator's snapshot keeps them as its own fields, one object fewer at every history step).
   */
  restoreState(enabled: boolean, current: OperationRecord | undefined, depth: number): void {
    this.enabled = enabled;
    this.#current = current;
    this.#depth = depth;
  }

  /** Records the arena used. */
  arena(address: number): void {
    if (this.#current && this.#current.arena === 0) this.#current.arena = address;
  }
}

/** Operations whose result is a pointer. */
const POINTER_RESULTS: ReadonlySet<string> = new Set([
  "malloc",
  "calloc",
  "realloc",
  "memalign",
  "aligned_alloc",
  "valloc",
  "pvalloc",
  "printf",
]);

/** Arguments that are pointers, by operation. */
const POINTER_ARGS: Readonly<Record<string, readonly number[]>> = { free: [0], realloc: [0] };

/**
 * A record's call as C: `malloc(1000) = 0x804b008`, `free(0x804b008)`, `malloc(-1) = NULL`;
 * without the result when the call did not return (`returned: false`, e.g. it aborted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator, Process } from "../../mod.ts";
 * import { callText } from "./explain.ts";
 * const libc = new Allocator(new Process(), { glibc: "2.36" });
 * libc.malloc(24);
 * assert.equal(callText(libc.lastRecord!), "malloc(24) = 0x5555555592a0");
 * ```
 */
export function callText(record: OperationRecord, returned = true): string {
  const pointerArgs = POINTER_ARGS[record.operation] ?? [];
  const args = record.args.map((a, i) =>
    pointerArgs.includes(i) ? "0x" + a.toString(16) : String(a)
  );
  const text = `${record.operation}(${args.join(", ")})`;
  if (!returned || record.operation === "free" || record.operation === "thread exit") return text;
  if (!POINTER_RESULTS.has(record.operation)) return `${text} = ${record.result}`;
  return `${text} = ${record.result === 0 ? "NULL" : "0x" + record.result.toString(16)}`;
}
