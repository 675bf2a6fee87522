/**
 * glibc's own allocator state as it lies in the simulated libc: the fields of `main_arena`,
 * `mp_`, `global_max_fast`, the malloc hooks and each thread's TLS `tcache` pointer, each with
 * its address, the symbol-relative name of that address, and the value read from memory now —
 * so a field a program has overwritten shows what it holds, and a value that points into libc
 * shows the symbol it points at.
 *
 * @module
 */

import type { Allocator } from "../malloc/allocator.ts";
import { type DataRow, DataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { peekBytes, wordText } from "./heap_reading.ts";
import { arrayOption, booleanOption, choiceOption, viewOptions } from "./options.ts";

/** Options of {@link libcStateTable}. */
export interface LibcStateTableOptions {
  /** Which parts to show (default all). */
  readonly parts?: readonly ("main_arena" | "mp_" | "globals" | "tls")[];
  /** Also the 127 bin headers of main_arena (default: only the unsorted bin's). */
  readonly allBins?: boolean;
}

/** mp_ fields that are C ints (4 bytes); the others are size_t or pointers. */
const INT_FIELDS = new Set([
  "nMmaps",
  "nMmapsMax",
  "maxNMmaps",
  "noDynThreshold",
  "hpFlags",
  "thpMode",
]);

/** glibc's names of heaplab's mp_ field names. */
function cName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/**
 * The state's fields as a table: `field`, `address` (hex and symbol+offset), `value` (read
 * from memory; "unreadable" where it cannot be), `points to` (the libc symbol a value names).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { libcStateTable } from "./libc_state_view.ts";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.malloc(24);
 * const t = libcStateTable(heap, { parts: ["globals"] });
 * assert.deepEqual(t.rows[0], {
 *   field: "global_max_fast",
 *   address: "0x7ffff7fae4a0 <global_max_fast>",
 *   value: "0x80",
 *   "points to": "",
 * });
 * ```
 */
export function libcStateTable(
  allocator: Allocator,
  options: LibcStateTableOptions = {},
): DataTable {
  const o = viewOptions(options, ["parts", "allBins"]);
  arrayOption("parts", o.parts, "an array of part names", (name, part) => {
    choiceOption(name, part, ["main_arena", "mp_", "globals", "tls"]);
  });
  booleanOption("allBins", o.allBins);
  const libc = allocator.libc;
  const p = allocator.profile;
  const sz = p.sizeSz;
  const parts = new Set(options.parts ?? ["main_arena", "mp_", "globals", "tls"]);
  const rows: DataRow[] = [];
  const read = (addr: number, size: number): number | undefined => {
    const bytes = peekBytes(allocator, addr, size);
    if (bytes.length < size) return undefined;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[i];
    return v;
  };
  const add = (field: string, addr: number, size: number) => {
    const v = read(addr, size);
    const name = libc.symbolAt(addr);
    rows.push({
      field,
      address: name ? `${hex(addr)} <${name}>` : hex(addr),
      value: v === undefined ? "unreadable" : size === sz ? wordText(allocator, v) : hex(v),
      "points to": v !== undefined && size === sz && v !== 0 ? libc.symbolAt(v) ?? "" : "",
    });
  };
  if (parts.has("main_arena")) {
    const a = libc.mainArena, f = p.arena;
    add("main_arena.mutex", a + f.mutex, 4);
    add("main_arena.flags", a + f.flags, 4);
    if (f.haveFastchunks >= 0) add("main_arena.have_fastchunks", a + f.haveFastchunks, 4);
    for (let i = 0; i < p.nFastbins; i++) {
      add(`main_arena.fastbinsY[${i}]`, a + f.fastbins + i * sz, sz);
    }
    add("main_arena.top", a + f.top, sz);
    add("main_arena.last_remainder", a + f.lastRemainder, sz);
    const bins = options.allBins ? 254 : 2;
    for (let i = 0; i < bins; i++) add(`main_arena.bins[${i}]`, a + f.bins + i * sz, sz);
    for (let i = 0; i < 4; i++) add(`main_arena.binmap[${i}]`, a + f.binmap + 4 * i, 4);
    add("main_arena.next", a + f.next, sz);
    add("main_arena.next_free", a + f.nextFree, sz);
    add("main_arena.attached_threads", a + f.attachedThreads, sz);
    add("main_arena.system_mem", a + f.systemMem, sz);
    add("main_arena.max_system_mem", a + f.maxSystemMem, sz);
  }
  if (parts.has("mp_")) {
    const fields = Object.entries(libc.build.facts.mallocPar).sort((x, y) => x[1] - y[1]);
    for (const [field, offset] of fields) {
      add(`mp_.${cName(field)}`, libc.mp + offset, INT_FIELDS.has(field) ? 4 : sz);
    }
  }
  if (parts.has("globals")) {
    if (libc.globalMaxFast) add("global_max_fast", libc.globalMaxFast, libc.globalMaxFastSize);
    for (const [name, addr] of Object.entries(libc.hooks)) {
      add(libc.hooksActive ? name : `${name} (not called since 2.34)`, addr, sz);
    }
  }
  if (parts.has("tls")) {
    for (const t of allocator.process.threads) {
      if (t.state === "joined") continue;
      add(`tcache (thread ${t.tid}, TLS)`, libc.tcacheSlot(t), sz);
    }
  }
  const caption = `glibc ${p.version} ${p.arch} · libc at ${hex(libc.base)}` +
    (libc.build.modelled ? ` (layout of the ${libc.build.from} build)` : "");
  return new DataTable(rows, caption);
}
