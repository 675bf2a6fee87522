/**
 * heaplab's ptmalloc2: glibc's allocator (versions 2.23 to 2.41, i386 and x86_64) running
 * inside a simulated process's memory. Start with {@link Allocator}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator, HeapAbort } from "./mod.ts";
 * const proc = new Process({ profile: "x86_64" });
 * const heap = new Allocator(proc, { glibc: "2.36" });
 * const p = heap.malloc(24);
 * heap.free(p);
 * try {
 *   heap.free(p);
 * } catch (e) {
 *   (e as HeapAbort).glibcMessage; // "free(): double free detected in tcache 2"
 * }
 * ```
 *
 * @module
 */

export { Allocator, type AllocatorOptions, type PointerPlace } from "./allocator.ts";
export {
  type ArenaView,
  type BinsView,
  type BinView,
  checkArena,
  type ChunkState,
  type ChunkView,
  HeapCheckError,
  type HeapView,
  heapViews,
  type MmappedChunkView,
  type TcacheView,
} from "./inspect.ts";
export { HeapAbort, HeapLoopError, LOOP_LIMIT } from "./errors.ts";
export type { ExplainStep, OperationRecord, StepAction } from "./explain.ts";
export type { HeapRecord, MallocParams, ThreadMalloc } from "./context.ts";
export { MallocContext, type MallocContextOptions } from "./context.ts";
export { ChunkMemory, request2size, withFlag } from "./chunk.ts";
export { ArenaMemory } from "./arena.ts";
export { BinIndex } from "./bins.ts";
export { Explainer } from "./explain.ts";
export {
  type ArenaLayout,
  type AssertStyle,
  COMPARED_VERSIONS,
  type DerivedField,
  type Fact,
  GLIBC_FACTS,
  GLIBC_RELEASES,
  GLIBC_VERSIONS,
  type GlibcArch,
  type GlibcFacts,
  type GlibcProfile,
  glibcProfile,
  type GlibcRelease,
  type GlibcVersion,
  isGlibcVersion,
  type MemalignStyle,
  ORACLE_BUILDS,
  type TcacheKeyKind,
  versionsWhere,
} from "./profile.ts";
export {
  M_ARENA_MAX,
  M_ARENA_TEST,
  M_CHECK_ACTION,
  M_MMAP_MAX,
  M_MMAP_THRESHOLD,
  M_MXFAST,
  M_PERTURB,
  M_TOP_PAD,
  M_TRIM_THRESHOLD,
  MALLOPT_PARAMS,
} from "./mallopt.ts";
export type { Mallinfo } from "./stats.ts";
export { type HeapInfo, readHeapInfo } from "./heap.ts";
export { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE } from "./chunk.ts";
export { stdoutBufferSize, type StdoutKind } from "./stdio.ts";
