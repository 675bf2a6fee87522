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
 * import { SegmentationFault } from "./errors.ts";
 * const fault = new SegmentationFault(0x10, "read", "SEGV_MAPERR");
 * fault.message; // "Segmentation fault: read of unmapped address 0x10"
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
export function showValue(value: unknown): string {
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
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ESRCH: 3,
  EINVAL: 22,
  EDEADLK: 35,
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
 * import { errnoName } from "./errors.ts";
 * errnoName(22); // "EINVAL"
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
