/**
 * Where addresses lie in a process's maps: for each named address (a global's `&x` a C program
 * printed, a malloc's result, the break), the maps line holding it, what that region is, the
 * offset from the line's start and, for a file's pages, the offset in the file — so that a
 * notebook can set `&counter` against the program's data page and `malloc`'s result against
 * `[heap]`.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import { type DataRow, type DataTable, dataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { snapshotMaps } from "./maps_snapshot.ts";
import type { MapsRow } from "./region_kind.ts";
import { booleanOption, objectOption, viewOptions } from "./options.ts";

/** Options of {@linkcode addressTable}. */
export interface AddressTableOptions {
  /** Rows in address order rather than in the order given (default false). */
  readonly sorted?: boolean;
}

/**
 * The named addresses of `entries` set against `process`'s maps, one row each: the address,
 * the maps line holding it (range, permissions, name), what the region is, the offset from the
 * line's start and, for a file's pages, the file offset (the line's offset plus that). An
 * address no line holds says "not mapped".
 *
 * `entries` is an object of names to addresses, or text of lines ending in an address, as a C
 * program prints them with `%p` (`counter 0x555555558010`; lines not ending in `0x…` are skipped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { addressTable } from "./address_table.ts";
 * import { hex } from "./format.ts";
 *
 * const proc = new Process({ layout: "x86_64" });
 * const heap = proc.sbrk(0x1000); // the old break: the new [heap]'s start
 * const table = addressTable(proc, `heap ${hex(heap)}\nnull 0x0`);
 * assert.equal(table.rows[0]["maps line"], "555555559000-55555555a000 rw-p [heap]");
 * assert.equal(table.rows[1]["maps line"], "not mapped");
 * ```
 *
 * @param process The process whose maps to read.
 * @param entries Names and addresses, or printed lines of them.
 * @param options Whether to sort the rows by address.
 * @returns The table.
 */
export function addressTable(
  process: Process,
  entries: Readonly<Record<string, number | bigint>> | string,
  options?: AddressTableOptions,
): DataTable {
  objectOption("process", process, "a Process", (v) => "regions" in v);
  const o = viewOptions(options, ["sorted"]);
  booleanOption("sorted", o.sorted);
  const named = typeof entries === "string" ? printedAddresses(entries) : Object.entries(entries);
  if (o.sorted) named.sort((a, b) => Number(a[1]) - Number(b[1]));
  const maps = snapshotMaps(process);
  return dataTable(named.map(([name, value]): DataRow => {
    const at = Number(value);
    const i = maps.rows.findIndex((r) => r.start <= at && at < r.end);
    if (i < 0) return { name, address: hex(at), "maps line": "not mapped" };
    const row = maps.rows[i];
    const from = at - row.start;
    return {
      name,
      address: hex(at),
      "maps line": mapsLineText(row),
      region: maps.kinds[i].label,
      "+ from line start": hex(from),
      "file offset": row.inode ? hex(row.offset + from) : "",
    };
  }));
}

/** Lines of `name … 0x…` (the address last) as entries: the name is what precedes it. */
export function printedAddresses(text: string): [string, number][] {
  const out: [string, number][] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(.*?)\s+0x([0-9a-f]+)\s*$/i.exec(line);
    if (m) out.push([m[1], parseInt(m[2], 16)]);
  }
  return out;
}

/**
 * A maps line as the tables show it: its range, permissions and name (a path's last component).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { mapsLineText } from "./address_table.ts";
 * import { snapshotMaps } from "./maps_snapshot.ts";
import type { MapsRow } from "./region_kind.ts";
 *
 * const row = snapshotMaps(new Process({ layout: "x86_64" })).rows[0];
 * assert.equal(mapsLineText(row), "555555554000-555555555000 r--p mthread");
 * ```
 */
export function mapsLineText(row: MapsRow): string {
  const range = `${hex(row.start, 8).slice(2)}-${hex(row.end, 8).slice(2)}`;
  return `${range} ${row.perms} ${shortName(row.name)}`.trimEnd();
}

/** A path's last component; special names as they are. */
function shortName(name: string): string {
  return name.startsWith("/") ? name.slice(name.lastIndexOf("/") + 1) : name;
}
