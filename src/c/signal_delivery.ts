/**
 * A handler's run at a fault, as Linux delivers the signal: where heaplab would end the program
 * with SIGSEGV (a {@link SegmentationFault}), SIGFPE or SIGILL (a `CRuntimeError` naming it) or
 * SIGABRT (abort(): a `ProgramAbort`, malloc's `HeapAbort` once its message is printed), and the
 * program installed a handler (`signal`, `sigaction`), the handler is called on the faulting
 * thread's stack, a frame below the faulting function's, with the signal number — and under
 * `SA_SIGINFO` a `siginfo_t` holding `si_signo`, `si_code` (SEGV_MAPERR or SEGV_ACCERR and the
 * address for SIGSEGV, FPE_INTDIV, ILL_ILLOPN, SI_TKILL for abort's raise) and a `ucontext_t`
 * pointer. What the handler does next decides the run: exit() flushes stdio and ends it,
 * _exit() ends it with stdio's buffers lost. A handler that returns from abort's SIGABRT lets
 * abort reset the disposition and raise it again: the process dies of it (134). One that returns
 * from a fault's signal makes the kernel run the faulting instruction again: with the
 * disposition back at its default (`SA_RESETHAND`, or the handler's own `signal(…, SIG_DFL)`)
 * the process dies of it; with the handler still there it would fault again for ever (or run on
 * if the handler mapped the memory), which heaplab cannot re-run: refused by name.
 *
 * Also refused by name: a longjmp out of a handler (`setjmp.ts` refuses it: the faulting
 * statement's block has ended), a handler that names its `ucontext_t` argument (not filled: the
 * registers are not modelled), `si_addr` read at SIGFPE or SIGILL (the faulting instruction's
 * address) or at SIGABRT (where the union holds the sender's pid and uid), handlers nested more
 * than {@link MAX_NESTING} deep (`SA_NODEFER`), and abort() inside a SIGABRT handler (abort
 * unblocks the signal: the handler would run again). A fault inside a handler of its own signal,
 * blocked there, kills the process as the kernel does. The frame's address is not the
 * kernel's: it puts its signal frame (the saved registers and the CPU's xsave area, whose size
 * depends on the CPU) below the red zone first.
 *
 * @module
 */

import { SegmentationFault } from "../kernel/errors.ts";
import { HeapAbort } from "../malloc/errors.ts";
import { CRuntimeError } from "./errors.ts";
import { type CFunction, ControlHijack, ProgramAbort, type Signal } from "./interpreter.ts";
import type { CThread, Scheduler } from "./scheduler.ts";
import {
  type FaultFate,
  SIG_DFL,
  SIG_IGN,
  SIGABRT,
  type SignalDispositions,
} from "./signal_dispositions.ts";
import { SA_SIGINFO, SIGINFO_SIZE, signalOffsets } from "./signal_types.ts";
import type { Value } from "./values.ts";

/** A fault's signal and what `siginfo_t` says of it. */
export interface FaultSignal {
  readonly signum: number;
  /** The signal's name. */
  readonly name: string;
  /** `si_code`. */
  readonly code: number;
  /** `si_addr` (SIGSEGV's only). */
  readonly address?: bigint;
  /** Raised by abort(). */
  readonly fromAbort: boolean;
}

/** `si_code` of SIGSEGV's kinds (`SI_KERNEL` for a non-canonical address). */
const SEGV_CODES: Record<string, number> = { SEGV_MAPERR: 1, SEGV_ACCERR: 2, SI_KERNEL: 0x80 };
/** FPE_INTDIV, ILL_ILLOPN (ud2), SI_TKILL (raise's tgkill). */
const FPE_INTDIV = 1, ILL_ILLOPN = 2, SI_TKILL = -6;
/** x86_64's red zone, which the kernel skips below the stack pointer. */
const RED_ZONE = 128;
/** Room left for the `ucontext_t` (not filled). */
const UCONTEXT_ROOM = 1024;
/** How deep handlers may nest (SA_NODEFER handlers faulting again). */
const MAX_NESTING = 8;

/** What is mapped at an address: executable code, other memory, or nothing. */
export type AddressKind = "code" | "data" | "unmapped";

/** The highest user address + 1 on x86_64 (47 bits): above it, up to the kernel's half, none. */
const USER_END = 0x8000_0000_0000n, KERNEL_START = 0xffff_8000_0000_0000n;

/**
 * The signal of a fault heaplab ends a run at; undefined for other errors. A return to an
 * overwritten address that holds no code (`kindAt`) is the SIGSEGV of the next instruction's
 * fetch there (SEGV_MAPERR or SEGV_ACCERR and the address), or on x86_64, of a non-canonical
 * address, of the ret itself (a general protection fault: SI_KERNEL, si_addr 0).
 */
export function faultSignal(
  e: unknown,
  kindAt?: (address: bigint) => AddressKind,
): FaultSignal | undefined {
  if (e instanceof ControlHijack && kindAt) return returnFault(e, kindAt);
  if (e instanceof SegmentationFault) {
    return {
      signum: 11,
      name: "SIGSEGV",
      code: SEGV_CODES[e.code] ?? 1,
      address: e.siAddr,
      fromAbort: false,
    };
  }
  if (e instanceof CRuntimeError && e.signal === "SIGFPE") {
    return { signum: 8, name: "SIGFPE", code: FPE_INTDIV, fromAbort: false };
  }
  if (e instanceof CRuntimeError && e.signal === "SIGILL") {
    return { signum: 4, name: "SIGILL", code: ILL_ILLOPN, fromAbort: false };
  }
  if (e instanceof ProgramAbort || e instanceof HeapAbort) {
    return { signum: SIGABRT, name: "SIGABRT", code: SI_TKILL, fromAbort: true };
  }
  return undefined;
}

function returnFault(
  e: ControlHijack,
  kindAt: (address: bigint) => AddressKind,
): FaultSignal | undefined {
  const address = BigInt.asUintN(64, BigInt(e.address));
  if (address >= USER_END && address < KERNEL_START) {
    return {
      signum: 11,
      name: "SIGSEGV",
      code: SEGV_CODES.SI_KERNEL,
      address: 0n,
      fromAbort: false,
    };
  }
  if (address >= KERNEL_START) return undefined; // (a kernel address: not checked)
  const kind = kindAt(address);
  if (kind === "code") return undefined;
  const code = kind === "data" ? SEGV_CODES.SEGV_ACCERR : SEGV_CODES.SEGV_MAPERR;
  return { signum: 11, name: "SIGSEGV", code, address, fromAbort: false };
}

/** What a delivery works on. */
export interface DeliveryHost {
  readonly signals: SignalDispositions;
  readonly sched: Scheduler;
  /** Whether the identifier `name` occurs in `fn`'s lines up to its parameter's scope's end. */
  mentions(fn: CFunction, param: number, name: string): boolean;
  /** Prints what glibc prints before abort() (malloc's message), once. */
  announce(e: unknown): void;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
  /** What is mapped at an address (a return to an overwritten address faults where no code is). */
  kindAt(address: bigint): AddressKind;
}

/** The faults whose signal was decided (delivered already, or fatal): they end the run. */
const decided = new WeakSet<object>();
/** Handlers running, by signal (for abort() or a fault inside one). */
const running = new WeakMap<SignalDispositions, number[]>();

/**
 * The run of the handler for the fault `e` on thread `th`, to run in place of the thread's
 * generator; undefined when the process dies of it (no handler, or the signal blocked or
 * ignored) or `e` is no fault.
 */
export function deliver(
  host: DeliveryHost,
  th: CThread,
  e: unknown,
): Generator<Signal, Value> | undefined {
  const fault = faultSignal(e, (a) => host.kindAt(a));
  if (!fault || decided.has(e as object)) return undefined;
  decided.add(e as object);
  const nested = running.get(host.signals) ?? [];
  if (fault.fromAbort && nested.includes(SIGABRT)) {
    host.refuse("abort() inside a SIGABRT handler (abort raises SIGABRT again, unblocked)");
  }
  const fate = host.signals.fault(fault.signum, fault.fromAbort);
  if (fate.kind === "dies") return undefined;
  if (nested.length >= MAX_NESTING) {
    host.refuse(`${fault.name} handlers nested ${MAX_NESTING} deep`);
  }
  const fn = host.sched.m.byAddress.get(fate.action.handler);
  if (!fn || !("body" in fn)) {
    host.refuse(
      `a ${fault.name} handler at 0x${
        fate.action.handler.toString(16)
      }, no function of the program`,
    );
  }
  host.announce(e);
  return runHandler(host, th, e, fault, fn, fate, nested);
}

function* runHandler(
  host: DeliveryHost,
  th: CThread,
  e: unknown,
  fault: FaultSignal,
  fn: CFunction,
  fate: Extract<FaultFate, { kind: "handler" }>,
  nested: number[],
): Generator<Signal, Value> {
  const m = host.sched.m, savedSp = th.sp;
  const args: Value[] = [fault.signum];
  if (fate.action.flags & SA_SIGINFO) {
    checkInfoUse(host, fn, fault);
    th.sp = Math.floor((th.sp - (m.abi.ptrSize === 8 ? RED_ZONE : 0) - UCONTEXT_ROOM) / 64) * 64;
    const context = th.sp;
    th.sp -= SIGINFO_SIZE;
    const info = th.sp;
    writeSiginfo(host, info, fault);
    args.push(info, context);
  }
  // (a handler left by a fault inside it or by exit stays on the list: its frame is not popped)
  nested.push(fault.signum);
  running.set(host.signals, nested);
  yield* host.sched.callFunction(fn, args, undefined, th);
  nested.pop();
  th.sp = savedSp;
  host.signals.handlerReturned(fate.blockedBefore);
  if (fault.fromAbort) {
    // abort() goes on: SIGABRT's default back, raised again
    host.signals.resetAbort();
    throw e;
  }
  const now = host.signals.action(fault.signum)!.handler;
  if (now === SIG_DFL || now === SIG_IGN) {
    // the instruction runs again and faults, the signal's default (forced) ends the process
    throw e;
  }
  host.refuse(
    `a ${fault.name} handler that returns (the kernel runs the faulting instruction again, ` +
      "which faults again unless the handler changed the memory)",
  );
}

/** Refuses an `SA_SIGINFO` handler that reads what heaplab does not fill. */
function checkInfoUse(host: DeliveryHost, fn: CFunction, fault: FaultSignal): void {
  if (host.mentions(fn, 2, "")) {
    host.refuse(`a ${fault.name} handler that reads its ucontext_t argument (not filled)`);
  }
  if (fault.signum !== 11 && host.mentions(fn, 1, "si_addr")) {
    const what = fault.fromAbort
      ? "where the union holds the sender's pid and uid"
      : "the faulting instruction's address";
    host.refuse(`si_addr of ${fault.name} (${what})`);
  }
  if (fault.fromAbort && (host.mentions(fn, 1, "si_pid") || host.mentions(fn, 1, "si_uid"))) {
    host.refuse("si_pid or si_uid of abort's SIGABRT");
  }
}

/** The kernel's `siginfo_t` for the fault: zeros but signo, code and (SIGSEGV) the address. */
function writeSiginfo(host: DeliveryHost, info: number, fault: FaultSignal): void {
  const m = host.sched.m, mem = m.mem;
  for (let i = 0; i < SIGINFO_SIZE; i++) mem.write8(info + i, 0);
  mem.write32(info, fault.signum);
  mem.write32(info + 8, fault.code >>> 0);
  const address = fault.address ?? 0n;
  const at = info + signalOffsets(m.abi).siAddr;
  for (let i = 0; i < m.abi.ptrSize; i++) {
    mem.write8(at + i, Number((address >> BigInt(8 * i)) & 0xffn));
  }
}
