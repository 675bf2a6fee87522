/**
 * The main thread's stack as an x86_64 program finds it at `main`: what Linux's exec lays out at
 * the top of the stack for `execve(path, argv, envp)` with address randomization off
 * (`setarch -R`) — a null word, the path, the environment strings, the argument strings (each
 * list from its last string down, so the first string is the lowest), then, 16-byte aligned, the
 * platform name and 16 random bytes, the auxiliary vector, envp, argv and argc, the whole 16-byte
 * aligned — and, below it, the frames of glibc's start code (`_start`, `__libc_start_main`,
 * `__libc_start_call_main`): main's frame pointer lies the profile's `mainFrameBelowArgv` bytes
 * below argv. Seen on real 2.31, 2.36, 2.41, 2.43 and 2.44 under Linux 6.18, a program started
 * directly with several environments, names and arguments: argv, envp, their strings and main's
 * frame, address for address (tests/fixtures/c/start_stack/).
 *
 * Not written: the auxiliary vector's values (their room is kept; they read as zeros), the start
 * code's frames. AT_RANDOM's 16 bytes are written with the guards derived from them
 * (`exit_handlers.ts`), where that is modelled; elsewhere they read as zeros.
 *
 * @module
 */

import { textBytes } from "./stdio.ts";

/** The 64-bit process's stack ends here with randomization off. */
export const STACK_TOP = 0x7fff_ffff_f000;
/** `AT_PLATFORM`'s string on x86_64. */
const PLATFORM = "x86_64";
/** `AT_RANDOM`'s bytes. */
const RANDOM_BYTES = 16;
/** Words of Linux 6.18's x86_64 auxiliary vector: 22 entries and AT_NULL, two words each. */
const AUXV_WORDS = 46;

/**
 * Where main returns to in each real x86_64 libc build, from its base: just past glibc's call of
 * main in `__libc_start_main` (2.31) or `__libc_start_call_main` (2.34 and later). Seen on real
 * runs as main's return address minus printf's (tests/fixtures/c/start_stack/).
 */
export const MAIN_RETURN_SITES: Readonly<Record<string, number>> = {
  "2.31": 0x23d7a,
  "2.36": 0x2724a,
  "2.41": 0x29ca8,
  "2.43": 0x29fba,
  "2.44": 0x2a3fe,
};

/** Where exec and the start code left things, for `main(argc, argv, envp)`. */
export interface StartStack {
  readonly argc: number;
  readonly argv: number;
  readonly envp: number;
  /** The stack pointer of main's caller: main's frame pointer is 16 bytes below it. */
  readonly callerSp: number;
  /** Where AT_RANDOM's 16 bytes are (undefined: a stack not laid out as exec lays it). */
  readonly random?: number;
}

/** The writes the layout needs. */
export interface StackMemory {
  writeBytes(address: number, bytes: Uint8Array): void;
  write64(address: number, value: number): void;
}

/**
 * Lays out `argv` and `env` (latin1 strings) for a program executed as `path`, writing them and
 * their pointer arrays into `mem`.
 */
export function layStartStack(
  mem: StackMemory,
  path: string,
  argv: readonly string[],
  env: readonly string[],
  mainFrameBelowArgv: number,
): StartStack {
  let p = STACK_TOP - 8;
  const put = (text: string): number => {
    p -= text.length + 1;
    mem.writeBytes(p, textBytes(text + "\0"));
    return p;
  };
  put(path);
  const envAt = [...env].reverse().map(put).reverse();
  const argvAt = [...argv].reverse().map(put).reverse();
  p -= p % 16;
  put(PLATFORM);
  p -= RANDOM_BYTES;
  const random = p;
  const words = argv.length + 1 + env.length + 1 + 1;
  const sp = Math.floor((p - AUXV_WORDS * 8 - words * 8) / 16) * 16;
  mem.write64(sp, argv.length);
  const argvArray = sp + 8, envp = argvArray + (argv.length + 1) * 8;
  argvAt.forEach((at, i) => mem.write64(argvArray + 8 * i, at));
  mem.write64(argvArray + 8 * argv.length, 0);
  envAt.forEach((at, i) => mem.write64(envp + 8 * i, at));
  mem.write64(envp + 8 * env.length, 0);
  return {
    argc: argv.length,
    argv: argvArray,
    envp,
    callerSp: argvArray - mainFrameBelowArgv + 16,
    random,
  };
}
