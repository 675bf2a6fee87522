/**
 * The simulator without its views: the simulated Linux process (kernel side), glibc's allocator
 * and the trace replay. It imports nothing that draws (no vega), so that it bundles into one
 * CommonJS file for Node-based kernels such as tslab (`deno task bundle`).
 *
 * @module
 */

export {
  AddressSpace,
  type AddressSpaceOptions,
  type FileMapping,
  MADV_DONTNEED,
  MADV_GUARD_INSTALL,
  MADV_GUARD_REMOVE,
} from "./kernel/address_space.ts";
export {
  type AccessKind,
  Errno,
  errnoName,
  type ErrnoValue,
  isSyscallError,
  SegmentationFault,
  type SegvCode,
} from "./kernel/errors.ts";
export {
  layoutFromMaps,
  layoutNames,
  type StartingState,
  StartingStateError,
} from "./kernel/layouts.ts";
export {
  formatMapsLine,
  MapsParseError,
  type MapsRegion,
  type ParsedMaps,
  parseMaps,
} from "./kernel/maps.ts";
export { Memory } from "./kernel/memory.ts";
export {
  Process,
  type ProcessOptions,
  type Syscalls,
  ThreadCreateError,
} from "./kernel/process.ts";
export {
  type KernelProfile,
  kernelProfiles,
  linux3i386,
  linux618i386,
  linux618x86_64,
} from "./kernel/profile.ts";
export { formatSyscall, SyscallLog, type SyscallRecord } from "./kernel/syscall_log.ts";
export {
  defaultStackPolicy,
  type StackGuardStyle,
  type StackPolicy,
  stackPolicy,
  type Thread,
  type ThreadRuntime,
  type ThreadStack,
  type ThreadState,
} from "./kernel/threads.ts";
export {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_STACK,
  type MappedFile,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Vma,
} from "./kernel/vma.ts";
export { wordHex, type WordOps, words32, words64 } from "./kernel/word.ts";
export {
  isKernelTrace,
  malloptParams,
  parseTraceLine,
  TraceError,
  type TraceLimits,
  traceLimits,
  type TraceOp,
} from "./trace/parse.ts";
export {
  type AllocatorFactory,
  type ReplayOptions,
  type ReplayResult,
  replayTrace,
  type TraceAllocator,
} from "./trace/replay.ts";

// glibc's allocator (ptmalloc2) and what views read from it.
export * from "./malloc/mod.ts";
export { type TraceNumber } from "./trace/parse.ts";
