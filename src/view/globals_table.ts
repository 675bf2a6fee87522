/**
 * Where a C program's globals lie, as a table: each global of `CProgram.globalsInfo()` in
 * address order with its section, size and alignment, the gap before it (the padding its
 * alignment, or its section's, left after the previous object) and the maps line holding it,
 * with the landmarks of the data page between them (the tail of `.got.plt`, `data_start`,
 * `__dso_handle`, `_edata`, the copies of libc's `stdout`…, `completed.0`, `_end`) — what a
 * notebook would otherwise have the C program print, one `&x` at a time.
 *
 * @module
 */

import type { CProgram } from "../c/program.ts";
import type { GlobalInfo, ImageLandmark } from "../c/globals_info.ts";
import { mapsLineText } from "./address_table.ts";
import { type DataRow, DataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { snapshotMaps } from "./maps_snapshot.ts";
import { booleanOption, objectOption, stringOption, viewOptions } from "./options.ts";

/** Options of {@linkcode globalsTable}. */
export interface GlobalsTableOptions {
  /** Show the data page's landmarks between the globals (default true). */
  readonly landmarks?: boolean;
  /** Caption above the table (default: the program's file and what placed its globals). */
  readonly title?: string;
}

/**
 * The program's globals in address order, one row each: `name` (a function's static as
 * `calls (static in main)`), `section`, `address`, `size`, `align`, `gap before` (bytes between
 * the end of the previous row's object and this one, in the same segment: the writable one or
 * the read-only data) and `maps line` (the line holding it now, "not mapped" if none). With
 * `landmarks`, the landmarks of the writable segment are rows too (a copy of a libc object as
 * `stdout (libc's, copied)`; `_edata` and `_end` of size 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "../c/program.ts";
 * import { globalsTable } from "./globals_table.ts";
 *
 * const prog = new CProgram("int counter = 1;\nchar buf[64];\nint main(void) { return 0; }");
 * const table = globalsTable(prog, { landmarks: false });
 * assert.deepEqual(table.rows.map((r) => [r.name, r.section, r.address, r["gap before"]]), [
 *   ["counter", ".data", "0x555555558010", ""],
 *   ["buf", ".bss", "0x555555558040", "0x2c"],
 * ]);
 * assert.equal(table.rows[1]["maps line"], "555555558000-555555559000 rw-p mthread");
 * ```
 *
 * @param program The C program (compiled: its globals are placed before it runs).
 * @param options Whether to show the landmarks; the caption.
 * @returns The table, which displays as HTML in Jupyter and as text elsewhere.
 */
export function globalsTable(program: CProgram, options?: GlobalsTableOptions): DataTable {
  objectOption("program", program, "a CProgram", (v) => "globalsInfo" in v);
  const o = viewOptions(options, ["landmarks", "title"]);
  booleanOption("landmarks", o.landmarks);
  stringOption("title", o.title);
  const info = program.globalsInfo();
  const items: (GlobalInfo | ImageLandmark)[] = [
    ...info.globals,
    ...(o.landmarks ?? true ? info.landmarks : []),
  ];
  // (a landmark of no size before the object at its address: `_edata` before a copy)
  items.sort((a, b) => a.address - b.address || a.size - b.size);
  const maps = snapshotMaps(program.process);
  const writable = (at: number) => at >= info.dataStart && at <= info.end;
  let reached: number | undefined, segment: boolean | undefined;
  const rows = items.map((item): DataRow => {
    const inWritable = writable(item.address);
    if (inWritable !== segment) reached = undefined;
    segment = inWritable;
    const gap = reached === undefined ? "" : hex(item.address - reached);
    reached = Math.max(reached ?? 0, item.address + item.size);
    const line = maps.rows.find((r) => r.start <= item.address && item.address < r.end);
    return {
      name: rowName(item),
      section: item.section,
      address: hex(item.address),
      size: hex(item.size),
      align: "align" in item ? item.align : "",
      "gap before": gap === "0x0" ? "" : gap,
      "maps line": line ? mapsLineText(line) : "not mapped",
    };
  });
  return new DataTable(rows, o.title ?? `${program.file}: globals as gcc 12 and GNU ld place them`);
}

/** A row's name: a function's static with its function, a landmark with what it is. */
function rowName(item: GlobalInfo | ImageLandmark): string {
  if ("kind" in item) {
    if (item.kind === "copy") return `${item.name} (libc's, copied)`;
    return item.kind === "got" ? ".got.plt (tail)" : item.name;
  }
  return item.function === undefined ? item.name : `${item.name} (static in ${item.function})`;
}
