/**
 * alloca(3) (`__builtin_alloca`), as gcc -O0 compiles it: the stack pointer moves down by the
 * size plus 8 on x86_64, plus 12 on i386 (gcc -m32), rounded up to 16 bytes — on x86_64
 * `((n + 8 + 15) / 16) * 16`, so `alloca(0)` to `alloca(8)` take 16 bytes and `alloca(9)` 32; on
 * i386 `((n + 12 + 15) / 16) * 16` in 32-bit arithmetic, so `alloca(0)` to `alloca(4)` take 16
 * and `alloca(5)` 32 — and the memory starts at the new stack pointer, rounded up to 16. It is the
 * calling function's: the next call's frame goes below it, and the function's return frees it.
 * Nothing is cleared (the stack's old bytes show), nothing is checked: a size past the stack's
 * mapping faults where the program first touches it, as the real one does. Checked against gcc
 * 12 (x86_64: its runs; i386: `gcc -m32 -S`, whose `leal 12(%eax)` adds the 12, and its runs
 * under qemu-i386): tests/c/alloca_test.ts. Not matched on i386: where the first block lies below
 * the function's locals, which is the frame's (heaplab's i386 frame is not gcc -m32's, which saves
 * %ebx and keeps room for outgoing arguments: in alloca_test.ts's first program, built -m32,
 * `a - local` for `alloca(0)` is -28 under gcc and -52 here).
 *
 * @module
 */

/** The stack pointer of the thread that calls alloca. */
export interface StackPointer {
  sp: number;
}

/**
 * alloca(size) on `thread`'s stack, in a program of `ptrSize`-byte pointers: the address of
 * the new memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alloca } from "./alloca.ts";
 * const thread = { sp: 0x7ffffffde000 };
 * assert.equal(alloca(thread, 9), 0x7ffffffde000 - 32);
 * assert.equal(alloca(thread, 0), 0x7ffffffde000 - 48);
 * const i386 = { sp: 0xffffd000 };
 * assert.equal(alloca(i386, 4, 4), 0xffffd000 - 16);
 * assert.equal(alloca(i386, 5, 4), 0xffffd000 - 48);
 * ```
 */
export function alloca(thread: StackPointer, size: number, ptrSize = 8): number {
  const span = ptrSize === 8 ? size + 8 + 15 : (size + 12 + 15) >>> 0;
  thread.sp -= Math.floor(span / 16) * 16;
  return Math.ceil(thread.sp / 16) * 16;
}
