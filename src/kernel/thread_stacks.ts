/**
 * nptl's `allocate_stack` (nptl/allocatestack.c) for the stack and guard sizes a thread's
 * attribute asks for, and `advise_stack_range`, the thread's last look at its stack:
 *
 * - the block is the stack size (the default: RLIMIT_STACK rounded up to a page) rounded down
 *   to the TCB's 64-byte alignment, plus the guard rounded up to a page — a guard that wraps
 *   around in that rounding is EINVAL;
 * - the stack cache gives the smallest cached block at least that large (the first of equal
 *   ones, the most recently cached; an exact fit at once), unless it is more than four times
 *   as large (`get_cached_stack`);
 * - a cached block's guard is grown to the size asked for, or shrunk: up to 2.41 only when the
 *   slack is more than the block has beyond the request (mprotect), from 2.42, with guard pages
 *   (`MADV_GUARD_INSTALL`), always (`adjust_stack_prot`, `MADV_GUARD_REMOVE`);
 * - a new block is mapped as the C library's {@link StackGuardStyle} says; a thread without a
 *   guard gets one read-write mapping;
 * - a thread that ends drops the pages of its stack below its stack pointer's page, less 16 KiB
 *   (PTHREAD_STACK_MIN), with `madvise(MADV_DONTNEED)`, when there are more than 16 KiB of them.
 *
 * Checked against real runs of x86_64 glibc 2.31–2.44 under strace:
 * tests/fixtures/c/pthread_attr/.
 *
 * @module
 */

import { MADV_DONTNEED, MADV_GUARD_INSTALL, MADV_GUARD_REMOVE } from "./address_space.ts";
import { Errno, isSyscallError } from "./errors.ts";
import type { StackPolicy, ThreadStack } from "./threads.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_STACK, PROT_NONE, PROT_READ, PROT_WRITE } from "./vma.ts";

/** glibc's PTHREAD_STACK_MIN: the smallest stack size pthread_attr_setstacksize takes. */
export const PTHREAD_STACK_MIN = 16384;

/** The TCB's alignment (`tls_static_align`), to which the stack size is rounded down. */
const TCB_ALIGNMENT = 64;

const PAGE = 4096;

/** What a thread's attribute asks of its stack (absent: the defaults). */
export interface StackRequest {
  /** `pthread_attr_setstacksize`'s size (default: RLIMIT_STACK rounded up to a page). */
  readonly stackSize?: number;
  /** `pthread_attr_setguardsize`'s size (default: the policy's guard, one page). */
  readonly guardSize?: number;
}

/** What allocating a stack works on: the process's system calls and its stack cache. */
export interface StackHost {
  readonly sys: {
    mmap(
      addr: number,
      length: number,
      prot: number,
      flags: number,
      file?: undefined,
      owner?: string,
    ): number;
    mprotect(addr: number, length: number, prot: number): number;
    madvise(addr: number, length: number, advice: number): number;
  };
  readonly policy: StackPolicy;
  /** The width of `size_t`: 32 or 64. */
  readonly wordBits: number;
  /** RLIMIT_STACK: the default stack size. */
  readonly stackLimit: number;
  /** Takes the cached block `get_cached_stack` chooses for `size` bytes, if any. */
  takeCached(size: number): ThreadStack | undefined;
}

/** A stack for a new thread, or an errno (EINVAL, or the failing mmap's). */
export type StackResult = { stack: ThreadStack; reused: boolean } | { errno: number };

/**
 * `allocate_stack`: the block for a thread asking `request`, from the cache or newly mapped
 * (named `owner` in the address space).
 */
export function allocateStack(host: StackHost, request: StackRequest, owner: string): StackResult {
  const { policy } = host;
  let size = request.stackSize ?? Math.ceil(host.stackLimit / PAGE) * PAGE;
  size -= size % TCB_ALIGNMENT;
  // the guard rounded up to a page: past the word's end it wraps around (EINVAL), as does the
  // block's size
  const guard = Math.ceil((request.guardSize ?? policy.guard) / PAGE) * PAGE;
  if (size + guard >= 2 ** host.wordBits) return { errno: Errno.EINVAL };
  size += guard;
  const cached = host.takeCached(size);
  if (cached) {
    adjustGuard(host, cached, guard, size);
    return { stack: cached, reused: true };
  }
  const base = mapStack(host, size, guard, owner);
  if (isSyscallError(base)) return { errno: -base };
  return { stack: { base, size, guard, dtv: 0 }, reused: false };
}

/** A new block: mapped and its guard made as the policy says. */
function mapStack(host: StackHost, size: number, guard: number, owner: string): number {
  const { sys, policy } = host;
  const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK;
  const rw = PROT_READ | PROT_WRITE;
  const style = guard === 0 ? "none" : policy.guardStyle;
  const base = sys.mmap(
    0,
    size,
    style === "none-then-mprotect" ? PROT_NONE : rw,
    flags,
    undefined,
    owner,
  );
  if (isSyscallError(base)) return base;
  if (style === "none-then-mprotect") sys.mprotect(base + guard, size - guard, rw);
  else if (style === "madvise") sys.madvise(base, guard, MADV_GUARD_INSTALL);
  else if (style === "rw-then-mprotect") sys.mprotect(base, guard, PROT_NONE);
  return base;
}

/**
 * A cached block's guard made the size a new thread asks (`size` the block it asked for): grown
 * always; shrunk, with guard pages always, else only past the block's slack.
 */
function adjustGuard(host: StackHost, stack: ThreadStack, guard: number, size: number): void {
  const { sys, policy } = host;
  const madvise = policy.guardStyle === "madvise";
  if (guard > stack.guard) {
    if (madvise) sys.madvise(stack.base, guard, MADV_GUARD_INSTALL);
    else sys.mprotect(stack.base, guard, PROT_NONE);
    stack.guard = guard;
  } else if (stack.guard > guard && (madvise || stack.guard - guard > stack.size - size)) {
    const slack = stack.guard - guard;
    if (madvise) sys.madvise(stack.base + guard, slack, MADV_GUARD_REMOVE);
    else sys.mprotect(stack.base + guard, slack, PROT_READ | PROT_WRITE);
    stack.guard = guard;
  }
}

/**
 * `advise_stack_range` of a thread that ends with its stack pointer at `sp`: the pages of the
 * block below `sp`'s page, less PTHREAD_STACK_MIN, dropped.
 */
export function adviseStackRange(
  host: Pick<StackHost, "sys">,
  stack: ThreadStack,
  sp: number,
): void {
  const free = Math.floor((sp - stack.base) / PAGE) * PAGE;
  if (free > PTHREAD_STACK_MIN) {
    host.sys.madvise(stack.base, free - PTHREAD_STACK_MIN, MADV_DONTNEED);
  }
}
