/**
 * Bin indexing (glibc `fastbin_index`, `smallbin_index`, `largebin_index`, `bin_index`,
 * `csize2tidx`) and the names views print for bins. Bin 1 is the unsorted bin, bins 2..63 the
 * small bins (one size each), bins 64..126 the large bins (size ranges, kept sorted), and the
 * fastbins and tcache bins are separate singly linked lists indexed by size.
 *
 * Invariant: `binIndex(size)` of a free chunk outside the tcache and fastbins names the only
 * regular bin it may be kept in (once sorted out of the unsorted bin).
 *
 * @module
 */

import { type GlibcProfile, NSMALLBINS } from "./profile.ts";

function shr(x: number, n: number): number {
  return x >= 0 && x < 0x8000_0000 ? x >> n : x < 0 ? Infinity : Math.floor(x / 2 ** n);
}

/** Indices below this have their names kept: every real bin's (128 regular, 64+ tcache). */
const KEPT_NAMES = 256;

/**
 * Names by index, kept once made — for indices a real bin has only: a corrupted size word can
 * name any index, and a fuzzing run would otherwise keep a name for each it met.
 */
class KeptNames {
  readonly #names: string[] = [];

  get(i: number): string | undefined {
    return this.#names[i];
  }

  keep(i: number, name: string): string {
    if (Number.isInteger(i) && i >= 0 && i < KEPT_NAMES) this.#names[i] = name;
    return name;
  }
}

/**
 * Size-to-bin arithmetic of one glibc build.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BinIndex } from "./bins.ts";
 * import { glibcProfile } from "./profile.ts";
 * const bins = new BinIndex(glibcProfile("2.36", "x86_64"));
 * assert.equal(bins.fastbinIndex(0x20), 0);
 * assert.equal(bins.binIndex(0x90), 9); // a small bin
 * assert.equal(bins.binIndex(0x400), 64); // the first large bin
 * assert.equal(bins.binName(9), "smallbin 0x90");
 * ```
 */
export class BinIndex {
  readonly #p: GlibcProfile;
  readonly #fastShift: number;
  readonly #smallShift: number;
  readonly #smallCorrection: number;
  readonly #minLarge: number;
  readonly #align: number;
  readonly #largeLimit: number;
  readonly #largeBase: number;
  /** `MINSIZE - MALLOC_ALIGNMENT + 1`: csize2tidx divides `size - this` by the alignment. */
  readonly #tcacheBias: number;
  // Names by index, made on first use: an explain record names a bin at nearly every step.
  readonly #binNames = new KeptNames();
  readonly #fastbinNames = new KeptNames();
  readonly #tcacheNames = new KeptNames();

  /** The bin arithmetic of a glibc build. */
  constructor(profile: GlibcProfile) {
    this.#p = profile;
    this.#fastShift = profile.sizeSz === 8 ? 4 : 3;
    this.#smallShift = profile.mallocAlignment === 16 ? 4 : 3;
    this.#smallCorrection = profile.mallocAlignment > 2 * profile.sizeSz ? 1 : 0;
    this.#minLarge = profile.minLargeSize;
    this.#align = profile.mallocAlignment;
    this.#tcacheBias = profile.tcacheIndexRoundsUp
      ? profile.minSize - profile.mallocAlignment + 1
      : profile.minSize;
    const kind = profile.largebinIndex;
    this.#largeLimit = kind === "64" ? 48 : kind === "32-big" ? 45 : 38;
    this.#largeBase = kind === "64" ? 48 : kind === "32-big" ? 49 : 56;
  }

  /**
   * glibc `fastbin_index`, which casts the size to `unsigned int` first: of a size word a
   * corruption made 2^32 or more, only the low 32 bits count (0x7fff00000021 is a 0x20 chunk's).
   */
  fastbinIndex(size: number): number {
    const low = size >= 0 && size <= 0xffff_ffff
      ? size
      : size - Math.floor(size / 2 ** 32) * 2 ** 32;
    return (low >>> this.#fastShift) - 2;
  }

  /** The chunk size a fastbin holds. */
  fastbinSize(i: number): number {
    return (i + 2) << this.#fastShift;
  }

  /** glibc `in_smallbin_range` (unsigned). */
  inSmallbinRange(size: number): boolean {
    return size >= 0 && size < this.#minLarge;
  }

  /** glibc `smallbin_index`. */
  smallbinIndex(size: number): number {
    return (size >> this.#smallShift) + this.#smallCorrection;
  }

  /** glibc `largebin_index` (the 64-bit, 32-bit or 32-bit-with-16-byte-alignment macro). */
  largebinIndex(size: number): number {
    const s6 = shr(size, 6);
    if (s6 <= this.#largeLimit) return this.#largeBase + s6;
    const s9 = shr(size, 9);
    if (s9 <= 20) return 91 + s9;
    const s12 = shr(size, 12);
    if (s12 <= 10) return 110 + s12;
    const s15 = shr(size, 15);
    if (s15 <= 4) return 119 + s15;
    const s18 = shr(size, 18);
    if (s18 <= 2) return 124 + s18;
    return 126;
  }

  /** glibc `bin_index`. */
  binIndex(size: number): number {
    return this.inSmallbinRange(size) ? this.smallbinIndex(size) : this.largebinIndex(size);
  }

  /** glibc `csize2tidx`: the tcache bin of a chunk size. */
  tcacheIndex(size: number): number {
    const r = size - this.#tcacheBias;
    // The usual size: a shift instead of a floating-point division.
    if (r >= 0 && r <= 0x7fff_ffff) return r >> this.#smallShift;
    // Unsigned in glibc: a size below the bias (a corrupted size word, 0) or a negative word
    // wraps to a huge index, as does a negative word.
    if (r < 0) return Infinity;
    return Math.floor(r / this.#align);
  }

  /** The chunk size a tcache bin holds (glibc `tidx2usize` plus the header). */
  tcacheSize(i: number): number {
    return i * this.#align + this.#p.minSize;
  }

  /** The chunk size of a small bin. */
  smallbinSize(i: number): number {
    return (i - this.#smallCorrection) << this.#smallShift;
  }

  /** The smallest chunk size of a large bin. */
  largebinMinSize(i: number): number {
    let lo = this.#minLarge, hi = 2 ** 40;
    if (this.largebinIndex(lo) >= i) return lo;
    while (hi - lo > this.#align) {
      const mid = Math.floor((lo + hi) / 2 / this.#align) * this.#align;
      if (this.largebinIndex(mid) >= i) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Name of a regular bin: `unsorted`, `smallbin 0x90`, `largebin 64 (0x400+)`. */
  binName(i: number): string {
    return this.#binNames.get(i) ?? this.#binNames.keep(
      i,
      i === 1
        ? "unsorted"
        : i < NSMALLBINS
        ? `smallbin 0x${this.smallbinSize(i).toString(16)}`
        : `largebin ${i} (0x${this.largebinMinSize(i).toString(16)}+)`,
    );
  }

  /** Name of a fastbin: `fastbin 0x20`. */
  fastbinName(i: number): string {
    return this.#fastbinNames.get(i) ??
      this.#fastbinNames.keep(i, `fastbin 0x${this.fastbinSize(i).toString(16)}`);
  }

  /**
   * glibc 2.42+ `large_csize2tidx`: the large tcache bin of a chunk size above the small bins,
   * one bin per power of two.
   */
  tcacheLargeIndex(size: number): number {
    const maxSmall = this.tcacheSize(this.#p.tcacheSmallBins - 1);
    return this.#p.tcacheSmallBins + size.toString(2).length - maxSmall.toString(2).length;
  }

  /**
   * Name of a tcache bin: `tcache 0x20`; on 2.42+ a large one's range, `tcache 0x420-0x7f0`, and
   * `tcache bin N` for an index past every chunk size (only a corrupted `mp_.tcache_bins` lets
   * glibc reach one).
   */
  tcacheName(i: number): string {
    return this.#tcacheNames.get(i) ?? this.#tcacheNames.keep(i, this.#tcacheRangeName(i));
  }

  #tcacheRangeName(i: number): string {
    const small = this.#p.tcacheSmallBins;
    if (i < small) return `tcache 0x${this.tcacheSize(i).toString(16)}`;
    // 2.42+ large bins (glibc `large_csize2tidx`): one per power of two above the small bins.
    const maxSmall = this.tcacheSize(small - 1);
    const width = maxSmall.toString(2).length + (i - small);
    if (width > this.#p.sizeSz * 8) return `tcache bin ${i}`;
    // Exact in bigints: the highest classes reach 2^64, past doubles' exact integers.
    const top = 1n << BigInt(width), first = top >> 1n, above = BigInt(maxSmall + this.#align);
    const low = first > above ? first : above, high = top - BigInt(this.#align);
    return `tcache 0x${low.toString(16)}-0x${high.toString(16)}`;
  }

  /** Name of the bin a free chunk of `size` sorts into. */
  nameForSize(size: number): string {
    return this.binName(this.binIndex(size));
  }
}
