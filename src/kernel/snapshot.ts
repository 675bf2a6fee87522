/**
 * Snapshots of a whole simulated process: its pages (copy-on-write, see `memory.ts` and
 * `page_map.ts`), areas and break, threads, glibc's stack cache, the system call log and the
 * state of the C library running in it (the allocator, through `SnapshotRuntime` in
 * `process.ts`).
 *
 * Cost: taking a snapshot is O(1) plus the pages written since the previous snapshot, each of
 * which joins a persistent page map (a path of at most six 64-entry nodes, about 3 KiB, shared
 * with neighbouring pages) — the page's 4 KiB are not copied then but by the first write after
 * the snapshot. A snapshot therefore holds about 4 KiB plus up to 3 KiB per page written between
 * it and the next one, plus a copy of the process's small JavaScript state (areas, threads,
 * allocator scalars). Restoring costs O(pages that differ) plus the system call log's length.
 *
 * Invariant: a snapshot is immutable; restoring it into its process or forking from it never
 * changes it, and no write after it reaches its pages.
 *
 * @module
 */

import type { AddressSpaceState } from "./address_space.ts";
import { PersistentList } from "./persistent_list.ts";
import type { SyscallLogState } from "./syscall_log.ts";
import type { Thread, ThreadStack, ThreadState } from "./threads.ts";

/** What a snapshot keeps of one thread. */
export interface ThreadSnapshot {
  /** The thread object of the process the snapshot was taken in. */
  readonly thread: Thread;
  /** Its lifecycle state. */
  readonly state: ThreadState;
  /** errno. */
  readonly errno: number;
  /** Stack pointer. */
  readonly sp: number;
  /** Its stack mapping (a copy). */
  readonly stack: ThreadStack | undefined;
  /** Copies of its per-thread library variables. */
  readonly locals: ReadonlyMap<string, unknown>;
}

/** The whole process at one moment. */
export interface ProcessSnapshot {
  /** Areas, break, pages. */
  readonly space: AddressSpaceState;
  /** Every thread created so far, in creation order. */
  readonly threads: readonly ThreadSnapshot[];
  /** Index of the running thread. */
  readonly current: number;
  /** Index of the next thread id to hand out. */
  readonly nextTidIndex: number;
  /** glibc's stack cache (copies), most recent first. */
  readonly stackCache: readonly ThreadStack[];
  /** System call log. */
  readonly syscalls: SyscallLogState;
  /** The C library's state (the allocator's), if it takes part. */
  readonly runtime: unknown;
  /**
   * Monotonic number of the snapshot in its process (for labels and ordering). A snapshot
   * without pages taken when nothing changed since the last is that one, number included.
   */
  readonly serial: number;
}

/** The fields of a {@link ProcessCapture}: a snapshot with its threads as a persistent list. */
export interface ProcessCaptureFields extends Omit<ProcessSnapshot, "threads"> {
  /** Every thread created so far, in creation order (shares chunks with the last capture's). */
  readonly threadList: PersistentList<ThreadSnapshot>;
}

/** A {@link ProcessCapture}'s fields (declaration merging: the class holds them all). */
export interface ProcessCapture extends ProcessCaptureFields {}

/**
 * A snapshot as `Process.snapshot` takes it: its fields as {@link ProcessCaptureFields} lists
 * them (the interface of the same name adds them to the class). Its threads are kept in a
 * {@link PersistentList} that shares all but one chunk with the previous capture's, and listed in
 * an array only when `threads` is first read (a history reads a few of its captures' threads, and
 * keeps them all).
 */
export class ProcessCapture implements ProcessSnapshot {
  #threads: readonly ThreadSnapshot[] | undefined;

  constructor(fields: ProcessCaptureFields) {
    Object.assign(this, fields);
  }

  /** Every thread created so far, in creation order. */
  get threads(): readonly ThreadSnapshot[] {
    return this.#threads ??= Object.freeze(this.threadList.toArray());
  }
}

/**
 * A snapshot's threads as a list: a capture's own, or that of a copy of it (`{ ...snapshot }`
 * keeps `threadList` and loses the `threads` getter), else its `threads` array; undefined for
 * anything else.
 */
function threadListOf(snapshot: ProcessSnapshot): PersistentList<ThreadSnapshot> | undefined {
  const list = (snapshot as Partial<ProcessCaptureFields>).threadList;
  return list instanceof PersistentList ? list : undefined;
}

/**
 * What stands for a snapshot's threads in an identity test: two captures with the same key hold
 * the same thread snapshots (a capture's list, or any other snapshot's array).
 */
export function threadsKey(snapshot: ProcessSnapshot): object {
  return threadListOf(snapshot) ?? snapshot.threads;
}

/** A snapshot's threads, without listing a capture's in an array (undefined: it has none). */
export function threadsOf(snapshot: ProcessSnapshot): Iterable<ThreadSnapshot> | undefined {
  const list = threadListOf(snapshot);
  if (list !== undefined) return list;
  return Array.isArray(snapshot.threads) ? snapshot.threads : undefined;
}

/** True for a plain object or array (not a class instance, which its runtime captures itself). */
export function isPlainLocal(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Array.isArray(v);
}

/**
 * Copies a thread's local values: primitives as they are, plain objects one level deep. Class
 * instances (the allocator's `ThreadMalloc`, bound to one process's memory) are left out: the
 * runtime that owns them captures and restores them (`SnapshotRuntime`).
 */
export function copyLocals(locals: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of locals) {
    if (!isPlainLocal(v)) continue;
    out.set(k, v !== null && typeof v === "object" && !Array.isArray(v) ? { ...v } : v);
  }
  return out;
}
