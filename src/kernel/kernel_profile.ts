/**
 * Kernel profiles: the facts about a Linux kernel version and process bitness that decide where
 * mappings go and how /proc/PID/maps reads (`mm/mmap.c`, `fs/proc/task_mmu.c`).
 *
 * @module
 */

/** The facts of one kernel, for one kind of process (32-bit or 64-bit). */
export interface KernelProfile {
  /** Short name, e.g. `linux-6.18-x86_64`. */
  readonly name: string;
  /** Kernel release the profile models, e.g. `6.18`. */
  readonly release: string;
  /** Process word size in bits. */
  readonly bits: 32 | 64;
  /** A 32-bit process on a 64-bit kernel (compat task). */
  readonly compat: boolean;
  /** Top of user space (TASK_SIZE). */
  readonly taskSize: number;
  /** Where top-down mmap placement starts with ASLR off (mm->mmap_base). */
  readonly mmapBase: number;
  /** Lowest address mmap may use (vm.mmap_min_addr). */
  readonly mmapMinAddr: number;
  /** Gap kept below a grows-down stack (stack_guard_gap). */
  readonly stackGuardGap: number;
  /** RLIMIT_STACK: how far the main thread's `[stack]` may grow down (default 8 MiB). */
  readonly stackRlimit?: number;
  /** Bits of mmap_base randomization with ASLR on (mmap_rnd_bits). */
  readonly mmapRandomBits: number;
  /** Range of brk randomization with ASLR on, in bytes. */
  readonly brkRandomRange: number;
  /**
   * Anonymous mappings whose length is a multiple of 2 MiB are placed on a 2 MiB boundary
   * (transparent huge pages, Linux 6.7+, never for 32-bit processes).
   */
  readonly thpAlignAnonymous: boolean;
  /** MAP_STACK sets VM_NOHUGEPAGE (Linux 6.7+), so stacks do not merge with plain mappings. */
  readonly mapStackNoHugepage: boolean;
  /** Thread stacks are labelled `[stack:TID]` in /proc/PID/maps (Linux 3.4 to 4.4). */
  readonly threadStackLabels: boolean;
  /**
   * /proc/PID/maps names `[heap]` only an area overlapping [start_brk, brk) (`vma_is_initial_heap`:
   * Linux 6.18 leaves the .bss area right below the heap unnamed, as
   * `tests/fixtures/c/program_image` shows, and an area mapped at the break, as
   * `tests/fixtures/kernel_facts/heap_name.c` does); else, as older kernels compared (`<=`,
   * `>=`), also an area touching it. Default false.
   */
  readonly heapOverlapOnly?: boolean;
  /** The `[vsyscall]` line printed after all areas (x86_64), or none. */
  readonly gateLine?: string;
  /** vm.overcommit_memory (0 heuristic, 1 always, 2 never). */
  readonly overcommitMemory: 0 | 1 | 2;
  /**
   * RAM plus swap in bytes (`totalram_pages() + total_swap_pages`): with the heuristic
   * overcommit (mode 0) one accounted mapping (private and writable, not MAP_NORESERVE) larger
   * than this fails with ENOMEM (`__vm_enough_memory`). Default: no limit.
   */
  readonly ramAndSwap?: number;
  /** vm.max_map_count: mmap fails with ENOMEM once the process has more areas (default 65530). */
  readonly maxMapCount?: number;
  /**
   * getrandom(2): none before Linux 3.17 (ENOSYS), the system call, or the system call and a
   * vDSO getrandom as well (Linux 6.11+, x86_64 processes).
   */
  readonly getrandom: "none" | "syscall" | "vdso";
}

/** The default of vm.max_map_count (`DEFAULT_MAX_MAP_COUNT`). */
export const DEFAULT_MAX_MAP_COUNT = 65530;

/**
 * RAM (no swap) of the machine that produced the oracle's kernel facts
 * (tests/fixtures/kernel_facts/): MemTotal 24683748 kB.
 */
const ORACLE_MACHINE_RAM = 24683748 * 1024;

const MiB = 1024 * 1024;

/** Linux 6.18 running a 64-bit process, as the oracle's expected-raw outputs were made. */
export const linux618x86_64: KernelProfile = {
  name: "linux-6.18-x86_64",
  release: "6.18",
  bits: 64,
  compat: false,
  taskSize: 0x7ffffffff000,
  mmapBase: 0x7ffffffff000 - 128 * MiB,
  mmapMinAddr: 0x10000,
  stackGuardGap: 256 * 4096,
  mmapRandomBits: 28,
  brkRandomRange: 0x02000000,
  thpAlignAnonymous: true,
  mapStackNoHugepage: true,
  threadStackLabels: false,
  heapOverlapOnly: true,
  gateLine: "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
  overcommitMemory: 0,
  ramAndSwap: ORACLE_MACHINE_RAM,
  getrandom: "vdso",
};

/** Linux 6.18 running a 32-bit (compat) process. */
export const linux618i386: KernelProfile = {
  name: "linux-6.18-i386",
  release: "6.18",
  bits: 32,
  compat: true,
  taskSize: 0xffffe000,
  mmapBase: 0xffffe000 - 128 * MiB,
  mmapMinAddr: 0x10000,
  stackGuardGap: 256 * 4096,
  mmapRandomBits: 8,
  brkRandomRange: 0x02000000,
  thpAlignAnonymous: false,
  mapStackNoHugepage: true,
  threadStackLabels: false,
  heapOverlapOnly: true,
  overcommitMemory: 0,
  ramAndSwap: ORACLE_MACHINE_RAM,
  getrandom: "syscall",
};

/** A 32-bit Linux 3.x kernel (3G/1G split), the machine of the seed material. */
export const linux3i386: KernelProfile = {
  name: "linux-3.13-i386",
  release: "3.13",
  bits: 32,
  compat: false,
  taskSize: 0xc0000000,
  mmapBase: 0xc0000000 - 128 * MiB,
  mmapMinAddr: 0x10000,
  stackGuardGap: 4096,
  mmapRandomBits: 8,
  brkRandomRange: 0x02000000,
  thpAlignAnonymous: false,
  mapStackNoHugepage: false,
  threadStackLabels: true,
  overcommitMemory: 0,
  getrandom: "none",
};

/** All kernel profiles by name. */
export const kernelProfiles: Readonly<Record<string, KernelProfile>> = {
  [linux618x86_64.name]: linux618x86_64,
  [linux618i386.name]: linux618i386,
  [linux3i386.name]: linux3i386,
};
