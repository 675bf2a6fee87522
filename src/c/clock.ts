/**
 * The simulated process's clock, as `time`, `gettimeofday` and `clock_gettime` read it: it reads
 * {@link CLOCK_SECONDS} (0, 1970-01-01) with no fraction, always — a simulated program takes no
 * time, so a run repeats and a seed taken from the clock (`srand(time(NULL))`) is the same at
 * every run. CLOCK_MONOTONIC and its kin read the same 0 (on a real machine, the time since
 * boot): only what programs can rely on of them — that they do not go back, and that elapsed
 * times are differences — holds. Files' times in stat are this clock's 0 too (`file_status.ts`).
 *
 * What the calls do, as the real runs show (tests/fixtures/c/file_status/clock.c, x86_64 and
 * i386, glibc 2.31 to 2.44):
 * - gettimeofday(tv, tz) returns 0 and fills `*tz` with zeros (the kernel's timezone, which is
 *   zero unless settimeofday set one, or glibc's own memset); a NULL `tz` is skipped. A NULL `tv`
 *   is skipped on x86_64 (the vDSO's) and on i386 before 2.32; from 2.32 i386 glibc copies a
 *   64-bit time into `*tv` and faults there.
 * - clock_gettime(id, tp): CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
 *   CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE and CLOCK_BOOTTIME return 0; an id the kernel
 *   does not know (10, 12 and up) is EINVAL; the CPU-time clocks (2, 3 and the negative ids of
 *   clock_getcpuclockid), the alarm clocks (8, 9) and CLOCK_TAI (11) are refused by name.
 * - A `tv`, `tz` or `tp` that cannot be written faults (SIGSEGV) where the write does: the vDSO
 *   and glibc write them in user space.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";

/** What the simulated clock reads, in seconds since the epoch: always 0. */
export const CLOCK_SECONDS = 0;

/** Clock ids that read the clock: REALTIME, MONOTONIC, MONOTONIC_RAW, the COARSE ones, BOOTTIME. */
const CLOCKS_READ = new Set([0, 1, 4, 5, 6, 7]);
/** Clock ids the kernel knows that are not modelled, by name. */
const CLOCKS_REFUSED = new Map([
  [2, "CLOCK_PROCESS_CPUTIME_ID"],
  [3, "CLOCK_THREAD_CPUTIME_ID"],
  [8, "CLOCK_REALTIME_ALARM"],
  [9, "CLOCK_BOOTTIME_ALARM"],
  [11, "CLOCK_TAI"],
]);

/** What the clock calls work on. */
export interface ClockHost {
  readonly mem: Memory;
  /** 4 (i386) or 8 (x86_64). */
  readonly ptrSize: number;
  /** glibc copies gettimeofday's 64-bit result into `*tv` (i386 from 2.32). */
  readonly gettimeofdayCopies: boolean;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** Stores a `time_t` (a long) and its fraction (a long: tv_usec or tv_nsec) at `at`. */
function storeTime(h: ClockHost, at: number, seconds: number, fraction: number): void {
  if (h.ptrSize === 8) {
    h.mem.write64(at, seconds);
    h.mem.write64(at + 8, fraction);
  } else {
    h.mem.write32(at, seconds >>> 0);
    h.mem.write32(at + 4, fraction >>> 0);
  }
}

/** time(t): the clock's seconds, stored at `t` unless it is NULL. */
export function time(h: ClockHost, t: number): number {
  if (t !== 0) {
    if (h.ptrSize === 8) h.mem.write64(t, CLOCK_SECONDS);
    else h.mem.write32(t, CLOCK_SECONDS);
  }
  return CLOCK_SECONDS;
}

/**
 * gettimeofday(tv, tz): 0, the clock in `*tv` (seconds, microseconds) and zeros in `*tz`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { gettimeofday } from "./clock.ts";
 * const p = new Process();
 * const tv = p.sys.mmap(0, 4096, 3, 0x22);
 * p.memory.writeBytes(tv, new Uint8Array(24).fill(0xaa));
 * const host = {
 *   mem: p.memory, ptrSize: 8, gettimeofdayCopies: false,
 *   refuse: (what: string): never => { throw new Error(what); },
 * };
 * assert.equal(gettimeofday(host, tv, tv + 16), 0);
 * assert.deepEqual([...p.memory.readBytes(tv, 24)], new Array(24).fill(0));
 * ```
 */
export function gettimeofday(h: ClockHost, tv: number, tz: number): number {
  // the vDSO writes *tv, then *tz; i386 glibc from 2.32 clears *tz, then copies into *tv
  if (tv !== 0 && !h.gettimeofdayCopies) storeTime(h, tv, CLOCK_SECONDS, 0);
  if (tz !== 0) {
    h.mem.write32(tz, 0); // tz_minuteswest
    h.mem.write32(tz + 4, 0); // tz_dsttime
  }
  if (h.gettimeofdayCopies) storeTime(h, tv, CLOCK_SECONDS, 0);
  return 0;
}

/** clock_gettime(id, tp): 0 with the clock in `*tp` (seconds, nanoseconds), or -EINVAL. */
export function clockGettime(h: ClockHost, id: number, tp: number): number {
  if (id < 0) h.refuse(`clock_gettime of CPU-time clock ${id}`);
  const refused = CLOCKS_REFUSED.get(id);
  if (refused !== undefined) h.refuse(`clock_gettime(${refused})`);
  if (!CLOCKS_READ.has(id)) return -Errno.EINVAL;
  storeTime(h, tp, CLOCK_SECONDS, 0);
  return 0;
}
