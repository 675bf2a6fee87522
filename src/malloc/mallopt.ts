/**
 * mallopt (glibc `__libc_mallopt` and its `do_set_*` helpers): every parameter glibc accepts,
 * with glibc's return values. The main arena's fastbins are consolidated first, as glibc does
 * before any change (a smaller M_MXFAST must not strand fast chunks).
 *
 * Invariant: `global_max_fast <= MAX_FAST_SIZE`; a parameter that glibc refuses is left as it
 * was and mallopt returns 0.
 *
 * @module
 */

import type { MallocContext } from "./context.ts";
import { mallocConsolidate } from "./free.ts";
import { ptmallocInit, setMaxFast } from "./libc_malloc.ts";

/** mallopt parameter numbers (malloc.h). */
export const M_MXFAST: number = 1;
/** Trim the top when it exceeds this many bytes. */
export const M_TRIM_THRESHOLD: number = -1;
/** Extra bytes to ask the system for on each sbrk. */
export const M_TOP_PAD: number = -2;
/** Requests at or above this many bytes get their own mapping. */
export const M_MMAP_THRESHOLD: number = -3;
/** Most mmapped chunks at once. */
export const M_MMAP_MAX: number = -4;
/** Ignored since glibc 2.26 (MALLOC_CHECK_). */
export const M_CHECK_ACTION: number = -5;
/** Fill freed and fresh memory with a byte. */
export const M_PERTURB: number = -6;
/** Arenas before the limit from the CPU count applies. */
export const M_ARENA_TEST: number = -7;
/** Most arenas. */
export const M_ARENA_MAX: number = -8;

/** Names of the parameters, as the trace format writes them. */
export const MALLOPT_PARAMS: Readonly<Record<string, number>> = {
  M_MXFAST,
  M_TRIM_THRESHOLD,
  M_TOP_PAD,
  M_MMAP_THRESHOLD,
  M_MMAP_MAX,
  M_CHECK_ACTION,
  M_PERTURB,
  M_ARENA_TEST,
  M_ARENA_MAX,
};

/**
 * glibc `__libc_mallopt (param, value)`: 1 on success, 0 when refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { M_MXFAST } from "./mallopt.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * assert.equal(heap.mallopt(M_MXFAST, 160), 1);
 * assert.equal(heap.mallopt(M_MXFAST, 161), 0); // above MAX_FAST_SIZE
 * ```
 */
export function mallopt(m: MallocContext, param: number, value: number): number {
  ptmallocInit(m);
  const p = m.profile, mp = m.params;
  value = Math.trunc(value) | 0; // an int
  const asSize = m.words.wrap(value); // (size_t) value: sign-extended
  mallocConsolidate(m, m.mainArena);
  let res = 1;
  switch (param) {
    case M_MXFAST:
      if (!p.fastbins) break; // 2.43+: do_set_mxfast accepts anything and does nothing
      if (m.le(asSize, p.maxFastSize)) setMaxFast(m, asSize);
      else res = 0;
      break;
    case M_TRIM_THRESHOLD:
      mp.trimThreshold = asSize;
      mp.noDynThreshold = true;
      break;
    case M_TOP_PAD:
      mp.topPad = asSize;
      mp.noDynThreshold = true;
      break;
    case M_MMAP_THRESHOLD:
      if (p.mmapThresholdMaxCheck && !m.le(asSize, p.heapMaxSize / 2)) {
        res = 0;
      } else {
        mp.mmapThreshold = asSize;
        mp.noDynThreshold = true;
      }
      break;
    case M_MMAP_MAX:
      mp.nMmapsMax = value;
      mp.noDynThreshold = true;
      break;
    case M_CHECK_ACTION:
      break;
    case M_PERTURB:
      m.perturbByte = value;
      break;
    case M_ARENA_TEST:
      if (value > 0) mp.arenaTest = asSize;
      break;
    case M_ARENA_MAX:
      if (value > 0) mp.arenaMax = asSize;
      break;
  }
  return res;
}
