/**
 * What `signal()` and `alarm()` set in a C program, and why nothing is ever delivered: a
 * simulated program takes no time (an `alarm` never comes due, `sleep` returns at once), and no
 * terminal or other process sends it anything. Dispositions are kept so that `signal` returns
 * the previous one, as glibc's does. A handler for a signal the process raises itself at a fault
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS) would run where heaplab ends the
 * program instead: such a `signal` call is refused as unsupported, never silently ignored.
 *
 * @module
 */

/** `SIG_DFL`, `SIG_IGN` and `SIG_ERR` as the handler words glibc uses. */
export const SIG_DFL = 0, SIG_IGN = 1, SIG_ERR = -1;

/** The signals a fault or abort() raises in the process itself. */
const FAULT_SIGNALS: ReadonlySet<number> = new Set([4, 5, 6, 7, 8, 11, 31]);
/** SIGKILL and SIGSTOP, whose disposition cannot change. */
const FIXED_SIGNALS: ReadonlySet<number> = new Set([9, 19]);
/** Linux's signals run from 1 to 64. */
const LAST_SIGNAL = 64;

/** One process's signal dispositions and pending alarm. */
export class SignalDispositions {
  readonly #handlers = new Map<number, number>();
  #alarm = 0;

  /**
   * `signal(signum, handler)`: the previous handler, or `SIG_ERR` for a number that is no
   * signal or cannot be caught (errno EINVAL); "unsupported" when the handler would run at a
   * fault (a handler other than `SIG_DFL` for a fault signal).
   */
  set(signum: number, handler: number): number | "unsupported" {
    if (!Number.isInteger(signum) || signum < 1 || signum > LAST_SIGNAL) return SIG_ERR;
    if (FIXED_SIGNALS.has(signum)) return SIG_ERR;
    if (FAULT_SIGNALS.has(signum) && handler !== SIG_DFL) return "unsupported";
    const previous = this.#handlers.get(signum) ?? SIG_DFL;
    this.#handlers.set(signum, handler);
    return previous;
  }

  /** `alarm(seconds)`: the seconds the previous alarm had left (no time passes here). */
  alarm(seconds: number): number {
    const previous = this.#alarm;
    this.#alarm = seconds;
    return previous;
  }
}
