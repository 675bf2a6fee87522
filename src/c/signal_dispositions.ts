/**
 * What `signal()`, `sigaction()` and `alarm()` set in a C program, and the mask of blocked
 * signals, as the kernel keeps them. Only the signals a fault raises in the process itself are
 * ever delivered (SIGSEGV, SIGFPE, SIGILL, and SIGABRT from abort(); heaplab raises no SIGBUS):
 * a simulated program
 * takes no time (an `alarm` never comes due, `sleep` returns at once), and no terminal or other
 * process sends it anything. {@link SignalDispositions.fault} decides a fault's fate as Linux's
 * `force_sig_fault` does: a fault signal that is blocked or ignored is not delivered but kills
 * the process (its disposition reset to the default), and a handler runs with its signal (unless
 * `SA_NODEFER`) and its `sa_mask` blocked, its disposition reset first under `SA_RESETHAND`.
 * abort() unblocks SIGABRT before it raises it, and ignores an ignored one (`abort.c`).
 * `signal_delivery.ts` runs the handler. Checked against real runs of glibc 2.31–2.44:
 * tests/c/signal_handlers_test.ts.
 *
 * @module
 */

import { SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_RESTORER } from "./signal_types.ts";

/** `SIG_DFL`, `SIG_IGN` and `SIG_ERR` as the handler words glibc uses. */
export const SIG_DFL = 0, SIG_IGN = 1, SIG_ERR = -1;

/** SIGKILL and SIGSTOP, whose disposition cannot change. */
const FIXED_SIGNALS: ReadonlySet<number> = new Set([9, 19]);
/** Linux's signals run from 1 to 64. */
const LAST_SIGNAL = 64;
/** SIGABRT, which abort() raises (the others here come from the CPU's faults). */
export const SIGABRT = 6;

/** One signal's action as the kernel keeps it (`struct k_sigaction`). */
export interface SignalAction {
  /** `SIG_DFL`, `SIG_IGN` or the handler's address. */
  readonly handler: number;
  /** `sa_flags` as the program gave them. */
  readonly flags: number;
  /** `sa_mask`: bit n-1 for signal n (the kernel keeps 64 bits). */
  readonly mask: bigint;
}

const DEFAULT_ACTION: SignalAction = { handler: SIG_DFL, flags: 0, mask: 0n };

/** What a fault's signal does: the process dies, or a handler runs. */
export type FaultFate =
  | { readonly kind: "dies" }
  | { readonly kind: "handler"; readonly action: SignalAction; readonly blockedBefore: bigint };

/** Bit of signal `signum` in a mask. */
export function signalBit(signum: number): bigint {
  return 1n << BigInt(signum - 1);
}

/** One process's signal dispositions, blocked mask and pending alarm. */
export class SignalDispositions {
  readonly #actions = new Map<number, SignalAction>();
  #blocked = 0n;
  #alarm = 0;

  /** Whether `signum` is a signal number (1–64). */
  static valid(signum: number): boolean {
    return Number.isInteger(signum) && signum >= 1 && signum <= LAST_SIGNAL;
  }

  /**
   * `signal(signum, handler)`: the previous handler, or `SIG_ERR` for a number that is no
   * signal or cannot be caught (errno EINVAL). glibc's signal is sigaction with `SA_RESTART` and
   * the signal itself in `sa_mask`.
   */
  set(signum: number, handler: number): number {
    const previous = this.action(signum);
    if (previous === undefined || FIXED_SIGNALS.has(signum)) return SIG_ERR;
    const flags = (SA_RESTART | SA_RESTORER) >>> 0;
    this.#actions.set(signum, { handler, flags, mask: signalBit(signum) });
    return previous.handler;
  }

  /** The action of `signum`; undefined for a number that is no signal. */
  action(signum: number): SignalAction | undefined {
    if (!SignalDispositions.valid(signum)) return undefined;
    return this.#actions.get(signum) ?? DEFAULT_ACTION;
  }

  /** `sigaction(signum, act, …)`'s change: false (EINVAL) for SIGKILL and SIGSTOP. */
  setAction(signum: number, action: SignalAction): boolean {
    if (!SignalDispositions.valid(signum) || FIXED_SIGNALS.has(signum)) return false;
    this.#actions.set(signum, action);
    return true;
  }

  /**
   * The fate of fault signal `signum` raised now (`fromAbort`: by abort(), which unblocks
   * SIGABRT first and leaves an ignored one ignored, then dies of it anyway). A handler's
   * delivery blocks what it blocks and applies `SA_RESETHAND`; {@link handlerReturned} undoes the
   * blocking.
   */
  fault(signum: number, fromAbort: boolean): FaultFate {
    const bit = signalBit(signum);
    if (fromAbort) this.#blocked &= ~bit;
    const action = this.action(signum)!;
    if (action.handler === SIG_DFL || action.handler === SIG_IGN || this.#blocked & bit) {
      // force_sig_fault: a blocked or ignored fault is unblocked and its default restored
      if (!fromAbort) this.#toDefault(signum);
      this.#blocked &= ~bit;
      return { kind: "dies" };
    }
    const blockedBefore = this.#blocked;
    this.#blocked |= action.mask | (action.flags & SA_NODEFER ? 0n : bit);
    if (action.flags & SA_RESETHAND) this.#toDefault(signum);
    return { kind: "handler", action, blockedBefore };
  }

  /** A handler's return (sigreturn): the mask before its delivery is back. */
  handlerReturned(blockedBefore: bigint): void {
    this.#blocked = blockedBefore;
  }

  /** abort()'s reset of SIGABRT to its default after a handler returned. */
  resetAbort(): void {
    this.#actions.set(SIGABRT, DEFAULT_ACTION);
  }

  /** The kernel's reset of a handler to `SIG_DFL` (its flags and mask kept). */
  #toDefault(signum: number): void {
    const action = this.action(signum)!;
    this.#actions.set(signum, { ...action, handler: SIG_DFL });
  }

  /** `alarm(seconds)`: the seconds the previous alarm had left (no time passes here). */
  alarm(seconds: number): number {
    const previous = this.#alarm;
    this.#alarm = seconds;
    return previous;
  }
}
