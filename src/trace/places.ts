/**
 * Where an address lies, in the words of the oracle's trace format v2 (`docs/trace_format.md`,
 * "Places"): the trace's fake areas (`fake<K>`), the main heap, a live thread heap, the memory a
 * slot stands for (`slot<N>`: an `mmap` slot's mapping, an mmapped chunk's), libc's image. The
 * replay names pointer results and pointer-sized `read` values by these rules; for every chunk an
 * intact heap hands out they agree with v1's (which looked only at the size word's flags), and
 * they decide only for the pointers a corrupted heap hands out.
 *
 * The fake areas are carved, 16-byte aligned, out of a 64 KiB region with a 4 KiB guard on each
 * side, as the oracle's driver carves them out of its `.bss` ({@link FakeAreas}).
 *
 * @module
 */

import { TraceError } from "./parse.ts";

/** Bytes the fake areas can take in all. */
export const FAKE_SIZE = 64 * 1024;
/** Bytes of guard on each side of the fake areas (part of the region, never handed out). */
export const FAKE_GUARD = 4096;
/** Fake areas a trace can make. */
export const MAX_FAKES = 1024;

/** An address named by where it lies (without a size word): what v2 prints for places. */
export type AddressPlace =
  /** In fake area `area` (area 1 for the guard below it), `offset` from its start. */
  | { readonly kind: "fake"; readonly area: number; readonly offset: number }
  /** From the main heap start up to the break (inclusive). */
  | { readonly kind: "main"; readonly offset: number }
  /** In the HEAP_MAX_SIZE reservation of live thread heap `heap`. */
  | { readonly kind: "heap"; readonly heap: number; readonly offset: number }
  /** In the memory slot `slot` stands for, `offset` from the slot's pointer. */
  | { readonly kind: "slot"; readonly slot: number; readonly offset: number }
  /** In libc's image, `offset` from its load address. */
  | { readonly kind: "libc"; readonly offset: number };

/**
 * The trace's fake areas: `fake <id> <size>` takes the next `size` bytes (rounded up to 16) of
 * the region, which starts zeroed; areas are never reused.
 */
export class FakeAreas {
  /** The region's first byte (the guard below area 1). */
  readonly regionStart: number;
  readonly #starts: number[] = [];
  #used = 0;

  /** Areas carved from the region whose guard starts at `regionStart`. */
  constructor(regionStart: number) {
    this.regionStart = regionStart;
  }

  /** Bytes of the whole region, guards included. */
  static get regionSize(): number {
    return FAKE_GUARD + FAKE_SIZE + FAKE_GUARD;
  }

  /** Areas made so far. */
  get count(): number {
    return this.#starts.length;
  }

  /**
   * A new area of `size` bytes (above 0): its number (1, 2, …) and start. Throws the driver's
   * {@link TraceError} when the region has no room left.
   */
  carve(size: number | bigint, line: number): { area: number; start: number } {
    const rounded = typeof size === "bigint" ? Infinity : Math.ceil(size / 16) * 16;
    if (rounded > FAKE_SIZE - this.#used || this.#starts.length >= MAX_FAKES) {
      throw new TraceError(line, "fake areas exhausted");
    }
    const start = this.regionStart + FAKE_GUARD + this.#used;
    this.#used += rounded;
    this.#starts.push(start);
    return { area: this.#starts.length, start };
  }

  /** The area `addr` lies in (the last that starts at or below it; area 1 for the guard below). */
  find(addr: number): { area: number; start: number } | undefined {
    const starts = this.#starts;
    if (starts.length === 0) return undefined;
    if (!(addr >= this.regionStart && addr - this.regionStart < FakeAreas.regionSize)) {
      return undefined;
    }
    let k = 0;
    for (let i = 1; i < starts.length; i++) if (starts[i] <= addr) k = i;
    return { area: k + 1, start: starts[k] };
  }
}

/**
 * The memory each slot stands for in places: an `mmap` slot's mapping (its length as given), and
 * the mapping of an mmapped chunk a slot received (kept after it is freed, until the slot gets
 * another pointer). Looked up lowest slot first, as the driver does. (A place's offset counts
 * from the slot's pointer, which the session keeps.)
 */
export class SlotRegions {
  // [lo, hi, kind] by slot; kind 1 for an mmap address, 0 for a chunk's mapping.
  readonly #regions = new Map<number, [number, number, number]>();
  #sorted: number[] | undefined = undefined;

  /** Slot `slot` stands for `[lo, hi)`: an mmap slot's mapping or a chunk's. */
  set(slot: number, lo: number, hi: number, mmapAddress: boolean): void {
    if (!(hi > lo)) {
      this.clear(slot);
      return;
    }
    if (!this.#regions.has(slot)) this.#sorted = undefined;
    this.#regions.set(slot, [lo, hi, mmapAddress ? 1 : 0]);
  }

  /** Slot `slot` stands for no memory. */
  clear(slot: number): void {
    if (this.#regions.delete(slot)) this.#sorted = undefined;
  }

  /**
   * The lowest slot whose memory holds `addr` (only mmap slots unless `chunks`), or -1.
   */
  find(addr: number, chunks: boolean): number {
    if (this.#regions.size === 0) return -1;
    const sorted = this.#sorted ??= [...this.#regions.keys()].sort((a, b) => a - b);
    for (const slot of sorted) {
      const [lo, hi, kind] = this.#regions.get(slot)!;
      if (addr >= lo && addr < hi && (chunks || kind === 1)) return slot;
    }
    return -1;
  }
}

/** What the places need of the simulated libc: where its image lies. */
export interface LibcImage {
  /** libc's load address (its first mapping). */
  readonly base: number;
  /** The end of its image (its last segment, .bss included). */
  readonly imageEnd: number;
}

/**
 * Where the oracle's driver has its fake region (`fake_mem`, the guard below area 1): the
 * driver's load address in the oracle's runs (ASLR off; its first mapping in the kernel traces'
 * first `rawmaps`) plus `fake_mem`'s offset in the driver binary (`nm`). x86_64: one address for
 * every build; i386 by build (2.31, 2.36, 2.41; any other version takes 2.41's, unmeasured).
 */
export function oracleFakeRegion(arch: "i386" | "x86_64", glibc: string): number {
  if (arch === "x86_64") return 0x7fff_f680_0000 + 0xc9000;
  return (I386_DRIVER_BASE[glibc] ?? I386_DRIVER_BASE["2.41"]) + 0x7d000;
}

/** The i386 driver's load address in the oracle's runs, by the glibc build it ran on. */
const I386_DRIVER_BASE: Readonly<Record<string, number>> = {
  "2.31": 0xf69c_5000,
  "2.36": 0xf69b_c000,
  "2.41": 0xf69b_a000,
};
