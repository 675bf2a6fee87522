/**
 * heaplab's glibc allocator for one simulated process: ptmalloc2 of a chosen glibc version,
 * running inside the process's memory, called on the process's current thread. It installs
 * itself as the process's thread runtime (pthread_create's DTV calloc, a thread's tcache and
 * arena teardown at exit), places `main_arena` in libc's data, and records what every public
 * call did ({@link Allocator.lastRecord}).
 *
 * Invariant: the allocator's only state outside simulated memory is glibc's own static and
 * thread-local scalars (see `context.ts`) and bookkeeping for views (heap numbers, mmapped
 * chunk set); every chunk, bin, tcache and arena is read from memory on each call.
 *
 * Over 500 lines: the `Allocator` facade is one class whose methods are the public API (the
 * malloc family, inspection, snapshots and what-ifs), each a few lines delegating to the
 * modules that model glibc; splitting the class would split the API a user reads in one place.
 *
 * @module
 */

import { setTcacheMax } from "./tcache.ts";
import type { Process } from "../kernel/process.ts";
import {
  type StackPolicy,
  stackPolicy,
  type Thread,
  type ThreadRuntime,
} from "../kernel/threads.ts";
import { ArgumentTypeError } from "../kernel/errors.ts";
import {
  booleanArgument,
  choiceArgument,
  intArgument,
  integerArgument,
  optionsArgument,
  wordArgument,
} from "../kernel/arguments.ts";
import { Process as ProcessClass } from "../kernel/process.ts";
import { IS_MMAPPED, NON_MAIN_ARENA } from "./chunk.ts";
import { MallocContext } from "./context.ts";
import type { MallocParams } from "./malloc_par.ts";
import type { LibcEvent } from "./hooks.ts";
import type { LibcState } from "./libc_state.ts";
import type { OperationRecord } from "./explain.ts";
import { NO_SYSCALLS } from "../kernel/syscall_log.ts";
import { PersistentList } from "../kernel/persistent_list.ts";
import {
  type ArenaInfo,
  arenaInfos,
  type BinsInfo,
  binsInfo,
  type ChunkInfo,
  chunkInfos,
  type ChunkWalk,
  chunkWalks,
  type MmappedChunkInfo,
  mmappedChunkInfos,
  type TcacheInfo,
  tcacheInfo,
  type ThreadHeapInfo,
  threadHeapInfos,
} from "./inspect.ts";
import { checkArena } from "./check_arena.ts";
import {
  freeAfterTcache,
  libcCalloc,
  type LibcEntry,
  type LibcFreeEntry,
  libcFreeOf,
  libcMallocOf,
  mallocAfterTcacheMiss,
  mallocThreadFreeres,
  ptmallocInit,
} from "./libc_malloc.ts";
import { mallopt } from "./mallopt.ts";
import { alignedAlloc, libcMemalign, posixMemalign, pvalloc, valloc } from "./memalign.ts";
import { type GlibcArch, type GlibcProfile, glibcProfile } from "./profile.ts";
import { libcRealloc, usableSize } from "./realloc.ts";
import { type Mallinfo, mallinfo, mallinfo2, mallocStats } from "./stats.ts";
import { allocateStdoutBuffer, type StdoutKind } from "./stdio.ts";
import { mallocTrim } from "./trim.ts";
import { captureMallocState, type MallocState, restoreMallocState } from "./snapshot.ts";
import { WhatIf } from "../history/what_if.ts";
import { TcacheTier, TIER_FREED, TIER_MISS, TIER_TO_ARENA } from "./tcache_tier.ts";

/** Options of an {@link Allocator}. */
export interface AllocatorOptions {
  /** glibc version: one of `GLIBC_VERSIONS` (default 2.36). */
  glibc?: string;
  /** Online CPUs, for the arena limit (default 2). */
  nprocs?: number;
  /** Record explain steps for every call (default true). */
  explain?: boolean;
  /** Seed of glibc's random tcache key (default 1). */
  seed?: number;
  /** Where to put `main_arena` (default: inside libc's writable data, or a page of its own). */
  mainArena?: number;
  /**
   * How stdio gets stdout's buffer: `malloc` (glibc 2.24+) or `mmap` (older glibc). Default:
   * the glibc version's way.
   */
  stdioBuffers?: "malloc" | "mmap";
  /**
   * The `glibc.malloc.tcache_max` tunable (GLIBC_TUNABLES): the largest request the tcache
   * keeps. From 2.42 up to 4 MiB, through the 12 large tcache bins; before, up to 1032 bytes.
   */
  tcacheMax?: number;
}

/** Where a pointer returned by malloc lies. */
export interface PointerPlace {
  /** `main` (main arena), `heap` (a thread heap), `mmap` (its own mapping), `null`. */
  readonly kind: "main" | "heap" | "mmap" | "null";
  /** For `heap`: the heap's creation number (1, 2, …), or 0 if unknown. */
  readonly heap: number;
  /** For `heap`: the heap's start (the pointer rounded down to HEAP_MAX_SIZE). */
  readonly heapStart: number;
  /** The raw size word of the chunk. */
  readonly sizeField: number;
}

/**
 * ptmalloc2 of one glibc version on a simulated process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "./allocator.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const heap = new Allocator(proc, { glibc: "2.36" });
 * const a = heap.malloc(24);
 * heap.free(a);
 * assert.equal(heap.malloc(24), a); // served from the tcache
 * assert.equal(heap.lastRecord?.served, "tcache");
 * ```
 */
export class Allocator implements ThreadRuntime {
  /** The process. */
  readonly process: Process;
  /** The glibc build. */
  readonly profile: GlibcProfile;
  /**
   * glibc's state, for the modules of src/malloc and for tests: not part of the public API.
   *
   * @internal
   */
  readonly context: MallocContext;
  #last: OperationRecord | undefined;
  #stdoutBuffer = 0;
  #stdioBuffers: "malloc" | "mmap";
  #depth = 0;
  #options: AllocatorOptions;
  #lastState: AllocatorState | undefined;
  // The threads the next capture looks at again: those not joined at the last one (a joined
  // thread runs no more code, so its malloc variables stay as captured until a restore), each with
  // its position among the process's threads and its entry's in #lastState's `tls` (-1: it has
  // no malloc variables yet); and the process's list of threads then and its length (a restore of
  // the process replaces the list).
  #openThreads: OpenThread[] = [];
  /** The thread list the last capture read, and how many threads it had then. */
  #threadsSeen: { list: readonly Thread[]; length: number } | undefined;
  /** The largest number {@link wordArgument} passes through unchanged (2^53 - 1 or 2^32 - 1). */
  readonly #wordLimit: number;
  /** This glibc's `__libc_malloc` and `__libc_free`, chosen once from its profile. */
  readonly #libcMalloc: LibcEntry;
  readonly #libcFree: LibcFreeEntry;
  /** The WebAssembly tier of the tcache paths, where it applies (see tcache_tier.ts). */
  readonly #tier: TcacheTier | undefined;
  /** How this glibc maps thread stacks (nptl's guard page, its 40 MiB stack cache). */
  readonly stackPolicy: StackPolicy;

  /** Installs glibc's allocator on `process` (as its thread runtime). */
  constructor(process: Process, options: AllocatorOptions = {}) {
    if (!(process instanceof ProcessClass)) {
      throw new ArgumentTypeError("process", process, "a Process");
    }
    options = optionsArgument("options", options);
    if (options.glibc !== undefined && typeof options.glibc !== "string") {
      throw new ArgumentTypeError("glibc", options.glibc, 'a version string such as "2.36"');
    }
    // get_nprocs(): at least one CPU; the kernel's NR_CPUS limit is 8192.
    if (options.nprocs !== undefined) integerArgument("nprocs", options.nprocs, 1, 8192);
    if (options.explain !== undefined) booleanArgument("explain", options.explain);
    if (options.seed !== undefined) integerArgument("seed", options.seed, 0, 0xffff_ffff);
    if (options.mainArena !== undefined) {
      integerArgument("mainArena", options.mainArena, 1, process.kernel.taskSize - 1);
    }
    if (options.stdioBuffers !== undefined) {
      choiceArgument("stdioBuffers", options.stdioBuffers, ["malloc", "mmap"]);
    }
    this.#options = options;
    this.process = process;
    this.#wordLimit = process.words.bits === 64 ? Number.MAX_SAFE_INTEGER : process.words.max;
    this.profile = glibcProfile(options.glibc ?? "2.36", process.arch as GlibcArch);
    this.#libcMalloc = libcMallocOf(this.profile);
    this.#libcFree = libcFreeOf(this.profile);
    const m = new MallocContext(process, this.profile, {
      nprocs: options.nprocs ?? 2,
      explain: options.explain ?? true,
      seed: options.seed ?? 1,
    });
    this.context = m;
    this.#tier = TcacheTier.of(m);
    if (options.tcacheMax !== undefined) setTcacheMax(m, options.tcacheMax);
    this.#stdioBuffers = options.stdioBuffers ?? this.profile.stdioBuffers;
    this.stackPolicy = stackPolicy(this.profile.stackGuard);
    if (options.mainArena !== undefined) m.mainArena = options.mainArena;
    m.arenas.staticInit(m.mainArena);
    // (2.43+) libc's early initialization: malloc is set up before main, its tcache key drawn.
    if (this.profile.mallocInitAtStartup) ptmallocInit(m);
    process.runtime = this;
  }

  /**
   * A `size_t` or pointer argument as the process's word (C's conversion; typed errors). The
   * common case, a non-negative integer that is already a word (any size or user-space pointer),
   * costs a few comparisons; `Math.floor` rather than `% 1`, which is a floating-point remainder
   * for the pointers above 2^31 that most frees pass.
   */
  #word(name: string, value: number): number {
    if (
      typeof value === "number" && value >= 0 && value <= this.#wordLimit &&
      Math.floor(value) === value
    ) {
      return value;
    }
    return wordArgument(this.process.words, name, value);
  }

  /** Starts a public call: its name for abort messages, its explain record. */
  #begin(operation: string, args: readonly number[] | undefined): number {
    const m = this.context;
    if (this.#depth++ === 0) m.operation = operation;
    return m.explain.enabled ? this.#beginRecord(operation, args) : -1;
  }

  /**
   * Starts a call's explain record; returns the system-call log's position. Apart from #begin
   * (and #endRecord from #end) so that what every call runs is small enough for V8 to inline
   * together with the allocator under it.
   */
  #beginRecord(operation: string, args: readonly number[] | undefined): number {
    this.context.explain.begin(operation, args ?? [], this.process.currentThread.tid);
    return this.process.syscalls.lastSeq;
  }

  /** Ends a public call that returned `result`. */
  #end<T>(seq: number, result: T, value: number): T {
    if (--this.#depth === 0) this.context.operation = "";
    if (seq >= 0) this.#endRecord(seq, value);
    if (this.#depth === 0 && this.callObserver !== undefined) this.callObserver(this, undefined);
    return result;
  }

  /** Ends the explain record of a call that returned `value`, begun at log position `seq`. */
  #endRecord(seq: number, value: number): void {
    const m = this.context, rec = m.explain.current!;
    rec.result = value;
    if (m.explain.end()) {
      const log = this.process.syscalls;
      rec.syscalls = log.lastSeq !== seq ? log.since(seq) : NO_SYSCALLS;
      this.#last = rec;
    }
  }

  /** Runs a less frequent public call. */
  #run<T>(operation: string, args: readonly number[], fn: () => T, value: (r: T) => number): T {
    const seq = this.#begin(operation, args);
    try {
      const r = fn();
      return this.#end(seq, r, value(r));
    } catch (e) {
      this.#fail(seq, e);
      throw e;
    }
  }

  /** Ends a public call that threw (an abort, a fault): its record stays for inspection. */
  #fail(seq: number, error?: unknown): void {
    const m = this.context;
    // A nested call's failure passes through its callers' #fail too: only the outermost reports.
    const outermost = this.#depth <= 1;
    this.#depth = 0;
    m.operation = "";
    if (seq >= 0) {
      const rec = m.explain.current;
      m.explain.reset();
      if (rec) {
        const log = this.process.syscalls;
        rec.syscalls = log.lastSeq !== seq ? log.since(seq) : NO_SYSCALLS;
        this.#last = rec;
      }
    }
    if (outermost) this.callObserver?.(this, error);
  }

  /**
   * Called when a public call returns or throws (outermost calls only), with the error it threw:
   * the history recorder's hook (`src/history/history.ts`).
   */
  callObserver: ((libc: Allocator, error: unknown) => void) | undefined = undefined;

  /** True while a public call is running (a system call now is one the allocator made). */
  get inCall(): boolean {
    return this.#depth > 0;
  }

  /** What the last public call did (undefined when explain records are off). */
  get lastRecord(): OperationRecord | undefined {
    return this.#last;
  }

  // --- the C API, on the current thread ------------------------------------------------

  /** `malloc(size)`: a pointer, or 0 (errno ENOMEM). */
  malloc(size: number): number {
    size = this.#word("size", size);
    let entry = this.#libcMalloc;
    if (this.#tier !== undefined && this.#depth === 0 && this.callObserver === undefined) {
      const r = this.#tier.malloc(size);
      if (r >= 0) return r;
      if (r === TIER_MISS) entry = mallocAfterTcacheMiss;
    }
    const seq = this.#begin("malloc", this.context.explain.enabled ? [size] : undefined);
    try {
      const r = entry(this.context, size);
      return this.#end(seq, r, r);
    } catch (e) {
      this.#fail(seq, e);
      throw e;
    }
  }

  /** `free(ptr)`. */
  free(ptr: number): void {
    ptr = this.#word("ptr", ptr);
    let entry = this.#libcFree;
    if (this.#tier !== undefined && this.#depth === 0 && this.callObserver === undefined) {
      const r = this.#tier.free(ptr);
      if (r === TIER_FREED) return;
      if (r === TIER_TO_ARENA) entry = freeAfterTcache;
    }
    const seq = this.#begin("free", this.context.explain.enabled ? [ptr] : undefined);
    try {
      entry(this.context, ptr);
      this.#end(seq, 0, 0);
    } catch (e) {
      this.#fail(seq, e);
      throw e;
    }
  }

  /** `calloc(count, size)`. */
  calloc(count: number, size: number): number {
    count = this.#word("count", count), size = this.#word("size", size);
    const seq = this.#begin("calloc", this.context.explain.enabled ? [count, size] : undefined);
    try {
      const r = libcCalloc(this.context, count, size);
      return this.#end(seq, r, r);
    } catch (e) {
      this.#fail(seq);
      throw e;
    }
  }

  /** `realloc(ptr, size)`. */
  realloc(ptr: number, size: number): number {
    ptr = this.#word("ptr", ptr), size = this.#word("size", size);
    const seq = this.#begin("realloc", this.context.explain.enabled ? [ptr, size] : undefined);
    try {
      const r = libcRealloc(this.context, ptr, size);
      return this.#end(seq, r, r);
    } catch (e) {
      this.#fail(seq);
      throw e;
    }
  }

  /** `memalign(alignment, size)`. */
  memalign(alignment: number, size: number): number {
    alignment = this.#word("alignment", alignment), size = this.#word("size", size);
    const args = this.context.explain.enabled ? [alignment, size] : undefined;
    const seq = this.#begin("memalign", args);
    try {
      const r = libcMemalign(this.context, alignment, size);
      return this.#end(seq, r, r);
    } catch (e) {
      this.#fail(seq);
      throw e;
    }
  }

  /** `aligned_alloc(alignment, size)`. */
  alignedAlloc(alignment: number, size: number): number {
    alignment = this.#word("alignment", alignment), size = this.#word("size", size);
    return this.#run(
      "aligned_alloc",
      [alignment, size],
      () => alignedAlloc(this.context, alignment, size),
      (r) => r,
    );
  }

  /** `posix_memalign(&p, alignment, size)`: the error number (0 on success) and the pointer. */
  posixMemalign(alignment: number, size: number): { error: number; pointer: number } {
    alignment = this.#word("alignment", alignment), size = this.#word("size", size);
    return this.#run(
      "posix_memalign",
      [alignment, size],
      () => posixMemalign(this.context, alignment, size),
      (r) => r.error,
    );
  }

  /** `valloc(size)`. */
  valloc(size: number): number {
    size = this.#word("size", size);
    return this.#run("valloc", [size], () => valloc(this.context, size), (r) => r);
  }

  /** `pvalloc(size)`. */
  pvalloc(size: number): number {
    size = this.#word("size", size);
    return this.#run("pvalloc", [size], () => pvalloc(this.context, size), (r) => r);
  }

  /** `malloc_usable_size(ptr)`. */
  usableSize(ptr: number): number {
    ptr = this.#word("ptr", ptr);
    return ptr === 0 ? 0 : usableSize(this.context, ptr);
  }

  /** `malloc_trim(pad)`: 1 if memory was given back. */
  mallocTrim(pad: number): number {
    pad = this.#word("pad", pad);
    return this.#run("malloc_trim", [pad], () => mallocTrim(this.context, pad), (r) => r);
  }

  /** `mallopt(param, value)`: 1 on success, 0 when refused. */
  mallopt(param: number, value: number): number {
    param = intArgument("param", param), value = intArgument("value", value);
    return this.#run(
      "mallopt",
      [param, value],
      () => mallopt(this.context, param, value),
      (r) => r,
    );
  }

  /** `mallinfo2()`. */
  mallinfo2(): Mallinfo {
    return mallinfo2(this.context);
  }

  /** `mallinfo()` (int fields). */
  mallinfo(): Mallinfo {
    return mallinfo(this.context);
  }

  /** The text `malloc_stats()` prints to stderr. */
  mallocStats(): string {
    return mallocStats(this.context);
  }

  /**
   * A `printf` to stdout on the current thread: at the process's first one, stdio allocates
   * its buffer (glibc `_IO_file_doallocate`). Returns the buffer address when it was allocated
   * by this call, 0 otherwise.
   */
  printf(options: { stdout?: StdoutKind } = {}): number {
    if (this.#stdoutBuffer !== 0) return 0;
    const b = this.#run(
      "printf",
      [],
      () => allocateStdoutBuffer(this.context, options.stdout ?? "file", this.#stdioBuffers),
      (r) => r,
    );
    this.#stdoutBuffer = b;
    return b;
  }

  // --- the thread runtime (called by the process) ----------------------------------------

  /** `_dl_allocate_tls`'s DTV calloc, on the creating thread. */
  allocateDtv(creator: Thread): number {
    this.context.multiThreaded = true;
    const size = this.profile.sizeSz === 8 ? 16 : 8;
    return this.process.runOn(creator, () => this.calloc(17, size));
  }

  /** `_dl_deallocate_tls`'s free of a DTV, on `caller`. */
  freeDtv(caller: Thread, dtv: number): void {
    this.process.runOn(caller, () => this.free(dtv));
  }

  /** A thread's exit: its tcache goes back to the arenas, its arena to the free list. */
  threadExit(_thread: Thread): void {
    this.#run("thread exit", [], () => mallocThreadFreeres(this.context), () => 0);
  }

  // --- queries for replay and views --------------------------------------------------------

  /** glibc's `mp_` (struct malloc_par) as it is now: thresholds, padding, mmap counters. */
  mallocParams(): Readonly<MallocParams> {
    const p = this.context.params; // read from mp_ in libc's memory, field by field
    return {
      trimThreshold: p.trimThreshold,
      topPad: p.topPad,
      mmapThreshold: p.mmapThreshold,
      arenaTest: p.arenaTest,
      arenaMax: p.arenaMax,
      nMmaps: p.nMmaps,
      nMmapsMax: p.nMmapsMax,
      maxNMmaps: p.maxNMmaps,
      noDynThreshold: p.noDynThreshold,
      mmappedMem: p.mmappedMem,
      maxMmappedMem: p.maxMmappedMem,
      sbrkBase: p.sbrkBase,
      tcacheBins: p.tcacheBins,
      tcacheMaxBytes: p.tcacheMaxBytes,
      tcacheCount: p.tcacheCount,
      tcacheUnsortedLimit: p.tcacheUnsortedLimit,
    };
  }

  /**
   * The word at `address` (little-endian, the process's word size; negative above 2^63).
   * Throws a SegmentationFault where the process could not read.
   */
  readWord(address: number): number {
    return this.context.chunks.word(address);
  }

  /**
   * glibc `PROTECT_PTR (position, pointer)`, its own inverse: the pointer a singly linked word
   * `stored` at `position` stands for with safe-linking (glibc 2.32+), `stored` without it.
   */
  revealPointer(position: number, stored: number): number {
    return this.context.chunks.protect(position, stored);
  }

  /**
   * The name of the bin (`unsorted`, `smallbin 0x90`, …) whose header in arena `arena` is at
   * `address` (`bin_at (arena, i)`, where the first and last free chunk link to), if any.
   */
  binHeaderName(arena: number, address: number): string | undefined {
    const i = this.context.arenas.binIndexOf(arena, address);
    return i >= 1 ? this.context.bins.binName(i) : undefined;
  }

  /** glibc `HEAP_MAX_SIZE`. */
  get heapMaxSize(): number {
    return this.profile.heapMaxSize;
  }

  /** Address of main_arena. */
  get mainArena(): number {
    return this.context.mainArena;
  }

  /**
   * Where libc and its allocator state lie: `libc.base`, `libc.symbol("__free_hook")`,
   * `libc.mp`, `libc.symbolAt(addr)` (the name for an address).
   */
  get libc(): LibcState {
    return this.context.libc;
  }

  /**
   * Whether `value` is a word of libc's writable data that glibc chose at random: its
   * `tcache_key` (2.34+, once malloc is initialized), which the oracle's trace format v2 prints
   * as `key` when a trace reads it.
   */
  holdsLibcWord(value: bigint): boolean {
    const m = this.context;
    return m.profile.tcacheKey === "random" && m.initialized &&
      m.words.toBigInt(m.tcacheKey) === value;
  }

  /** What calls through overwritten pointers ran (system's ShellSpawned, puts' output). */
  get events(): readonly LibcEvent[] {
    return this.context.events;
  }

  /**
   * Thread heaps in creation order (number 1, 2, …): start, arena, size, read-write size, and
   * whether each is still mapped.
   */
  heaps(): ThreadHeapInfo[] {
    return threadHeapInfos(this.context);
  }

  /** Where a pointer returned by malloc lies, read from its chunk's size word. */
  classify(ptr: number): PointerPlace {
    if (ptr === 0) return { kind: "null", heap: 0, heapStart: 0, sizeField: 0 };
    const m = this.context;
    const sizeField = m.chunks.word(ptr - m.profile.sizeSz);
    if (sizeField & IS_MMAPPED) return { kind: "mmap", heap: 0, heapStart: 0, sizeField };
    if (sizeField & NON_MAIN_ARENA) {
      const heapStart = m.heapForPtr(ptr);
      const rec = m.heaps.find((h) => h.alive && h.start === heapStart);
      return { kind: "heap", heap: rec?.number ?? 0, heapStart, sizeField };
    }
    return { kind: "main", heap: 0, heapStart: 0, sizeField };
  }

  // --- inspection ---------------------------------------------------------------------------

  /** The arenas, main first. */
  arenas(): ArenaInfo[] {
    return arenaInfos(this.context);
  }

  /** The chunks of an arena (default: the current thread's, or main) in address order. */
  chunks(arena: number = this.#defaultArena()): ChunkInfo[] {
    return chunkInfos(this.context, arena);
  }

  /**
   * The chunk walks of the given arenas (default: every arena): `chunks()` one chunk at a time,
   * for a reader that re-reads only part of a heap (the time-travel diff).
   */
  chunkWalks(arenas?: readonly number[]): ChunkWalk[] {
    if (arenas !== undefined && !(Array.isArray(arenas) && arenas.every(Number.isSafeInteger))) {
      throw new ArgumentTypeError("arenas", arenas, "an array of arena addresses");
    }
    return chunkWalks(this.context, arenas);
  }

  /** The bins of an arena. */
  bins(arena: number = this.#defaultArena()): BinsInfo {
    return binsInfo(this.context, arena);
  }

  /** A thread's tcache (default: the current thread). */
  tcache(thread: Thread = this.process.currentThread): TcacheInfo {
    return tcacheInfo(this.context, thread);
  }

  /** The mmapped chunks. */
  mmappedChunks(): MmappedChunkInfo[] {
    return mmappedChunkInfos(this.context);
  }

  /**
   * Throws a HeapCheckError at the first inconsistency of an arena (default: every arena):
   * glibc's `do_check_malloc_state`, extended to the tcache.
   */
  checkArena(arena?: number): void {
    if (arena !== undefined) {
      checkArena(this.context, arena);
      return;
    }
    for (const a of this.arenas()) checkArena(this.context, a.address);
  }

  // --- snapshots (the process takes them: Process.snapshot, restore, fork) -------------------

  /** glibc's state outside simulated memory and the last explain record (for snapshots). */
  captureState(): AllocatorState {
    const prev = this.#lastState;
    const tls = this.#captureTls(prev?.tls);
    const malloc = captureMallocState(this.context);
    const explain = this.context.explain;
    if (
      prev !== undefined && prev.tls === tls && prev.malloc === malloc &&
      prev.last === this.#last && prev.stdoutBuffer === this.#stdoutBuffer &&
      prev.depth === this.#depth && prev.explainEnabled === explain.enabled &&
      prev.explainCurrent === explain.current && prev.explainDepth === explain.depth
    ) return prev;
    return this.#lastState = {
      tls,
      malloc,
      last: this.#last,
      stdoutBuffer: this.#stdoutBuffer,
      depth: this.#depth,
      explainEnabled: explain.enabled,
      explainCurrent: explain.current,
      explainDepth: explain.depth,
    };
  }

  /**
   * Each thread's malloc variables, `prev` (the last capture's) when none changed. Only the
   * threads not joined at the last capture are looked at: a history of the threads trace captures
   * this at every line, and its joined threads come to outnumber the running ones a hundredfold.
   * Threads created since, and threads that got their variables since, are added at the end of
   * the list (whose order nothing reads: a restore looks entries up by thread), so the threads
   * trace's thousand thread creations do not each list every thread again.
   */
  #captureTls(prev: AllocatorState["tls"] | undefined): AllocatorState["tls"] {
    const m = this.context, threads = this.process.threads;
    const seen = this.#threadsSeen;
    if (prev === undefined || seen?.list !== threads || seen.length > threads.length) {
      return this.#listTls(prev);
    }
    let tls = prev, joined = false;
    for (let position = seen.length; position < threads.length; position++) {
      const t = threads[position];
      let entry = -1;
      if (m.hasTls(t)) {
        entry = tls.length;
        tls = tls.append(this.#tlsEntry(t));
      }
      if (t.state !== "joined") this.#openThreads.push({ position, entry });
    }
    seen.length = threads.length;
    for (const open of this.#openThreads) {
      const t = threads[open.position], entry = open.entry;
      joined ||= t.state === "joined";
      if (entry < 0) {
        if (m.hasTls(t)) {
          open.entry = tls.length;
          tls = tls.append(this.#tlsEntry(t));
        }
        continue;
      }
      // Compared field by field: most captures change nothing, and build nothing.
      const v = m.tls(t), was = tls.at(entry);
      if (was[1] !== v.arena || was[2] !== v.shuttingDown) tls = tls.with(entry, this.#tlsEntry(t));
    }
    if (joined) {
      this.#openThreads = this.#openThreads.filter((o) => threads[o.position].state !== "joined");
    }
    return tls;
  }

  /** {@link Allocator.#captureTls} over every thread (`prev` again if nothing differs). */
  #listTls(prev: AllocatorState["tls"] | undefined): AllocatorState["tls"] {
    const m = this.context, threads = this.process.threads;
    const tls: TlsEntry[] = [], open: OpenThread[] = [];
    threads.forEach((t, position) => {
      const has = m.hasTls(t);
      if (has) tls.push(this.#tlsEntry(t));
      if (t.state !== "joined") open.push({ position, entry: has ? tls.length - 1 : -1 });
    });
    this.#openThreads = open;
    this.#threadsSeen = { list: threads, length: threads.length };
    const same = prev !== undefined && prev.length === tls.length &&
      tls.every((e, i) => sameTlsEntry(prev.at(i), e));
    return same ? prev : PersistentList.of(tls);
  }

  /** Thread `t`'s entry in `AllocatorState.tls` (it has malloc variables). */
  #tlsEntry(t: Thread): TlsEntry {
    const v = this.context.tls(t);
    return [t.index, v.arena, v.shuttingDown];
  }

  /** Returns to a captured state (the process restores memory and threads). */
  restoreState(state: unknown): void {
    const s = state as AllocatorState;
    const m = this.context;
    restoreMallocState(m, s.malloc);
    m.explain.restoreState(s.explainEnabled, s.explainCurrent, s.explainDepth);
    // Each thread's malloc variables: its TLS tcache word came back with the pages; the rest is
    // set here. A thread without them then (or new since) keeps fresh-TLS values.
    const byIndex = new Map(Array.from(s.tls, (e) => [e[0], e]));
    for (const t of this.process.threads) {
      const e = byIndex.get(t.index);
      if (e === undefined && !m.hasTls(t)) continue;
      // A fork's own thread: its variables, over the tcache word the pages brought back.
      const v = e !== undefined && !m.hasTls(t) ? m.adoptTls(t) : m.tls(t);
      v.arena = e?.[1] ?? 0;
      v.shuttingDown = e?.[2] ?? false;
    }
    m.forgetThreadCache();
    this.#lastState = undefined;
    this.#threadsSeen = undefined;
    this.#last = s.last;
    this.#stdoutBuffer = s.stdoutBuffer;
    this.#depth = s.depth;
  }

  /** Installs a copy of this allocator on a forked process (its state follows by restore). */
  forkOnto(child: Process): void {
    new Allocator(child, { ...this.#options, mainArena: this.mainArena });
  }

  /**
   * An independent copy of the process and this allocator, now: the copy's allocator. Its
   * memory is copy-on-write against this one's; neither sees the other's calls.
   *
   * @example
   * ```ts
   * import { Allocator, Process } from "../../mod.ts";
   * const libc = new Allocator(new Process());
   * const child = libc.fork();
   * const p = child.malloc(24);
   * libc.malloc(24) === p; // true: the parent did not see the child's malloc
   * ```
   */
  fork(): Allocator {
    return this.process.fork().runtime as Allocator;
  }

  /**
   * What the next call would do, run on a throwaway copy: `libc.whatIf.malloc(24)`, `.free(p)`,
   * `.realloc(p, n)`, `.calloc(n, size)` — its record, result or abort, and its diff.
   */
  get whatIf(): WhatIf {
    return new WhatIf(this);
  }

  #defaultArena(): number {
    const m = this.context;
    const t = this.process.currentThread;
    return (m.hasTls(t) && m.tls(t).arena) || m.mainArena;
  }
}

/** A thread's index, `thread_arena` and `tcache_shutting_down`: an entry of `AllocatorState.tls`. */
type TlsEntry = readonly [number, number, boolean];

function sameTlsEntry(a: TlsEntry, b: TlsEntry): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/** A thread a capture looks at again: its position in the process's threads, its entry's in `tls`. */
interface OpenThread {
  readonly position: number;
  /** -1: the thread has no malloc variables yet (set when it gets them). */
  entry: number;
}

/** What a snapshot keeps of an {@link Allocator}. */
export interface AllocatorState {
  /**
   * Each thread's index, `thread_arena` and `tcache_shutting_down`, for the threads that have
   * malloc variables (a list that shares its unchanged chunks with the last capture's).
   */
  readonly tls: PersistentList<readonly [number, number, boolean]>;
  /** glibc's scalars and bookkeeping (context.ts). */
  readonly malloc: MallocState;
  /** The last explain record. */
  readonly last: OperationRecord | undefined;
  /** stdout's buffer, once printf allocated it. */
  readonly stdoutBuffer: number;
  /** Nesting of public calls. */
  readonly depth: number;
  /**
   * Whether the explain collector keeps steps. Its three fields are the allocator state's own: a
   * call changes them, and glibc's {@link MallocState} then stays shared with the last capture.
   */
  readonly explainEnabled: boolean;
  /** The explain collector's current record (the call in progress, or the last one). */
  readonly explainCurrent: OperationRecord | undefined;
  /** The explain collector's nesting of public calls. */
  readonly explainDepth: number;
}
