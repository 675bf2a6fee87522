/**
 * Support for the how2heap tests: a "lab" (a fresh process with heaplab's glibc on it, plus the
 * word-sized reads and writes a C exploit does), and {@link technique}, which turns one
 * technique and its expected outcome on every glibc version into one Deno test per version and
 * architecture.
 *
 * Each technique is written the way a C program would run it: allocator calls, then raw writes
 * into chunk headers and free-list pointers with `lab.write`. Nothing here reaches into the
 * allocator's state except to read glibc's own layout facts (SIZE_SZ, the tcache struct's
 * place), which a real exploit would know from the libc build.
 */

import assert from "node:assert/strict";
import { Process } from "../../../src/kernel/process.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../../../src/kernel/vma.ts";
import { isSyscallError, SegmentationFault } from "../../../src/kernel/errors.ts";
import type { WordOps } from "../../../src/kernel/word.ts";
import { Allocator } from "../../../src/malloc/allocator.ts";
import { HeapAbort } from "../../../src/malloc/errors.ts";
import { ControlFlowHijack } from "../../../src/malloc/hooks.ts";
import { libcBuild } from "../../../src/malloc/libc_state.ts";
import {
  GLIBC_VERSIONS,
  type GlibcArch,
  type GlibcProfile,
  type GlibcVersion,
  versionsWhere,
} from "../../../src/malloc/profile.ts";

export { GLIBC_VERSIONS, versionsWhere };
export type { GlibcArch, GlibcVersion };

/** The allocator calls after which a lab checks every arena (while no bug has struck). */
const CHECKED_CALLS = new Set([
  "malloc",
  "free",
  "calloc",
  "realloc",
  "memalign",
  "alignedAlloc",
  "posixMemalign",
  "valloc",
  "pvalloc",
  "mallocTrim",
  "mallopt",
]);

/**
 * A fresh process running one glibc build, with C-like word access to its memory.
 *
 * Until the technique calls {@link Lab.vulnerability}, every allocator call made through
 * {@link Lab.heap} is followed by `checkArena()`: the heap must be consistent all the way to
 * the bug. After it, the heap is whatever the bug made of it and is not checked.
 */
export class Lab {
  /** The process. */
  readonly proc: Process;
  /** glibc's allocator in it, checked after each call until the vulnerability strikes. */
  readonly heap: Allocator;
  /** The same allocator, never checked. */
  readonly allocator: Allocator;
  /** The glibc build. */
  readonly profile: GlibcProfile;
  /** glibc `SIZE_SZ`. */
  readonly sz: number;
  /** Word arithmetic of the architecture. */
  readonly words: WordOps;

  constructor(glibc: GlibcVersion, arch: GlibcArch) {
    this.proc = new Process({ layout: arch });
    const allocator = new Allocator(this.proc, { glibc, explain: false });
    this.allocator = allocator;
    this.heap = new Proxy(allocator, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        if (!CHECKED_CALLS.has(String(key))) return value.bind(target); // #private fields
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          if (!this.#struck) target.checkArena();
          return result;
        };
      },
    });
    this.profile = allocator.profile;
    this.sz = this.profile.sizeSz;
    this.words = this.proc.words;
  }

  /** The glibc version. */
  get version(): GlibcVersion {
    return this.profile.version;
  }

  /** The build has a tcache (glibc 2.26+). */
  get tcache(): boolean {
    return this.profile.tcache;
  }

  /** `*(size_t *) addr`. */
  read(addr: number): number {
    return this.sz === 8 ? this.proc.memory.read64(addr) : this.proc.memory.read32(addr);
  }

  /** `*(size_t *) addr = value`. */
  write(addr: number, value: number): void {
    const v = this.words.wrap(value);
    if (this.sz === 8) this.proc.memory.write64(addr, v);
    else this.proc.memory.write32(addr, v);
  }

  /** `((size_t *) mem)[index]`, the way C indexes a chunk's user words. */
  word(mem: number, index: number): number {
    return this.read(mem + index * this.sz);
  }

  /** `((size_t *) mem)[index] = value`. */
  setWord(mem: number, index: number, value: number): void {
    this.write(mem + index * this.sz, value);
  }

  /** The chunk of a user pointer (glibc `mem2chunk`). */
  chunk(mem: number): number {
    return mem - 2 * this.sz;
  }

  /** The user pointer of a chunk (glibc `chunk2mem`). */
  mem(chunk: number): number {
    return chunk + 2 * this.sz;
  }

  /** The chunk size malloc uses for a request (glibc `request2size`). */
  chunkSize(request: number): number {
    const mask = this.profile.mallocAlignment - 1;
    const n = request + this.sz + mask;
    return n < this.profile.minSize ? this.profile.minSize : n - (n & mask);
  }

  /** The raw size word of the chunk of `mem`. */
  sizeField(mem: number): number {
    return this.read(mem - this.sz);
  }

  /** What a singly linked tcache or fastbin link stored at `pos` must hold to reach `ptr`
   * (glibc `PROTECT_PTR` on 2.32+, the plain pointer before). */
  protect(pos: number, ptr: number): number {
    if (!this.profile.safeLinking) return ptr;
    return this.words.xor(Math.floor(pos / 4096), ptr);
  }

  /** The inverse of {@link protect} (glibc `REVEAL_PTR`). */
  reveal(pos: number, stored: number): number {
    return this.protect(pos, stored);
  }

  /**
   * A 16-byte aligned address in the program's own writable data (its .data/.bss, mapped from
   * the executable below the heap): where a C global variable lives.
   */
  global(offset = 0x100): number {
    const heapStart = this.proc.start.initialBreak;
    const data = this.proc.space.areas().filter((v) =>
      v.file !== undefined && (v.prot & PROT_WRITE) !== 0 && v.end <= heapStart
    ).at(-1);
    if (!data) throw new Error("The program has no writable data below the heap");
    return data.start + offset;
  }

  /**
   * A 16-byte aligned user pointer in a fresh mapping (see {@link mapStack}), with room for a
   * fake chunk header below it and `0x100` bytes of fake chunk data after it.
   */
  stackTarget(): number {
    return this.mapStack() + 0x100;
  }

  /**
   * Maps `bytes` of fresh read-write memory, as a stand-in for a C program's stack or any
   * other writable memory that is not the heap. Returns its (page-aligned) start. `hint` is
   * mmap's address hint (the kernel uses it when the range is free).
   */
  mapStack(bytes = 0x2000, hint = 0): number {
    const r = this.proc.sys.mmap(
      hint,
      bytes,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      undefined,
      "fake stack",
    );
    if (isSyscallError(r)) throw new Error(`mmap of a fake stack failed: errno ${-r}`);
    return r;
  }

  /**
   * Allocates the seven chunks that will fill the tcache bin of this request size (none on
   * glibc without tcache). Freeing them later, with {@link freeAll}, fills the bin so that the
   * next free of that size goes past the tcache, as how2heap does on tcache builds.
   */
  tcacheFillers(request: number): number[] {
    const n = this.tcache ? this.profile.tcacheFillCount : 0;
    return Array.from({ length: n }, () => this.heap.malloc(request));
  }

  /** free() of every pointer, in order. */
  freeAll(pointers: readonly number[]): void {
    for (const p of pointers) this.heap.free(p);
  }

  /** malloc(request) `count` times (to empty a tcache bin, for instance). */
  mallocs(count: number, request: number): number[] {
    return Array.from({ length: count }, () => this.heap.malloc(request));
  }

  /**
   * The offset of a symbol in this glibc build's libc.so.6 (what `nm`/pwntools' `ELF` tell an
   * exploit author about the library shipped with the target).
   */
  libcOffset(name: string): number {
    const o = libcBuild(this.version, this.profile.arch).facts.symbols[name];
    if (o === undefined) throw new Error(`This libc has no symbol ${name}`);
    return o;
  }

  /**
   * Leaks libc's base the classic way: a chunk too big for the tcache is freed into the
   * unsorted bin, its fd (read through the dangling pointer) is the unsorted bin header
   * `&main_arena.bins[0] - 2 words`, and the build's offset of that is subtracted.
   */
  leakLibcBase(): number {
    const h = this.heap;
    const p = h.malloc(0x500);
    const guard = h.malloc(0x20);
    h.free(p);
    const leak = this.read(p); // use after free
    const base = leak - (this.libcOffset("main_arena") + this.profile.arena.bins - 2 * this.sz);
    h.free(guard);
    h.malloc(0x500); // takes p back: the unsorted bin is empty again
    return base;
  }

  /** Writes a NUL-terminated string at `addr` (strcpy). */
  writeString(addr: number, text: string): void {
    this.proc.memory.writeBytes(addr, new TextEncoder().encode(text + "\0"));
  }

  /**
   * Marks the bug (how2heap's `VULNERABILITY`): from here on the heap holds what a correct
   * program could not have made, and allocator calls are no longer followed by checkArena.
   */
  vulnerability(): void {
    this.#struck = true;
  }

  #struck = false;
}

/** What a technique does on one glibc version. */
export type Outcome =
  /** The technique works: the run's own assertions pass. */
  | "works"
  /** glibc stops it: the run ends in this abort, in this operation. */
  | { readonly aborts: string; readonly in: "malloc" | "free" | "calloc" | "realloc" }
  /**
   * glibc defeats it without aborting, for the reason `fails`: the run's assertion whose
   * message is `assertion` fails.
   */
  | { readonly fails: string; readonly assertion: string }
  /**
   * glibc does not stop it, but what it does instead leaves the heap so that the program
   * crashes (a segmentation fault in malloc or free, or in the program), for the reason given.
   */
  | { readonly crashes: string }
  /** The run ends with system(`shell`) reached through the pointer `via` from glibc's `in`. */
  | { readonly shell: string; readonly via: string; readonly in: string }
  /** The run ends in a ControlFlowHijack through `via` from glibc's `in`. */
  | { readonly hijack: string; readonly in: string };

/** One technique across versions. */
export interface TechniqueSpec {
  /** how2heap's name, e.g. `fastbin_dup`. */
  readonly name: string;
  /** What success looks like, for the test name ("malloc returns the target"). */
  readonly claim?: string;
  /** Expected outcome on each version it applies to; versions left out are not applicable. */
  readonly outcomes: Partial<Record<GlibcVersion, Outcome>>;
  /** Architectures (default both). */
  readonly arches?: readonly GlibcArch[];
  /**
   * Known simulator gaps: `"2.41/x86_64"` → what the simulator does differently from glibc.
   * The test is still written for real glibc's behaviour and is ignored until the gap closes.
   */
  readonly gaps?: Readonly<Record<string, string>>;
  /** Runs the technique on a fresh lab; throws (HeapAbort or an assertion) if it fails. */
  readonly run: (lab: Lab) => void;
}

/** Every technique registered, in registration order. */
export const TECHNIQUES: TechniqueSpec[] = [];

/** Registers one Deno test per applicable version and architecture. */
export function technique(spec: TechniqueSpec): void {
  TECHNIQUES.push(spec);
  for (const arch of spec.arches ?? ["x86_64", "i386"]) {
    for (const version of GLIBC_VERSIONS) {
      const outcome = spec.outcomes[version];
      if (outcome === undefined) continue;
      const where = `glibc ${version} ${arch}`;
      const gap = spec.gaps?.[`${version}/${arch}`];
      const name = outcome === "works"
        ? `${spec.name}: ${spec.claim} on ${where}`
        : "shell" in outcome
        ? `${spec.name}: ${outcome.in}() follows ${outcome.via} to system("${outcome.shell}") on ${where}`
        : "hijack" in outcome
        ? `${spec.name}: ${outcome.in}() follows ${outcome.hijack} to the attacker's address on ${where}`
        : "fails" in outcome
        ? `${spec.name}: fails quietly on ${where} (${outcome.fails})`
        : "crashes" in outcome
        ? `${spec.name}: crashes on ${where} (${outcome.crashes})`
        : `${spec.name}: ${where} stops it in ${outcome.in}() with "${outcome.aborts}"`;
      Deno.test({
        name,
        ignore: gap !== undefined,
        fn: () => {
          const lab = new Lab(version, arch);
          if (outcome === "works") {
            spec.run(lab);
            return;
          }
          if ("crashes" in outcome) {
            assert.throws(() => spec.run(lab), SegmentationFault);
            return;
          }
          if ("shell" in outcome) {
            spec.run(lab);
            const shells = lab.allocator.events.filter((e) => e.kind === "ShellSpawned");
            assert.deepEqual(
              shells.map((e) => [e.command, e.via, e.call]),
              [[outcome.shell, outcome.via, outcome.in]],
            );
            return;
          }
          if ("hijack" in outcome) {
            assert.throws(() => spec.run(lab), (e: unknown) => {
              if (!(e instanceof ControlFlowHijack)) throw e;
              assert.equal(e.via, outcome.hijack);
              assert.equal(e.call, outcome.in);
              return true;
            });
            return;
          }
          if ("fails" in outcome) {
            assert.throws(() => spec.run(lab), (e: unknown) => {
              if (!(e instanceof assert.AssertionError)) throw e;
              assert.equal(e.message.split("\n")[0], outcome.assertion);
              return true;
            });
            return;
          }
          assert.throws(() => spec.run(lab), (e: unknown) => {
            if (!(e instanceof HeapAbort)) throw e;
            assert.equal(e.glibcMessage, outcome.aborts);
            assert.equal(e.operation, outcome.in);
            return true;
          });
        },
      });
    }
  }
}

/** The same outcome on every listed version. */
export function on(
  versions: readonly GlibcVersion[],
  outcome: Outcome,
): Partial<Record<GlibcVersion, Outcome>> {
  return Object.fromEntries(versions.map((v) => [v, outcome]));
}

/** glibc versions with a tcache. */
export const TCACHE_VERSIONS: readonly GlibcVersion[] = versionsWhere((p) => p.tcache);
/** glibc versions with safe-linking (2.32+). */
export const SAFE_LINKING_VERSIONS: readonly GlibcVersion[] = versionsWhere((p) => p.safeLinking);
/** glibc versions with fastbins (up to 2.42). */
export const FASTBIN_VERSIONS: readonly GlibcVersion[] = versionsWhere((p) => p.fastbins);
/** glibc versions without fastbins (2.43+). */
export const NO_FASTBIN_VERSIONS: readonly GlibcVersion[] = versionsWhere((p) => !p.fastbins);
