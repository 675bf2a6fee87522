/**
 * pthread_join and pthread_detach as glibc's nptl answers them, and what a detached thread's end
 * does to memory. A thread's descriptor (`struct pthread`, at the top of its stack) is freed
 * once (`__free_tcb`): by pthread_join, by pthread_detach of a thread that has ended, or by the
 * detached thread itself at its exit, after its tcache and arena were given back. Freeing it
 * puts the stack in nptl's stack cache, so the next pthread_create takes the same stack — the
 * same `pthread_t`, the same addresses for its locals — and the new thread's first malloc the
 * arena the ended thread left on the free list.
 *
 * The answers of the two calls (nptl/pthread_join_common.c, pthread_detach.c):
 *
 * - up to 2.42, from `joinid` (the thread itself when detached) and the thread id (-1 once
 *   joined): a joined thread is ESRCH to both; a detached one EINVAL to both; joining oneself
 *   EDEADLK;
 * - from 2.43 (BZ #19951), from one join state that the kernel sets to "exited" when the thread
 *   is gone: joining oneself is EDEADLK, a detached thread still running EINVAL to both, and a
 *   thread that has ended — joined, detached or neither — joins and detaches with 0.
 *
 * heaplab runs threads cooperatively (`scheduler.ts`): a thread "has ended" when its function
 * returned. Not modelled, refused by name: pthread_join of the main thread from another thread
 * (it waits for the process to end), pthread_detach of the main thread, of a thread another
 * thread is waiting to join, of a `pthread_t` that is no thread of the program, and a detached thread whose exit
 * would push the stack cache past its limit (glibc then unmaps cached stacks from the exiting
 * thread, whose tcache is already gone). Checked against real runs on glibc 2.31–2.44:
 * tests/fixtures/c/pthread_detach/.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Process } from "../kernel/process.ts";
import type { Int } from "./integer.ts";
import { Signal } from "./interpreter.ts";
import type { CThread, Scheduler } from "./scheduler.ts";
import type { Value } from "./values.ts";

/** errno values nptl returns. */
const { ESRCH, EDEADLK, EINVAL } = Errno;

/** What pthread_join and pthread_detach work on. */
export interface ThreadCallHost {
  readonly sched: Scheduler;
  readonly process: Process;
  /** glibc's one join state (2.43+) rather than `joinid` and the thread id. */
  readonly joinState: boolean;
  /** The main thread's `pthread_t`. */
  readonly mainHandle: number;
  /** Stores a pointer-sized value at `address`. */
  writePointer(address: number, value: number): void;
  /** Collects the allocator's explain records made since the last call. */
  noteRecords(): void;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * pthread_join(thread, ret): waits for the thread to end, stores its result at `ret` (when not
 * NULL) and frees its descriptor; 0, or the errno glibc returns.
 */
export function* pthreadJoin(
  host: ThreadCallHost,
  handle: Int,
  ret: number,
): Generator<Signal, Value> {
  const { sched } = host;
  if (Number(handle) === host.mainHandle) {
    if (sched.current.thread.index === 0) return EDEADLK;
    host.refuse("pthread_join of the main thread");
  }
  const t = sched.byHandle(handle);
  if (!t) return ESRCH;
  if (!host.joinState) {
    if (t.joined) return ESRCH; // its thread id is -1
    if (t.detached) return EINVAL;
    if (t === sched.current) return EDEADLK;
  }
  while (!t.done) {
    if (t === sched.current) return EDEADLK;
    if (t.detached) return EINVAL;
    t.joiners.push(sched.current);
    yield Signal.Block;
  }
  collect(host, t);
  if (ret !== 0) host.writePointer(ret, Number(t.result as Int));
  return 0;
}

/** pthread_detach(thread): 0, or the errno glibc returns. */
export function pthreadDetach(host: ThreadCallHost, handle: Int): number {
  if (Number(handle) === host.mainHandle) host.refuse("pthread_detach of the main thread");
  const t = host.sched.byHandle(handle);
  if (!t) {
    host.refuse(`pthread_detach of 0x${handle.toString(16)}, not a thread of the program`);
  }
  if (t.joiners.length > 0) host.refuse("pthread_detach of a thread another thread is joining");
  if (host.joinState) {
    if (!t.done) {
      if (t.detached) return EINVAL;
      t.detached = true;
      return 0;
    }
    // exited: pthread_detach joins it (a no-op for a descriptor freed already)
    collect(host, t);
    return 0;
  }
  if (t.joined) return ESRCH;
  if (t.detached) return EINVAL;
  t.detached = true;
  if (t.done) release(host, t);
  return 0;
}

/**
 * The end of a detached thread, on itself after its exit (tcache and arena given back): its
 * descriptor freed, its stack to the stack cache.
 */
export function detachedThreadEnd(host: ThreadCallHost, t: CThread): void {
  const { process } = host;
  const cached = process.stackCache.reduce((sum, s) => sum + s.size, 0);
  if (cached + t.thread.stack!.size > process.stackPolicy.cacheLimit) {
    host.refuse("a detached thread's exit that evicts stacks from nptl's stack cache");
  }
  release(host, t);
}

/** pthread_join's end: the descriptor freed, once. */
function collect(host: ThreadCallHost, t: CThread): void {
  t.joined = true;
  if (t.thread.state === "joined") return;
  host.process.pthreadJoin(t.thread);
  host.noteRecords();
}

/** `__free_tcb` of an ended thread: its stack to the stack cache. */
function release(host: ThreadCallHost, t: CThread): void {
  host.process.pthreadRelease(t.thread);
  host.noteRecords();
}
