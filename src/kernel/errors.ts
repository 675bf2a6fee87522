/**
 * What goes wrong inside the simulated process, as typed errors: a memory access the page
 * protections refuse ({@link SegmentationFault}, SIGSEGV) and the errno values that failing
 * system calls return.
 *
 * @module
 */

/** The kind of memory access that faulted. */
export type AccessKind = "read" | "write";

/** `si_code` of a SIGSEGV: no mapping at the address, or a mapping that forbids the access. */
export type SegvCode = "SEGV_MAPERR" | "SEGV_ACCERR";

/**
 * A simulated SIGSEGV: the process touched memory it may not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SegmentationFault } from "./errors.ts";
 * const fault = new SegmentationFault(0x10, "read", "SEGV_MAPERR");
 * assert.equal(fault.message, "Segmentation fault: read of unmapped address 0x10");
 * ```
 */
export class SegmentationFault extends Error {
  /** The signal the kernel would deliver. */
  readonly signal = "SIGSEGV";
  /** The faulting address. */
  readonly address: number;
  /** Read or write. */
  readonly access: AccessKind;
  /** SEGV_MAPERR (nothing mapped) or SEGV_ACCERR (mapped, access not allowed). */
  readonly code: SegvCode;

  /** A fault at `address`; `addressText` overrides how the address is printed. */
  constructor(address: number, access: AccessKind, code: SegvCode, addressText?: string) {
    const where = addressText ?? `0x${address.toString(16)}`;
    const what = code === "SEGV_MAPERR" ? "unmapped address" : "protected address";
    super(`Segmentation fault: ${access} of ${what} ${where}`);
    this.name = "SegmentationFault";
    this.address = address;
    this.access = access;
    this.code = code;
  }
}

/** errno values of x86 Linux that the simulated calls return. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
} as const;

/** An errno value. */
export type ErrnoValue = typeof Errno[keyof typeof Errno];

const errnoNames = new Map<number, string>(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/**
 * The macro name of an errno value (`ENOMEM`), or `errno<n>` for one without a name here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errnoName } from "./errors.ts";
 * assert.equal(errnoName(22), "EINVAL");
 * ```
 */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno${errno}`;
}

/**
 * True when a raw system call result is an error: the kernel returns `-errno`, a value in
 * -4095..-1, for every failure.
 */
export function isSyscallError(result: number): boolean {
  return result < 0 && result >= -4095;
}
