/**
 * Replays a heap trace on a simulated process and prints what the oracle driver prints for the
 * same trace on real glibc (`SPEC.md`): pointer results as main / heapK / mmap offsets with the
 * raw size word, the break, the heap-related mappings, the whole /proc/PID/maps, syscall results
 * with errno names. Heaps are found the way the driver finds them — by scanning the maps for
 * HEAP_MAX_SIZE-aligned addresses holding a plausible heap_info — so the comparison does not
 * rest on the allocator's own bookkeeping.
 *
 * @module
 */

import { errnoName, isSyscallError } from "../kernel/errors.ts";
import { Process, type ProcessOptions } from "../kernel/process.ts";
import type { Thread } from "../kernel/threads.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE } from "../kernel/vma.ts";
import { wordHex } from "../kernel/word.ts";
import {
  isKernelTrace,
  MAX_SLOTS,
  MAX_TID,
  parseTraceLine,
  TraceError,
  traceLimits,
  type TraceNumber,
  type TraceOp,
} from "./parse.ts";

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
}

/** Builds the allocator for a process. */
export type AllocatorFactory = (
  process: Process,
  options: { glibc: string; nprocs: number },
) => TraceAllocator;

/** Options of a replay. */
export interface ReplayOptions {
  /** glibc version (default 2.36). */
  glibc?: string;
  /** Architecture (default x86_64). */
  arch?: "i386" | "x86_64";
  /** Online CPUs, for the arena limit (default 2, as the oracle's expected outputs). */
  nprocs?: number;
  /** A /proc/PID/maps text (with `# initial break`) to start from. */
  initialMaps?: string;
  /** A built-in starting state (`x86_64`, `i386`, `seed-i386`). */
  profile?: string;
  /** More process options. */
  process?: ProcessOptions;
  /** The allocator; without one, heap operations stop the replay with an error. */
  allocator?: AllocatorFactory;
  /** Called with each output line as it is produced (the returned text has them all too). */
  onLine?: (line: string) => void;
}

/** The result of a replay. */
export interface ReplayResult {
  /** The output, each line ending in a newline. */
  readonly output: string;
  /** 0, or 2 for a malformed line, 134 after an abort (SIGABRT), 139 after a SIGSEGV. */
  readonly status: number;
  /** The process, left as the last operation left it (inspectable after an abort). */
  readonly process: Process;
  /** The allocator, if there was one. */
  readonly allocator?: TraceAllocator;
  /** The error that stopped the replay, if any. */
  readonly error?: Error;
}

interface KnownHeap {
  base: number;
  num: number;
  alive: boolean;
}

/** An error thrown from inside the simulation that ends the replay like a signal. */
function signalOf(e: unknown): { status: number; kind: string } | undefined {
  if (!(e instanceof Error)) return undefined;
  const signal = (e as { signal?: string }).signal;
  if (signal === "SIGABRT") return { status: 134, kind: "abort" };
  if (signal === "SIGSEGV") return { status: 139, kind: "segfault" };
  return undefined;
}

/**
 * Replays a trace.
 *
 * @example
 * ```ts
 * import { replayTrace } from "./replay.ts";
 * const { output } = replayTrace("rawmaps\nmmap 0 4096 rw-\n", { arch: "x86_64" });
 * output.split("\n")[0]; // "# glibc 2.36 x86_64 nprocs=2"
 * ```
 */
export function replayTrace(text: string, options: ReplayOptions = {}): ReplayResult {
  const glibc = options.glibc ?? "2.36";
  const arch = options.arch ?? "x86_64";
  const nprocs = options.nprocs ?? 2;
  const process = new Process({
    ...options.process,
    arch,
    profile: options.profile ?? options.process?.profile ?? arch,
    initialMaps: options.initialMaps ?? options.process?.initialMaps,
  });
  const words = process.words;
  const limits = traceLimits(words.bits);
  const heapMax = words.bits === 64 ? 64 * 1024 * 1024 : 1024 * 1024;
  const sizeSz = words.bytes;
  // The output, in blocks of up to 256 lines joined as soon as they are complete: each line's
  // string dies young, and the garbage collector copies one flat block instead of many ropes.
  const blocks: string[] = [];
  const block: string[] = [];
  const emit = (line: string) => {
    block.push(line);
    if (block.length === 256) {
      blocks.push(block.join("\n"));
      block.length = 0;
    }
    options.onLine?.(line);
  };
  emit(`# glibc ${glibc} ${arch} nprocs=${nprocs}`);

  const allocator = options.allocator?.(process, { glibc, nprocs });
  const kernelTrace = isKernelTrace(text);
  if (!kernelTrace) {
    const brk0 = process.sbrk(0);
    const want = Math.ceil(brk0 / heapMax) * heapMax;
    if (want !== brk0) process.sbrk(want - brk0);
  }
  const mainStart = process.sbrk(0);
  if (kernelTrace) emit(`# initial break 0x${mainStart.toString(16)}`);

  const slots = new Float64Array(MAX_SLOTS);
  const slotLive = new Uint8Array(MAX_SLOTS);
  const slotAddr = new Uint8Array(MAX_SLOTS);
  const threads = new Map<number, Thread>();
  // Slots whose chunk was mmapped when it was returned: the only ones `maps` can list.
  const mmapSlots = new Set<number>();
  let cur = 0;
  const heaps: KnownHeap[] = [];
  let nextHeapNum = 1;
  let scannedVersion = -1;

  const hex = (x: number) => "0x" + (x < 0 ? wordHex(words, x) : x.toString(16));
  const signedOffset = (a: number, base: number) => a >= base ? hex(a - base) : "-" + hex(base - a);
  const thread = () => (cur === 0 ? process.mainThread : threads.get(cur)!);
  // Whether the trace's current thread is the process's running thread (no switch needed).
  const onCurrentThread = () => thread() === process.currentThread;
  // Runs `fn` on the trace's current thread.
  const onThread = <T>(fn: () => T): T => onCurrentThread() ? fn() : process.runOn(thread(), fn);
  const word = (addr: number) =>
    sizeSz === 8 ? process.space.memory.read64(addr) : process.space.memory.read32(addr);
  const toWord = (v: TraceNumber) =>
    typeof v === "number" ? (v < 0 ? words.wrap(v) : v) : words.fromBigInt(v);

  // --- heap discovery, as the driver's scan_heaps ---------------------------------------
  const heapInfoOk = (a: number, vmaEnd: number): boolean => {
    const size = word(a + 2 * sizeSz), mprotectSize = word(a + 3 * sizeSz);
    const prev = word(a + sizeSz);
    if (size === 0 || !words.le(size, heapMax) || words.lt(mprotectSize, size)) return false;
    if (!words.le(mprotectSize, heapMax) || mprotectSize % 4096 !== 0) return false;
    if (prev < 0 || prev % heapMax !== 0) return false;
    return a + mprotectSize <= vmaEnd;
  };
  const isAnon = (v: { file?: unknown; name?: string }) => !v.file && !v.name;
  const isHeapAt = (a: number, vmaEnd: number): boolean => {
    if (!heapInfoOk(a, vmaEnd)) return false;
    const ar = word(a);
    if (ar <= 0) return false;
    const first = Math.floor(ar / heapMax) * heapMax;
    if (ar - first < 4 * sizeSz || ar - first > 0x40) return false;
    if (first === a) return true;
    const fv = process.space.areaAt(first);
    if (!fv || !(fv.prot & 1) || !isAnon(fv) || process.space.isHeap(fv)) return false;
    return word(first) === ar && heapInfoOk(first, fv.end);
  };
  const scanHeaps = () => {
    // Heaps appear and disappear only with mmap, munmap and mprotect, which bump the version.
    if (process.space.version === scannedVersion) return;
    scannedVersion = process.space.version;
    const found: number[] = [];
    for (const v of process.space.areas()) {
      if (!isAnon(v) || process.space.isHeap(v) || (v.prot & 3) !== 3) continue;
      for (let a = Math.ceil(v.start / heapMax) * heapMax; a < v.end; a += heapMax) {
        if (isHeapAt(a, v.end)) found.push(a);
      }
    }
    for (const h of heaps) if (h.alive && !found.includes(h.base)) h.alive = false;
    const known = (a: number) => heaps.some((h) => h.alive && h.base === a);
    const pending = found.filter((a) => !known(a));
    while (pending.length > 0) {
      let pick = -1;
      for (let j = 0; j < pending.length; j++) {
        const prev = word(pending[j] + sizeSz);
        if (pending.some((k, i) => i !== j && k === prev)) continue;
        if (pick < 0 || pending[j] < pending[pick]) pick = j;
      }
      if (pick < 0) pick = pending.indexOf(Math.min(...pending));
      heaps.push({ base: pending[pick], num: nextHeapNum++, alive: true });
      pending.splice(pick, 1);
    }
  };
  const heapNumber = (base: number) => heaps.find((h) => h.alive && h.base === base)?.num;

  const reportPtr = (line: number, name: string, id: number, p: number) => {
    if (p === 0) {
      mmapSlots.delete(id);
      emit(`${line} ${name} ${id} null - -`);
      return;
    }
    const sz = word(p - sizeSz);
    const flags = sz < 0 ? Number(words.toBigInt(sz) & 7n) : sz % 8;
    let where: string;
    if (flags & 2) mmapSlots.add(id);
    else mmapSlots.delete(id);
    if (flags & 2) {
      where = `mmap ${hex(p % 4096)}`;
    } else if (flags & 4) {
      const base = Math.floor(p / heapMax) * heapMax;
      let n = heapNumber(base);
      if (n === undefined) {
        scannedVersion = -1;
        scanHeaps();
        n = heapNumber(base);
      }
      where = n === undefined ? `heap? ${hex(p - base)}` : `heap${n} ${hex(p - base)}`;
    } else {
      where = `main ${signedOffset(p, mainStart)}`;
    }
    emit(`${line} ${name} ${id} ${where} ${hex(sz)}`);
  };

  const vmaLine = (label: string, perms: string, size: number) =>
    `  ${label} ${perms} ${hex(size)}`;
  const reportMaps = () => {
    const regions = process.regions();
    for (const r of regions) {
      if (r.name === "[heap]" && r.end > mainStart) {
        emit(vmaLine("[heap]", r.perms, r.end - Math.max(r.start, mainStart)));
      }
    }
    const byNum = heaps.filter((h) => h.alive).sort((a, b) => a.num - b.num);
    for (const h of byNum) {
      for (const r of regions) {
        const s = Math.max(r.start, h.base), e = Math.min(r.end, h.base + heapMax);
        if (s < e) emit(vmaLine(`heap${h.num}`, r.perms, e - s));
      }
    }
    for (const id of [...mmapSlots].sort((a, b) => a - b)) {
      if (!slotLive[id] || slots[id] === 0) continue;
      const p = slots[id];
      const sz = word(p - sizeSz);
      if (!(sz & 2)) continue;
      const chunk = p - 2 * sizeSz;
      const prev = word(chunk);
      const mstart = chunk - prev;
      const mlen = prev + (sz - (sz % 8));
      const v = regions.find((r) => r.start <= mstart && mstart < r.end);
      emit(`  mmapchunk ${id} ${v ? v.perms : "????"} ${hex(mlen)}`);
    }
    const tids = [...threads.keys()].sort((a, b) => a - b);
    for (const tid of tids) {
      const t = threads.get(tid)!;
      const vi = regions.findIndex((r) => r.start <= t.sp && t.sp < r.end);
      if (vi < 0) continue;
      const below = regions[vi - 1];
      if (below && below.end === regions[vi].start && below.perms.startsWith("---")) {
        emit(vmaLine(`stack:${tid}`, below.perms, below.end - below.start));
      }
      emit(vmaLine(`stack:${tid}`, regions[vi].perms, regions[vi].end - regions[vi].start));
    }
  };

  const needAllocator = (line: number): TraceAllocator => {
    if (!allocator) {
      throw new TraceError(line, "heap operations need an allocator (none was given)");
    }
    return allocator;
  };
  const checkSlotLive = (id: number, line: number) => {
    if (id >= 0 && slotAddr[id]) {
      throw new TraceError(line, "slot holds an mmap/sbrk address, not a chunk");
    }
    if (id >= 0 && !slotLive[id]) throw new TraceError(line, "slot is not live");
  };

  const execute = (op: TraceOp, line: number) => {
    switch (op.kind) {
      case "malloc":
      case "calloc":
      case "memalign": {
        const heap = needAllocator(line);
        // malloc on the running thread, the common case, is called without a closure.
        const p = op.kind === "malloc" && onCurrentThread()
          ? heap.malloc(toWord(op.size))
          : onThread(() =>
            op.kind === "malloc"
              ? heap.malloc(toWord(op.size))
              : op.kind === "calloc"
              ? heap.calloc(toWord(op.count), toWord(op.size))
              : heap.memalign(toWord(op.alignment), toWord(op.size))
          );
        slots[op.slot] = p;
        slotLive[op.slot] = p !== 0 ? 1 : 0;
        slotAddr[op.slot] = 0;
        scanHeaps();
        reportPtr(line, op.kind, op.slot, p);
        return;
      }
      case "realloc": {
        const heap = needAllocator(line);
        checkSlotLive(op.oldSlot, line);
        const old = op.oldSlot >= 0 ? slots[op.oldSlot] : 0;
        const p = onThread(() => heap.realloc(old, toWord(op.size)));
        if (op.oldSlot >= 0 && (p !== 0 || op.size === 0)) {
          slotLive[op.oldSlot] = 0;
          slots[op.oldSlot] = 0;
        }
        if (p !== 0 || op.slot !== op.oldSlot) {
          slots[op.slot] = p;
          slotLive[op.slot] = p !== 0 ? 1 : 0;
          slotAddr[op.slot] = 0;
        }
        scanHeaps();
        reportPtr(line, "realloc", op.slot, p);
        return;
      }
      case "free": {
        const heap = needAllocator(line);
        checkSlotLive(op.slot, line);
        const p = op.slot >= 0 ? slots[op.slot] : 0;
        if (onCurrentThread()) heap.free(p);
        else onThread(() => heap.free(p));
        if (op.slot >= 0) {
          slotLive[op.slot] = 0;
          slots[op.slot] = 0;
        }
        scanHeaps();
        emit(`${line} free ${op.args}`);
        return;
      }
      case "trim": {
        const heap = needAllocator(line);
        const r = onThread(() => heap.mallocTrim(toWord(op.pad)));
        scanHeaps();
        emit(`${line} trim ${op.args} -> ${r}`);
        return;
      }
      case "mallopt": {
        const heap = needAllocator(line);
        const r = onThread(() => heap.mallopt(op.param, op.value));
        scanHeaps();
        emit(`${line} mallopt ${op.args} -> ${r}`);
        return;
      }
      case "thread": {
        if (op.tid !== 0 && !threads.has(op.tid)) {
          const t = process.runOn(process.mainThread, () => process.pthreadCreate());
          threads.set(op.tid, t);
        }
        cur = op.tid;
        scanHeaps();
        emit(`${line} thread ${op.args}`);
        return;
      }
      case "join": {
        const t = threads.get(op.tid);
        if (op.tid === 0 || op.tid >= MAX_TID || !t) {
          throw new TraceError(line, "join of a thread that is not running");
        }
        process.runOn(process.mainThread, () => process.pthreadJoin(t));
        threads.delete(op.tid);
        cur = 0;
        scanHeaps();
        emit(`${line} join ${op.args}`);
        return;
      }
      case "sbrk": {
        const th = thread();
        th.errno = 0;
        const r = onThread(() => process.sbrk(Number(op.delta)));
        const ok = r !== words.max;
        slots[op.slot] = ok ? r : 0;
        slotLive[op.slot] = 0;
        slotAddr[op.slot] = ok ? 1 : 0;
        scanHeaps();
        emit(
          `${line} sbrk ${op.args} -> ${
            ok ? signedOffset(r, mainStart) : `-1 ${errnoName(th.errno)}`
          }`,
        );
        return;
      }
      case "mmap": {
        const r = onThread(() =>
          process.sys.mmap(0, toWord(op.length), op.prot, MAP_PRIVATE | MAP_ANONYMOUS)
        );
        const ok = !isSyscallError(r);
        slots[op.slot] = ok ? r : 0;
        slotLive[op.slot] = 0;
        slotAddr[op.slot] = ok ? 1 : 0;
        scanHeaps();
        emit(`${line} mmap ${op.args} -> ${ok ? "ok" : `MAP_FAILED ${errnoName(-r)}`}`);
        return;
      }
      case "munmap":
      case "mprotect": {
        if (!slotAddr[op.slot]) throw new TraceError(line, "slot holds no mmap/sbrk address");
        const addr = words.add(slots[op.slot], toWord(op.offset));
        const len = toWord(op.length);
        const r = onThread(() =>
          op.kind === "munmap"
            ? process.sys.munmap(addr, len)
            : process.sys.mprotect(addr, len, op.prot)
        );
        scanHeaps();
        emit(`${line} ${op.kind} ${op.args} -> ${r === 0 ? "0" : `-1 ${errnoName(-r)}`}`);
        return;
      }
      case "brk":
        emit(`${line} brk ${signedOffset(process.sbrk(0), mainStart)}`);
        return;
      case "maps":
        scanHeaps();
        emit(`${line} maps`);
        reportMaps();
        return;
      case "rawmaps": {
        emit(`${line} rawmaps`);
        const text = process.maps();
        for (const l of text.slice(0, -1).split("\n")) emit(`  ${l}`);
        return;
      }
    }
  };

  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let status = 0;
  let error: Error | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    try {
      const op = parseTraceLine(lines[i], line, limits);
      if (op) execute(op, line);
    } catch (e) {
      if (e instanceof TraceError) {
        emit(`${e.line} error ${e.message}`);
        status = 2;
        error = e;
        break;
      }
      const sig = signalOf(e);
      if (sig) {
        emit(`${line} ${sig.kind} ${(e as Error).message}`);
        status = sig.status;
        error = e as Error;
        break;
      }
      throw e;
    }
  }
  if (block.length > 0) blocks.push(block.join("\n"));
  return { output: blocks.join("\n") + "\n", status, process, allocator, error };
}
