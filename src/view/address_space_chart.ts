/**
 * A map of a process's address space as a vega-lite chart. User space spans 2^47 bytes on x86_64
 * and the interesting parts — the binary and `[heap]` near 0x555555554000, libraries and mmapped
 * regions below 0x7ffff7fff000, the stack near 0x7ffffffff000 — are a few MiB each, so one linear
 * axis would show three dots. The axis is broken instead: regions are grouped where more than
 * `gap` bytes of nothing separate them, each group gets its own row with its own address axis
 * (highest addresses on top, as memory is usually drawn), and every region is drawn at least
 * `minWidth` of its row wide so a 4 KiB guard page next to an 8 MiB stack stays visible (the
 * tooltip gives its true size).
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import { Chart } from "./chart.ts";
import { formatBytes, hex } from "./format.ts";
import { type MapsSnapshot, snapshotMaps } from "./maps_snapshot.ts";
import {
  booleanOption,
  integerOption,
  numberOption,
  objectOption,
  stringOption,
  viewOptions,
} from "./options.ts";
import { type MapsRow, REGION_CATEGORIES, type RegionCategory } from "./region_kind.ts";

/** Options of {@linkcode addressSpaceChart}. */
export interface AddressSpaceChartOptions {
  /** Chart title (default: the snapshot's label, or "Address space"). */
  readonly title?: string;
  /** Regions further apart than this many bytes go in separate rows (default 32 MiB). */
  readonly gap?: number;
  /** Smallest drawn width of a region, as a fraction of its row (default 0.004). */
  readonly minWidth?: number;
  /** Width of the plot in pixels (default 640). */
  readonly width?: number;
  /** Also draw the `[vsyscall]` page, which lies above user space (default false). */
  readonly includeVsyscall?: boolean;
}

/** Throws a typed error for the first bad option of {@link addressSpaceChart}. */
function checkAddressSpaceOptions(options: AddressSpaceChartOptions | undefined): void {
  const o = viewOptions(options, ["title", "gap", "minWidth", "width", "includeVsyscall"]);
  stringOption("title", o.title);
  integerOption("gap", o.gap, 0);
  numberOption("minWidth", o.minWidth, 0, 1);
  integerOption("width", o.width, 1);
  booleanOption("includeVsyscall", o.includeVsyscall);
}

/** Colours of the region categories, in the order of {@linkcode REGION_CATEGORIES}. */
export const REGION_COLORS: Readonly<Record<RegionCategory, string>> = {
  "binary": "#4e79a7",
  "heap": "#e15759",
  "mmap": "#f28e2b",
  "arena heap": "#b07aa1",
  "thread stack": "#59a14f",
  "guard": "#bab0ac",
  "anonymous": "#edc948",
  "library": "#76b7b2",
  "loader": "#9c755f",
  "kernel": "#ff9da7",
  "stack": "#2f7d32",
};

/** One drawn region: the chart's data rows. */
export interface AddressSpaceDatum {
  /** Row the region is drawn in. */
  readonly group: string;
  /** Lowest address of its row (rows are sorted by it). */
  readonly groupStart: number;
  /** First address. */
  readonly start: number;
  /** One past the last address. */
  readonly end: number;
  /** Where the bar ends (at least `minWidth` of the row past `start`). */
  readonly drawEnd: number;
  /** `start-end` in hex, as maps prints it. */
  readonly range: string;
  /** Size in words. */
  readonly size: string;
  /** Permissions. */
  readonly perms: string;
  /** Path or special name. */
  readonly name: string;
  /** What the region is. */
  readonly what: string;
  /** Short text drawn on the bar, or "" when the bar is too narrow for it. */
  readonly tag: string;
  /** The middle of the drawn bar (where the tag goes). */
  readonly middle: number;
  /** Its category (the colour). */
  readonly category: RegionCategory;
}

/** The text on a wide bar: `binary r-xp`, `libc.so.6 r-xp`, `[heap] 132 KiB`, `mmap 2 MiB`. */
function tagText(row: MapsRow, category: RegionCategory): string {
  if (row.name.startsWith("/")) {
    const who = category === "binary" ? "binary" : row.name.slice(row.name.lastIndexOf("/") + 1);
    return `${who} ${row.perms}`;
  }
  return `${row.name || category} ${formatBytes(row.end - row.start)}`;
}

/**
 * The chart's data: the regions of a snapshot, grouped into rows separated by large gaps.
 *
 * @param snapshot The maps.
 * @param options Gap, minimum width, vsyscall.
 * @returns One datum per region.
 */
export function addressSpaceData(
  snapshot: MapsSnapshot,
  options: AddressSpaceChartOptions = {},
): AddressSpaceDatum[] {
  checkAddressSpaceOptions(options);
  const gap = options.gap ?? 32 * 1024 * 1024;
  const minWidth = options.minWidth ?? 0.004;
  // A bar gets a tag when it is at least about 120 pixels wide.
  const labelWidth = 120 / (options.width ?? 640);
  const items = snapshot.rows.map((row, i) => ({ row, kind: snapshot.kinds[i] }))
    .filter(({ row }) => options.includeVsyscall || row.name !== "[vsyscall]");
  const groups: (typeof items)[] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (last && item.row.start - last.at(-1)!.row.end <= gap) last.push(item);
    else groups.push([item]);
  }
  const data: AddressSpaceDatum[] = [];
  for (const members of groups) {
    const start = members[0].row.start, end = members.at(-1)!.row.end;
    const digits = end > 2 ** 32 ? 12 : 8;
    const group = `${hex(start, digits)}–${hex(end, digits)} (${formatBytes(end - start)})`;
    for (const { row, kind } of members) {
      const drawEnd = Math.max(row.end, row.start + (end - start) * minWidth);
      const wide = (drawEnd - row.start) / (end - start) >= labelWidth;
      data.push({
        group,
        groupStart: start,
        start: row.start,
        end: row.end,
        drawEnd,
        range: `${hex(row.start, 8).slice(2)}-${hex(row.end, 8).slice(2)}`,
        size: formatBytes(row.end - row.start),
        perms: row.perms,
        name: row.name,
        what: kind.label,
        category: kind.category,
        tag: wide ? tagText(row, kind.category) : "",
        middle: (row.start + drawEnd) / 2,
      });
    }
  }
  return data;
}

/**
 * Draws a process's address space (or a snapshot's): one row per cluster of regions, highest
 * addresses on top, coloured by what each region is.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { addressSpaceChart } from "./address_space_chart.ts";
 * import assert from "node:assert/strict";
 *
 * const chart = addressSpaceChart(new Process({ layout: "x86_64" }));
 * assert.equal((chart.spec.facet as { row: { field: string } }).row.field, "group");
 * ```
 *
 * @param source A simulated process (its maps now) or a snapshot.
 * @param options Title, gap between rows, minimum width, plot width.
 * @returns The chart.
 */
export function addressSpaceChart(
  source: Process | MapsSnapshot,
  options: AddressSpaceChartOptions = {},
): Chart {
  checkAddressSpaceOptions(options);
  objectOption("source", source, "a Process or a MapsSnapshot");
  const snapshot = "rows" in source ? source : snapshotMaps(source);
  const values = addressSpaceData(snapshot, options);
  const present = new Set(values.map((v) => v.category));
  const domain = REGION_CATEGORIES.filter((c) => present.has(c));
  return new Chart({
    title: options.title ?? snapshot.label ?? "Address space",
    data: { values },
    facet: {
      row: {
        field: "group",
        type: "ordinal",
        sort: { field: "groupStart", op: "min", order: "descending" },
        header: {
          labelAngle: 0,
          labelOrient: "top",
          labelAnchor: "start",
          labelFontSize: 11,
          labelFont: "monospace",
        },
        title: null,
      },
    },
    spacing: 14,
    spec: {
      width: options.width ?? 640,
      height: 26,
      encoding: {
        tooltip: [
          { field: "what", title: "what it is" },
          { field: "range", title: "range" },
          { field: "size", title: "size" },
          { field: "perms", title: "perms" },
          { field: "name", title: "name" },
        ],
      },
      layer: [
        {
          mark: { type: "bar", stroke: "white", strokeWidth: 0.5 },
          encoding: {
            x: {
              field: "start",
              type: "quantitative",
              scale: { zero: false, nice: false },
              axis: null,
            },
            x2: { field: "drawEnd" },
            y: { value: 0 },
            y2: { value: 26 },
            color: {
              field: "category",
              type: "nominal",
              scale: { domain, range: domain.map((c) => REGION_COLORS[c]) },
              legend: { title: "region", orient: "bottom", columns: 4 },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 10, fontWeight: "bold", color: "white" },
          encoding: {
            x: { field: "middle", type: "quantitative" },
            text: { field: "tag" },
          },
        },
      ],
    },
    resolve: { scale: { x: "independent" }, axis: { x: "independent" } },
  });
}
