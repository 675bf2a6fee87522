/**
 * The address space of the simulated process (the kernel's `mm_struct`): its areas, the program
 * break, and the system calls that change them — brk, mmap, munmap, mprotect, mremap, madvise,
 * and exec's mapping of a program's data segment larger than the layout's — with Linux's
 * placement (top-down from mmap_base, 2 MiB alignment of large anonymous mappings on 64-bit
 * kernels 6.7+), splitting and merging (`mm/vma.c`), and errno values.
 *
 * Invariants ({@link AddressSpace.check}): areas are sorted, page-aligned and never overlap; no
 * two neighbouring areas are mergeable after a call that would have merged them.
 *
 * Why over 500 lines: the system calls share the area list and its private split, merge and
 * placement helpers (`#mergeAround`, `#insertAndMerge`, the gap search), which keep the invariants
 * above only together; split apart they would have to expose the list they guard.
 *
 * Over 500 lines: one `AddressSpace` class (about 860 lines), because mmap, munmap, mprotect,
 * madvise, mremap, brk and exec's data segment all edit the same sorted VMA list and must split
 * and merge areas by the same rules and keep the same map count and version.
 *
 * @module
 */

import { ArgumentRangeError, Errno } from "./errors.ts";
import { ACCESS_NONE, ACCESS_UNMAPPED, accessLevel, Memory } from "./memory.ts";
import type { PageMap } from "./page_map.ts";
import { DEFAULT_MAX_MAP_COUNT, type KernelProfile } from "./kernel_profile.ts";
import {
  canMerge,
  checkVma,
  isPageAligned,
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
  pageAlignUp,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type Vma,
  VmFlag,
} from "./vma.ts";

const PMD_SIZE = 2 * 1024 * 1024;

/** A file to map, with the offset in it. */
export interface FileMapping {
  /** The file. */
  readonly file: MappedFile;
  /** Byte offset in the file (page-aligned). */
  readonly offset: number;
}

/** Options of {@link AddressSpace}. */
export interface AddressSpaceOptions {
  /** The kernel. */
  readonly kernel: KernelProfile;
  /** mm->mmap_base (top-down placement starts below it). */
  readonly mmapBase: number;
  /** mm->start_brk. */
  readonly startBrk: number;
  /** mm->brk; defaults to startBrk. */
  readonly brk?: number;
  /** vm.max_map_count (default: the profile's, else 65530). */
  readonly maxMapCount?: number;
  /** RLIMIT_STACK, the most `[stack]` may grow to (default: the profile's, else 8 MiB). */
  readonly stackRlimit?: number;
}

/** The MADV_DONTNEED advice of madvise. */
export const MADV_DONTNEED = 4;
/** madvise advice (Linux 6.13+): make the pages guard pages, faulting on any access. */
export const MADV_GUARD_INSTALL = 102;
/** madvise advice (Linux 6.13+): remove guard pages, which then read as zeros. */
export const MADV_GUARD_REMOVE = 103;

/**
 * A process's areas and break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AddressSpace, linux618x86_64 } from "../../mod.ts";
 * const space = new AddressSpace({
 *   kernel: linux618x86_64,
 *   mmapBase: linux618x86_64.mmapBase,
 *   startBrk: 0x555555555000,
 * });
 * const addr = space.mmap(0, 0x21000, 3, 0x22);
 * assert.equal(addr.toString(16), "7ffff7fde000");
 * ```
 */
export class AddressSpace {
  /** The kernel. */
  readonly kernel: KernelProfile;
  /** The pages behind the areas. */
  readonly memory: Memory;
  /** mm->mmap_base. */
  readonly mmapBase: number;
  #startBrk: number;
  #brk: number;
  #maxMapCount: number;
  /** RLIMIT_STACK: a grows-down area grows on a fault only while it stays this size or less. */
  readonly stackRlimit: number;
  #vmas: Vma[] = [];
  #nextAnon = 1;
  #version = 0;

  /** An address space with no areas and the given break. */
  constructor(options: AddressSpaceOptions) {
    this.kernel = options.kernel;
    this.mmapBase = options.mmapBase;
    this.#startBrk = options.startBrk;
    this.#brk = options.brk ?? options.startBrk;
    this.#maxMapCount = options.maxMapCount ?? options.kernel.maxMapCount ??
      DEFAULT_MAX_MAP_COUNT;
    this.stackRlimit = options.stackRlimit ?? options.kernel.stackRlimit ?? 8 * 1024 * 1024;
    this.memory = new Memory({
      areaAt: (addr) => this.areaAt(addr),
      areasIn: (start, end, visit) => {
        for (let i = this.indexEndingAfter(start); i < this.#vmas.length; i++) {
          const v = this.#vmas[i];
          if (v.start >= end) break;
          visit(v);
        }
      },
      expandStack: (addr) => this.expandStack(addr),
      firstWrite: (vma) => {
        vma.anon = this.#nextAnon++;
      },
      // A negative number is a 64-bit word from 2^63 up: print its unsigned value.
      // The unsigned word: a negative number is a 64-bit word from 2^63 up.
      addressText: (addr) =>
        `0x${BigInt.asUintN(this.kernel.bits, BigInt(Math.trunc(addr))).toString(16)}`,
      bits: this.kernel.bits,
    });
  }

  /** mm->brk: the program break. */
  get brk(): number {
    return this.#brk;
  }

  /**
   * mm->start_brk: where the heap begins, the page after the program's data and bss (set once,
   * by exec: {@link AddressSpace.growProgramData}).
   */
  get startBrk(): number {
    return this.#startBrk;
  }

  /**
   * vm.max_map_count (`sysctl -w vm.max_map_count=N`): mmap and brk fail with ENOMEM while the
   * process has more areas than this, and a munmap, mprotect or madvise that would split an area
   * fails with ENOMEM once it has this many.
   */
  get maxMapCount(): number {
    return this.#maxMapCount;
  }

  set maxMapCount(count: number) {
    if (!Number.isSafeInteger(count) || count < 0 || count > 0x7fff_ffff) {
      throw new ArgumentRangeError("maxMapCount", count, "an integer from 0 to 2^31-1");
    }
    this.#maxMapCount = count;
  }

  /** mm->map_count: the number of areas. */
  get mapCount(): number {
    return this.#vmas.length;
  }

  /**
   * `__vm_enough_memory` for `bytes` of accounted memory: the heuristic (mode 0) refuses only
   * one request larger than RAM plus swap; mode 1 never refuses. Mode 2 (strict accounting) is
   * not modelled and never refuses here.
   */
  #enoughMemory(bytes: number): boolean {
    const limit = this.kernel.ramAndSwap;
    return this.kernel.overcommitMemory !== 0 || limit === undefined || bytes <= limit;
  }

  /** Counter bumped on every change of the areas (for views that cache). */
  get version(): number {
    return this.#version;
  }

  /** The areas in address order (do not modify). */
  areas(): readonly Vma[] {
    return this.#vmas;
  }

  /** The area containing `addr`. */
  areaAt(addr: number): Vma | undefined {
    const i = this.#indexAfter(addr) - 1;
    if (i >= 0 && addr < this.#vmas[i].end) return this.#vmas[i];
    return undefined;
  }

  /** Index of the first area whose start is above `addr`. */
  #indexAfter(addr: number): number {
    let lo = 0, hi = this.#vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#vmas[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Index in {@link AddressSpace.areas} of the first area that ends above `addr` (the areas'
   * count if none): the areas from there on in address order are those at or above `addr`, the
   * first of them holding it when it is mapped. A binary search (the areas never overlap).
   */
  indexEndingAfter(addr: number): number {
    const i = this.#indexAfter(addr);
    return i > 0 && this.#vmas[i - 1].end > addr ? i - 1 : i;
  }

  /**
   * Guard pages (MADV_GUARD_INSTALL): page-table markers, not areas. The area around them is
   * not split and /proc/PID/maps does not show them; any access faults. Numbers of pages.
   */
  #guards = new Set<number>();

  /** Page ranges whose areas changed since the last {@link AddressSpace.#changed}. */
  #dirty: number[] = [];

  #touch(start: number, end: number): void {
    this.#dirty.push(start, end);
  }

  /** Brings the memory's page access levels in step with the areas of the touched ranges. */
  #changed(): void {
    this.#version++;
    const dirty = this.#dirty;
    for (let k = 0; k < dirty.length; k += 2) {
      const start = dirty[k], end = dirty[k + 1];
      // Each page's level set once (each setAccess flushes the TLB over its range): the areas'
      // parts at their levels, the gaps between them unmapped.
      let at = start;
      for (let i = this.indexEndingAfter(start); i < this.#vmas.length; i++) {
        const v = this.#vmas[i];
        if (v.start >= end) break;
        const from = Math.max(start, v.start), to = Math.min(end, v.end);
        if (from > at) this.memory.setAccess(at, from, ACCESS_UNMAPPED);
        this.memory.setAccess(from, to, accessLevel(v.prot));
        at = to;
      }
      if (at < end) this.memory.setAccess(at, end, ACCESS_UNMAPPED);
      if (this.#guards.size > 0) this.#reapplyGuards(start, end);
    }
    dirty.length = 0;
  }

  /** Guard pages of `[start, end)` stay guards while mapped and vanish with their area. */
  #reapplyGuards(start: number, end: number): void {
    for (const page of this.#guards) {
      const at = page * PAGE_SIZE;
      if (at < start || at >= end) continue;
      if (this.areaAt(at)) this.memory.setAccess(at, at + PAGE_SIZE, ACCESS_NONE);
      else this.#guards.delete(page);
    }
  }

  /** True when the page holding `addr` is a guard page (MADV_GUARD_INSTALL). */
  isGuardPage(addr: number): boolean {
    return this.#guards.has(Math.floor(addr / PAGE_SIZE));
  }

  /**
   * Adds an area as it is, without merging: for building an initial address space from a maps
   * text. Throws if it overlaps an existing area.
   */
  insertInitial(vma: Vma): void {
    checkVma(vma);
    const i = this.#indexAfter(vma.start);
    const prev = this.#vmas[i - 1], next = this.#vmas[i];
    if ((prev && prev.end > vma.start) || (next && next.start < vma.end)) {
      throw new Error(
        `Overlapping areas: ${vma.start.toString(16)}-${vma.end.toString(16)} overlaps another`,
      );
    }
    if (vma.anon === -1) vma.anon = this.#nextAnon++;
    this.#vmas.splice(i, 0, vma);
    this.#touch(vma.start, vma.end);
    this.#changed();
  }

  /** A fresh anon_vma identity (for areas that start out written). */
  newAnonId(): number {
    return this.#nextAnon++;
  }

  /** True when no area intersects `[start, end)`. */
  isFree(start: number, end: number): boolean {
    const i = this.indexEndingAfter(start);
    return i >= this.#vmas.length || this.#vmas[i].start >= end;
  }

  /**
   * A fault at `addr`, below a grows-down area (`[stack]`) and in no area, grows that area down
   * to `addr`'s page, as Linux's fault handler does (expand_stack, acct_stack_growth) — unless
   * the area would then exceed RLIMIT_STACK, or come within stack_guard_gap of an accessible
   * area below it, or reach below vm.mmap_min_addr. True when it grew; the pages it gained are
   * untouched (zeros) and keep the area's protection.
   */
  expandStack(addr: number): boolean {
    const i = this.indexEndingAfter(addr);
    const vma = this.#vmas[i];
    if (vma === undefined || !(vma.flags & VmFlag.GROWSDOWN) || addr >= vma.start) return false;
    const start = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    if (start < this.kernel.mmapMinAddr || vma.end - start > this.stackRlimit) return false;
    const prev = i > 0 ? this.#vmas[i - 1] : undefined;
    if (
      prev && !(prev.flags & VmFlag.GROWSDOWN) && prev.prot !== 0 &&
      start - prev.end < this.kernel.stackGuardGap
    ) return false;
    this.#touch(start, vma.start);
    vma.pgoff -= (vma.start - start) / PAGE_SIZE;
    vma.start = start;
    this.#changed();
    return true;
  }

  // --- placement --------------------------------------------------------------------------

  #startGap(vma: Vma): number {
    if (vma.flags & VmFlag.GROWSDOWN) {
      const gap = vma.start - this.kernel.stackGuardGap;
      return gap > vma.start ? 0 : gap;
    }
    return vma.start;
  }

  /**
   * Where the last top-down search from mmap_base ended (0: no such search since areas were last
   * removed), and the largest gap above it: every gap in [#holeCacheTop, mmap_base) is at most
   * #holeCacheSize bytes. A search for more can start at #holeCacheTop and find what a walk from
   * mmap_base would — so placing N mappings one below the other costs O(N log N), not O(N^2).
   * (Linux 2.6's free_area_cache and cached_hole_size; Linux now keeps the largest gap of each
   * subtree of its maple tree.) Removing or shrinking an area forgets it.
   */
  #holeCacheTop = 0;
  #holeCacheSize = 0;

  /** The highest gap in [low, high) that holds `length`, top-down (unmapped_area_topdown). */
  #topDown(length: number, high: number): number {
    const low = Math.max(PAGE_SIZE, this.kernel.mmapMinAddr);
    if (length > high - low) return -Errno.ENOMEM;
    const fromBase = high === this.mmapBase;
    let top = high, skipped = 0;
    if (fromBase && this.#holeCacheTop !== 0 && length > this.#holeCacheSize) {
      top = this.#holeCacheTop;
      skipped = this.#holeCacheSize;
    }
    // Walk the gaps from the highest one below `top` downwards.
    let i = this.indexEndingAfter(top - 1); // first area that ends above top-1
    // Areas at index >= i end above top-1: the gap below area i (or below top) is the first.
    for (;;) {
      const next = this.#vmas[i];
      let gapEnd = next ? Math.min(this.#startGap(next), top) : top;
      if (next && next.start >= top) gapEnd = top;
      const prev = this.#vmas[i - 1];
      const gapStart = prev ? prev.end : low;
      if (gapEnd > gapStart && gapEnd - gapStart >= length && gapEnd - length >= low) {
        if (fromBase) {
          this.#holeCacheTop = gapEnd - length;
          this.#holeCacheSize = skipped;
        }
        return gapEnd - length;
      }
      if (gapEnd > gapStart && gapEnd - gapStart > skipped) skipped = gapEnd - gapStart;
      if (!prev) return -Errno.ENOMEM;
      i--;
      if (prev.end <= low) return -Errno.ENOMEM;
    }
  }

  /** get_unmapped_area for an anonymous or file mapping without MAP_FIXED. */
  #unmappedArea(hint: number, length: number, anonymous: boolean): number {
    const p = this.kernel;
    if (length > p.taskSize) return -Errno.ENOMEM;
    if (hint) {
      const addr = pageAlignUp(hint);
      if (p.taskSize - length >= addr && addr >= p.mmapMinAddr) {
        const i = this.indexEndingAfter(addr);
        const next = this.#vmas[i];
        const prev = this.#vmas[i - 1];
        if ((!next || addr + length <= this.#startGap(next)) && (!prev || addr >= prev.end)) {
          return addr;
        }
      }
    }
    if (p.thpAlignAnonymous && anonymous && !hint && length % PMD_SIZE === 0) {
      const padded = this.#topDown(length + PMD_SIZE, this.mmapBase);
      // The alignment leaves free space inside the padded gap: the hole cache must not skip it.
      this.#holeCacheTop = 0;
      if (padded >= 0) {
        const offSub = (PMD_SIZE - (padded % PMD_SIZE)) % PMD_SIZE;
        return offSub === 0 ? padded + PMD_SIZE : padded + offSub;
      }
    }
    return this.#topDown(length, this.mmapBase);
  }

  // --- area surgery -----------------------------------------------------------------------

  /** Splits areas so that `addr` is a boundary (no area straddles it). */
  #splitAt(addr: number): void {
    const vma = this.areaAt(addr);
    if (!vma || vma.start === addr) return;
    const high: Vma = { ...vma, start: addr, pgoff: vma.pgoff + (addr - vma.start) / PAGE_SIZE };
    vma.end = addr;
    const i = this.#vmas.indexOf(vma);
    this.#vmas.splice(i + 1, 0, high);
  }

  /** Removes every area inside `[start, end)`, splitting those that straddle its ends. */
  #unmapRange(start: number, end: number): void {
    this.#holeCacheTop = 0;
    this.#touch(start, end);
    this.#splitAt(start);
    this.#splitAt(end);
    const i = this.indexEndingAfter(start);
    let j = i;
    while (j < this.#vmas.length && this.#vmas[j].start < end) j++;
    if (j > i) {
      this.#vmas.splice(i, j - i);
      this.memory.discard(start, end);
    }
  }

  /** Merges the area at index `i` with its neighbours where the kernel would. */
  #mergeAround(i: number): number {
    const vma = this.#vmas[i];
    const prev = this.#vmas[i - 1];
    if (prev && canMerge(prev, vma)) {
      const next = this.#vmas[i + 1];
      // Both sides can merge only if the three anon_vmas are compatible.
      prev.end = vma.end;
      prev.anon = prev.anon || vma.anon;
      this.#vmas.splice(i, 1);
      i--;
      if (next && canMerge(prev, next)) {
        prev.end = next.end;
        prev.anon = prev.anon || next.anon;
        this.#vmas.splice(i + 1, 1);
      }
      return i;
    }
    const next = this.#vmas[i + 1];
    if (next && canMerge(vma, next)) {
      vma.end = next.end;
      vma.anon = vma.anon || next.anon;
      this.#vmas.splice(i + 1, 1);
    }
    return i;
  }

  #insertAndMerge(vma: Vma): Vma {
    this.#touch(vma.start, vma.end);
    const i = this.#indexAfter(vma.start);
    this.#vmas.splice(i, 0, vma);
    const j = this.#mergeAround(i);
    return this.#vmas[j];
  }

  // --- system calls -----------------------------------------------------------------------

  /**
   * mmap(2). Returns the address, or `-errno`.
   *
   * @param addr hint, or the exact address with MAP_FIXED / MAP_FIXED_NOREPLACE
   * @param length bytes (rounded up to pages)
   * @param prot PROT_* bits
   * @param flags MAP_* flags (one of MAP_PRIVATE and MAP_SHARED)
   * @param file the file and offset for a file mapping
   * @param owner what the mapping is for, kept for views
   */
  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    file?: FileMapping,
    owner?: string,
  ): number {
    const type = flags & (MAP_SHARED | MAP_PRIVATE);
    if (type !== MAP_SHARED && type !== MAP_PRIVATE) return -Errno.EINVAL;
    if (length === 0 || !Number.isFinite(length)) return -Errno.EINVAL;
    // A negative length is a size_t above 2^63: more than user space.
    if (length < 0) return -Errno.ENOMEM;
    // mmap ignores prot bits it does not know (PROT_GROWSDOWN, 0x10: kernel_facts/mremap.c).
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    const anonymous = (flags & MAP_ANONYMOUS) !== 0;
    if (!anonymous && !file) return -Errno.EINVAL;
    if (file && !isPageAligned(file.offset)) return -Errno.EINVAL;
    const len = pageAlignUp(length);
    if (len > this.kernel.taskSize) return -Errno.ENOMEM;
    const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
    if (this.#vmas.length > this.#maxMapCount) return -Errno.ENOMEM;
    let start: number;
    if (fixed) {
      // __get_unmapped_area's order: range, alignment, then security_mmap_addr (page 0 and
      // the rest below vm.mmap_min_addr need CAP_SYS_RAWIO, which a process lacks).
      if (addr < 0 || addr > this.kernel.taskSize - len) return -Errno.ENOMEM;
      if (!isPageAligned(addr)) return -Errno.EINVAL;
      if (addr < this.kernel.mmapMinAddr) return -Errno.EPERM;
      if ((flags & MAP_FIXED_NOREPLACE) && !this.isFree(addr, addr + len)) return -Errno.EEXIST;
      start = addr;
    } else {
      // A hint above TASK_SIZE (a negative 64-bit word too) is no use: placed as without one.
      let hint = addr < 0 || addr > this.kernel.taskSize ? 0 : addr;
      if (hint && hint < this.kernel.mmapMinAddr) hint = pageAlignUp(this.kernel.mmapMinAddr);
      start = this.#unmappedArea(hint, len, anonymous && type === MAP_PRIVATE);
      if (start < 0) return start;
    }
    const shared = type === MAP_SHARED;
    let vmFlags = 0;
    if (shared) vmFlags |= VmFlag.SHARED;
    if ((flags & MAP_NORESERVE) && this.kernel.overcommitMemory !== 2) {
      vmFlags |= VmFlag.NORESERVE;
    }
    if (!shared && (prot & PROT_WRITE) && !(vmFlags & VmFlag.NORESERVE)) {
      vmFlags |= VmFlag.ACCOUNT;
    }
    if ((flags & MAP_STACK) && this.kernel.mapStackNoHugepage) vmFlags |= VmFlag.NOHUGEPAGE;
    if ((vmFlags & VmFlag.ACCOUNT) && !this.#enoughMemory(len)) return -Errno.ENOMEM;
    if (fixed) this.#unmapRange(start, start + len);
    const vma: Vma = {
      start,
      end: start + len,
      prot,
      flags: vmFlags,
      pgoff: file ? file.offset / PAGE_SIZE : (shared ? 0 : start / PAGE_SIZE),
      file: file?.file,
      anon: 0,
      owner,
    };
    if (shared && anonymous) {
      // Shared anonymous memory is a shmem file: it never merges with its neighbours.
      vma.file = { dev: "00:01", inode: this.#nextAnon++, path: "/dev/zero (deleted)" };
      this.#vmas.splice(this.#indexAfter(start), 0, vma);
      this.#touch(vma.start, vma.end);
    } else {
      this.#insertAndMerge(vma);
    }
    this.#changed();
    return start;
  }

  /** munmap(2). Returns 0 or `-errno`. */
  munmap(addr: number, length: number): number {
    // A negative address is a 64-bit word from 2^63 up: above TASK_SIZE.
    if (!isPageAligned(addr) || addr < 0) return -Errno.EINVAL;
    if (length <= 0 || !Number.isFinite(length)) return -Errno.EINVAL;
    const len = pageAlignUp(length);
    if (len > this.kernel.taskSize || addr > this.kernel.taskSize - len) return -Errno.EINVAL;
    // Splitting one area in three needs a free slot under vm.max_map_count.
    const vma = this.areaAt(addr);
    if (
      vma && vma.start < addr && addr + len < vma.end && this.#vmas.length >= this.#maxMapCount
    ) {
      return -Errno.ENOMEM;
    }
    this.#unmapRange(addr, addr + len);
    this.#changed();
    return 0;
  }

  /** mprotect(2). Returns 0 or `-errno`; areas before a hole are already changed. */
  mprotect(addr: number, length: number, prot: number): number {
    if (!isPageAligned(addr)) return -Errno.EINVAL;
    if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0) return -Errno.EINVAL;
    if (!Number.isFinite(length)) return -Errno.EINVAL;
    const len = pageAlignUp(length);
    const end = addr + len;
    // A negative length is a size_t above 2^63: start + len wraps around.
    if (length < 0 || end > this.kernel.taskSize) return -Errno.ENOMEM;
    if (len === 0) return 0;
    let vma = this.areaAt(addr);
    if (!vma) return -Errno.ENOMEM;
    let nstart = addr;
    for (;;) {
      const tmp = Math.min(vma.end, end);
      const error = this.#protectPiece(vma, nstart, tmp, prot);
      if (error) {
        this.#changed();
        return error;
      }
      nstart = tmp;
      if (nstart >= end) break;
      const next = this.areaAt(nstart);
      if (!next) {
        this.#changed();
        return -Errno.ENOMEM;
      }
      vma = next;
    }
    this.#changed();
    return 0;
  }

  /** Changes `[start, end)` of `vma` to `prot`: 0, or `-ENOMEM` when a split is refused. */
  #protectPiece(vma: Vma, start: number, end: number, prot: number): number {
    let flags = vma.flags;
    if (prot & PROT_WRITE) {
      if (
        !(vma.prot & PROT_WRITE) && !(flags & (VmFlag.ACCOUNT | VmFlag.NORESERVE | VmFlag.SHARED))
      ) {
        flags |= VmFlag.ACCOUNT;
      }
    } else if ((flags & VmFlag.ACCOUNT) && !vma.file && vma.anon === 0) {
      flags &= ~VmFlag.ACCOUNT;
    }
    if (prot === vma.prot && flags === vma.flags) return 0;
    if (this.#vmas.length >= this.#maxMapCount && (start > vma.start || end < vma.end)) {
      // split_vma refuses at the limit, unless the piece merges into its neighbour instead.
      const i = this.#vmas.indexOf(vma);
      const prev = this.#vmas[i - 1], next = this.#vmas[i + 1];
      const pgoff = vma.pgoff + (start - vma.start) / PAGE_SIZE;
      const changed = { ...vma, start, end, prot, flags, pgoff };
      const intoPrev = start === vma.start && prev !== undefined && canMerge(prev, changed);
      const intoNext = end === vma.end && next !== undefined && canMerge(changed, next);
      if (!intoPrev && !intoNext) return -Errno.ENOMEM;
    }
    if (
      (flags & VmFlag.ACCOUNT) && !(vma.flags & VmFlag.ACCOUNT) && !this.#enoughMemory(end - start)
    ) {
      return -Errno.ENOMEM;
    }
    this.#touch(start, end);
    this.#splitAt(start);
    this.#splitAt(end);
    const i = this.#indexAfter(start) - 1;
    const piece = this.#vmas[i];
    piece.prot = prot;
    piece.flags = flags;
    this.#mergeAround(i);
    return 0;
  }

  /**
   * madvise(2): MADV_DONTNEED drops the pages (anonymous ones read back as zeros);
   * MADV_GUARD_INSTALL turns them into guard pages (dropped, and any access faults with SIGSEGV,
   * the area neither split nor marked in the maps), MADV_GUARD_REMOVE turns them back (zeros);
   * other advice is accepted and ignored.
   */
  madvise(addr: number, length: number, advice: number): number {
    if (!isPageAligned(addr) || length < 0 || addr < 0) return -Errno.EINVAL;
    const len = pageAlignUp(length);
    if (len === 0) return 0;
    const end = addr + len;
    // Like Linux, walk only the areas in the range; a hole makes the call ENOMEM, but the areas
    // around it are still advised.
    let covered = addr, hole = false;
    for (let i = this.indexEndingAfter(addr); i < this.#vmas.length; i++) {
      const v = this.#vmas[i];
      if (v.start >= end) break;
      if (v.start > covered) hole = true;
      const from = Math.max(addr, v.start), to = Math.min(end, v.end);
      if (advice === MADV_DONTNEED) {
        this.memory.discard(from, to);
      } else if (advice === MADV_GUARD_INSTALL || advice === MADV_GUARD_REMOVE) {
        this.memory.discard(from, to);
        for (let page = from / PAGE_SIZE; page < to / PAGE_SIZE; page++) {
          if (advice === MADV_GUARD_INSTALL) this.#guards.add(page);
          else this.#guards.delete(page);
        }
        this.#touch(from, to);
      }
      covered = v.end;
    }
    if (covered < end) hole = true;
    if (advice === MADV_GUARD_INSTALL || advice === MADV_GUARD_REMOVE) this.#changed();
    return hole ? -Errno.ENOMEM : 0;
  }

  /**
   * mremap(2): shrink in place, grow in place when the pages above are free, or move
   * (MREMAP_MAYMOVE). Returns the new address or `-errno`.
   */
  mremap(
    oldAddr: number,
    oldLength: number,
    newLength: number,
    flags: number,
    newAddr = 0,
  ): number {
    // check_mremap_params, in the kernel's order (tests/fixtures/kernel_facts/mremap.c).
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -Errno.EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -Errno.EINVAL;
    if (!isPageAligned(oldAddr)) return -Errno.EINVAL;
    const oldLen = pageAlignUp(oldLength), newLen = pageAlignUp(newLength);
    if (newLen === 0) return -Errno.EINVAL;
    const dontUnmap = (flags & MREMAP_DONTUNMAP) !== 0;
    if (dontUnmap && (!(flags & MREMAP_MAYMOVE) || oldLen !== newLen)) return -Errno.EINVAL;
    // Negative lengths are size_t values above 2^63: far more than user space.
    if (oldLength < 0 || newLength < 0 || newLen > this.kernel.taskSize) {
      return flags & MREMAP_FIXED ? -Errno.EINVAL : -Errno.ENOMEM;
    }
    const taskSize = this.kernel.taskSize;
    if (flags & MREMAP_FIXED) {
      if (!isPageAligned(newAddr)) return -Errno.EINVAL;
      if (newAddr < 0 || newAddr > taskSize - newLen) return -Errno.EINVAL;
      // The new range may not overlap the old one (identical ranges included).
      if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen) return -Errno.EINVAL;
    } else if (dontUnmap && !isPageAligned(newAddr)) {
      return -Errno.EINVAL;
    }
    const vma = this.areaAt(oldAddr);
    if (!vma || oldAddr + oldLen > vma.end) return -Errno.EFAULT;
    if (flags & MREMAP_FIXED) {
      // security_mmap_addr: below vm.mmap_min_addr needs CAP_SYS_RAWIO, which we lack.
      if (newAddr < this.kernel.mmapMinAddr) return -Errno.EPERM;
      if (this.#vmas.length >= this.#maxMapCount - 3) return -Errno.ENOMEM;
      return this.#moveArea(vma, oldAddr, oldLen, newLen, newAddr, dontUnmap);
    }
    if (dontUnmap) {
      if (this.#vmas.length >= this.#maxMapCount - 3) return -Errno.ENOMEM;
      const hint = newAddr > 0 && newAddr <= taskSize ? newAddr : 0;
      const target = this.#unmappedArea(hint, newLen, false);
      if (target < 0) return target;
      return this.#moveArea(vma, oldAddr, oldLen, newLen, target, true);
    }
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.#unmapRange(oldAddr + newLen, oldAddr + oldLen);
      this.#changed();
      return oldAddr;
    }
    const growth = newLen - oldLen;
    if ((vma.flags & VmFlag.ACCOUNT) && !this.#enoughMemory(growth)) return -Errno.ENOMEM;
    if (oldAddr + oldLen === vma.end) {
      const i = this.#vmas.indexOf(vma);
      const next = this.#vmas[i + 1];
      const want = oldAddr + newLen;
      if (want <= taskSize && (!next || want <= this.#startGap(next))) {
        this.#touch(vma.end, want);
        vma.end = want;
        if (next && canMerge(vma, next)) {
          vma.end = next.end;
          this.#vmas.splice(i + 1, 1);
        }
        this.#changed();
        return oldAddr;
      }
    }
    if (!(flags & MREMAP_MAYMOVE)) return -Errno.ENOMEM;
    if (this.#vmas.length >= this.#maxMapCount - 3) return -Errno.ENOMEM;
    const target = this.#unmappedArea(0, newLen, false);
    if (target < 0) return target;
    return this.#moveArea(vma, oldAddr, oldLen, newLen, target);
  }

  /**
   * move_vma: the pages of `[oldAddr, oldAddr + oldLen)` go to `target`; the old range is
   * unmapped, or with MREMAP_DONTUNMAP stays mapped and reads as zeros.
   */
  #moveArea(
    vma: Vma,
    oldAddr: number,
    oldLen: number,
    newLen: number,
    target: number,
    dontUnmap = false,
  ): number {
    const pgoff = vma.pgoff + (oldAddr - vma.start) / PAGE_SIZE;
    const copy: Vma = { ...vma, start: target, end: target + newLen, pgoff };
    const keep = Math.min(oldLen, newLen);
    this.#unmapRange(target, target + newLen);
    this.memory.move(oldAddr, target, keep);
    const anon = vma.anon;
    if (dontUnmap) {
      // The moved area is a new anonymous area of its own; the old one keeps its identity.
      if (!vma.file) copy.pgoff = target / PAGE_SIZE;
      this.#touch(oldAddr, oldAddr + oldLen);
    } else {
      this.#unmapRangeKeepingPages(oldAddr, oldAddr + oldLen);
    }
    copy.anon = anon;
    this.#insertAndMerge(copy);
    this.#changed();
    return target;
  }

  #unmapRangeKeepingPages(start: number, end: number): void {
    this.#holeCacheTop = 0;
    this.#touch(start, end);
    this.#splitAt(start);
    this.#splitAt(end);
    const i = this.indexEndingAfter(start);
    let j = i;
    while (j < this.#vmas.length && this.#vmas[j].start < end) j++;
    this.#vmas.splice(i, j - i);
  }

  /**
   * The brk system call: moves the break and returns the new one, or the old one when the
   * kernel refuses (below start_brk, or colliding with the next mapping).
   */
  brkSyscall(requested: number): number {
    const origBrk = this.#brk;
    if (requested < this.startBrk || requested > this.kernel.taskSize) return origBrk;
    const newBrk = pageAlignUp(requested);
    const oldBrk = pageAlignUp(this.#brk);
    if (oldBrk === newBrk) {
      this.#brk = requested;
      return requested;
    }
    if (requested <= this.#brk) {
      this.#brk = requested;
      this.#unmapRange(newBrk, oldBrk);
      this.#changed();
      return requested;
    }
    // do_brk_flags: the area count, then the memory, then the mappings above.
    if (this.#vmas.length > this.#maxMapCount) return origBrk;
    if (!this.#enoughMemory(newBrk - oldBrk)) return origBrk;
    // Check against existing mappings: a page of clearance below the next one.
    const i = this.indexEndingAfter(oldBrk);
    const next = this.#vmas[i];
    if (next && newBrk + PAGE_SIZE > this.#startGap(next)) return origBrk;
    const prev = this.#vmas[i - 1];
    const flags = VmFlag.ACCOUNT;
    const prot = PROT_READ | PROT_WRITE;
    this.#touch(oldBrk, newBrk);
    if (
      prev && prev.end === oldBrk && prev.start >= this.startBrk && prev.flags === flags &&
      prev.prot === prot && !prev.file && !prev.name
    ) {
      prev.end = newBrk;
    } else {
      this.#vmas.splice(i, 0, {
        start: oldBrk,
        end: newBrk,
        prot,
        flags,
        pgoff: oldBrk / PAGE_SIZE,
        anon: 0,
        owner: "heap",
      });
    }
    this.#brk = requested;
    this.#changed();
    return requested;
  }

  /**
   * True when the area is the `[heap]`: it overlaps [start_brk, brk) (`vma_is_initial_heap`, the
   * kernel profile's `heapOverlapOnly`), or on older kernels also touches it, so that the
   * anonymous area just below start_brk took the name.
   */
  isHeap(vma: Vma): boolean {
    if (vma.file || vma.name) return false;
    if (this.kernel.heapOverlapOnly) return vma.start < this.#brk && vma.end > this.#startBrk;
    return vma.start <= this.#brk && vma.end >= this.#startBrk;
  }

  /**
   * exec's mapping of the program's writable segment when it is larger than the layout's
   * (`load_elf_binary`): the program's last writable file area, `data`, grown to the page
   * holding `fileEnd` (where the segment's bytes from the file end: .data), an anonymous area
   * from there to the page holding `end` (the zero-filled rest: .bss), and the break — start_brk
   * and brk — moved up by as much, keeping its distance from the data (0 with ASLR off). Before
   * the program runs: the break must not have moved, and the pages must be free. The new
   * anonymous area and a heap above it stay two areas, as Linux keeps them (brk never merges
   * below start_brk).
   */
  growProgramData(data: Vma, fileEnd: number, end: number): void {
    if (!this.#vmas.includes(data) || !data.file || !(data.prot & PROT_WRITE)) {
      throw new ArgumentRangeError("data", data, "one of the program's writable file areas");
    }
    if (this.#brk !== this.#startBrk) {
      throw new ArgumentRangeError("brk", this.#brk, "the break where exec left it");
    }
    const fileTop = Math.max(data.end, pageAlignUp(fileEnd));
    const top = Math.max(fileTop, pageAlignUp(end));
    if (!Number.isSafeInteger(end) || fileEnd > end || top > this.kernel.taskSize) {
      throw new ArgumentRangeError("end", end, "an address at or above fileEnd in user space");
    }
    const shift = top - data.end;
    if (shift === 0) return;
    const gap = this.#startBrk - data.end;
    if (gap < 0 || !this.isFree(data.end, top + gap)) {
      throw new ArgumentRangeError("end", end, "an end below the next area and the break");
    }
    this.#touch(data.end, top);
    data.end = fileTop;
    if (top > fileTop) {
      const i = this.#indexAfter(fileTop);
      const flags = VmFlag.ACCOUNT, prot = PROT_READ | PROT_WRITE;
      const pgoff = fileTop / PAGE_SIZE;
      this.#vmas.splice(i, 0, {
        start: fileTop,
        end: top,
        prot,
        flags,
        pgoff,
        anon: 0,
        owner: "bss",
      });
    }
    this.#startBrk += shift;
    this.#brk = this.#startBrk;
    this.#changed();
  }

  // --- snapshots ------------------------------------------------------------------------------

  /** Frozen copies of the areas, reused while they have not changed. */
  #captured: AddressSpaceState | undefined;

  /**
   * The areas, break and pages as they are now; later calls change nothing in it. Without
   * `pages` (a history keeping the memory's journal instead) the pages are left out (null).
   */
  captureState(pages = true): AddressSpaceState {
    const c = this.#captured;
    const map = pages ? this.memory.snapshotPages() : null;
    if (
      c && c.version === this.#version && c.nextAnon === this.#nextAnon && c.brk === this.#brk &&
      c.startBrk === this.#startBrk
    ) {
      return c.pages === map ? c : { ...c, pages: map };
    }
    const vmas = this.#vmas.map((v) => Object.freeze({ ...v }));
    this.#captured = {
      vmas,
      brk: this.#brk,
      startBrk: this.#startBrk,
      nextAnon: this.#nextAnon,
      version: this.#version,
      pages: map,
    };
    return this.#captured;
  }

  /**
   * Returns to a captured state (of this address space or, for fork, of another with the same
   * layout): areas, break, anon_vma numbering and pages. Access levels change only for the
   * ranges of areas that differ.
   */
  restoreState(state: AddressSpaceState): void {
    const key = (v: Vma) => `${v.start}:${v.end}:${v.prot}`;
    const oldKeys = new Set(this.#vmas.map(key)), newKeys = new Set(state.vmas.map(key));
    for (const v of this.#vmas) if (!newKeys.has(key(v))) this.#touch(v.start, v.end);
    for (const v of state.vmas) if (!oldKeys.has(key(v))) this.#touch(v.start, v.end);
    this.#vmas = state.vmas.map((v) => ({ ...v }));
    this.#holeCacheTop = 0; // other areas: the gaps above the cached search are unknown
    this.#brk = state.brk;
    this.#startBrk = state.startBrk;
    this.#nextAnon = state.nextAnon;
    this.#changed();
    if (state.pages !== null) this.memory.restorePages(state.pages);
    this.#captured = { ...state, version: this.#version };
  }

  /**
   * Throws if the areas break the invariants: each is page-aligned and non-empty, they are
   * sorted and never overlap, and no two neighbours could be one area (Linux merges them), but
   * for the heap's first area and the one below start_brk.
   */
  check(): void {
    let previous: Vma | undefined;
    for (const vma of this.#vmas) {
      checkVma(vma);
      if (previous && vma.start < previous.end) {
        throw new Error(`Overlapping areas at 0x${vma.start.toString(16)}`);
      }
      // (brk never merges the heap into the area below start_brk)
      if (previous && canMerge(previous, vma) && vma.start !== this.#startBrk) {
        throw new Error(`Unmerged neighbouring areas at 0x${vma.start.toString(16)}`);
      }
      previous = vma;
    }
  }
}

/** What a snapshot keeps of an address space (see {@link AddressSpace.captureState}). */
export interface AddressSpaceState {
  /** The areas, frozen. */
  readonly vmas: readonly Vma[];
  /** The program break. */
  readonly brk: number;
  /** mm->start_brk. */
  readonly startBrk: number;
  /** The next anon_vma identity. */
  readonly nextAnon: number;
  /** The change counter when captured. */
  readonly version: number;
  /** The pages' bytes (null: not captured, the memory's journal has them). */
  readonly pages: PageMap | null;
}
