/**
 * Physical memory of the simulated process: sparse 4 KiB pages created on the first write,
 * read and written little-endian, every access checked against the protection of the page it
 * touches. An untouched page reads as zeros without being created, as the kernel's zero page.
 *
 * Layout, for speed: a two-level page table. A directory covers 65536 pages (256 MiB) and holds
 * one access level per page (unmapped, no access, read, read-write — kept in step with the areas
 * by the address space through {@link Memory.setAccess}) and the page's bytes once written.
 * In front of the table sits a TLB: a small direct-mapped cache from page number to the page's
 * readable view (its bytes when it has bytes and may be read) and writable view (when it may
 * also be written in place), filled by the slow path. An aligned access to a page in the TLB
 * costs two integer masks of the address, one compare and a typed-array access, small enough
 * for V8 to inline into its callers, and it touches a few hot cache lines instead of the
 * directory's 65536-entry arrays; everything else — a page not in the TLB, an untouched page,
 * page-crossing or unaligned accesses, faults, the first write to a page — takes the slow
 * path. A bad access throws a {@link SegmentationFault}, never a JavaScript error.
 *
 * Pages come from a {@link PagePool}, which recycles dropped ones and carves new ones from a
 * page store (one host buffer shared by the memories of this JS process, see page_pool.ts): a
 * page is a `Uint32Array` of its 4 KiB, and byte views of it start at its `byteOffset`. The TLB
 * keeps only pages of the pool's store, as their word offsets in the store's one view, so an
 * access loads the entry and then the bytes, with no view of a page or of a slab to load in
 * between (each was one dependent load more on every access). A page from elsewhere (a slab of a pool
 * whose store was full, a page restored from another memory's snapshot) is read and written
 * through the slow path.
 *
 * A second TLB may be kept outside the class, over the same store: the WebAssembly code that
 * reads and writes the store's pages in place (the allocator's tcache tier) keeps one in the
 * store itself ({@link ShadowTlb}). It is filled only through {@link Memory.shadowFill}, which
 * answers as this TLB holds the page, and each entry this TLB drops ({@link Memory.setAccess},
 * `#setPage`, snapshots, a page known zero, a whole flush) is dropped there too: its entries
 * are always entries this TLB could hold.
 *
 * Scale, as Linux: memory grows with the pages touched, not with the size mapped. A directory is
 * made only when an access reaches it, its levels then read from the areas; until then
 * {@link Memory.setAccess} has nothing to update there, so a 1 TiB `PROT_NONE` reservation costs
 * nothing; and a directory's page array is made in groups of 1024 pages, each on the first write
 * to one of its pages. Nor does a new memory fill its TLB: see `tlbRead` for why its zeros are
 * empty entries.
 *
 * Invariants: a page has bytes only if its area has an anon_vma (the first write gives it one);
 * a TLB entry's readable view (seen through the store) is `pages[i]` (the store's zero page
 * when it has no bytes) if `levels[i] >= ACCESS_READ` and that view is in the store, else
 * none, and its writable view is `pages[i]` if `levels[i] >= ACCESS_WRITE`, the page is in the
 * store and private (no snapshot holds it) and no journal is kept (see the end of the class),
 * else none — while a journal is kept, that view is the entry's journal view instead, which the
 * slow write paths write through and log; so whatever changes a page's bytes, level or
 * privacy flushes its TLB entry ({@link Memory.setAccess}, `#setPage`, snapshots). Only a page
 * that nothing but its directory holds goes back to the pool when dropped.
 *
 * Why over 500 lines: each access width (8, 16, 32 and 64 bits, read and write) has its own
 * fast path written out, small enough for V8 to inline into its callers; one generic routine
 * would be shorter and slower on the path every simulated load and store takes.
 *
 * Over 500 lines: one `Memory` class (about 1000 lines) whose read/write paths, page directory,
 * TLB, page snapshots and undo journal all work on the same private page tables;
 * splitting them would expose those tables outside the class.
 *
 * @module
 */

import { type AccessKind, ArgumentRangeError, SegmentationFault } from "./errors.ts";
import { diffPageMaps, editPageMap, PAGE_NODE_BYTES, type PageMap } from "./page_map.ts";
import { PagePool, slabOf } from "./page_pool.ts";
import { PAGE_SIZE, type Vma } from "./vma.ts";
import { joinWord64 } from "./word.ts";

/** What memory needs from the address space: the area that holds an address. */
export interface AreaLookup {
  /** The area containing `addr`, if any. */
  areaAt(addr: number): Vma | undefined;
  /** Calls `visit` for each area that intersects `[start, end)`, in address order. */
  areasIn(start: number, end: number, visit: (vma: Vma) => void): void;
  /** Called on the first write to a page of `vma` that has no anon_vma yet. */
  firstWrite(vma: Vma): void;
  /**
   * Called on an access to an address no area holds: grows the grows-down area above it down
   * to its page if the kernel would (expand_stack); true when it did.
   */
  expandStack?(addr: number): boolean;
  /** Text of an address for fault messages. */
  addressText(addr: number): string;
  /** Word size of the process (default 64): decides how out-of-range addresses fault. */
  readonly bits?: 32 | 64;
}

/** Access level of a page: nothing mapped. */
export const ACCESS_UNMAPPED = 0;
/** Access level of a page: mapped PROT_NONE. */
export const ACCESS_NONE = 1;
/** Access level of a page: readable (PROT_READ or PROT_EXEC; x86 cannot map write-only). */
export const ACCESS_READ = 2;
/** Access level of a page: readable and writable. */
export const ACCESS_WRITE = 3;

/** The access level of pages mapped with the `PROT_*` bits `prot`. */
export function accessLevel(prot: number): number {
  return prot === 0 ? ACCESS_NONE : prot & 2 ? ACCESS_WRITE : ACCESS_READ;
}

const DIR_PAGES = 65536;
/** {@link Memory.onGrowth} is called once per this many pages first written (1 MiB). */
export const GROWTH_PAGES = 256;
/** Entries of the directory cache (a power of two). */
const DIR_CACHE = 16;
/**
 * Entries of the TLB (a power of two): 32768 pages (128 MiB). A 1M-operation trace's heaps span
 * 12–50k pages, and at 4096 entries conflict misses sent 6% more of the threads trace's accesses
 * down the slow path. Thread arenas' heaps are 64 MiB-aligned (glibc's HEAP_MAX_SIZE), so at
 * 16384 entries the same page of every heap — the first holds the heap header and the arena's
 * `malloc_state`, read on every call — shared one entry: 894k TLB fills on the 1M threads trace,
 * 555k at 32768 (heaps two apart share), 225k at 65536, 20k at 131072. Larger costs every
 * `Memory` when it is made: an array of 65536 views is made in V8's large-object space, in
 * fresh memory (a `Process` took 1.4 instead of 0.5 ms to make, and the malloc tests ran 30%
 * longer). Folding the higher bits into the index (`no ^ (no >>> 6)`) left 14k, but with two
 * more operations on every access it was no faster on the threads trace and 5–13% slower on
 * the small one (interleaved A/B). Tried again with the integer index of the fast paths below
 * (`((addr >>> 12) ^ (addr >>> 19)) & 32767`: the allocator alone on the 1M threads trace
 * filled 42k entries instead of 396k, small and mixed as many as before): no change beyond
 * the noise on threads or small, whole replay or allocator alone; a miss costs little.
 */
const TLB_SIZE = 32768;
// The fast paths (read16 … write64) find an address's entry without dividing it by the page
// size: `addr & 4088` (4096 - 8 for a 64-bit access) is its offset in the page with the bits
// below the access's alignment cleared, and `(addr >>> 12) & 32767` the page number modulo
// TLB_SIZE (both through the address's low 32 bits, exact for any integer). A TLB entry's tag
// is its page's address, so `tag === addr - off` holds only for an aligned address in that
// page: a misaligned, negative, fractional or NaN address never equals a page's address, and
// takes the slow path. Against `Math.floor(addr / 4096)` that is a float division and rounding
// fewer on every access and 31 bytes less bytecode. They spell PAGE_SIZE - width, log2(PAGE_SIZE)
// and TLB_SIZE - 1 as 32767 as literals, which make less bytecode than constants;
// tests/kernel/memory_literals_test.ts fails when they and the constants disagree.
//
// Each fast path is the TLB test and a call of an in-page helper (word64At …), each at most 75
// bytes of bytecode: V8 inlines a callee that small with a HeapNumber argument (an x86_64
// address) into any caller without counting it against the caller's budget of 920 inlined
// bytes, in Turbofan and in Maglev (which inlines nothing above 100 bytes). In one function of
// 117 bytes, read64 took that budget from the allocator's paths, which then called their
// parts with boxed addresses (a warm small replay allocated 96 MB of HeapNumbers, now 64;
// bench/README.md). tests/kernel/memory_inlining_test.ts holds them to that size. For the
// same reason the fields and methods they use are TypeScript-private, not `#`: a `#` field
// costs a context load in each access's bytecode and a `#` method a brand check.

/**
 * Pages per group of a directory's page array (4 MiB): a group is made when one of its pages
 * first gets bytes. One array of 65536 entries per directory cost 2–3 ms to make in a fresh
 * process (256 KiB of fresh memory a directory, made for each 256 MiB region a process touches,
 * the heap, the stacks and libc at least), for pages a replay mostly never writes.
 */
const GROUP_PAGES = 1024;
/** log2(GROUP_PAGES): page `lo` of a directory is in its group `lo >>> GROUP_SHIFT`. */
const GROUP_SHIFT = 10;

/** The page table of 65536 pages (256 MiB): their access levels and their bytes once written. */
class Directory {
  /** Its number: it holds pages `hi * DIR_PAGES` to `hi * DIR_PAGES + DIR_PAGES - 1`. */
  readonly hi: number;
  /** Access level per page. */
  readonly levels = new Uint8Array(DIR_PAGES);
  /** Pages with bytes in this directory. */
  resident = 0;
  /** Bytes per page, as 32-bit words, once written; in groups of GROUP_PAGES pages. */
  readonly #groups: ((Uint32Array | undefined)[] | undefined)[] = new Array(
    DIR_PAGES / GROUP_PAGES,
  );

  constructor(hi: number) {
    this.hi = hi;
  }

  /** The bytes of page `lo`, if it has any. */
  page(lo: number): Uint32Array | undefined {
    const group = this.#groups[lo >>> GROUP_SHIFT];
    return group === undefined ? undefined : group[lo & (GROUP_PAGES - 1)];
  }

  /** Sets the bytes of page `lo` (undefined: none); the caller keeps `resident`. */
  setPage(lo: number, page: Uint32Array | undefined): void {
    let group = this.#groups[lo >>> GROUP_SHIFT];
    if (group === undefined) {
      if (page === undefined) return;
      group = this.#groups[lo >>> GROUP_SHIFT] = new Array(GROUP_PAGES);
    }
    group[lo & (GROUP_PAGES - 1)] = page;
  }

  /** The first page of `[from, to)` that may have bytes (`to` if none): skips empty groups. */
  nextPage(from: number, to: number): number {
    let lo = from;
    while (lo < to && this.#groups[lo >>> GROUP_SHIFT] === undefined) {
      lo = (lo | (GROUP_PAGES - 1)) + 1;
    }
    return Math.min(lo, to);
  }
}

const TWO32 = 0x1_0000_0000;

/**
 * A TLB that code outside the class keeps over the memory's store (see the module). Page `no`
 * has entry `no % n` (n the arrays' length, a power of two) and there the tag
 * `Math.floor(no / n)` — integers, which WebAssembly compares without a conversion — when it may
 * be read (`readTags`) and written in place (`writeTags`); an empty entry's tag is -1. The
 * memory drops its entries and counts what it dropped.
 */
export interface ShadowTlb {
  /** Per entry, the tag of the page it holds when that page may be read; else -1. */
  readonly readTags: Int32Array;
  /** Per entry, the same page's tag when it may also be written in place; else -1. */
  readonly writeTags: Int32Array;
  /** Entries dropped one by one. */
  dropped: number;
  /** Sweeps of every entry (for a range of more pages than entries). */
  flushed: number;
}

/**
 * The journal TLB of every memory that keeps no journal: all empty (NaN), shared and never
 * written, so that a memory costs no more to make than before the journal had a TLB.
 */
const NO_JOURNAL_TAGS = new Float64Array(TLB_SIZE).fill(NaN);

/** A TLB tag array whose entries are all empty: zeros (see `tlbRead`), NaN in entry 0. */
function emptyTags(): Float64Array {
  const tags = new Float64Array(TLB_SIZE);
  tags[0] = NaN;
  return tags;
}

/**
 * Page-granular sparse memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../../mod.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const addr = proc.sys.mmap(0, 4096, 3, 0x22);
 * proc.memory.write64(addr, 0x1234);
 * assert.equal(proc.memory.read64(addr), 0x1234);
 * ```
 */
export class Memory {
  #dirs = new Map<number, Directory>();
  readonly #pool = new PagePool();
  #areas: AreaLookup;
  #resident = 0;
  // Directories by their number modulo DIR_CACHE (a direct-mapped cache; NaN marks an empty
  // entry). Directories are never dropped, so an entry never goes stale.
  readonly #cachedHi = new Float64Array(DIR_CACHE).fill(NaN);
  readonly #cachedDir: (Directory | undefined)[] = new Array(DIR_CACHE);
  // The TLB, direct-mapped by page number modulo TLB_SIZE (see the invariants above). Two
  // arrays of page addresses and one of word offsets in the store: an entry's page address is
  // in tlbRead when the page may be read (its view: its bytes, or the store's zero page), in
  // tlbWrite too when it may be written in place (its view: its bytes); the view's first word
  // is word tlbBase[k] of store.
  //
  // An empty entry's tag is one that no address of that entry can match: NaN, or 0 in any entry
  // but the first (0 is the address of page 0, whose entry is the first). So the tag arrays
  // start as zeros with NaN in entry 0, and neither they nor the views need a fill when a
  // memory is made: untouched, their zeros are the host's zero pages, made on first use (a fill
  // of the 640 KiB was some 3 ms of every `Process` made in a fresh process). The views'
  // array is holey either way (a fill keeps an array's holey kind), and no empty entry's view
  // is ever read.
  private readonly tlbRead = emptyTags();
  private readonly tlbWrite = emptyTags();
  private readonly tlbBase = new Int32Array(TLB_SIZE);
  /**
   * While the journal is kept, the pages that the slow write paths may write in place and log
   * (see the journal at the end of the class); else {@link NO_JOURNAL_TAGS}, never written.
   */
  private tlbJournal: Float64Array = NO_JOURNAL_TAGS;
  /**
   * Pages known to hold only zeros: each cleared whole by a fill and not written since. calloc
   * clears the same big recycled chunks again and again (the 1M-line mixed trace: 1.5G words,
   * 99.8% of them zero already), and realloc asks whether each source page is zero; a page known
   * zero is skipped (a journaled fill would compare every word, to log those it changes).
   * Invariant: a page leaves the set before any write reaches it — it has no write or journal
   * TLB entry (#markZeroed, #tlbFill), so every write takes a path through #writablePage, which
   * drops it, as #setPage does (a page bound, dropped, moved or restored); moving the journal
   * (which writes pages directly) empties the set.
   */
  readonly #zeroed = new Set<number>();
  /** The words of the pool's page store: every page the TLB holds is a view of them. */
  private readonly store: Uint32Array = this.#pool.storeWords;
  /** What the TLB reads for a readable page without bytes (the kernel's zero page). */
  readonly #zeroPage: Uint32Array = this.#pool.zeroPage;
  /** The TLB kept outside over the same store, if one is attached (see the module). */
  private shadow: ShadowTlb | undefined = undefined;
  // True while no entry was filled since the TLB was made or last flushed whole: a flush then
  // has nothing to drop (a new process maps its whole layout, page ranges of thousands of
  // pages, before its first access).
  #tlbEmpty = true;

  /** Memory whose protections `areas` decides. */
  constructor(areas: AreaLookup) {
    this.#areas = areas;
  }

  /**
   * Called after every {@link GROWTH_PAGES}-th page a write brings into being (on the write's
   * slow path only), so that a caller can look at what the growth costs its host — a C run stops
   * a program before its pages fill the JavaScript heap — where memory grows, not by a count of
   * steps. It may throw: the write is then not made (its page stays).
   */
  onGrowth: (() => void) | undefined = undefined;

  /** Number of pages that hold data (written at least once). */
  get residentPages(): number {
    return this.#resident;
  }

  #dir(hi: number): Directory | undefined {
    const k = hi & (DIR_CACHE - 1);
    if (this.#cachedHi[k] === hi) return this.#cachedDir[k];
    const d = this.#dirs.get(hi) ?? this.#loadDir(hi);
    if (d !== undefined) {
      this.#cachedHi[k] = hi;
      this.#cachedDir[k] = d;
    }
    return d;
  }

  /** Puts page `no` (page `lo` of directory `d`) in the TLB; the slow paths call this. */
  #tlbFill(no: number, d: Directory, lo: number): void {
    const k = no & (TLB_SIZE - 1);
    this.#tlbEmpty = false;
    const page = d.page(lo), level = d.levels[lo];
    const readable = level >= ACCESS_READ;
    const view = readable ? page ?? this.#zeroPage : undefined;
    // Only a page of the store has an entry; any other takes the slow path every time.
    const stored = view !== undefined && slabOf(view) === this.store;
    this.tlbBase[k] = stored ? view.byteOffset >>> 2 : 0;
    this.tlbRead[k] = stored ? no * PAGE_SIZE : NaN;
    const inPlace = stored && level >= ACCESS_WRITE && page !== undefined &&
      this.#isPrivate(page);
    // A page known zero takes every write to the slow path, which forgets it (see #zeroed).
    const writable = inPlace && !(this.#zeroed.size !== 0 && this.#zeroed.has(no));
    this.tlbWrite[k] = writable && !this.#journaling ? no * PAGE_SIZE : NaN;
    if (this.#journaling) this.tlbJournal[k] = writable ? no * PAGE_SIZE : NaN;
  }

  /** Drops pages `[from, to)` from the TLB (their bytes or access changed). */
  #tlbFlush(from: number, to: number): void {
    if (this.shadow !== undefined) this.#shadowDrop(this.shadow, from, to);
    if (this.#tlbEmpty) return;
    if (to - from >= TLB_SIZE) {
      this.tlbRead.fill(NaN);
      this.tlbWrite.fill(NaN);
      if (this.#journaling) this.tlbJournal.fill(NaN);
      this.#tlbEmpty = true;
      return;
    }
    for (let no = from; no < to; no++) {
      const k = no & (TLB_SIZE - 1), base = no * PAGE_SIZE;
      if (this.tlbRead[k] === base || this.tlbWrite[k] === base) {
        this.tlbRead[k] = NaN;
        this.tlbWrite[k] = NaN;
        // (A journal entry's page is in tlbRead too: filled and dropped together.)
        if (this.#journaling) this.tlbJournal[k] = NaN;
      }
    }
  }

  /** Drops pages `[from, to)` from the shadow TLB. */
  #shadowDrop(shadow: ShadowTlb, from: number, to: number): void {
    const read = shadow.readTags, write = shadow.writeTags, n = read.length;
    if (to - from >= n) {
      // More pages than entries: each entry whose page is in the range (a map of a stack, a
      // reservation), so that the entries outside it stay.
      for (let k = 0; k < n; k++) {
        const r = read[k] * n + k, w = write[k] * n + k;
        if ((r >= from && r < to) || (w >= from && w < to)) {
          read[k] = -1;
          write[k] = -1;
        }
      }
      shadow.flushed++;
      return;
    }
    for (let no = from; no < to; no++) {
      const k = no & (n - 1), tag = Math.floor(no / n);
      if (read[k] === tag || write[k] === tag) {
        read[k] = -1;
        write[k] = -1;
        shadow.dropped++;
      }
    }
  }

  /** The store as a `WebAssembly.Memory`, when it is one (see page_pool.ts). */
  get wasmStore(): WebAssembly.Memory | undefined {
    return this.#pool.wasmMemory;
  }

  /**
   * Attaches a TLB kept outside over this memory's store (undefined: detaches it). Its entries
   * must be empty (NaN) or entries this memory could hold: the caller flushes it first.
   */
  attachShadow(shadow: ShadowTlb | undefined): void {
    this.shadow = shadow;
  }

  /**
   * For the shadow TLB's miss on the page at `page` (its address): the page's word offset in the
   * store, plus one when it may be written in place, if this memory's TLB holds it now (it is
   * filled here), else -1. Never faults: an access this refuses is the slow path's to make.
   */
  shadowFill(page: number): number {
    if (!(page >= 0 && page <= Number.MAX_SAFE_INTEGER)) return -1;
    const no = Math.floor(page / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const d = this.#dir(hi);
    if (d === undefined) return -1;
    this.#tlbFill(no, d, no - hi * DIR_PAGES);
    const k = no & (TLB_SIZE - 1), base = no * PAGE_SIZE;
    if (this.tlbRead[k] !== base) return -1;
    return this.tlbWrite[k] === base ? this.tlbBase[k] + 1 : this.tlbBase[k];
  }

  /** Directory `hi` if some area reaches into it (made now, its levels from the areas). */
  #loadDir(hi: number): Directory | undefined {
    if (!Number.isSafeInteger(hi) || hi < 0) return undefined;
    let any = false;
    const base = hi * DIR_PAGES * PAGE_SIZE;
    this.#areas.areasIn(base, base + DIR_PAGES * PAGE_SIZE, () => any = true);
    return any ? this.#makeDir(hi) : undefined;
  }

  #makeDir(hi: number): Directory {
    let d = this.#dirs.get(hi);
    if (!d) {
      d = new Directory(hi);
      const levels = d.levels;
      const base = hi * DIR_PAGES * PAGE_SIZE, end = base + DIR_PAGES * PAGE_SIZE;
      this.#areas.areasIn(base, end, (vma) => {
        const from = (Math.max(base, vma.start) - base) / PAGE_SIZE;
        const to = (Math.min(end, vma.end) - base) / PAGE_SIZE;
        levels.fill(accessLevel(vma.prot), from, to);
      });
      this.#dirs.set(hi, d);
    }
    return d;
  }

  /** Sets the bytes of page `lo` of `d` (undefined: none) and its fast-path views. */
  #setPage(d: Directory, lo: number, page: Uint32Array | undefined): void {
    if (d.page(lo) === undefined) {
      if (page !== undefined) {
        d.resident++;
        this.#resident++;
      }
    } else if (page === undefined) {
      d.resident--;
      this.#resident--;
    }
    d.setPage(lo, page);
    const no = d.hi * DIR_PAGES + lo;
    if (this.#zeroed.size !== 0) this.#zeroed.delete(no);
    this.#tlbFlush(no, no + 1);
    if (this.#snapshots > 0) this.#touched.push(d.hi * DIR_PAGES + lo);
  }

  /**
   * Sets the access level of the pages of `[start, end)` (page-aligned): the address space calls
   * this for every range whose areas changed. Bytes stay; {@link Memory.discard} drops them.
   * Only directories already made are updated: the others read their levels when made.
   */
  setAccess(start: number, end: number, level: number): void {
    let no = Math.floor(start / PAGE_SIZE);
    const last = Math.ceil(end / PAGE_SIZE);
    this.#tlbFlush(no, last);
    while (no < last) {
      const hi = Math.floor(no / DIR_PAGES);
      const lo = no - hi * DIR_PAGES;
      const n = Math.min(DIR_PAGES - lo, last - no);
      this.#dirs.get(hi)?.levels.fill(level, lo, lo + n);
      no += n;
    }
  }

  /** Drops pages `[from, to)` of `d`; those nothing else holds go back to the pool. */
  #dropPages(d: Directory, from: number, to: number): void {
    for (let i = d.nextPage(from, to); i < to && d.resident > 0; i = d.nextPage(i + 1, to)) {
      const page = d.page(i);
      if (page === undefined) continue;
      // A private page with no journal: no snapshot holds it and the journal will not.
      const unshared = this.#writeView(page);
      this.#bind(d, i, undefined);
      if (unshared) {
        if (this.#snapshots > 0) this.#private.delete(page);
        this.#pool.give(page);
      }
    }
  }

  /** Drops the bytes of `[start, end)` (munmap, MADV_DONTNEED): they read as zeros again. */
  discard(start: number, end: number): void {
    let no = Math.floor(start / PAGE_SIZE);
    const last = Math.ceil(end / PAGE_SIZE);
    while (no < last) {
      const hi = Math.floor(no / DIR_PAGES);
      const lo = no - hi * DIR_PAGES;
      const n = Math.min(DIR_PAGES - lo, last - no);
      const d = this.#dirs.get(hi);
      if (d && d.resident > 0) this.#dropPages(d, lo, lo + n);
      no += n;
    }
  }

  /** Moves the bytes of `[from, from + length)` to `to` (mremap). */
  move(from: number, to: number, length: number): void {
    const first = Math.floor(from / PAGE_SIZE), n = Math.ceil(length / PAGE_SIZE);
    const shift = Math.floor(to / PAGE_SIZE) - first;
    const moved: [number, Uint32Array][] = [];
    for (let p = first; p < first + n; p++) {
      const hi = Math.floor(p / DIR_PAGES), lo = p - hi * DIR_PAGES;
      const d = this.#dirs.get(hi);
      const page = d?.page(lo);
      if (d && page) {
        moved.push([p + shift, page]);
        this.#bind(d, lo, undefined);
      }
    }
    for (const [p, page] of moved) {
      const hi = Math.floor(p / DIR_PAGES), lo = p - hi * DIR_PAGES;
      this.#bind(this.#makeDir(hi), lo, page);
    }
  }

  /**
   * The slow path of an access of `size` bytes at `addr` that the fast path refused: grows a
   * stack down to an address below it (the kernel's fault handler, expand_stack) and returns
   * the directory of `addr`'s page, now accessible; otherwise throws the fault.
   */
  #fault(addr: number, size: number, access: AccessKind): Directory {
    this.#checkAddress(addr, access);
    for (let a = addr; a < addr + size; a++) {
      let vma = this.#areas.areaAt(a);
      if (vma === undefined && this.#areas.expandStack?.(a)) vma = this.#areas.areaAt(a);
      if (vma === undefined) {
        throw new SegmentationFault(a, access, "SEGV_MAPERR", this.#areas.addressText(a));
      }
      if (vma.prot === 0 || (access === "write" && !(vma.prot & 2))) {
        throw new SegmentationFault(a, access, "SEGV_ACCERR", this.#areas.addressText(a));
      }
    }
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const d = this.#dir(hi);
    const need = access === "read" ? ACCESS_READ : ACCESS_WRITE;
    if (d !== undefined && d.levels[no - hi * DIR_PAGES] >= need) return d;
    throw new SegmentationFault(addr, access, "SEGV_ACCERR", this.#areas.addressText(addr));
  }

  /**
   * The faults of an address no area can hold: not an integer (a caller's bug: a typed
   * argument error), or beyond the process's words. On x86_64 a non-canonical address
   * (2^47 .. 2^64 - 2^47) is a general protection fault (SI_KERNEL); a kernel-half address
   * is SEGV_MAPERR. An i386 process's addresses are taken modulo 2^32 in the message.
   */
  #checkAddress(addr: number | bigint, access: AccessKind): void {
    if (typeof addr === "number" && !Number.isInteger(addr)) {
      throw new ArgumentRangeError("address", addr, "an integer address");
    }
    const bits = this.#areas.bits ?? 64;
    const exact = BigInt.asUintN(bits, BigInt(addr));
    const inRange = typeof addr === "bigint"
      ? addr >= -(1n << 63n) && addr < 1n << 64n
      : addr >= -(2 ** 63) && addr < 2 ** 64;
    if (!inRange) {
      throw new ArgumentRangeError("address", addr, `a ${bits}-bit address`);
    }
    const text = `0x${exact.toString(16)}`;
    if (bits === 64 && exact >= 1n << 47n && exact < (1n << 64n) - (1n << 47n)) {
      throw new SegmentationFault(Number(addr), access, "SI_KERNEL", text, exact);
    }
    if (
      typeof addr === "bigint" || addr > Number.MAX_SAFE_INTEGER ||
      (bits === 32 && (addr < 0 || addr >= 2 ** 32))
    ) {
      throw new SegmentationFault(Number(addr), access, "SEGV_MAPERR", text, exact);
    }
  }

  /** Checks a whole range for an access; returns nothing or throws the fault. */
  #checkRange(addr: number, size: number, access: AccessKind): void {
    const need = access === "read" ? ACCESS_READ : ACCESS_WRITE;
    let no = Math.floor(addr / PAGE_SIZE);
    const last = Math.ceil((addr + size) / PAGE_SIZE);
    for (; no < last; no++) {
      const hi = Math.floor(no / DIR_PAGES);
      const d = this.#dir(hi);
      if (d === undefined || d.levels[no - hi * DIR_PAGES] < need) {
        this.#fault(Math.max(addr, no * PAGE_SIZE), 1, access);
      }
    }
  }

  /** The page for a write at `addr` (already checked writable), created on first write. */
  #writablePage(d: Directory, lo: number, addr: number): Uint32Array {
    if (this.#zeroed.size !== 0) this.#zeroed.delete(d.hi * DIR_PAGES + lo);
    let page = d.page(lo);
    if (page === undefined) {
      const vma = this.#areas.areaAt(addr);
      if (vma && vma.anon === 0) this.#areas.firstWrite(vma);
      page = this.#ownPage(this.#pool.take());
      if (this.#journaling) this.#logBinding(d.hi * DIR_PAGES + lo, undefined, FRESH_PAGE);
      this.#setPage(d, lo, page);
      if (this.onGrowth !== undefined && (this.#resident & (GROWTH_PAGES - 1)) === 0) {
        this.onGrowth();
      }
    } else if (!this.#isPrivate(page)) {
      // A page a snapshot or the journal holds: copy it first.
      page = this.#ownPage(this.#pool.copyOf(page));
      this.#snapshotStats.copiedPages++;
      this.#setPage(d, lo, page);
    }
    return page;
  }

  /** Reads one byte. */
  read8(addr: number): number {
    const k = (addr >>> 12) & 32767;
    return this.tlbRead[k] === addr - (addr & 4095)
      ? (this.store[this.tlbBase[k] + ((addr & 4095) >>> 2)] >>> ((addr & 3) * 8)) & 0xff
      : this.read8Slow(addr);
  }

  /** {@link read8} when the TLB holds no entry for the address. */
  private read8Slow(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_READ) d = this.#fault(addr, 1, "read");
    this.#tlbFill(no, d, lo);
    const page = d.page(lo);
    if (page === undefined) return 0;
    const off = addr - no * PAGE_SIZE;
    return (page[off >>> 2] >>> ((off & 3) * 8)) & 0xff;
  }

  /** Reads a little-endian 16-bit value. */
  read16(addr: number): number {
    const k = (addr >>> 12) & 32767;
    return this.tlbRead[k] === addr - (addr & 4094)
      ? this.half16At(k, addr)
      : this.read16Slow(addr);
  }

  /** {@link read16} of `addr`, whose page is TLB entry `k`. */
  private half16At(k: number, addr: number): number {
    const off = addr & 4094;
    return (this.store[this.tlbBase[k] + (off >>> 2)] >>> ((off & 2) * 8)) & 0xffff;
  }

  /** {@link read16} when the TLB holds no entry for the address (or it is misaligned). */
  private read16Slow(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const d = this.#dir(hi);
    if ((addr & 1) === 0 && d !== undefined) this.#tlbFill(no, d, no - hi * DIR_PAGES);
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  /** Reads a little-endian unsigned 32-bit value. */
  read32(addr: number): number {
    const k = (addr >>> 12) & 32767;
    return this.tlbRead[k] === addr - (addr & 4092)
      ? this.word32At(k, addr)
      : this.read32Slow(addr);
  }

  /** {@link read32} of `addr`, whose page is TLB entry `k`. */
  private word32At(k: number, addr: number): number {
    return this.store[this.tlbBase[k] + ((addr & 4092) >>> 2)];
  }

  /** {@link read32} when the TLB holds no entry for the address (or it is misaligned). */
  private read32Slow(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    const off = addr - no * PAGE_SIZE;
    if ((off & 3) !== 0) {
      return (this.read16(addr) | (this.read16(addr + 2) << 16)) >>> 0;
    }
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_READ) d = this.#fault(addr, 4, "read");
    this.#tlbFill(no, d, lo);
    const page = d.page(lo);
    return page === undefined ? 0 : page[off >>> 2];
  }

  /** Reads a little-endian 64-bit word (see `word.ts` for its representation). */
  read64(addr: number): number {
    const k = (addr >>> 12) & 32767;
    return this.tlbRead[k] === addr - (addr & 4088)
      ? this.word64At(k, addr)
      : this.read64Slow(addr);
  }

  /** {@link read64} of `addr`, whose page is TLB entry `k`. */
  private word64At(k: number, addr: number): number {
    const page = this.store, i = this.tlbBase[k] + ((addr & 4088) >>> 2);
    // The high word read as signed (`| 0`): the word's number (see `word.ts`).
    return (page[i + 1] | 0) * 0x1_0000_0000 + page[i];
  }

  /** {@link read64} when the TLB holds no entry for the address (or it is misaligned). */
  private read64Slow(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    const off = addr - no * PAGE_SIZE;
    if ((off & 7) !== 0) {
      // Fault at the first bad byte, as the CPU would, before reading either half.
      this.#checkRange(addr, 8, "read");
      return joinWord64(this.read32(addr + 4), this.read32(addr));
    }
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_READ) d = this.#fault(addr, 8, "read");
    this.#tlbFill(no, d, lo);
    const page = d.page(lo);
    if (page === undefined) return 0;
    const i = off >>> 2;
    const h = page[i + 1];
    return h >= 0x8000_0000 ? (h - TWO32) * TWO32 + page[i] : h * TWO32 + page[i];
  }

  /** Writes one byte. */
  write8(addr: number, value: number): void {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_WRITE) d = this.#fault(addr, 1, "write");
    const page = this.#writablePage(d, lo, addr);
    const off = addr - no * PAGE_SIZE, shift = (off & 3) * 8, i = off >>> 2;
    const old = page[i];
    page[i] = (old & ~(0xff << shift)) | ((value & 0xff) << shift);
    if (this.#journaling) this.#logWord(no * PAGE_SIZE + i * 4, old, page[i]);
  }

  /** Writes a little-endian 16-bit value. */
  write16(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    return this.tlbWrite[k] === addr - (addr & 4094)
      ? this.setHalf16At(k, addr, value)
      : this.write16Slow(addr, value);
  }

  /** {@link write16} of `value` at `addr`, whose page is TLB entry `k`. */
  private setHalf16At(k: number, addr: number, value: number): void {
    const off = addr & 4094, shift = (off & 2) * 8;
    const page = this.store, i = this.tlbBase[k] + (off >>> 2);
    page[i] = (page[i] & ~(0xffff << shift)) | ((value & 0xffff) << shift);
  }

  /** {@link write16} when the TLB holds no entry for the address (or it is misaligned). */
  private write16Slow(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    if (this.tlbJournal[k] === addr - (addr & 4094)) {
      this.journalHalf16At(k, addr, value);
      return;
    }
    this.#checkRange(addr, 2, "write");
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
    if ((addr & 1) === 0) {
      const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
      this.#tlbFill(no, this.#dir(hi)!, no - hi * DIR_PAGES);
    }
  }

  /** {@link write16} of `value` at `addr`, whose page is journal TLB entry `k`: logged. */
  private journalHalf16At(k: number, addr: number, value: number): void {
    const off = addr & 4094, shift = (off & 2) * 8;
    const page = this.store, i = this.tlbBase[k] + (off >>> 2);
    const old = page[i];
    page[i] = (old & ~(0xffff << shift)) | ((value & 0xffff) << shift);
    this.#logWord(addr - (off & 2), old, page[i]);
  }

  /** Writes a little-endian 32-bit value (taken modulo 2^32). */
  write32(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    return this.tlbWrite[k] === addr - (addr & 4092)
      ? this.setWord32At(k, addr, value)
      : this.write32Slow(addr, value);
  }

  /** {@link write32} of `value` at `addr`, whose page is TLB entry `k`. */
  private setWord32At(k: number, addr: number, value: number): void {
    // A Uint32Array store takes the value modulo 2^32, as the slow path does.
    this.store[this.tlbBase[k] + ((addr & 4092) >>> 2)] = value;
  }

  /** {@link write32} when the TLB holds no entry for the address (or it is misaligned). */
  private write32Slow(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    if (this.tlbJournal[k] === addr - (addr & 4092)) {
      const page = this.store, i = this.tlbBase[k] + ((addr & 4092) >>> 2);
      const old = page[i];
      page[i] = value;
      this.#logWord(addr, old, page[i]);
      return;
    }
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    const off = addr - no * PAGE_SIZE;
    const v = value >>> 0 === value ? value : Number(BigInt.asUintN(32, BigInt(Math.trunc(value))));
    if ((off & 3) !== 0) {
      this.#checkRange(addr, 4, "write");
      this.write16(addr, v & 0xffff);
      this.write16(addr + 2, v >>> 16);
      return;
    }
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_WRITE) d = this.#fault(addr, 4, "write");
    const page = this.#writablePage(d, lo, addr), i = off >>> 2;
    this.#tlbFill(no, d, lo);
    const old = page[i];
    page[i] = v;
    if (this.#journaling) this.#logWord(addr, old, page[i]);
  }

  /** Writes a little-endian 64-bit word (see `word.ts` for its representation). */
  write64(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    return this.tlbWrite[k] === addr - (addr & 4088)
      ? this.setWord64At(k, addr, value)
      : this.write64Slow(addr, value);
  }

  /** {@link write64} of `value` at `addr`, whose page is TLB entry `k`. */
  private setWord64At(k: number, addr: number, value: number): void {
    // A Uint32Array store takes an integer modulo 2^32: the low word is the value itself.
    const page = this.store, i = this.tlbBase[k] + ((addr & 4088) >>> 2);
    page[i] = value;
    page[i + 1] = Math.floor(value / 0x1_0000_0000);
  }

  /** {@link write64} when the TLB holds no entry for the address (or it is misaligned). */
  private write64Slow(addr: number, value: number): void {
    const k = (addr >>> 12) & 32767;
    if (this.tlbJournal[k] === addr - (addr & 4088)) {
      this.journalWord64At(k, addr, value);
      return;
    }
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    const lo = no - hi * DIR_PAGES;
    const off = addr - no * PAGE_SIZE;
    if ((off & 7) !== 0) {
      const h = Math.floor(value / TWO32);
      this.#checkRange(addr, 8, "write");
      this.write32(addr, value - h * TWO32);
      this.write32(addr + 4, h);
      return;
    }
    let d = this.#dir(hi);
    if (d === undefined || d.levels[lo] < ACCESS_WRITE) d = this.#fault(addr, 8, "write");
    const page = this.#writablePage(d, lo, addr);
    this.#tlbFill(no, d, lo);
    const h = Math.floor(value / TWO32);
    const i = off >>> 2;
    const low = page[i], high = page[i + 1];
    page[i] = value - h * TWO32;
    page[i + 1] = h;
    if (this.#journaling) {
      this.#logWord(addr, low, page[i]);
      this.#logWord(addr + 4, high, page[i + 1]);
    }
  }

  /** {@link write64} of `value` at `addr`, whose page is journal TLB entry `k`: logged. */
  private journalWord64At(k: number, addr: number, value: number): void {
    const page = this.store, i = this.tlbBase[k] + ((addr & 4088) >>> 2);
    const low = page[i], high = page[i + 1];
    page[i] = value;
    page[i + 1] = Math.floor(value / 0x1_0000_0000);
    this.#logWord(addr, low, page[i]);
    this.#logWord(addr + 4, high, page[i + 1]);
  }

  /**
   * Reads a 64-bit word as its exact unsigned value (a number cannot hold every 64-bit value).
   * The address may be a bigint: one above 2^53 faults with its exact value.
   */
  readBig64(addr: number | bigint): bigint {
    const a = this.#address(addr, "read");
    this.#checkRange(a, 8, "read");
    return (BigInt(this.read32(a + 4)) << 32n) | BigInt(this.read32(a));
  }

  /**
   * Writes a 64-bit word given exactly: a bigint from -2^63 to 2^64 - 1 (taken modulo 2^64) or
   * a number. Faults before writing anything when any of the 8 bytes may not be written.
   */
  writeBig64(addr: number | bigint, value: bigint | number): void {
    const a = this.#address(addr, "write");
    let v: bigint;
    if (typeof value === "bigint") v = value;
    else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
    else throw new ArgumentRangeError("value", value, "an integer or a bigint");
    if (v < -(1n << 63n) || v >= 1n << 64n) {
      throw new ArgumentRangeError("value", value, "a 64-bit word");
    }
    v = BigInt.asUintN(64, v);
    this.#checkRange(a, 8, "write");
    this.write32(a, Number(v & 0xffff_ffffn));
    this.write32(a + 4, Number(v >> 32n));
  }

  /** A number or bigint address as a number; one no number holds exactly faults now. */
  #address(addr: number | bigint, access: AccessKind): number {
    if (typeof addr === "number") {
      if (Number.isSafeInteger(addr)) return addr;
    } else if (typeof addr === "bigint") {
      if (addr >= BigInt(Number.MIN_SAFE_INTEGER) && addr <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return Number(addr);
      }
    } else {
      throw new ArgumentRangeError("address", addr, "a number or a bigint");
    }
    this.#checkAddress(addr, access);
    return Number(addr);
  }

  /** A byte count of a bulk access: an integer from 0 to 2^53 - 1. */
  #length(length: number): number {
    if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
      throw new ArgumentRangeError("length", length, "a byte count (an integer, 0 or more)");
    }
    return length;
  }

  /** Throws the {@link SegmentationFault} an access of `length` bytes at `addr` would raise. */
  checkAccess(addr: number, length: number, access: AccessKind): void {
    if (this.#length(length) > 0) this.#checkRange(this.#address(addr, access), length, access);
  }

  /**
   * How many of the `length` bytes from `addr` on an access may touch before the first page
   * it may not: where the kernel's copy from or to user memory stops (all `length` when none
   * refuses it).
   */
  accessibleLength(addr: number, length: number, access: AccessKind): number {
    const need = access === "read" ? ACCESS_READ : ACCESS_WRITE;
    const end = addr + this.#length(length);
    for (let at = addr; at < end;) {
      const no = Math.floor(at / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
      const d = this.#dir(hi);
      if (d === undefined || d.levels[no - hi * DIR_PAGES] < need) return at - addr;
      at = (no + 1) * PAGE_SIZE;
    }
    return length;
  }

  /** True when the page holding `addr` has bytes (was written); false when it reads as zeros. */
  hasBytes(addr: number): boolean {
    const no = Math.floor(addr / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
    return this.#dirs.get(hi)?.page(no - hi * DIR_PAGES) !== undefined;
  }

  /**
   * Where the first byte equal to `value` lies among the `limit` bytes from `addr` on, as an
   * offset from `addr`; -1 when none does (strlen, memchr). Pages are searched in place, one
   * after the other, and the fault is the one a byte-by-byte scan would meet: at the first byte
   * it may not read before a match.
   */
  findByte(addr: number, value: number, limit: number): number {
    for (let done = 0; done < limit;) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), hi = Math.floor(no / DIR_PAGES);
      const lo = no - hi * DIR_PAGES;
      let d = this.#dir(hi);
      if (d === undefined || d.levels[lo] < ACCESS_READ) d = this.#fault(a, 1, "read");
      const off = a - no * PAGE_SIZE, n = Math.min(PAGE_SIZE - off, limit - done);
      const page = d.page(lo);
      const at = page === undefined
        ? (value & 0xff) === 0 ? 0 : -1
        : new Uint8Array(page.buffer, page.byteOffset + off, n).indexOf(value & 0xff);
      if (at >= 0) return done + at;
      done += n;
    }
    return -1;
  }

  /** Reads `length` bytes. */
  readBytes(addr: number, length: number): Uint8Array {
    if (this.#length(length) === 0) return new Uint8Array(0);
    this.#checkRange(this.#address(addr, "read"), length, "read");
    const out = new Uint8Array(length);
    this.readInto(addr, out);
    return out;
  }

  /** Reads `out.length` bytes at `addr` into `out` (a reusable buffer: nothing is allocated). */
  readInto(addr: number, out: Uint8Array): void {
    const length = out.length;
    if (length === 0) return;
    this.#checkRange(addr, length, "read");
    let done = 0;
    while (done < length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const hi = Math.floor(no / DIR_PAGES);
      const page = this.#dir(hi)!.page(no - hi * DIR_PAGES);
      if (page) out.set(new Uint8Array(page.buffer, page.byteOffset + off, n), done);
      else out.fill(0, done, done + n);
      done += n;
    }
  }

  /** Writes bytes. */
  writeBytes(addr: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new ArgumentRangeError("bytes", bytes, "a Uint8Array");
    }
    if (bytes.length === 0) return;
    this.#checkRange(this.#address(addr, "write"), bytes.length, "write");
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      const hi = Math.floor(no / DIR_PAGES);
      const page = this.#writablePage(this.#dir(hi)!, no - hi * DIR_PAGES, a);
      if (this.#journaling) this.#saveWords(page, off, n);
      const part = n === bytes.length ? bytes : bytes.subarray(done, done + n);
      new Uint8Array(page.buffer, page.byteOffset + off, n).set(part);
      if (this.#journaling) this.#logWords(no, page, off, n);
      done += n;
    }
  }

  /** Sets `length` bytes to `value` (memset). Untouched pages set to zero stay untouched. */
  fill(addr: number, length: number, value: number): void {
    if (this.#length(length) === 0) return;
    this.#checkRange(this.#address(addr, "write"), length, "write");
    let done = 0;
    // The area of the last untouched page, once it has an anon_vma.
    let faultedIn: Vma | undefined;
    while (done < length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const hi = Math.floor(no / DIR_PAGES);
      const d = this.#dir(hi)!, lo = no - hi * DIR_PAGES;
      if (value & 0xff || d.page(lo) !== undefined) {
        // A whole page of zeros: nothing to do on a page known zero; else the page is known
        // zero after it (see #zeroed).
        const zeroPage = n === PAGE_SIZE && (value & 0xff) === 0;
        if (zeroPage && this.#zeroed.has(no)) {
          done += n;
          continue;
        }
        const page = this.#writablePage(d, lo, a);
        const word = ((value & 0xff) * 0x0101_0101) >>> 0;
        if (this.#journaling && ((off | n) & 3) === 0) {
          // Whole words, journaled: each compared, and logged only when it changes.
          this.#fillWords(no, page, off >>> 2, (off + n) >>> 2, word);
        } else {
          if (this.#journaling) this.#saveWords(page, off, n);
          // Whole words are filled as words, without a byte view of the page.
          if (((off | n) & 3) === 0) page.fill(word, off >>> 2, (off + n) >>> 2);
          else new Uint8Array(page.buffer, page.byteOffset + off, n).fill(value & 0xff);
          if (this.#journaling) this.#logWords(no, page, off, n);
        }
        if (zeroPage) this.#markZeroed(no);
      } else if (faultedIn === undefined || a < faultedIn.start || a >= faultedIn.end) {
        // A write of zeros to an untouched page still faults it in: the area gets its anon_vma.
        const vma = this.#areas.areaAt(a);
        if (vma && vma.anon === 0) this.#areas.firstWrite(vma);
        if (vma && vma.anon !== 0) faultedIn = vma;
      }
      done += n;
    }
  }

  /**
   * Copies `length` bytes from `src` to `dst` (memmove): faults as reading the source and then
   * writing the destination would, before writing anything. Ranges that do not overlap are
   * copied page view to page view (words when both sides are word-aligned), without a buffer.
   */
  copy(dst: number, src: number, length: number): void {
    if (this.#length(length) === 0) return;
    // The whole source first (its address, then its bytes), then the destination.
    const s = this.#address(src, "read");
    this.#checkRange(s, length, "read");
    const d = this.#address(dst, "write");
    if (this.#journaling || (d < s + length && s < d + length)) {
      this.writeBytes(dst, this.readBytes(src, length));
      return;
    }
    this.#checkRange(d, length, "write");
    for (let done = 0; done < length;) {
      const a = d + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const hi = Math.floor(no / DIR_PAGES);
      const page = this.#writablePage(this.#dir(hi)!, no - hi * DIR_PAGES, a);
      // The source of one destination page lies in at most two source pages.
      for (let part = 0; part < n;) {
        const b = s + done + part;
        const sno = Math.floor(b / PAGE_SIZE), soff = b - sno * PAGE_SIZE;
        const m = Math.min(PAGE_SIZE - soff, n - part);
        const shi = Math.floor(sno / DIR_PAGES);
        const from = this.#dir(shi)!.page(sno - shi * DIR_PAGES);
        copyInto(page, off + part, from, soff, m);
        part += m;
      }
      done += n;
    }
  }

  /**
   * True when every byte of `[addr, addr + length)` reads as zero (untouched pages do); faults
   * as a read would. Reads the page words in place.
   */
  isZero(addr: number, length: number): boolean {
    if (this.#length(length) === 0) return true;
    const start = this.#address(addr, "read");
    this.#checkRange(start, length, "read");
    for (let done = 0; done < length;) {
      const a = start + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const hi = Math.floor(no / DIR_PAGES);
      const page = this.#dir(hi)!.page(no - hi * DIR_PAGES);
      if (page !== undefined && !this.#zeroed.has(no) && !zeroIn(page, off, n)) return false;
      done += n;
    }
    return true;
  }

  // --- snapshots: copy-on-write by page ------------------------------------------------------
  //
  // Until the first snapshot every page with bytes is private and writable in place. A snapshot
  // commits the pages into a persistent PageMap and freezes them: their write views are cleared,
  // so the next write to each takes the slow path, which copies the page (#writablePage). Pages
  // written since the last commit are private (#private) and listed in #touched; a commit costs
  // O(pages touched since the previous one), a restore O(pages that differ). The fast path is
  // unchanged: it only ever sees write views of private pages.

  /** Snapshots taken (0: none yet, and every page is private). */
  #snapshots = 0;
  /** The pages as of the last commit. */
  #committed: PageMap = undefined;
  /** Page numbers whose bytes were bound or replaced since the last commit. */
  #touched: number[] = [];
  /** Pages created or copied since the last commit: no snapshot holds them. */
  #private = new Set<Uint32Array>();

  readonly #snapshotStats = { nodes: 0, copiedPages: 0 };

  /**
   * What snapshots have cost this memory so far: pages copied by a write after a snapshot
   * (4 KiB each) and page-map nodes created ({@link PAGE_NODE_BYTES} each), and their bytes.
   */
  get snapshotCost(): { copiedPages: number; mapNodes: number; bytes: number } {
    const { nodes, copiedPages } = this.#snapshotStats;
    return {
      copiedPages,
      mapNodes: nodes,
      bytes: copiedPages * PAGE_SIZE + nodes * PAGE_NODE_BYTES,
    };
  }

  #isPrivate(page: Uint32Array | undefined): boolean {
    return this.#snapshots === 0 || this.#private.has(page!);
  }

  #ownPage(page: Uint32Array): Uint32Array {
    if (this.#snapshots > 0) this.#private.add(page);
    return page;
  }

  /**
   * The bytes of every page, frozen: a persistent map that no later write changes. Taking one
   * costs O(pages written since the previous one); the first costs O(pages with bytes).
   */
  snapshotPages(): PageMap {
    const changes: [number, Uint32Array | undefined][] = [];
    const freeze = (d: Directory, lo: number) => {
      const no = d.hi * DIR_PAGES + lo;
      changes.push([no, d.page(lo)]);
      this.#tlbFlush(no, no + 1);
    };
    if (this.#snapshots === 0) {
      for (const d of this.#dirs.values()) {
        for (
          let lo = d.nextPage(0, DIR_PAGES);
          lo < DIR_PAGES && d.resident > 0;
          lo = d.nextPage(lo + 1, DIR_PAGES)
        ) {
          if (d.page(lo) !== undefined) freeze(d, lo);
        }
      }
    } else {
      for (const no of this.#touched) {
        const hi = Math.floor(no / DIR_PAGES);
        freeze(this.#dirs.get(hi)!, no - hi * DIR_PAGES);
      }
    }
    this.#committed = editPageMap(this.#committed, changes, this.#snapshotStats);
    this.#touched = [];
    this.#private.clear();
    this.#snapshots++;
    return this.#committed;
  }

  /**
   * Makes the bytes of every page those of `pages` (from {@link Memory.snapshotPages}, of this
   * memory or another): O(pages that differ). Access levels stay (the address space sets them).
   */
  restorePages(pages: PageMap): void {
    const current = this.snapshotPages();
    diffPageMaps(current, pages, (no, _now, page) => {
      const hi = Math.floor(no / DIR_PAGES);
      this.#setPage(this.#makeDir(hi), no - hi * DIR_PAGES, page);
    });
    this.#committed = pages;
    this.#touched = [];
  }

  // --- the journal: word-level undo and redo, for recording histories cheaply -------------------
  //
  // While the journal is on, no page has a write view, so every write takes a slow path, which
  // logs each word it changes — the word's address, its old and its new value — and each change
  // of a page's bytes as a whole (created zero, dropped, moved) with the page it held. Moving
  // along the journal applies old values backwards or new values forwards; a write made after
  // moving back drops the entries ahead (a new future). Pages the journal holds are frozen (not
  // private), so a write to them copies them first, as after a snapshot.
  //
  // The slow write paths of 16, 32 and 64 bits first look in a TLB of their own, `tlbJournal`,
  // filled as the write views would be (a private page of the store that may be written): a hit
  // writes the word in place and logs it, as the fast path would write it. The entries are three
  // typed arrays grown by doubling — the word's address (a binding's: minus its page number,
  // minus one), and two 32-bit words (a binding's: codes of its pages, see #pageCode) — 16 bytes
  // an entry, and no object per write (as number quadruples, in an array of numbers, they cost
  // 32 bytes and most of a recording's garbage collection).

  #journaling = false;
  /** Each entry's word address, or for a binding `-1 - page number`. */
  #jKeys = new Float64Array(0);
  /** Each entry's old word (a binding's: the code of the page it held). */
  #jOld = new Uint32Array(0);
  /** Each entry's new word (a binding's: the code of the page it holds). */
  #jNew = new Uint32Array(0);
  /** Entries in the journal (those ahead of #jpos were undone, and are redone moving forward). */
  #jlen = 0;
  /** Pages of binding entries: code `PAGE_CODES + i` is `#jPages[i]`. */
  #jPages: Uint32Array[] = [];
  /** Entries applied: the journal's end unless moved back. */
  #jpos = 0;
  /** The words a bulk write is about to change, saved to log their old values (one page's). */
  readonly #before = new Uint32Array(PAGE_SIZE / 4 + 1);

  /** Whether a page may have a write view (a private page while no journal is kept). */
  #writeView(page: Uint32Array | undefined): boolean {
    return !this.#journaling && this.#isPrivate(page);
  }

  /** Starts the journal: commits the pages (as a snapshot does) and drops every write view. */
  startJournal(): void {
    if (this.#journaling) return;
    this.snapshotPages();
    this.#journaling = true;
    this.#zeroed.clear();
    this.#clearJournal(1024);
    // The commit dropped every write view; the slow paths fill the journal's TLB from now on.
    this.tlbJournal = new Float64Array(TLB_SIZE).fill(NaN);
  }

  /** Stops the journal (and forgets it); writes take the fast path again after the next copy. */
  stopJournal(): void {
    this.#journaling = false;
    this.#zeroed.clear();
    this.#clearJournal(0);
    this.tlbJournal = NO_JOURNAL_TAGS;
    this.snapshotPages();
  }

  #clearJournal(capacity: number): void {
    this.#jKeys = new Float64Array(capacity);
    this.#jOld = new Uint32Array(capacity);
    this.#jNew = new Uint32Array(capacity);
    this.#jPages = [];
    this.#jlen = 0;
    this.#jpos = 0;
  }

  /** Entries applied so far: a position to come back to with {@link Memory.moveJournal}. */
  get journalPosition(): number {
    return this.#jpos;
  }

  /** Bytes the journal's entries take (16 an entry; the pages it holds are not counted). */
  get journalBytes(): number {
    return this.#jlen * 16;
  }

  /** Undoes or redoes entries until `position` entries are applied. */
  moveJournal(position: number): void {
    if (!(position >= 0 && position <= this.#jlen && Number.isInteger(position))) {
      throw new ArgumentRangeError(
        "position",
        position,
        `a journal position from 0 to ${this.#jlen}`,
      );
    }
    // Applying entries logs nothing, and pages copied meanwhile get no write view.
    this.#zeroed.clear();
    while (this.#jpos > position) this.#applyEntry(--this.#jpos, this.#jOld);
    while (this.#jpos < position) this.#applyEntry(this.#jpos++, this.#jNew);
  }

  /** Applies the old (`values` #jOld) or new (#jNew) value of entry `e`. */
  #applyEntry(e: number, values: Uint32Array): void {
    const key = this.#jKeys[e], v = values[e];
    if (key < 0) {
      const no = -1 - key, hi = Math.floor(no / DIR_PAGES);
      const page = v === NO_PAGE
        ? undefined
        : v === FRESH_PAGE
        ? this.#ownPage(this.#pool.take())
        : this.#jPages[v - PAGE_CODES];
      this.#setPage(this.#makeDir(hi), no - hi * DIR_PAGES, page);
      return;
    }
    const no = Math.floor(key / PAGE_SIZE),
      hi = Math.floor(no / DIR_PAGES),
      lo = no - hi * DIR_PAGES;
    const d = this.#makeDir(hi);
    let page = d.page(lo)!;
    if (!this.#isPrivate(page)) {
      page = this.#ownPage(this.#pool.copyOf(page));
      this.#setPage(d, lo, page);
    }
    page[(key - no * PAGE_SIZE) >>> 2] = v;
  }

  /** Makes room for `n` more entries after #jpos (the arrays doubled until they hold them). */
  #reserve(n: number): void {
    const need = this.#jpos + n;
    if (need <= this.#jKeys.length) return;
    let capacity = Math.max(1024, this.#jKeys.length);
    while (capacity < need) capacity *= 2;
    const keys = new Float64Array(capacity), old = new Uint32Array(capacity);
    const now = new Uint32Array(capacity);
    keys.set(this.#jKeys);
    old.set(this.#jOld);
    now.set(this.#jNew);
    this.#jKeys = keys;
    this.#jOld = old;
    this.#jNew = now;
  }

  /** The next entry's index: the entries ahead are dropped, the arrays grown when full. */
  #nextEntry(): number {
    const e = this.#jpos;
    if (e === this.#jKeys.length) this.#reserve(1);
    this.#jpos = this.#jlen = e + 1;
    return e;
  }

  /** Logs that the word at `addr` changed from `old` to `now` (nothing if it did not change). */
  #logWord(addr: number, old: number, now: number): void {
    if (old === now) return;
    const e = this.#nextEntry();
    this.#jKeys[e] = addr;
    this.#jOld[e] = old;
    this.#jNew[e] = now;
  }

  /** The code of `page` in a binding entry: the journal holds it from now on (not private). */
  #pageCode(page: Uint32Array | undefined): number {
    if (page === undefined) return NO_PAGE;
    this.#private.delete(page);
    return PAGE_CODES + this.#jPages.push(page) - 1;
  }

  /** Logs that page `no` held `old` and now holds the page of code `now`. */
  #logBinding(no: number, old: Uint32Array | undefined, now: number): void {
    const oldCode = this.#pageCode(old);
    const e = this.#nextEntry();
    this.#jKeys[e] = -1 - no;
    this.#jOld[e] = oldCode;
    this.#jNew[e] = now;
  }

  /** Binds page `lo` of `d` to `page` (bytes that change: dropped, moved), journaled. */
  #bind(d: Directory, lo: number, page: Uint32Array | undefined): void {
    if (this.#journaling) {
      const code = this.#pageCode(page);
      this.#logBinding(d.hi * DIR_PAGES + lo, d.page(lo), code);
    }
    this.#setPage(d, lo, page);
  }

  /** Saves the words of `page` that a write of `n` bytes at `off` touches into #before. */
  #saveWords(page: Uint32Array, off: number, n: number): void {
    const before = this.#before, first = off >>> 2, count = ((off + n + 3) >>> 2) - first;
    for (let k = 0; k < count; k++) before[k] = page[first + k];
  }

  /** Logs the words of page `no` that a write of `n` bytes at `off` changed (see #saveWords). */
  #logWords(no: number, page: Uint32Array, off: number, n: number): void {
    const before = this.#before, first = off >>> 2, count = ((off + n + 3) >>> 2) - first;
    this.#reserve(count);
    const keys = this.#jKeys, olds = this.#jOld, news = this.#jNew;
    const base = no * PAGE_SIZE + first * 4;
    let e = this.#jpos;
    for (let k = 0; k < count; k++) {
      const old = before[k], now = page[first + k];
      if (old === now) continue;
      keys[e] = base + k * 4;
      olds[e] = old;
      news[e] = now;
      e++;
    }
    // (Nothing changed: the entries ahead, if the journal was moved back, stay.)
    if (e !== this.#jpos) this.#jpos = this.#jlen = e;
  }

  /** Page `no` holds only zeros now: known so until its next write (see #zeroed). */
  #markZeroed(no: number): void {
    this.#zeroed.add(no);
    const k = no & (TLB_SIZE - 1), base = no * PAGE_SIZE;
    if (this.tlbWrite[k] === base) this.tlbWrite[k] = NaN;
    if (this.tlbJournal[k] === base) this.tlbJournal[k] = NaN;
    const shadow = this.shadow;
    if (shadow !== undefined) {
      const n = shadow.writeTags.length;
      if (shadow.writeTags[no & (n - 1)] === Math.floor(no / n)) {
        shadow.writeTags[no & (n - 1)] = -1;
        shadow.dropped++;
      }
    }
  }

  /** Sets words `[first, end)` of page `no` to `word`, logging those it changes. */
  #fillWords(no: number, page: Uint32Array, first: number, end: number, word: number): void {
    this.#reserve(end - first);
    const keys = this.#jKeys, olds = this.#jOld, news = this.#jNew;
    const base = no * PAGE_SIZE;
    let e = this.#jpos;
    for (let w = first; w < end; w++) {
      const old = page[w];
      if (old === word) continue;
      page[w] = word;
      keys[e] = base + w * 4;
      olds[e] = old;
      news[e] = word;
      e++;
    }
    // (Nothing changed: the entries ahead, if the journal was moved back, stay.)
    if (e !== this.#jpos) this.#jpos = this.#jlen = e;
  }
}

/** A binding entry's code for no page (the page's bytes were dropped). */
const NO_PAGE = 0;
/** A binding entry's code for a fresh zero page (taken from the pool when applied). */
const FRESH_PAGE = 1;
/** The first code of a page the journal holds (`#jPages[code - PAGE_CODES]`). */
const PAGE_CODES = 2;

/**
 * Copies `n` bytes from byte `fromOff` of `from` (undefined: an untouched page, zeros) to byte
 * `off` of `page`: word by word with `set` or `fill` when both offsets and `n` are word-aligned,
 * else through byte views of the two pages.
 */
function copyInto(
  page: Uint32Array,
  off: number,
  from: Uint32Array | undefined,
  fromOff: number,
  n: number,
): void {
  if (((off | fromOff | n) & 3) === 0) {
    const w = off >>> 2;
    if (from === undefined) page.fill(0, w, w + (n >>> 2));
    else page.set(from.subarray(fromOff >>> 2, (fromOff + n) >>> 2), w);
    return;
  }
  const to = new Uint8Array(page.buffer, page.byteOffset + off, n);
  if (from === undefined) to.fill(0);
  else to.set(new Uint8Array(from.buffer, from.byteOffset + fromOff, n));
}

/** True when bytes `[off, off + n)` of `page` are all zero. */
function zeroIn(page: Uint32Array, off: number, n: number): boolean {
  const end = off + n;
  // Whole words, then the bytes of the partial words at either end.
  const first = (off + 3) >>> 2, last = end >>> 2;
  for (let w = first; w < last; w++) if (page[w] !== 0) return false;
  for (let b = off; b < Math.min(end, first * 4); b++) {
    if ((page[b >>> 2] >>> ((b & 3) * 8)) & 0xff) return false;
  }
  for (let b = Math.max(last * 4, off); b < end; b++) {
    if ((page[b >>> 2] >>> ((b & 3) * 8)) & 0xff) return false;
  }
  return true;
}
