/**
 * heaplab's ptmalloc2: glibc's allocator (versions 2.23 to 2.44, i386 and x86_64) running
 * inside a simulated process's memory — chunks, bins, tcache and arenas are bytes at real
 * addresses. Start with {@link Allocator}; its methods `arenas()`, `chunks()`, `bins()`,
 * `tcache()` and `checkArena()` return the data types exported here (`…Info`).
 *
 * May import: `src/kernel/` (the process, its memory and system calls), never `src/trace/` or
 * `src/view/`. The allocator reaches the kernel only through `Process.sys` and `Process.sbrk`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/mod.ts";
 * import { Allocator, HeapAbort } from "./mod.ts";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const p = heap.malloc(24);
 * heap.free(p);
 * assert.throws(() => heap.free(p), (e) => {
 *   assert.ok(e instanceof HeapAbort);
 *   assert.equal(e.glibcMessage, "free(): double free detected in tcache 2");
 *   return true;
 * });
 * ```
 *
 * @module
 */

export { Allocator, type AllocatorOptions, type PointerPlace } from "./allocator.ts";
export {
  type ArenaInfo,
  type BinInfo,
  type BinsInfo,
  CHUNK_WALK_LIMIT,
  type ChunkInfo,
  type ChunkState,
  type ChunkWalk,
  type MmappedChunkInfo,
  type TcacheInfo,
  type ThreadHeapInfo,
} from "./inspect.ts";
export { HeapCheckError } from "./check_arena.ts";
export { HeapAbort, HeapAssertionFailure, HeapLoopError, LOOP_LIMIT } from "./errors.ts";
export {
  assertionMessage,
  type AssertionSite,
  type AssertStyle,
  type FailedAssertion,
  MALLOC_ASSERTIONS,
  type MallocAssertion,
} from "./assertions.ts";
export {
  type ChildExited,
  ControlFlowHijack,
  type LibcEvent,
  ProcessExit,
  type ProgramOutput,
  type ShellSpawned,
} from "./hooks.ts";
export {
  type HookName,
  type LibcBuild,
  libcBuild,
  type LibcPlacement,
  LibcState,
} from "./libc_state.ts";
export { LIBC_BUILDS, type LibcBuildFacts, type LibcSegment } from "./libc_symbols.ts";
export type { ExplainStep, OperationRecord, StepAction } from "./explain.ts";
export type { HeapRecord } from "./context.ts";
export type { MallocParams } from "./malloc_par.ts";
export { request2size } from "./chunk.ts";
export {
  type ArenaLayout,
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
  type MisalignedStackCall,
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
export { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE } from "./chunk.ts";
export { stdoutBufferSize, type StdoutKind } from "./stdio.ts";

// The allocator's part of a process snapshot.
export { type AllocatorState } from "./allocator.ts";
export { type MallocState } from "./snapshot.ts";
