/**
 * Virtual memory areas (the kernel's `struct vm_area_struct`): one contiguous range of pages with
 * one protection, one backing (anonymous or a file at an offset) and one set of flags.
 *
 * Invariants: `start < end`, both page-aligned; the flags that are not shown in /proc/PID/maps
 * (VM_ACCOUNT, VM_NORESERVE, VM_NOHUGEPAGE, …) are kept because they decide whether two
 * neighbouring areas merge, exactly as in `mm/vma.c`.
 *
 * @module
 */

/** Size of a page on i386 and x86_64. */
export const PAGE_SIZE = 4096;

/** `PROT_*` bits of mmap and mprotect. */
export const PROT_NONE = 0;
/** Pages may be read. */
export const PROT_READ = 1;
/** Pages may be written. */
export const PROT_WRITE = 2;
/** Pages may be executed. */
export const PROT_EXEC = 4;

/** `MAP_*` flags of mmap (x86 values). */
export const MAP_SHARED = 0x01;
/** Private copy-on-write mapping. */
export const MAP_PRIVATE = 0x02;
/** Place the mapping exactly at the address, replacing what is there. */
export const MAP_FIXED = 0x10;
/** Not backed by a file. */
export const MAP_ANONYMOUS = 0x20;
/** Do not reserve swap space (no VM_ACCOUNT). */
export const MAP_NORESERVE = 0x4000;
/** A thread stack (VM_NOHUGEPAGE on Linux 6.7 and later). */
export const MAP_STACK = 0x20000;
/** Like MAP_FIXED, but fail with EEXIST instead of replacing. */
export const MAP_FIXED_NOREPLACE = 0x100000;

/** `MREMAP_*` flags. */
export const MREMAP_MAYMOVE = 1;
/** Move to the given new address. */
export const MREMAP_FIXED = 2;
/** Move the pages but leave the old range mapped (empty): same length, with MREMAP_MAYMOVE. */
export const MREMAP_DONTUNMAP = 4;

/** Kernel VMA flags that matter for merging (not the real VM_* bit values). */
export const VmFlag = {
  /** Committed memory is charged for this area (private writable mappings). */
  ACCOUNT: 1,
  /** Mapped with MAP_NORESERVE. */
  NORESERVE: 2,
  /** Transparent huge pages disabled (MAP_STACK on Linux 6.7+). */
  NOHUGEPAGE: 4,
  /** Grows down ([stack]); has a guard gap below it. */
  GROWSDOWN: 8,
  /** Special mapping ([vdso], [vvar], …): never merges. */
  SPECIAL: 16,
  /** Shared mapping. */
  SHARED: 32,
} as const;

/** The file behind a file mapping, as /proc/PID/maps prints it. */
export interface MappedFile {
  /** Device as `major:minor` in hex, e.g. `fe:00`. */
  readonly dev: string;
  /** Inode number. */
  readonly inode: number;
  /** Path. */
  readonly path: string;
}

/** One virtual memory area. Mutable only inside the address space. */
export interface Vma {
  /** First address (page-aligned). */
  start: number;
  /** One past the last address (page-aligned). */
  end: number;
  /** `PROT_*` bits. */
  prot: number;
  /** {@link VmFlag} bits. */
  flags: number;
  /**
   * Offset in pages: into the file for file mappings; the address in pages at creation for
   * private anonymous mappings (what lets two of them merge).
   */
  pgoff: number;
  /** The backing file, if any. */
  file?: MappedFile;
  /** Name of a special mapping (`[vdso]`, `[vvar]`, `[stack]`, …). */
  name?: string;
  /**
   * Identity of the anon_vma: 0 until a page is first written. Two areas whose anon_vmas are
   * both set and different cannot merge.
   */
  anon: number;
  /** What mapped it, for views ("thread 1 stack", "mmapped chunk", …). */
  owner?: string;
}

/** Number of pages in an area. */
function vmaPages(vma: Vma): number {
  return (vma.end - vma.start) / PAGE_SIZE;
}

/** Rounds up to a page boundary. */
export function pageAlignUp(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** True when `x` is a multiple of the page size. */
export function isPageAligned(x: number): boolean {
  return x % PAGE_SIZE === 0;
}

/**
 * {@link permsText} of every combination of PROT_READ, PROT_WRITE and PROT_EXEC (bits 0–2) and
 * shared (bit 3), made once: a `maps` report prints one per line (80k lines on the 1M threads
 * trace), and a string built per call is garbage.
 */
const PERMS_TEXTS: readonly string[] = Array.from(
  { length: 16 },
  (_, i) =>
    (i & PROT_READ ? "r" : "-") + (i & PROT_WRITE ? "w" : "-") + (i & PROT_EXEC ? "x" : "-") +
    (i & 8 ? "s" : "p"),
);

/** The `rwxp` / `rw-s` permission text of an area. */
export function permsText(vma: Pick<Vma, "prot" | "flags">): string {
  return PERMS_TEXTS[
    (vma.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) | (vma.flags & VmFlag.SHARED ? 8 : 0)
  ];
}

/** Parses `rw-p`-style text into prot bits and the shared flag. */
export function parsePerms(text: string): { prot: number; shared: boolean } | undefined {
  if (!/^[r-][w-][x-][ps]$/.test(text)) return undefined;
  const prot = (text[0] === "r" ? PROT_READ : 0) | (text[1] === "w" ? PROT_WRITE : 0) |
    (text[2] === "x" ? PROT_EXEC : 0);
  return { prot, shared: text[3] === "s" };
}

/** Two anon_vmas can be merged when either is unset or they are the same. */
function anonCompatible(a: number, b: number): boolean {
  return a === 0 || b === 0 || a === b;
}

/**
 * True when `low` (ending where `high` starts) and `high` may become one area: same flags,
 * protection and backing, contiguous offsets, compatible anon_vmas, neither special.
 */
export function canMerge(low: Vma, high: Vma): boolean {
  if (low.end !== high.start) return false;
  if (low.prot !== high.prot || low.flags !== high.flags) return false;
  if ((low.flags | high.flags) & (VmFlag.SPECIAL | VmFlag.GROWSDOWN)) return false;
  if (low.name !== undefined || high.name !== undefined) return false;
  if (!sameFile(low.file, high.file)) return false;
  if (low.pgoff + vmaPages(low) !== high.pgoff) return false;
  return anonCompatible(low.anon, high.anon);
}

function sameFile(a: MappedFile | undefined, b: MappedFile | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.dev === b.dev && a.inode === b.inode && a.path === b.path;
}

/**
 * Throws when an area breaks the invariants (unaligned or empty range).
 */
export function checkVma(vma: Vma): void {
  if (!(vma.start < vma.end) || !isPageAligned(vma.start) || !isPageAligned(vma.end)) {
    throw new Error(`Invalid VMA: ${vma.start.toString(16)}-${vma.end.toString(16)}`);
  }
}
