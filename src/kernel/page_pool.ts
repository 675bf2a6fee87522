/**
 * Where the simulated memory gets its 4 KiB pages: carved from slabs of {@link SLAB_PAGES}
 * pages, and recycled when the memory drops a page that nothing else holds (munmap,
 * MADV_DONTNEED, a heap shrinking). A fresh `Uint32Array(1024)` is an ArrayBuffer of its own:
 * a backing store allocated, zeroed and accounted to the garbage collector as external memory,
 * about 1–5 µs in V8; a page carved from a slab is only a view (about 0.4 µs with the slab's
 * share), a recycled one a `fill(0)` (under 0.1 µs). Page creation was 6–15% of the allocator's
 * time before this pool (bench/README.md).
 *
 * Invariants: a page handed out is zero and belongs to nobody else; a page given back must be
 * held by nobody (no snapshot, no journal, no directory): the pool hands it out again. At most
 * {@link FREE_PAGES_KEPT} pages wait for reuse, so a process that unmapped a large area does
 * not keep its memory. Pages are views into shared slabs: code that needs a page's bytes as
 * another view must use its `byteOffset`, never assume offset 0 of its `buffer`.
 *
 * @module
 */

/** Words of a page (4 KiB). */
const PAGE_WORDS = 1024;
/** Pages per slab (256 KiB): large enough to amortize the slab, small enough not to waste. */
export const SLAB_PAGES = 64;
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
  #slab: ArrayBuffer | undefined;
  /** Pages of `#slab` already handed out. */
  #carved = SLAB_PAGES;
  readonly #free: Uint32Array[] = [];

  /** Pages waiting for reuse. */
  get freePages(): number {
    return this.#free.length;
  }

  /** A zeroed page that nobody else holds. */
  take(): Uint32Array {
    const page = this.#free.pop();
    if (page !== undefined) return page.fill(0);
    if (this.#carved === SLAB_PAGES) {
      this.#slab = new ArrayBuffer(SLAB_PAGES * PAGE_WORDS * 4);
      this.#carved = 0;
    }
    return new Uint32Array(this.#slab!, this.#carved++ * PAGE_WORDS * 4, PAGE_WORDS);
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
