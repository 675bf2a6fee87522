/**
 * /proc/PID/maps as a table for notebooks: one row per region with its size in KiB/MiB and what
 * the region is (binary text, `[heap]` of the main arena, a thread's stack and guard page, an
 * mmapped region, …), and — given the snapshot of an earlier step — what changed: new rows green,
 * grown or shrunk rows amber with the difference, removed rows red and struck through. As plain
 * text it is exactly the maps text, as `cat /proc/PID/maps` prints it.
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import type { Process } from "../kernel/process.ts";
import { formatBytes, hex } from "./format.ts";
import { type HtmlRow, htmlTable, type RowMark } from "./html.ts";
import { diffMaps, type MapsChange, type MapsChangeKind, summarizeChanges } from "./maps_diff.ts";
import { type MapsSnapshot, snapshotMaps } from "./maps_snapshot.ts";
import { objectOption, stringOption, viewOptions } from "./options.ts";
import { describeRegions } from "./region_kind.ts";

/** Options of {@linkcode mapsTable}. */
export interface MapsTableOptions {
  /** An earlier snapshot: rows are marked with what changed since. */
  readonly previous?: MapsSnapshot;
  /** What the moment is (used as the snapshot's label when the source is a process). */
  readonly label?: string;
  /** A line shown under the caption, e.g. the system calls of the step. */
  readonly note?: string;
}

/** What Deno's Jupyter kernel shows for a {@linkcode MapsTable}. */
export interface MapsTableBundle {
  /** The table. */
  "text/html": string;
  /** Exactly the /proc/PID/maps text. */
  "text/plain": string;
}

const MARKS: Readonly<Record<MapsChangeKind, RowMark>> = {
  same: "same",
  new: "new",
  grown: "changed",
  shrunk: "changed",
  changed: "changed",
  removed: "removed",
};

function address(x: number): string {
  return hex(x, 8).slice(2);
}

/** Throws a typed error for the first bad option of {@link mapsTable}. */
function checkMapsTableOptions(options: MapsTableOptions | undefined): void {
  const o = viewOptions(options, ["previous", "label", "note"]);
  objectOption("previous", o.previous, "a MapsSnapshot", (v) => "rows" in v);
  stringOption("label", o.label);
  stringOption("note", o.note);
}

/**
 * A maps listing that displays as an HTML table in Jupyter and as the exact maps text anywhere
 * else. Build it with {@linkcode mapsTable}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { mapsTable } from "./maps_table.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "sbrk" });
 * const before = mapsTable(proc).snapshot;
 * proc.sys.brk(proc.sbrk(0) + 4096);
 * const table = mapsTable(proc, { previous: before });
 * assert.equal(table.toString(), proc.maps());
 * assert.equal(table.changes.find((c) => c.change === "new")?.row.name, "[heap]");
 * ```
 */
export class MapsTable {
  /** The listing shown. */
  readonly snapshot: MapsSnapshot;
  /** The listing it is compared with, if any. */
  readonly previous?: MapsSnapshot;
  /** Every row with its change (all `same` without a previous snapshot). */
  readonly changes: readonly MapsChange[];
  /** A line shown under the caption. */
  readonly note?: string;

  /**
   * Makes a table of a snapshot.
   *
   * @param snapshot The listing to show.
   * @param options The earlier listing and a note.
   */
  constructor(snapshot: MapsSnapshot, options: Omit<MapsTableOptions, "label"> = {}) {
    objectOption("snapshot", snapshot, "a MapsSnapshot", (v) => "rows" in v);
    checkMapsTableOptions(options);
    this.snapshot = snapshot;
    this.previous = options.previous;
    this.note = options.note;
    this.changes = options.previous
      ? diffMaps(options.previous.rows, snapshot.rows)
      : snapshot.rows.map((row) => ({ change: "same", row, delta: 0, note: "" }));
  }

  /** The caption: the label, the break, and the changes since the previous listing. */
  caption(): string {
    const s = this.snapshot;
    const parts: string[] = [];
    if (s.label) parts.push(s.label);
    if (s.pid !== undefined) parts.push(`/proc/${s.pid}/maps`);
    if (s.brk !== undefined) parts.push(`break ${hex(s.brk)}`);
    if (this.previous) {
      const since = this.previous.label ? ` since "${this.previous.label}"` : "";
      parts.push(`changes${since}: ${summarizeChanges(this.changes)}`);
    }
    return parts.join(" · ");
  }

  /** The table as HTML. */
  toHtml(): string {
    const kindOf = new Map(this.snapshot.rows.map((r, i) => [r, this.snapshot.kinds[i]]));
    const oldKinds = this.previous
      ? new Map(this.previous.rows.map((r, i) => [r, this.previous!.kinds[i]]))
      : new Map();
    const diffed = this.previous !== undefined;
    const rows: HtmlRow[] = this.changes.map((c) => {
      const r = c.row;
      const kind = kindOf.get(r) ?? oldKinds.get(r) ?? describeRegions([r])[0];
      return {
        mark: MARKS[c.change],
        cells: [
          address(r.start),
          address(r.end),
          { text: formatBytes(r.end - r.start), title: `${hex(r.end - r.start)} bytes` },
          ...(diffed ? [c.note] : []),
          r.perms,
          address(r.offset),
          r.dev,
          String(r.inode),
          r.name,
          kind.label,
        ],
      };
    });
    // The change goes next to the size, where it is seen first; without a previous listing
    // there is no change column.
    const header = ["start", "end", "size", ...(diffed ? ["change"] : []), "perms", "offset"];
    const table = htmlTable([...header, "dev", "inode", "name", "what it is"], rows, {
      caption: this.caption(),
      captionNote: this.note,
      rightAligned: [2, diffed ? 7 : 6],
      className: "heaplab-maps",
    });
    return `<div class="heaplab-maps-view">${table}</div>`;
  }

  /** Exactly the /proc/PID/maps text. */
  toString(): string {
    return this.snapshot.text;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The HTML table and the exact maps text.
   */
  [JUPYTER_DISPLAY](): MapsTableBundle {
    return { "text/html": this.toHtml(), "text/plain": this.snapshot.text };
  }
}

/**
 * A table of a process's /proc/PID/maps (or of a snapshot), marking what changed since an
 * earlier snapshot.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { mapsTable } from "./maps_table.ts";
 * import assert from "node:assert/strict";
 *
 * const table = mapsTable(new Process({ layout: "seed-i386", program: "mmap" }));
 * assert.match(table.toHtml(), /<table/);
 * ```
 *
 * @param source A simulated process (its maps now) or a snapshot.
 * @param options The earlier snapshot, a label, a note.
 * @returns The table; its `snapshot` can be the `previous` of the next one.
 */
export function mapsTable(
  source: Process | MapsSnapshot,
  options: MapsTableOptions = {},
): MapsTable {
  objectOption("source", source, "a Process or a MapsSnapshot");
  checkMapsTableOptions(options);
  const snapshot = "rows" in source ? source : snapshotMaps(source, options.label);
  return new MapsTable(snapshot, options);
}
