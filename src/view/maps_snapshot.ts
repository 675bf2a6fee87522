/**
 * A snapshot of /proc/PID/maps: the exact text, its lines as plain data (copied, so later system
 * calls cannot change them), what each region is, and the program break and syscall count at the
 * time — what a notebook keeps between steps to show what changed.
 *
 * @module
 */

import { parseMaps } from "../kernel/maps.ts";
import type { Process } from "../kernel/process.ts";
import { PAGE_SIZE, permsText, type Vma } from "../kernel/vma.ts";
import { integerOption, objectOption, stringOption, textArgument, viewOptions } from "./options.ts";
import { describeRegions, type MapsRow, mapsRow, type RegionKind } from "./region_kind.ts";

/** /proc/PID/maps at one moment. */
export interface MapsSnapshot {
  /** What the moment is, e.g. "after brk(+4096)". */
  readonly label?: string;
  /** Process id, when taken from a simulated process. */
  readonly pid?: number;
  /** The maps text exactly as `cat /proc/PID/maps` prints it. */
  readonly text: string;
  /** Its lines as data, in address order, the `[vsyscall]` line last if there is one. */
  readonly rows: readonly MapsRow[];
  /** What each row is (same order as `rows`). */
  readonly kinds: readonly RegionKind[];
  /** The program break (`sbrk(0)`), when known. */
  readonly brk?: number;
  /** Where the break started (mm->start_brk), when known. */
  readonly startBrk?: number;
  /** Sequence number of the last system call made before the snapshot (simulated only). */
  readonly syscallSeq?: number;
  /** Word size of the process. */
  readonly bits: 32 | 64;
}

const GATE =
  /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+) +(.*)$/;

/** The `[vsyscall]` line as a row (its addresses are above 2^53, so they are approximate). */
function gateRow(line: string): MapsRow | undefined {
  const m = GATE.exec(line.trimEnd());
  if (!m) return undefined;
  return {
    start: parseInt(m[1], 16),
    end: parseInt(m[2], 16),
    perms: m[3],
    offset: parseInt(m[4], 16),
    dev: m[5],
    inode: Number(m[6]),
    name: m[7],
  };
}

function startRow(vma: Vma): MapsRow {
  return {
    start: vma.start,
    end: vma.end,
    perms: permsText(vma),
    offset: vma.file ? vma.pgoff * PAGE_SIZE : 0,
    dev: vma.file?.dev ?? "00:00",
    inode: vma.file?.inode ?? 0,
    name: vma.file?.path ?? vma.name ?? (vma.owner === "[heap]" ? "[heap]" : ""),
    owner: vma.owner,
  };
}

/**
 * Takes a snapshot of a simulated process's /proc/PID/maps.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { snapshotMaps } from "./maps_snapshot.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "sbrk" });
 * const snap = snapshotMaps(proc, "start");
 * assert.equal(snap.text, proc.maps());
 * assert.equal(snap.brk, 0x804b000);
 * ```
 *
 * @param process The process.
 * @param label What the moment is.
 * @returns The snapshot.
 */
export function snapshotMaps(process: Process, label?: string): MapsSnapshot {
  objectOption("process", process, "a Process", (v) => "regions" in v);
  stringOption("label", label);
  const rows: MapsRow[] = process.regions().map(mapsRow);
  const bits = process.kernel.bits;
  const kinds = describeRegions(rows, {
    programPath: process.start.programPath,
    initial: process.start.areas.map(startRow),
    bits,
  });
  const gate = process.kernel.gateLine ? gateRow(process.kernel.gateLine) : undefined;
  if (gate) {
    rows.push(gate);
    kinds.push({ category: "kernel", label: "vsyscall page (legacy)" });
  }
  return {
    label,
    pid: process.pid,
    text: process.maps(),
    rows,
    kinds,
    brk: process.space.brk,
    startBrk: process.space.startBrk,
    syscallSeq: process.syscalls.lastSeq,
    bits,
  };
}

/** Options of {@linkcode snapshotFromText}. */
export interface TextSnapshotOptions {
  /** What the moment is. */
  readonly label?: string;
  /** The program break, if the program printed it. */
  readonly brk?: number;
  /** The maps the process started with (a snapshot or its text), to tell what was mapped since. */
  readonly initial?: MapsSnapshot | string;
  /** The program's path (default: the lowest file-backed region's). */
  readonly programPath?: string;
}

/**
 * A snapshot of a maps text read from a real process (`/proc/self/maps`).
 *
 * @example
 * ```ts
 * import { snapshotFromText } from "./maps_snapshot.ts";
 * import assert from "node:assert/strict";
 *
 * const snap = snapshotFromText("08048000-08049000 r-xp 00000000 08:01 5     /bin/x\n");
 * assert.equal(snap.kinds[0].label, "binary text (code)");
 * ```
 *
 * @param text The maps text.
 * @param options Label, break, the starting maps.
 * @returns The snapshot; its `text` is the given text.
 */
export function snapshotFromText(text: string, options: TextSnapshotOptions = {}): MapsSnapshot {
  textArgument("text", text, "maps text");
  const o = viewOptions(options, ["label", "brk", "initial", "programPath"]);
  stringOption("label", o.label);
  integerOption("brk", o.brk);
  if (typeof o.initial !== "string") {
    objectOption("initial", o.initial, "a MapsSnapshot or maps text", (v) => "rows" in v);
  }
  stringOption("programPath", o.programPath);
  const parsed = parseMaps(text);
  const rows: MapsRow[] = parsed.regions.map(({ vma: _, ...r }) => r);
  const bits = rows.some((r) => r.end > 2 ** 32) || parsed.gateLine ? 64 : 32;
  const initial = typeof options.initial === "string"
    ? snapshotFromText(options.initial).rows
    : options.initial?.rows;
  const kinds = describeRegions(rows, {
    programPath: options.programPath,
    initial: initial?.filter((r) => r.name !== "[vsyscall]"),
    bits,
  });
  const gate = parsed.gateLine ? gateRow(parsed.gateLine) : undefined;
  if (gate) {
    rows.push(gate);
    kinds.push({ category: "kernel", label: "vsyscall page (legacy)" });
  }
  return { label: options.label, text, rows, kinds, brk: options.brk, bits };
}
