/**
 * Layouts: the starting address space of a simulated process — the areas a freshly started
 * program has before its first instruction of interest (binary, libraries, loader, vdso,
 * stack), its program break and pid — either built in, or read from a real /proc/PID/maps text.
 *
 * Built in:
 * - `x86_64`: Linux 6.18, Debian 12's glibc 2.36 loader and libc, a PIE program, ASLR off
 *   (`setarch -R`), as recorded from the per-thread arena example in `tests/fixtures/real_maps`.
 * - `i386`: the same program built with `-m32`, run on the same kernel.
 * - `seed-i386`: the 32-bit Linux 3.x machine of the seed material (glibc 2.19 era, non-PIE
 *   binaries at 0x08048000), one layout per example program (`sbrk`, `mmap`, `mthread`), with
 *   the pid, thread id and paths of the seed's printed runs. Replaying the seed's examples on it
 *   reproduces the seed's /proc/PID/maps lines; none of those lines is stored here, only the
 *   state before the first step.
 *
 * @module
 */

import { type ParsedMaps, parseMaps, regionToVma } from "./maps.ts";
import { type KernelProfile, linux3i386, linux618i386, linux618x86_64 } from "./kernel_profile.ts";
import type { StackPolicy } from "./threads.ts";
import type { Vma } from "./vma.ts";

/** A layout: the address space (and pid, break, kernel) a process starts from. */
export interface Layout {
  /** Layout name. */
  readonly name: string;
  /** The kernel. */
  readonly kernel: KernelProfile;
  /** The areas (copied into the process). */
  readonly areas: readonly Vma[];
  /** mm->start_brk (and the break, unless {@link Layout.brk} says otherwise). */
  readonly initialBreak: number;
  /** mm->brk when the program has already moved it (a maps text with a `[heap]`). */
  readonly brk?: number;
  /** mm->mmap_base if not the kernel profile's. */
  readonly mmapBase?: number;
  /** Process id. */
  readonly pid: number;
  /** Thread ids for new threads, in order. */
  readonly threadIds?: readonly number[];
  /** Main thread's stack pointer. */
  readonly stackPointer?: number;
  /** How thread stacks are mapped, if not the default for the glibc. */
  readonly stackPolicy?: StackPolicy;
  /** The program's path. */
  readonly programPath?: string;
}

/** Options that choose a layout (a subset of the process options). */
export interface LayoutOptions {
  layout?: string;
  program?: string;
  initialMaps?: string;
  arch?: "i386" | "x86_64";
}

/** An error in the choice or text of a layout. */
export class LayoutError extends Error {
  /** An error with a message saying what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "LayoutError";
  }
}

interface Segment {
  start: number;
  end: number;
  perms: string;
  offset?: number;
  dev?: string;
  inode?: number;
  name?: string;
}

function areasFrom(segments: readonly Segment[]): Vma[] {
  return segments.map((s) =>
    regionToVma({
      start: s.start,
      end: s.end,
      perms: s.perms,
      offset: s.offset ?? 0,
      dev: s.dev ?? "00:00",
      inode: s.inode ?? 0,
      name: s.name ?? "",
    })
  );
}

function file(path: string, dev: string, inode: number) {
  return (start: number, end: number, perms: string, offset: number): Segment => ({
    start,
    end,
    perms,
    offset,
    dev,
    inode,
    name: path,
  });
}

function anon(start: number, end: number, perms = "rw-p", name?: string): Segment {
  return { start, end, perms, name };
}

/** The x86_64 layout: a PIE program under Debian 12's glibc 2.36, ASLR off. */
function x86_64Layout(programPath: string): Layout {
  const prog = file(programPath, "fe:00", 2170961);
  const libc = file("/usr/lib/x86_64-linux-gnu/libc.so.6", "fe:00", 339380);
  const ld = file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "fe:00", 338944);
  const segments: Segment[] = [
    prog(0x555555554000, 0x555555555000, "r--p", 0),
    prog(0x555555555000, 0x555555556000, "r-xp", 0x1000),
    prog(0x555555556000, 0x555555557000, "r--p", 0x2000),
    prog(0x555555557000, 0x555555558000, "r--p", 0x2000),
    prog(0x555555558000, 0x555555559000, "rw-p", 0x3000),
    anon(0x7ffff7dd1000, 0x7ffff7dd4000),
    libc(0x7ffff7dd4000, 0x7ffff7dfa000, "r--p", 0),
    libc(0x7ffff7dfa000, 0x7ffff7f50000, "r-xp", 0x26000),
    libc(0x7ffff7f50000, 0x7ffff7fa3000, "r--p", 0x17c000),
    libc(0x7ffff7fa3000, 0x7ffff7fa7000, "r--p", 0x1cf000),
    libc(0x7ffff7fa7000, 0x7ffff7fa9000, "rw-p", 0x1d3000),
    anon(0x7ffff7fa9000, 0x7ffff7fb6000),
    anon(0x7ffff7fc0000, 0x7ffff7fc2000),
    anon(0x7ffff7fc2000, 0x7ffff7fc6000, "r--p", "[vvar]"),
    anon(0x7ffff7fc6000, 0x7ffff7fc8000, "r--p", "[vvar_vclock]"),
    anon(0x7ffff7fc8000, 0x7ffff7fca000, "r-xp", "[vdso]"),
    ld(0x7ffff7fca000, 0x7ffff7fcb000, "r--p", 0),
    ld(0x7ffff7fcb000, 0x7ffff7ff1000, "r-xp", 0x1000),
    ld(0x7ffff7ff1000, 0x7ffff7ffb000, "r--p", 0x27000),
    ld(0x7ffff7ffb000, 0x7ffff7ffd000, "r--p", 0x31000),
    ld(0x7ffff7ffd000, 0x7ffff7fff000, "rw-p", 0x33000),
    anon(0x7ffffffde000, 0x7ffffffff000, "rw-p", "[stack]"),
  ];
  return {
    name: "x86_64",
    kernel: linux618x86_64,
    areas: areasFrom(segments),
    initialBreak: 0x555555559000,
    pid: 31940,
    stackPointer: 0x7fffffffe000,
    programPath,
  };
}

/** The i386 layout: the same program built with -m32, on the same kernel. */
function i386Layout(programPath: string): Layout {
  const prog = file(programPath, "fe:00", 2170961);
  const libc = file("/usr/lib32/libc.so.6", "fe:00", 1540101);
  const ld = file("/usr/lib32/ld-linux.so.2", "fe:00", 1540098);
  const segments: Segment[] = [
    prog(0x56555000, 0x56556000, "r--p", 0),
    prog(0x56556000, 0x56557000, "r-xp", 0x1000),
    prog(0x56557000, 0x56558000, "r--p", 0x2000),
    prog(0x56558000, 0x56559000, "r--p", 0x2000),
    prog(0x56559000, 0x5655a000, "rw-p", 0x3000),
    libc(0xf7d8d000, 0xf7daf000, "r--p", 0),
    libc(0xf7daf000, 0xf7f28000, "r-xp", 0x22000),
    libc(0xf7f28000, 0xf7fa8000, "r--p", 0x19b000),
    libc(0xf7fa8000, 0xf7faa000, "r--p", 0x21b000),
    libc(0xf7faa000, 0xf7fab000, "rw-p", 0x21d000),
    anon(0xf7fab000, 0xf7fb5000),
    anon(0xf7fbf000, 0xf7fc1000),
    anon(0xf7fc1000, 0xf7fc5000, "r--p", "[vvar]"),
    anon(0xf7fc5000, 0xf7fc7000, "r--p", "[vvar_vclock]"),
    anon(0xf7fc7000, 0xf7fc9000, "r-xp", "[vdso]"),
    ld(0xf7fc9000, 0xf7fca000, "r--p", 0),
    ld(0xf7fca000, 0xf7fed000, "r-xp", 0x1000),
    ld(0xf7fed000, 0xf7ffb000, "r--p", 0x24000),
    ld(0xf7ffb000, 0xf7ffd000, "r--p", 0x31000),
    ld(0xf7ffd000, 0xf7ffe000, "rw-p", 0x33000),
    anon(0xfffdd000, 0xffffe000, "rw-p", "[stack]"),
  ];
  return {
    name: "i386",
    kernel: linux618i386,
    areas: areasFrom(segments),
    initialBreak: 0x5655a000,
    pid: 31981,
    stackPointer: 0xffffd000,
    programPath,
  };
}

/** The seed material's example programs: path, inode and pid of the printed runs. */
const seedPrograms: Record<string, { path: string; inode: number; pid: number; tids?: number[] }> =
  {
    sbrk: { path: "/home/sploitfun/ptmalloc.ppt/syscalls/sbrk", inode: 539624, pid: 6141 },
    mmap: { path: "/home/sploitfun/ptmalloc.ppt/syscalls/mmap", inode: 539691, pid: 6067 },
    mthread: {
      path: "/home/sploitfun/ptmalloc.ppt/mthread/mthread",
      inode: 539625,
      pid: 6501,
      tids: [6594],
    },
  };

/**
 * The seed's 32-bit machine: Linux 3.13 (3G/1G split, mmap_base 0xb8000000 with ASLR off),
 * glibc 2.19 from /lib/i386-linux-gnu, non-PIE binaries. The loader's TLS and bookkeeping
 * pages sit right below the lowest library: one page under libc for a program that links only
 * libc, two under libc for one that also links libpthread (whose static TLS is larger).
 */
function seedLayout(program: string): Layout {
  const p = seedPrograms[program];
  if (!p) {
    throw new LayoutError(
      `Unknown seed program: ${program} (expected one of ${Object.keys(seedPrograms).join(", ")})`,
    );
  }
  const bin = file(p.path, "08:01", p.inode);
  const libc = file("/lib/i386-linux-gnu/libc-2.19.so", "08:01", 1049110);
  const pthread = file("/lib/i386-linux-gnu/libpthread-2.19.so", "08:01", 1049127);
  const ld = file("/lib/i386-linux-gnu/ld-2.19.so", "08:01", 1049098);
  const segments: Segment[] = [
    bin(0x08048000, 0x08049000, "r-xp", 0),
    bin(0x08049000, 0x0804a000, "r--p", 0),
    bin(0x0804a000, 0x0804b000, "rw-p", 0x1000),
  ];
  if (program === "mthread") {
    // libpthread (loaded first, higher), then libc, then the loader's TLS pages.
    segments.push(
      anon(0xb7e05000, 0xb7e07000),
      libc(0xb7e07000, 0xb7faf000, "r-xp", 0),
      libc(0xb7faf000, 0xb7fb1000, "r--p", 0x1a8000),
      libc(0xb7fb1000, 0xb7fb2000, "rw-p", 0x1aa000),
      anon(0xb7fb2000, 0xb7fb5000),
      pthread(0xb7fb5000, 0xb7fcd000, "r-xp", 0),
      pthread(0xb7fcd000, 0xb7fce000, "r--p", 0x17000),
      pthread(0xb7fce000, 0xb7fcf000, "rw-p", 0x18000),
      anon(0xb7fcf000, 0xb7fd1000),
    );
  } else {
    segments.push(
      anon(0xb7e21000, 0xb7e22000),
      libc(0xb7e22000, 0xb7fca000, "r-xp", 0),
      libc(0xb7fca000, 0xb7fcc000, "r--p", 0x1a8000),
      libc(0xb7fcc000, 0xb7fcd000, "rw-p", 0x1aa000),
      anon(0xb7fcd000, 0xb7fd0000),
    );
  }
  segments.push(
    anon(0xb7fd9000, 0xb7fdd000),
    anon(0xb7fdd000, 0xb7fde000, "r-xp", "[vdso]"),
    ld(0xb7fde000, 0xb7ffe000, "r-xp", 0),
    ld(0xb7ffe000, 0xb7fff000, "r--p", 0x1f000),
    ld(0xb7fff000, 0xb8000000, "rw-p", 0x20000),
    anon(0xbffdf000, 0xc0000000, "rw-p", "[stack]"),
  );
  return {
    name: "seed-i386",
    kernel: linux3i386,
    areas: areasFrom(segments),
    initialBreak: 0x0804b000,
    pid: p.pid,
    threadIds: p.tids,
    stackPointer: 0xbffff000,
    programPath: p.path,
  };
}

/** A layout read from a /proc/PID/maps text. */
export function layoutFromMaps(text: string, arch: "i386" | "x86_64" = "x86_64"): Layout {
  let parsed: ParsedMaps;
  try {
    parsed = parseMaps(text);
  } catch (e) {
    throw new LayoutError(`Bad initial maps: ${(e as Error).message}`);
  }
  if (parsed.regions.length === 0) throw new LayoutError("The initial maps text is empty");
  const base = arch === "i386" ? linux618i386 : linux618x86_64;
  const kernel: KernelProfile = { ...base, gateLine: parsed.gateLine };
  const heap = parsed.regions.find((r) => r.name === "[heap]");
  const initialBreak = parsed.initialBreak ?? heap?.start;
  if (initialBreak === undefined) {
    throw new LayoutError(
      "The initial maps text needs a '# initial break 0x…' line (it has no [heap] to read it from)",
    );
  }
  // With a [heap], the program has moved the break already: it is at the end of [heap] (to the
  // page; the exact byte is not in the text).
  const brk = heap && heap.end > initialBreak ? heap.end : undefined;
  const stack = parsed.regions.find((r) => r.name === "[stack]");
  // The loader is the first mapping the kernel places top-down from mmap_base, so mmap_base is
  // the highest end of any mapping below the stack (with ASLR off, TASK_SIZE - 128 MiB).
  let mmapBase = 0;
  for (const r of parsed.regions) {
    if (r.name !== "[stack]" && (!stack || r.end <= stack.start)) {
      mmapBase = Math.max(mmapBase, r.end);
    }
  }
  return {
    name: "maps",
    kernel,
    areas: parsed.regions.map(regionToVma),
    initialBreak,
    brk,
    mmapBase: mmapBase || undefined,
    pid: 1000,
    stackPointer: stack ? stack.end - 0x1000 : undefined,
  };
}

/** Names of the built-in layouts. */
export const layoutNames: readonly string[] = ["x86_64", "i386", "seed-i386"];

/** The layout the options choose. */
export function chooseLayout(options: LayoutOptions): Layout {
  if (options.initialMaps !== undefined) return layoutFromMaps(options.initialMaps, options.arch);
  const layout = options.layout ?? (options.arch === "i386" ? "i386" : "x86_64");
  switch (layout) {
    case "x86_64":
      return x86_64Layout(options.program ?? "/tmp/real_maps/mthread");
    case "i386":
      return i386Layout(options.program ?? "/tmp/real_maps/mthread");
    case "seed-i386":
      return seedLayout(options.program ?? "mthread");
    default:
      throw new LayoutError(
        `Unknown layout: ${layout} (expected one of ${layoutNames.join(", ")})`,
      );
  }
}
