/**
 * Every list of free chunks, as pwndbg's `bins` shows them: each thread's tcache (count and
 * entries per size), then per arena the fastbins, the unsorted bin, the small and the large
 * bins, with the chunks of each list from its head. On glibc 2.32 and later the singly linked
 * lists (tcache and fastbins) are safe-linked: each chunk's next pointer is stored mangled as
 * `(address of the pointer >> 12) ^ pointer`; the view shows what memory holds next to the
 * pointer it stands for.
 *
 * Chunk addresses are chunk starts (not user pointers) everywhere, tcache included.
 *
 * @module
 */

import type { Thread } from "../kernel/threads.ts";
import type { Allocator } from "../malloc/allocator.ts";
import type { BinInfo } from "../malloc/inspect.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable, hex } from "./format.ts";
import { type HtmlRow, htmlTable } from "./html.ts";
import { arenaLabel, inspectOr, singleLink, wordText } from "./heap_reading.ts";
import {
  arrayOption,
  booleanOption,
  integerOption,
  objectOption,
  stringOption,
  viewOptions,
} from "./options.ts";

/** One link of a safe-linked list: where it is stored, what memory holds, what it means. */
export interface StoredLink {
  /** The chunk holding the link. */
  readonly chunk: number;
  /** The word in memory (mangled with safe-linking). */
  readonly stored: number;
  /** The pointer it stands for (demangled). */
  readonly pointer: number;
}

/** One non-empty (or, for fastbins, any) list. */
export interface BinRow {
  /** Whose list: `tcache (tid 6594)`, `main_arena`, `arena 0x…`. */
  readonly owner: string;
  /** Kind of list. */
  readonly kind: "tcache" | "fastbin" | "unsorted" | "smallbin" | "largebin";
  /** The bin's name, e.g. `tcache 0x20`, `fastbin 0x30`, `smallbin 0x90`. */
  readonly name: string;
  /** tcache `counts[i]` (tcache only). */
  readonly count?: number;
  /** Chunk addresses from the head. */
  readonly chunks: readonly number[];
  /** The walk stopped early: a cycle or an unreadable entry. */
  readonly broken: boolean;
  /** For tcache and fastbins: each chunk's stored next pointer. */
  readonly links: readonly StoredLink[];
}

/** Options of {@linkcode binsTable}. */
export interface BinsTableOptions {
  /** One arena (its address), or `all` (default). */
  readonly arena?: number | "all";
  /** The threads whose tcache is shown (default: every running thread that has one). */
  readonly threads?: readonly Thread[];
  /** Show empty fastbins too (default false). */
  readonly showEmpty?: boolean;
  /** Caption. */
  readonly title?: string;
}

/** What Deno's Jupyter kernel shows for a {@linkcode BinsTable}. */
export interface BinsTableBundle {
  /** The table. */
  "text/html": string;
  /** The lists as text. */
  "text/plain": string;
}

/** Top chunk and last remainder of an arena. */
export interface ArenaTop {
  /** The arena's name. */
  readonly owner: string;
  /** Top chunk address. */
  readonly top: number;
  /** Its size. */
  readonly topSize: number;
  /** `last_remainder` (0 when none). */
  readonly lastRemainder: number;
}

/**
 * The bins of an allocator, read now. Build it with {@linkcode binsTable}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { binsTable } from "./bins_view.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const a = heap.malloc(24), b = heap.malloc(24);
 * heap.free(a);
 * heap.free(b);
 * const bins = binsTable(heap);
 * const tcache = bins.rows.find((r) => r.name === "tcache 0x20")!;
 * assert.equal(tcache.count, 2);
 * assert.deepEqual(tcache.chunks, [b - 16, a - 16]);
 * assert.notEqual(tcache.links[0].stored, tcache.links[0].pointer); // mangled
 * assert.equal(tcache.links[0].pointer, a); // tcache links hold user pointers
 * ```
 */
export class BinsTable {
  /** The lists. */
  readonly rows: readonly BinRow[];
  /** Top and last remainder of each arena shown. */
  readonly tops: readonly ArenaTop[];
  /** Caption. */
  readonly title: string;
  /** Whether the singly linked lists are safe-linked. */
  readonly safeLinking: boolean;
  readonly #word: (v: number) => string;

  /**
   * Makes a table of lists.
   *
   * @param rows The lists.
   * @param tops Top chunks.
   * @param title Caption.
   * @param options Safe-linking and the word formatter.
   */
  constructor(
    rows: readonly BinRow[],
    tops: readonly ArenaTop[],
    title: string,
    options: { safeLinking: boolean; word: (v: number) => string },
  ) {
    this.rows = rows;
    this.tops = tops;
    this.title = title;
    this.safeLinking = options.safeLinking;
    this.#word = options.word;
  }

  /** The list with a name (and owner, when several arenas or threads have one). */
  find(name: string, owner?: string): BinRow | undefined {
    return this.rows.find((r) => r.name === name && (owner === undefined || r.owner === owner));
  }

  #chain(r: BinRow): string {
    if (r.chunks.length === 0) return "(empty)";
    const end = r.broken ? " ↻ (walk stopped)" : "";
    return r.chunks.map((c) => hex(c)).join(" → ") + end;
  }

  #linkText(r: BinRow): string {
    if (!this.safeLinking || r.links.length === 0) return "";
    return r.links.map((l) => `${this.#word(l.stored)}→${this.#word(l.pointer)}`).join(", ");
  }

  #cells(r: BinRow): string[] {
    const cells = [r.owner, r.name, r.count === undefined ? "" : String(r.count), this.#chain(r)];
    return this.safeLinking ? [...cells, this.#linkText(r)] : cells;
  }

  #header(): string[] {
    const header = ["owner", "bin", "count", "chunks from the head"];
    return this.safeLinking ? [...header, "next in memory → demangled"] : header;
  }

  #topLine(t: ArenaTop): string {
    const rem = t.lastRemainder ? `, last_remainder ${hex(t.lastRemainder)}` : "";
    return `${t.owner}: top ${hex(t.top)} (size ${hex(t.topSize)})${rem}`;
  }

  /** The lists as aligned text, with each arena's top chunk. */
  toString(): string {
    const table = this.rows.length === 0
      ? "(every bin is empty)"
      : formatTable([this.#header(), ...this.rows.map((r) => this.#cells(r))]);
    return [this.title, table, ...this.tops.map((t) => this.#topLine(t))].join("\n");
  }

  /** The lists as an HTML table. */
  toHtml(): string {
    const colors: Record<BinRow["kind"], string> = {
      tcache: "#fbefff",
      fastbin: "#fff1e5",
      unsorted: "#dafbe1",
      smallbin: "#dafbe1",
      largebin: "#dafbe1",
    };
    const rows: HtmlRow[] = this.rows.map((r) => ({
      cells: this.#cells(r).map((text) => ({
        text,
        style: `background:${colors[r.kind]};color:#1f2328` +
          (r.chunks.length === 0 ? ";opacity:0.6" : ""),
      })),
    }));
    const table = htmlTable(this.#header(), rows, {
      caption: this.title,
      captionNote: this.tops.map((t) => this.#topLine(t)).join(" · "),
      className: "heaplab-bins",
      rightAligned: [2],
    });
    return `<div class="heaplab-bins-view">${table}</div>`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table and its text.
   */
  [JUPYTER_DISPLAY](): BinsTableBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

function singleLinks(
  allocator: Allocator,
  chunks: readonly number[],
): StoredLink[] {
  const header = 2 * allocator.profile.sizeSz;
  const out: StoredLink[] = [];
  for (const chunk of chunks) {
    const link = singleLink(allocator, chunk + header);
    if (link) out.push({ chunk, ...link });
  }
  return out;
}

function kindOf(v: BinInfo): BinRow["kind"] {
  const first = v.name.split(" ")[0];
  return first === "unsorted" ? "unsorted" : first === "smallbin" ? "smallbin" : "largebin";
}

/** Throws a typed error for the first bad option of {@link binsTable}. */
function checkBinsTableOptions(options: BinsTableOptions | undefined): void {
  const o = viewOptions(options, ["arena", "threads", "showEmpty", "title"]);
  if (o.arena !== "all") integerOption("arena", o.arena);
  arrayOption("threads", o.threads, "an array of threads", (name, t) => {
    objectOption(name, t, "a thread", (v) => "tid" in v);
  });
  booleanOption("showEmpty", o.showEmpty);
  stringOption("title", o.title);
}

/**
 * Reads every bin of an allocator: see {@linkcode BinsTable}.
 *
 * @param allocator The allocator.
 * @param options Which arena and threads, empty fastbins, a caption.
 * @returns The table.
 */
export function binsTable(allocator: Allocator, options: BinsTableOptions = {}): BinsTable {
  checkBinsTableOptions(options);
  const rows: BinRow[] = [];
  const p = allocator.profile;
  if (p.tcache) {
    const threads = options.threads ??
      allocator.process.threads.filter((t) => t.state === "running");
    for (const t of threads) {
      const tc = inspectOr(() => allocator.tcache(t), undefined);
      if (!tc || tc.address === 0) continue;
      for (const b of tc.bins) {
        rows.push({
          owner: `tcache (tid ${t.tid})`,
          kind: "tcache",
          name: b.name,
          count: b.count,
          chunks: b.chunks,
          broken: b.broken,
          links: singleLinks(allocator, b.chunks),
        });
      }
    }
  }
  const tops: ArenaTop[] = [];
  for (const a of allocator.arenas()) {
    if (options.arena !== undefined && options.arena !== "all" && options.arena !== a.address) {
      continue;
    }
    const owner = arenaLabel(allocator, a.address);
    const bins = inspectOr(() => allocator.bins(a.address), undefined);
    if (!bins) continue;
    for (const f of bins.fastbins) {
      if (f.chunks.length === 0 && !options.showEmpty) continue;
      rows.push({
        owner,
        kind: "fastbin",
        name: f.name,
        chunks: f.chunks,
        broken: f.broken,
        links: singleLinks(allocator, f.chunks),
      });
    }
    for (const v of [bins.unsorted, ...bins.smallbins, ...bins.largebins]) {
      if (v.chunks.length === 0) continue;
      rows.push({
        owner,
        kind: kindOf(v),
        name: v.name,
        chunks: v.chunks,
        broken: v.broken,
        links: [],
      });
    }
    tops.push({
      owner,
      top: bins.top.address,
      topSize: bins.top.size,
      lastRemainder: bins.lastRemainder,
    });
  }
  const title = options.title ??
    `Bins · glibc ${p.version} ${p.arch}` +
      (p.tcache ? "" : " (no tcache before glibc 2.26)") +
      (p.safeLinking ? " · safe-linking on" : "");
  return new BinsTable(rows, tops, title, {
    safeLinking: p.safeLinking,
    word: (v) => wordText(allocator, v),
  });
}
