/**
 * getrandom(2) as a program calls it through glibc's wrapper (`<sys/random.h>`), with the
 * system call's rules (Linux's `drivers/char/random.c`): flags other than GRND_NONBLOCK,
 * GRND_RANDOM and GRND_INSECURE, or GRND_RANDOM with GRND_INSECURE, are EINVAL; a request is cut
 * to MAX_RW_COUNT; a buffer beyond user space is EFAULT; otherwise the bytes are written up to
 * the first one the program cannot write, and their count returned (EFAULT when that is none).
 * The bytes come from the simulation's one seeded random source (the one behind glibc's tcache
 * key), so a run repeats. A kernel before 3.17 has no getrandom: ENOSYS.
 *
 * From glibc 2.41 on x86_64 with Linux 6.11 and later, getrandom() runs the vDSO's getrandom
 * instead, whose per-thread state the first call maps (two pages, one of them MAP_DROPPABLE)
 * and which faults on a buffer it cannot write: that is not modelled, and is refused by name.
 * Checked against real runs: tests/fixtures/c/getrandom/.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";

/** GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE: the flags the system call knows. */
const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
/** The most one system call transfers (INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7fff_f000;
/** The top of x86_64's user address space (access_ok's limit). */
const USER_END_X86_64 = 0x7fff_ffff_f000;

/** What getrandom works on. */
export interface GetrandomHost {
  readonly mem: Memory;
  /** 4 (i386) or 8 (x86_64). */
  readonly ptrSize: number;
  /** What the kernel has: no getrandom, the system call, or a vDSO getrandom as well. */
  readonly kernelGetrandom: "none" | "syscall" | "vdso";
  /** glibc calls the vDSO's getrandom where the kernel has one (2.41+). */
  readonly glibcUsesVdso: boolean;
  /** The next 32 bits of the simulation's random source. */
  random32(): number;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * getrandom(buf, count, flags): the count of bytes written, or `-errno`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { getrandom } from "./getrandom.ts";
 * const p = new Process();
 * const buf = p.sys.mmap(0, 8192, 3, 0x22);
 * p.sys.munmap(buf + 4096, 4096);
 * const host = {
 *   mem: p.memory, ptrSize: 8, kernelGetrandom: "syscall" as const, glibcUsesVdso: false,
 *   random32: () => 0x04030201, refuse: (what: string): never => { throw new Error(what); },
 * };
 * assert.equal(getrandom(host, buf + 4090, 10, 0), 6); // up to the end of the mapping
 * assert.deepEqual([...p.memory.readBytes(buf + 4090, 6)], [1, 2, 3, 4, 1, 2]);
 * assert.equal(getrandom(host, buf, 8, 0x40), -22); // EINVAL
 * ```
 */
export function getrandom(h: GetrandomHost, buf: number, count: number, flags: number): number {
  if (h.kernelGetrandom === "none") return -Errno.ENOSYS;
  const vdso = h.glibcUsesVdso && h.kernelGetrandom === "vdso";
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
  if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) {
    return -Errno.EINVAL;
  }
  if (vdso) {
    h.refuse(
      "getrandom through the vDSO (glibc 2.41+ on Linux 6.11+): the state pages its first " +
        "call maps are not modelled",
    );
  }
  const wanted = Math.min(count, MAX_RW_COUNT);
  if (h.ptrSize === 8 && buf + wanted > USER_END_X86_64) return -Errno.EFAULT;
  if (wanted === 0) return 0;
  const done = h.mem.accessibleLength(buf, wanted, "write");
  if (done === 0) return -Errno.EFAULT;
  const bytes = new Uint8Array(done);
  for (let i = 0; i < done; i += 4) {
    const word = h.random32();
    for (let k = 0; k < 4 && i + k < done; k++) bytes[i + k] = (word >>> (8 * k)) & 0xff;
  }
  h.mem.writeBytes(buf, bytes);
  return done;
}
