/**
 * A recorded {@link History} for notebooks: one line of text per step (its label, what served a
 * call, the heap size), the selected step marked; the step's own view (the call explained, the
 * diff it made); and a vega-lite chart of the heap size over the steps with the selected step
 * marked by a rule.
 *
 * @module
 */

import type { History, HistoryStep } from "../history/history.ts";
import { Chart } from "./chart.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { DiffView } from "./diff_view.ts";
import { formatBytes } from "./format.ts";
import { escapeHtml, htmlTable } from "./html.ts";
import { integerOption, objectOption, viewOptions } from "./options.ts";

/** What Deno's Jupyter kernel shows for a {@linkcode HistoryView}. */
export interface HistoryViewBundle {
  /** The steps as a table, the selected one highlighted. */
  "text/html": string;
  /** The steps as text, the selected one marked `>`. */
  "text/plain": string;
}

/** Options of {@linkcode historyView}. */
export interface HistoryViewOptions {
  /** The selected step (default: the one the live process is at). */
  readonly step?: number;
  /** Steps shown around the selected one in the text and table (default: all). */
  readonly around?: number;
}

function stepLine(s: HistoryStep): string {
  const served = s.record?.served ? ` · ${s.record.served}` : "";
  return `${String(s.index).padStart(4)}  ${s.label}${served} · heap ${formatBytes(s.heapSize)}`;
}

/**
 * A history's steps, one selected.
 *
 * @example
 * ```ts
 * import { Allocator, History, historyView, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const history = new History(libc);
 * libc.free(libc.malloc(24));
 * const view = historyView(history, { step: 1 });
 * assert.match(view.toString().split("\n")[1], /^> +1 {2}malloc\(24\) = 0x/);
 * assert.equal(view.chart().spec.layer !== undefined, true);
 * ```
 */
export class HistoryView {
  /** The history shown. */
  readonly history: History;
  /** The selected step. */
  readonly selected: number;
  readonly #around: number;

  /** Shows `history` with step `options.step` selected. */
  constructor(history: History, options: HistoryViewOptions = {}) {
    objectOption("history", history, "a History", (v) => "steps" in v);
    const o = viewOptions(options, ["step", "around"]);
    integerOption("step", o.step, 0, Math.max(0, history.steps.length - 1));
    integerOption("around", o.around);
    this.history = history;
    this.selected = options.step ?? history.position;
    this.#around = options.around ?? Infinity;
  }

  #shown(): readonly HistoryStep[] {
    const from = Math.max(0, this.selected - this.#around);
    return this.history.steps.slice(from, this.selected + this.#around + 1);
  }

  /** One line per step, the selected one marked `>`. */
  lines(): string[] {
    return this.#shown().map((s) => `${s.index === this.selected ? ">" : " "} ${stepLine(s)}`);
  }

  /** The steps as text. */
  toString(): string {
    return this.lines().join("\n");
  }

  /** The steps as an HTML table, the selected one highlighted. */
  toHtml(): string {
    return htmlTable(
      ["step", "what", "served by", "heap"],
      this.#shown().map((s) => ({
        cells: [String(s.index), s.label, s.record?.served ?? "", formatBytes(s.heapSize)],
        mark: s.index === this.selected ? "changed" : "same",
      })),
      { caption: `history: step ${this.selected} of ${this.history.length - 1}` },
    );
  }

  /** The selected step in words: its label, what the call did, and the diff it made. */
  stepText(): string {
    const s = this.history.at(this.selected);
    const out = [stepLine(s).trim()];
    for (const [i, step] of (s.record?.steps ?? []).entries()) {
      const bins = [step.from && `from ${step.from}`, step.to && `to ${step.to}`].filter(Boolean);
      out.push(`  ${i + 1}. ${step.action} 0x${step.chunk.toString(16)} ${bins.join(" ")}`);
    }
    if (s.index > 0) out.push(new DiffView(this.history.diff(s.index)).toString());
    return out.join("\n");
  }

  /** Heap size over the steps, the selected step marked by a rule and a point. */
  chart(): Chart {
    const values = this.history.steps.map((s) => ({
      step: s.index,
      bytes: s.heapSize,
      label: s.label,
    }));
    const sel = this.history.at(this.selected);
    return new Chart({
      title: `Heap size over ${this.history.length} steps (step ${sel.index} selected)`,
      width: 560,
      height: 220,
      layer: [
        {
          data: { values },
          mark: { type: "line", interpolate: "step-after" },
          encoding: {
            x: { field: "step", type: "quantitative", title: "step" },
            y: { field: "bytes", type: "quantitative", title: "bytes from the system" },
            tooltip: [{ field: "step" }, { field: "label" }, { field: "bytes" }],
          },
        },
        {
          data: { values: [{ step: sel.index, bytes: sel.heapSize, label: sel.label }] },
          mark: { type: "rule", color: "#d73a49", strokeWidth: 2 },
          encoding: { x: { field: "step", type: "quantitative" } },
        },
        {
          data: { values: [{ step: sel.index, bytes: sel.heapSize, label: sel.label }] },
          mark: { type: "point", color: "#d73a49", filled: true, size: 80 },
          encoding: {
            x: { field: "step", type: "quantitative" },
            y: { field: "bytes", type: "quantitative" },
            tooltip: [{ field: "label" }],
          },
        },
      ],
    });
  }

  /** For Deno's Jupyter kernel. */
  [JUPYTER_DISPLAY](): HistoryViewBundle {
    return {
      "text/html": `${this.toHtml()}<pre>${escapeHtml(this.stepText())}</pre>`,
      "text/plain": `${this.toString()}\n\n${this.stepText()}`,
    };
  }
}

/** The view of a history with a step selected. */
export function historyView(history: History, options: HistoryViewOptions = {}): HistoryView {
  return new HistoryView(history, options);
}
