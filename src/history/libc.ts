/**
 * What the time-travel modules need of an allocator: its process, its calls and its inspection.
 * `Allocator` (`src/malloc/allocator.ts`) is one; naming the need here instead of importing the
 * class lets the allocator offer `libc.whatIf` without an import cycle.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import type { OperationRecord } from "../malloc/explain.ts";
import type {
  ArenaInfo,
  BinsInfo,
  ChunkInfo,
  ChunkWalk,
  MmappedChunkInfo,
} from "../malloc/inspect.ts";
import type { GlibcProfile } from "../malloc/profile.ts";

/** An allocator on a simulated process, as the time-travel modules use it. */
export interface Libc {
  /** The process. */
  readonly process: Process;
  /** The glibc build. */
  readonly profile: GlibcProfile;
  /** Address of main_arena. */
  readonly mainArena: number;
  /** What the last public call did. */
  readonly lastRecord: OperationRecord | undefined;
  /** An independent copy of the process and allocator. */
  fork(): Libc;
  /** The arenas, main first. */
  arenas(): ArenaInfo[];
  /** The chunks of an arena. */
  chunks(arena?: number): ChunkInfo[];
  /** The chunks of the given arenas (default: all), one at a time. */
  chunkWalks(arenas?: readonly number[]): ChunkWalk[];
  /** The bins of an arena. */
  bins(arena?: number): BinsInfo;
  /** The mmapped chunks. */
  mmappedChunks(): MmappedChunkInfo[];
  /** malloc(3). */
  malloc(size: number): number;
  /** free(3). */
  free(ptr: number): void;
  /** realloc(3). */
  realloc(ptr: number, size: number): number;
  /** calloc(3). */
  calloc(count: number, size: number): number;
}
