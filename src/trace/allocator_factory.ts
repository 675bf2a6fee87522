/**
 * The allocator the replay uses by default: heaplab's ptmalloc2 of the requested glibc version.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import { Allocator } from "../malloc/allocator.ts";

/**
 * Builds heaplab's {@link Allocator} for a replay (an {@link AllocatorFactory}), without explain
 * records: the replay prints none.
 */
export function defaultAllocatorFactory(
  process: Process,
  options: { glibc: string; nprocs: number },
): Allocator {
  return new Allocator(process, { glibc: options.glibc, nprocs: options.nprocs, explain: false });
}
