/**
 * The system calls a simulated process made, as `strace` would list them, with what each one
 * asked for in words (`132 KiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS`). In Jupyter it
 * is a table; as text, one `formatSyscall` line per call (`[pid N]` first when several threads
 * made calls).
 *
 * @module
 */

import { errnoName, isSyscallError } from "../kernel/errors.ts";
import type { Process } from "../kernel/process.ts";
import { formatSyscall, type SyscallRecord } from "../kernel/syscall_log.ts";
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_STACK,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from "../kernel/vma.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { heapBytes, hex } from "./format.ts";
import { htmlTable } from "./html.ts";
import type { MapsSnapshot } from "./maps_snapshot.ts";
import { arrayOption, integerOption, objectOption, stringOption, viewOptions } from "./options.ts";

function flagNames(value: number, names: ReadonlyArray<readonly [number, string]>, none: string) {
  const parts = names.filter(([bit]) => value & bit).map(([, name]) => name);
  const rest = names.reduce((v, [bit]) => v & ~bit, value);
  if (rest) parts.push(hex(rest));
  return parts.length ? parts.join("|") : none;
}

/**
 * `PROT_READ|PROT_WRITE`-style text of mmap/mprotect protection bits.
 *
 * @example
 * ```ts
 * import { protText } from "./syscall_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(protText(3), "PROT_READ|PROT_WRITE");
 * assert.equal(protText(0), "PROT_NONE");
 * ```
 *
 * @param prot `PROT_*` bits.
 * @returns Their names joined with `|`.
 */
export function protText(prot: number): string {
  return flagNames(prot, [[PROT_READ, "PROT_READ"], [PROT_WRITE, "PROT_WRITE"], [
    PROT_EXEC,
    "PROT_EXEC",
  ]], "PROT_NONE");
}

/**
 * `MAP_PRIVATE|MAP_ANONYMOUS`-style text of mmap flags.
 *
 * @example
 * ```ts
 * import { mapFlagsText } from "./syscall_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mapFlagsText(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
 * ```
 *
 * @param flags `MAP_*` bits.
 * @returns Their names joined with `|`.
 */
export function mapFlagsText(flags: number): string {
  return flagNames(flags, [
    [MAP_SHARED, "MAP_SHARED"],
    [MAP_PRIVATE, "MAP_PRIVATE"],
    [MAP_FIXED, "MAP_FIXED"],
    [MAP_ANONYMOUS, "MAP_ANONYMOUS"],
    [MAP_NORESERVE, "MAP_NORESERVE"],
    [MAP_STACK, "MAP_STACK"],
    [MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"],
  ], "0");
}

/**
 * What a system call asked for and got, in words.
 *
 * @example
 * ```ts
 * import { explainSyscall } from "./syscall_table.ts";
 * import assert from "node:assert/strict";
 *
 * const text = explainSyscall({ seq: 1, tid: 1, name: "brk", args: [0x804c000], result: 0x804c000 });
 * assert.equal(text, "move the break to 0x804c000: done");
 * ```
 *
 * @param record One logged call.
 * @returns A short description.
 */
export function explainSyscall(record: SyscallRecord): string {
  const [a0, a1, a2, a3, a4] = record.args;
  const failed = isSyscallError(record.result);
  const outcome = failed ? `failed, ${errnoName(-record.result)}` : "";
  switch (record.name) {
    case "brk":
      if (a0 === 0) return `ask for the break: ${hex(record.result)}`;
      return record.result === a0
        ? `move the break to ${hex(a0)}: done`
        : `move the break to ${hex(a0)}: refused, it stays at ${hex(record.result)}`;
    case "mmap": {
      const where = a0 ? ` near ${hex(a0)}` : "";
      const what = `map ${heapBytes(a1)}${where}, ${protText(a2)}, ${mapFlagsText(a3)}`;
      return `${what}: ${outcome || `at ${hex(record.result)}`}`;
    }
    case "munmap":
      return `unmap ${heapBytes(a1)} at ${hex(a0)}${failed ? `: ${outcome}` : ""}`;
    case "mprotect":
      return `make ${heapBytes(a1)} at ${hex(a0)} ${protText(a2)}${failed ? `: ${outcome}` : ""}`;
    case "mremap": {
      const flags = flagNames(a3, [[MREMAP_MAYMOVE, "MREMAP_MAYMOVE"], [
        MREMAP_FIXED,
        "MREMAP_FIXED",
      ]], "0");
      const to = a3 & MREMAP_FIXED ? ` to ${hex(a4)}` : "";
      const what = `resize ${heapBytes(a1)} at ${hex(a0)} to ${heapBytes(a2)}${to}, ${flags}`;
      return `${what}: ${outcome || `now at ${hex(record.result)}`}`;
    }
    case "madvise":
      return `advise ${a2} on ${heapBytes(a1)} at ${hex(a0)}${failed ? `: ${outcome}` : ""}`;
    default:
      return outcome;
  }
}

/** Options of {@linkcode syscallTable}. */
export interface SyscallTableOptions {
  /** Show only calls after this sequence number, or after this snapshot was taken. */
  readonly since?: number | MapsSnapshot;
  /** Caption above the table. */
  readonly title?: string;
}

/** What Deno's Jupyter kernel shows for a {@linkcode SyscallTable}. */
export interface SyscallTableBundle {
  /** The table. */
  "text/html": string;
  /** strace-style lines. */
  "text/plain": string;
}

/**
 * A list of system calls that displays as a table in Jupyter and as strace-style text.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { syscallTable } from "./syscall_table.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "sbrk" });
 * proc.sys.brk(0x804c000);
 * assert.equal(syscallTable(proc).toString(), "brk(0x804c000) = 0x804c000");
 * ```
 */
export class SyscallTable {
  /** The calls, oldest first. */
  readonly records: readonly SyscallRecord[];
  /** Caption above the table. */
  readonly title?: string;

  /**
   * Makes a table of system calls.
   *
   * @param records The calls, oldest first.
   * @param title Caption above the table.
   */
  constructor(records: readonly SyscallRecord[], title?: string) {
    arrayOption("records", records, "an array of system call records");
    stringOption("title", title);
    this.records = records;
    this.title = title;
  }

  /** True when the calls came from more than one thread (lines then start with `[pid N]`). */
  get threaded(): boolean {
    return new Set(this.records.map((r) => r.tid)).size > 1;
  }

  /** The calls as strace prints them, one a line. */
  toString(): string {
    if (this.records.length === 0) return "(no system calls)";
    const threaded = this.threaded;
    return this.records.map((r) => (threaded ? `[pid ${r.tid}] ` : "") + formatSyscall(r)).join(
      "\n",
    );
  }

  /** The calls as an HTML table. */
  toHtml(): string {
    const rows = this.records.map((r) => ({
      cells: [String(r.seq), String(r.tid), formatSyscall(r), explainSyscall(r)],
    }));
    const caption = this.title ??
      (this.records.length === 0 ? "No system calls" : `${this.records.length} system calls`);
    return htmlTable(["#", "tid", "call", "what it did"], rows, {
      caption,
      rightAligned: [0, 1],
      className: "heaplab-syscalls",
    });
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table and the strace-style text.
   */
  [JUPYTER_DISPLAY](): SyscallTableBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * The system calls of a process, all or those since a point.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { syscallTable } from "./syscall_table.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "mmap" });
 * const mark = proc.syscalls.lastSeq;
 * proc.sys.munmap(0x1000, 4096);
 * assert.equal(syscallTable(proc, { since: mark }).records.length, 1);
 * ```
 *
 * @param process The process.
 * @param options Where to start, and a caption.
 * @returns The table.
 */
export function syscallTable(process: Process, options: SyscallTableOptions = {}): SyscallTable {
  objectOption("process", process, "a Process", (v) => "syscalls" in v);
  const o = viewOptions(options, ["since", "title"]);
  if (typeof o.since !== "object") integerOption("since", o.since);
  else objectOption("since", o.since, "a sequence number or a MapsSnapshot", (v) => "rows" in v);
  stringOption("title", o.title);
  const since = typeof options.since === "number" ? options.since : options.since?.syscallSeq ?? 0;
  return new SyscallTable(process.syscalls.since(since), options.title);
}
