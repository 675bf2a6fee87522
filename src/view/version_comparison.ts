/**
 * One program on several glibc versions, side by side: a row per trace line (or per step of a
 * scripted scenario) with what each version returned, the rows where versions disagree marked,
 * and — the point of most such comparisons — which versions abort, where, and with which of
 * glibc's messages (`free(): double free detected in tcache 2`, `malloc(): corrupted top size`).
 * The rows come from {@linkcode compareTrace} (`compare_trace.ts`), {@linkcode compareScenario}
 * (`compare_scenario.ts`) or {@linkcode compareProgram} (`compare_program.ts`).
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable } from "./format.ts";
import { GLIBC_VERSIONS } from "../malloc/profile.ts";
import { type HtmlCell, type HtmlRow, htmlTable } from "./html.ts";
import { arrayOption, choiceOption, stringOption, viewOptions } from "./options.ts";

/** The versions compared unless told otherwise (one per era; the glibc profile's table). */
export { COMPARED_VERSIONS } from "../malloc/profile.ts";

/** How one version's run ended. */
export interface VersionOutcome {
  /** glibc version. */
  readonly glibc: string;
  /** Exit status: 0, 134 after an abort (SIGABRT), 139 after a fault (SIGSEGV). */
  readonly status: number;
  /** The signal, if the run did not finish. */
  readonly signal?: string;
  /** glibc's message (or the fault), if the run did not finish. */
  readonly message?: string;
  /** The row (0-based) where it stopped, if it did. */
  readonly stoppedAt?: number;
}

/** One line of the trace (or step of the scenario) on every version. */
export interface ComparedRow {
  /** The trace line number or step number (1-based). */
  readonly line: number;
  /** The trace line or the step's label. */
  readonly source: string;
  /** What each version printed for it, by version; undefined where the run had stopped. */
  readonly results: Readonly<Record<string, string | undefined>>;
  /** Not every version printed the same. */
  readonly differs: boolean;
}

/** What Deno's Jupyter kernel shows for a {@linkcode VersionComparison}. */
export interface VersionComparisonBundle {
  /** The table. */
  "text/html": string;
  /** The table as text. */
  "text/plain": string;
}

/**
 * A program's results on several glibc versions. Build it with {@linkcode compareTrace} or
 * {@linkcode compareScenario}.
 *
 * @example
 * ```ts
 * import { compareTrace } from "./compare_trace.ts";
 * import assert from "node:assert/strict";
 *
 * // glibc up to 2.34 refuses an mmap threshold above HEAP_MAX_SIZE / 2.
 * const c = compareTrace("mallopt M_MMAP_THRESHOLD 0x2000001\n", { versions: ["2.31", "2.36"] });
 * assert.deepEqual(c.rows[0].results, { "2.31": "0", "2.36": "1" });
 * assert.equal(c.differing().length, 1);
 * ```
 */
export class VersionComparison {
  /** The versions, in column order. */
  readonly versions: readonly string[];
  /** One row per line or step. */
  readonly rows: readonly ComparedRow[];
  /** How each version's run ended, in column order. */
  readonly outcomes: readonly VersionOutcome[];
  /** Caption. */
  readonly title: string;

  /**
   * Makes a comparison.
   *
   * @param versions The versions.
   * @param rows The rows.
   * @param outcomes How each run ended.
   * @param title Caption.
   */
  constructor(
    versions: readonly string[],
    rows: readonly ComparedRow[],
    outcomes: readonly VersionOutcome[],
    title: string,
  ) {
    this.versions = versions;
    this.rows = rows;
    this.outcomes = outcomes;
    this.title = title;
  }

  /** How a version's run ended. */
  outcome(glibc: string): VersionOutcome {
    const o = this.outcomes.find((x) => x.glibc === glibc);
    if (!o) throw new RangeError(`Not compared: glibc ${glibc}`);
    return o;
  }

  /** The rows where the versions disagree. */
  differing(): ComparedRow[] {
    return this.rows.filter((r) => r.differs);
  }

  /** The versions that aborted (or faulted), with their messages, as one line each. */
  summary(): string[] {
    return this.outcomes.map((o) =>
      o.status === 0
        ? `glibc ${o.glibc}: ran to the end`
        : `glibc ${o.glibc}: ${o.signal} at ${this.rows[o.stoppedAt ?? 0]?.source ?? "?"}: ${
          o.message ?? ""
        }`
    );
  }

  #cell(r: ComparedRow, v: string): string {
    const text = r.results[v];
    return text === undefined ? "·" : text;
  }

  #outcomeCell(o: VersionOutcome): string {
    return o.status === 0 ? "exit 0" : `${o.signal} (${o.status}): ${o.message ?? ""}`;
  }

  /** The table as text: a row per line, a `≠` where versions differ, the outcomes last. */
  toString(): string {
    const header = ["", "#", "line", ...this.versions.map((v) => `glibc ${v}`)];
    const rows = this.rows.map((r) => [
      r.differs ? "≠" : "",
      String(r.line),
      r.source,
      ...this.versions.map((v) => this.#cell(r, v)),
    ]);
    const end = ["", "", "outcome", ...this.outcomes.map((o) => this.#outcomeCell(o))];
    return `${this.title}\n${formatTable([header, ...rows, end])}`;
  }

  /** The table as HTML: differing rows amber, aborts red, lines not reached grey. */
  toHtml(): string {
    const abortStyle = "background:#ffebe9;color:#82071e;font-weight:bold";
    const rows: HtmlRow[] = this.rows.map((r, i) => ({
      mark: r.differs ? "changed" : "same",
      cells: [
        String(r.line),
        r.source,
        ...this.versions.map((v): HtmlCell => {
          const o = this.outcome(v);
          const text = this.#cell(r, v);
          if (o.stoppedAt === i) return { text, style: abortStyle };
          if (r.results[v] === undefined) return { text, style: "color:#8c959f" };
          return { text };
        }),
      ],
    }));
    rows.push({
      cells: [
        "",
        "outcome",
        ...this.outcomes.map((o): HtmlCell => ({
          text: this.#outcomeCell(o),
          style: o.status === 0 ? "font-weight:bold" : abortStyle,
        })),
      ],
    });
    const table = htmlTable(["#", "line", ...this.versions.map((v) => `glibc ${v}`)], rows, {
      caption: this.title,
      captionNote: "amber rows: the versions disagree · red: where a run aborted · · not reached",
      className: "heaplab-compare",
    });
    return `<div class="heaplab-compare-view">${table}</div>`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table as HTML and text.
   */
  [JUPYTER_DISPLAY](): VersionComparisonBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/** Options of {@linkcode compareTrace} and {@linkcode compareScenario}. */
export interface CompareOptions {
  /** The glibc versions (default {@linkcode COMPARED_VERSIONS}). */
  readonly versions?: readonly string[];
  /** Architecture (default x86_64). */
  readonly arch?: "i386" | "x86_64";
  /** Caption. */
  readonly title?: string;
}

/**
 * Throws a typed error for the first bad option of {@linkcode compareTrace},
 * {@linkcode compareScenario} or {@linkcode compareProgram}.
 */
export function checkCompareOptions(options: CompareOptions | undefined): void {
  const o = viewOptions(options, ["versions", "arch", "title"]);
  arrayOption("versions", o.versions, "an array of glibc versions", (name, v) => {
    choiceOption(name, v, GLIBC_VERSIONS);
  });
  choiceOption("arch", o.arch, ["i386", "x86_64"]);
  stringOption("title", o.title);
}

/** Whether the versions that reached a row printed different things for it. */
export function rowDiffers(
  results: Readonly<Record<string, string | undefined>>,
  versions: readonly string[],
): boolean {
  const reached = versions.map((v) => results[v]);
  return reached.some((r) => r !== reached[0]);
}
