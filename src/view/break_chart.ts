/**
 * The program break over the steps of a program: how far the `[heap]` reaches past start_brk
 * (what brk/sbrk moved) next to how many bytes anonymous mmaps hold beyond those the process
 * started with — the two ways a process gets memory from the kernel, side by side.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import { Chart } from "./chart.ts";
import { heapBytes, hex } from "./format.ts";
import { arrayOption, integerOption, stringOption, viewOptions } from "./options.ts";

/** The memory a process has from the kernel at one step. */
export interface BreakStep {
  /** Step number (the x axis order). */
  readonly step: number;
  /** What the step did, e.g. `brk(+4096)`. */
  readonly label: string;
  /** The program break. */
  readonly brk: number;
  /** brk − start_brk: the size of the `[heap]` the break makes. */
  readonly heapSize: number;
  /** Bytes of anonymous mappings (not the heap) beyond those the process started with. */
  readonly mmapBytes: number;
}

/** Bytes of anonymous areas that are not the brk heap nor the program's .bss. */
function anonymousBytes(process: Process): number {
  let total = 0;
  for (const vma of process.space.areas()) {
    if (vma.file || vma.name || vma.owner === "bss" || process.space.isHeap(vma)) continue;
    total += vma.end - vma.start;
  }
  return total;
}

const startupBytes = new WeakMap<Process, number>();

/** Anonymous bytes (not heap) of the areas the process started with. */
function startupAnonymousBytes(process: Process): number {
  let total = startupBytes.get(process);
  if (total === undefined) {
    total = 0;
    const { initialBreak, areas } = process.start;
    for (const vma of areas) {
      const heap = vma.owner === "[heap]" || (vma.start <= initialBreak && vma.end > initialBreak);
      if (!vma.file && !vma.name && !heap) total += vma.end - vma.start;
    }
    startupBytes.set(process, total);
  }
  return total;
}

/**
 * Measures a process now, as one step of a {@linkcode breakChart}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { breakStep } from "./break_chart.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "sbrk" });
 * proc.sbrk(4096);
 * const step = breakStep(proc, "sbrk(4096)", 1);
 * assert.equal(step.heapSize, 4096);
 * assert.equal(step.mmapBytes, 0);
 * ```
 *
 * @param process The process.
 * @param label What the step did.
 * @param step Its number.
 * @returns The step.
 */
export function breakStep(process: Process, label: string, step: number): BreakStep {
  stringOption("label", label);
  integerOption("step", step);
  const brk = process.space.brk;
  return {
    step,
    label,
    brk,
    heapSize: brk - process.space.startBrk,
    mmapBytes: Math.max(0, anonymousBytes(process) - startupAnonymousBytes(process)),
  };
}

/** Options of {@linkcode breakChart}. */
export interface BreakChartOptions {
  /** Chart title (default "Memory from the kernel, step by step"). */
  readonly title?: string;
  /** Plot width in pixels (default 520). */
  readonly width?: number;
}

/**
 * Charts heap size (brk − start_brk) and mmapped bytes over steps, in KiB, with the break itself
 * in the tooltip.
 *
 * @example
 * ```ts
 * import { breakChart } from "./break_chart.ts";
 * import assert from "node:assert/strict";
 *
 * const chart = breakChart([
 *   { step: 0, label: "start", brk: 0x804b000, heapSize: 0, mmapBytes: 0 },
 *   { step: 1, label: "brk(+4096)", brk: 0x804c000, heapSize: 4096, mmapBytes: 0 },
 * ]);
 * assert.equal((chart.spec.data as { values: unknown[] }).values.length, 4);
 * ```
 *
 * @param steps The steps, in order.
 * @param options Title and width.
 * @returns The chart.
 */
export function breakChart(steps: readonly BreakStep[], options: BreakChartOptions = {}): Chart {
  arrayOption("steps", steps, "an array of break steps");
  const o = viewOptions(options, ["title", "width"]);
  stringOption("title", o.title);
  integerOption("width", o.width, 1);
  const series = [
    ["heap (brk − start_brk)", (s: BreakStep) => s.heapSize],
    ["anonymous mmaps", (s: BreakStep) => s.mmapBytes],
  ] as const;
  const values = steps.flatMap((s) =>
    series.map(([name, get]) => ({
      step: s.step,
      stepLabel: `${s.step}. ${s.label}`,
      label: s.label,
      series: name,
      bytes: get(s),
      KiB: get(s) / 1024,
      size: heapBytes(get(s)),
      brk: hex(s.brk),
    }))
  );
  const order = steps.map((s) => `${s.step}. ${s.label}`);
  const encoding = {
    x: {
      field: "stepLabel",
      type: "ordinal",
      sort: order,
      title: "step",
      axis: { labelAngle: -30, labelLimit: 180 },
    },
    y: { field: "KiB", type: "quantitative", title: "KiB" },
    color: {
      field: "series",
      type: "nominal",
      scale: { domain: series.map(([name]) => name), range: ["#e15759", "#f28e2b"] },
      legend: { title: null, orient: "top", labelLimit: 300 },
    },
    tooltip: [
      { field: "label", title: "step" },
      { field: "series", title: "what" },
      { field: "size", title: "size" },
      { field: "brk", title: "break" },
    ],
  };
  return new Chart({
    title: options.title ?? "Memory from the kernel, step by step",
    width: options.width ?? 520,
    height: 220,
    data: { values },
    encoding,
    layer: [
      { mark: { type: "line", interpolate: "step-after" } },
      { mark: { type: "point", filled: true, size: 50 } },
    ],
  });
}
