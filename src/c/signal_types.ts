/**
 * `<signal.h>`'s types for `sigaction(2)`, as glibc's userspace headers lay them out: `sigset_t`
 * (1024 bits: 128 bytes on x86_64 and i386), `siginfo_t` (128 bytes: `si_signo`, `si_errno`,
 * `si_code`, then the union of the kernel's fields, at 16 on x86_64 and 12 on i386, where a
 * fault's `si_addr` sits), and `struct sigaction` (the handler union, the mask, `sa_flags`,
 * `sa_restorer`: 152 bytes on x86_64, 140 on i386), with the flag and `si_code` macros. glibc
 * names the handler union `__sigaction_handler` and reaches its members through the macros
 * `sa_handler` and `sa_sigaction`, and the kernel's fields through `si_addr`-style macros: here
 * they are anonymous members, which reach the same bytes. Checked with sizeof and offsetof on
 * x86_64 and i386: tests/fixtures/c/signal_handlers/layouts.c.
 *
 * @module
 */

import { type Abi, type CType, layoutStruct, type StructType } from "./types.ts";

/** `sa_flags` bits (`<bits/sigaction.h>`, x86_64 and i386 alike). */
export const SA_NOCLDSTOP = 1,
  SA_SIGINFO = 4,
  SA_RESTORER = 0x04000000,
  SA_ONSTACK = 0x08000000,
  SA_RESTART = 0x10000000,
  SA_NODEFER = 0x40000000,
  SA_RESETHAND = 0x80000000;

/** The `sigaction` and `si_code` macros. */
export const SIGACTION_MACROS: readonly string[] = [
  "SA_NOCLDSTOP 1",
  "SA_SIGINFO 4",
  "SA_ONSTACK 0x08000000",
  "SA_RESTART 0x10000000",
  "SA_NODEFER 0x40000000",
  "SA_RESETHAND 0x80000000",
  "SA_ONESHOT SA_RESETHAND",
  "SA_NOMASK SA_NODEFER",
  "SIG_BLOCK 0",
  "SIG_UNBLOCK 1",
  "SIG_SETMASK 2",
  "SI_USER 0",
  "SI_KERNEL 0x80",
  "SI_TKILL (-6)",
  "ILL_ILLOPC 1",
  "ILL_ILLOPN 2",
  "FPE_INTDIV 1",
  "FPE_INTOVF 2",
  "SEGV_MAPERR 1",
  "SEGV_ACCERR 2",
  "BUS_ADRALN 1",
  "BUS_ADRERR 2",
  "SIGSYS 31",
  "NSIG 65",
];

/** The sizes glibc gives the three structs (the same on both ABIs but `struct sigaction`). */
export const SIGSET_SIZE = 128, SIGINFO_SIZE = 128;

function struct(tag: string, union: boolean): StructType {
  return { k: "struct", union, tag, fields: undefined, size: 0, align: 1 };
}

/** The three types, one set per ABI (a pointer to one `siginfo_t` is one type). */
const typeCache = new Map<string, SignalTypes>();

/** `sigset_t`, `siginfo_t` and `struct sigaction`. */
export interface SignalTypes {
  readonly sigset: StructType;
  readonly siginfo: StructType;
  readonly sigaction: StructType;
}

/** `sigset_t`, `siginfo_t` and `struct sigaction` for `abi`. */
export function signalTypes(abi: Abi): SignalTypes {
  const have = typeCache.get(abi.arch);
  if (have) return have;
  const T = abi.types, lp64 = abi.ptrSize === 8;
  const voidp: CType = { k: "ptr", to: T.void };
  const sigset = struct("__sigset_t", false);
  layoutStruct(
    sigset,
    [{ name: "__val", type: { k: "array", of: T.ulong, n: lp64 ? 16 : 32 } }],
    abi,
  );
  const child = struct("", false), fault = struct("", false), fields = struct("", true);
  layoutStruct(child, [
    { name: "si_pid", type: T.int },
    { name: "si_uid", type: T.uint },
    { name: "si_status", type: T.int },
  ], abi);
  layoutStruct(
    fault,
    [{ name: "si_addr", type: voidp }, { name: "si_addr_lsb", type: T.short }],
    abi,
  );
  layoutStruct(fields, [
    { name: "", type: child },
    { name: "", type: fault },
    { name: "_pad", type: { k: "array", of: T.int, n: lp64 ? 28 : 29 } },
  ], abi);
  const siginfo = struct("", false);
  layoutStruct(siginfo, [
    { name: "si_signo", type: T.int },
    { name: "si_errno", type: T.int },
    { name: "si_code", type: T.int },
    { name: "", type: fields },
  ], abi);
  const plain: CType = {
    k: "ptr",
    to: { k: "fn", ret: T.void, params: [T.int], variadic: false, unprototyped: false },
  };
  const withInfo: CType = {
    k: "ptr",
    to: {
      k: "fn",
      ret: T.void,
      params: [T.int, { k: "ptr", to: siginfo }, voidp],
      variadic: false,
      unprototyped: false,
    },
  };
  const handlers = struct("", true);
  layoutStruct(handlers, [
    { name: "sa_handler", type: plain },
    { name: "sa_sigaction", type: withInfo },
  ], abi);
  const sigaction = struct("sigaction", false);
  layoutStruct(sigaction, [
    { name: "", type: handlers },
    { name: "sa_mask", type: sigset },
    { name: "sa_flags", type: T.int },
    { name: "sa_restorer", type: voidp },
  ], abi);
  const types = { sigset, siginfo, sigaction };
  typeCache.set(abi.arch, types);
  return types;
}

/** The byte offsets the library writes (`sigaction.ts`, the fault's delivery). */
export function signalOffsets(abi: Abi): {
  mask: number;
  flags: number;
  restorer: number;
  siAddr: number;
  sigactionSize: number;
} {
  const lp64 = abi.ptrSize === 8;
  return {
    mask: abi.ptrSize,
    flags: abi.ptrSize + SIGSET_SIZE,
    restorer: lp64 ? 144 : 136,
    siAddr: lp64 ? 16 : 12,
    sigactionSize: lp64 ? 152 : 140,
  };
}
