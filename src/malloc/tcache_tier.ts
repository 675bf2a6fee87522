/**
 * The WebAssembly tier of `malloc` and `free`: a module (src/malloc/wasm/tcache_tier.ts,
 * AssemblyScript, built into tcache_tier_wasm.ts) that serves the calls most of a heap's life
 * is made of — `__libc_malloc`'s tcache hit (`tcache_get`) and `__libc_free`'s way to
 * `_int_free`'s tcache put (`tcache_put`, every check glibc makes before it) or, when no tcache
 * bin takes the chunk, to `_int_free_chunk`'s fastbin put (its next-size and fasttop checks,
 * `have_fastchunks`, the arena of a thread heap's chunk) — reading and writing the process's
 * memory in place, at the same addresses with the same values as the JavaScript allocator. It is
 * not a second allocator: whatever else it meets it declines before writing anything (a key
 * that matches, a hook set, a size or pointer that would abort, a page it may not read or write
 * in place, a word a JavaScript number would carry rounded), and the JavaScript allocator, the
 * reference, runs the call as it always has — from its start, or where the tier stopped: at
 * the arena after a tcache miss (`mallocAfterTcacheMiss`), at `_int_free_chunk` after a full
 * bin whose fastbin put the tier did not make (`freeAfterTcache`: not a fastbin size, or a
 * fastbin check that would abort). A fresh process's WebAssembly runs at full speed from its
 * first call, where the JavaScript allocator's paths are interpreted and compiled first
 * (bench/README.md, issue #13).
 *
 * Where it applies: x86_64 glibc 2.30–2.41 (tcache counts of 2 bytes that count up; 2.31's
 * hooks are read and a set one declines; safe-linking from 2.32; the key the tcache pointer up
 * to 2.33, the random `tcache_key` from 2.34; `global_max_fast` a size_t, from 2.40 a byte),
 * on a process whose page store is a `WebAssembly.Memory` (src/kernel/page_pool.ts). Other
 * versions and i386 keep the JavaScript paths. It is not even asked while explain records are
 * kept, a call observer is set (a history), inside a nested call, with `perturb_byte` set,
 * before `ptmalloc_init`, or on a thread that is shutting down or joined; a journaled memory
 * gives it no page to write.
 *
 * The module keeps a TLB of its own in the store (see memory.ts's shadow TLB), for one `Memory`
 * at a time: when an allocator of another process calls, the tier is handed over and the TLB
 * emptied ({@link tcacheTierStats}.handovers).
 *
 * @module
 */

import type { Memory, ShadowTlb } from "../kernel/memory.ts";
import { SHADOW_TLB_ENTRIES, SHADOW_TLB_OFFSET } from "../kernel/page_pool.ts";
import type { MallocContext, ThreadMalloc } from "./context.ts";
import type { GlibcProfile } from "./profile.ts";
import { TCACHE_TIER_WASM } from "./tcache_tier_wasm.ts";

/** The module's exports (addresses as doubles: a BigInt crossing costs 3–5×). */
interface TierExports {
  setup(region: number): void;
  configure(
    tcacheBins: number,
    tcacheCount: number,
    mallocHook: number,
    freeHook: number,
    keyMode: number,
    safeLinking: number,
    indexBias: number,
    heapMaxSize: number,
  ): void;
  configureArena(
    mainArena: number,
    maxFastAt: number,
    maxFastWidth: number,
    haveFastchunks: number,
    fastbins: number,
    systemMem: number,
  ): void;
  malloc(bytes: number, tls: number): number;
  free(mem: number, tls: number, key: number): number;
}

/**
 * What the tier did in this JS process: calls served and declined, hand-overs between
 * allocators, and its TLB entries the memories dropped (not public API: for tests and the
 * bench).
 */
export const tcacheTierStats = {
  /** Tcache hits served. */
  mallocs: 0,
  /** Misses: the tier read the empty bin, the arena took the call on. */
  mallocMisses: 0,
  /** Calls declined: the JavaScript allocator ran them from the start. */
  mallocsDeclined: 0,
  /** Tcache puts served. */
  frees: 0,
  /** Fastbin puts served (`_int_free_chunk`'s first branch, after the tcache took none). */
  freesToFastbin: 0,
  /**
   * Frees checked by the tier and sent on to `_int_free_chunk` (no tcache bin took them, and
   * the tier made no fastbin put).
   */
  freesToArena: 0,
  /** Calls declined. */
  freesDeclined: 0,
  handovers: 0,
  /** TLB entries dropped one by one, and sweeps of the whole TLB (see memory.ts). */
  tlbDropped: 0,
  tlbSweeps: 0,
};

/** The tier declined a call: the JavaScript allocator runs it from its start. */
export const TIER_DECLINED = -1;
/** malloc's tcache bin had no chunk: the arena is next (`mallocAfterTcacheMiss`). */
export const TIER_MISS = -2;
/** free put the chunk into the tcache or its arena's fastbin: the call is done. */
export const TIER_FREED = 1;
/**
 * free's checks passed, no tcache bin takes the chunk and the tier made no fastbin put:
 * `freeAfterTcache` is next.
 */
export const TIER_TO_ARENA = 2;
/** The module's answer for a fastbin put (the tier returns {@link TIER_FREED}). */
const WASM_FASTBIN = 3;

/** Whether allocators made from now on use the tier (tests turn it off to compare). */
export const tcacheTierSwitch = { enabled: true };

/**
 * The tier of one page store: its module instance, its TLB and who has it now — by number and
 * through a weak reference, so that the tier keeps no dropped process's memory alive.
 */
class StoreTier {
  readonly exports: TierExports;
  readonly tlb: ShadowTlb;
  /** The number of the {@link TcacheTier} that has the tier now (0: none). */
  owner = 0;
  /** Its memory, whose TLB entries the module's TLB holds. */
  memory: WeakRef<Memory> | undefined = undefined;

  constructor(store: WebAssembly.Memory) {
    const buffer = store.buffer;
    this.tlb = {
      readTags: new Int32Array(buffer, SHADOW_TLB_OFFSET, SHADOW_TLB_ENTRIES),
      writeTags: new Int32Array(
        buffer,
        SHADOW_TLB_OFFSET + 4 * SHADOW_TLB_ENTRIES,
        SHADOW_TLB_ENTRIES,
      ),
      dropped: 0,
      flushed: 0,
    };
    this.tlb.readTags.fill(-1);
    this.tlb.writeTags.fill(-1);
    const fill = (page: number): number => this.memory?.deref()?.shadowFill(page) ?? -1;
    const instance = new WebAssembly.Instance(tierModule(), { env: { memory: store, fill } });
    this.exports = instance.exports as unknown as TierExports;
    this.exports.setup(SHADOW_TLB_OFFSET);
  }
}

let compiled: WebAssembly.Module | undefined;
/** The number of the last {@link TcacheTier} made. */
let tiersMade = 0;
const storeTiers = new WeakMap<WebAssembly.Memory, StoreTier>();

/** The compiled module (compiled once per JS process, on first use). */
function tierModule(): WebAssembly.Module {
  if (compiled === undefined) {
    const text = atob(TCACHE_TIER_WASM);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** Whether the tier follows this glibc build's tcache paths exactly (see the module). */
export function tcacheTierApplies(profile: GlibcProfile): boolean {
  return profile.tcache && profile.sizeSz === 8 && profile.tcacheCountBytes === 2 &&
    !profile.tcacheCountsDown && profile.tcacheLargeBins === 0 && profile.tcacheMaxBins === 64 &&
    profile.mallocAlignment === 16 && profile.minSize === 32;
}

/**
 * One allocator's use of its store's tier.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { tcacheTierStats } from "./tcache_tier.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36", explain: false });
 * const p = heap.malloc(24);
 * const served = tcacheTierStats.frees;
 * heap.free(p); // the tcache put, in WebAssembly
 * assert.equal(tcacheTierStats.frees, served + 1);
 * assert.equal(heap.malloc(24), p); // and the tcache hit
 * ```
 */
export class TcacheTier {
  readonly #m: MallocContext;
  readonly #store: StoreTier;
  readonly #id = ++tiersMade;

  private constructor(m: MallocContext, store: StoreTier) {
    this.#m = m;
    this.#store = store;
  }

  /** The tier for the allocator of `m`, or undefined where it does not apply. */
  static of(m: MallocContext): TcacheTier | undefined {
    if (!tcacheTierSwitch.enabled || !tcacheTierApplies(m.profile)) return undefined;
    const wasm = m.memory.wasmStore;
    if (wasm === undefined || typeof WebAssembly !== "object") return undefined;
    let store = storeTiers.get(wasm);
    if (store === undefined) storeTiers.set(wasm, store = new StoreTier(wasm));
    return new TcacheTier(m, store);
  }

  /**
   * `malloc(bytes)` by the tier: the pointer; {@link TIER_MISS} when the tcache bin has no
   * chunk (the arena is next: `mallocAfterTcacheMiss`); {@link TIER_DECLINED} when it declines.
   */
  malloc(bytes: number): number {
    const m = this.#m, tls = this.#asked(m);
    if (tls === undefined || !(bytes >= 0 && bytes <= 0x7fff_ffff)) return TIER_DECLINED;
    if (this.#store.owner !== this.#id) this.#takeOver();
    const r = this.#store.exports.malloc(bytes, tls.slot);
    if (r >= 0) tcacheTierStats.mallocs++;
    else if (r === TIER_MISS) tcacheTierStats.mallocMisses++;
    else tcacheTierStats.mallocsDeclined++;
    return r;
  }

  /**
   * `free(mem)` by the tier: {@link TIER_FREED} (into the tcache or a fastbin),
   * {@link TIER_TO_ARENA} (the checks passed, no tcache bin takes the chunk and the tier made no
   * fastbin put: `freeAfterTcache` is next) or {@link TIER_DECLINED}.
   */
  free(mem: number): number {
    const m = this.#m, tls = this.#asked(m);
    if (tls === undefined || !(mem >= 16 && mem < 2 ** 47)) return TIER_DECLINED;
    if (this.#store.owner !== this.#id) this.#takeOver();
    const r = this.#store.exports.free(mem, tls.slot, m.tcacheKey);
    if (r === TIER_FREED) tcacheTierStats.frees++;
    else if (r === WASM_FASTBIN) {
      tcacheTierStats.freesToFastbin++;
      return TIER_FREED;
    } else if (r === TIER_TO_ARENA) tcacheTierStats.freesToArena++;
    else tcacheTierStats.freesDeclined++;
    return r;
  }

  /**
   * The running thread's malloc variables when the tier may be asked now (see the module), else
   * undefined. A thread without them yet is left to JavaScript, which makes them (and zeroes its
   * TLS `tcache` word) inside the call, as every other write of the call.
   */
  #asked(m: MallocContext): ThreadMalloc | undefined {
    if (m.explain.enabled || !m.initialized || m.perturbByte !== 0) return undefined;
    const tls = m.madeTls();
    return tls === undefined || tls.shuttingDown || m.thread.state === "joined" ? undefined : tls;
  }

  /** Takes the store's tier from the allocator that had it: its TLB emptied, its facts set. */
  #takeOver(): void {
    const store = this.#store, m = this.#m, p = m.profile, libc = m.libc;
    const tlb = store.tlb;
    store.memory?.deref()?.attachShadow(undefined);
    tlb.readTags.fill(-1);
    tlb.writeTags.fill(-1);
    store.owner = this.#id;
    store.memory = new WeakRef(m.memory);
    m.memory.attachShadow(tlb);
    const fields = libc.build.facts.mallocPar;
    const hooks = libc.hooksActive;
    store.exports.configure(
      libc.mp + (fields.tcacheBins ?? fields.tcacheSmallBins),
      libc.mp + fields.tcacheCount,
      hooks ? libc.hooks.__malloc_hook : 0,
      hooks ? libc.hooks.__free_hook : 0,
      p.tcacheKey === "random" ? 2 : p.tcacheKey === "tcache-pointer" ? 1 : 0,
      p.safeLinking ? 1 : 0,
      p.tcacheIndexRoundsUp ? p.minSize - p.mallocAlignment + 1 : p.minSize,
      p.heapMaxSize,
    );
    // The fastbin put where the version has fastbins and global_max_fast is a size_t or a byte.
    const width = libc.globalMaxFastSize;
    const maxFastWidth = p.fastbins && p.arena.haveFastchunks >= 0 && (width === 8 || width === 1)
      ? width
      : 0;
    store.exports.configureArena(
      libc.mainArena,
      libc.globalMaxFast,
      maxFastWidth,
      p.arena.haveFastchunks,
      p.arena.fastbins,
      p.arena.systemMem,
    );
    tcacheTierStats.handovers++;
  }
}

/** Adds the tier TLBs' drop counts to {@link tcacheTierStats} (for the bench) and resets them. */
export function collectTierTlbCounts(memory: Memory): void {
  const wasm = memory.wasmStore;
  const store = wasm === undefined ? undefined : storeTiers.get(wasm);
  if (store === undefined) return;
  tcacheTierStats.tlbDropped += store.tlb.dropped;
  tcacheTierStats.tlbSweeps += store.tlb.flushed;
  store.tlb.dropped = store.tlb.flushed = 0;
}
