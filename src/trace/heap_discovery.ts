/**
 * Finding the thread heaps the way the oracle's driver finds them (its `scan_heaps`): after an
 * operation, every readable and writable anonymous mapping is searched at each HEAP_MAX_SIZE
 * boundary for a plausible `heap_info` (`ar_ptr`, `prev`, `size`, `mprotect_size`) — so the
 * replay's output does not rest on the allocator's own bookkeeping.
 *
 * Invariant: a heap gets the next number when it is first seen, heaps that appear in the same
 * scan are numbered along their `prev` chain, and a heap that is unmapped keeps its number
 * retired; a later heap at the same address gets a new number.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";

/** A heap the scan has seen. */
export interface DiscoveredHeap {
  /** Its start (a multiple of HEAP_MAX_SIZE). */
  readonly base: number;
  /** Its number, 1, 2, … in order of discovery (`heapK` in the output). */
  readonly num: number;
  /** Still mapped at the last scan. */
  alive: boolean;
}

/** The heaps of one process, numbered as the oracle's driver numbers them. */
export class HeapDiscovery {
  readonly #process: Process;
  readonly #heapMax: number;
  readonly #sizeSz: number;
  readonly #heaps: DiscoveredHeap[] = [];
  #nextNumber = 1;
  #scannedVersion = -1;

  /** Heaps of `process`, aligned to `heapMax` (HEAP_MAX_SIZE). */
  constructor(process: Process, heapMax: number) {
    this.#process = process;
    this.#heapMax = heapMax;
    this.#sizeSz = process.words.bytes;
  }

  /** Every heap seen so far, in order of discovery, which is the order of their numbers. */
  get heaps(): readonly DiscoveredHeap[] {
    return this.#heaps;
  }

  /** The number of the live heap at `base`, if there is one. */
  numberOf(base: number): number | undefined {
    // This runs for every thread-arena pointer the replay prints, and a thread's pointers come
    // in runs from its arena's heap: the heap found last is tried first. (At most one live heap
    // has a given base, so it is the one the loop would find.)
    const last = this.#lastFound;
    if (last !== undefined && last.base === base && last.alive) return last.num;
    const heaps = this.#heaps;
    for (let i = 0; i < heaps.length; i++) {
      if (heaps[i].alive && heaps[i].base === base) {
        this.#lastFound = heaps[i];
        return heaps[i].num;
      }
    }
    return undefined;
  }

  /** The heap {@link numberOf} found last. */
  #lastFound: DiscoveredHeap | undefined = undefined;

  /** Scans again even if the address space has not changed since the last scan. */
  rescan(): void {
    this.#scannedVersion = -1;
    this.scan();
  }

  /** Looks for heaps that appeared or disappeared since the last scan. */
  scan(): void {
    // Heaps appear and disappear only with mmap, munmap and mprotect, which bump the version.
    // (This test alone is small enough for V8 to inline into the replay's every operation.)
    if (this.#process.space.version !== this.#scannedVersion) this.#scanAreas();
  }

  #scanAreas(): void {
    const space = this.#process.space;
    this.#scannedVersion = space.version;
    const heapMax = this.#heapMax;
    const found: number[] = [];
    for (const v of space.areas()) {
      if (!isAnon(v) || space.isHeap(v) || (v.prot & 3) !== 3) continue;
      for (let a = Math.ceil(v.start / heapMax) * heapMax; a < v.end; a += heapMax) {
        if (this.#isHeapAt(a, v.end)) found.push(a);
      }
    }
    for (const h of this.#heaps) if (h.alive && !found.includes(h.base)) h.alive = false;
    const known = (a: number) => this.#heaps.some((h) => h.alive && h.base === a);
    const pending = found.filter((a) => !known(a));
    while (pending.length > 0) {
      let pick = -1;
      for (let j = 0; j < pending.length; j++) {
        const prev = this.#word(pending[j] + this.#sizeSz);
        if (pending.some((k, i) => i !== j && k === prev)) continue;
        if (pick < 0 || pending[j] < pending[pick]) pick = j;
      }
      if (pick < 0) pick = pending.indexOf(Math.min(...pending));
      this.#heaps.push({ base: pending[pick], num: this.#nextNumber++, alive: true });
      pending.splice(pick, 1);
    }
  }

  #word(addr: number): number {
    const memory = this.#process.space.memory; // unchecked: the replay's own reads
    return this.#sizeSz === 8 ? memory.read64(addr) : memory.read32(addr);
  }

  #heapInfoOk(a: number, vmaEnd: number): boolean {
    const words = this.#process.words, heapMax = this.#heapMax, s = this.#sizeSz;
    const size = this.#word(a + 2 * s), mprotectSize = this.#word(a + 3 * s);
    const prev = this.#word(a + s);
    if (size === 0 || !words.le(size, heapMax) || words.lt(mprotectSize, size)) return false;
    if (!words.le(mprotectSize, heapMax) || mprotectSize % 4096 !== 0) return false;
    if (prev < 0 || prev % heapMax !== 0) return false;
    return a + mprotectSize <= vmaEnd;
  }

  #isHeapAt(a: number, vmaEnd: number): boolean {
    if (!this.#heapInfoOk(a, vmaEnd)) return false;
    const ar = this.#word(a);
    if (ar <= 0) return false;
    const first = Math.floor(ar / this.#heapMax) * this.#heapMax;
    if (ar - first < 4 * this.#sizeSz || ar - first > 0x40) return false;
    if (first === a) return true;
    const space = this.#process.space;
    const fv = space.areaAt(first);
    if (!fv || !(fv.prot & 1) || !isAnon(fv) || space.isHeap(fv)) return false;
    return this.#word(first) === ar && this.#heapInfoOk(first, fv.end);
  }
}

function isAnon(v: { file?: unknown; name?: string }): boolean {
  return !v.file && !v.name;
}
