/**
 * The allocator's global and thread-local state — what glibc keeps in static variables of
 * malloc.c and arena.c: the parameters `mp_`, `global_max_fast`, `perturb_byte`, the arena list
 * bookkeeping (`narenas`, `free_list`, `next_to_use`, `aligned_heap_area`), the tcache key, and
 * per thread `tcache`, `thread_arena` and `tcache_shutting_down`. The arenas, heaps, chunks and
 * tcaches themselves are bytes in simulated memory; only these scalars live in JavaScript.
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
import { HeapAbort } from "./errors.ts";
import { Explainer } from "./explain.ts";
import type { GlibcProfile } from "./profile.ts";

/** glibc `struct malloc_par` (`mp_`): the tunable parameters and the mmap statistics. */
export interface MallocParams {
  /** `trim_threshold` (size_t, kept as a word). */
  trimThreshold: number;
  /** `top_pad`. */
  topPad: number;
  /** `mmap_threshold`. */
  mmapThreshold: number;
  /** `arena_test`. */
  arenaTest: number;
  /** `arena_max`. */
  arenaMax: number;
  /** `n_mmaps`. */
  nMmaps: number;
  /** `n_mmaps_max` (an int). */
  nMmapsMax: number;
  /** `max_n_mmaps`. */
  maxNMmaps: number;
  /** `no_dyn_threshold`. */
  noDynThreshold: boolean;
  /** `mmapped_mem`. */
  mmappedMem: number;
  /** `max_mmapped_mem`. */
  maxMmappedMem: number;
  /** `sbrk_base`: the first address MORECORE returned. */
  sbrkBase: number;
  /** `tcache_bins`. */
  tcacheBins: number;
  /** `tcache_max_bytes` (up to 2.41: the largest usable size the tcache takes). */
  tcacheMaxBytes: number;
  /** 2.42+ `tcache_max_bytes`: one more than the largest chunk size the tcache takes. */
  tcacheMaxChunk: number;
  /** `tcache_count`. */
  tcacheCount: number;
  /** `tcache_unsorted_limit`. */
  tcacheUnsortedLimit: number;
}

/** A thread's malloc variables (glibc `__thread` variables of malloc.c and arena.c). */
export interface ThreadMalloc {
  /** `tcache`: address of the thread's tcache_perthread_struct, or 0. */
  tcache: number;
  /** `thread_arena`: the arena the thread allocates from, or 0. */
  arena: number;
  /** `tcache_shutting_down` (2.43+: `tcache` points at the disabled dummy). */
  shuttingDown: boolean;
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
 * import { Process } from "../kernel/process.ts";
 * import { MallocContext } from "./context.ts";
 * import { glibcProfile } from "./profile.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const m = new MallocContext(proc, glibcProfile("2.36", "x86_64"), {
 *   nprocs: 2, explain: false, seed: 1,
 * });
 * m.params.mmapThreshold; // 131072
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
  /** glibc `mp_`. */
  readonly params: MallocParams;
  /** Online CPUs. */
  readonly nprocs: number;
  /** Address of `main_arena` (set by the allocator when it places libc's data). */
  mainArena = 0;
  /** glibc `global_max_fast`. */
  globalMaxFast = 0;
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
  /** The public operation in progress, for abort messages. */
  operation = "";
  readonly #random: SeededRandom;
  #tlsThread: Thread | undefined;
  #tlsValue: ThreadMalloc | undefined;

  /** glibc's state for `process`, before ptmalloc_init. */
  constructor(process: Process, profile: GlibcProfile, options: MallocContextOptions) {
    this.process = process;
    this.memory = process.memory;
    this.words = process.words;
    this.profile = profile;
    this.nprocs = options.nprocs;
    this.chunks = new ChunkMemory(process.memory, process.words, profile);
    this.arenas = new ArenaMemory(this.chunks, profile);
    this.bins = new BinIndex(profile);
    this.explain = new Explainer(options.explain);
    const arenaTest = profile.sizeSz === 4 ? 2 : 8;
    this.params = {
      trimThreshold: 128 * 1024,
      topPad: profile.defaultTopPad,
      mmapThreshold: 128 * 1024,
      arenaTest,
      arenaMax: 0,
      nMmaps: 0,
      nMmapsMax: 65536,
      maxNMmaps: 0,
      noDynThreshold: false,
      mmappedMem: 0,
      maxMmappedMem: 0,
      sbrkBase: 0,
      tcacheBins: profile.tcache ? profile.tcacheSmallBins : 0,
      tcacheMaxBytes: (profile.tcacheSmallBins - 1) * profile.mallocAlignment + profile.minSize -
        profile.sizeSz,
      tcacheMaxChunk: (profile.tcacheSmallBins - 1) * profile.mallocAlignment + profile.minSize + 1,
      tcacheCount: profile.tcacheFillCount,
      tcacheUnsortedLimit: 0,
    };
    this.#random = new SeededRandom(options.seed);
  }

  /** 32 random bits (glibc's getrandom, made deterministic). */
  random32(): number {
    return this.#random.nextUint32();
  }

  /** The thread running now. */
  get thread(): Thread {
    return this.process.currentThread;
  }

  /** A thread's malloc variables (created zero on first use, as TLS is). */
  tls(thread: Thread = this.process.currentThread): ThreadMalloc {
    if (thread === this.#tlsThread) return this.#tlsValue!;
    let t = thread.locals.get(LOCALS_KEY) as ThreadMalloc | undefined;
    if (t === undefined) {
      t = { tcache: 0, arena: 0, shuttingDown: false };
      thread.locals.set(LOCALS_KEY, t);
    }
    this.#tlsThread = thread;
    this.#tlsValue = t;
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
   * A failed glibc `assert` in malloc. `key` names the assertion for the version's line
   * numbers (profile.assertLines). glibc 2.36 prints "Fatal glibc error: malloc assertion
   * failure in FUNCTION: EXPR"; the others "PROG: malloc.c:LINE: FUNCTION: Assertion `EXPR'
   * failed." (the line is left out where heaplab does not know it for the version).
   */
  assertFail(func: string, expr: string, address = 0, key = ""): never {
    let text: string;
    if (this.profile.assertStyle === "fatal") {
      text = `Fatal glibc error: malloc assertion failure in ${func}: ${expr}`;
    } else {
      const path = this.process.start.programPath ?? "";
      const prog = path.slice(path.lastIndexOf("/") + 1);
      const line = this.profile.assertLines[key];
      const where = line ? `malloc.c:${line}` : "malloc.c";
      text = `${prog ? prog + ": " : ""}${where}: ${func}: Assertion \`${expr}' failed.`;
    }
    throw new HeapAbort(text, this.operation, address);
  }

  /** Sets errno on the current thread (glibc `__set_errno`). */
  setErrno(errno: number = Errno.ENOMEM): void {
    this.process.currentThread.errno = errno;
  }

  /** The heap_info address of a chunk in a thread heap (glibc `heap_for_ptr`). */
  heapForPtr(p: number): number {
    const max = this.profile.heapMaxSize;
    return p - (p % max);
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
