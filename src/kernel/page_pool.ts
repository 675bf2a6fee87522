/**
 * Where the simulated memory gets its 4 KiB pages: a page the memory drops while nothing else
 * holds it (munmap, MADV_DONTNEED, a heap shrinking) is kept and handed out again, zeroed, for
 * the next first write. A fresh `Uint32Array(1024)` is an ArrayBuffer of its own — a backing
 * store allocated, zeroed and accounted to the garbage collector as external memory, about
 * 1–2 µs in V8 — where a recycled page costs a `fill(0)` (under 0.1 µs). Pages carved from
 * larger shared buffers (slabs of 16–64 pages) were tried and dropped: their first touch costs
 * kernel page faults (system time) that 4 KiB buffers from the C heap do not, and the A/B on
 * the mixed trace came out slower (bench/README.md).
 *
 * Invariants: a page handed out is zero and belongs to nobody else; a page given back must be
 * held by nobody (no snapshot, no journal, no directory): the pool hands it out again. At most
 * {@link FREE_PAGES_KEPT} pages wait for reuse, so a process that unmapped a large area does
 * not keep all its memory.
 *
 * @module
 */

/** Words of a page (4 KiB). */
const PAGE_WORDS = 1024;
/** Pages kept for reuse at most (16 MiB). */
export const FREE_PAGES_KEPT = 4096;

/**
 * A source of zeroed 4 KiB pages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PagePool } from "./page_pool.ts";
 * const pool = new PagePool();
 * const page = pool.take();
 * page[0] = 7;
 * pool.give(page);
 * assert.equal(pool.take()[0], 0); // the same page, zeroed again
 * ```
 */
export class PagePool {
  readonly #free: Uint32Array[] = [];

  /** Pages waiting for reuse. */
  get freePages(): number {
    return this.#free.length;
  }

  /** A zeroed page that nobody else holds. */
  take(): Uint32Array {
    const page = this.#free.pop();
    return page === undefined ? new Uint32Array(PAGE_WORDS) : page.fill(0);
  }

  /** A page with the words of `page`, for a copy on write. */
  copyOf(page: Uint32Array): Uint32Array {
    const copy = this.take();
    copy.set(page);
    return copy;
  }

  /** Takes back a page nobody holds any more (it is zeroed when handed out again). */
  give(page: Uint32Array): void {
    if (this.#free.length < FREE_PAGES_KEPT) this.#free.push(page);
  }
}
