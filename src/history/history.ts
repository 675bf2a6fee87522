/**
 * A recorded history of a process: a snapshot after every allocator call, every system call the
 * program makes itself, every line (with the C interpreter, through {@link LineHook}), and every
 * {@link History.mark}. The history is a cursor over its steps: {@link History.back},
 * {@link History.forward}, {@link History.goto} and {@link History.seek} restore the live
 * process to a step, and a call made there drops the steps after it (a new future).
 *
 * Cost: the history keeps the memory's journal (`memory.ts`: every word written, with its old
 * and new value, 16 bytes each) and, per step, the process's JavaScript state (areas, threads,
 * allocator scalars: shared with the previous step where unchanged) — memory grows with the
 * words written, not with the address space. While it records, every write takes the memory's
 * slow path (in place, through the journal's TLB, after a page's first copy). The steps are kept
 * column by column, a few numbers and references each; a step's object ({@link HistoryStep}) is
 * made when first asked for. Moving to a step costs O(words written in between); a step's full
 * {@link HeapState} (for diffs) is made when first asked for, by moving there and back.
 *
 * @module
 */

import { integerArgument } from "../kernel/arguments.ts";
import { ArgumentRangeError, ArgumentTypeError } from "../kernel/errors.ts";
import { HEAP_CHECK_STEPS, heapNearlyFull } from "../kernel/heap_budget.ts";
import type { ProcessSnapshot } from "../kernel/snapshot.ts";
import type { SyscallRecord } from "../kernel/syscall_log.ts";
import type { Allocator } from "../malloc/allocator.ts";
import { callText, type OperationRecord } from "../malloc/explain.ts";
import { diff, type HeapDiff } from "./diff.ts";
import { HeapState } from "./state.ts";

/** What made a step. */
export type StepKind = "start" | "call" | "syscall" | "line" | "mark";

/** One recorded step. */
export interface HistoryStep {
  /** Position in the history, from 0 (the state when recording started). */
  readonly index: number;
  /** What made it. */
  readonly kind: StepKind;
  /** Its label: the call (`malloc(24) = 0x…`), system call, line, or the mark's text. */
  readonly label: string;
  /** The allocator call's record (kind `call`, when explain records are on). */
  readonly record?: OperationRecord;
  /** The system call (kind `syscall`). */
  readonly syscall?: SyscallRecord;
  /** The error the call ended with (an abort, a fault). */
  readonly error?: unknown;
  /** Bytes the allocator holds from the system: system_mem of every arena + mmapped chunks. */
  readonly heapSize: number;
  /** The state after the step (made when first asked for). */
  readonly state: HeapState;
}

/** What few steps have: a system call, an error. */
interface StepExtras {
  readonly syscall?: SyscallRecord;
  readonly error?: unknown;
}

/**
 * Records a step as {@link History.mark} does, without making its object (a recorded replay
 * marks every trace line and reads few of them). A number stands for the label that
 * {@link labelLinesWith}'s function makes of it when the label is first read, so that a step
 * keeps no string of its own.
 */
export let markQuietly: (
  history: History,
  label: string | number,
  record?: OperationRecord,
) => void;

/** Sets the function that makes the label of a step marked with a number (see markQuietly). */
export let labelLinesWith: (history: History, label: (line: number) => string) => void;

/** A step as the history keeps it: the JavaScript state and the journal position. */
class RecordedStep implements HistoryStep {
  readonly index: number;
  readonly kind: StepKind;
  readonly label: string;
  readonly record?: OperationRecord;
  readonly syscall?: SyscallRecord;
  readonly error?: unknown;
  readonly heapSize: number;
  /** The process without its pages. */
  readonly js: ProcessSnapshot;
  /** The memory's journal position. */
  readonly journal: number;
  #state: HeapState | undefined;
  readonly #history: History;

  constructor(
    history: History,
    fields: Omit<HistoryStep, "state">,
    js: ProcessSnapshot,
    journal: number,
  ) {
    this.#history = history;
    this.index = fields.index;
    this.kind = fields.kind;
    this.label = fields.label;
    this.record = fields.record;
    this.syscall = fields.syscall;
    this.error = fields.error;
    this.heapSize = fields.heapSize;
    this.js = js;
    this.journal = journal;
  }

  get state(): HeapState {
    this.#state ??= this.#history.materialize(this);
    return this.#state;
  }
}

/**
 * What an interpreter of C calls to record a step per executed line; the history implements it.
 */
export interface LineHook {
  /** The line `line` (1-based) of the program, with its text, has just run. */
  line(line: number, text?: string): void;
}

/** Options of a {@link History}. */
export interface HistoryOptions {
  /** A step after every outermost allocator call (default true). */
  readonly calls?: boolean;
  /** A step after every system call made outside allocator calls (default true). */
  readonly syscalls?: boolean;
}

function callLabel(libc: Allocator, error: unknown): string {
  const r = libc.lastRecord;
  if (!r) return error instanceof Error ? `call: ${error.message}` : "call";
  if (error instanceof Error) return `${callText(r, false)}: ${error.message}`;
  return callText(r);
}

/**
 * Records the states of `libc`'s process and walks them.
 *
 * @example
 * ```ts
 * import { Allocator, History, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const history = new History(libc);
 * const a = libc.malloc(24);
 * libc.free(a);
 * assert.equal(history.length, 3); // start, malloc, free
 * history.back(); // the live process is back after the malloc
 * assert.equal(libc.whatIf.free(a).error, undefined); // a is not free there
 * history.seek(/^free/);
 * assert.equal(history.position, 2);
 * ```
 */
export class History implements LineHook {
  /** The allocator whose process is recorded. */
  readonly allocator: Allocator;
  // The steps, column by column (a recorded replay makes one per trace line): index i of each
  // column is step i. Its object is made when first asked for (#step).
  #kinds: StepKind[] = [];
  /** Labels, or numbers that #lineLabel makes labels of (markQuietly). */
  #labels: (string | number)[] = [];
  #lineLabel: (line: number) => string = String;
  #heapSizes: number[] = [];
  /** Each step's process without its pages (consecutive steps mostly share one). */
  #js: ProcessSnapshot[] = [];
  /** Each step's position in the memory's journal. */
  #journals: number[] = [];
  /**
   * Each step's call record, if it has one (a column: a recorded replay's steps nearly all do,
   * and an object and a map entry each cost more than the slot).
   */
  #records: (OperationRecord | undefined)[] = [];
  /** The system call and error of the steps that have one. */
  #extras = new Map<number, StepExtras>();
  /** The step objects made so far (holes where none was asked for). */
  #made: (RecordedStep | undefined)[] = [];
  #position = 0;
  #calls: boolean;
  #syscalls: boolean;
  #recording = false;
  #full: string | undefined;

  /** Starts recording `libc`'s process: step 0 is its state now. */
  constructor(libc: Allocator, options: HistoryOptions = {}) {
    this.allocator = libc;
    this.#calls = options.calls ?? true;
    this.#syscalls = options.syscalls ?? true;
    libc.process.memory.startJournal();
    this.#push("start", "start");
    this.resume();
  }

  /**
   * Why the history took no more steps, once the JavaScript heap was nearly full (see
   * `src/kernel/heap_budget.ts`); undefined while it records. The live process goes on, the
   * steps kept can still be walked, and a call made after going back still drops the steps after
   * (their journal entries are gone) without recording one.
   */
  get full(): string | undefined {
    return this.#full;
  }

  /** Number of steps. */
  get length(): number {
    return this.#kinds.length;
  }

  /** Index of the step the live process is at. */
  get position(): number {
    return this.#position;
  }

  /** Every step, oldest first. */
  get steps(): readonly HistoryStep[] {
    for (let i = 0; i < this.#kinds.length; i++) this.#step(i);
    return this.#made as RecordedStep[]; // every step's object is made now
  }

  /** Step `i` (negative: from the end), without moving. */
  at(i: number): HistoryStep {
    return this.#at(i);
  }

  /**
   * Step `i` (negative: from the end), its fraction dropped as `Array.prototype.at` drops it; a
   * typed error for NaN or anything but a number (which `Array.prototype.at` would read as 0).
   */
  #at(i: number): RecordedStep {
    const n = this.#kinds.length;
    if (typeof i !== "number") throw new ArgumentTypeError("step", i, "a step index");
    if (Number.isNaN(i)) throw new ArgumentRangeError("step", i, "a step index");
    let k = Math.trunc(i);
    if (k < 0) k += n;
    if (!(k >= 0 && k < n)) throw new RangeError(`No step ${i}: the history has ${n}`);
    return this.#step(k);
  }

  /** The label of step `i`. */
  #label(i: number): string {
    const label = this.#labels[i];
    return typeof label === "number" ? this.#lineLabel(label) : label;
  }

  /** The object of step `i` (an index of the columns), made on the first call. */
  #step(i: number): RecordedStep {
    let step = this.#made[i];
    if (step === undefined) {
      const extras = this.#extras.get(i);
      step = this.#made[i] = new RecordedStep(
        this,
        {
          index: i,
          kind: this.#kinds[i],
          label: this.#label(i),
          record: this.#records[i],
          syscall: extras?.syscall,
          error: extras?.error,
          heapSize: this.#heapSizes[i],
        },
        this.#js[i],
        this.#journals[i],
      );
    }
    return step;
  }

  /** The step the live process is at. */
  current(): HistoryStep {
    return this.#step(this.#position);
  }

  /** Restores the live process to step `i`; returns the step. */
  goto(i: number): HistoryStep {
    const step = this.#at(i);
    this.#position = step.index;
    this.#moveTo(step.journal, step.js);
    return step;
  }

  #moveTo(journal: number, js: ProcessSnapshot): void {
    const proc = this.allocator.process;
    proc.memory.moveJournal(journal);
    proc.restore(js);
  }

  /**
   * The full state of a step (a snapshot with pages), made by moving the live process there
   * and back; for {@link HistoryStep.state}.
   */
  materialize(step: HistoryStep): HeapState {
    const i = this.#at(step.index).index;
    const proc = this.allocator.process;
    const liveJs = proc.snapshot({ pages: false });
    const liveJournal = proc.memory.journalPosition;
    this.#moveTo(this.#journals[i], this.#js[i]);
    try {
      return new HeapState(this.allocator, proc.snapshot(), step.label);
    } finally {
      this.#moveTo(liveJournal, liveJs);
    }
  }

  /** Stops recording for good: the memory's journal is dropped (steps already read stay). */
  stop(): void {
    this.pause();
    this.allocator.process.memory.stopJournal();
  }

  /** Goes `n` steps back (not past the start). */
  back(n = 1): HistoryStep {
    integerArgument("n", n, 0, Number.MAX_SAFE_INTEGER);
    return this.goto(Math.max(0, this.#position - n));
  }

  /** Goes `n` steps forward (not past the last). */
  forward(n = 1): HistoryStep {
    integerArgument("n", n, 0, Number.MAX_SAFE_INTEGER);
    return this.goto(Math.min(this.#kinds.length - 1, this.#position + n));
  }

  /**
   * Goes to the first step after the current one whose label matches (a string: the label
   * starts with it), wrapping around to the start; throws if none does.
   */
  seek(label: string | RegExp): HistoryStep {
    if (typeof label !== "string" && !(label instanceof RegExp)) {
      throw new ArgumentTypeError("label", label, "a string or a RegExp");
    }
    const match = (text: string) =>
      typeof label === "string" ? text.startsWith(label) : label.test(text);
    const n = this.#kinds.length;
    for (let k = 1; k <= n; k++) {
      const i = (this.#position + k) % n;
      if (match(this.#label(i))) return this.goto(i);
    }
    throw new RangeError(`No step labelled ${label}`);
  }

  /** Records a step now, with a label of your own (and the record of a call it stands for). */
  mark(label: string, record?: OperationRecord): HistoryStep {
    if (typeof label !== "string") throw new ArgumentTypeError("label", label, "a string");
    const index = this.#push("mark", label, record);
    if (index < 0) throw new RangeError(`No step recorded: ${this.#full}`);
    return this.#step(index);
  }

  static {
    markQuietly = (history, label, record) => history.#push("mark", label, record);
    labelLinesWith = (history, label) => history.#lineLabel = label;
  }

  /** Records a step for a line of a program (the C interpreter's hook). */
  line(line: number, text?: string): void {
    integerArgument("line", line, 0, Number.MAX_SAFE_INTEGER);
    if (text !== undefined && typeof text !== "string") {
      throw new ArgumentTypeError("text", text, "a string");
    }
    this.#push("line", text === undefined ? `line ${line}` : `line ${line}: ${text}`);
  }

  /** What changed from step `i` to step `j` (default: the step before `j`). */
  diff(j: number = this.#position, i?: number): HeapDiff {
    const to = this.at(j);
    return diff(this.at(i ?? j - 1).state, to.state);
  }

  /** Stops recording allocator and system calls (marks and lines are still recorded). */
  pause(): void {
    if (!this.#recording) return;
    this.#recording = false;
    this.allocator.callObserver = undefined;
    this.allocator.process.syscallObserver = undefined;
  }

  /** Records allocator and system calls again (as the options say). */
  resume(): void {
    if (this.#recording) return;
    this.#recording = true;
    const libc = this.allocator;
    if (this.#calls) {
      libc.callObserver = (l, error) =>
        this.#push("call", callLabel(l, error), l.lastRecord, undefined, error);
    }
    if (this.#syscalls) {
      libc.process.syscallObserver = (record) => {
        if (!libc.inCall) this.#push("syscall", `${record.name}`, undefined, record);
      };
    }
  }

  #heapSize(): number {
    const m = this.allocator.context;
    if (!m.initialized) return 0;
    let total = m.params.mmappedMem;
    let arena = m.mainArena;
    for (let n = 0; n < 1024; n++) {
      total += m.arenas.systemMem(arena);
      arena = m.arenas.next(arena);
      if (arena === m.mainArena || arena === 0) break;
    }
    return total;
  }

  /** Records a step; returns its index. */
  #push(
    kind: StepKind,
    label: string | number,
    record?: OperationRecord,
    syscall?: SyscallRecord,
    error?: unknown,
  ): number {
    const proc = this.allocator.process;
    // A step made after going back starts a new future.
    if (this.#kinds.length > 0) this.#dropAfter(this.#position);
    const index = this.#kinds.length;
    if (this.#full !== undefined) return -1;
    if (index % HEAP_CHECK_STEPS === 0 && index > 0) {
      const full = heapNearlyFull();
      if (full !== undefined) {
        this.#full = `${full} after step ${index - 1}: later steps were not recorded (record ` +
          `fewer steps, or without explain records)`;
        this.pause();
        return -1;
      }
    }
    let heapSize = 0;
    try {
      heapSize = this.#heapSize();
    } catch {
      // A corrupted arena list: leave the size at 0.
    }
    this.#kinds.push(kind);
    this.#labels.push(label);
    this.#heapSizes.push(heapSize);
    this.#js.push(proc.snapshot({ pages: false }));
    this.#journals.push(proc.memory.journalPosition);
    this.#records.push(record);
    if (syscall !== undefined || error !== undefined) this.#extras.set(index, { syscall, error });
    this.#position = index;
    return index;
  }

  /** Drops the steps after step `i` (a new future). */
  #dropAfter(i: number): void {
    const n = i + 1;
    if (this.#kinds.length === n) return;
    this.#kinds.length = this.#labels.length = this.#heapSizes.length = n;
    this.#js.length = this.#journals.length = this.#records.length = n;
    if (this.#made.length > n) this.#made.length = n;
    for (const k of this.#extras.keys()) if (k >= n) this.#extras.delete(k);
  }
}
