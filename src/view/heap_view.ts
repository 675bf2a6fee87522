/**
 * The chunks of the heap, one row each, as pwndbg's `heap` and `vis_heap_chunks` show them: the
 * chunk's address, its size and flag bits (PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA), what it is
 * (in use, free in a bin, cached in a tcache or a fastbin, top), the bin that holds a free chunk
 * with the links stored in it, and the first bytes of its user data. Rows are coloured by state
 * in Jupyter; as text it is an aligned table.
 *
 * Everything is read from simulated memory through the allocator's inspection calls, never from a
 * shadow copy, so a corrupted heap shows as it is.
 *
 * @module
 */

import type { Allocator } from "../malloc/allocator.ts";
import type { ChunkState } from "../malloc/inspect.ts";
import { integerArgument } from "../kernel/arguments.ts";
import { ArgumentTypeError } from "../kernel/errors.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable, hex } from "./format.ts";
import { escapeHtml, type HtmlCell, htmlTable } from "./html.ts";
import { integerOption, viewOptions } from "./options.ts";
import {
  arenaLabel,
  flagNames,
  inspectOr,
  peekBytes,
  peekWord,
  pointerText,
  singleLink,
  wordText,
} from "./heap_reading.ts";

/** What a row of a {@linkcode HeapTable} is: an arena chunk's state, or a chunk of its own mapping. */
export type HeapRowState = ChunkState | "mmapped";

/** Background colours of the chunk states (light, readable in dark themes with dark text). */
export const CHUNK_STATE_COLORS: Readonly<Record<HeapRowState, string>> = {
  "in use": "#ddf4ff",
  free: "#dafbe1",
  tcache: "#fbefff",
  fastbin: "#fff1e5",
  top: "#eaeef2",
  fencepost: "#eaeef2",
  mmapped: "#fff8c5",
  unreadable: "#ffebe9",
};

/** One chunk as the view shows it. */
export interface HeapRow {
  /** Which arena the chunk belongs to (`main_arena`, `arena 0x7ffff0000030`), or `mmapped`. */
  readonly arena: string;
  /** Chunk address. */
  readonly address: number;
  /** User pointer (what malloc returned for it). */
  readonly mem: number;
  /** Size without the flag bits. */
  readonly size: number;
  /** The raw size word. */
  readonly sizeField: number;
  /** Names of the flag bits set: `PREV_INUSE`, `IS_MMAPPED`, `NON_MAIN_ARENA`. */
  readonly flags: readonly string[];
  /** What the chunk is. */
  readonly state: HeapRowState;
  /** The bin holding a free or cached chunk (`tcache 0x20 (tid 1234)`, `unsorted`, …). */
  readonly bin?: string;
  /**
   * The links stored in a free chunk (`next 0x…`, `fd 0x… bk 0x…`), demangled, with what memory
   * holds; for a chunk whose header cannot be read, `cannot read 0x… (SEGV_ACCERR)`.
   */
  readonly links?: string;
  /** The first bytes of user data (empty when unreadable or for top). */
  readonly data: Uint8Array;
  /** The row was asked to be marked (e.g. the chunk the last call returned). */
  readonly marked: boolean;
}

/** Options of {@linkcode heapView}. */
export interface HeapViewOptions {
  /** One arena (its malloc_state address), or `all` (default): every arena, main first. */
  readonly arena?: number | "all";
  /** Bytes of user data shown per chunk (default 16). */
  readonly bytes?: number;
  /** Show the mmapped chunks after the arenas' (default true). */
  readonly mmapped?: boolean;
  /** Chunk or user addresses whose rows are marked with an arrow. */
  readonly mark?: readonly number[];
  /** Caption (default: the glibc version and the number of chunks). */
  readonly title?: string;
  /**
   * The most rows the text and HTML show (default {@linkcode HEAP_VIEW_MAX_ROWS}, at least 2). A
   * longer heap shows its first and last rows and every marked one, each run of rows left out as
   * one line that says how many; {@linkcode HeapTable.rows} keeps them all.
   */
  readonly maxRows?: number;
}

/**
 * How many rows a heap view shows by default: a replayed trace's heap can hold tens of thousands
 * of chunks, whose table (megabytes of HTML) a notebook cannot show usefully or quickly.
 */
export const HEAP_VIEW_MAX_ROWS = 200;

/** What Deno's Jupyter kernel shows for a {@linkcode HeapTable}. */
export interface HeapViewBundle {
  /** The coloured table. */
  "text/html": string;
  /** The table as aligned text. */
  "text/plain": string;
}

function linksOf(allocator: Allocator, state: HeapRowState, address: number, mem: number) {
  const w = (v: number) => {
    const symbol = allocator.libc.symbolAt(v);
    return symbol ? `${wordText(allocator, v)} <${symbol}>` : wordText(allocator, v);
  };
  if (state === "tcache" || state === "fastbin") {
    const link = singleLink(allocator, mem);
    if (!link) return undefined;
    const name = state === "tcache" ? "next" : "fd";
    return link.stored === link.pointer
      ? `${name} ${w(link.pointer)}`
      : `${name} ${w(link.pointer)} (stored ${w(link.stored)})`;
  }
  if (state === "free") {
    const size = allocator.profile.sizeSz;
    const fd = peekWord(allocator, address + 2 * size);
    const bk = peekWord(allocator, address + 3 * size);
    if (fd === undefined || bk === undefined) return undefined;
    return `fd ${pointerText(allocator, fd)} bk ${pointerText(allocator, bk)}`;
  }
  return undefined;
}

/**
 * The chunks of every arena (or of one) and the mmapped chunks, read now.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { heapView } from "./heap_view.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const a = heap.malloc(24);
 * heap.malloc(24);
 * heap.free(a);
 * const view = heapView(heap, { mark: [a] });
 * assert.deepEqual(view.rows.map((r) => r.state), ["in use", "tcache", "in use", "top"]);
 * assert.equal(view.rows[1].bin, `tcache 0x20 (tid ${heap.process.mainThread.tid})`);
 * ```
 */
export class HeapTable {
  /** The rows, arena by arena in address order, then the mmapped chunks. */
  readonly rows: readonly HeapRow[];
  /** Caption. */
  readonly title: string;
  /** Whether fd pointers of tcache and fastbins are mangled (safe-linking). */
  readonly safeLinking: boolean;
  /** The most rows the text and HTML show (see {@linkcode HeapViewOptions.maxRows}). */
  readonly maxRows: number;
  readonly #sizeSz: number;

  /**
   * Makes a view of rows.
   *
   * @param rows The chunks.
   * @param title Caption.
   * @param options Word size and safe-linking, for the text; how many rows to show.
   */
  constructor(
    rows: readonly HeapRow[],
    title: string,
    options: { sizeSz: number; safeLinking: boolean; maxRows?: number },
  ) {
    this.rows = rows;
    this.title = title;
    this.safeLinking = options.safeLinking;
    this.maxRows = options.maxRows ?? HEAP_VIEW_MAX_ROWS;
    this.#sizeSz = options.sizeSz;
  }

  /**
   * The rows the text and HTML show, in order, with each run of rows left out as its count: all
   * of them when they are at most {@linkcode maxRows}; else the first half of that many, the last
   * half and every marked row.
   */
  #shown(): (HeapRow | number)[] {
    const rows = this.rows, n = rows.length, max = this.maxRows;
    if (n <= max) return rows.slice();
    const head = Math.ceil(max / 2), tail = n - Math.floor(max / 2);
    const out: (HeapRow | number)[] = [];
    let hidden = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (i < head || i >= tail || r.marked) {
        if (hidden > 0) out.push(hidden);
        hidden = 0;
        out.push(r);
      } else hidden++;
    }
    if (hidden > 0) out.push(hidden);
    return out;
  }

  /** The rows of one state. */
  withState(state: HeapRowState): HeapRow[] {
    return this.rows.filter((r) => r.state === state);
  }

  /** The row of a chunk (by chunk or user address). */
  find(address: number): HeapRow | undefined {
    return this.rows.find((r) => r.address === address || r.mem === address);
  }

  #cells(r: HeapRow): string[] {
    const width = this.#sizeSz * 2;
    return [
      r.marked ? "▶" : "",
      r.arena,
      hex(r.address, width),
      hex(r.size),
      r.flags.join("|"),
      r.state,
      r.bin ?? "",
      r.links ?? "",
      dataHex(r.data),
      dataAscii(r.data),
    ];
  }

  /** The header of the table. */
  static readonly HEADER: readonly string[] = [
    "",
    "arena",
    "chunk",
    "size",
    "flags",
    "state",
    "bin",
    "links (demangled)",
    "user data",
    "",
  ];

  /** The rows as an aligned text table under the title. */
  toString(): string {
    const shown = this.#shown();
    const cells = shown.flatMap((r) => typeof r === "number" ? [] : [this.#cells(r)]);
    const lines = formatTable([HeapTable.HEADER.slice(), ...cells]).split("\n");
    // A left-out run is a line of its own, outside the columns (they stay as wide as the rows).
    let next = 1;
    const body = shown.map((r) => typeof r === "number" ? leftOut(r) : lines[next++]);
    return [this.title, lines[0], ...body].join("\n");
  }

  /** The rows as an HTML table coloured by state, with a legend. */
  toHtml(): string {
    const rows = this.#shown().map((r) => {
      if (typeof r === "number") {
        const style = "font-style:italic;color:#57606a";
        return { cells: [{ text: leftOut(r), style, colspan: HeapTable.HEADER.length }] };
      }
      const cells = this.#cells(r);
      const style = `background:${CHUNK_STATE_COLORS[r.state]};color:#1f2328` +
        (r.marked ? ";font-weight:bold" : "");
      return {
        cells: cells.map((text, i): HtmlCell =>
          i === 3 ? { text, title: `size word ${hex(r.sizeField)}`, style } : { text, style }
        ),
      };
    });
    const legend = Object.entries(CHUNK_STATE_COLORS)
      // Unreadable chunks are in the legend only when there are some (a corrupted heap).
      .filter(([state]) =>
        state !== "fencepost" &&
        (state !== "unreadable" || this.rows.some((r) => r.state === "unreadable"))
      )
      .map(([state, color]) =>
        `<span style="background:${color};color:#1f2328;padding:0 6px;margin-right:4px">${
          escapeHtml(state)
        }</span>`
      ).join("");
    const table = htmlTable(HeapTable.HEADER, rows, {
      caption: this.title,
      captionNote: this.safeLinking
        ? "safe-linking: tcache and fastbin links are stored as (address >> 12) ^ pointer"
        : undefined,
      className: "heaplab-heap",
      rightAligned: [3],
    });
    return `<div class="heaplab-heap-view">${table}` +
      `<div style="font-family:sans-serif;font-size:12px">${legend}</div></div>`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The coloured table and its text.
   */
  [JUPYTER_DISPLAY](): HeapViewBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/** The line that stands for `count` rows a view leaves out. */
function leftOut(count: number): string {
  return `… ${count} ${count === 1 ? "chunk" : "chunks"} not shown (a larger maxRows shows them)`;
}

function dataHex(data: Uint8Array): string {
  return [...data].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

function dataAscii(data: Uint8Array): string {
  if (data.length === 0) return "";
  return [...data].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
}

/** Throws a typed error for the first bad option of {@link heapView}. */
function checkHeapViewOptions(options: HeapViewOptions): void {
  const o = viewOptions(options, ["arena", "bytes", "mmapped", "mark", "title", "maxRows"]);
  if (o.arena !== undefined && o.arena !== "all") {
    integerArgument("arena", o.arena, 0, Number.MAX_SAFE_INTEGER);
  }
  if (o.bytes !== undefined) integerArgument("bytes", o.bytes, 0, 4096);
  if (o.mmapped !== undefined && typeof o.mmapped !== "boolean") {
    throw new ArgumentTypeError("mmapped", o.mmapped, "true or false");
  }
  if (o.mark !== undefined && !Array.isArray(o.mark)) {
    throw new ArgumentTypeError("mark", o.mark, "an array of addresses");
  }
  if (o.title !== undefined && typeof o.title !== "string") {
    throw new ArgumentTypeError("title", o.title, "a string");
  }
  integerOption("maxRows", o.maxRows, 2);
}

/**
 * Reads the heap of an allocator now: see {@linkcode HeapTable}.
 *
 * @param allocator The allocator.
 * @param options Which arena, how many data bytes, which rows to mark, a caption, how many rows
 * to show.
 * @returns The view.
 */
export function heapView(allocator: Allocator, options: HeapViewOptions = {}): HeapTable {
  checkHeapViewOptions(options);
  const bytes = options.bytes ?? 16;
  const marks = new Set(options.mark ?? []);
  const arenas = allocator.arenas().filter((a) =>
    options.arena === undefined || options.arena === "all" || a.address === options.arena
  );
  const rows: HeapRow[] = [];
  const unreadable: string[] = [];
  for (const a of arenas) {
    const label = arenaLabel(allocator, a.address);
    const chunks = inspectOr(() => allocator.chunks(a.address), undefined);
    if (!chunks || chunks.some((c) => c.state === "unreadable")) unreadable.push(label);
    for (const c of chunks ?? []) {
      const state = c.state;
      const userBytes = state === "top" || state === "fencepost"
        ? 0
        : Math.max(0, Math.min(bytes, c.size - allocator.profile.sizeSz));
      rows.push({
        arena: label,
        address: c.address,
        mem: c.mem,
        size: c.size,
        sizeField: c.sizeField,
        flags: flagNames(c.sizeField),
        state,
        bin: c.bin,
        links: state === "unreadable" ? c.fault : linksOf(allocator, state, c.address, c.mem),
        data: peekBytes(allocator, c.mem, userBytes),
        marked: marks.has(c.address) || marks.has(c.mem),
      });
    }
  }
  if (options.mmapped ?? true) {
    for (const m of allocator.mmappedChunks()) {
      const sizeField = peekWord(allocator, m.address + allocator.profile.sizeSz) ?? m.size;
      rows.push({
        arena: "mmapped",
        address: m.address,
        mem: m.mem,
        size: m.size,
        sizeField,
        flags: flagNames(sizeField),
        state: m.fault === undefined ? "mmapped" : "unreadable",
        links: m.fault,
        data: peekBytes(allocator, m.mem, Math.max(0, Math.min(bytes, m.size))),
        marked: marks.has(m.address) || marks.has(m.mem),
      });
    }
  }
  const p = allocator.profile;
  const title = (options.title ??
    `Heap chunks · glibc ${p.version} ${p.arch} · ${rows.length} chunks`) +
    (unreadable.length ? ` · cannot walk ${unreadable.join(", ")} (unreadable memory)` : "");
  return new HeapTable(rows, title, {
    sizeSz: p.sizeSz,
    safeLinking: p.safeLinking,
    maxRows: options.maxRows,
  });
}
