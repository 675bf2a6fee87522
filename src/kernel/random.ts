/**
 * The one deterministic random source of the simulation (mulberry32): ASLR's offsets, glibc's
 * `getrandom` for the tcache key, and the tests' random programs all draw from a seed, so a run
 * repeats exactly.
 *
 * @module
 */

/**
 * A seeded generator of 32-bit values (mulberry32).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeededRandom } from "./random.ts";
 * const a = new SeededRandom(7), b = new SeededRandom(7);
 * assert.equal(a.nextUint32(), b.nextUint32());
 * assert.ok(a.next() >= 0 && a.next() < 1);
 * ```
 */
export class SeededRandom {
  #state: number;

  /** A generator starting from `seed` (its low 32 bits). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The generator's state (for snapshots: setting it back repeats what followed). */
  get state(): number {
    return this.#state;
  }

  set state(value: number) {
    this.#state = value >>> 0;
  }

  /** The next 32 random bits, as an unsigned number. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}
