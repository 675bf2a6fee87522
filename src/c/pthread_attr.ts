/**
 * Thread attributes as glibc's nptl keeps them: `pthread_attr_t` is glibc's `struct
 * pthread_attr` (nptl/internaltypes.h), its bytes in the program's own object, so a program
 * that prints or copies one sees glibc's:
 *
 * | field                   | x86_64 | i386 |
 * | ----------------------- | ------ | ---- |
 * | `schedparam`            | 0      | 0    |
 * | `schedpolicy`           | 4      | 4    |
 * | `flags` (1: detached)   | 8      | 8    |
 * | `guardsize`             | 16     | 12   |
 * | `stackaddr`             | 24     | 16   |
 * | `stacksize`             | 32     | 20   |
 * | `extension` / `cpuset`  | 40     | 24   |
 *
 * `pthread_attr_init` zeroes all of it (56 or 36 bytes) and sets the guard to a page; the
 * stack size stays 0, which `pthread_attr_getstacksize` answers with the default (RLIMIT_STACK
 * rounded up to a page). `pthread_attr_setstacksize` refuses a size under PTHREAD_STACK_MIN
 * (16384) with EINVAL; `pthread_attr_setguardsize` keeps any size as given (pthread_create
 * rounds it, and one that wraps around there is its EINVAL); `pthread_attr_setdetachstate`
 * takes PTHREAD_CREATE_JOINABLE (0) or PTHREAD_CREATE_DETACHED (1), else EINVAL.
 * `pthread_create` reads the stack size, guard size and detach state of its attribute
 * ({@link threadAttributes}) and maps the stack through the process's one allocate-stack path
 * (`src/kernel/thread_stacks.ts`).
 *
 * Not modelled, refused by name: a stack the program provides (`pthread_attr_setstack`,
 * `setstackaddr`), scheduling attributes, CPU affinity, signal masks, `pthread_getattr_np`, the
 * process's default attribute, and pthread_create with an attribute whose bytes say any of
 * them. Checked against real runs of x86_64 glibc 2.31–2.44: tests/fixtures/c/pthread_attr/.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";

const { EINVAL } = Errno;
/** `flags` bit of a detached thread (ATTR_FLAG_DETACHSTATE); the only one modelled. */
const DETACHED_FLAG = 1;
const PAGE = 4096;

/** What the attribute functions work on. */
export interface ThreadAttrHost {
  readonly mem: Memory;
  /** 4 (i386) or 8 (x86_64). */
  readonly ptrSize: number;
  /** RLIMIT_STACK, whose page-rounded size is the default stack size. */
  readonly stackLimit: number;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** What pthread_create takes from an attribute. */
export interface ThreadAttributes {
  /** The stack size set (undefined: the default). */
  readonly stackSize?: number;
  /** The guard size as set. */
  readonly guardSize: number;
  /** Created detached. */
  readonly detached: boolean;
}

/** Offsets of struct pthread_attr's fields. */
function layout(ptrSize: number) {
  const guard = ptrSize === 8 ? 16 : 12;
  return {
    size: ptrSize === 8 ? 56 : 36,
    flags: 8,
    guard,
    stackAddr: guard + ptrSize,
    stackSize: guard + 2 * ptrSize,
    extension: guard + 3 * ptrSize,
  };
}

function readSize(h: ThreadAttrHost, address: number): bigint {
  return h.ptrSize === 8 ? h.mem.readBig64(address) : BigInt(h.mem.read32(address));
}

function writeSize(h: ThreadAttrHost, address: number, value: bigint): void {
  if (h.ptrSize === 8) h.mem.writeBig64(address, value);
  else h.mem.write32(address, Number(BigInt.asUintN(32, value)));
}

/** A `size_t` argument, exactly. */
function sizeValue(h: ThreadAttrHost, value: number | bigint): bigint {
  return BigInt.asUintN(h.ptrSize * 8, BigInt(value));
}

/** pthread_attr_init(attr): zeroes it, the guard one page; 0. */
export function attrInit(h: ThreadAttrHost, attr: number): number {
  const L = layout(h.ptrSize);
  h.mem.fill(attr, L.size, 0);
  writeSize(h, attr + L.guard, BigInt(PAGE));
  return 0;
}

/** pthread_attr_destroy(attr): 0 (an attribute with an extension is not modelled). */
export function attrDestroy(h: ThreadAttrHost, attr: number): number {
  if (readSize(h, attr + layout(h.ptrSize).extension) !== 0n) {
    h.refuse("pthread_attr_destroy of an attribute with an extension (CPU affinity, signal mask)");
  }
  return 0;
}

/** pthread_attr_setstacksize(attr, size): 0, or EINVAL under PTHREAD_STACK_MIN. */
export function attrSetStackSize(h: ThreadAttrHost, attr: number, size: number | bigint): number {
  const value = sizeValue(h, size);
  if (value < 16384n) return EINVAL;
  writeSize(h, attr + layout(h.ptrSize).stackSize, value);
  return 0;
}

/** pthread_attr_getstacksize(attr, &size): the size set, else the default; 0. */
export function attrGetStackSize(h: ThreadAttrHost, attr: number, out: number): number {
  const set = readSize(h, attr + layout(h.ptrSize).stackSize);
  const size = set !== 0n ? set : BigInt(Math.ceil(h.stackLimit / PAGE) * PAGE);
  writeSize(h, out, size);
  return 0;
}

/** pthread_attr_setguardsize(attr, size): kept as given; 0. */
export function attrSetGuardSize(h: ThreadAttrHost, attr: number, size: number | bigint): number {
  writeSize(h, attr + layout(h.ptrSize).guard, sizeValue(h, size));
  return 0;
}

/** pthread_attr_getguardsize(attr, &size): 0. */
export function attrGetGuardSize(h: ThreadAttrHost, attr: number, out: number): number {
  writeSize(h, out, readSize(h, attr + layout(h.ptrSize).guard));
  return 0;
}

/** pthread_attr_setdetachstate(attr, state): 0, or EINVAL for neither state. */
export function attrSetDetachState(h: ThreadAttrHost, attr: number, state: number): number {
  if (state !== 0 && state !== 1) return EINVAL;
  const at = attr + layout(h.ptrSize).flags;
  const flags = h.mem.read32(at);
  h.mem.write32(at, state === 1 ? (flags | DETACHED_FLAG) >>> 0 : (flags & ~DETACHED_FLAG) >>> 0);
  return 0;
}

/** pthread_attr_getdetachstate(attr, &state): 0. */
export function attrGetDetachState(h: ThreadAttrHost, attr: number, out: number): number {
  h.mem.write32(out, h.mem.read32(attr + layout(h.ptrSize).flags) & DETACHED_FLAG);
  return 0;
}

/**
 * What pthread_create takes from `attr` (0: the defaults); refused by name when its bytes ask
 * for what is not modelled (a stack of the program's, scheduling, affinity).
 */
export function threadAttributes(h: ThreadAttrHost, attr: number): ThreadAttributes {
  if (attr === 0) return { guardSize: PAGE, detached: false };
  const L = layout(h.ptrSize);
  const flags = h.mem.read32(attr + L.flags);
  if (flags & ~DETACHED_FLAG) {
    h.refuse(
      `pthread_create with attribute flags 0x${flags.toString(16)} (a stack of the program's, ` +
        "scheduling)",
    );
  }
  if (readSize(h, attr + L.stackAddr) !== 0n) {
    h.refuse("pthread_create with a stack address in its attribute");
  }
  if (readSize(h, attr + L.extension) !== 0n) {
    h.refuse("pthread_create with an attribute extension (CPU affinity, signal mask)");
  }
  const stackSize = readSize(h, attr + L.stackSize);
  return {
    stackSize: stackSize === 0n ? undefined : Number(stackSize),
    guardSize: Number(readSize(h, attr + L.guard)),
    detached: (flags & DETACHED_FLAG) !== 0,
  };
}

/** The attribute functions not modelled, each refused by name when called. */
export const UNMODELLED_ATTR_FUNCTIONS: readonly string[] = [
  "pthread_attr_setstack",
  "pthread_attr_getstack",
  "pthread_attr_setstackaddr",
  "pthread_attr_getstackaddr",
  "pthread_attr_setschedparam",
  "pthread_attr_getschedparam",
  "pthread_attr_setschedpolicy",
  "pthread_attr_getschedpolicy",
  "pthread_attr_setinheritsched",
  "pthread_attr_getinheritsched",
  "pthread_attr_setscope",
  "pthread_attr_getscope",
  "pthread_attr_setaffinity_np",
  "pthread_attr_getaffinity_np",
  "pthread_attr_setsigmask_np",
  "pthread_attr_getsigmask_np",
  "pthread_getattr_np",
  "pthread_getattr_default_np",
  "pthread_setattr_default_np",
];
