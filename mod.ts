/**
 * heaplab: how a Linux process gets its memory, simulated byte for byte — the kernel side
 * (brk, sbrk, mmap, munmap, mprotect, thread stacks, /proc/PID/maps) and glibc's ptmalloc2 on
 * top of it, checked against real glibc 2.31, 2.36 and 2.41 on i386 and x86_64.
 *
 * @example The seed's mmap/munmap example on the seed material's 32-bit machine
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "./mod.ts";
 *
 * const proc = new Process({ profile: "seed-i386", program: "mmap" });
 * const addr = proc.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
 * console.log(proc.maps().split("\n")[3]); // b7e00000-b7e22000 rw-p 00000000 00:00 0
 * proc.sys.munmap(addr, 132 * 1024);
 * ```
 *
 * @example Replaying a heap trace in the oracle's format
 * ```ts
 * import { replayTrace } from "./mod.ts";
 * const { output } = replayTrace("rawmaps\nsbrk 0 +4096\nrawmaps\n", { arch: "x86_64" });
 * ```
 *
 * @module
 */

export {
  AddressSpace,
  type AddressSpaceOptions,
  type FileMapping,
  MADV_DONTNEED,
} from "./src/kernel/address_space.ts";
export {
  type AccessKind,
  Errno,
  errnoName,
  type ErrnoValue,
  isSyscallError,
  SegmentationFault,
  type SegvCode,
} from "./src/kernel/errors.ts";
export {
  layoutFromMaps,
  layoutNames,
  type StartingState,
  StartingStateError,
} from "./src/kernel/layouts.ts";
export {
  formatMapsLine,
  MapsParseError,
  type MapsRegion,
  type ParsedMaps,
  parseMaps,
} from "./src/kernel/maps.ts";
export { Memory } from "./src/kernel/memory.ts";
export {
  Process,
  type ProcessOptions,
  type Syscalls,
  ThreadCreateError,
} from "./src/kernel/process.ts";
export {
  type KernelProfile,
  kernelProfiles,
  linux3i386,
  linux618i386,
  linux618x86_64,
} from "./src/kernel/profile.ts";
export { formatSyscall, SyscallLog, type SyscallRecord } from "./src/kernel/syscall_log.ts";
export {
  legacyStackPolicy,
  modernStackPolicy,
  type StackPolicy,
  type Thread,
  type ThreadRuntime,
  type ThreadStack,
  type ThreadState,
} from "./src/kernel/threads.ts";
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
} from "./src/kernel/vma.ts";
export { wordHex, type WordOps, words32, words64 } from "./src/kernel/word.ts";
export {
  isKernelTrace,
  malloptParams,
  parseTraceLine,
  TraceError,
  type TraceLimits,
  traceLimits,
  type TraceOp,
} from "./src/trace/parse.ts";
export {
  type AllocatorFactory,
  type ReplayOptions,
  type ReplayResult,
  replayTrace,
  type TraceAllocator,
} from "./src/trace/replay.ts";
export {
  Chart,
  chart,
  type ChartMediaBundle,
  compileToVega,
  JUPYTER_DISPLAY,
  renderSvg,
  toVegaLiteV5,
  VEGA_LITE_V5_MIME,
  VEGA_LITE_V5_SCHEMA,
  type VegaLiteSpec,
} from "./src/view/chart.ts";
export {
  formatBytes,
  formatTable,
  type FormatTableOptions,
  hex,
  padEnd,
  padStart,
} from "./src/view/format.ts";
export * from "./src/view/mod.ts";
