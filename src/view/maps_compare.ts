/**
 * Two /proc/PID/maps texts compared line by line — typically a real process's and the simulated
 * one's after the same calls: identical lines shown once, differing lines shown from both sides in
 * amber with the differing columns highlighted, lines only one side has in red or green. Lines are aligned by their longest
 * common subsequence, so one extra region does not make every later line differ.
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import { escapeHtml, type HtmlRow, htmlTable } from "./html.ts";
import { ArgumentRangeError } from "../kernel/errors.ts";
import { arrayOption, stringOption, textArgument, viewOptions } from "./options.ts";

/** How one aligned pair of lines compares. */
export type LineStatus = "identical" | "different" | "only-left" | "only-right";

/** One aligned pair of lines. */
export interface LineComparison {
  /** How they compare. */
  readonly status: LineStatus;
  /** The line of the left text (absent for `only-right`). */
  readonly left?: string;
  /** The line of the right text (absent for `only-left`). */
  readonly right?: string;
}

function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

/**
 * Aligns two maps texts line by line.
 *
 * @example
 * ```ts
 * import { compareMapsLines } from "./maps_compare.ts";
 * import assert from "node:assert/strict";
 *
 * const cmp = compareMapsLines("a\nb\nc\n", "a\nB\nc\n");
 * assert.deepEqual(cmp.map((c) => c.status), ["identical", "different", "identical"]);
 * ```
 *
 * @param left The first text (e.g. the real process's maps).
 * @param right The second text (e.g. the simulated maps).
 * @returns The aligned pairs, in order.
 */
export function compareMapsLines(left: string, right: string): LineComparison[] {
  textArgument("left", left, "maps text");
  textArgument("right", right, "maps text");
  const a = lines(left), b = lines(right);
  // Longest common subsequence, by dynamic programming from the ends.
  const lcs: number[][] = Array.from(
    { length: a.length + 1 },
    () => new Array(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: LineComparison[] = [];
  let i = 0, j = 0;
  let onlyA: string[] = [], onlyB: string[] = [];
  const flush = () => {
    const n = Math.max(onlyA.length, onlyB.length);
    for (let k = 0; k < n; k++) {
      const l = onlyA[k], r = onlyB[k];
      if (l !== undefined && r !== undefined) out.push({ status: "different", left: l, right: r });
      else if (l !== undefined) out.push({ status: "only-left", left: l });
      else out.push({ status: "only-right", right: r });
    }
    onlyA = [];
    onlyB = [];
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      out.push({ status: "identical", left: a[i], right: b[j] });
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lcs[i + 1][j] >= lcs[i][j + 1])) {
      onlyA.push(a[i++]);
    } else {
      onlyB.push(b[j++]);
    }
  }
  flush();
  return out;
}

/** Marks the whitespace-separated fields of `line` that differ from those of `other`. */
function highlightFields(line: string, other: string): string {
  const mine = line.split(/(\s+)/), theirs = other.split(/(\s+)/);
  return mine.map((token, k) =>
    /^\s+$/.test(token) || token === theirs[k]
      ? escapeHtml(token)
      : `<b style="background:#ffc46b">${escapeHtml(token)}</b>`
  ).join("");
}

/** Options of {@linkcode compareMaps}. */
export interface CompareMapsOptions {
  /** What the texts are (default "real" and "simulated"). */
  readonly labels?: readonly [string, string];
  /** What the moment is, for the caption. */
  readonly title?: string;
}

/** What Deno's Jupyter kernel shows for a {@linkcode MapsComparison}. */
export interface MapsComparisonBundle {
  /** The side-by-side table. */
  "text/html": string;
  /** A diff: `  ` identical, `- ` left only, `+ ` right only. */
  "text/plain": string;
}

/**
 * Two maps texts compared line by line; displays as a side-by-side table.
 *
 * @example
 * ```ts
 * import { compareMaps } from "./maps_compare.ts";
 * import assert from "node:assert/strict";
 *
 * const cmp = compareMaps("08048000-08049000 r-xp 00000000 08:01 5 /x\n", "08048000-08049000 r-xp 00000000 08:01 5 /x\n");
 * assert.ok(cmp.identical);
 * ```
 */
export class MapsComparison {
  /** The aligned lines. */
  readonly lines: readonly LineComparison[];
  /** Names of the two sides. */
  readonly labels: readonly [string, string];
  /** What the moment is. */
  readonly title?: string;

  /**
   * Compares two maps texts.
   *
   * @param left The first text.
   * @param right The second text.
   * @param options Labels and title.
   */
  constructor(left: string, right: string, options: CompareMapsOptions = {}) {
    textArgument("left", left, "maps text");
    textArgument("right", right, "maps text");
    const o = viewOptions(options, ["labels", "title"]);
    arrayOption("labels", o.labels, "two labels", (name, label) => {
      textArgument(name, label);
    });
    if (o.labels && o.labels.length !== 2) {
      throw new ArgumentRangeError("labels", o.labels, "two labels");
    }
    stringOption("title", o.title);
    this.lines = compareMapsLines(left, right);
    this.labels = options.labels ?? ["real", "simulated"];
    this.title = options.title;
  }

  /** Number of identical lines. */
  get identicalCount(): number {
    return this.lines.filter((l) => l.status === "identical").length;
  }

  /** True when every line is identical. */
  get identical(): boolean {
    return this.lines.every((l) => l.status === "identical");
  }

  /** `after brk: 24 of 24 lines identical`. */
  summary(): string {
    const head = this.title ? `${this.title}: ` : "";
    return `${head}${this.identicalCount} of ${this.lines.length} lines identical`;
  }

  /**
   * The comparison as an HTML table, one maps line a row: an identical line once, a differing
   * line twice (real above simulated, the differing columns highlighted), a line only one side
   * has in red (left only) or green (right only).
   */
  toHtml(): string {
    const [left, right] = this.labels;
    const pre = "white-space:pre";
    const rows: HtmlRow[] = [];
    for (const l of this.lines) {
      if (l.status === "identical") {
        rows.push({ cells: ["=", "both", { text: l.left!, style: pre }] });
      } else if (l.status === "different") {
        rows.push({
          mark: "changed",
          cells: ["≠", left, {
            text: l.left!,
            html: highlightFields(l.left!, l.right!),
            style: pre,
          }],
        });
        rows.push({
          mark: "changed",
          cells: ["≠", right, {
            text: l.right!,
            html: highlightFields(l.right!, l.left!),
            style: pre,
          }],
        });
      } else if (l.status === "only-left") {
        rows.push({ mark: "absent", cells: ["−", `${left} only`, { text: l.left!, style: pre }] });
      } else {
        rows.push({ mark: "new", cells: ["+", `${right} only`, { text: l.right!, style: pre }] });
      }
    }
    return htmlTable(["", "", "maps line"], rows, {
      caption: this.summary(),
      className: "heaplab-maps-compare",
    });
  }

  /** A line diff: `  ` for identical lines, `- ` left, `+ ` right. */
  toString(): string {
    const out = [this.summary(), `--- ${this.labels[0]}`, `+++ ${this.labels[1]}`];
    for (const l of this.lines) {
      if (l.status === "identical") out.push(`  ${l.left}`);
      if (l.left !== undefined && l.status !== "identical") out.push(`- ${l.left}`);
      if (l.right !== undefined && l.status !== "identical") out.push(`+ ${l.right}`);
    }
    return out.join("\n");
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table and the line diff.
   */
  [JUPYTER_DISPLAY](): MapsComparisonBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * Compares two maps texts line by line (see {@linkcode MapsComparison}).
 *
 * @param left The first text (e.g. the real process's maps).
 * @param right The second text (e.g. the simulated maps).
 * @param options Labels and title.
 * @returns The comparison.
 */
export function compareMaps(
  left: string,
  right: string,
  options: CompareMapsOptions = {},
): MapsComparison {
  return new MapsComparison(left, right, options);
}
