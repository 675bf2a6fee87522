/**
 * `sigaction(2)` through glibc's wrapper, and the `sigset_t` functions (`sigemptyset`,
 * `sigfillset`, `sigaddset`, `sigdelset`, `sigismember`), on the program's memory and the
 * process's {@link SignalDispositions}. glibc refuses signal numbers outside 1–64 and its own two
 * internal ones (32 and 33, for thread cancellation and set*id) with EINVAL, the kernel SIGKILL
 * and SIGSTOP given a new action; sigfillset leaves the internal two out. The kernel keeps 64
 * bits of `sa_mask`: the first 8 bytes of the 128 the struct holds. sigemptyset and sigfillset
 * write all 128 bytes up to glibc 2.31 and only those 8 from 2.36 (the release between that
 * changed it is not known: 2.35 is taken to be 2.36's). Checked against real runs of x86_64 and
 * i386 glibc 2.31–2.44: tests/fixtures/c/signal_handlers/layouts.c.
 *
 * Not written into an old action (`oldact`): `sa_restorer` and the last 120 bytes of `sa_mask`,
 * where glibc copies the address of its own `__restore_rt` (no exported symbol) and the rest of a
 * buffer on its stack. The kernel keeps `sa_flags` with `SA_RESTORER`, which glibc's wrapper adds
 * to every action it sets on x86_64 and i386 (signal() included).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import { type SignalAction, SignalDispositions } from "./signal_dispositions.ts";
import { SA_RESTORER, signalOffsets, SIGSET_SIZE } from "./signal_types.ts";
import type { Abi } from "./types.ts";

/** glibc's internal signals (SIGCANCEL, SIGSETXID), which a program cannot use. */
const INTERNAL_SIGNALS: ReadonlySet<number> = new Set([32, 33]);
const { EINVAL } = Errno;

/** What the functions work on. */
export interface SigactionHost {
  readonly mem: Memory;
  readonly abi: Abi;
  readonly signals: SignalDispositions;
  readPointer(address: number): number;
  writePointer(address: number, value: number): void;
}

/** `sigaction(signum, act, oldact)`: 0, or -errno. */
export function sigaction(h: SigactionHost, signum: number, act: number, old: number): number {
  if (!SignalDispositions.valid(signum) || INTERNAL_SIGNALS.has(signum)) return -EINVAL;
  const at = signalOffsets(h.abi);
  const previous = h.signals.action(signum)!;
  if (act !== 0) {
    const action: SignalAction = {
      handler: h.readPointer(act),
      flags: (h.mem.read32(act + at.flags) | SA_RESTORER) >>> 0,
      mask: readMask(h.mem, act + at.mask),
    };
    if (!h.signals.setAction(signum, action)) return -EINVAL;
  }
  if (old !== 0) {
    h.writePointer(old, previous.handler);
    for (let i = 0; i < 8; i++) {
      h.mem.write8(old + at.mask + i, Number((previous.mask >> BigInt(8 * i)) & 0xffn));
    }
    h.mem.write32(old + at.flags, previous.flags);
  }
  return 0;
}

/** The 64 bits the kernel takes of a `sigset_t` at `at`. */
export function readMask(mem: Memory, at: number): bigint {
  let mask = 0n;
  for (let i = 7; i >= 0; i--) mask = (mask << 8n) | BigInt(mem.read8(at + i));
  return mask;
}

/**
 * `sigemptyset` (`full` false) or `sigfillset` (true, but glibc's internal signals): 0. Up to
 * 2.31 (`wholeSet`) they write all 128 bytes; 2.36 writes only the kernel's first 8.
 */
export function sigfill(mem: Memory, set: number, full: boolean, wholeSet: boolean): number {
  for (let i = 0; i < (wholeSet ? SIGSET_SIZE : 8); i++) mem.write8(set + i, full ? 0xff : 0);
  // (glibc clears its internal signals' bits itself: sigdelset refuses them)
  if (full) {
    for (const s of INTERNAL_SIGNALS) {
      const at = set + ((s - 1) >> 3);
      mem.write8(at, mem.read8(at) & ~bitOf(s));
    }
  }
  return 0;
}

/** `sigaddset` (`add` true) or `sigdelset`: 0, or -EINVAL for no signal or an internal one. */
export function sigchange(mem: Memory, set: number, signum: number, add: boolean): number {
  if (!inSet(signum) || INTERNAL_SIGNALS.has(signum)) return -EINVAL;
  const at = set + ((signum - 1) >> 3), bit = bitOf(signum);
  mem.write8(at, add ? mem.read8(at) | bit : mem.read8(at) & ~bit);
  return 0;
}

/** `sigismember`: 1 or 0, or -EINVAL for no signal. */
export function sigismember(mem: Memory, set: number, signum: number): number {
  if (!inSet(signum)) return -EINVAL;
  return mem.read8(set + ((signum - 1) >> 3)) & bitOf(signum) ? 1 : 0;
}

/** A number a `sigset_t` has a bit for (glibc: 1 to NSIG - 1). */
function inSet(signum: number): boolean {
  return SignalDispositions.valid(signum);
}

/** The bit of signal `signum` in its byte of a `sigset_t`. */
function bitOf(signum: number): number {
  return 1 << ((signum - 1) & 7);
}
