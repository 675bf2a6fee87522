/**
 * alloca(3) (`__builtin_alloca`), as gcc -O0 compiles it on x86_64: the stack pointer moves down
 * by the size plus 8, rounded up to 16 bytes — `((n + 8 + 15) / 16) * 16`, so `alloca(0)` to
 * `alloca(8)` take 16 bytes and `alloca(9)` 32 — and the memory starts at the new stack pointer,
 * rounded up to 16. It is the calling function's: the next call's frame goes below it, and the
 * function's return frees it. Nothing is cleared (the stack's old bytes show), nothing is checked:
 * a size past the stack's mapping faults where the program first touches it, as the real one
 * does. Checked against gcc 12: tests/c/alloca_test.ts. gcc -m32 places it otherwise (its
 * rounding depends on the stack's alignment at the call): an i386 program's alloca is refused.
 *
 * @module
 */

/** The stack pointer of the thread that calls alloca. */
export interface StackPointer {
  sp: number;
}

/**
 * alloca(size) on `thread`'s stack: the address of the new memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alloca } from "./alloca.ts";
 * const thread = { sp: 0x7ffffffde000 };
 * assert.equal(alloca(thread, 9), 0x7ffffffde000 - 32);
 * assert.equal(alloca(thread, 0), 0x7ffffffde000 - 48);
 * ```
 */
export function alloca(thread: StackPointer, size: number): number {
  thread.sp -= Math.floor((size + 8 + 15) / 16) * 16;
  return Math.ceil(thread.sp / 16) * 16;
}
