/**
 * What each line of /proc/PID/maps is: the binary's text and data, a library's segments, the
 * loader, the main arena's `[heap]` (brk), a thread's stack and its guard page, a thread arena's
 * heap, an mmapped region, the vDSO. The kernel prints none of this; the simulated process knows
 * some of it (`vma.owner`: "heap" for brk areas, "bss" for the .bss past a program's file pages,
 * "thread N stack" for thread stacks, and whatever the allocator tags its mappings with), and for
 * the rest — a real process's maps, or areas made at startup — the layout tells: segment
 * permissions and order, neighbours, alignment.
 *
 * @module
 */

import type { MapsRegion } from "../kernel/maps.ts";

/** A maps line as the views use it: the kernel's columns plus who made the area, if known. */
export interface MapsRow {
  /** First address. */
  readonly start: number;
  /** One past the last address. */
  readonly end: number;
  /** `rw-p`-style permissions. */
  readonly perms: string;
  /** File offset (0 for anonymous areas). */
  readonly offset: number;
  /** Device `major:minor`. */
  readonly dev: string;
  /** Inode (0 for anonymous areas). */
  readonly inode: number;
  /** Path or special name (`[heap]`, `[stack]`, …), or "". */
  readonly name: string;
  /** What mapped the area, from the simulated area's `owner` (e.g. "thread 1 stack"). */
  readonly owner?: string;
}

/** The row of one region of a process's maps (what `snapshotMaps` and the history's states keep). */
export function mapsRow(r: MapsRegion): MapsRow {
  return {
    start: r.start,
    end: r.end,
    perms: r.perms,
    offset: r.offset,
    dev: r.dev,
    inode: r.inode,
    name: r.name,
    owner: r.vma?.owner,
  };
}

/** Broad kinds of region, one colour each in charts. */
export type RegionCategory =
  | "binary"
  | "library"
  | "loader"
  | "heap"
  | "arena heap"
  | "mmap"
  | "anonymous"
  | "thread stack"
  | "guard"
  | "stack"
  | "kernel";

/** Every {@linkcode RegionCategory}, in the order charts list them. */
export const REGION_CATEGORIES: readonly RegionCategory[] = [
  "binary",
  "heap",
  "mmap",
  "arena heap",
  "thread stack",
  "guard",
  "anonymous",
  "library",
  "loader",
  "kernel",
  "stack",
];

/** What a region is: its category and a short description. */
export interface RegionKind {
  /** Broad kind, for colours. */
  readonly category: RegionCategory;
  /** What it is, e.g. "main arena heap (brk)" or "libc text (code)". */
  readonly label: string;
}

/** What {@linkcode describeRegions} may know beyond the rows themselves. */
export interface RegionContext {
  /** The program's path; the lowest file-backed region's path unless given. */
  readonly programPath?: string;
  /**
   * The regions the process started with. An anonymous region that holds one of them and more
   * is an mmapped region that merged with it; one equal to it keeps the startup label.
   */
  readonly initial?: readonly MapsRow[];
  /** Word size, for the thread arena heap size (1 MiB on 32-bit, 64 MiB on 64-bit). */
  readonly bits?: 32 | 64;
}

const MiB = 1024 * 1024;

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isFile(row: MapsRow): boolean {
  return row.name !== "" && !row.name.startsWith("[");
}

function isAnonymous(row: MapsRow): boolean {
  return row.name === "" && row.inode === 0;
}

/** Anonymous, or a thread stack that an old kernel labels `[stack:TID]`. */
function isAnonymousOrThreadStack(row: MapsRow): boolean {
  return isAnonymous(row) || row.name.startsWith("[stack:");
}

/** The owner tag, unless it only repeats the name (as areas read from a maps text do). */
function ownerOf(row: MapsRow): string | undefined {
  return row.owner && row.owner !== row.name ? row.owner : undefined;
}

/** Who a file belongs to: "binary", "libc", "loader (ld.so)" or the library's file name. */
function fileWho(path: string, programPath: string | undefined): {
  who: string;
  category: RegionCategory;
} {
  if (path === programPath) return { who: "binary", category: "binary" };
  const base = basename(path);
  if (/^ld[-.]/.test(base)) return { who: "loader (ld.so)", category: "loader" };
  if (/^libc[-.]/.test(base)) return { who: "libc", category: "library" };
  return { who: base.replace(/\.so.*$/, ""), category: "library" };
}

/** The part of an ELF file a segment holds, from its permissions and its neighbours. */
function segmentPart(rows: readonly MapsRow[], i: number): string {
  const row = rows[i];
  const next = rows[i + 1];
  const sameFileNext = next && next.name === row.name && next.start === row.end;
  switch (row.perms.slice(0, 3)) {
    case "r-x":
      return "text (code)";
    case "rwx":
      return "text and data (rwx)";
    case "rw-":
      return "data (.data, .bss)";
    case "---":
      return "alignment gap (---p)";
    case "r--":
      if (sameFileNext && next.perms.startsWith("rw")) return "RELRO (relocated, then read-only)";
      if (row.offset === 0) return "ELF headers, symbols (read-only)";
      return "read-only data (.rodata)";
    default:
      return `segment (${row.perms})`;
  }
}

function specialKind(name: string): RegionKind | undefined {
  if (name === "[heap]") return { category: "heap", label: "main arena heap (brk)" };
  if (name === "[stack]") return { category: "stack", label: "main thread stack" };
  if (name === "[vdso]") {
    return { category: "kernel", label: "vDSO: kernel code run in user mode (gettimeofday, …)" };
  }
  if (name.startsWith("[vvar")) {
    return { category: "kernel", label: "vvar: kernel data the vDSO reads" };
  }
  if (name === "[vsyscall]") return { category: "kernel", label: "vsyscall page (legacy)" };
  if (name.startsWith("[stack:")) {
    return { category: "thread stack", label: `thread stack (tid ${name.slice(7, -1)})` };
  }
  return undefined;
}

function ownerKind(owner: string, row: MapsRow): RegionKind {
  const reserved = row.perms.startsWith("---");
  if (owner === "heap") return { category: "heap", label: "main arena heap (brk)" };
  if (owner === "bss") return { category: "anonymous", label: "binary .bss (rest)" };
  const stack = /^thread (\d+) stack$/.exec(owner);
  if (stack) {
    return reserved
      ? { category: "guard", label: `guard page of thread ${stack[1]}'s stack` }
      : { category: "thread stack", label: `thread ${stack[1]} stack` };
  }
  if (/arena|heap/i.test(owner)) {
    return reserved
      ? { category: "guard", label: `${owner}: reserved part (---p)` }
      : { category: "arena heap", label: owner };
  }
  return { category: reserved ? "guard" : "mmap", label: owner };
}

/** Labels for anonymous areas from the layout alone. */
function anonymousByLayout(
  rows: readonly MapsRow[],
  i: number,
  ctx: RegionContext,
  programPath: string | undefined,
): RegionKind {
  const row = rows[i];
  const prev = rows[i - 1], next = rows[i + 1];
  const size = row.end - row.start;
  const heapMax = (ctx.bits ?? (row.end > 2 ** 32 ? 64 : 32)) === 64 ? 64 * MiB : MiB;
  if (row.perms.startsWith("---")) {
    // A thread arena's heap: HEAP_MAX_SIZE-aligned, usable part first, the rest ---p.
    if (
      prev && isAnonymous(prev) && prev.end === row.start && prev.start % heapMax === 0 &&
      row.end - prev.start === heapMax
    ) {
      return { category: "guard", label: "thread arena heap: reserved part (---p)" };
    }
    if (row.start % heapMax === 0 && size === heapMax) {
      return { category: "guard", label: "reserved heap (---p)" };
    }
    if (size === 4096 && next && isAnonymousOrThreadStack(next) && next.start === row.end) {
      return { category: "guard", label: "guard page (of the stack above)" };
    }
    return { category: "guard", label: "no-access mapping (---p)" };
  }
  if (
    next && isAnonymous(next) && next.perms.startsWith("---") && next.start === row.end &&
    row.start % heapMax === 0 && next.end - row.start === heapMax
  ) {
    return { category: "arena heap", label: "thread arena heap (usable part)" };
  }
  if (
    prev && prev.perms.startsWith("---") && prev.end === row.start && prev.end - prev.start ===
      4096 &&
    isAnonymous(prev) && size >= 64 * 1024
  ) {
    return { category: "thread stack", label: "thread stack (below it: its guard page)" };
  }
  if (prev && isFile(prev) && prev.end === row.start && prev.perms.startsWith("rw")) {
    return { category: "anonymous", label: `${fileWho(prev.name, programPath).who} .bss (rest)` };
  }
  if (next && isFile(next) && next.start === row.end && next.name !== programPath) {
    return { category: "anonymous", label: "TLS and loader data (made at startup)" };
  }
  return { category: "anonymous", label: "anonymous mapping" };
}

/**
 * Says what each region is.
 *
 * @example
 * ```ts
 * import { describeRegions } from "./region_kind.ts";
 * import assert from "node:assert/strict";
 *
 * const kinds = describeRegions([
 *   { start: 0x08048000, end: 0x08049000, perms: "r-xp", offset: 0, dev: "08:01", inode: 5, name: "/bin/x" },
 *   { start: 0x0804b000, end: 0x0804c000, perms: "rw-p", offset: 0, dev: "00:00", inode: 0, name: "[heap]" },
 * ]);
 * assert.deepEqual(kinds.map((k) => k.label), ["binary text (code)", "main arena heap (brk)"]);
 * ```
 *
 * @param rows The regions in address order.
 * @param ctx What else is known: the program's path, the starting regions, the word size.
 * @returns One {@linkcode RegionKind} per row.
 */
export function describeRegions(
  rows: readonly MapsRow[],
  ctx: RegionContext = {},
): RegionKind[] {
  const programPath = ctx.programPath ?? rows.find(isFile)?.name;
  const initial = ctx.initial ?? [];
  const initialAnon = initial.filter(isAnonymous);
  const initialKinds = ctx.initial
    ? describeRegions(ctx.initial, { programPath, bits: ctx.bits })
    : [];
  const startupLabel = (r: MapsRow) => {
    const j = initial.findIndex((x) => x.start === r.start && x.end === r.end);
    return j >= 0 ? initialKinds[j].label : undefined;
  };
  return rows.map((row, i) => {
    const special = specialKind(row.name);
    const owner = ownerOf(row);
    if (row.name === "[heap]" || row.name.startsWith("[stack:")) return special!;
    if (owner) return ownerKind(owner, row);
    if (special) return special;
    if (isFile(row)) {
      const { who, category } = fileWho(row.name, programPath);
      return { category, label: `${who} ${segmentPart(rows, i)}` };
    }
    if (ctx.initial && isAnonymous(row)) {
      const same = startupLabel(row);
      if (same !== undefined) return { category: "anonymous", label: same };
      const inside = initialAnon.filter((x) => row.start <= x.start && x.end <= row.end);
      if (inside.length > 0 && !row.perms.startsWith("---")) {
        const what = inside.map((x) => startupLabel(x) ?? "anonymous mapping").join(", ");
        return { category: "mmap", label: `mmapped region, merged with: ${what}` };
      }
      const kind = anonymousByLayout(rows, i, ctx, programPath);
      // Not there at startup: anonymous memory the program (or its allocator) mapped.
      return kind.category === "anonymous" ? { category: "mmap", label: "mmapped region" } : kind;
    }
    return anonymousByLayout(rows, i, ctx, programPath);
  });
}
