/**
 * A persistent list: what a snapshot keeps of the process's threads (and the allocator of their
 * malloc variables), one entry per thread ever created. A history captures the process at every
 * step, and a trace that creates thousands of threads changes one entry at a time: a list that
 * was copied whole at each change cost time and memory in the square of the threads (the 1M-line
 * threads trace, 4,697 threads: 44M entries copied, some 350 MB kept by the recorded history).
 *
 * The entries are held in chunks of {@link CHUNK} under one spine array. Changing or appending
 * an entry copies the spine and the one chunk it touches, and shares every other chunk with the
 * list it came from: O(length / CHUNK + CHUNK) instead of O(length).
 *
 * Invariant: a list is never modified once returned (`with` and `append` make a new one); every
 * chunk but the last holds exactly {@link CHUNK} entries and the last one at least one (the empty
 * list has no chunk). {@link PersistentList.check} verifies it.
 *
 * @module
 */

/** Entries per chunk. */
export const CHUNK = 64;
const SHIFT = 6;

/** An immutable list that shares its unchanged chunks with the lists made from it. */
export class PersistentList<T> implements Iterable<T> {
  /** The number of entries. */
  readonly length: number;
  readonly #spine: readonly (readonly T[])[];

  private constructor(spine: readonly (readonly T[])[], length: number) {
    this.#spine = spine;
    this.length = length;
  }

  /**
   * The list of `items`' entries (copied).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PersistentList } from "./persistent_list.ts";
   * const a = PersistentList.of(["x", "y"]);
   * const b = a.with(1, "z").append("w");
   * assert.deepEqual([...a], ["x", "y"]);
   * assert.deepEqual(b.toArray(), ["x", "z", "w"]);
   * ```
   */
  static of<T>(items: readonly T[]): PersistentList<T> {
    const spine: T[][] = [];
    for (let i = 0; i < items.length; i += CHUNK) spine.push(items.slice(i, i + CHUNK));
    return new PersistentList<T>(spine, items.length);
  }

  /** Entry `i`; a RangeError outside `[0, length)`. */
  at(i: number): T {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
      throw new RangeError(`No entry ${i} in a list of ${this.length}`);
    }
    return this.#spine[i >>> SHIFT][i & (CHUNK - 1)];
  }

  /** This list with entry `i` set to `value` (this list itself when it holds that already). */
  with(i: number, value: T): PersistentList<T> {
    if (this.at(i) === value) return this;
    const spine = this.#spine.slice(), chunk = spine[i >>> SHIFT].slice();
    chunk[i & (CHUNK - 1)] = value;
    spine[i >>> SHIFT] = chunk;
    return new PersistentList(spine, this.length);
  }

  /** This list with `value` added at its end. */
  append(value: T): PersistentList<T> {
    const spine = this.#spine.slice(), last = this.length & (CHUNK - 1);
    if (last === 0) spine.push([value]);
    else spine[spine.length - 1] = [...spine[spine.length - 1], value];
    return new PersistentList(spine, this.length + 1);
  }

  /** The entries in order, in a new array. */
  toArray(): T[] {
    return this.#spine.flat() as T[];
  }

  /** The entries in order. */
  *[Symbol.iterator](): Iterator<T> {
    for (const chunk of this.#spine) yield* chunk;
  }

  /** Throws unless the chunks are as the module's invariant says. */
  check(): void {
    const spine = this.#spine, n = spine.length;
    const expected = Math.ceil(this.length / CHUNK);
    if (n !== expected) throw new Error(`${n} chunks for ${this.length} entries`);
    spine.forEach((chunk, k) => {
      const size = k < n - 1 ? CHUNK : this.length - k * CHUNK;
      if (chunk.length !== size) throw new Error(`chunk ${k} holds ${chunk.length}, not ${size}`);
    });
  }
}
