/**
 * Threads of the simulated process and the part of glibc's NPTL that shapes the address space:
 * `pthread_create`'s stack (nptl/allocatestack.c: one mapping of stack + guard page, the guard
 * lowest), the stack cache that keeps the stacks of joined threads (and of detached threads that
 * ended) mapped (40 MiB, reused most recently cached first, evicted oldest first), and the hooks
 * through which the C library's allocator takes part: the DTV that `pthread_create` callocs, the
 * tcache and arena a thread gives back at exit.
 *
 * @module
 */

/**
 * Lifecycle of a thread: `joined` once glibc freed its descriptor — joined, or detached and
 * ended — and its stack went to the stack cache.
 */
export type ThreadState = "running" | "exited" | "joined";

/** The mapping glibc made for a thread's stack. */
export interface ThreadStack {
  /** Lowest address of the mapping (the guard page is here). */
  readonly base: number;
  /** Whole mapping size, guard included (glibc `stackblock_size`). */
  readonly size: number;
  /** Guard size at the bottom (a cached stack's is resized for the thread that takes it). */
  guard: number;
  /** Address of the DTV that `_dl_allocate_tls` calloc'd for it (0 if none). */
  dtv: number;
}

/** One thread. */
export interface Thread {
  /** Kernel thread id (the pid for the main thread). */
  readonly tid: number;
  /** Index in creation order: 0 for the main thread, then 1, 2, … */
  readonly index: number;
  /** Lifecycle state. */
  state: ThreadState;
  /** errno of the last failing call made on this thread. */
  errno: number;
  /** The stack glibc mapped (undefined for the main thread). */
  stack?: ThreadStack;
  /** Stack pointer, for the `[stack:TID]` label of old kernels. */
  sp: number;
  /** Per-thread state of libc layers (the allocator keeps its tcache and arena here). */
  readonly locals: Map<string, unknown>;
}

/**
 * What the C library's allocator does around thread creation and exit. The allocator installs
 * one on the process; without it threads allocate nothing.
 */
export interface ThreadRuntime {
  /** `_dl_allocate_tls` in the creating thread: calloc the new thread's DTV; its address. */
  allocateDtv(creator: Thread): number;
  /** `_dl_deallocate_tls` when the stack cache evicts a stack: free the DTV (on `caller`). */
  freeDtv(caller: Thread, dtv: number): void;
  /** The thread's own exit: flush its tcache, put its arena on the free list. */
  threadExit(thread: Thread): void;
  /** How this C library maps thread stacks. */
  readonly stackPolicy?: StackPolicy;
}

/**
 * How the C library maps a new thread's stack and guard page (nptl's `allocate_stack`); the C
 * library's profile chooses one, the kernel only carries it out.
 *
 * - `rw-then-mprotect`: mmap the whole block read-write, then mprotect the guard PROT_NONE.
 * - `none-then-mprotect`: mmap it PROT_NONE, then mprotect the part above the guard read-write.
 * - `madvise`: mmap it read-write, then `madvise(MADV_GUARD_INSTALL)` the guard: one rw-p VMA
 *   whose lowest page faults, so neighbouring stacks merge.
 */
export type StackGuardStyle = "rw-then-mprotect" | "none-then-mprotect" | "madvise";

/** How thread stacks are mapped and cached. */
export interface StackPolicy {
  /** How the guard page is made. */
  readonly guardStyle: StackGuardStyle;
  /** Stack cache limit in bytes (glibc: 40 MiB). */
  readonly cacheLimit: number;
  /** Guard size (one page). */
  readonly guard: number;
}

/** A stack policy with the usual 40 MiB cache and one guard page. */
export function stackPolicy(guardStyle: StackGuardStyle): StackPolicy {
  return { guardStyle, cacheLimit: 40 * 1024 * 1024, guard: 4096 };
}

/** The policy of a process whose C library did not say (no allocator installed). */
export const defaultStackPolicy: StackPolicy = stackPolicy("none-then-mprotect");
