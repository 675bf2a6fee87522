/**
 * Threads of the simulated process and the part of glibc's NPTL that shapes the address space:
 * `pthread_create`'s stack (nptl/allocatestack.c: one mapping of stack + guard page, the guard
 * lowest), the stack cache that keeps joined threads' stacks mapped (40 MiB, reused most recently
 * cached first, evicted oldest first), and the hooks through which the C library's allocator
 * takes part: the DTV that `pthread_create` callocs, the tcache and arena a thread gives back at
 * exit.
 *
 * @module
 */

/** Lifecycle of a thread. */
export type ThreadState = "running" | "exited" | "joined";

/** The mapping glibc made for a thread's stack. */
export interface ThreadStack {
  /** Lowest address of the mapping (the guard page is here). */
  readonly base: number;
  /** Whole mapping size, guard included (glibc `stackblock_size`). */
  readonly size: number;
  /** Guard size at the bottom. */
  readonly guard: number;
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
}

/** How a glibc version maps thread stacks. */
export interface StackPolicy {
  /**
   * `none-then-rw`: mmap PROT_NONE, then mprotect the part above the guard read-write (glibc
   * 2.27+). `rw-then-guard`: mmap read-write, then mprotect the guard PROT_NONE (older glibc).
   */
  readonly order: "none-then-rw" | "rw-then-guard";
  /** Stack cache limit in bytes (glibc: 40 MiB). */
  readonly cacheLimit: number;
  /** Guard size (one page). */
  readonly guard: number;
}

/** glibc 2.27 and later. */
export const modernStackPolicy: StackPolicy = {
  order: "none-then-rw",
  cacheLimit: 40 * 1024 * 1024,
  guard: 4096,
};

/** glibc before 2.27 (the seed material's machine). */
export const legacyStackPolicy: StackPolicy = {
  order: "rw-then-guard",
  cacheLimit: 40 * 1024 * 1024,
  guard: 4096,
};
