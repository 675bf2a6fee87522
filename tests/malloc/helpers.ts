/**
 * Helpers for the allocator tests: a fresh process with heaplab's glibc on it, with every
 * arena checked for consistency after each call.
 */

import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";

/** A fresh process and allocator. */
export function fresh(
  glibc = "2.36",
  arch: "x86_64" | "i386" = "x86_64",
  options: { nprocs?: number } = {},
): { proc: Process; heap: Allocator } {
  const proc = new Process({ layout: arch });
  const heap = new Allocator(proc, { glibc, nprocs: options.nprocs ?? 2 });
  return { proc, heap };
}

/** Runs the steps, checking every arena after each one. */
export function checked(heap: Allocator, steps: (() => unknown)[]): void {
  for (const step of steps) {
    step();
    heap.checkArena();
  }
}

/** The main heap's start (the initial break of the built-in layouts). */
export function heapStart(proc: Process): number {
  return proc.start.initialBreak;
}
