/**
 * stdio's FILEs as a C program's process holds them. {@link fileTable}: one FILE, every field of `struct _IO_FILE_plus` — flags,
 * the get, put and buffer pointers, `_chain`, `_fileno`, the lock, the wide data, the vtable
 * pointer — read from memory now, with the names of its flag bits and of what its pointers
 * point at (a libc symbol, the heap, the FILE's own bytes). A field the program or an exploit
 * overwrote shows what it holds. {@link fileListTable}: the FILEs on libc's `_IO_list_all`, the
 * list exit's flush walks, head first.
 *
 * @module
 */

import type { CProgram } from "../c/program.ts";
import { type DataRow, DataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { arrayOption, stringOption, viewOptions } from "./options.ts";

/** Options of {@link fileTable}. */
export interface FileTableOptions {
  /** Only these fields, by glibc's names (`_IO_write_base`, `vtable`), in the FILE's order. */
  readonly fields?: readonly string[];
}

/**
 * The FILE's fields as a table: `offset`, `field`, `value` (hex; "unreadable" where memory
 * cannot be read) and `note` (the flag bits of `_flags`, or what a pointer points at).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "../c/program.ts";
 * import { fileTable } from "./file_table.ts";
 *
 * const prog = new CProgram('int main(void) { puts("hi"); return 0; }', { glibc: "2.31" });
 * prog.run();
 * const t = fileTable(prog, "stdout", { fields: ["_chain", "_fileno"] });
 * assert.deepEqual(t.rows, [
 *   { offset: "0x68", field: "_chain", value: "0x7ffff7fb0980", note: "_IO_2_1_stdin_" },
 *   { offset: "0x70", field: "_fileno", value: "0x1", note: "" },
 * ]);
 * ```
 *
 * @param program The program.
 * @param file The FILE's address, or the standard stream whose FILE to show.
 * @param options Which fields.
 * @returns The table, captioned with the FILE's address.
 */
export function fileTable(
  program: CProgram,
  file: number | "stdin" | "stdout" | "stderr",
  options: FileTableOptions = {},
): DataTable {
  const o = viewOptions(options, ["fields"]);
  arrayOption("fields", o.fields, "an array of field names", (name, field) => {
    stringOption(name, field);
  });
  const { address, fields } = program.fileInfo(file);
  const last = fields.at(-1)!, end = last.offset + last.size;
  const libc = program.allocator.libc;
  const pointerNote = (value: number): string => {
    if (value === 0) return "";
    if (value >= address && value < address + end) {
      const field = fields.find((f) => f.offset === value - address);
      return field ? `this FILE's ${field.field}` : `this FILE+${hex(value - address)}`;
    }
    const symbol = libc.symbolAt(value);
    if (symbol) return symbol;
    return program.process.space.areaAt(value)?.owner === "heap" ? "heap" : "";
  };
  const wanted = options.fields && new Set(options.fields);
  const rows: DataRow[] = fields.filter((f) => !wanted || wanted.has(f.field)).map((f) => ({
    offset: hex(f.offset),
    field: f.field,
    value: f.value === undefined ? "unreadable" : hex(f.value),
    note: f.meaning ?? (f.pointer && f.value !== undefined ? pointerNote(Number(f.value)) : ""),
  }));
  const symbol = libc.symbolAt(address);
  return new DataTable(rows, `FILE at ${hex(address)}${symbol ? ` <${symbol}>` : ""}`);
}

/**
 * The FILEs on libc's list of FILEs as memory holds it, from `_IO_list_all` along each FILE's
 * `_chain` (what exit's `_IO_flush_all` walks, and FSOP forges): for each, its address and what
 * lies there, `_fileno`, `_flags` and the vtable (a libc symbol, or the bare address). The walk
 * stops at NULL, at an unreadable FILE or at one already listed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "../c/program.ts";
 * import { fileListTable } from "./file_table.ts";
 *
 * const prog = new CProgram("int main(void) { return 0; }", { glibc: "2.31" });
 * prog.run();
 * assert.deepEqual(fileListTable(prog).rows.map((r) => r.FILE), [
 *   "_IO_2_1_stderr_",
 *   "_IO_2_1_stdout_",
 *   "_IO_2_1_stdin_",
 * ]);
 * ```
 *
 * @param program The program.
 * @returns One row per FILE, the list's head first.
 */
export function fileListTable(program: CProgram): DataTable {
  const heap = program.allocator, libc = heap.libc;
  const listAll = libc.symbol("_IO_list_all");
  const rows: DataRow[] = [];
  const seen = new Set<number>();
  const word = (at: number) => {
    try {
      return heap.readWord(at);
    } catch {
      return undefined;
    }
  };
  let file = listAll === undefined ? undefined : word(listAll);
  while (file && !seen.has(file)) {
    seen.add(file);
    const { fields } = program.fileInfo(file);
    const value = (name: string) => fields.find((f) => f.field === name)!.value;
    const flags = value("_flags"), vtable = value("vtable"), chain = value("_chain");
    if (flags === undefined || vtable === undefined || chain === undefined) break;
    const area = program.process.space.areaAt(file);
    rows.push({
      address: hex(file),
      FILE: libc.symbolAt(file) ?? (area?.owner === "heap" ? "heap" : ""),
      _fileno: Number(value("_fileno")! & 0xffffffffn) | 0,
      _flags: hex(flags),
      vtable: libc.symbolAt(Number(vtable)) ?? hex(vtable),
    });
    file = Number(chain);
  }
  return new DataTable(rows, `_IO_list_all${listAll === undefined ? "" : ` at ${hex(listAll)}`}`);
}
