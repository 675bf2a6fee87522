/**
 * The signals a simulated process can die of, and the exit status a shell reports for them
 * (128 + the signal number: 134 for SIGABRT, 139 for SIGSEGV). Errors that end a simulated call
 * the way a signal ends a process carry the signal's name in a `signal` field
 * (`SegmentationFault`, glibc's `HeapAbort`).
 *
 * @module
 */

/** A signal that ends a simulated process. */
export type FatalSignal = "SIGABRT" | "SIGSEGV";

/** Linux's numbers of the fatal signals (x86, `asm/signal.h`). */
const SIGNAL_NUMBERS: Readonly<Record<FatalSignal, number>> = { SIGABRT: 6, SIGSEGV: 11 };

/**
 * The exit status of a process killed by `signal`, as a shell reports it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitStatusOf } from "./signals.ts";
 * assert.equal(exitStatusOf("SIGABRT"), 134);
 * assert.equal(exitStatusOf("SIGSEGV"), 139);
 * ```
 */
export function exitStatusOf(signal: FatalSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/** The fatal signal an exit status reports, if it reports one. */
export function signalOfExitStatus(status: number): FatalSignal | undefined {
  for (const [name, number] of Object.entries(SIGNAL_NUMBERS)) {
    if (status === 128 + number) return name as FatalSignal;
  }
  return undefined;
}

/** The fatal signal an error thrown by the simulation stands for, if any. */
export function fatalSignalOf(error: unknown): FatalSignal | undefined {
  if (!(error instanceof Error)) return undefined;
  const signal = (error as { signal?: unknown }).signal;
  return signal === "SIGABRT" || signal === "SIGSEGV" ? signal : undefined;
}
