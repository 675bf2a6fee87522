/**
 * The allocator the replay uses by default: heaplab's ptmalloc2 of the requested glibc version.
 *
 * @module
 */

import { Allocator } from "../malloc/allocator.ts";
import type { AllocatorFactory } from "./replay.ts";

/** Builds heaplab's {@link Allocator} for a replay (without explain records: the replay prints none). */
export const defaultAllocatorFactory: AllocatorFactory = (process, { glibc, nprocs }) =>
  new Allocator(process, { glibc, nprocs, explain: false });
