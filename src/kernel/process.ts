/**
 * A simulated Linux process: its address space and memory, its threads, the system calls they
 * make (each one logged), glibc's `sbrk` and `pthread_create`/`pthread_join` (and the release of
 * a detached thread's stack) as far as they shape the address space, and /proc/PID/maps.
 *
 * The allocator reaches the kernel only through {@link Process.sys} (brk, mmap, munmap, mprotect,
 * mremap, madvise) and {@link Process.sbrk}, so every call it makes is in {@link Process.syscalls}.
 *
 * Over 500 lines: the `Process` class (about 590 lines) ties together the address space, memory,
 * threads with their stack cache, and syscalls that one process owns, with snapshot, restore and
 * fork of all of them; the file's remaining lines are the argument checks its public methods
 * share.
 *
 * @module
 */

import { AddressSpace, type FileMapping } from "./address_space.ts";
import {
  booleanArgument,
  choiceArgument,
  integerArgument,
  optionsArgument,
  wordArgument,
} from "./arguments.ts";
import { ArgumentRangeError, ArgumentTypeError, Errno, isSyscallError } from "./errors.ts";
import { chooseLayout, type Layout } from "./layouts.ts";
import { SeededRandom } from "./random.ts";
import { type MapsRecord, mapsRecords, type MapsRegion, mapsRegions, mapsText } from "./maps.ts";
import type { Memory } from "./memory.ts";
import type { KernelProfile } from "./kernel_profile.ts";
import { PersistentList } from "./persistent_list.ts";
import {
  copyLocals,
  isPlainLocal,
  ProcessCapture,
  type ProcessSnapshot,
  type ThreadSnapshot,
  threadsOf,
} from "./snapshot.ts";
import {
  SyscallLog,
  type SyscallLog as SyscallLogType,
  type SyscallRecord,
} from "./syscall_log.ts";
import {
  defaultStackPolicy,
  type StackPolicy,
  type Thread,
  type ThreadRuntime,
  type ThreadStack,
} from "./threads.ts";
import {
  adviseStackRange,
  allocateStack,
  PTHREAD_STACK_MIN,
  type StackRequest,
} from "./thread_stacks.ts";
import { type WordOps, words32, words64 } from "./word.ts";

/** Options of a {@link Process}. */
export interface ProcessOptions {
  /**
   * Built-in layout: `x86_64` (Linux 6.18, a PIE program, ASLR off), `i386` (the same
   * program as a 32-bit process), or `seed-i386` (the 32-bit Linux 3.x machine of the seed
   * material). Default `x86_64`.
   */
  layout?: string;
  /** For `seed-i386`: which example program (`sbrk`, `mmap`, `mthread`). */
  program?: string;
  /**
   * A /proc/PID/maps text to start from instead of a built-in layout (optionally preceded by
   * `# initial break 0x…`); `arch` then says which kernel profile applies.
   */
  initialMaps?: string;
  /** Architecture when `initialMaps` is given: `x86_64` (default) or `i386`. */
  arch?: "i386" | "x86_64";
  /** The kernel profile to use instead of the layout's. */
  kernel?: KernelProfile;
  /** Process id (default from the layout). */
  pid?: number;
  /** Thread ids handed out to new threads, in order (default pid + 1, pid + 2, …). */
  threadIds?: readonly number[];
  /** Address space layout randomization (default off, like `setarch -R`). */
  aslr?: boolean;
  /** Seed of the random source used with ASLR. */
  seed?: number;
  /** RLIMIT_STACK, the default thread stack size (default 8 MiB). */
  stackLimit?: number;
  /** How glibc maps thread stacks (default: the layout's). */
  stackPolicy?: StackPolicy;
  /** vm.max_map_count (default 65530); also settable later as `proc.space.maxMapCount`. */
  maxMapCount?: number;
}

/** Linux's largest pid (`/proc/sys/kernel/pid_max` on 64-bit, PID_MAX_LIMIT). */
const PID_MAX = 4_194_304;

/** Throws the typed error for the first bad option of a {@link Process}. */
function checkProcessOptions(options: ProcessOptions): void {
  const o = optionsArgument("options", options);
  // An unknown layout name is a LayoutError listing the known ones.
  if (o.layout !== undefined && typeof o.layout !== "string") {
    throw new ArgumentTypeError("layout", o.layout, "a layout name");
  }
  if (o.program !== undefined && typeof o.program !== "string") {
    throw new ArgumentTypeError("program", o.program, "a string");
  }
  if (o.initialMaps !== undefined && typeof o.initialMaps !== "string") {
    throw new ArgumentTypeError("initialMaps", o.initialMaps, "a /proc/PID/maps text");
  }
  if (o.arch !== undefined) choiceArgument("arch", o.arch, ["i386", "x86_64"]);
  if (o.kernel !== undefined && (typeof o.kernel !== "object" || o.kernel === null)) {
    throw new ArgumentTypeError("kernel", o.kernel, "a KernelProfile");
  }
  if (o.pid !== undefined) integerArgument("pid", o.pid, 1, PID_MAX);
  if (o.threadIds !== undefined) {
    if (!Array.isArray(o.threadIds)) {
      throw new ArgumentTypeError("threadIds", o.threadIds, "an array of thread ids");
    }
    const seen = new Set<number>();
    o.threadIds.forEach((tid, i) => {
      integerArgument(`threadIds[${i}]`, tid, 1, PID_MAX);
      if (seen.has(tid) || tid === o.pid) {
        throw new ArgumentRangeError(`threadIds[${i}]`, tid, "a thread id not used before");
      }
      seen.add(tid);
    });
  }
  if (o.aslr !== undefined) booleanArgument("aslr", o.aslr);
  if (o.seed !== undefined) integerArgument("seed", o.seed, 0, 0xffff_ffff);
  if (o.stackLimit !== undefined) integerArgument("stackLimit", o.stackLimit, 1, 2 ** 32);
  if (o.maxMapCount !== undefined) {
    integerArgument("maxMapCount", o.maxMapCount, 0, 0x7fff_ffff);
  }
}

/** The system calls of the process, as a C program (or glibc) makes them. */
export interface Syscalls {
  /** brk(2), raw: returns the new break, or the old one on failure. */
  brk(addr: number): number;
  /** mmap(2): the address, or `-errno`. */
  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    file?: FileMapping,
    owner?: string,
  ): number;
  /** munmap(2): 0 or `-errno`. */
  munmap(addr: number, length: number): number;
  /** mprotect(2): 0 or `-errno`. */
  mprotect(addr: number, length: number, prot: number): number;
  /** mremap(2): the new address or `-errno`. */
  mremap(
    oldAddr: number,
    oldLength: number,
    newLength: number,
    flags: number,
    newAddr?: number,
  ): number;
  /** madvise(2): 0 or `-errno`. */
  madvise(addr: number, length: number, advice: number): number;
}

/**
 * A simulated process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../../mod.ts";
 * const proc = new Process({ layout: "x86_64" });
 * const old = proc.sbrk(4096);
 * assert.ok(proc.maps().includes("[heap]"));
 * assert.equal(proc.sbrk(-4096), old + 4096);
 * ```
 */
export class Process {
  /** Process id (a forked C program's child takes its own: {@link Process.becomeForkChild}). */
  get pid(): number {
    return this.#pid;
  }

  #pid: number;
  /** Pids handed to children fork made (`src/c/fork.ts`): ids taken after the threads'. */
  #childIds = 0;
  /** The kernel. */
  readonly kernel: KernelProfile;
  /** Word arithmetic of the process's architecture. */
  readonly words: WordOps;
  /** `i386` or `x86_64`. */
  readonly arch: "i386" | "x86_64";
  /** Areas and break. */
  readonly space: AddressSpace;
  /** Every system call made. */
  readonly syscalls: SyscallLogType = new SyscallLog();
  /** The system calls, logged. */
  readonly sys: Syscalls;
  #stackPolicy: StackPolicy | undefined;
  /** RLIMIT_STACK. */
  readonly stackLimit: number;
  /** The layout the process started from. */
  readonly start: Layout;
  #threads: Thread[] = [];
  #current: Thread;
  #threadIds: readonly number[];
  #nextTidIndex = 0;
  #stackCache: ThreadStack[] = [];
  #stackCacheSize = 0;
  #runtime: ThreadRuntime | undefined;
  #options: ProcessOptions;

  /** A process in the layout the options choose. */
  constructor(options: ProcessOptions = {}) {
    checkProcessOptions(options);
    this.#options = options;
    const start = chooseLayout(options);
    this.start = start;
    this.kernel = options.kernel ?? start.kernel;
    this.arch = this.kernel.bits === 64 ? "x86_64" : "i386";
    this.words = this.kernel.bits === 64 ? words64 : words32;
    this.#pid = options.pid ?? start.pid;
    this.stackLimit = options.stackLimit ?? this.kernel.stackRlimit ?? 8 * 1024 * 1024;
    this.#stackPolicy = options.stackPolicy ?? start.stackPolicy;
    this.#threadIds = options.threadIds ?? start.threadIds ?? [];
    let mmapBase = start.mmapBase ?? this.kernel.mmapBase;
    let startBrk = start.initialBreak;
    let brk = start.brk;
    let areas = start.areas.map((vma) => ({ ...vma }));
    let stackPointer = start.stackPointer ?? 0;
    if (options.aslr && !options.initialMaps) {
      // Randomize as the kernel does: the mmap area (libraries, loader, vdso) moves down with
      // mmap_base, a PIE binary and its break move together, the break moves again on its
      // own, and the stack moves down.
      const random = new SeededRandom(options.seed ?? 1);
      const rnd = () => random.next();
      const pages = (bits: number) => Math.floor(rnd() * 2 ** bits) * 4096;
      const mmapShift = pages(this.kernel.mmapRandomBits);
      const execShift = start.name.startsWith("seed")
        ? 0
        : pages(Math.min(16, this.kernel.mmapRandomBits));
      const brkShift = Math.floor(rnd() * (this.kernel.brkRandomRange / 4096)) * 4096;
      const stackShift = pages(this.kernel.bits === 64 ? 18 : 8);
      const stackArea = areas.find((a) => a.name === "[stack]");
      areas = areas.map((a) => {
        if (a === stackArea) return { ...a, start: a.start - stackShift, end: a.end - stackShift };
        if (a.end <= startBrk) {
          return { ...a, start: a.start + execShift, end: a.end + execShift };
        }
        const pgoff = a.file ? a.pgoff : a.pgoff - mmapShift / 4096;
        return { ...a, start: a.start - mmapShift, end: a.end - mmapShift, pgoff };
      });
      mmapBase -= mmapShift;
      startBrk += execShift + brkShift;
      stackPointer -= stackShift;
      brk = undefined;
    }
    this.space = new AddressSpace({
      kernel: this.kernel,
      mmapBase,
      startBrk,
      brk,
      maxMapCount: options.maxMapCount,
      stackRlimit: this.stackLimit,
    });
    for (const vma of areas) this.space.insertInitial(vma);
    const main: Thread = {
      tid: this.pid,
      index: 0,
      state: "running",
      errno: 0,
      sp: stackPointer,
      locals: new Map(),
    };
    this.#threads.push(main);
    this.#created.add(main);
    this.#current = main;
    this.sys = this.#makeSyscalls();
  }

  /**
   * The process's memory, for code outside the simulator: every address is checked first (an
   * integer, or a bigint; a fraction or NaN is an {@link ArgumentRangeError}), then the access
   * runs on the memory itself (`proc.space.memory`, which the allocator uses unchecked).
   */
  get memory(): Memory {
    return this.#checkedMemory ??= checkedMemory(this.space.memory);
  }

  #checkedMemory: Memory | undefined;

  /** The thread currently running. */
  get currentThread(): Thread {
    return this.#current;
  }

  /** The main thread. */
  get mainThread(): Thread {
    return this.#threads[0];
  }

  /**
   * The pid fork(2) gives a new child: the next id after those the threads and the children
   * before it took (pid + 1 for the first child of a process that made no thread), as Linux
   * hands ids out in order on a machine where nothing else starts a process meanwhile.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Process } from "../../mod.ts";
   * const proc = new Process();
   * assert.equal(proc.childPid(), proc.pid + 1);
   * assert.equal(proc.childPid(), proc.pid + 2);
   * ```
   */
  childPid(): number {
    return this.pid + this.#threads.length + this.#childIds++;
  }

  /**
   * This process becomes the child fork(2) made of its state: it takes the child's `pid`, which
   * its main thread — the one thread a child has — takes as its thread id. Its memory, areas and
   * system call log stay as they are (the parent's at the fork). heaplab's C interpreter calls
   * it on a re-run of the parent that has reached the fork (`src/c/fork.ts`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Process } from "../../mod.ts";
   * const proc = new Process();
   * proc.becomeForkChild(proc.pid + 1);
   * assert.equal(proc.mainThread.tid, proc.pid);
   * ```
   */
  becomeForkChild(pid: number): void {
    integerArgument("pid", pid, 1, PID_MAX);
    this.#pid = pid;
    (this.#threads[0] as { tid: number }).tid = pid;
  }

  /** Every thread ever created, in creation order (the main thread first). */
  get threads(): readonly Thread[] {
    return this.#threads;
  }

  /** The allocator's part in thread creation and exit. */
  set runtime(runtime: ThreadRuntime | undefined) {
    this.#runtime = runtime;
  }

  get runtime(): ThreadRuntime | undefined {
    return this.#runtime;
  }

  /**
   * How thread stacks are mapped: the process option or layout if they say, else the C
   * library's (its allocator, the thread runtime), else {@link defaultStackPolicy}.
   */
  get stackPolicy(): StackPolicy {
    return this.#stackPolicy ?? this.#runtime?.stackPolicy ?? defaultStackPolicy;
  }

  /** Throws unless `thread` is one of this process's threads. */
  #own(thread: Thread, name = "thread"): void {
    if (this.#threads[thread?.index] !== thread) {
      throw new ArgumentTypeError(name, thread, `a thread of process ${this.pid}`);
    }
  }

  /** Runs `fn` with `thread` as the current thread. */
  runOn<T>(thread: Thread, fn: () => T): T {
    this.#own(thread);
    if (typeof fn !== "function") throw new ArgumentTypeError("fn", fn, "a function");
    if (thread.state !== "running") throw new Error(`Thread ${thread.tid} is not running`);
    const saved = this.#current;
    this.#current = thread;
    try {
      return fn();
    } finally {
      this.#current = saved;
    }
  }

  /** Makes `thread` the current thread. */
  switchTo(thread: Thread): void {
    this.#own(thread);
    if (thread.state !== "running") throw new Error(`Thread ${thread.tid} is not running`);
    this.#current = thread;
  }

  #log(name: string, args: number[], result: number): number {
    const record = this.syscalls.add(this.#current.tid, name, args, result);
    if (isSyscallError(result)) this.#current.errno = -result;
    this.syscallObserver?.(record);
    return result;
  }

  /** Called after every system call (the history recorder's hook). */
  syscallObserver: ((record: SyscallRecord) => void) | undefined = undefined;

  #makeSyscalls(): Syscalls {
    const space = this.space;
    // Every argument of a system call is a register: a word of the process.
    const w = (name: string, value: unknown) => wordArgument(this.words, name, value);
    return {
      brk: (addr) => {
        addr = w("addr", addr);
        return this.#log("brk", [addr], space.brkSyscall(addr));
      },
      mmap: (addr, length, prot, flags, file, owner) => {
        addr = w("addr", addr), length = w("length", length);
        prot = w("prot", prot), flags = w("flags", flags);
        if (file !== undefined) checkFileMapping(file);
        return this.#log(
          "mmap",
          [addr, length, prot, flags],
          space.mmap(addr, length, prot, flags, file, owner),
        );
      },
      munmap: (addr, length) => {
        addr = w("addr", addr), length = w("length", length);
        return this.#log("munmap", [addr, length], space.munmap(addr, length));
      },
      mprotect: (addr, length, prot) => {
        addr = w("addr", addr), length = w("length", length), prot = w("prot", prot);
        return this.#log("mprotect", [addr, length, prot], space.mprotect(addr, length, prot));
      },
      mremap: (oldAddr, oldLength, newLength, flags, newAddr = 0) => {
        oldAddr = w("oldAddr", oldAddr), oldLength = w("oldLength", oldLength);
        newLength = w("newLength", newLength), flags = w("flags", flags);
        newAddr = w("newAddr", newAddr);
        return this.#log(
          "mremap",
          [oldAddr, oldLength, newLength, flags, newAddr],
          space.mremap(oldAddr, oldLength, newLength, flags, newAddr),
        );
      },
      madvise: (addr, length, advice) => {
        addr = w("addr", addr), length = w("length", length), advice = w("advice", advice);
        return this.#log("madvise", [addr, length, advice], space.madvise(addr, length, advice));
      },
    };
  }

  /**
   * glibc's `sbrk(increment)`: the old break, or -1 (the word `(void *) -1`) with errno ENOMEM.
   * `sbrk(0)` makes no system call. A break the kernel refuses to lower is not noticed, as in
   * glibc, which only checks that the new break is not below the one it asked for.
   */
  sbrk(increment: number): number {
    // intptr_t: the word, read signed.
    increment = wordArgument(this.words, "increment", increment);
    if (increment >= 2 ** (this.words.bits - 1)) increment -= 2 ** this.words.bits;
    const old = this.space.brk;
    if (increment === 0) return old;
    const words = this.words;
    const fail = () => {
      this.#current.errno = Errno.ENOMEM;
      return words.max;
    };
    // glibc checks that the new break neither wraps past the top nor goes below zero.
    if (increment > 0 ? old + increment >= 2 ** words.bits : old < -increment) return fail();
    const want = old + increment;
    const got = this.sys.brk(want);
    if (got < want) return fail();
    return old;
  }

  // --- threads ----------------------------------------------------------------------------

  /**
   * `pthread_create`, run on the current thread: takes a cached stack of a joined thread if one
   * fits, else maps a new one (stack + guard, as the glibc version does; `thread_stacks.ts`),
   * then lets the allocator calloc the DTV (not for a cached stack, which keeps its own).
   * `stackSize` and `guardSize` are the thread attribute's (default RLIMIT_STACK and a page);
   * a guard that wraps around is a {@link ThreadCreateError} with EINVAL.
   */
  pthreadCreate(options: { tid?: number } & StackRequest = {}): Thread {
    const o = optionsArgument("options", options);
    if (o.tid !== undefined) {
      integerArgument("tid", o.tid, 1, PID_MAX);
      if (this.#threads.some((t) => t.tid === o.tid && t.state !== "joined")) {
        throw new ArgumentRangeError("tid", o.tid, "the id of no living thread");
      }
    }
    const word = 2 ** this.kernel.bits - 1;
    if (o.stackSize !== undefined) {
      integerArgument("stackSize", o.stackSize, PTHREAD_STACK_MIN, word);
    }
    if (o.guardSize !== undefined) integerArgument("guardSize", o.guardSize, 0, word);
    const creator = this.#current;
    const index = this.#threads.length;
    const got = allocateStack(
      {
        sys: this.sys,
        policy: this.stackPolicy,
        wordBits: this.kernel.bits,
        stackLimit: this.stackLimit,
        takeCached: (size) => this.#takeCachedStack(size),
      },
      { stackSize: o.stackSize, guardSize: o.guardSize },
      `thread ${index} stack`,
    );
    if ("errno" in got) throw new ThreadCreateError(got.errno);
    const { stack, reused } = got;
    const tid = o.tid ?? this.#threadIds[this.#nextTidIndex] ??
      this.pid + this.#threads.length + this.#childIds;
    this.#nextTidIndex++;
    const thread: Thread = {
      tid,
      index,
      state: "running",
      errno: 0,
      stack,
      sp: stack.base + stack.size - 0x1000 + 0x10,
      locals: new Map(),
    };
    // The thread descriptor and static TLS sit at the top of the stack: written now.
    this.space.memory.fill(stack.base + stack.size - 0x100, 0x100, 0);
    this.space.memory.write8(stack.base + stack.size - 0x100, 0);
    this.#threads.push(thread);
    this.#unjoined.add(thread.index);
    this.#created.add(thread);
    if (!reused && this.#runtime) stack.dtv = this.#runtime.allocateDtv(creator);
    return thread;
  }

  #takeCachedStack(size: number): ThreadStack | undefined {
    let best = -1;
    for (let i = 0; i < this.#stackCache.length; i++) {
      const s = this.#stackCache[i];
      if (s.size >= size && (best < 0 || this.#stackCache[best].size > s.size)) {
        best = i;
        if (s.size === size) break;
      }
    }
    // a block more than four times the size asked for is left in the cache
    if (best < 0 || this.#stackCache[best].size > 4 * size) return undefined;
    const [stack] = this.#stackCache.splice(best, 1);
    this.#stackCacheSize -= stack.size;
    return stack;
  }

  /**
   * The thread's function returns: glibc's exit path runs on it (tcache flush, arena); given the
   * stack pointer it ends with, it then drops the unused pages of its stack
   * (`advise_stack_range`: madvise MADV_DONTNEED below `sp`'s page, less 16 KiB).
   */
  threadExit(thread: Thread, options: { sp?: number } = {}): void {
    this.#own(thread);
    if (thread.index === 0) throw new Error("The main thread cannot exit with threadExit");
    if (thread.state !== "running") throw new Error(`Thread ${thread.tid} is not running`);
    const { sp } = optionsArgument("options", options);
    if (this.#runtime) this.runOn(thread, () => this.#runtime!.threadExit(thread));
    if (sp !== undefined) {
      const stack = thread.stack!;
      integerArgument("sp", sp, stack.base, stack.base + stack.size);
      this.runOn(thread, () => adviseStackRange(this, stack, sp));
    }
    thread.state = "exited";
    if (this.#current === thread) this.#current = this.mainThread;
  }

  /**
   * `pthread_join` on the current thread: the thread exits if it has not, and its stack goes to
   * glibc's stack cache; stacks beyond the cache limit are unmapped oldest first, and their DTVs
   * freed on the joining thread. Returns 0, or glibc's error number: EDEADLK for the calling
   * thread itself, ESRCH for a thread already joined or not of this process
   * (tests/fixtures/kernel_facts/pthread_join.c).
   */
  pthreadJoin(thread: Thread): number {
    if (typeof thread !== "object" || thread === null) {
      throw new ArgumentTypeError("thread", thread, "a Thread");
    }
    if (this.#threads[thread.index] !== thread) return Errno.ESRCH;
    if (thread === this.#current) return Errno.EDEADLK;
    if (thread.state === "joined") return Errno.ESRCH;
    if (thread.index === 0) {
      // pthread_join(main) from another thread waits for the process to end: never, here.
      throw new ArgumentRangeError("thread", thread.tid, "a thread other than the main thread");
    }
    if (thread.state === "running") this.threadExit(thread);
    this.#freeDescriptor(thread);
    return 0;
  }

  /**
   * nptl's `__free_tcb` for a detached thread that has exited, on the current thread (the one
   * that called pthread_detach, or the detached thread at its own exit): its stack goes to
   * glibc's stack cache as pthread_join's does, and the thread counts as joined (its TLS gone
   * with its stack). Stacks beyond the cache limit are unmapped oldest first and their DTVs
   * freed on the current thread.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Process } from "../../mod.ts";
   * const proc = new Process();
   * const t = proc.pthreadCreate();
   * proc.threadExit(t);
   * proc.pthreadRelease(t);
   * assert.equal(proc.pthreadCreate().stack, t.stack); // the next thread takes its stack
   * ```
   */
  pthreadRelease(thread: Thread): void {
    if (typeof thread !== "object" || thread === null) {
      throw new ArgumentTypeError("thread", thread, "a Thread");
    }
    this.#own(thread);
    if (thread.state !== "exited") {
      throw new ArgumentRangeError("thread", thread.tid, "a thread that has exited, not joined");
    }
    this.#freeDescriptor(thread);
  }

  /** The exited thread's stack to the stack cache (`queue_stack`), evicting beyond its limit. */
  #freeDescriptor(thread: Thread): void {
    thread.state = "joined";
    const caller = this.#current;
    const stack = thread.stack!;
    this.#stackCache.unshift(stack);
    this.#stackCacheSize += stack.size;
    while (this.#stackCacheSize > this.stackPolicy.cacheLimit && this.#stackCache.length > 0) {
      const old = this.#stackCache.pop()!;
      this.#stackCacheSize -= old.size;
      if (old.dtv && this.#runtime) this.#runtime.freeDtv(caller, old.dtv);
      this.sys.munmap(old.base, old.size);
    }
  }

  /** Stacks in glibc's stack cache, most recently cached first. */
  get stackCache(): readonly ThreadStack[] {
    return this.#stackCache;
  }

  // --- /proc/PID/maps ---------------------------------------------------------------------

  /** /proc/PID/maps as the kernel prints it. */
  maps(): string {
    return mapsText({ space: this.space, kernel: this.kernel, threads: this.#threads });
  }

  /** /proc/PID/maps as the kernel's iterator shows it, one record per area (`maps.ts`). */
  mapsRecords(): MapsRecord[] {
    return mapsRecords({ space: this.space, kernel: this.kernel, threads: this.#threads });
  }

  /** /proc/PID/maps as structured regions. */
  regions(): MapsRegion[] {
    return mapsRegions({ space: this.space, kernel: this.kernel, threads: this.#threads });
  }

  // --- snapshots (see snapshot.ts) ----------------------------------------------------------

  #serial = 0;
  /** The last snapshot taken: the next shares its unchanged lists. */
  #lastSnapshot: ProcessCapture | undefined;
  /** Indices of threads not yet captured as joined (the only ones that can still change). */
  #unjoined = new Set<number>([0]);
  /** Captures of joined threads, which never change again. */
  #joined = new WeakMap<Thread, ThreadSnapshot>();
  /** This process's own thread for a thread of the process a snapshot came from (fork). */
  #adopted = new Map<Thread, Thread>();

  /**
   * The whole process now — memory (copy-on-write), areas, threads, system call log and the
   * allocator's state — for {@link Process.restore} and {@link Process.fork}. O(1) plus the
   * pages written since the previous snapshot. With `pages: false` the pages are left out (a
   * history that keeps the memory's journal restores them itself).
   *
   * @example
   * ```ts
   * import { Allocator, Process } from "../../mod.ts";
   * const proc = new Process();
   * const libc = new Allocator(proc);
   * const before = proc.snapshot();
   * const p = libc.malloc(24);
   * proc.restore(before);
   * libc.malloc(24) === p; // true: the same call from the same state
   * ```
   */
  snapshot(options: { pages?: boolean } = {}): ProcessSnapshot {
    const last = this.#lastSnapshot;
    let threads: PersistentList<ThreadSnapshot>;
    if (last) {
      // Joined threads never change: only the others are captured again, each compared with
      // its capture in the last snapshot first (the thread object it captured: the threads
      // are the same list, as no restore came between), and the threads created since added.
      threads = last.threadList;
      const known = threads.length;
      for (const i of this.#unjoined) {
        if (i >= known) continue;
        const t = this.#threads[i];
        let snap = threads.at(i);
        if (snap.thread !== t || !unchanged(t, snap)) {
          // (The same thread, changed since: captured anew without comparing it again.)
          snap = snap.thread === t ? this.#newCapture(t) : this.#captureThread(t);
          threads = threads.with(i, snap);
        }
        // Captured joined once, a thread never changes again.
        if (snap.state === "joined") this.#unjoined.delete(i);
      }
      for (let i = known; i < this.#threads.length; i++) {
        const snap = this.#captureThread(this.#threads[i]);
        threads = threads.append(snap);
        if (snap.state === "joined") this.#unjoined.delete(i);
      }
    } else threads = PersistentList.of(this.#threads.map((t) => this.#captureThread(t)));
    const stackCache = last && sameStacks(this.#stackCache, last.stackCache)
      ? last.stackCache as ThreadStack[]
      : this.#stackCache.map((s) => ({ ...s }));
    const pages = options.pages ?? true;
    const space = this.space.captureState(pages);
    const syscalls = this.syscalls.captureState();
    const runtime = isSnapshotRuntime(this.#runtime) ? this.#runtime.captureState() : undefined;
    // A history captures at every step, most of which change nothing outside memory: without
    // pages, a capture equal to the last is that one (its serial too), not one more object kept.
    if (
      !pages && last !== undefined && last.space === space && last.threadList === threads &&
      last.current === this.#current.index && last.nextTidIndex === this.#nextTidIndex &&
      last.stackCache === stackCache && last.syscalls === syscalls && last.runtime === runtime
    ) return last;
    return this.#lastSnapshot = new ProcessCapture({
      space,
      threadList: threads,
      current: this.#current.index,
      nextTidIndex: this.#nextTidIndex,
      stackCache,
      syscalls,
      runtime,
      serial: ++this.#serial,
    });
  }

  #captureThread(t: Thread): ThreadSnapshot {
    const known = this.#joined.get(t);
    if (known) return known;
    const last = this.#lastCapture.get(t);
    return last && unchanged(t, last) ? last : this.#newCapture(t);
  }

  /** A new capture of `t`, kept as its last (for good once it is joined). */
  #newCapture(t: Thread): ThreadSnapshot {
    const snap: ThreadSnapshot = {
      thread: t,
      state: t.state,
      errno: t.errno,
      sp: t.sp,
      stack: t.stack ? { ...t.stack } : undefined,
      locals: copyLocals(t.locals),
    };
    if (t.state === "joined") this.#joined.set(t, snap);
    else this.#lastCapture.set(t, snap);
    return snap;
  }

  /** Each running thread's last capture, shared by the next one while the thread is unchanged. */
  #lastCapture = new WeakMap<Thread, ThreadSnapshot>();

  /**
   * Returns the process to a snapshot taken in it (or, for a fork, in its parent): memory,
   * areas, break, threads (the same thread objects as then), system call log and allocator.
   */
  restore(snapshot: ProcessSnapshot): void {
    const threads = snapshot !== null && typeof snapshot === "object" &&
        typeof snapshot.space === "object" && snapshot.space !== null
      ? threadsOf(snapshot)
      : undefined;
    if (threads === undefined) {
      throw new ArgumentTypeError("snapshot", snapshot, "a snapshot from Process.snapshot()");
    }
    this.space.restoreState(snapshot.space);
    this.#threads = Array.from(threads, (s) => {
      let t = s.thread;
      if (!this.#owns(t)) {
        t = this.#adopted.get(s.thread) ?? { ...s.thread, locals: new Map() };
        this.#adopted.set(s.thread, t);
        this.#created.add(t);
      }
      t.state = s.state;
      t.errno = s.errno;
      t.sp = s.sp;
      t.stack = s.stack ? { ...s.stack } : undefined;
      // Plain values come from the snapshot; class instances stay for their runtime to restore.
      for (const [k, v] of t.locals) if (isPlainLocal(v)) t.locals.delete(k);
      for (const [k, v] of copyLocals(s.locals)) t.locals.set(k, v);
      return t;
    });
    this.#joined = new WeakMap();
    this.#lastCapture = new WeakMap();
    this.#lastSnapshot = undefined;
    this.#unjoined = new Set(
      this.#threads.filter((t) => t.state !== "joined").map((t) => t.index),
    );
    this.#current = this.#threads[snapshot.current];
    this.#nextTidIndex = snapshot.nextTidIndex;
    this.#stackCache = snapshot.stackCache.map((s) => ({ ...s }));
    this.#stackCacheSize = this.#stackCache.reduce((n, s) => n + s.size, 0);
    this.syscalls.restoreState(snapshot.syscalls);
    if (snapshot.runtime !== undefined && isSnapshotRuntime(this.#runtime)) {
      this.#runtime.restoreState(snapshot.runtime);
    }
  }

  /** Threads this process created or adopted (a fork's threads are its own objects). */
  #owns(t: Thread): boolean {
    return this.#created.has(t);
  }

  #created = new WeakSet<Thread>();

  /**
   * An independent copy of the process now, or at `snapshot` (its own memory, copy-on-write
   * against this one), with a copy of its allocator as `runtime`. The copy's threads are its own
   * objects, in {@link Process.threads}.
   */
  fork(snapshot: ProcessSnapshot = this.snapshot()): Process {
    const child = new Process(this.#options);
    if (isSnapshotRuntime(this.#runtime)) this.#runtime.forkOnto?.(child);
    child.restore(snapshot);
    return child;
  }
}

function sameStacks(a: readonly ThreadStack[], b: readonly ThreadStack[]): boolean {
  return a.length === b.length &&
    a.every((s, i) => s.base === b[i].base && s.size === b[i].size && s.dtv === b[i].dtv);
}

/** True when `t` still is as `snap` captured it (its locals compared one level deep). */
function unchanged(t: Thread, snap: ThreadSnapshot): boolean {
  if (t.state !== snap.state || t.errno !== snap.errno || t.sp !== snap.sp) return false;
  const s = snap.stack;
  if (t.stack?.base !== s?.base || t.stack?.size !== s?.size || t.stack?.dtv !== s?.dtv) {
    return false;
  }
  let plain = 0;
  for (const [k, v] of t.locals) {
    if (!isPlainLocal(v)) continue;
    plain++;
    const old = snap.locals.get(k);
    if (v === old) continue;
    if (v === null || old === null || typeof v !== "object" || typeof old !== "object") {
      return false;
    }
    for (const f in v) {
      if ((v as Record<string, unknown>)[f] !== (old as Record<string, unknown>)[f]) return false;
    }
  }
  return plain === snap.locals.size;
}

/**
 * What a thread runtime (the allocator) implements to take part in snapshots: capture and
 * restore its state outside simulated memory, and make a copy of itself for a forked process.
 */
export interface SnapshotRuntime {
  /** Its state now; later calls must not change the value returned. */
  captureState(): unknown;
  /** Returns to a state from {@link SnapshotRuntime.captureState} (of itself or its parent). */
  restoreState(state: unknown): void;
  /** Installs a copy of itself (state to be restored next) on a forked process. */
  forkOnto?(child: Process): void;
}

/** True when `runtime` takes part in snapshots. */
function isSnapshotRuntime(runtime: unknown): runtime is SnapshotRuntime {
  return runtime !== null && typeof runtime === "object" &&
    typeof (runtime as SnapshotRuntime).captureState === "function" &&
    typeof (runtime as SnapshotRuntime).restoreState === "function";
}

/** Methods of Memory whose first argument is an address. */
const ADDRESSED = /^(read|write|fill|copy|checkAccess|hasBytes)/;
/** Methods of Memory whose second argument is a value to write. */
const WRITES_VALUE = /^write(8|16|32|64)$/;

/**
 * `memory` with its addresses checked: a proxy whose read/write methods throw an
 * {@link ArgumentRangeError} for an address that is not an integer, and hand a bigint address
 * or value to the exact 64-bit methods. Each method is looked up, tested and wrapped once, on its
 * first use: an access then costs the proxy's lookup and the checks, no pattern match.
 */
function checkedMemory(memory: Memory): Memory {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(memory, {
    get(target, key) {
      const method = methods.get(key);
      if (method !== undefined) return method;
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const fn = typeof key === "string" && ADDRESSED.test(key)
        ? checkedMethod(target, key, value)
        : value.bind(target);
      methods.set(key, fn);
      return fn;
    },
  });
}

/** Memory's method `key` (`method`) of `target`, its arguments checked first. */
function checkedMethod(
  target: Memory,
  key: string,
  method: (...args: unknown[]) => unknown,
): (...args: unknown[]) => unknown {
  const exact = key === "read64" || key === "write64";
  const writesValue = WRITES_VALUE.test(key), copies = key === "copy";
  return (...args: unknown[]) => {
    const addr = args[0], second = args[1];
    if (exact && (typeof addr === "bigint" || typeof second === "bigint")) {
      return key === "read64"
        ? target.readBig64(addr as bigint)
        : target.writeBig64(addr as bigint, second as bigint);
    }
    checkAddressArgument(addr, "address");
    if (copies) checkAddressArgument(second, "src");
    else if (writesValue && (typeof second !== "number" || !Number.isInteger(second))) {
      throw new ArgumentRangeError("value", second, "an integer");
    }
    return method.apply(target, args);
  };
}

function checkAddressArgument(addr: unknown, name: string): void {
  if (typeof addr === "bigint") return;
  if (typeof addr !== "number") throw new ArgumentTypeError(name, addr, "a number or a bigint");
  if (!Number.isInteger(addr)) throw new ArgumentRangeError(name, addr, "an integer address");
}

/** Throws unless `file` is a {@link FileMapping} with a whole, non-negative offset. */
function checkFileMapping(file: FileMapping): void {
  if (typeof file !== "object" || file === null || typeof file.file !== "object") {
    throw new ArgumentTypeError("file", file, "a FileMapping ({ file, offset })");
  }
  integerArgument("file.offset", file.offset, 0, Number.MAX_SAFE_INTEGER);
}

/** pthread_create failed: the stack could not be mapped. */
export class ThreadCreateError extends Error {
  /** errno of the failing mmap (pthread_create returns EAGAIN for it). */
  readonly errno: number;
  /** The failure, with the errno of the mmap. */
  constructor(errno: number) {
    super(`pthread_create failed: cannot map the thread stack (errno ${errno})`);
    this.name = "ThreadCreateError";
    this.errno = errno;
  }
}
