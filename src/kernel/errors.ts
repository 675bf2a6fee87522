/**
 * What goes wrong inside the simulated process, as typed errors: a memory access the page
 * protections refuse ({@link SegmentationFault}, SIGSEGV) and the errno values that failing
 * system calls return.
 *
 * @module
 */

/** The kind of memory access that faulted. */
export type AccessKind = "read" | "write";

/**
 * `si_code` of a SIGSEGV: no mapping at the address, or a mapping that forbids the access; or
 * `SI_KERNEL` for a non-canonical x86_64 address (2^47 to 2^64 - 2^47), which the CPU refuses
 * with a general protection fault before any page lookup — Linux then reports si_addr 0
 * (tests/fixtures/kernel_facts/noncanon.c).
 */
export type SegvCode = "SEGV_MAPERR" | "SEGV_ACCERR" | "SI_KERNEL";

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
  /** SEGV_MAPERR (nothing mapped), SEGV_ACCERR (access not allowed), SI_KERNEL (non-canonical). */
  readonly code: SegvCode;
  /** The faulting address as the process's unsigned word, exact even above 2^53. */
  readonly exactAddress: bigint;
  /** What the kernel puts in `si_addr`: the address, or 0 for SI_KERNEL. */
  readonly siAddr: bigint;

  /**
   * A fault at `address`; `addressText` overrides how the address is printed; `exactAddress`
   * gives the unsigned address where the number cannot hold it.
   */
  constructor(
    address: number,
    access: AccessKind,
    code: SegvCode,
    addressText?: string,
    exactAddress?: bigint,
  ) {
    const where = addressText ?? `0x${address.toString(16)}`;
    const what = code === "SEGV_MAPERR"
      ? "unmapped address"
      : code === "SEGV_ACCERR"
      ? "protected address"
      : "non-canonical address";
    super(`Segmentation fault: ${access} of ${what} ${where}`);
    this.name = "SegmentationFault";
    this.address = address;
    this.access = access;
    this.code = code;
    this.exactAddress = exactAddress ??
      (Number.isInteger(address) ? BigInt.asUintN(64, BigInt(address)) : 0n);
    this.siAddr = code === "SI_KERNEL" ? 0n : this.exactAddress;
  }
}

/**
 * An argument of a public heaplab function has the wrong type (a string, `NaN`, a bigint where
 * a number is expected, …). The message names the argument and shows the value.
 *
 * @example
 * ```ts
 * import { ArgumentTypeError } from "./errors.ts";
 * const e = new ArgumentTypeError("length", "12", "a number");
 * e.message; // 'Invalid argument length: "12" (expected a number)'
 * ```
 */
export class ArgumentTypeError extends TypeError {
  /** The argument's name. */
  readonly argument: string;
  /** The value given. */
  readonly value: unknown;
  /** What `argument` is: its name, the value given and what was expected. */
  constructor(argument: string, value: unknown, expected: string) {
    super(`Invalid argument ${argument}: ${showValue(value)} (expected ${expected})`);
    this.name = "ArgumentTypeError";
    this.argument = argument;
    this.value = value;
  }
}

/**
 * An argument of a public heaplab function has the right type but a value out of its range (a
 * fraction, a negative count, an address wider than the process's words, …).
 *
 * @example
 * ```ts
 * import { ArgumentRangeError } from "./errors.ts";
 * const e = new ArgumentRangeError("nprocs", 0, "an integer from 1 to 1024");
 * e.message; // "Argument nprocs out of range: 0 (expected an integer from 1 to 1024)"
 * ```
 */
export class ArgumentRangeError extends RangeError {
  /** The argument's name. */
  readonly argument: string;
  /** The value given. */
  readonly value: unknown;
  /** What `argument` is: its name, the value given and the range expected. */
  constructor(argument: string, value: unknown, expected: string) {
    super(`Argument ${argument} out of range: ${showValue(value)} (expected ${expected})`);
    this.name = "ArgumentRangeError";
    this.argument = argument;
    this.value = value;
  }
}

/** A value as an error message shows it: strings quoted, bigints with `n`, numbers in hex when large. */
function showValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") {
    return Number.isInteger(value) && Math.abs(value) >= 0x10000
      ? `${value < 0 ? "-" : ""}0x${Math.abs(value).toString(16)}`
      : String(value);
  }
  if (value === null) return "null";
  if (typeof value === "object") return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}

/** errno values of x86 Linux that the simulated calls return. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENOTDIR: 20,
  ESRCH: 3,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  EDEADLK: 35,
  ENOSPC: 28,
  ESPIPE: 29,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
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
