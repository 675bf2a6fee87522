/**
 * How much of the host's JavaScript heap is left. What the simulation keeps for later — a
 * history's steps (some 0.1–0.85 KiB each), a C program's explain records (some 0.5 KiB each) —
 * lives in that heap, and a process whose heap reaches V8's limit does not throw: it ends, and a
 * notebook's kernel with it. So those keepers look here every {@link HEAP_CHECK_STEPS} items and
 * keep no more once the heap holds {@link HEAP_SHARE} of the limit (as the page pool looks after
 * the host's memory for pages).
 *
 * `node:v8`'s heap statistics are the engine's own, in Deno and in Node alike. The limit V8
 * reports includes the young generation's (96 MiB more under Deno), hence a share below 80%.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";

/** Items kept between two looks at the heap (a look costs some microseconds). */
export const HEAP_CHECK_STEPS = 8192;

/** The share of V8's heap limit past which nothing more is kept. */
export const HEAP_SHARE = 0.75;

/**
 * The share past which a running C program is stopped (its memory, not what is kept of it, is
 * what fills the heap then): above {@link HEAP_SHARE}, so that a run whose explain records filled
 * the heap that far goes on without them.
 */
export const HEAP_STOP_SHARE = 0.8;

const MIB = 1024 * 1024;

/**
 * How full the heap is, as `held X of its Y MiB`, once it holds more than `share` (default
 * {@link HEAP_SHARE}) of its limit; undefined before.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heapNearlyFull } from "./heap_budget.ts";
 * assert.equal(heapNearlyFull(), undefined); // a test process's heap is nearly empty
 * ```
 */
export function heapNearlyFull(share: number = HEAP_SHARE): string | undefined {
  const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
  if (!(used > share * limit)) return undefined;
  return `the JavaScript heap held ${Math.round(used / MIB)} of its ${Math.round(limit / MIB)} MiB`;
}
