/**
 * The allocator's global and thread-local state — what glibc keeps in static variables of
 * malloc.c and arena.c. `main_arena`, the parameters `mp_`, `global_max_fast`, the hooks and each
 * thread's TLS `tcache` pointer are bytes in simulated memory at their real addresses in libc
 * (src/malloc/libc_state.ts), read and written there on every call, so a user's write to them
 * changes what the next call does. The rest — `perturb_byte`, the arena list bookkeeping
 * (`narenas`, `free_list`, `next_to_use`, `aligned_heap_area`), the tcache key, `thread_arena`
 * and `tcache_shutting_down` — are scalars in JavaScript.
 *
 * Invariant: every module of the allocator reaches the process (memory and system calls) and
 * these variables through one {@link MallocContext}.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import { SeededRandom } from "../kernel/random.ts";
import type { Process } from "../kernel/process.ts";
import type { Thread } from "../kernel/threads.ts";
import type { WordOps } from "../kernel/word.ts";
import { ArenaMemory } from "./malloc_state.ts";
import { BinIndex } from "./bins.ts";
import { ChunkMemory } from "./chunk.ts";
import { MALLOC_ASSERTIONS, type MallocAssertion } from "./assertions.ts";
import { HeapAbort, HeapAssertionFailure } from "./errors.ts";
import { Explainer } from "./explain.ts";
import type { LibcEvent } from "./libc_events.ts";
import { LibcState } from "./libc_state.ts";
import { type MallocParams, MallocParamsMemory } from "./malloc_par.ts";
import type { GlibcProfile } from "./profile.ts";

/**
 * A thread's malloc variables (glibc `__thread` variables of malloc.c and arena.c). `tcache` is
 * the word in the thread's TLS block; the others are kept in JavaScript.
 */
export class ThreadMalloc {
  /** `thread_arena`: the arena the thread allocates from, or 0. */
  arena = 0;
  /** `tcache_shutting_down` (2.43+: `tcache` points at the disabled dummy). */
  shuttingDown = false;
  readonly #c: ChunkMemory;
  readonly #thread: Thread;
  /** Address of the thread's TLS `tcache` variable. */
  readonly slot: number;

  /**
   * The variables of `thread`, whose `tcache` lives at `slot`: zeroed there when `fresh`, as new
   * TLS is (a joined thread has no TLS left to zero: its stack may be unmapped, see
   * {@link tcache}), else as memory holds it.
   */
  constructor(chunks: ChunkMemory, thread: Thread, slot: number, fresh: boolean) {
    this.#c = chunks;
    this.#thread = thread;
    this.slot = slot;
    if (fresh && thread.state !== "joined") chunks.setWord(slot, 0);
  }

  /** `tcache`: address of the thread's tcache_perthread_struct, or 0 (read from its TLS). */
  get tcache(): number {
    if (this.#thread.state === "joined") return 0; // its TLS is gone with its stack
    return this.#c.word(this.slot);
  }

  set tcache(value: number) {
    this.#c.setWord(this.slot, value);
  }
}

/** A thread heap the allocator created (glibc `heap_info` at `start`). */
export interface HeapRecord {
  /** Address of heap_info (HEAP_MAX_SIZE-aligned). */
  readonly start: number;
  /** The arena it belongs to. */
  readonly arena: number;
  /** Still mapped. */
  alive: boolean;
  /** Creation number, 1, 2, … */
  readonly number: number;
}

const LOCALS_KEY = "heaplab.malloc";

/** Options of the global state. */
export interface MallocContextOptions {
  /** Online CPUs (glibc `__get_nprocs`), for the arena limit. */
  nprocs: number;
  /** Record explain steps. */
  explain: boolean;
  /** Seed of the tcache key (glibc takes it from getrandom). */
  seed: number;
}

/**
 * The allocator's state and its access to the process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { MallocContext } from "./context.ts";
 * import { glibcProfile } from "./profile.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const m = new MallocContext(proc, glibcProfile("2.36", "x86_64"), {
 *   nprocs: 2, explain: false, seed: 1,
 * });
 * assert.equal(m.params.mmapThreshold, 131072);
 * ```
 */
export class MallocContext {
  /** The process. */
  readonly process: Process;
  /** Its memory. */
  readonly memory: Memory;
  /** Its word arithmetic. */
  readonly words: WordOps;
  /** The glibc build. */
  readonly profile: GlibcProfile;
  /** Chunk field access. */
  readonly chunks: ChunkMemory;
  /** Arena field access. */
  readonly arenas: ArenaMemory;
  /** Bin arithmetic. */
  readonly bins: BinIndex;
  /** Explain records. */
  readonly explain: Explainer;
  /** glibc `mp_` (bytes in libc's data). */
  readonly params: MallocParams;
  /** Online CPUs. */
  readonly nprocs: number;
  /** Where libc's allocator state lies. */
  readonly libc: LibcState;
  /** Address of `main_arena`. */
  mainArena: number;
  /** glibc `perturb_byte`. */
  perturbByte = 0;
  /** glibc `__malloc_initialized`. */
  initialized = false;
  /**
   * glibc 2.43+ `tcache_init (av)` as `_int_malloc` calls it, set by `ptmalloc_init`: a
   * function rather than an import because tcache_init itself calls `_int_malloc`.
   */
  tcacheInitIn: (arena: number) => void = () => {};
  /** glibc `tcache_key` (2.34+), a word. */
  tcacheKey = 0;
  /** glibc `narenas`. */
  narenas = 1;
  /** glibc `narenas_limit` (static in arena_get2). */
  narenasLimit = 0;
  /** glibc `free_list`. */
  freeList = 0;
  /** glibc `next_to_use` (static in reused_arena). */
  nextToUse = 0;
  /** glibc `aligned_heap_area`. */
  alignedHeapArea = 0;
  /** The process has created a thread (glibc's SINGLE_THREAD_P is false from then on). */
  multiThreaded = false;
  /** Thread heaps, in creation order. */
  readonly heaps: HeapRecord[] = [];
  /** Starts of the main arena's chunk regions (a new one after each non-contiguous sbrk). */
  readonly mainSegments: number[] = [];
  /** Live mmapped chunks (chunk addresses), for inspection. */
  readonly mmappedChunks: Set<number> = new Set();
  /** What hijacked calls did (system, puts), in order. */
  readonly events: LibcEvent[] = [];
  /** The public operation in progress, for abort messages. */
  operation = "";
  /**
   * glibc `tcache_unsorted_count`, a local of `_int_malloc`: here because it counts across the
   * passes of the unsorted bin (`intMalloc` makes one more after a malloc_consolidate), each pass
   * a function of its own. A nested `_int_malloc` (2.43+ creating the tcache mid-pass) keeps
   * the caller's count (see `tcacheForStash` in malloc.ts).
   */
  tcacheUnsortedCount = 0;
  readonly #random: SeededRandom;
  readonly #maxFastAt: number;
  readonly #maxFastSize: number;
  #tlsThread: Thread | undefined;
  #tlsValue: ThreadMalloc | undefined;

  /** glibc's state for `process`, before ptmalloc_init. */
  constructor(process: Process, profile: GlibcProfile, options: MallocContextOptions) {
    this.process = process;
    // The simulator's own accesses skip the argument checks of `process.memory`.
    this.memory = process.space.memory;
    this.words = process.words;
    this.profile = profile;
    this.nprocs = options.nprocs;
    this.chunks = ChunkMemory.of(this.memory, process.words, profile);
    this.arenas = new ArenaMemory(this.chunks, profile);
    this.bins = new BinIndex(profile);
    this.explain = new Explainer(options.explain);
    const libc = new LibcState(process, profile);
    this.libc = libc;
    this.mainArena = libc.mainArena;
    this.#maxFastAt = libc.globalMaxFast;
    this.#maxFastSize = libc.globalMaxFastSize;
    const facts = libc.build.facts;
    this.memory.fill(libc.mp, facts.mallocParSize, 0);
    this.params = new MallocParamsMemory(this.chunks, libc.mp, facts.mallocPar);
    // mp_'s static initializer in libc's .data
    const params = this.params;
    params.trimThreshold = 128 * 1024;
    params.topPad = profile.defaultTopPad;
    params.mmapThreshold = 128 * 1024;
    params.arenaTest = profile.sizeSz === 4 ? 2 : 8;
    params.nMmapsMax = 65536;
    params.tcacheBins = profile.tcache ? profile.tcacheSmallBins : 0;
    // Up to 2.41 the largest usable size (tidx2usize); from 2.42 the largest chunk size + 1.
    params.tcacheMaxBytes = (profile.tcacheSmallBins - 1) * profile.mallocAlignment +
      profile.minSize + (profile.tcacheLargeBins > 0 ? 1 : -profile.sizeSz);
    params.tcacheCount = profile.tcacheFillCount;
    params.tcacheUnsortedLimit = 0;
    if (libc.placement !== "packed") this.#loadDataBeforeMainArena();
    // .bss: global_max_fast and the hooks are zero until ptmalloc_init; up to 2.33 three hooks
    // start out at their *_hook_ini functions
    this.globalMaxFast = 0;
    for (const [name, at] of Object.entries(libc.hooks)) {
      const ini = libc.hooksActive ? libc.symbol(name.slice(2).replace("_hook", "_hook_ini")) : 0;
      this.chunks.setWord(at, ini ?? 0);
    }
    this.#random = new SeededRandom(options.seed);
  }

  /**
   * The loader's work on the 256 bytes of libc's data below main_arena: the file's bytes, then
   * base + addend at each RELATIVE relocation (only where the data is writable).
   */
  #loadDataBeforeMainArena(): void {
    const libc = this.libc, w = libc.build.facts.dataBeforeMainArena;
    const start = libc.base + w.offset;
    const area = this.process.space.areaAt(start);
    if (!area || (area.prot & 2) === 0 || area.end < start + w.bytes.length / 2) return;
    const bytes = new Uint8Array(w.bytes.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(w.bytes.slice(2 * i, 2 * i + 2), 16);
    this.memory.writeBytes(start, bytes);
    for (const [offset, addend] of w.relative) {
      this.chunks.setWord(libc.base + offset, libc.base + addend);
    }
  }

  /**
   * glibc `global_max_fast`, read from libc's .bss (a size_t, or a uint8_t from 2.40). Read on
   * every malloc and free past the tcache: the size_t case is kept small enough to inline.
   */
  get globalMaxFast(): number {
    return this.#maxFastSize === 8 ? this.chunks.word(this.#maxFastAt) : this.#narrowMaxFast();
  }

  set globalMaxFast(value: number) {
    const at = this.#maxFastAt;
    switch (this.#maxFastSize) {
      case 8:
        this.chunks.setWord(at, value);
        break;
      case 4:
        this.memory.write32(at, value >>> 0);
        break;
      case 1:
        this.memory.write8(at, value & 0xff);
        break;
    }
  }

  /** {@link MallocContext.globalMaxFast} when it is not a size_t. */
  #narrowMaxFast(): number {
    switch (this.#maxFastSize) {
      case 4:
        return this.memory.read32(this.#maxFastAt);
      case 1:
        return this.memory.read8(this.#maxFastAt);
      default:
        return 0;
    }
  }

  /** 32 random bits (glibc's getrandom, made deterministic). */
  random32(): number {
    return this.#random.nextUint32();
  }

  /** The state of the random source (for snapshots). */
  get randomState(): number {
    return this.#random.state;
  }

  set randomState(seed: number) {
    this.#random.state = seed;
  }

  /** Forgets the cached thread variables (after a snapshot replaced them). */
  forgetThreadCache(): void {
    this.#tlsThread = undefined;
    this.#tlsValue = undefined;
  }

  /** The thread running now. */
  get thread(): Thread {
    return this.process.currentThread;
  }

  /** A thread's malloc variables (created zero on first use, as TLS is). */
  tls(thread: Thread = this.process.currentThread): ThreadMalloc {
    return thread === this.#tlsThread ? this.#tlsValue! : this.#tlsOf(thread);
  }

  /**
   * {@link MallocContext.tls} of a thread other than the last one asked for: apart so that the
   * usual case, inlined into every malloc and free, spends little of V8's inlining budget.
   */
  #tlsOf(thread: Thread): ThreadMalloc {
    let t = thread.locals.get(LOCALS_KEY) as ThreadMalloc | undefined;
    if (t === undefined) {
      t = new ThreadMalloc(this.chunks, thread, this.libc.tcacheSlot(thread), true);
      thread.locals.set(LOCALS_KEY, t);
    }
    this.#tlsThread = thread;
    this.#tlsValue = t;
    return t;
  }

  /**
   * The running thread's malloc variables if it has them already, else undefined: unlike
   * {@link MallocContext.tls}, nothing is made (making them zeroes the TLS `tcache` word).
   */
  madeTls(): ThreadMalloc | undefined {
    const thread = this.process.currentThread;
    if (thread === this.#tlsThread) return this.#tlsValue;
    return thread.locals.has(LOCALS_KEY) ? this.#tlsOf(thread) : undefined;
  }

  /**
   * Makes the malloc variables of a thread that has none, over its TLS as memory holds it: a
   * fork restoring a captured state, whose pages brought the `tcache` word back.
   */
  adoptTls(thread: Thread): ThreadMalloc {
    const t = new ThreadMalloc(this.chunks, thread, this.libc.tcacheSlot(thread), false);
    thread.locals.set(LOCALS_KEY, t);
    return t;
  }

  /** True if the thread already has malloc variables (it called into malloc). */
  hasTls(thread: Thread): boolean {
    return thread.locals.has(LOCALS_KEY);
  }

  /** glibc `SINGLE_THREAD_P`. */
  get singleThread(): boolean {
    return !this.multiThreaded;
  }

  /** glibc `malloc_printerr`: the process aborts with glibc's message. */
  abort(message: string, address = 0): never {
    throw new HeapAbort(message, this.operation, address);
  }

  /**
   * A failed glibc `assert` in malloc.c or arena.c: ends the operation with a
   * {@link HeapAssertionFailure} in the version's words (profile `assertStyle`) and line
   * (`assertLines`), naming the program by its path, as a process started through it would.
   */
  assertFail(assertion: MallocAssertion, address = 0): never {
    const p = this.profile;
    const line = p.assertLines[assertion];
    if (line === undefined) {
      throw new Error(`heaplab bug: glibc ${p.version} has no assertion ${assertion}`);
    }
    const site = MALLOC_ASSERTIONS[assertion];
    const expression = p.assertExpressions[assertion] ?? site.expression;
    throw new HeapAssertionFailure(
      { ...site, expression, assertion, style: p.assertStyle, line },
      {
        programName: this.process.start.programPath ?? "",
        operation: this.operation,
        address,
      },
    );
  }

  /** Sets errno on the current thread (glibc `__set_errno`). */
  setErrno(errno: number = Errno.ENOMEM): void {
    this.process.currentThread.errno = errno;
  }

  /** The heap_info address of a chunk in a thread heap (glibc `heap_for_ptr`). */
  heapForPtr(p: number): number {
    const max = this.profile.heapMaxSize;
    // HEAP_MAX_SIZE is a power of two: a multiplication and a floor, where `%` on an address
    // above 2^31 would be a floating-point remainder (a call into the runtime in V8).
    return p >= 0 ? Math.floor(p / max) * max : p - (p % max);
  }

  /** glibc `arena_for_chunk`. */
  arenaForChunk(p: number): number {
    if (this.chunks.isMainArena(p)) return this.mainArena;
    return this.chunks.word(this.heapForPtr(p));
  }

  /** Unsigned `a < b` on words. */
  lt(a: number, b: number): boolean {
    return this.chunks.lt(a, b);
  }

  /** Unsigned `a <= b` on words. */
  le(a: number, b: number): boolean {
    return this.chunks.le(a, b);
  }
}
