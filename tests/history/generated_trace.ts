/**
 * Generated heap traces for the recorded-replay tests, and what a test compares at each line:
 * seeded traces of every hot operation (malloc, calloc, realloc, memalign, free, thread, join,
 * brk, maps) with sizes from tcache's to mmap's, optionally with v2 writes over chunk headers and
 * double frees, which corrupt the heap until glibc stops the replay; and `observeLive`, everything
 * observable about a process and its allocator, read without committing its pages (a snapshot
 * would freeze them and change which writes the memory's journal takes in place).
 */

import { SeededRandom } from "../../src/kernel/random.ts";
import type { Allocator } from "../../src/malloc/allocator.ts";

const SIZES = [8, 24, 40, 100, 200, 500, 1000, 1100, 3000, 5000, 70000, 140000, 300000];

/** Options of {@link generatedTrace}. */
export interface GeneratedTraceOptions {
  /** Operation lines (default 300). */
  readonly lines?: number;
  /** Threads besides the main one that may run at once (default 3; 0: none). */
  readonly threads?: number;
  /** Writes over chunk headers and double frees (default false). */
  readonly corrupt?: boolean;
}

/** A seeded trace of the hot operations (and, with `corrupt`, of heap corruption). */
export function generatedTrace(seed: number, options: GeneratedTraceOptions = {}): string {
  const random = new SeededRandom(seed);
  const r = (n: number) => random.int(n);
  const threads = options.threads ?? 3;
  const out: string[] = [];
  const live: number[] = [];
  const freed: number[] = [];
  const running = new Set<number>();
  let slot = 0;
  const take = (list: number[]) => list.splice(r(list.length), 1)[0];
  for (let n = 0; n < (options.lines ?? 300); n++) {
    const k = r(100), size = SIZES[r(SIZES.length)] + r(16);
    if (k < 30 || live.length === 0) {
      out.push(`malloc ${slot} ${size}`);
      live.push(slot++);
    } else if (k < 35) {
      out.push(`calloc ${slot} ${1 + r(4)} ${size}`);
      live.push(slot++);
    } else if (k < 40) {
      out.push(`memalign ${slot} ${16 << r(6)} ${size}`);
      live.push(slot++);
    } else if (k < 48) {
      const old = take(live);
      out.push(`realloc ${slot} ${old} ${r(10) === 0 ? 0 : size}`);
      live.push(slot++);
    } else if (k < 75) {
      const s = take(live);
      out.push(`free ${s}`);
      freed.push(s);
    } else if (k < 83 && threads > 0) {
      const tid = 1 + r(threads);
      if (running.has(tid) && r(2) === 0) {
        out.push(`join ${tid}`);
        running.delete(tid);
      } else {
        out.push(`thread ${tid}`);
        running.add(tid);
      }
    } else if (k < 85 && running.size > 0) out.push("thread 0");
    else if (k < 87) out.push("brk");
    else if (k < 89) out.push("maps");
    else if (options.corrupt && k < 93 && live.length > 0) {
      // A chunk's size word or its first user word (a free chunk's link) overwritten.
      const s = live[r(live.length)];
      const offset = r(2) === 0 ? "-8" : "+0";
      out.push(`write ${s} ${offset} 8 ${r(2) === 0 ? r(0x10000) : 0x4141414141414141}`);
    } else if (options.corrupt && k < 95 && freed.length > 0) {
      out.push(`free ${freed[r(freed.length)]}`);
    } else {
      out.push(`malloc ${slot} ${size}`);
      live.push(slot++);
    }
  }
  return out.join("\n") + "\n";
}

/** What `f` returns, or the error it throws, as text (a corrupted heap may not be walkable). */
function attempt(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `throws ${(e as Error).name}: ${(e as Error).message}`;
  }
}

/**
 * Everything observable about `libc`'s process now — areas, every readable page with bytes,
 * resident pages, break, threads, the system call log — and about the allocator: arenas, chunks,
 * bins, mmapped chunks, each thread's tcache and malloc variables, the last explain record.
 */
export function observeLive(libc: Allocator): string {
  const proc = libc.process, memory = proc.memory;
  const pages: string[] = [];
  for (const region of proc.regions()) {
    if (region.perms[0] !== "r") continue;
    for (let a = region.start; a < region.end; a += 4096) {
      if (!memory.hasBytes(a)) continue;
      const words = new Uint32Array(memory.readBytes(a, 4096).buffer);
      let h = 0;
      for (let i = 0; i < words.length; i++) h = (Math.imul(h, 31) + words[i]) | 0;
      pages.push(`${a.toString(16)}:${h}`);
    }
  }
  const threads = proc.threads.map((t) => {
    // A thread that never called malloc has glibc's initial zeros, which a restore gives it as
    // values (its variables then exist).
    const v = libc.context.hasTls(t) ? libc.context.tls(t) : { arena: 0, shuttingDown: false };
    const tcache = t.state === "joined" ? "" : attempt(() => libc.tcache(t));
    return `${t.tid} ${t.state} ${t.errno} ${t.sp} ${v.arena} ${v.shuttingDown} ${tcache}`;
  });
  return [
    proc.maps(),
    pages.join(" "),
    `resident ${memory.residentPages} brk ${proc.sbrk(0)}`,
    threads.join("\n"),
    proc.currentThread.tid,
    proc.syscalls.all().map((s) => `${s.tid} ${s.name} ${s.args} ${s.result}`).join("\n"),
    JSON.stringify(libc.lastRecord),
    attempt(() => libc.arenas()),
    attempt(() => libc.chunks()),
    attempt(() => libc.bins()),
    attempt(() => libc.mmappedChunks()),
  ].join("\n--\n");
}
