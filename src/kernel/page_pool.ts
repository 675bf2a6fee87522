/**
 * Where the simulated memory gets its 4 KiB pages: a page the memory drops while nothing else
 * holds it (munmap, MADV_DONTNEED, a heap shrinking) is kept and handed out again, zeroed, for
 * the next first write; a recycled page costs a `fill(0)` (under 0.1 µs).
 *
 * New pages come from a {@link PageStore}: one host buffer of 256 MiB of address space (smaller
 * when the host refuses it), reserved once and shared by every memory of this JS process; the
 * host backs only the pages written. A page is a `Uint32Array` view of its 4 KiB there, so the
 * TLB of a memory keeps, for a page of its store, only the page's word offset in the store's
 * one view: an access goes from the TLB entry to the bytes without loading a view per page or
 * per slab first — one dependent load fewer on the path of every simulated access (measured:
 * bench/README.md, "One buffer for the pages"). A memory's pages all come from the store that
 * was current when its pool was made; when that store is full, from slabs (ArrayBuffers of 16
 * pages, then twice as many as the one before, up to {@link SLAB_PAGES}), whose pages the TLB
 * does not hold (every access to them takes the slow path), and a later pool gets a new store.
 *
 * A store's page goes back to the store when its pool gives it back beyond
 * {@link FREE_PAGES_KEPT}, or when nothing holds it any more (a memory, a snapshot or a journal
 * that was dropped): a `FinalizationRegistry` returns it after the garbage collector found it,
 * at the host's next turn of its event loop. So the pages of processes made one after another
 * are reused, and a store's host pages once written stay with this JS process, as a heap's do.
 *
 * A page never written before is written once as it is handed out (a zero at its first word):
 * the host then gives it a page frame of its own at once. Were its first touch a read, the host
 * would map its shared zero page there, and the first write would have to replace that mapping
 * — which takes the other threads of the process (V8's compiler and collector threads) out of
 * that address, a TLB shootdown: 12.6 µs a page against 1.2 µs on the VM this was measured on
 * (the simulated memory reads a word before it writes it on a page's first write), some 15 ms
 * of a 1M-line small replay (bench/README.md, "The first touch of a page").
 *
 * A store whose size is a whole number of WebAssembly pages (64 KiB) is a `WebAssembly.Memory`
 * (its initial size its maximum, so its buffer never changes) where the host makes one, an
 * ArrayBuffer otherwise: WebAssembly code can then read and write the pages in place (the
 * allocator's tcache tier, src/malloc/tcache_tier.ts). Such a store keeps its pages 1 to
 * {@link SHADOW_TLB_PAGES} out of the pool, for a TLB that code keeps of its own
 * ({@link SHADOW_TLB_OFFSET}; the memory drops its entries as it drops its own, see memory.ts).
 *
 * Invariants: a page handed out is zero and belongs to nobody else; a page given back must be
 * held by nobody (no snapshot, no journal, no directory): the pool hands it out again. At most
 * {@link FREE_PAGES_KEPT} pages wait for reuse in a pool; a store's page is handed out by one
 * pool at a time, and its zero page (its page 0) never.
 *
 * @module
 */

/** Words of a page (4 KiB). */
const PAGE_WORDS = 1024;
/** Pages of a WebAssembly page (64 KiB). */
const WASM_PAGE_PAGES = 16;
/** Entries of the TLB a WebAssembly store keeps for WebAssembly code (a power of two). */
export const SHADOW_TLB_ENTRIES = 4096;
/**
 * Byte offset of that TLB in the store (page 1): read tags (i32), write tags (i32), then the
 * pages' byte offsets (u32), {@link SHADOW_TLB_ENTRIES} of each.
 */
export const SHADOW_TLB_OFFSET = 4096;
/** Pages of a WebAssembly store kept for that TLB (pages 1 to 12: 48 KiB). */
export const SHADOW_TLB_PAGES = (SHADOW_TLB_ENTRIES * (4 + 4 + 4)) / 4096;
/** Pages kept for reuse at most (16 MiB). */
export const FREE_PAGES_KEPT = 4096;
/** Pages of the largest slab (1 MiB). */
export const SLAB_PAGES = 256;
/**
 * Pages of a store, the largest the host gives first: 256 MiB of address space (the 1M mixed
 * trace's process writes 44.5k pages, 174 MiB), then less. The size is also what a loop that
 * makes process after process without yielding (so that no page comes back) leaves resident
 * before the next store: with 1 GiB, a loop of 2,000 small processes ended at 393 MiB of RSS
 * against 201 MiB with slabs alone; with 256 MiB, 284–366 MiB.
 */
const STORE_PAGES = [1 << 16, 1 << 14, 1 << 12];

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
 * One host buffer that pages are carved from: page `n` is words `n * 1024` to `n * 1024 + 1023`
 * of {@link PageStore.words}. Its page 0 is the zero page, never handed out. A page handed out
 * comes back by {@link PageStore.give}, or by itself once nothing holds it (see the module).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PageStore } from "./page_pool.ts";
 * const store = new PageStore(3); // the zero page and two more
 * const a = store.take()!, b = store.take()!;
 * assert.equal(store.take(), undefined); // full
 * a[0] = 7;
 * store.give(a);
 * const c = store.take()!;
 * assert.equal(c.byteOffset, a.byteOffset); // the same bytes, zeroed
 * assert.equal(c[0], 0);
 * assert.equal(b.buffer, store.words.buffer);
 * ```
 */
export class PageStore {
  /** The whole buffer as 32-bit words (each page's {@link slabOf}). */
  readonly words: Uint32Array;
  /** Page 0, all zeros: what the TLB reads for a readable page that has no bytes. */
  readonly zeroPage: Uint32Array;
  /** The store as WebAssembly sees it, when it is a `WebAssembly.Memory` (see the module). */
  readonly wasmMemory: WebAssembly.Memory | undefined;
  readonly #pages: number;
  /** Pages carved so far (page 0 and the shadow TLB's included). */
  #carved: number;
  /** Pages given back or found unreachable, by number, to hand out again (not zero). */
  readonly #returned: number[] = [];
  readonly #registry = new FinalizationRegistry<number>((no) => this.#returned.push(no));

  /**
   * A store of `pages` pages (a RangeError when the host cannot give the buffer): a
   * `WebAssembly.Memory` when `pages` is a whole number of WebAssembly pages above the shadow
   * TLB's and `wasm` is not false, and the host makes one.
   */
  constructor(pages: number, wasm = true) {
    this.wasmMemory = wasm && pages % WASM_PAGE_PAGES === 0 && pages > 2 * SHADOW_TLB_PAGES
      ? wasmMemoryOf(pages / WASM_PAGE_PAGES)
      : undefined;
    this.words = this.wasmMemory === undefined
      ? new Uint32Array(pages * PAGE_WORDS)
      : new Uint32Array(this.wasmMemory.buffer);
    (this.words.buffer as SlabBuffer)[SLAB] = this.words;
    this.#pages = pages;
    this.#carved = this.wasmMemory === undefined ? 1 : 1 + SHADOW_TLB_PAGES;
    this.zeroPage = this.#view(0);
  }

  /** Whether every page is out (none carved or returned is left). */
  get full(): boolean {
    return this.#carved === this.#pages && this.#returned.length === 0;
  }

  /** A zeroed page that nobody else holds, or undefined when every page is out. */
  take(): Uint32Array | undefined {
    const returned = this.#returned.pop();
    if (returned !== undefined) return this.#handOut(returned).fill(0);
    if (this.#carved === this.#pages) return undefined;
    return writtenOnce(this.#handOut(this.#carved++));
  }

  /** Takes back a page of this store that nobody holds any more. */
  give(page: Uint32Array): void {
    this.#registry.unregister(page);
    this.#returned.push(page.byteOffset / (PAGE_WORDS * 4));
  }

  #handOut(no: number): Uint32Array {
    const page = this.#view(no);
    this.#registry.register(page, no, page);
    return page;
  }

  #view(no: number): Uint32Array {
    const page: SlabPage = this.words.subarray(no * PAGE_WORDS, (no + 1) * PAGE_WORDS);
    page[SLAB] = this.words;
    return page;
  }
}

/** A WebAssembly memory of `wasmPages` pages that never grows, or undefined if the host refuses. */
function wasmMemoryOf(wasmPages: number): WebAssembly.Memory | undefined {
  if (typeof WebAssembly !== "object") return undefined;
  try {
    return new WebAssembly.Memory({ initial: wasmPages, maximum: wasmPages });
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** `page`, fresh from the host, after a write to it (see the module: its first touch a write). */
function writtenOnce(page: Uint32Array): Uint32Array {
  page[0] = 0;
  return page;
}

/** The store new pools take their pages from; replaced when full. */
let currentStore: PageStore | undefined;
/** Whether the host refused every store size: pools then use slabs alone. */
let noStore = false;

/** A store with pages left for a new pool, made when there is none; undefined if the host refuses. */
function storeForNewPool(): PageStore | undefined {
  if (currentStore !== undefined && !currentStore.full) return currentStore;
  if (noStore) return undefined;
  for (const pages of STORE_PAGES) {
    try {
      return currentStore = new PageStore(pages);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  noStore = true;
  return undefined;
}

/** The zero page of pools without a store. */
const LONE_ZERO_PAGE = new Uint32Array(PAGE_WORDS);

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
  /** The store new pages come from while it has room. */
  readonly #store: PageStore | undefined;
  /** The view of the store's words, whose pages the TLB holds (an empty view without a store). */
  readonly storeWords: Uint32Array;
  /** The store as a `WebAssembly.Memory`, when it is one. */
  readonly wasmMemory: WebAssembly.Memory | undefined;
  /** What a readable page without bytes reads as: the store's zero page. */
  readonly zeroPage: Uint32Array;
  /** The slab new pages come from once the store is full, its size and the next page to carve. */
  #slab = new ArrayBuffer(0);
  #slabPages = 0;
  #carved = 0;

  /** A pool taking its pages from `store` (default: this JS process's current store). */
  constructor(store: PageStore | undefined = storeForNewPool()) {
    this.#store = store;
    this.storeWords = store?.words ?? new Uint32Array(0);
    this.wasmMemory = store?.wasmMemory;
    this.zeroPage = store?.zeroPage ?? LONE_ZERO_PAGE;
  }

  /** Pages waiting for reuse. */
  get freePages(): number {
    return this.#free.length;
  }

  /** A zeroed page that nobody else holds. */
  take(): Uint32Array {
    const free = this.#free.pop();
    if (free !== undefined) return free.fill(0);
    const stored = this.#store?.take();
    if (stored !== undefined) return stored;
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
    return writtenOnce(page);
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
    else if (this.#store !== undefined && slabOf(page) === this.#store.words) {
      this.#store.give(page);
    }
  }
}
