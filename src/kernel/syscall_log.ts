/**
 * The record of every system call the simulated process made: which thread, which call, its
 * arguments and what it returned. The allocator's explain records and the notebooks read it.
 *
 * @module
 */

import { errnoName, isSyscallError } from "./errors.ts";

/** One system call. */
export interface SyscallRecord {
  /** Sequence number, from 1. */
  readonly seq: number;
  /** Thread that made it. */
  readonly tid: number;
  /** Call name: `brk`, `mmap`, `munmap`, `mprotect`, `mremap`, `madvise`. */
  readonly name: string;
  /** Arguments as the C call takes them. */
  readonly args: readonly number[];
  /** Raw result: an address, 0, or `-errno`. */
  readonly result: number;
}

/** No system calls: one shared, frozen empty list (most calls and operations make none). */
export const NO_SYSCALLS: readonly SyscallRecord[] = Object.freeze([]);

/**
 * Text of one record, strace-style.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSyscall } from "./syscall_log.ts";
 * assert.equal(
 *   formatSyscall({ seq: 1, tid: 1, name: "munmap", args: [0x1000, 4096], result: -22 }),
 *   "munmap(0x1000, 4096) = -1 EINVAL",
 * );
 * ```
 */
export function formatSyscall(record: SyscallRecord): string {
  const args = record.args.map((a, i) =>
    record.name === "brk" || i === 0 || (record.name === "mremap" && i === 4)
      ? `0x${a.toString(16)}`
      : String(a)
  ).join(", ");
  const result = isSyscallError(record.result)
    ? `-1 ${errnoName(-record.result)}`
    : record.name === "brk" || record.name === "mmap" || record.name === "mremap"
    ? `0x${record.result.toString(16)}`
    : String(record.result);
  return `${record.name}(${args}) = ${result}`;
}

/** An append-only list of system calls with a cursor for "what happened since". */
export class SyscallLog {
  #records: SyscallRecord[] = [];
  #limit: number;

  /** @param limit records kept (oldest dropped first); default 100000 */
  /** An empty log. */
  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  /** Appends a record. */
  add(tid: number, name: string, args: readonly number[], result: number): SyscallRecord {
    const last = this.#records[this.#records.length - 1];
    const record = { seq: (last?.seq ?? 0) + 1, tid, name, args, result };
    this.#records.push(record);
    if (this.#records.length > this.#limit) {
      // A new array, not a splice: snapshots may hold the old one.
      this.#records = this.#records.slice(this.#records.length >> 1);
    }
    return record;
  }

  /** Sequence number of the last record (0 when empty). */
  get lastSeq(): number {
    return this.#records[this.#records.length - 1]?.seq ?? 0;
  }

  /** Every record kept, oldest first. */
  all(): readonly SyscallRecord[] {
    return this.#records;
  }

  /**
   * The log as it is now, for a snapshot: O(1). Records are immutable and later calls only
   * append, so the array and its length describe it.
   */
  captureState(): SyscallLogState {
    const c = this.#captured;
    if (c !== undefined && c.records === this.#records && c.length === this.#records.length) {
      return c;
    }
    return this.#captured = { records: this.#records, length: this.#records.length };
  }

  /** The last capture: the next is the same object while nothing was logged in between. */
  #captured: SyscallLogState | undefined;

  /** Returns to a captured log (a copy of it: O(records), as another log may hold the array). */
  restoreState(state: SyscallLogState): void {
    this.#records = state.records.slice(0, state.length);
  }

  /** Records after sequence number `seq`. */
  since(seq: number): SyscallRecord[] {
    const out: SyscallRecord[] = [];
    for (let i = this.#records.length - 1; i >= 0 && this.#records[i].seq > seq; i--) {
      out.push(this.#records[i]);
    }
    return out.reverse();
  }
}

/** A captured {@link SyscallLog}: the first `length` records of `records`. */
export interface SyscallLogState {
  /** The array of records (later ones may follow). */
  readonly records: readonly SyscallRecord[];
  /** How many belong to the state. */
  readonly length: number;
}
