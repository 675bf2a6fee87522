/**
 * glibc version profiles: every fact about one glibc release (and one architecture) that changes
 * what ptmalloc2 does — sizes of its structures, which checks exist and with which words, how
 * the tcache and the fastbins are linked, how memalign and calloc behave. One object per glibc
 * version, read by the code that needs a fact; no other module compares version numbers.
 *
 * Invariant: the derived sizes agree with glibc's C definitions (`MINSIZE`, `NFASTBINS`,
 * `sizeof (heap_info)`, `sizeof (struct malloc_state)`, `sizeof (tcache_perthread_struct)`) for
 * the profile's `SIZE_SZ` and `MALLOC_ALIGNMENT`; {@link checkProfile} verifies them.
 *
 * @module
 */

/** glibc versions heaplab models. 2.31, 2.36 and 2.41 are checked against the real oracle. */
export type GlibcVersion = "2.23" | "2.27" | "2.31" | "2.35" | "2.36" | "2.39" | "2.41";

/** Every version, oldest first. */
export const GLIBC_VERSIONS: readonly GlibcVersion[] = [
  "2.23",
  "2.27",
  "2.31",
  "2.35",
  "2.36",
  "2.39",
  "2.41",
];

/** Architectures. */
export type GlibcArch = "i386" | "x86_64";

/** How the tcache marks a chunk it holds (glibc `tcache_entry.key`). */
export type TcacheKeyKind = "none" | "tcache-pointer" | "random";

/** How `_int_memalign` gives back the leading part of an over-sized chunk. */
export type MemalignStyle =
  /** `_int_free` of the leader (it may land in the tcache or a fastbin): glibc up to 2.37. */
  | "free-leader"
  /** `_int_free_merge_chunk` of the leader (straight to the bins), a tcache look-up first. */
  | "merge-leader";

/** Words of the assertion glibc prints when one of malloc's `assert`s fails. */
export type AssertStyle =
  /** `PROG: malloc.c:LINE: FUNCTION: Assertion `…' failed.` (up to 2.35, and 2.37+). */
  | "classic"
  /** `Fatal glibc error: malloc assertion failure in FUNCTION: …` (glibc 2.36). */
  | "fatal";

/** One glibc build: a version on an architecture. */
export interface GlibcProfile {
  /** glibc version. */
  readonly version: GlibcVersion;
  /** Architecture. */
  readonly arch: GlibcArch;
  /** glibc `SIZE_SZ`: the size of a word (`INTERNAL_SIZE_T`). */
  readonly sizeSz: 4 | 8;
  /** glibc `MALLOC_ALIGNMENT` (16 on i386 from glibc 2.26; 8 before). */
  readonly mallocAlignment: 8 | 16;
  /** glibc `MINSIZE`: the smallest chunk. */
  readonly minSize: number;
  /** glibc `HEAP_MAX_SIZE`: size and alignment of a thread heap's reservation. */
  readonly heapMaxSize: number;
  /** glibc `HEAP_MIN_SIZE`: the smallest thread heap (32 KiB). */
  readonly heapMinSize: number;
  /** glibc `DEFAULT_MMAP_THRESHOLD_MAX`: the dynamic mmap threshold's ceiling. */
  readonly mmapThresholdMax: number;
  /** Page size. */
  readonly pageSize: number;
  /** glibc `DEFAULT_TOP_PAD` (128 KiB in glibc's malloc-machine.h). */
  readonly defaultTopPad: number;
  /** glibc `DEFAULT_MXFAST` (64 * SIZE_SZ / 4). */
  readonly defaultMxFast: number;
  /** glibc `MAX_FAST_SIZE`: the largest value `mallopt(M_MXFAST)` accepts (80 * SIZE_SZ / 4). */
  readonly maxFastSize: number;
  /** glibc `NFASTBINS`. */
  readonly nFastbins: number;
  /** `set_max_fast` maps every value up to `MALLOC_ALIGN_MASK - SIZE_SZ` to MIN_CHUNK_SIZE/2
   * (2.32+), instead of only 0. */
  readonly maxFastMaskCheck: boolean;
  /** `malloc_state` has the `have_fastchunks` field (2.26+); before, a bit of `flags`. */
  readonly arenaHasFastchunksField: boolean;
  /** heap_info has the `pagesize` field (2.35+). */
  readonly heapInfoHasPagesize: boolean;
  /** Thread heaps are reserved with MAP_NORESERVE (up to 2.40). */
  readonly heapReserveNoReserve: boolean;
  /** The per-thread cache exists (2.26+). */
  readonly tcache: boolean;
  /** Bytes of each tcache count: uint8_t up to 2.29, uint16_t from 2.30. */
  readonly tcacheCountBytes: 1 | 2;
  /** What `tcache_entry.key` holds. */
  readonly tcacheKey: TcacheKeyKind;
  /** The tcache double-free walk counts entries and checks their alignment (2.33+). */
  readonly tcacheWalkChecks: boolean;
  /** fd pointers of tcache and fastbin lists are mangled with `PROTECT_PTR` (2.32+). */
  readonly safeLinking: boolean;
  /** Alignment checks on tcache and fastbin entries ("unaligned … detected", 2.32+). */
  readonly alignmentChecks: boolean;
  /** calloc takes chunks from the tcache (2.41). */
  readonly callocUsesTcache: boolean;
  /** How memalign gives back the leading part. */
  readonly memalignStyle: MemalignStyle;
  /** aligned_alloc fails with EINVAL for an alignment that is not a power of two (2.38+). */
  readonly alignedAllocStrict: boolean;
  /** free() puts small chunks straight into their smallbin instead of the unsorted bin (2.41). */
  readonly freeSmallToSmallbin: boolean;
  /** realloc returns the same chunk when the request fits its usable size closely (2.41). */
  readonly reallocUsableShortcut: boolean;
  /** `_int_realloc` also checks `oldsize == chunksize (oldp)` (2.41). */
  readonly reallocOldSizeCheck: boolean;
  /** `_int_malloc` checks the top chunk's size against system_mem (2.29+). */
  readonly topSizeCheck: boolean;
  /** The unsorted-bin checks of 2.29+ (invalid size, next size, prev_size, list, prev_inuse). */
  readonly unsortedChecks: boolean;
  /** The "malloc(): corrupted unsorted chunks 3" check (2.29 to 2.40). */
  readonly unsortedChecks3: boolean;
  /** `unlink_chunk` checks `chunksize (p) == prev_size (next_chunk (p))` (2.26+). */
  readonly unlinkSizeCheck: boolean;
  /** malloc_consolidate checks each fastbin chunk's size index (2.27+). */
  readonly consolidateSizeCheck: boolean;
  /**
   * Backward consolidation checks the previous chunk's size against prev_size ("corrupted size
   * vs. prev_size while consolidating" / "in fastbins", 2.29+).
   */
  readonly consolidatePrevSizeCheck: boolean;
  /** munmap_chunk also checks that the user pointer's page offset is a power of two (2.30+). */
  readonly munmapChunkMemCheck: boolean;
  /** mremap_chunk checks the mapping ("mremap_chunk(): invalid pointer", 2.30+). */
  readonly mremapChunkCheck: boolean;
  /** free() leaves errno as it was (2.33+). */
  readonly freePreservesErrno: boolean;
  /** `mallopt(M_MMAP_THRESHOLD)` refuses values above HEAP_MAX_SIZE / 2 (up to 2.34). */
  readonly mmapThresholdMaxCheck: boolean;
  /**
   * Arguments of `sysmalloc_mmap_fallback` when brk fails: the size is aligned up to `align`
   * and raised to at least `min` (2.35 to 2.40 swapped them: 1 MiB alignment, 1 page minimum).
   */
  readonly mmapFallback: { readonly align: number; readonly min: number };
  /** Largest request: `PTRDIFF_MAX` (2.30+) or `-2 * MINSIZE` (REQUEST_OUT_OF_RANGE before). */
  readonly requestLimit: "ptrdiff" | "minus-2-minsize";
  /** Words of failed assertions. */
  readonly assertStyle: AssertStyle;
  /** malloc.c line numbers of the assertions heaplab models, where known for the version. */
  readonly assertLines: Readonly<Record<string, number>>;
  /** stdio buffers come from malloc (2.24+) or from mmap (older glibc's ALLOC_BUF). */
  readonly stdioBuffers: "malloc" | "mmap";
  /** glibc `TCACHE_MAX_BINS`. */
  readonly tcacheMaxBins: number;
  /** glibc `TCACHE_FILL_COUNT`. */
  readonly tcacheFillCount: number;
  /** sizeof (tcache_perthread_struct). */
  readonly tcacheStructSize: number;
  /** sizeof (heap_info). */
  readonly heapInfoSize: number;
  /** Layout of `struct malloc_state`. */
  readonly arena: ArenaLayout;
  /** glibc `MIN_LARGE_SIZE`: the first size of the large bins. */
  readonly minLargeSize: number;
  /** Which `largebin_index` macro applies. */
  readonly largebinIndex: "64" | "32" | "32-big";
}

/** Byte offsets of the fields of `struct malloc_state`. */
export interface ArenaLayout {
  /** `mutex` (an int). */
  readonly mutex: number;
  /** `flags` (an int): bit 1 NONCONTIGUOUS_BIT, bit 0 FASTCHUNKS_BIT before 2.26. */
  readonly flags: number;
  /** `have_fastchunks` (an int), or -1 when the version has no such field. */
  readonly haveFastchunks: number;
  /** `fastbinsY[NFASTBINS]`. */
  readonly fastbins: number;
  /** `top`. */
  readonly top: number;
  /** `last_remainder`. */
  readonly lastRemainder: number;
  /** `bins[NBINS * 2 - 2]`. */
  readonly bins: number;
  /** `binmap[BINMAPSIZE]` (unsigned ints). */
  readonly binmap: number;
  /** `next`. */
  readonly next: number;
  /** `next_free`. */
  readonly nextFree: number;
  /** `attached_threads`. */
  readonly attachedThreads: number;
  /** `system_mem`. */
  readonly systemMem: number;
  /** `max_system_mem`. */
  readonly maxSystemMem: number;
  /** sizeof (struct malloc_state). */
  readonly size: number;
}

/** glibc `NBINS`. */
export const NBINS = 128;
/** glibc `NSMALLBINS`. */
export const NSMALLBINS = 64;
/** glibc `BINMAPSIZE`. */
export const BINMAPSIZE = 4;

const KiB = 1024;
const MiB = 1024 * KiB;

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function arenaLayout(sizeSz: number, nFastbins: number, hasFastchunks: boolean): ArenaLayout {
  let off = 8; // mutex, flags
  const haveFastchunks = hasFastchunks ? off : -1;
  if (hasFastchunks) off += 4;
  off = alignUp(off, sizeSz);
  const fastbins = off;
  off += nFastbins * sizeSz;
  const top = off;
  const lastRemainder = off + sizeSz;
  const bins = off + 2 * sizeSz;
  off = bins + (NBINS * 2 - 2) * sizeSz;
  const binmap = off;
  off += BINMAPSIZE * 4;
  off = alignUp(off, sizeSz);
  const next = off;
  return {
    mutex: 0,
    flags: 4,
    haveFastchunks,
    fastbins,
    top,
    lastRemainder,
    bins,
    binmap,
    next,
    nextFree: next + sizeSz,
    attachedThreads: next + 2 * sizeSz,
    systemMem: next + 3 * sizeSz,
    maxSystemMem: next + 4 * sizeSz,
    size: next + 5 * sizeSz,
  };
}

interface VersionFacts {
  tcache: boolean;
  tcacheCountBytes: 1 | 2;
  tcacheKey: TcacheKeyKind;
  tcacheWalkChecks: boolean;
  safeLinking: boolean;
  alignmentChecks: boolean;
  callocUsesTcache: boolean;
  memalignStyle: MemalignStyle;
  alignedAllocStrict: boolean;
  freeSmallToSmallbin: boolean;
  reallocUsableShortcut: boolean;
  reallocOldSizeCheck: boolean;
  topSizeCheck: boolean;
  unsortedChecks: boolean;
  unsortedChecks3: boolean;
  unlinkSizeCheck: boolean;
  consolidateSizeCheck: boolean;
  consolidatePrevSizeCheck: boolean;
  munmapChunkMemCheck: boolean;
  mremapChunkCheck: boolean;
  freePreservesErrno: boolean;
  mmapThresholdMaxCheck: boolean;
  mmapFallbackSwapped: boolean;
  heapInfoHasPagesize: boolean;
  heapReserveNoReserve: boolean;
  maxFastMaskCheck: boolean;
  arenaHasFastchunksField: boolean;
  i386Align16: boolean;
  requestLimit: "ptrdiff" | "minus-2-minsize";
  assertStyle: AssertStyle;
  assertLines: Readonly<Record<string, number>>;
  stdioBuffers: "malloc" | "mmap";
}

const base231: VersionFacts = {
  tcache: true,
  tcacheCountBytes: 2,
  tcacheKey: "tcache-pointer",
  tcacheWalkChecks: false,
  safeLinking: false,
  alignmentChecks: false,
  callocUsesTcache: false,
  memalignStyle: "free-leader",
  alignedAllocStrict: false,
  freeSmallToSmallbin: false,
  reallocUsableShortcut: false,
  reallocOldSizeCheck: false,
  topSizeCheck: true,
  unsortedChecks: true,
  unsortedChecks3: true,
  unlinkSizeCheck: true,
  consolidateSizeCheck: true,
  consolidatePrevSizeCheck: true,
  munmapChunkMemCheck: true,
  mremapChunkCheck: true,
  freePreservesErrno: false,
  mmapThresholdMaxCheck: true,
  mmapFallbackSwapped: false,
  heapInfoHasPagesize: false,
  heapReserveNoReserve: true,
  maxFastMaskCheck: false,
  arenaHasFastchunksField: true,
  i386Align16: true,
  requestLimit: "ptrdiff",
  assertStyle: "classic",
  assertLines: { "sysmalloc old_top": 2379, "sysmalloc old_size": 2385 },
  stdioBuffers: "malloc",
};

/** glibc 2.35: safe-linking (2.32), the random tcache key (2.34), heap_info.pagesize (2.35). */
const base235: VersionFacts = {
  ...base231,
  tcacheKey: "random",
  tcacheWalkChecks: true,
  safeLinking: true,
  alignmentChecks: true,
  mmapThresholdMaxCheck: false,
  mmapFallbackSwapped: true,
  heapInfoHasPagesize: true,
  maxFastMaskCheck: true,
  freePreservesErrno: true,
  assertLines: {},
};

/** glibc 2.36: 2.35 with glibc's own words for malloc's failed assertions. */
const base236: VersionFacts = { ...base235, assertStyle: "fatal" };

/**
 * glibc 2.39: memalign looks in the tcache and gives its leader and tail straight to the bins
 * (2.38), aligned_alloc checks the alignment, realloc keeps a chunk that is already big
 * enough, no MAP_NORESERVE for heaps, the mmap-fallback argument order fixed, assertions back
 * to the classic words (generic __assert_fail).
 */
const base239: VersionFacts = {
  ...base235,
  memalignStyle: "merge-leader",
  alignedAllocStrict: true,
  reallocUsableShortcut: true,
  reallocOldSizeCheck: true,
  unsortedChecks3: false,
  mmapFallbackSwapped: false,
  heapReserveNoReserve: false,
};

const facts: Record<GlibcVersion, VersionFacts> = {
  "2.23": {
    ...base231,
    tcache: false,
    tcacheCountBytes: 1,
    tcacheKey: "none",
    topSizeCheck: false,
    unsortedChecks: false,
    unsortedChecks3: false,
    unlinkSizeCheck: false,
    consolidateSizeCheck: false,
    consolidatePrevSizeCheck: false,
    munmapChunkMemCheck: false,
    mremapChunkCheck: false,
    arenaHasFastchunksField: false,
    i386Align16: false,
    requestLimit: "minus-2-minsize",
    assertLines: { "sysmalloc old_top": 2394 },
  },
  "2.27": {
    ...base231,
    tcacheCountBytes: 1,
    tcacheKey: "none",
    topSizeCheck: false,
    unsortedChecks: false,
    unsortedChecks3: false,
    consolidatePrevSizeCheck: false,
    munmapChunkMemCheck: false,
    mremapChunkCheck: false,
    requestLimit: "minus-2-minsize",
    assertLines: {},
  },
  "2.31": base231,
  "2.35": base235,
  "2.36": base236,
  "2.39": base239,
  "2.41": {
    ...base239,
    callocUsesTcache: true,
    freeSmallToSmallbin: true,
  },
};

const cache = new Map<string, GlibcProfile>();

/**
 * The profile of a glibc version on an architecture.
 *
 * @example
 * ```ts
 * import { glibcProfile } from "./profile.ts";
 * const p = glibcProfile("2.36", "x86_64");
 * p.tcacheStructSize + 16; // 0x290, the tcache chunk
 * p.heapInfoSize; // 0x30 (0x20 on 2.31)
 * ```
 */
export function glibcProfile(version: string, arch: GlibcArch): GlibcProfile {
  const key = `${version}-${arch}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const f = facts[version as GlibcVersion];
  if (!f) {
    throw new RangeError(
      `Unknown glibc version: ${version} (expected one of ${GLIBC_VERSIONS.join(", ")})`,
    );
  }
  const sizeSz = arch === "x86_64" ? 8 : 4;
  const mallocAlignment: 8 | 16 = sizeSz === 8 || f.i386Align16 ? 16 : 8;
  const mask = mallocAlignment - 1;
  const minChunk = 4 * sizeSz;
  const minSize = (minChunk + mask) & ~mask;
  const request2size = (req: number) =>
    req + sizeSz + mask < minSize ? minSize : (req + sizeSz + mask) & ~mask;
  const maxFastSize = (80 * sizeSz) / 4;
  const fastbinShift = sizeSz === 8 ? 4 : 3;
  const nFastbins = (request2size(maxFastSize) >> fastbinShift) - 2 + 1;
  const heapFields = f.heapInfoHasPagesize ? 5 : 4;
  const heapInfoSize = alignUp(heapFields * sizeSz + 2 * sizeSz, mallocAlignment) - 2 * sizeSz;
  const smallbinCorrection = mallocAlignment > 2 * sizeSz ? 1 : 0;
  const mmapThresholdMax = sizeSz === 8 ? 4 * MiB * 8 : 512 * KiB;
  const pageSize = 4096;
  const tcacheMaxBins = 64;
  const swapped = f.mmapFallbackSwapped;
  const profile: GlibcProfile = {
    version: version as GlibcVersion,
    arch,
    sizeSz,
    mallocAlignment,
    minSize,
    heapMaxSize: 2 * mmapThresholdMax,
    heapMinSize: 32 * KiB,
    mmapThresholdMax,
    pageSize,
    defaultTopPad: 128 * KiB,
    defaultMxFast: (64 * sizeSz) / 4,
    maxFastSize,
    nFastbins,
    maxFastMaskCheck: f.maxFastMaskCheck,
    arenaHasFastchunksField: f.arenaHasFastchunksField,
    heapInfoHasPagesize: f.heapInfoHasPagesize,
    heapReserveNoReserve: f.heapReserveNoReserve,
    tcache: f.tcache,
    tcacheCountBytes: f.tcacheCountBytes,
    tcacheKey: f.tcacheKey,
    tcacheWalkChecks: f.tcacheWalkChecks,
    safeLinking: f.safeLinking,
    alignmentChecks: f.alignmentChecks,
    callocUsesTcache: f.callocUsesTcache,
    memalignStyle: f.memalignStyle,
    alignedAllocStrict: f.alignedAllocStrict,
    freeSmallToSmallbin: f.freeSmallToSmallbin,
    reallocUsableShortcut: f.reallocUsableShortcut,
    reallocOldSizeCheck: f.reallocOldSizeCheck,
    topSizeCheck: f.topSizeCheck,
    unsortedChecks: f.unsortedChecks,
    unsortedChecks3: f.unsortedChecks3,
    unlinkSizeCheck: f.unlinkSizeCheck,
    consolidateSizeCheck: f.consolidateSizeCheck,
    consolidatePrevSizeCheck: f.consolidatePrevSizeCheck,
    munmapChunkMemCheck: f.munmapChunkMemCheck,
    mremapChunkCheck: f.mremapChunkCheck,
    freePreservesErrno: f.freePreservesErrno,
    mmapThresholdMaxCheck: f.mmapThresholdMaxCheck,
    mmapFallback: swapped ? { align: MiB, min: pageSize } : { align: pageSize, min: MiB },
    requestLimit: f.requestLimit,
    assertStyle: f.assertStyle,
    assertLines: f.assertLines,
    stdioBuffers: f.stdioBuffers,
    tcacheMaxBins,
    tcacheFillCount: 7,
    tcacheStructSize: f.tcache ? tcacheMaxBins * (f.tcacheCountBytes + sizeSz) : 0,
    heapInfoSize,
    arena: arenaLayout(sizeSz, nFastbins, f.arenaHasFastchunksField),
    minLargeSize: (64 - smallbinCorrection) * mallocAlignment,
    largebinIndex: sizeSz === 8 ? "64" : mallocAlignment === 16 ? "32-big" : "32",
  };
  checkProfile(profile);
  cache.set(key, profile);
  return profile;
}

/**
 * Throws when a profile's derived sizes break glibc's own static assertions: heap_info plus a
 * chunk header must be a multiple of MALLOC_ALIGNMENT, MINSIZE a multiple of it, and the
 * fastbin array must cover MAX_FAST_SIZE.
 */
export function checkProfile(p: GlibcProfile): void {
  const fail = (what: string) => {
    throw new Error(`Inconsistent glibc profile ${p.version}-${p.arch}: ${what}`);
  };
  if ((p.heapInfoSize + 2 * p.sizeSz) % p.mallocAlignment !== 0) fail("heap_info alignment");
  if (p.minSize % p.mallocAlignment !== 0) fail("MINSIZE alignment");
  if ((p.heapMaxSize & (p.heapMaxSize - 1)) !== 0) fail("HEAP_MAX_SIZE is not a power of two");
  if (p.arena.size % p.sizeSz !== 0) fail("malloc_state size");
}
