/**
 * Where the simulated memory gets its 4 KiB pages: a page the memory drops while nothing else
 * holds it (munmap, MADV_DONTNEED, a heap shrinking) is kept and handed out again, zeroed, for
 * the next first write; a recycled page costs a `fill(0)` (under 0.1 µs).
 *
 * New pages are carved from slabs: one ArrayBuffer of 16 pages, then of twice as many as the
 * one before, up to {@link SLAB_PAGES}; a page is a `Uint32Array` view of its 4 KiB. The TLB
 * of the memory keeps a page's slab (see {@link slabOf}) and its offset there, so an access
 * goes from the TLB entry straight to the bytes: a few slab objects, always in the cache,
 * stand in for one `Uint32Array` object per page, and neighbouring pages are neighbours in the
 * host's memory, where each 4 KiB ArrayBuffer was an allocation of its own. (In a loop of
 * dependent random 64-bit reads over 1024 pages, 54–70 ns a read from slabs against 110–180
 * ns from 4 KiB buffers; over 256 pages, or 2048 and more, the two were alike.) Measured
 * against 4 KiB buffers (interleaved, CPU time; bench/README.md): 3–9% less on the small
 * trace's whole replay, 6–9% less on mixed, threads within the noise. Slabs were tried before
 * and dropped when the cost that mattered was a fresh page's: that is the host's page fault
 * either way, in `take` or on the page's first write.
 *
 * Invariants: a page handed out is zero and belongs to nobody else; a page given back must be
 * held by nobody (no snapshot, no journal, no directory): the pool hands it out again. At most
 * {@link FREE_PAGES_KEPT} pages wait for reuse, so a process that unmapped a large area does
 * not keep all its memory (a slab's memory goes when none of its pages is held any more).
 *
 * @module
 */

/** Words of a page (4 KiB). */
const PAGE_WORDS = 1024;
/** Pages kept for reuse at most (16 MiB). */
export const FREE_PAGES_KEPT = 4096;
/** Pages of the largest slab (1 MiB). */
export const SLAB_PAGES = 256;

// Each slab's view of its whole buffer is kept on the buffer and on each page carved from it,
// under a key no one else has: a TLB fill (one per slow-path access: 555k on the 1M
// threads replay) reads it from the page, a property load (about 7 ns in a loop over 256
// pages), where `page.buffer` is a call to V8's getter and one more object (about 17 ns; a
// WeakMap's hash lookup cost 1% of the threads trace). A page made elsewhere (its own buffer is
// its slab) gets it on first use.
const SLAB = Symbol("slab");
type SlabBuffer = ArrayBufferLike & { [SLAB]?: Uint32Array };
type SlabPage = Uint32Array & { [SLAB]?: Uint32Array };

/**
 * The view of the whole buffer that holds `page`: word `page.byteOffset / 4 + i` of it is word
 * `i` of the page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PagePool, slabOf } from "./page_pool.ts";
 * const page = new PagePool().take();
 * page[3] = 7;
 * assert.equal(slabOf(page)[page.byteOffset / 4 + 3], 7);
 * ```
 */
export function slabOf(page: Uint32Array): Uint32Array {
  return (page as SlabPage)[SLAB] ?? slabOfBuffer(page);
}

/** {@link slabOf} of a page that does not know its slab yet: from its buffer, kept on both. */
function slabOfBuffer(page: Uint32Array): Uint32Array {
  const buffer = page.buffer as SlabBuffer;
  return (page as SlabPage)[SLAB] = buffer[SLAB] ??= new Uint32Array(buffer);
}

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
  /** The slab new pages come from, its size in pages and the next page to carve. */
  #slab = new ArrayBuffer(0);
  #slabPages = 0;
  #carved = 0;

  /** Pages waiting for reuse. */
  get freePages(): number {
    return this.#free.length;
  }

  /** A zeroed page that nobody else holds. */
  take(): Uint32Array {
    const free = this.#free.pop();
    if (free !== undefined) return free.fill(0);
    if (this.#carved === this.#slabPages) {
      this.#slabPages = Math.min(SLAB_PAGES, Math.max(16, this.#slabPages * 2));
      this.#slab = new ArrayBuffer(this.#slabPages * PAGE_WORDS * 4);
      (this.#slab as SlabBuffer)[SLAB] = new Uint32Array(this.#slab);
      this.#carved = 0;
    }
    const page: SlabPage = new Uint32Array(
      this.#slab,
      this.#carved++ * PAGE_WORDS * 4,
      PAGE_WORDS,
    );
    page[SLAB] = (this.#slab as SlabBuffer)[SLAB];
    return page;
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
