/**
 * What the simulated process did besides allocating, when a glibc call followed an overwritten
 * pointer into a libc function heaplab runs (src/malloc/hooks.ts): system() spawning a shell,
 * puts() printing. The allocator keeps them in order (`Allocator.events`).
 *
 * @module
 */

/** An event of the simulated process that is not an allocator step. */
export type LibcEvent = ShellSpawned | ProgramOutput;

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
