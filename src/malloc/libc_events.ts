/**
 * What the simulated process did besides allocating, when a glibc call followed an overwritten
 * pointer into a libc function heaplab runs (src/malloc/hooks.ts): system() spawning a shell,
 * puts() printing; and, for a C program, a child that fork made ending (`src/c/fork.ts`). The
 * allocator keeps them in order (`Allocator.events`).
 *
 * @module
 */

/** An event of the simulated process that is not an allocator step. */
export type LibcEvent = ShellSpawned | ProgramOutput | ChildExited;

/**
 * `system()` ran: the process would now spawn `/bin/sh -c command`. heaplab does not run the
 * command; a C program's own call returns 0, what the shell returns when it reads no more input.
 */
export interface ShellSpawned {
  /** Discriminant. */
  readonly kind: "ShellSpawned";
  /** The string system() was given; for an exec of a shell, its arguments (or its path). */
  readonly command: string;
  /** The pointer that was followed (`__free_hook`, …), or `direct call` when a C program called it. */
  readonly via: string;
  /** The glibc call that followed it (`free`, …), or `system`, `execve`, `execv`, `execl`. */
  readonly call: string;
  /** The address of the function called (system's, execve's, …). */
  readonly target: number;
}

/** `puts()` ran and printed `text`. */
export interface ProgramOutput {
  /** Discriminant. */
  readonly kind: "ProgramOutput";
  /** What it printed (with puts' newline). */
  readonly text: string;
  /** The pointer that was followed. */
  readonly via: string;
  /** The glibc call that followed it. */
  readonly call: string;
}

/**
 * A child that a C program's fork made has ended (it runs when its parent waits for it, or once
 * its parent has ended: `src/c/fork.ts`). Its own events (a shell it spawned) are in `events`.
 */
export interface ChildExited {
  /** Discriminant. */
  readonly kind: "ChildExited";
  /** The child's pid. */
  readonly pid: number;
  /** How it ended: `exited`, `aborted`, `crashed` or `hijacked`. */
  readonly state: string;
  /** As a shell shows it: exit(n) → n, SIGABRT → 134, SIGSEGV → 139. */
  readonly exitStatus: number;
  /** The status wait(2) stores: `n << 8` for exit(n), the signal's number for a signal. */
  readonly waitStatus: number;
  /** The child's own events after the fork (a ShellSpawned of its system()). */
  readonly events: readonly LibcEvent[];
}
