/**
 * glibc's own allocator state at its real addresses in the simulated libc: where libc.so.6 is
 * mapped, and the addresses of `main_arena`, `mp_`, `global_max_fast`, the malloc hooks, the
 * functions an exploit aims at, and each thread's TLS `tcache` variable — all taken from the
 * real build's facts (src/malloc/libc_symbols.ts). The allocator reads and writes that state
 * only at these addresses, so a write through a libc-relative pointer changes what the next call
 * does, and `leak - offset` gives the simulated libc's base as it gives the real one.
 *
 * Placement: when the process maps libc with the build's segments (the oracle's raw traces, the
 * built-in layouts under 2.36), the base is that mapping's start. A fresh process of a built-in
 * layout whose libc is another build's gets the build's segments in its place (the loader's
 * work, done before main), and so does its ld.so (the kernel's: the same package's ld.so, its
 * end kept at the top of the mmap area, the vdso right below it). Any other process (the seed
 * machine's libc 2.19, a maps text without libc) keeps its mappings: the state is packed into
 * libc's writable data at the offset heaplab always used, or into a page mapped for it, and the
 * symbols keep the build's offsets from the mapping's start.
 *
 * Versions without a real build (2.23, 2.27, 2.35, 2.39, 2.42) take the nearest real build's
 * layout ({@link LibcBuild.from} says which).
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import type { Thread } from "../kernel/threads.ts";
import { regionToVma } from "../kernel/maps.ts";
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
  type Vma,
} from "../kernel/vma.ts";
import { isSyscallError } from "../kernel/errors.ts";
import { LIBC_BUILDS, type LibcBuildFacts, type LibcSegment } from "./libc_symbols.ts";
import { type GlibcProfile, nearestRelease } from "./profile.ts";

/** The libc build a glibc version runs with. */
export interface LibcBuild {
  /** The real build's facts. */
  readonly facts: LibcBuildFacts;
  /** The version whose real build is used (equal to the profile's for real builds). */
  readonly from: string;
  /** True when the version has no real build and borrows the nearest one's layout. */
  readonly modelled: boolean;
}

/**
 * The real build for a glibc version (or the nearest one; a tie goes to the older build, so 2.42,
 * which still has fastbins, borrows 2.41's layout with its `global_max_fast`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { libcBuild } from "./libc_state.ts";
 * assert.equal(libcBuild("2.27", "x86_64").from, "2.31");
 * assert.equal(libcBuild("2.42", "x86_64").from, "2.41");
 * assert.equal(libcBuild("2.36", "x86_64").facts.symbols.main_arena, 0x1d3c60);
 * ```
 */
export function libcBuild(version: string, arch: "i386" | "x86_64"): LibcBuild {
  const builds = LIBC_BUILDS.filter((b) => b.arch === arch);
  const from = nearestRelease(version, builds.map((b) => b.version));
  const best = builds.find((b) => b.version === from);
  if (!best) throw new RangeError(`No libc build for ${arch}`);
  return { facts: best, from: best.version, modelled: best.version !== version };
}

/** The hooks glibc calls through (up to 2.33), by name. */
export type HookName = "__malloc_hook" | "__free_hook" | "__realloc_hook" | "__memalign_hook";

/** How libc came to be where it is. */
export type LibcPlacement =
  /** The process maps the build's segments: every address is the real one. */
  | "real"
  /** heaplab replaced a built-in layout's libc with the build's segments. */
  | "relaid"
  /** Another libc (or none): the state is packed into writable memory heaplab chose. */
  | "packed";

/**
 * Distance from a thread stack's top to its thread pointer (glibc's `struct pthread` sits at
 * the top of the stack, the static TLS right below the pointer): modelled, not measured; the
 * same as the C interpreter's `pthread_self()`.
 */
const PTHREAD_SIZE = { x86_64: 0x900, i386: 0x4c0 } as const;

/** Whether a mapping is of a file whose name matches `name` (its last path component). */
function isFileNamed(v: Vma, name: RegExp): boolean {
  const path = v.file?.path;
  if (!path) return false;
  return name.test(path.slice(path.lastIndexOf("/") + 1));
}

/** libc.so.6 (libc-2.19.so, …). */
const LIBC_NAME = /^libc[.-]/;
/** ld-linux-x86-64.so.2, ld-linux.so.2 (ld-2.19.so, …). */
const LD_NAME = /^ld-/;

/**
 * The addresses of glibc's allocator state in one simulated process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { glibcProfile } from "./profile.ts";
 * import { LibcState } from "./libc_state.ts";
 * const libc = new LibcState(new Process({ layout: "x86_64" }), glibcProfile("2.36", "x86_64"));
 * assert.equal(libc.base, 0x7ffff7dd4000);
 * assert.equal(libc.mainArena, libc.base + 0x1d3c60);
 * assert.equal(libc.symbolAt(libc.mainArena + 0x60), "main_arena+0x60");
 * ```
 */
export class LibcState {
  /** The build. */
  readonly build: LibcBuild;
  /** How it was placed. */
  readonly placement: LibcPlacement;
  /** libc's base: the start of its first mapping (symbol offsets are relative to it). */
  readonly base: number;
  /** `main_arena`. */
  readonly mainArena: number;
  /** `mp_`. */
  readonly mp: number;
  /** `global_max_fast` (0 when the build has none). */
  readonly globalMaxFast: number;
  /** Bytes of `global_max_fast`: 8/4 (size_t) or 1 (uint8_t, 2.40+). */
  readonly globalMaxFastSize: number;
  /** The hooks' addresses (present in every build; glibc calls them up to 2.33). */
  readonly hooks: Readonly<Record<HookName, number>>;
  /** glibc calls through the hooks (2.33 and older). */
  readonly hooksActive: boolean;
  /** Offset of the TLS `tcache` variable from a thread pointer. */
  readonly tcacheFromThreadPointer: number;
  /** ld.so's base (AT_BASE: the start of its first mapping), or undefined without one. */
  readonly ldBase: number | undefined;
  readonly #process: Process;
  readonly #symbols: [string, number][];
  readonly #offsets: Readonly<Record<string, number>>;
  readonly #mainTp: number;
  /** ld.so is mapped with the build's segments: its symbols are at their offsets. */
  readonly #ldIsBuilds: boolean;

  /** Places libc's state for `profile` in `process` (relaying a fresh built-in layout's libc). */
  constructor(process: Process, profile: GlibcProfile) {
    this.#process = process;
    const build = libcBuild(profile.version, profile.arch);
    this.build = build;
    const f = build.facts;
    const s = f.symbols;
    let offsets: Record<string, number> = { ...s };
    let placement: LibcPlacement;
    let base: number;
    const fresh = isFreshBuiltIn(process);
    // the kernel maps ld.so first, then ld.so maps libc
    const ld = process.space.areas().filter((v) => isFileNamed(v, LD_NAME));
    this.#ldIsBuilds = ld.length > 0 && (segmentsMatch(ld, f.ldSegments) || fresh);
    this.ldBase = ld.length === 0
      ? undefined
      : !segmentsMatch(ld, f.ldSegments) && fresh
      ? relayLibrary(process, ld, f.ldSegments)
      : ld[0].start;
    const areas = process.space.areas().filter((v) => isFileNamed(v, LIBC_NAME));
    if (areas.length > 0 && segmentsMatch(areas, f.segments)) {
      placement = "real";
      base = areas[0].start;
    } else if (areas.length > 0 && fresh) {
      placement = "relaid";
      base = relayLibrary(process, areas, f.segments);
    } else {
      placement = "packed";
      const packed = packState(process, areas, f, profile);
      base = packed.base;
      offsets = { ...s, ...packed.offsets };
    }
    this.placement = placement;
    this.base = base;
    this.#offsets = offsets;
    this.mainArena = base + offsets.main_arena;
    this.mp = base + offsets.mp_;
    this.globalMaxFastSize = f.globalMaxFastSize;
    this.globalMaxFast = f.globalMaxFastSize ? base + offsets.global_max_fast : 0;
    this.hooks = {
      __malloc_hook: base + offsets.__malloc_hook,
      __free_hook: base + offsets.__free_hook,
      __realloc_hook: base + offsets.__realloc_hook,
      __memalign_hook: base + offsets.__memalign_hook,
    };
    this.hooksActive = profile.mallocHooks;
    const block = Math.ceil(f.tlsBlock.size / f.tlsBlock.align) * f.tlsBlock.align;
    this.tcacheFromThreadPointer = f.tlsBlock.tcache - block;
    this.#symbols = Object.entries(offsets).map(([n, o]) => [n, base + o] as [string, number])
      .sort((a, b) => a[1] - b[1]);
    this.#mainTp = this.#mainThreadPointer(areas.length > 0);
  }

  /** The end of libc's image: its last segment's (.bss included), as the build maps it. */
  get imageEnd(): number {
    const segments = this.build.facts.segments;
    return this.base + segments[segments.length - 1][1];
  }

  /**
   * Absolute address of a symbol of the build's ld.so (`_dl_fini`, `_end`,
   * `__pointer_chk_guard_local`, …), or undefined where it has none or ld.so is not the build's.
   */
  ldSymbol(name: string): number | undefined {
    const o = this.build.facts.ldSymbols[name];
    return o === undefined || !this.#ldIsBuilds ? undefined : this.ldBase! + o;
  }

  /** Absolute address of a libc symbol of the build, or undefined. */
  symbol(name: string): number | undefined {
    const o = this.#offsets[name];
    return o === undefined ? undefined : this.base + o;
  }

  /** The libc symbol whose address is exactly `addr`, or undefined. */
  symbolNamed(addr: number): string | undefined {
    for (const [n, a] of this.#symbols) if (a === addr) return n;
    return undefined;
  }

  /**
   * `name+0xoff` for an address inside libc's data or text near a known symbol (within 0x1000
   * above it; `main_arena` reaches to its end), else undefined.
   */
  symbolAt(addr: number): string | undefined {
    let best: [string, number] | undefined;
    for (const e of this.#symbols) {
      if (e[1] <= addr) best = e;
      else break;
    }
    if (!best) return undefined;
    const d = addr - best[1];
    const reach = best[0] === "main_arena" ? this.build.facts.mallocStateSize : 0x1000;
    if (d >= reach) return undefined;
    return d === 0 ? best[0] : `${best[0]}+0x${d.toString(16)}`;
  }

  /** The thread pointer (`%fs`/`%gs` base) of a thread. */
  threadPointer(thread: Thread): number {
    const st = thread.stack;
    if (!st) return this.#mainTp;
    return st.base + st.size - PTHREAD_SIZE[this.build.facts.arch];
  }

  /** Address of a thread's TLS `tcache` variable. */
  tcacheSlot(thread: Thread): number {
    return this.threadPointer(thread) + this.tcacheFromThreadPointer;
  }

  /**
   * The main thread's pointer: where the probe found it relative to libc, if that is writable
   * here; else in the anonymous pages right below libc (where the loader puts it on 2.36), or
   * right above libc's .bss; else at the end of libc's writable state.
   */
  #mainThreadPointer(hasLibc: boolean): number {
    const space = this.#process.space;
    const writable = (a: number) => {
      const v = space.areaAt(a);
      return v !== undefined && (v.prot & PROT_WRITE) !== 0 && space.areaAt(a - 0x100) === v;
    };
    const f = this.build.facts;
    if (hasLibc && f.mainThreadPointer !== undefined) {
      const tp = this.base + f.mainThreadPointer;
      if (writable(tp) && writable(tp + this.tcacheFromThreadPointer)) return tp;
    }
    const below = space.areaAt(this.base - 1);
    if (
      below && !below.file && (below.prot & PROT_WRITE) !== 0 && below.end - below.start >= 0x1000
    ) {
      return below.start + 0x740;
    }
    const end = f.segments[f.segments.length - 1][1];
    const above = space.areaAt(this.base + end);
    if (above && !above.file && (above.prot & PROT_WRITE) !== 0) return above.start + 0x740;
    // i386's layout (a real Linux run's maps) has the loader's two anonymous pages further up,
    // not next to libc: there, not in libc's data, where the tcache variable would overwrite
    // stdout's FILE (descriptors_i386/: real i386 glibc leaves it whole). Where in them is not
    // checked: qemu places the mapping otherwise.
    const loaderPages = hasLibc
      ? space.areas().find((v) =>
        v.start >= this.base + end && !v.file && v.name === undefined &&
        (v.prot & PROT_WRITE) !== 0
      )
      : undefined;
    if (loaderPages) return loaderPages.start + 0x740;
    // the packed state's page: keep clear of it, 0x200 below its end
    const top = space.areaAt(this.mainArena);
    return top ? top.end - 0x200 : this.mainArena + f.mallocStateSize + 0x200;
  }
}

/** Whether a library's mappings are the build's segments (its file's lines, from its base). */
function segmentsMatch(areas: readonly Vma[], segments: readonly LibcSegment[]): boolean {
  const file = segments.filter((s) => s[3] >= 0);
  if (areas.length !== file.length) return false;
  const base = areas[0].start;
  for (let i = 0; i < file.length; i++) {
    const [s, e, , off] = file[i];
    const a = areas[i];
    if (a.start - base !== s || a.end - base !== e || a.pgoff * PAGE_SIZE !== off) return false;
  }
  return true;
}

function isFreshBuiltIn(process: Process): boolean {
  const name = process.start.name;
  return (name === "x86_64" || name === "i386") && process.syscalls.lastSeq === 0;
}

/**
 * Replaces a built-in layout's mapping of a library by the build's segments, as they would have
 * been mapped: libc by the loader, ld.so by the kernel. The library's end — its last mapping's,
 * or that of the anonymous mapping right after it (libc's .bss and the loader's pages) — stays
 * where it was, and the anonymous mappings right below it move with its base: below libc the
 * main thread's TLS; below ld.so the vdso and vvar pages, which Linux maps right below the
 * interpreter, and ld.so's first anonymous pages under them. Returns the new base.
 */
function relayLibrary(
  process: Process,
  areas: readonly Vma[],
  segments: readonly LibcSegment[],
): number {
  const space = process.space;
  const first = areas[0], last = areas[areas.length - 1];
  const after = space.areaAt(last.end);
  const oldEnd = after && !after.file && after.start === last.end ? after.end : last.end;
  const below: Vma[] = [];
  for (let v = space.areaAt(first.start - 1); v && !v.file; v = space.areaAt(v.start - 1)) {
    if (v.end !== (below.at(-1) ?? first).start) break;
    below.push(v);
  }
  const file = first.file!;
  const base = oldEnd - segments[segments.length - 1][1];
  const shift = base - first.start;
  const lowest = below.at(-1) ?? first;
  space.munmap(lowest.start, oldEnd - lowest.start);
  for (const v of below) {
    space.insertInitial({
      ...v,
      start: v.start + shift,
      end: v.end + shift,
      pgoff: v.file ? v.pgoff : (v.start + shift) / PAGE_SIZE,
      anon: v.anon === 0 ? 0 : -1,
    });
  }
  for (const [s, e, perms, off] of segments) {
    space.insertInitial(regionToVma({
      start: base + s,
      end: base + e,
      perms,
      offset: off >= 0 ? off : 0,
      dev: off >= 0 ? file.dev : "00:00",
      inode: off >= 0 ? file.inode : 0,
      name: off >= 0 ? file.path : "",
    }));
  }
  return base;
}

/**
 * For a libc that is not the build's (or none): `main_arena`, `mp_`, `global_max_fast` and the
 * hooks one after another in libc's writable data (at 0xac0, where heaplab always put
 * main_arena), or in a page mapped for them. The other symbols keep the build's offsets from
 * the first libc mapping (or from the page).
 */
function packState(
  process: Process,
  areas: readonly Vma[],
  f: LibcBuildFacts,
  profile: GlibcProfile,
): { base: number; offsets: Record<string, number> } {
  const w = profile.sizeSz;
  const layout: [string, number][] = [
    ["main_arena", f.mallocStateSize],
    ["mp_", f.mallocParSize],
    ["global_max_fast", w],
    ["__malloc_hook", w],
    ["__free_hook", w],
    ["__realloc_hook", w],
    ["__memalign_hook", w],
  ];
  const total = layout.reduce((n, [, size]) => n + Math.ceil(size / w) * w, 0);
  const data = areas.filter((v) => (v.prot & PROT_WRITE) !== 0);
  let start = 0;
  const area = data[data.length - 1];
  if (area) {
    const after = process.space.areaAt(area.end);
    const end = after && !after.file && (after.prot & PROT_WRITE) !== 0 ? after.end : area.end;
    if (end - area.start >= 0xac0 + total) start = area.start + 0xac0;
    else if (end - area.start >= total) start = area.start;
  }
  if (start === 0) {
    // one page as before when the state leaves room for the main thread's TLS at its end
    const length = Math.ceil((total + 0x200) / PAGE_SIZE) * PAGE_SIZE;
    const r = process.sys.mmap(
      0,
      length,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      undefined,
      "libc data (main_arena)",
    );
    if (isSyscallError(r)) throw new Error(`Cannot map a page for libc's state (errno ${-r})`);
    start = r;
  }
  const base = areas.length > 0 ? areas[0].start : start;
  const offsets: Record<string, number> = {};
  let at = start - base;
  for (const [name, size] of layout) {
    offsets[name] = at;
    at += Math.ceil(size / w) * w;
  }
  return { base, offsets };
}
