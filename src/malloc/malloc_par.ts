/**
 * glibc's `mp_` (`struct malloc_par`): the tunable parameters (thresholds, padding, arena
 * limits, tcache sizes) and the mmap statistics, as bytes in libc's data at the build's offsets
 * — read and written there on every use, so a write into libc's memory changes what the
 * allocator does next.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";
import type { ChunkMemory } from "./chunk.ts";

/** glibc `struct malloc_par` (`mp_`): the tunable parameters and the mmap statistics. */
export interface MallocParams {
  /** `trim_threshold` (size_t, kept as a word). */
  trimThreshold: number;
  /** `top_pad`. */
  topPad: number;
  /** `mmap_threshold`. */
  mmapThreshold: number;
  /** `arena_test`. */
  arenaTest: number;
  /** `arena_max`. */
  arenaMax: number;
  /** `n_mmaps`. */
  nMmaps: number;
  /** `n_mmaps_max` (an int). */
  nMmapsMax: number;
  /** `max_n_mmaps`. */
  maxNMmaps: number;
  /** `no_dyn_threshold`. */
  noDynThreshold: boolean;
  /** `mmapped_mem`. */
  mmappedMem: number;
  /** `max_mmapped_mem`. */
  maxMmappedMem: number;
  /** `sbrk_base`: the first address MORECORE returned. */
  sbrkBase: number;
  /** `tcache_bins`. */
  tcacheBins: number;
  /**
   * `tcache_max_bytes`: up to 2.41 the largest usable size the tcache takes; from 2.42 one more
   * than the largest chunk size it takes.
   */
  tcacheMaxBytes: number;
  /** `tcache_count`. */
  tcacheCount: number;
  /** `tcache_unsorted_limit`. */
  tcacheUnsortedLimit: number;
}

/**
 * `mp_` as bytes: each field is read from and written to `struct malloc_par` in libc's data at
 * the build's offsets.
 */
export class MallocParamsMemory implements MallocParams {
  readonly #c: ChunkMemory;
  readonly #mem: Memory;
  readonly #trimThreshold: number;
  readonly #topPad: number;
  readonly #mmapThreshold: number;
  readonly #arenaTest: number;
  readonly #arenaMax: number;
  readonly #nMmaps: number;
  readonly #nMmapsMax: number;
  readonly #maxNMmaps: number;
  readonly #noDynThreshold: number;
  readonly #mmappedMem: number;
  readonly #maxMmappedMem: number;
  readonly #sbrkBase: number;
  readonly #tcacheBins: number;
  readonly #tcacheMaxBytes: number;
  readonly #tcacheCount: number;
  /** Offset of `tcache_unsorted_limit`, or -1 where mp_ has none (2.44 removed it). */
  readonly #tcacheUnsortedLimit: number;

  constructor(chunks: ChunkMemory, mp: number, fields: Readonly<Record<string, number>>) {
    this.#c = chunks;
    this.#mem = chunks.memory;
    this.#trimThreshold = mp + fields.trimThreshold;
    this.#topPad = mp + fields.topPad;
    this.#mmapThreshold = mp + fields.mmapThreshold;
    this.#arenaTest = mp + fields.arenaTest;
    this.#arenaMax = mp + fields.arenaMax;
    this.#nMmaps = mp + fields.nMmaps;
    this.#nMmapsMax = mp + fields.nMmapsMax;
    this.#maxNMmaps = mp + fields.maxNMmaps;
    this.#noDynThreshold = mp + fields.noDynThreshold;
    this.#mmappedMem = mp + fields.mmappedMem;
    this.#maxMmappedMem = mp + fields.maxMmappedMem;
    this.#sbrkBase = mp + fields.sbrkBase;
    this.#tcacheBins = mp + (fields.tcacheBins ?? fields.tcacheSmallBins);
    this.#tcacheMaxBytes = mp + fields.tcacheMaxBytes;
    this.#tcacheCount = mp + fields.tcacheCount;
    this.#tcacheUnsortedLimit = fields.tcacheUnsortedLimit === undefined
      ? -1
      : mp + fields.tcacheUnsortedLimit;
  }

  get trimThreshold(): number {
    return this.#c.word(this.#trimThreshold);
  }
  set trimThreshold(v: number) {
    this.#c.setWord(this.#trimThreshold, v);
  }
  get topPad(): number {
    return this.#c.word(this.#topPad);
  }
  set topPad(v: number) {
    this.#c.setWord(this.#topPad, v);
  }
  get mmapThreshold(): number {
    return this.#c.word(this.#mmapThreshold);
  }
  set mmapThreshold(v: number) {
    this.#c.setWord(this.#mmapThreshold, v);
  }
  get arenaTest(): number {
    return this.#c.word(this.#arenaTest);
  }
  set arenaTest(v: number) {
    this.#c.setWord(this.#arenaTest, v);
  }
  get arenaMax(): number {
    return this.#c.word(this.#arenaMax);
  }
  set arenaMax(v: number) {
    this.#c.setWord(this.#arenaMax, v);
  }
  get nMmaps(): number {
    return this.#mem.read32(this.#nMmaps) | 0;
  }
  set nMmaps(v: number) {
    this.#mem.write32(this.#nMmaps, v >>> 0);
  }
  get nMmapsMax(): number {
    return this.#mem.read32(this.#nMmapsMax) | 0;
  }
  set nMmapsMax(v: number) {
    this.#mem.write32(this.#nMmapsMax, v >>> 0);
  }
  get maxNMmaps(): number {
    return this.#mem.read32(this.#maxNMmaps) | 0;
  }
  set maxNMmaps(v: number) {
    this.#mem.write32(this.#maxNMmaps, v >>> 0);
  }
  get noDynThreshold(): boolean {
    return this.#mem.read32(this.#noDynThreshold) !== 0;
  }
  set noDynThreshold(v: boolean) {
    this.#mem.write32(this.#noDynThreshold, v ? 1 : 0);
  }
  get mmappedMem(): number {
    return this.#c.word(this.#mmappedMem);
  }
  set mmappedMem(v: number) {
    this.#c.setWord(this.#mmappedMem, v);
  }
  get maxMmappedMem(): number {
    return this.#c.word(this.#maxMmappedMem);
  }
  set maxMmappedMem(v: number) {
    this.#c.setWord(this.#maxMmappedMem, v);
  }
  get sbrkBase(): number {
    return this.#c.word(this.#sbrkBase);
  }
  set sbrkBase(v: number) {
    this.#c.setWord(this.#sbrkBase, v);
  }
  get tcacheBins(): number {
    return this.#c.word(this.#tcacheBins);
  }
  set tcacheBins(v: number) {
    this.#c.setWord(this.#tcacheBins, v);
  }
  get tcacheMaxBytes(): number {
    return this.#c.word(this.#tcacheMaxBytes);
  }
  set tcacheMaxBytes(v: number) {
    this.#c.setWord(this.#tcacheMaxBytes, v);
  }
  get tcacheCount(): number {
    return this.#c.word(this.#tcacheCount);
  }
  set tcacheCount(v: number) {
    this.#c.setWord(this.#tcacheCount, v);
  }
  get tcacheUnsortedLimit(): number {
    if (this.#tcacheUnsortedLimit < 0) return 0;
    return this.#c.word(this.#tcacheUnsortedLimit);
  }
  set tcacheUnsortedLimit(v: number) {
    if (this.#tcacheUnsortedLimit < 0) return;
    this.#c.setWord(this.#tcacheUnsortedLimit, v);
  }
}
