/**
 * A replay session: one simulated process (and its allocator) executing parsed trace operations
 * one at a time, keeping the trace's slots and threads, and answering each operation with a
 * structured {@link ReplayEvent} — the returned pointer and where it lies (`main`, `heapK`,
 * `mmap` with offsets and the raw size word), the break, the heap-related mappings, system call
 * results and errno. What the events mean is the oracle's (`docs/trace_format.md`); printing
 * them in the oracle's text is `oracle_format.ts`, driving a whole trace is `replay.ts`.
 *
 * The hot operations are also lean calls (`malloc`, `free`, `switchThread`, …) that take plain
 * numbers, return the pointer and leave where it lies in one reused {@link PlaceFields} (`maps`
 * hands its report's lines to a visitor): the replay's fast lane (`fast_lane.ts`) calls them
 * without building an operation or an event, and `execute` is built on the same calls, so the two
 * cannot differ.
 *
 * The process runs the trace's current thread: a `thread` line switches it (creating the thread
 * on first use), a `join` returns it to the main thread.
 *
 * Invariant: a slot holds either a chunk pointer (`live`) or an mmap/sbrk address (`address`),
 * never both; only slots whose chunk was mmapped when it was returned are listed by `maps`.
 *
 * Over 500 lines: the `ReplaySession` class (about 480 lines) plus the exported types that
 * describe its options, events and places; the types are its public contract and read best beside
 * it.
 *
 * @module
 */

import { ArgumentRangeError, isSyscallError, SegmentationFault } from "../kernel/errors.ts";
import { Process, type ProcessOptions } from "../kernel/process.ts";
import { NO_SYSCALLS, type SyscallRecord } from "../kernel/syscall_log.ts";
import type { Thread } from "../kernel/threads.ts";
import {
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  permsText,
  PROT_READ,
  PROT_WRITE,
  type Vma,
} from "../kernel/vma.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, SIZE_BITS } from "../malloc/chunk.ts";
import { type GlibcProfile, glibcProfile } from "../malloc/profile.ts";
import { HeapDiscovery } from "./heap_discovery.ts";
import { MAX_SLOTS, MAX_TID, TraceError, type TraceNumber, type TraceOp } from "./parse.ts";
import {
  type AddressPlace,
  FakeAreas,
  type LibcImage,
  oracleFakeRegion,
  SlotRegions,
} from "./places.ts";

/** What the replay needs from the C library's allocator, on the current thread. */
export interface TraceAllocator {
  /** malloc(3). */
  malloc(size: number): number;
  /** calloc(3). */
  calloc(count: number, size: number): number;
  /** realloc(3). */
  realloc(ptr: number, size: number): number;
  /** memalign(3). */
  memalign(alignment: number, size: number): number;
  /** free(3). */
  free(ptr: number): void;
  /** malloc_trim(3). */
  mallocTrim(pad: number): number;
  /** mallopt(3). */
  mallopt(param: number, value: number): number;
  /** Where libc's image lies, for format v2's `libc` places (none: no pointer is one). */
  readonly libc?: LibcImage;
  /**
   * Whether `value` is a word of libc's writable data — glibc 2.34+'s `tcache_key`, which v2's
   * reads print as `key` (none: no value is).
   */
  holdsLibcWord?(value: bigint): boolean;
}

/** Builds the allocator for a process. */
export type AllocatorFactory = (
  process: Process,
  options: { glibc: string; nprocs: number },
) => TraceAllocator;

/**
 * The raw size word below a returned pointer, as a word (`sizeWord`) and, when it is beyond 2^53
 * in size — random bytes a corruption wrote, which a number carries rounded (`word.ts`) — exactly
 * (`exactSizeWord`), as the output prints it.
 */
export interface SizeWordFields {
  /** The raw size word. */
  readonly sizeWord: number;
  /** Its exact value when `sizeWord` is rounded (beyond 2^53 in size); else undefined. */
  readonly exactSizeWord?: bigint;
}

/** Where a returned pointer lies, as the oracle reports it. */
export type TracePlace =
  /** malloc returned NULL. */
  | { readonly kind: "null" }
  /** A main-arena chunk; `offset` from the main heap start (negative below it). */
  | ({ readonly kind: "main"; readonly offset: number } & SizeWordFields)
  /**
   * A chunk of a thread heap: `heap` is its number (undefined when no heap was found there),
   * `offset` from the HEAP_MAX_SIZE-aligned start.
   */
  | (
    & {
      readonly kind: "heap";
      readonly heap: number | undefined;
      readonly offset: number;
    }
    & SizeWordFields
  )
  /** A chunk served by mmap; `offset` is the pointer's offset in its page. */
  | ({ readonly kind: "mmap"; readonly offset: number } & SizeWordFields)
  /** (v2) In fake area `area`, `offset` from its start (a fake chunk a corrupted heap handed out). */
  | (
    & {
      readonly kind: "fake";
      readonly area: number;
      readonly offset: number;
    }
    & SizeWordFields
  )
  /** (v2) In the mapping of `mmap` slot `slot`, `offset` from the slot's pointer. */
  | (
    & {
      readonly kind: "slot";
      readonly slot: number;
      readonly offset: number;
    }
    & SizeWordFields
  )
  /** (v2) In libc's image, `offset` from its load address. */
  | ({ readonly kind: "libc"; readonly offset: number } & SizeWordFields)
  /** (v2) Anywhere else, its size word unreadable: the pointer itself. */
  | { readonly kind: "unmapped"; readonly address: number };

/**
 * What a v2 `read` of a pointer's width printed: 0 or a value outside every place (`number`, in
 * hex; narrower reads are always this), a place, a safe-linked pointer to a place (`mangled`;
 * no place: `mangled 0x0`), or glibc's tcache key (`key`).
 */
export type ReadValue =
  | { readonly kind: "number"; readonly value: bigint }
  | { readonly kind: "place"; readonly place: AddressPlace }
  | { readonly kind: "mangled"; readonly place: AddressPlace | undefined }
  | { readonly kind: "key" };

/**
 * Where the last returned pointer lies: the fields of a {@link TracePlace}, kept in one object the
 * session reuses for every pointer operation, so that its lean calls build nothing.
 */
export interface PlaceFields {
  /** As {@link TracePlace}'s `kind`. */
  readonly kind: TracePlace["kind"];
  /** The thread heap's number (`heap` only; undefined when none was found there). */
  readonly heap: number | undefined;
  /** As {@link TracePlace}'s `offset` (0 for `null`). */
  readonly offset: number;
  /** The raw size word (0 for `null`, and when it cannot be read). */
  readonly sizeWord: number;
  /** Its exact value when `sizeWord` is rounded (beyond 2^53 in size), else undefined. */
  readonly exactSizeWord: bigint | undefined;
  /** The whole place for the kinds format v2 added (`fake`, `slot`, `libc`, `unmapped`). */
  readonly v2Place: TracePlace | undefined;
}

/** One line of a `maps` report: a heap-related mapping (or the part of it in a heap). */
export interface HeapMapping {
  /** `[heap]`, `heapK`, `mmapchunk <slot>` or `stack:<tid>`. */
  readonly label: string;
  /** Permissions as /proc/PID/maps prints them (`????` when the mapping is gone). */
  readonly perms: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * The size exactly, when `size` carries it rounded (beyond 2^53: an mmapped chunk's header a
   * corruption rewrote); else undefined.
   */
  readonly exactSize?: bigint;
}

/** The kinds of line in a `maps` report: `[heap]`, `heapK`, `mmapchunk <slot>`, `stack:<tid>`. */
export type MappingLabel = "[heap]" | "heap" | "mmapchunk" | "stack";

/**
 * Called for each line of a `maps` report, in order: its kind and number (the heap's, the slot's
 * or the thread's; 0 for `[heap]`), the area whose permissions it shows (undefined when the
 * mapping is gone: `????`), its size in bytes, and that size exactly when `size` carries it
 * rounded (see {@link HeapMapping}).
 */
export type MappingVisitor = (
  label: MappingLabel,
  id: number,
  area: Vma | undefined,
  size: number,
  exactSize?: bigint,
) => void;

/** A `maps` line's label as the oracle prints it. */
function labelText(label: MappingLabel, id: number): string {
  switch (label) {
    case "[heap]":
      return label;
    case "heap":
      return `heap${id}`;
    case "mmapchunk":
      return `mmapchunk ${id}`;
    case "stack":
      return `stack:${id}`;
  }
}

/** What one trace operation did. */
export interface ReplayEvent {
  /** 1-based trace line. */
  readonly line: number;
  /** The operation. */
  readonly op: TraceOp;
  /**
   * The value the call returned: the pointer (malloc, calloc, memalign, realloc), the int result
   * (trim, mallopt), the old break or -1 as a word (sbrk), the address or -errno (mmap), 0 or
   * -errno (munmap, mprotect), the break (brk); 0 otherwise.
   */
  readonly result: number;
  /** Where a returned pointer lies (pointer operations only). */
  readonly place?: TracePlace;
  /** The errno of a failed sbrk, mmap, munmap or mprotect. */
  readonly errno?: number;
  /** The break (brk) or old break (a successful sbrk), counted from the main heap start. */
  readonly breakOffset?: number;
  /** The heap-related mappings (maps). */
  readonly mappings?: readonly HeapMapping[];
  /** The whole /proc/PID/maps text (rawmaps). */
  readonly rawmaps?: string;
  /** What a v2 `read` read. */
  readonly value?: ReadValue;
  /** The number of the fake area a v2 `fake` made. */
  readonly fakeArea?: number;
  /** The system calls made by the operation (only with `recordSyscalls`). */
  readonly syscalls: readonly SyscallRecord[];
}

/** Options of a {@link ReplaySession}. */
export interface SessionOptions {
  /** glibc version (default 2.36). */
  glibc?: string;
  /** Architecture (default x86_64). */
  arch?: "i386" | "x86_64";
  /** Online CPUs, for the arena limit (default 2, as the oracle's expected outputs). */
  nprocs?: number;
  /** A /proc/PID/maps text (with `# initial break`) to start from. */
  initialMaps?: string;
  /** A built-in layout (`x86_64`, `i386`, `seed-i386`). */
  layout?: string;
  /** More process options. */
  process?: ProcessOptions;
  /** The allocator; without one, heap operations stop the replay with an error. */
  allocator?: AllocatorFactory;
  /**
   * A kernel trace (first operation `rawmaps`): the break stays where the kernel put it.
   * Otherwise it is first raised to a HEAP_MAX_SIZE boundary, as the oracle's driver does.
   */
  kernelTrace?: boolean;
  /** Events carry the system calls each operation made (default false). */
  recordSyscalls?: boolean;
}

const TWO53 = 2 ** 53;

// A place's exact size word, when it has one (spread into a place object).
function exactOf(where: PlaceFields): { exactSizeWord?: bigint } {
  return where.exactSizeWord === undefined ? {} : { exactSizeWord: where.exactSizeWord };
}
// A slot's state bits: it holds a chunk pointer (not 0); it holds an mmap/sbrk address; the
// chunk returned into it was mmapped (kept after a free, until the slot gets another pointer).
// (v2) A dead chunk slot keeps its last pointer; a fake slot holds a fake area's start; a slot
// stands for memory in places (an mmap slot, an mmapped chunk: in #regions).
const SLOT_LIVE = 1, SLOT_ADDRESS = 2, SLOT_MMAPPED = 4, SLOT_DEAD = 8, SLOT_FAKE = 16;
const SLOT_REGION = 32;
// The allocating calls #allocate makes.
const MALLOC = 0, CALLOC = 1, MEMALIGN = 2;

// A slot or thread id given to a lean call: parsed lines are checked by parse.ts, but a caller
// of the public lean calls could pass anything, which would index past the slot arrays.
function checkId(name: string, id: number, count: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < count)) {
    throw new ArgumentRangeError(name, id, `an integer from 0 to ${count - 1}`);
  }
}

/**
 * A process replaying trace operations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTraceLine, traceLimits } from "./parse.ts";
 * import { ReplaySession } from "./session.ts";
 * import { defaultAllocatorFactory } from "./allocator_factory.ts";
 *
 * const session = new ReplaySession({ allocator: defaultAllocatorFactory });
 * const event = session.execute(parseTraceLine("malloc 0 24", 1, traceLimits(64))!, 1);
 * assert.deepEqual(event.place, { kind: "main", offset: 0x2a0, sizeWord: 0x21 });
 * ```
 */
export class ReplaySession {
  /** glibc version. */
  readonly glibc: string;
  /** Architecture. */
  readonly arch: "i386" | "x86_64";
  /** Online CPUs. */
  readonly nprocs: number;
  /** The process. */
  readonly process: Process;
  /** The allocator, if there is one. */
  readonly allocator?: TraceAllocator;
  /** Whether this is a kernel trace. */
  readonly kernelTrace: boolean;
  /** The main heap start: offsets of `main` pointers and of the break count from it. */
  readonly mainStart: number;
  /** HEAP_MAX_SIZE of the architecture (as the oracle's builds use it). */
  readonly heapMax: number;
  /** The thread heaps found so far. */
  readonly discovery: HeapDiscovery;

  readonly #sizeSz: number;
  readonly #recordSyscalls: boolean;
  // Each slot's value (a chunk pointer or an address) and its state (SLOT_LIVE, SLOT_ADDRESS,
  // SLOT_MMAPPED): one byte of state, so that an operation reads two arrays, not four.
  readonly #slotValues = new Float64Array(MAX_SLOTS);
  readonly #slotBits = new Uint8Array(MAX_SLOTS);
  readonly #threads = new Map<number, Thread>();
  // Slots whose chunk was mmapped when it was returned (SLOT_MMAPPED): the only ones `maps` can
  // list. (The bit beside the set, so that the common case, a chunk that was not mmapped
  // replacing one that was not either, costs no set operation.)
  readonly #mmapSlots = new Set<number>();
  // The trace's current thread (set by `thread` lines; the main thread for tid 0).
  #curThread: Thread;
  #seq = 0;
  // Where the last returned pointer lies (see `lastPlace`).
  readonly #where: { -readonly [K in keyof PlaceFields]: PlaceFields[K] } = {
    kind: "null",
    heap: undefined,
    offset: 0,
    sizeWord: 0,
    exactSizeWord: undefined,
    v2Place: undefined,
  };
  // Whether the trace may have corrupted the heap itself (format v2's memory lines, a free at an
  // offset, a dead slot freed): `maps` then looks at every live slot.
  #corrupted = false;
  // (v2) The trace's fake areas (made at the first `fake`) and the memory slots stand for.
  #fakes: FakeAreas | undefined = undefined;
  readonly #regions = new SlotRegions();

  /** A fresh process (and allocator) as the options say, its break placed as the driver does. */
  constructor(options: SessionOptions = {}) {
    this.glibc = options.glibc ?? "2.36";
    const arch = options.arch ?? "x86_64";
    this.nprocs = options.nprocs ?? 2;
    const process = new Process({
      ...options.process,
      arch,
      layout: options.layout ?? options.process?.layout ?? arch,
      initialMaps: options.initialMaps ?? options.process?.initialMaps,
    });
    this.process = process;
    // What actually runs: a layout or maps text of the other width decides the architecture.
    this.arch = process.arch;
    this.#curThread = process.mainThread;
    this.#sizeSz = process.words.bytes;
    this.heapMax = process.words.bits === 64 ? 64 * 1024 * 1024 : 1024 * 1024;
    this.#recordSyscalls = options.recordSyscalls ?? false;
    this.kernelTrace = options.kernelTrace ?? false;
    // The allocator first: on a fresh built-in layout it lays libc out as the version's real
    // build (its offsets are then the real ones, which format v2's `libc` places print). Then
    // the break aligned, as the driver does at its start, before glibc touches any memory.
    this.allocator = options.allocator?.(process, { glibc: this.glibc, nprocs: this.nprocs });
    if (!this.kernelTrace) {
      const brk0 = process.sbrk(0);
      const want = Math.ceil(brk0 / this.heapMax) * this.heapMax;
      if (want !== brk0) process.sbrk(want - brk0);
    }
    this.mainStart = process.sbrk(0);
    this.discovery = new HeapDiscovery(process, this.heapMax);
  }

  /** The system calls made since the current (or last) operation began. */
  syscallsSinceOperation(): readonly SyscallRecord[] {
    return this.#recordSyscalls ? this.process.syscalls.since(this.#seq) : NO_SYSCALLS;
  }

  /**
   * Executes one operation of trace line `line`. Throws a {@link TraceError} for an operation
   * the oracle refuses (a slot that is not live, no allocator), and lets glibc's aborts and
   * segmentation faults through.
   */
  execute(op: TraceOp, line: number): ReplayEvent {
    this.#begin();
    switch (op.kind) {
      case "malloc":
        return this.#pointerEvent(line, op, this.malloc(op.slot, this.#toWord(op.size), line));
      case "calloc": {
        const p = this.calloc(op.slot, this.#toWord(op.count), this.#toWord(op.size), line);
        return this.#pointerEvent(line, op, p);
      }
      case "memalign": {
        const p = this.memalign(op.slot, this.#toWord(op.alignment), this.#toWord(op.size), line);
        return this.#pointerEvent(line, op, p);
      }
      case "realloc": {
        const p = this.realloc(op.slot, op.oldSlot, this.#toWord(op.size), line);
        return this.#pointerEvent(line, op, p);
      }
      case "free":
        if (op.offset === undefined) this.free(op.slot, line);
        else this.#freeAt(op.slot, this.#toWord(op.offset), line);
        return this.#event(line, op, 0);
      case "write":
        this.#write(op);
        return this.#event(line, op, 0);
      case "read":
        return { ...this.#event(line, op, 0), value: this.#read(op) };
      case "fake":
        return { ...this.#event(line, op, 0), fakeArea: this.#fake(op.slot, op.size, line) };
      case "trim": {
        const heap = this.#needAllocator(line);
        const r = this.#onThread(() => heap.mallocTrim(this.#toWord(op.pad)));
        this.discovery.scan();
        return this.#event(line, op, r);
      }
      case "mallopt": {
        const heap = this.#needAllocator(line);
        const r = this.#onThread(() => heap.mallopt(op.param, op.value));
        this.discovery.scan();
        return this.#event(line, op, r);
      }
      case "thread":
        this.switchThread(op.tid);
        return this.#event(line, op, 0);
      case "join":
        this.join(op.tid, line);
        return this.#event(line, op, 0);
      case "sbrk":
        return this.#sbrk(op, line);
      case "mmap":
        return this.#mmap(op, line);
      case "munmap":
      case "mprotect":
        return this.#unmapOrProtect(op, line);
      case "brk": {
        const breakOffset = this.brk();
        return { ...this.#event(line, op, breakOffset + this.mainStart), breakOffset };
      }
      case "maps":
        this.discovery.scan();
        return { ...this.#event(line, op, 0), mappings: this.#heapMappings() };
      case "rawmaps":
        return { ...this.#event(line, op, 0), rawmaps: this.process.maps() };
    }
  }

  #event(line: number, op: TraceOp, result: number): ReplayEvent {
    return { line, op, result, syscalls: this.syscallsSinceOperation() };
  }

  #thread(): Thread {
    return this.#curThread;
  }

  // Whether the trace's current thread is the process's running thread (no switch needed).
  #onCurrentThread(): boolean {
    return this.#curThread === this.process.currentThread;
  }

  // Makes the trace's current thread the running one for a heap call, without a closure;
  // returns the thread to go back to with #leave (undefined: no switch was needed). The process
  // runs the trace's current thread already (switchThread and join switch it), unless its
  // caller switched it meanwhile: then it is switched for the call and back. (Switching to the
  // trace's thread and back to main around every call cost 1–3% of the threads replay.)
  #enter(): Thread | undefined {
    const running = this.process.currentThread;
    if (this.#curThread === running) return undefined;
    this.process.switchTo(this.#curThread);
    return running;
  }

  #leave(saved: Thread | undefined): void {
    if (saved !== undefined) this.process.switchTo(saved);
  }

  // Runs `fn` on the trace's current thread.
  #onThread<T>(fn: () => T): T {
    return this.#onCurrentThread() ? fn() : this.process.runOn(this.#thread(), fn);
  }

  #word(addr: number): number {
    const memory = this.process.space.memory; // unchecked: the replay's own reads
    return this.#sizeSz === 8 ? memory.read64(addr) : memory.read32(addr);
  }

  #toWord(v: TraceNumber): number {
    const words = this.process.words;
    return typeof v === "number"
      ? (v < 0 ? words.wrap(v) : v)
      : words.fromBigInt(BigInt.asUintN(words.bits, v));
  }

  #needAllocator(line: number): TraceAllocator {
    if (!this.allocator) {
      throw new TraceError(line, "heap operations need an allocator (none was given)");
    }
    return this.allocator;
  }

  // The chunk pointer in slot `id` (-1: none, NULL); throws when the slot holds no chunk (a fake
  // slot gives its area's start where `fake` allows it: `free`). (Only -1 means NULL: any other
  // id a caller of the lean calls passes must name a slot.)
  #liveChunk(id: number, line: number, fake = false): number {
    if (id === -1) return 0;
    checkId("slot", id, MAX_SLOTS);
    const bits = this.#slotBits[id];
    if (bits & SLOT_ADDRESS) {
      throw new TraceError(line, "slot holds an mmap/sbrk address, not a chunk");
    }
    if (bits & SLOT_FAKE) {
      if (fake) return this.#slotValues[id];
      throw new TraceError(line, "slot holds a fake area, not a chunk");
    }
    // A dead slot gives its last pointer: freeing it again is glibc's double free (format v2).
    if (!(bits & (SLOT_LIVE | SLOT_DEAD))) throw new TraceError(line, "slot is not live");
    if (!(bits & SLOT_LIVE)) this.#corrupted = true;
    return this.#slotValues[id];
  }

  // Slot `id`'s chunk was freed or realloc'd away: the slot is dead and keeps the pointer, which
  // a later `free` or `realloc` of it passes to glibc again (its SLOT_MMAPPED bit stays).
  #clearChunkSlot(id: number): void {
    this.#slotBits[id] = (this.#slotBits[id] & ~SLOT_LIVE) | SLOT_DEAD;
  }

  #setChunkSlot(slot: number, p: number): void {
    this.#slotValues[slot] = p;
    this.#slotBits[slot] = (this.#slotBits[slot] & (SLOT_MMAPPED | SLOT_REGION)) |
      (p !== 0 ? SLOT_LIVE : 0);
  }

  // An mmap or sbrk result (`length`: the mapping an mmap slot stands for; 0 for sbrk), or a fake
  // area (SLOT_FAKE).
  #setAddressSlot(slot: number, ok: boolean, address: number, length = 0, kind = SLOT_ADDRESS) {
    this.#unmarkMmapped(slot);
    this.#slotValues[slot] = ok ? address : 0;
    this.#slotBits[slot] = (this.#slotBits[slot] & SLOT_REGION) | (ok ? kind : 0);
    this.#setRegion(slot, address, ok && kind === SLOT_ADDRESS ? length : 0, true);
  }

  // Slot `slot` stands for `[lo, lo + length)` in places (nothing when length is 0).
  #setRegion(slot: number, lo: number, length: number, mmapAddress: boolean): void {
    if (length > 0) {
      this.#regions.set(slot, lo, lo + length, mmapAddress);
      this.#slotBits[slot] |= SLOT_REGION;
    } else if (this.#slotBits[slot] & SLOT_REGION) {
      this.#regions.clear(slot);
      this.#slotBits[slot] &= ~SLOT_REGION;
    }
  }

  // The lean calls: each heap operation the replay's fast lane (`fast_lane.ts`) runs without
  // a TraceOp or a ReplayEvent. `execute` runs the same calls and wraps their results in an
  // event, so the two ways cannot differ.

  /**
   * malloc(`size`) into `slot` on the trace's current thread; returns the pointer and leaves
   * where it lies in {@link lastPlace}.
   */
  malloc(slot: number, size: number, line: number): number {
    return this.#allocate(slot, MALLOC, 0, size, line);
  }

  /** calloc(`count`, `size`) into `slot`, as {@link malloc}. */
  calloc(slot: number, count: number, size: number, line: number): number {
    return this.#allocate(slot, CALLOC, count, size, line);
  }

  /** memalign(`alignment`, `size`) into `slot`, as {@link malloc}. */
  memalign(slot: number, alignment: number, size: number, line: number): number {
    return this.#allocate(slot, MEMALIGN, alignment, size, line);
  }

  // malloc(size), calloc(first, size) or memalign(first, size), as `call` says.
  #allocate(slot: number, call: number, first: number, size: number, line: number): number {
    this.#begin();
    checkId("slot", slot, MAX_SLOTS);
    const heap = this.#needAllocator(line);
    const saved = this.#enter();
    let p: number;
    try {
      p = call === MALLOC
        ? heap.malloc(size)
        : call === CALLOC
        ? heap.calloc(first, size)
        : heap.memalign(first, size);
    } finally {
      this.#leave(saved);
    }
    this.#setChunkSlot(slot, p);
    this.discovery.scan();
    this.#locate(slot, p);
    return p;
  }

  /**
   * realloc(the chunk of `oldSlot`, `size`) into `slot` (`oldSlot` -1: realloc(NULL, …)), as
   * {@link malloc}. Throws a {@link TraceError} when `oldSlot` holds no chunk.
   */
  realloc(slot: number, oldSlot: number, size: number, line: number): number {
    this.#begin();
    checkId("slot", slot, MAX_SLOTS);
    const heap = this.#needAllocator(line);
    const old = this.#liveChunk(oldSlot, line);
    const saved = this.#enter();
    let p: number;
    try {
      p = heap.realloc(old, size);
    } finally {
      this.#leave(saved);
    }
    if (oldSlot >= 0 && (p !== 0 || size === 0)) this.#clearChunkSlot(oldSlot);
    // A NULL result into the old slot leaves it as it was.
    const set = p !== 0 || slot !== oldSlot;
    if (set) this.#setChunkSlot(slot, p);
    this.discovery.scan();
    this.#locate(set ? slot : -1, p);
    return p;
  }

  /**
   * free(the chunk of `slot`) (`slot` -1: free(NULL)). Throws a {@link TraceError} when the slot
   * holds no chunk.
   */
  free(slot: number, line: number): void {
    this.#begin();
    const heap = this.#needAllocator(line);
    // (v2) A fake slot frees its area's start and stays as it is.
    const p = this.#liveChunk(slot, line, true);
    const saved = this.#enter();
    try {
      heap.free(p);
    } finally {
      this.#leave(saved);
    }
    if (slot >= 0 && !(this.#slotBits[slot] & SLOT_FAKE)) this.#clearChunkSlot(slot);
    this.discovery.scan();
  }

  // (v2) `free <id> <±offset>`: free(slot's pointer + offset) for any slot, unchecked (a slot that
  // holds nothing counts as NULL). Offset 0 on a chunk slot that holds a pointer makes it dead.
  #freeAt(slot: number, offset: number, line: number): void {
    const heap = this.#needAllocator(line);
    const p = this.process.words.add(this.#slotValues[slot], offset);
    this.#corrupted = true;
    const saved = this.#enter();
    try {
      heap.free(p);
    } finally {
      this.#leave(saved);
    }
    if (offset === 0 && (this.#slotBits[slot] & SLOT_LIVE)) this.#clearChunkSlot(slot);
    this.discovery.scan();
  }

  // (v2) The address `slot`'s pointer + `offset` names (a slot that holds none counts as NULL).
  #slotAddress(slot: number, offset: TraceNumber): number {
    return this.process.words.add(this.#slotValues[slot], this.#toWord(offset));
  }

  // (v2) `write`: the value's bytes, little-endian, stored one by one from the lowest as the
  // driver's main thread stores them (a fault on any byte is the process's SIGSEGV).
  #write(op: TraceOp & { kind: "write" }): void {
    const words = this.process.words;
    const a = this.#slotAddress(op.slot, op.offset);
    const v = op.value;
    let value: bigint;
    if (v.kind === "number") value = v.value;
    else {
      value = words.toBigInt(this.#slotAddress(v.slot, v.offset));
      // glibc 2.32+'s PROTECT_PTR: the stored address XOR the written address >> 12.
      if (v.kind === "mangled") value ^= words.toBigInt(a) >> 12n;
    }
    const memory = this.process.space.memory;
    this.#corrupted = true;
    for (let i = 0; i < op.width; i++) {
      memory.write8(words.add(a, i), Number((value >> BigInt(8 * i)) & 0xffn));
    }
    // A write can make or break a thread heap's header: look for heaps again, as the driver does
    // after every operation.
    this.discovery.rescan();
  }

  // (v2) `read`: `width` bytes, read from the highest as the driver reads them, and what they
  // name.
  #read(op: TraceOp & { kind: "read" }): ReadValue {
    const words = this.process.words;
    const a = this.#slotAddress(op.slot, op.offset);
    const memory = this.process.space.memory;
    let value = 0n;
    for (let i = op.width - 1; i >= 0; i--) {
      value = (value << 8n) | BigInt(memory.read8(words.add(a, i)));
    }
    if (op.width !== words.bytes || value === 0n) return { kind: "number", value };
    const u = words.fromBigInt(value);
    const place = this.#addressPlace(u, true);
    if (place) return { kind: "place", place };
    const glibc = this.#glibcProfile;
    if (glibc.safeLinking) {
      const d = value ^ (words.toBigInt(a) >> 12n);
      if (d === 0n) return { kind: "mangled", place: undefined };
      const demangled = this.#addressPlace(words.fromBigInt(d), true);
      if (demangled) return { kind: "mangled", place: demangled };
    }
    // tcache_key: 64 random bits; the test leaves out the small values libc's data is full of.
    const big = words.bits === 64
      ? (value >> 32n) !== 0n && (value >> 32n) !== 0xffff_ffffn
      : value >= 0x100_0000n && value <= 0xff00_0000n;
    if (glibc.tcacheKey === "random" && big && this.allocator?.holdsLibcWord?.(value)) {
      return { kind: "key" };
    }
    return { kind: "number", value };
  }

  // The glibc build's facts: safe-linking (2.32+) and the random tcache key (2.34+) decide how
  // the driver prints a read value.
  get #glibcProfile(): GlibcProfile {
    return glibcProfile(this.glibc, this.arch);
  }

  // (v2) `fake`: the next fake area into `slot`; returns its number.
  #fake(slot: number, size: TraceNumber, line: number): number {
    const fakes = this.#fakes ??= this.#makeFakeRegion(line);
    const { area, start } = fakes.carve(size, line);
    this.#setAddressSlot(slot, true, start, 0, SLOT_FAKE);
    return area;
  }

  // The region fake areas are carved from: where the oracle's driver has it (in its .bss, which
  // a kernel trace's maps already hold), mapped there when it is free; anywhere otherwise.
  #makeFakeRegion(line: number): FakeAreas {
    const size = FakeAreas.regionSize, sys = this.process.sys, space = this.process.space;
    const want = oracleFakeRegion(this.arch, this.glibc);
    const mapped = (a: number) => {
      const v = space.areaAt(a);
      return v !== undefined && (v.prot & (PROT_READ | PROT_WRITE)) === (PROT_READ | PROT_WRITE);
    };
    if (mapped(want) && mapped(want + size - 1)) return new FakeAreas(want);
    const prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    let at = this.process.runOn(
      this.process.mainThread,
      () => sys.mmap(want, size, prot, flags | MAP_FIXED_NOREPLACE),
    );
    if (isSyscallError(at)) {
      at = this.process.runOn(this.process.mainThread, () => sys.mmap(0, size, prot, flags));
    }
    if (isSyscallError(at)) throw new TraceError(line, "no room for the fake areas");
    this.discovery.scan();
    return new FakeAreas(at);
  }

  /**
   * Makes trace thread `tid` (0: the main thread) current, creating it on first use: the process
   * runs it from now on.
   */
  switchThread(tid: number): void {
    this.#begin();
    checkId("tid", tid, MAX_TID);
    const process = this.process;
    if (tid !== 0 && !this.#threads.has(tid)) {
      const t = process.runOn(process.mainThread, () => process.pthreadCreate());
      this.#threads.set(tid, t);
    }
    this.#curThread = tid === 0 ? process.mainThread : this.#threads.get(tid)!;
    process.switchTo(this.#curThread);
    this.discovery.scan();
  }

  /**
   * Joins trace thread `tid` from the main thread, which becomes current. Throws a
   * {@link TraceError} when no such thread runs.
   */
  join(tid: number, line: number): void {
    this.#begin();
    const process = this.process;
    const t = this.#threads.get(tid);
    if (tid === 0 || tid >= MAX_TID || !t) {
      throw new TraceError(line, "join of a thread that is not running");
    }
    process.switchTo(process.mainThread);
    process.pthreadJoin(t);
    this.#threads.delete(tid);
    this.#curThread = process.mainThread;
    this.discovery.scan();
  }

  /** The break, counted from the main heap start (the `brk` line). */
  brk(): number {
    this.#begin();
    return this.process.sbrk(0) - this.mainStart;
  }

  /**
   * Where the pointer the last pointer call returned lies: one object, overwritten by the next
   * call (copy what you keep).
   */
  get lastPlace(): PlaceFields {
    return this.#where;
  }

  /** Marks the start of an operation, for the system calls it will have made. */
  #begin(): void {
    if (this.#recordSyscalls) this.#seq = this.process.syscalls.lastSeq;
  }

  #sbrk(op: TraceOp & { kind: "sbrk" }, line: number): ReplayEvent {
    const th = this.#thread();
    th.errno = 0;
    const r = this.#onThread(() => this.process.sbrk(Number(op.delta)));
    const ok = r !== this.process.words.max;
    this.#setAddressSlot(op.slot, ok, r);
    this.discovery.scan();
    const event = this.#event(line, op, r);
    return ok ? { ...event, breakOffset: r - this.mainStart } : { ...event, errno: th.errno };
  }

  #mmap(op: TraceOp & { kind: "mmap" }, line: number): ReplayEvent {
    const length = this.#toWord(op.length);
    const r = this.#onThread(() =>
      this.process.sys.mmap(0, length, op.prot, MAP_PRIVATE | MAP_ANONYMOUS)
    );
    const ok = !isSyscallError(r);
    this.#setAddressSlot(op.slot, ok, r, length);
    this.discovery.scan();
    const event = this.#event(line, op, r);
    return ok ? event : { ...event, errno: -r };
  }

  #unmapOrProtect(op: TraceOp & { kind: "munmap" | "mprotect" }, line: number): ReplayEvent {
    if (!(this.#slotBits[op.slot] & SLOT_ADDRESS)) {
      throw new TraceError(line, "slot holds no mmap/sbrk address");
    }
    const sys = this.process.sys;
    const addr = this.process.words.add(this.#slotValues[op.slot], this.#toWord(op.offset));
    const len = this.#toWord(op.length);
    const r = this.#onThread(() =>
      op.kind === "munmap" ? sys.munmap(addr, len) : sys.mprotect(addr, len, op.prot)
    );
    this.discovery.scan();
    const event = this.#event(line, op, r);
    return r === 0 ? event : { ...event, errno: -r };
  }

  /** The event of a pointer result: where the pointer lies, as the last lean call left it. */
  #pointerEvent(line: number, op: TraceOp, p: number): ReplayEvent {
    const where = this.#where;
    let place: TracePlace;
    switch (where.kind) {
      case "null":
        place = { kind: "null" };
        break;
      case "heap":
        place = {
          kind: "heap",
          heap: where.heap,
          offset: where.offset,
          sizeWord: where.sizeWord,
          ...exactOf(where),
        };
        break;
      case "main":
      case "mmap":
        place = {
          kind: where.kind,
          offset: where.offset,
          sizeWord: where.sizeWord,
          ...exactOf(where),
        };
        break;
      default:
        place = where.v2Place!;
    }
    return { line, op, result: p, place, syscalls: this.syscallsSinceOperation() };
  }

  // Where `p` lies, into #where (format v2's rules, first match wins: a fake area, the main heap
  // up to the break, a live thread heap, IS_MMAPPED in the size word, an mmap slot's memory,
  // libc, an unreadable size word, NON_MAIN_ARENA, the main heap's signed offset); and, when it
  // went into slot `id` (-1: no slot changed), what the slot stands for: its chunk's mapping
  // when the chunk was mmapped.
  #locate(id: number, p: number): void {
    const where = this.#where;
    where.v2Place = undefined;
    where.heap = undefined;
    where.exactSizeWord = undefined;
    if (p === 0) {
      if (id >= 0) this.#noteChunk(id, false, 0, 0);
      where.kind = "null";
      where.offset = 0;
      where.sizeWord = 0;
      return;
    }
    const sizeWord = this.#readableWord(p - this.#sizeSz);
    // The usual case, kept small: an intact heap (the trace corrupted no memory) and a size word
    // that is a number exactly. The size word's flags decide, as v1 had it: for every chunk glibc
    // hands out there, the answer of v2's rules.
    if (!this.#corrupted && sizeWord >= 0 && sizeWord < TWO53) {
      // (`&` on a whole number below 2^53 takes its low 32 bits exactly; `%` would be a
      // floating-point remainder, a call out of optimized code, on a word read as a double.)
      const flags = sizeWord & SIZE_BITS;
      where.sizeWord = sizeWord;
      if (id >= 0 && (flags & IS_MMAPPED || this.#slotBits[id] & (SLOT_MMAPPED | SLOT_REGION))) {
        this.#noteChunk(id, (flags & IS_MMAPPED) !== 0, p, sizeWord);
      }
      if (flags & IS_MMAPPED) {
        where.kind = "mmap";
        where.offset = p % 4096;
        return;
      }
      if (!(flags & NON_MAIN_ARENA)) {
        where.kind = "main";
        where.offset = p - this.mainStart;
        return;
      }
      const base = Math.floor(p / this.heapMax) * this.heapMax;
      const heap = this.discovery.numberOf(base);
      if (heap !== undefined) {
        where.kind = "heap";
        where.heap = heap;
        where.offset = p - base;
        return;
      }
    }
    this.#locateAny(id, p, sizeWord);
  }

  // #locate for any pointer, by v2's rules in full (an intact heap's pointers that come here — a
  // thread heap's chunk before its heap was found — get the same answer from them).
  #locateAny(id: number, p: number, sizeWord: number): void {
    const where = this.#where, sizeSz = this.#sizeSz;
    const readable = sizeWord === sizeWord; // not NaN
    // A word beyond 2^53 in size (random bytes) is carried rounded: its flags and its printed
    // value come from its exact bytes.
    const exact = this.#exactIfWide(p - sizeSz, sizeWord);
    where.exactSizeWord = exact;
    const flags = this.#flagsOf(sizeWord, exact);
    if (id >= 0) this.#noteChunk(id, (flags & IS_MMAPPED) !== 0, p, sizeWord, exact);
    where.sizeWord = readable ? sizeWord : 0;
    if (p >= this.mainStart && p <= this.process.space.brk) {
      where.kind = "main";
      where.offset = p - this.mainStart;
      return;
    }
    const base = p >= 0 ? Math.floor(p / this.heapMax) * this.heapMax : NaN;
    let heap = this.discovery.numberOf(base);
    if (heap === undefined && flags & NON_MAIN_ARENA) {
      this.discovery.rescan();
      heap = this.discovery.numberOf(base);
    }
    if (heap !== undefined) {
      where.kind = "heap";
      where.heap = heap;
      where.offset = p - base;
      return;
    }
    const fake = this.#fakePlace(p);
    if (fake === undefined && flags & IS_MMAPPED) {
      where.kind = "mmap";
      where.offset = p % 4096;
      return;
    }
    this.#locateOther(p, fake ?? this.#otherPlace(p, false), readable, flags, base);
  }

  // #locate's rare ends: `place` (a fake area, an mmap slot's memory, libc), `unmapped`, `heap?`,
  // or the main heap's offset (negative below it).
  #locateOther(
    p: number,
    place: AddressPlace | undefined,
    readable: boolean,
    flags: number,
    base: number,
  ): void {
    const where = this.#where;
    if (place !== undefined) {
      where.kind = place.kind;
      where.offset = place.offset;
      where.v2Place = { ...place, sizeWord: where.sizeWord, ...exactOf(where) } as TracePlace;
    } else if (!readable) {
      where.kind = "unmapped";
      where.offset = p;
      where.v2Place = { kind: "unmapped", address: p };
    } else if (flags & NON_MAIN_ARENA) {
      where.kind = "heap";
      where.offset = p - base;
    } else {
      where.kind = "main";
      where.offset = p - this.mainStart;
    }
  }

  // The word at `addr` exactly (it is readable), from its halves.
  #exactWord(addr: number): bigint {
    const memory = this.process.space.memory;
    if (this.#sizeSz === 4) return BigInt(memory.read32(addr));
    return (BigInt(memory.read32(addr + 4)) << 32n) | BigInt(memory.read32(addr));
  }

  // The word `word` read at `addr` exactly, when a number carries it rounded (beyond 2^53 in
  // size: random bytes a corruption wrote); else undefined (also when it is NaN: unreadable).
  #exactIfWide(addr: number, word: number): bigint | undefined {
    return word >= TWO53 || word <= -TWO53 ? this.#exactWord(addr) : undefined;
  }

  // The flag bits of size word `sizeWord` (its exact value `exact`, when rounded); none when it
  // could not be read (NaN).
  #flagsOf(sizeWord: number, exact: bigint | undefined): number {
    if (exact !== undefined) return Number(exact & BigInt(SIZE_BITS));
    return sizeWord === sizeWord ? this.process.words.and(sizeWord, SIZE_BITS) : 0;
  }

  // The mapping an mmapped chunk's header describes, as glibc and the driver compute it in
  // unsigned words: from the chunk minus its prev_size, prev_size plus its size (flags cleared)
  // long — exactly too (`exactLength`) when a number carries the length rounded. Undefined when
  // the prev_size cannot be read. `sizeWord` is the chunk's (`exact`: exactly, when rounded).
  #chunkMapping(
    p: number,
    sizeWord: number,
    exact: bigint | undefined,
  ): { start: number; length: number; exactLength: bigint | undefined } | undefined {
    const words = this.process.words, chunk = words.sub(p, 2 * this.#sizeSz);
    const prev = this.#readableWord(chunk);
    if (prev !== prev) return undefined;
    const start = words.sub(chunk, prev), prevExact = this.#exactIfWide(chunk, prev);
    if (exact === undefined && prevExact === undefined) {
      const length = words.add(prev, words.sub(sizeWord, words.and(sizeWord, SIZE_BITS)));
      return { start, length, exactLength: undefined };
    }
    const big = BigInt.asUintN(
      words.bits,
      (prevExact ?? words.toBigInt(prev)) +
        ((exact ?? words.toBigInt(sizeWord)) & ~BigInt(SIZE_BITS)),
    );
    const length = words.fromBigInt(big);
    return { start, length, exactLength: length >= TWO53 || length <= -TWO53 ? big : undefined };
  }

  // The word at `addr`, or NaN when it is not readable.
  #readableWord(addr: number): number {
    try {
      return this.#word(addr);
    } catch (e) {
      if (e instanceof SegmentationFault) return NaN;
      throw e;
    }
  }

  // Slot `id` got chunk `p` (0: none) with size word `sizeWord`: whether `maps` lists it, and the
  // mapping it stands for in v2's places (an mmapped chunk's, read from its header).
  #noteChunk(
    id: number,
    mmapped: boolean,
    p: number,
    sizeWord: number,
    exact: bigint | undefined = undefined,
  ): void {
    if (!mmapped) {
      this.#unmarkMmapped(id);
      if (this.#slotBits[id] & SLOT_REGION) this.#setRegion(id, 0, 0, false);
      return;
    }
    if (!(this.#slotBits[id] & SLOT_MMAPPED)) {
      this.#slotBits[id] |= SLOT_MMAPPED;
      this.#mmapSlots.add(id);
    }
    const mapping = this.#chunkMapping(p, sizeWord, exact);
    const end = mapping && this.process.words.add(mapping.start, mapping.length);
    if (mapping === undefined || !(end! > mapping.start)) this.#setRegion(id, 0, 0, false);
    else this.#setRegion(id, mapping.start, end! - mapping.start, false);
  }

  // (v2) The fake area `u` lies in, as a place.
  #fakePlace(u: number): AddressPlace | undefined {
    const fake = this.#fakes?.find(u);
    return fake && { kind: "fake", area: fake.area, offset: u - fake.start };
  }

  // (v2) The place an address names: a fake area, the main heap up to the break, a live thread
  // heap, a slot's memory (`chunks`: mmapped chunks' too, as for read values; else only mmap
  // slots'), libc; undefined if none.
  #addressPlace(u: number, chunks: boolean): AddressPlace | undefined {
    const fake = this.#fakePlace(u);
    if (fake) return fake;
    if (u >= this.mainStart && u <= this.process.space.brk) {
      return { kind: "main", offset: u - this.mainStart };
    }
    if (u >= 0) {
      const base = Math.floor(u / this.heapMax) * this.heapMax;
      const heap = this.discovery.numberOf(base);
      if (heap !== undefined) return { kind: "heap", heap, offset: u - base };
    }
    return this.#otherPlace(u, chunks);
  }

  // (v2) A slot's memory, then libc's image.
  #otherPlace(u: number, chunks: boolean): AddressPlace | undefined {
    const slot = this.#regions.find(u, chunks);
    if (slot >= 0) return { kind: "slot", slot, offset: u - this.#slotValues[slot] };
    const libc = this.allocator?.libc;
    if (libc && u >= libc.base && u < libc.imageEnd) return { kind: "libc", offset: u - libc.base };
    return undefined;
  }

  // Every slot holding a live chunk, in id order.
  #liveSlots(): number[] {
    const ids: number[] = [], bits = this.#slotBits;
    for (let id = 0; id < bits.length; id++) if (bits[id] & SLOT_LIVE) ids.push(id);
    return ids;
  }

  #unmarkMmapped(id: number): void {
    if (this.#slotBits[id] & SLOT_MMAPPED) {
      this.#slotBits[id] &= ~SLOT_MMAPPED;
      this.#mmapSlots.delete(id);
    }
  }

  /**
   * The `maps` report, line by line to `visit` (the lean call of a `maps` line: no object or
   * string per line); {@link execute} lists the same lines in its event's `mappings`.
   */
  maps(visit: MappingVisitor): void {
    this.#begin();
    this.discovery.scan();
    this.#eachHeapMapping(visit);
  }

  #heapMappings(): HeapMapping[] {
    const out: HeapMapping[] = [];
    this.#eachHeapMapping((label, id, area, size, exactSize) => {
      const perms = area ? permsText(area) : "????";
      out.push({ label: labelText(label, id), perms, size, ...(exactSize && { exactSize }) });
    });
    return out;
  }

  /** The `maps` report: [heap], each live heap's parts, mmapped chunks by slot, thread stacks. */
  #eachHeapMapping(visit: MappingVisitor): void {
    // The areas as /proc/PID/maps lists them (its regions, without building them all): the
    // heap is the anonymous, unnamed area the address space calls the heap.
    const space = this.process.space, regions = space.areas();
    const mainStart = this.mainStart, heapMax = this.heapMax, sizeSz = this.#sizeSz;
    // The heap's areas overlap [start_brk, brk]: from the first that ends at or after start_brk
    // (and after mainStart), found by binary search, up to the last that begins at or below brk.
    const brk = space.brk;
    for (
      let i = space.indexEndingAfter(Math.max(space.startBrk - 1, mainStart));
      i < regions.length && regions[i].start <= brk;
      i++
    ) {
      const r = regions[i];
      if (space.isHeap(r)) visit("[heap]", 0, r, r.end - Math.max(r.start, mainStart));
    }
    // The discovery lists heaps in the order it numbered them: the report's order.
    const heaps = this.discovery.heaps;
    for (let k = 0; k < heaps.length; k++) {
      const h = heaps[k];
      if (!h.alive) continue;
      // The areas that overlap the heap's HEAP_MAX_SIZE (found by a binary search: a process
      // with many threads has hundreds of areas).
      const end = h.base + heapMax;
      for (let i = space.indexEndingAfter(h.base); i < regions.length; i++) {
        const r = regions[i];
        if (r.start >= end) break;
        visit("heap", h.num, r, Math.min(r.end, end) - Math.max(r.start, h.base));
      }
    }
    // The slots that can hold an mmapped chunk: those that received one, and once the trace
    // corrupted memory (a v2 write, a free at an offset, a dead slot freed), any live slot, as
    // the driver looks at every live slot's size word.
    const ids = this.#corrupted ? this.#liveSlots() : [...this.#mmapSlots].sort((a, b) => a - b);
    for (const id of ids) {
      const p = this.#slotValues[id];
      if (!(this.#slotBits[id] & SLOT_LIVE) || p === 0) continue;
      // (A chunk a corrupted heap unmapped behind the slot's back is left out, as the driver
      // leaves it out.)
      const sz = this.#readableWord(p - sizeSz), exact = this.#exactIfWide(p - sizeSz, sz);
      if (!(this.#flagsOf(sz, exact) & IS_MMAPPED)) continue;
      const mapping = this.#chunkMapping(p, sz, exact);
      if (mapping === undefined) continue;
      visit("mmapchunk", id, space.areaAt(mapping.start), mapping.length, mapping.exactLength);
    }
    const tids = [...this.#threads.keys()].sort((a, b) => a - b);
    for (const tid of tids) {
      const t = this.#threads.get(tid)!;
      const vi = space.indexEndingAfter(t.sp);
      if (vi === regions.length || regions[vi].start > t.sp) continue;
      const below = regions[vi - 1];
      if (below && below.end === regions[vi].start && (below.prot & 7) === 0) {
        visit("stack", tid, below, below.end - below.start);
      }
      const r = regions[vi];
      visit("stack", tid, r, r.end - r.start);
    }
  }
}
