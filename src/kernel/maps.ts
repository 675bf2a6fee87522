/**
 * /proc/PID/maps: the text the kernel prints for a process's areas (`fs/proc/task_mmu.c`,
 * `show_map_vma`), byte for byte — `%08lx-%08lx %s %08llx %02x:%02x %lu `, then, for an area with a
 * name, spaces up to column 25 + 6 * sizeof(void *) of the *kernel* and the name — plus the parser
 * that takes such a text back as an initial address space.
 *
 * @module
 */

import type { AddressSpace } from "./address_space.ts";
import type { KernelProfile } from "./kernel_profile.ts";
import type { Thread } from "./threads.ts";
import { PAGE_SIZE, parsePerms, permsText, PROT_WRITE, type Vma, VmFlag } from "./vma.ts";

/** One line of /proc/PID/maps, parsed. */
export interface MapsRegion {
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
  /** Inode. */
  readonly inode: number;
  /** Path or special name (`[heap]`, `[stack]`, `[stack:TID]`, …), or "" for none. */
  readonly name: string;
  /** The area itself, when the region comes from a simulated process. */
  readonly vma?: Vma;
}

/** What the maps text needs to know beyond the areas. */
export interface MapsContext {
  readonly space: AddressSpace;
  readonly kernel: KernelProfile;
  /** Running threads, for `[stack:TID]` on kernels that print it. */
  readonly threads: Iterable<Thread>;
}

/** The column names start at: 25 + 6 * sizeof(void *) of the kernel. */
function nameColumn(kernel: KernelProfile): number {
  const kernelBits = kernel.compat ? 64 : kernel.bits;
  return 25 + (kernelBits / 8) * 6;
}

/** The name /proc/PID/maps prints for an area. */
function areaName(vma: Vma, ctx: MapsContext): string {
  if (vma.file) return vma.file.path;
  if (vma.name) return vma.name;
  if (ctx.space.isHeap(vma)) return "[heap]";
  if (ctx.kernel.threadStackLabels) {
    for (const t of ctx.threads) {
      if (t.state === "running" && t.stack && vma.start <= t.sp && t.sp < vma.end) {
        return `[stack:${t.tid}]`;
      }
    }
  }
  return "";
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, "0");
}

/** Formats one maps line (without the newline). */
export function formatMapsLine(region: Omit<MapsRegion, "vma">, column: number): string {
  const prefix = `${hex8(region.start)}-${hex8(region.end)} ${region.perms} ${
    hex8(region.offset)
  } ${region.dev} ${region.inode} `;
  if (!region.name) return prefix;
  return prefix.padEnd(column - 1, " ") + " " + region.name;
}

/** The regions of a process, as /proc/PID/maps lists them. */
export function mapsRegions(ctx: MapsContext): MapsRegion[] {
  return ctx.space.areas().map((vma) => ({
    start: vma.start,
    end: vma.end,
    perms: permsText(vma),
    offset: vma.file ? vma.pgoff * PAGE_SIZE : 0,
    dev: vma.file ? vma.file.dev : "00:00",
    inode: vma.file ? vma.file.inode : 0,
    name: areaName(vma, ctx),
    vma,
  }));
}

/**
 * One record of /proc/PID/maps as the kernel's iterator shows them (`m_start`, `m_next`,
 * `show_map`): an area's line, with its newline, and the area's end (where a later read goes on
 * from); the gate area's line has no `end` (it lies above user space and always comes last).
 */
export interface MapsRecord {
  /** The line, ending in a newline. */
  readonly line: string;
  /** The area's end; undefined for the gate area (`[vsyscall]`). */
  readonly end?: number;
}

/** The records of /proc/PID/maps now: the areas in address order, then the gate area if any. */
export function mapsRecords(ctx: MapsContext): MapsRecord[] {
  const column = nameColumn(ctx.kernel);
  const records: MapsRecord[] = mapsRegions(ctx).map((r) => ({
    line: formatMapsLine(r, column) + "\n",
    end: r.end,
  }));
  if (ctx.kernel.gateLine) records.push({ line: ctx.kernel.gateLine + "\n" });
  return records;
}

/** The whole /proc/PID/maps text, each line ending in a newline. */
export function mapsText(ctx: MapsContext): string {
  return mapsRecords(ctx).map((r) => r.line).join("");
}

/** An error in a maps text given as an initial state. */
export class MapsParseError extends Error {
  /** An error with a message saying which line is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "MapsParseError";
  }
}

const LINE =
  /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)(?: +(.*))?$/;

/** A maps text parsed: the regions, the gate line, and the `# initial break` if given. */
export interface ParsedMaps {
  /** The lines, in order. */
  readonly regions: MapsRegion[];
  /** The `[vsyscall]` line, kept verbatim. */
  readonly gateLine?: string;
  /** From a `# initial break <addr>` line. */
  readonly initialBreak?: number;
}

/**
 * Parses /proc/PID/maps text. Lines may be indented (as in the oracle's rawmaps blocks); a
 * `# initial break 0x…` line gives the program break; other `#` lines and blank lines are
 * skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMaps } from "./maps.ts";
 * const parsed = parseMaps("# initial break 0x56555000\n08048000-08049000 r-xp 00000000 08:01 5 /bin/x\n");
 * assert.equal(parsed.regions[0].name, "/bin/x");
 * ```
 */
export function parseMaps(text: string): ParsedMaps {
  const regions: MapsRegion[] = [];
  let gateLine: string | undefined;
  let initialBreak: number | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    const line = raw.replace(/^ +/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^# initial break (0x[0-9a-f]+)\s*$/i.exec(line);
      if (m) initialBreak = Number(m[1]);
      continue;
    }
    const m = LINE.exec(line.replace(/ +$/, ""));
    if (!m) throw new MapsParseError(`Line ${i + 1} is not a maps line: ${JSON.stringify(line)}`);
    if (m[1].length > 13) {
      // Above user space: the gate area ([vsyscall]), printed after all areas.
      gateLine = line.replace(/\s+$/, "");
      continue;
    }
    const start = parseInt(m[1], 16), end = parseInt(m[2], 16);
    if (!(start < end) || start % PAGE_SIZE || end % PAGE_SIZE) {
      throw new MapsParseError(`Line ${i + 1} has a bad range: ${m[1]}-${m[2]}`);
    }
    regions.push({
      start,
      end,
      perms: m[3],
      offset: parseInt(m[4], 16),
      dev: m[5],
      inode: Number(m[6]),
      name: m[7] ?? "",
    });
  }
  return { regions, gateLine, initialBreak };
}

/**
 * The area a parsed region stands for, with the flags the kernel would have given it: private
 * writable areas are accounted, anonymous ones that can be written are taken as already written
 * (they have an anon_vma), `[stack]` grows down, `[vdso]`-like names are special.
 */
export function regionToVma(region: MapsRegion): Vma {
  const perms = parsePerms(region.perms)!;
  let flags = perms.shared ? VmFlag.SHARED : 0;
  const isFile = region.name !== "" && !region.name.startsWith("[");
  const writable = (perms.prot & PROT_WRITE) !== 0;
  if (!perms.shared && writable) flags |= VmFlag.ACCOUNT;
  let name: string | undefined;
  if (region.name === "[stack]") {
    flags |= VmFlag.GROWSDOWN;
    name = "[stack]";
  } else if (region.name.startsWith("[stack:")) {
    name = undefined; // a thread stack: the label is computed, not stored
  } else if (region.name.startsWith("[") && region.name !== "[heap]") {
    flags |= VmFlag.SPECIAL;
    name = region.name;
  }
  return {
    start: region.start,
    end: region.end,
    prot: perms.prot,
    flags,
    pgoff: isFile ? region.offset / PAGE_SIZE : region.start / PAGE_SIZE,
    file: isFile ? { dev: region.dev, inode: region.inode, path: region.name } : undefined,
    name,
    // -1: give it a fresh anon_vma when inserted (it has been written).
    anon: perms.prot !== 0 && !name ? -1 : 0,
    owner: isFile ? region.name : region.name || undefined,
  };
}
