/**
 * How much of the JavaScript heap is left: a history keeps every step in it (some 0.1–0.85 KiB
 * each), and a process whose heap reaches V8's limit does not throw — it ends, and a notebook's
 * kernel with it. A history looks here every {@link HEAP_CHECK_STEPS} steps and takes no more
 * once the heap holds {@link HEAP_SHARE} of the limit.
 *
 * `node:v8`'s heap statistics are the engine's own, in Deno and in Node alike.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";

/** Steps between two looks at the heap (a look costs some microseconds). */
export const HEAP_CHECK_STEPS = 8192;

/** The share of V8's heap limit past which a history takes no more steps. */
export const HEAP_SHARE = 0.75;

const MIB = 1024 * 1024;

/**
 * Why a history of `steps` steps should take no more, or undefined while the heap holds less than
 * {@link HEAP_SHARE} of its limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heapNearlyFull } from "./heap_budget.ts";
 * assert.equal(heapNearlyFull(10), undefined); // a test process's heap is nearly empty
 * ```
 */
export function heapNearlyFull(steps: number): string | undefined {
  const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
  if (!(used > HEAP_SHARE * limit)) return undefined;
  return `the JavaScript heap held ${Math.round(used / MIB)} of its ${
    Math.round(limit / MIB)
  } MiB ` +
    `after step ${steps - 1}: later steps were not recorded (record fewer steps, or without ` +
    `explain records)`;
}
