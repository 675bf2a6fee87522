/**
 * The state of the allocator after one call, for notebooks that walk through calls one cell at a
 * time: what the call did (the explain view), the chunks of the heap (the heap view) and the bins
 * (the bins view), stacked in one output.
 *
 * @module
 */

import type { Allocator } from "../malloc/allocator.ts";
import { type BinsTable, binsTable, type BinsTableOptions } from "./bins_view.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { ExplainView, explainView } from "./explain_view.ts";
import { type HeapTable, heapView, type HeapViewOptions } from "./heap_view.ts";
import { objectOption, viewOptions } from "./options.ts";

/** What Deno's Jupyter kernel shows for a {@linkcode StepView}. */
export interface StepViewBundle {
  /** The three views' HTML, one under the other. */
  "text/html": string;
  /** The three views' text. */
  "text/plain": string;
}

/** Options of {@linkcode stepView}. */
export interface StepViewOptions {
  /** The explanation to show (default: the allocator's last call). */
  readonly explain?: ExplainView;
  /** Options of the heap view (default: mark the chunks the call returned or freed). */
  readonly heap?: HeapViewOptions;
  /** Options of the bins view. */
  readonly bins?: BinsTableOptions;
}

/**
 * The explain, heap and bins views of an allocator after a call.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { stepView } from "./step_view.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.free(heap.malloc(24));
 * const text = stepView(heap).toString();
 * assert.match(text, /^free\(0x[0-9a-f]+\) · served by tcache/);
 * assert.match(text, /tcache 0x20/);
 * ```
 */
export class StepView {
  /** What the call did. */
  readonly explain: ExplainView;
  /** The chunks. */
  readonly heap: HeapTable;
  /** The bins. */
  readonly bins: BinsTable;

  /**
   * Puts three views together.
   *
   * @param explain What the call did.
   * @param heap The chunks.
   * @param bins The bins.
   */
  constructor(explain: ExplainView, heap: HeapTable, bins: BinsTable) {
    this.explain = explain;
    this.heap = heap;
    this.bins = bins;
  }

  /** The three views as text, separated by blank lines. */
  toString(): string {
    return [this.explain, this.heap, this.bins].map(String).join("\n\n");
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The three views as HTML and as text.
   */
  [JUPYTER_DISPLAY](): StepViewBundle {
    const html = [this.explain.toHtml(), this.heap.toHtml(), this.bins.toHtml()]
      .map((h) => `<div style="margin-bottom:8px">${h}</div>`).join("");
    return { "text/html": `<div class="heaplab-step-view">${html}</div>`, "text/plain": `${this}` };
  }
}

/**
 * Shows an allocator after a call: its last call explained, its chunks (the chunk the call
 * returned or freed marked), its bins.
 *
 * @param allocator The allocator.
 * @param options Another explanation (e.g. from `explainCall`), heap and bins view options.
 * @returns The view.
 */
export function stepView(allocator: Allocator, options: StepViewOptions = {}): StepView {
  objectOption("allocator", allocator, "an Allocator", (v) => "lastRecord" in v);
  const o = viewOptions(options, ["explain", "heap", "bins"]);
  objectOption("explain", o.explain, "an ExplainView", (v) => v instanceof ExplainView);
  objectOption("heap", o.heap, "heap view options", (v) => !Array.isArray(v));
  objectOption("bins", o.bins, "bins view options", (v) => !Array.isArray(v));
  const explain = options.explain ?? explainView(allocator);
  const rec = explain.record;
  const touched = rec ? [rec.result, ...(rec.operation === "free" ? rec.args : [])] : [];
  const heap = heapView(allocator, { mark: touched.filter((x) => x !== 0), ...options.heap });
  return new StepView(explain, heap, binsTable(allocator, options.bins));
}
