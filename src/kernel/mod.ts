/**
 * The simulated Linux side of a process: memory pages read and written little-endian and
 * checked against protections, VMAs and the address space (`brk`, `mmap`, `munmap`,
 * `mprotect`, `mremap`, `madvise`), `/proc/PID/maps` text, threads and their stacks, the
 * layouts a process starts from and the kernel profiles (the facts of one kernel version).
 * Start with {@link Process}.
 *
 * May import: nothing outside `src/kernel/`. The C library plugs in through
 * {@link ThreadRuntime}; the kernel knows no allocator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "./mod.ts";
 *
 * const proc = new Process({ layout: "seed-i386", program: "mmap" });
 * proc.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
 * assert.equal(proc.maps().split("\n")[3], "b7e00000-b7e22000 rw-p 00000000 00:00 0 ");
 * ```
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
} from "./address_space.ts";
export {
  type AccessKind,
  ArgumentRangeError,
  ArgumentTypeError,
  Errno,
  errnoName,
  type ErrnoValue,
  isSyscallError,
  SegmentationFault,
  type SegvCode,
} from "./errors.ts";
export { type Layout, LayoutError, layoutFromMaps, layoutNames } from "./layouts.ts";
export {
  formatMapsLine,
  MapsParseError,
  type MapsRecord,
  type MapsRegion,
  type ParsedMaps,
  parseMaps,
} from "./maps.ts";
export { Memory, type ShadowTlb } from "./memory.ts";
export { Process, type ProcessOptions, type Syscalls, ThreadCreateError } from "./process.ts";
export {
  type KernelProfile,
  kernelProfiles,
  linux3i386,
  linux618i386,
  linux618x86_64,
} from "./kernel_profile.ts";
export { formatSyscall, SyscallLog, type SyscallRecord } from "./syscall_log.ts";
export {
  defaultStackPolicy,
  type StackGuardStyle,
  type StackPolicy,
  stackPolicy,
  type Thread,
  type ThreadRuntime,
  type ThreadStack,
  type ThreadState,
} from "./threads.ts";
export { PTHREAD_STACK_MIN, type StackRequest } from "./thread_stacks.ts";
export {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_STACK,
  type MappedFile,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Vma,
} from "./vma.ts";
export { wordHex, type WordOps, words32, words64 } from "./word.ts";

// Snapshots of the whole process (copy-on-write pages).
export { type AddressSpaceState } from "./address_space.ts";
export {
  diffPageMaps,
  editPageMap,
  forEachPage,
  PAGE_NODE_BYTES,
  pageAt,
  type PageMap,
  type PageNode,
} from "./page_map.ts";
export { PersistentList } from "./persistent_list.ts";
export { type ProcessSnapshot, type ThreadSnapshot } from "./snapshot.ts";
export { type SnapshotRuntime } from "./process.ts";
export { type SyscallLogState } from "./syscall_log.ts";
