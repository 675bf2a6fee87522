/**
 * The allocator the replay uses by default: heaplab's ptmalloc2 model, when present.
 *
 * @module
 */

import type { AllocatorFactory } from "./replay.ts";

/** Default allocator factory (undefined until the allocator is wired in). */
export const defaultAllocatorFactory: AllocatorFactory | undefined = undefined;
