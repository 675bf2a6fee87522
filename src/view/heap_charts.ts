/**
 * How the heap grows and shrinks over a sequence of allocator calls, as vega-lite charts: the
 * main heap's size (what brk gave malloc), the top chunk, the bytes in mmapped chunks and the
 * mmap threshold that adapts as they are freed; in-use, cached (tcache and fastbins), free and
 * top bytes stacked; and each arena's `system_mem`. The charts are drawn from a step log —
 * a {@linkcode HeapLog} — that measures the heap after each call, read from simulated memory.
 *
 * @module
 */

import { formatSyscall, type SyscallRecord } from "../kernel/syscall_log.ts";
import { Allocator } from "../malloc/allocator.ts";
import type { OperationRecord } from "../malloc/explain.ts";
import { isKernelTrace } from "../trace/parse.ts";
import { type ReplayOptions, type ReplayResult, replayTrace } from "../trace/replay.ts";
import { Chart, JUPYTER_DISPLAY } from "./chart.ts";
import { type DataTable, dataTable, type DataTableBundle } from "./data_table.ts";
import { heapBytes, hex } from "./format.ts";
import { arenaLabel, inspectOr } from "./heap_reading.ts";
import {
  arrayOption,
  booleanOption,
  functionArgument,
  integerOption,
  objectOption,
  stringOption,
  textArgument,
  viewOptions,
} from "./options.ts";

/** One arena at one step. */
export interface ArenaStep {
  /** The arena's name (`main_arena`, `arena 0x…`). */
  readonly arena: string;
  /** `system_mem`: bytes the arena got from the kernel. */
  readonly systemMem: number;
  /** Top chunk size. */
  readonly topSize: number;
  /** Bytes of chunks in use. */
  readonly inUse: number;
  /** Bytes of chunks cached in a tcache or a fastbin (free to the program, in use to the arena). */
  readonly cached: number;
  /** Bytes of free chunks in the unsorted, small and large bins. */
  readonly free: number;
}

/** The heap after one call. */
export interface HeapStep {
  /** Step number, 0 for the starting state. */
  readonly step: number;
  /** What the step did. */
  readonly label: string;
  /** The path that served the call (from its explain record), if known. */
  readonly served: string;
  /** The system calls the step made, as text. */
  readonly syscalls: readonly string[];
  /** The program break. */
  readonly brk: number;
  /** The main arena's brk heap: brk − the first break malloc saw (mp_.sbrk_base), 0 before. */
  readonly heapSize: number;
  /** The main arena's top chunk size. */
  readonly topSize: number;
  /** Bytes of mmapped chunks' mappings. */
  readonly mmapped: number;
  /** Number of mmapped chunks. */
  readonly mmappedCount: number;
  /** `mp_.mmap_threshold` after the step. */
  readonly mmapThreshold: number;
  /** `mp_.trim_threshold` after the step. */
  readonly trimThreshold: number;
  /** Every arena. */
  readonly arenas: readonly ArenaStep[];
}

/** Options of the charts of a {@linkcode HeapLog}. */
export interface HeapChartOptions {
  /** Chart title. */
  readonly title?: string;
  /** Plot width in pixels (default 560). */
  readonly width?: number;
  /** Label the x axis with each step's label (default: when there are at most 16 steps). */
  readonly labels?: boolean;
}

/** Measures an allocator's heap now. */
function measure(
  allocator: Allocator,
  step: number,
  label: string,
  served: string,
  syscalls: readonly string[],
): HeapStep {
  const arenas: ArenaStep[] = [];
  for (const a of allocator.arenas()) {
    let inUse = 0, cached = 0, free = 0;
    for (const c of inspectOr(() => allocator.chunks(a.address), [])) {
      if (c.state === "in use") inUse += c.size;
      else if (c.state === "tcache" || c.state === "fastbin") cached += c.size;
      else if (c.state === "free") free += c.size;
    }
    arenas.push({
      arena: arenaLabel(allocator, a.address),
      systemMem: a.systemMem,
      topSize: a.topSize,
      inUse,
      cached,
      free,
    });
  }
  const mmapped = allocator.mmappedChunks();
  const params = allocator.mallocParams();
  const brk = allocator.process.space.brk;
  return {
    step,
    label,
    served,
    syscalls,
    brk,
    heapSize: params.sbrkBase === 0 ? 0 : Math.max(0, brk - params.sbrkBase),
    topSize: arenas[0]?.topSize ?? 0,
    mmapped: mmapped.reduce((n, m) => n + m.length, 0),
    mmappedCount: mmapped.length,
    mmapThreshold: params.mmapThreshold,
    trimThreshold: params.trimThreshold,
    arenas,
  };
}

function xEncoding(steps: readonly HeapStep[], options: HeapChartOptions) {
  const labels = options.labels ?? steps.length <= 16;
  return labels
    ? {
      field: "stepLabel",
      type: "ordinal",
      sort: steps.map((s) => `${s.step}. ${s.label}`),
      title: "step",
      axis: { labelAngle: -35, labelLimit: 160 },
    }
    : { field: "step", type: "quantitative", title: "step", axis: { tickMinStep: 1 } };
}

function point(s: HeapStep, series: string, bytes: number) {
  return {
    step: s.step,
    stepLabel: `${s.step}. ${s.label}`,
    label: s.label,
    series,
    KiB: bytes / 1024,
    size: heapBytes(bytes),
    brk: hex(s.brk),
  };
}

const TOOLTIP = [
  { field: "label", title: "step" },
  { field: "series", title: "what" },
  { field: "size", title: "size" },
  { field: "brk", title: "break" },
];

/** Throws a typed error for the first bad option of a {@linkcode HeapLog} chart. */
function checkHeapChartOptions(options: HeapChartOptions | undefined): void {
  const o = viewOptions(options, ["title", "width", "labels"]);
  stringOption("title", o.title);
  integerOption("width", o.width, 1);
  booleanOption("labels", o.labels);
}

/**
 * A log of the heap after each step, for charts and a step table.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { heapLog } from "./heap_charts.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const log = heapLog(heap);
 * const p = log.run("malloc(16000)", () => heap.malloc(16000));
 * log.run("free", () => heap.free(p));
 * assert.equal(log.steps[1].heapSize, 0x21000);
 * assert.match(log.steps[1].syscalls[0], /^brk\(/);
 * assert.equal(log.growthChart().spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
 * ```
 */
export class HeapLog {
  /** The allocator measured. */
  readonly allocator: Allocator;
  readonly #steps: HeapStep[] = [];

  /**
   * Starts a log with the allocator's state now as step 0.
   *
   * @param allocator The allocator.
   * @param label What the starting state is (default "start").
   */
  constructor(allocator: Allocator, label = "start") {
    objectOption("allocator", allocator, "an Allocator", (v) => "lastRecord" in v);
    stringOption("label", label);
    this.allocator = allocator;
    this.#steps.push(measure(allocator, 0, label, "", []));
  }

  /** The steps so far, the starting state first. */
  get steps(): readonly HeapStep[] {
    return this.#steps;
  }

  /** The last step. */
  get last(): HeapStep {
    return this.#steps[this.#steps.length - 1];
  }

  /**
   * Measures the heap now as a step (after calls made outside {@linkcode HeapLog.run}).
   *
   * @param label What the step did.
   * @param served The path that served it, if known.
   * @param syscalls The system calls it made, as text.
   * @returns The step.
   */
  record(label: string, served = "", syscalls: readonly string[] = []): HeapStep {
    textArgument("label", label);
    stringOption("served", served);
    arrayOption("syscalls", syscalls, "an array of strings", textArgument);
    const step = measure(this.allocator, this.#steps.length, label, served, syscalls);
    this.#steps.push(step);
    return step;
  }

  /**
   * Makes a call and records the heap after it, with the path that served it and its system
   * calls (from the allocator's explain record).
   *
   * @param label What the call is.
   * @param call The call.
   * @returns What the call returned.
   */
  run<T>(label: string, call: () => T): T {
    textArgument("label", label);
    functionArgument("call", call);
    const before = this.allocator.lastRecord;
    const seq = this.allocator.process.syscalls.lastSeq;
    const value = call();
    const rec = this.allocator.lastRecord;
    const served = rec && rec !== before ? rec.served : "";
    const calls = this.allocator.process.syscalls.since(seq).map(formatSyscall);
    this.record(label, served, calls);
    return value;
  }

  /**
   * The main heap, its top chunk, the mmapped chunks and the mmap threshold over the steps.
   *
   * @param options Title, width, axis labels.
   * @returns The chart.
   */
  growthChart(options: HeapChartOptions = {}): Chart {
    checkHeapChartOptions(options);
    const series = [
      ["main heap (brk − sbrk_base)", (s: HeapStep) => s.heapSize, "#e15759"],
      ["top chunk (main_arena)", (s: HeapStep) => s.topSize, "#4e79a7"],
      ["mmapped chunks", (s: HeapStep) => s.mmapped, "#f28e2b"],
      ["mmap threshold", (s: HeapStep) => s.mmapThreshold, "#76b7b2"],
    ] as const;
    const values = this.#steps.flatMap((s) => series.map(([name, get]) => point(s, name, get(s))));
    return new Chart({
      title: options.title ?? "Heap growth, step by step",
      width: options.width ?? 560,
      height: 240,
      data: { values },
      mark: { type: "line", interpolate: "step-after", point: true },
      encoding: {
        x: xEncoding(this.#steps, options),
        y: { field: "KiB", type: "quantitative", title: "KiB" },
        color: {
          field: "series",
          type: "nominal",
          scale: { domain: series.map(([n]) => n), range: series.map(([, , c]) => c) },
          legend: { title: null, orient: "top", labelLimit: 300 },
        },
        strokeDash: {
          field: "series",
          type: "nominal",
          scale: { domain: series.map(([n]) => n), range: [[1, 0], [1, 0], [1, 0], [4, 3]] },
          legend: { title: null, orient: "top", labelLimit: 300 },
        },
        tooltip: TOOLTIP,
      },
    });
  }

  /**
   * Bytes in use, cached (tcache and fastbins), free in bins and in top chunks, summed over the
   * arenas, stacked per step.
   *
   * @param options Title, width, axis labels.
   * @returns The chart.
   */
  usageChart(options: HeapChartOptions = {}): Chart {
    checkHeapChartOptions(options);
    const series = [
      ["in use", (a: ArenaStep) => a.inUse, "#4e79a7"],
      ["cached (tcache, fastbins)", (a: ArenaStep) => a.cached, "#b07aa1"],
      ["free in bins", (a: ArenaStep) => a.free, "#59a14f"],
      ["top", (a: ArenaStep) => a.topSize, "#bab0ac"],
    ] as const;
    const values = this.#steps.flatMap((s) =>
      series.map(([name, get], order) => ({
        ...point(s, name, s.arenas.reduce((n, a) => n + get(a), 0)),
        order,
      }))
    );
    return new Chart({
      title: options.title ?? "Where the arenas' bytes are",
      width: options.width ?? 560,
      height: 240,
      data: { values },
      mark: "bar",
      encoding: {
        x: xEncoding(this.#steps, { ...options, labels: options.labels ?? true }),
        y: { field: "KiB", type: "quantitative", title: "KiB", stack: "zero" },
        color: {
          field: "series",
          type: "nominal",
          scale: { domain: series.map(([n]) => n), range: series.map(([, , c]) => c) },
          legend: { title: null, orient: "top", labelLimit: 300 },
        },
        order: { field: "order", type: "quantitative" },
        tooltip: TOOLTIP,
      },
    });
  }

  /**
   * Each arena's `system_mem` (bytes from the kernel) over the steps.
   *
   * @param options Title, width, axis labels.
   * @returns The chart.
   */
  arenaChart(options: HeapChartOptions = {}): Chart {
    checkHeapChartOptions(options);
    const values = this.#steps.flatMap((s) =>
      s.arenas.map((a) => point(s, `${a.arena} system_mem`, a.systemMem))
    );
    return new Chart({
      title: options.title ?? "Memory of each arena",
      width: options.width ?? 560,
      height: 200,
      data: { values },
      mark: { type: "line", interpolate: "step-after", point: true },
      encoding: {
        x: xEncoding(this.#steps, options),
        y: { field: "KiB", type: "quantitative", title: "KiB" },
        color: { field: "series", type: "nominal", legend: { title: null, orient: "top" } },
        tooltip: TOOLTIP,
      },
    });
  }

  /** The steps as a table: what, served by, system calls, break, sizes, threshold. */
  stepTable(): DataTable {
    return dataTable(this.#steps.map((s) => ({
      step: s.step,
      what: s.label,
      "served by": s.served,
      "system calls": s.syscalls.join("; "),
      "heap": heapBytes(s.heapSize),
      "top": hex(s.topSize),
      "mmapped": heapBytes(s.mmapped),
      "mmap threshold": hex(s.mmapThreshold),
    })));
  }

  /** The step table as text. */
  toString(): string {
    return this.stepTable().toString();
  }

  /**
   * The media bundle Deno's Jupyter kernel displays: the step table.
   *
   * @returns The table as HTML and text.
   */
  [JUPYTER_DISPLAY](): DataTableBundle {
    return this.stepTable()[JUPYTER_DISPLAY]();
  }
}

/**
 * Starts a {@linkcode HeapLog} of an allocator.
 *
 * @param allocator The allocator.
 * @param label What its state is now (default "start").
 * @returns The log.
 */
export function heapLog(allocator: Allocator, label?: string): HeapLog {
  return new HeapLog(allocator, label);
}

/** Trace operations that change the heap or the address space (a step each). */
const STEP_OPS = new Set([
  "malloc",
  "calloc",
  "realloc",
  "memalign",
  "free",
  "trim",
  "mallopt",
  "thread",
  "join",
  "sbrk",
  "mmap",
  "munmap",
  "mprotect",
]);

/** The signal each way a replay can end early stands for. */
const exitSignal: Readonly<Record<"abort" | "segfault" | "hang", string>> = {
  abort: "SIGABRT",
  segfault: "SIGSEGV",
  // The oracle's driver ends a call that never returns with its alarm.
  hang: "SIGALRM",
};

/**
 * Replays a heap trace (the oracle's format) on heaplab's allocator and logs the heap after
 * each operation; each step is labelled with its trace line.
 *
 * @example
 * ```ts
 * import { replayWithLog } from "./heap_charts.ts";
 * import assert from "node:assert/strict";
 *
 * const { log, replay } = replayWithLog("malloc 0 200000\nfree 0\n", { glibc: "2.36" });
 * assert.equal(replay.status, 0);
 * assert.equal(log.steps[1].mmappedCount, 1);
 * assert.equal(log.steps[2].mmapThreshold, 200704); // raised to the freed chunk's size
 * ```
 *
 * @param trace The trace text.
 * @param options glibc version, architecture, starting state (as for `replayTrace`).
 * @returns The log and the replay's result.
 */
export function replayWithLog(
  trace: string,
  options: Omit<ReplayOptions, "allocator" | "onLine" | "onEvent" | "onStop"> = {},
): { log: HeapLog; replay: ReplayResult } {
  textArgument("trace", trace, "trace text");
  const sources = trace.split("\n");
  let log: HeapLog | undefined;
  let lastRecord: OperationRecord | undefined;
  const record = (line: number, op: string, calls: readonly SyscallRecord[], signal?: string) => {
    const source = sources[line - 1]?.replace(/#.*/, "").trim() || op;
    const rec = log!.allocator.lastRecord;
    const served = signal ? signal : rec !== lastRecord ? rec?.served ?? "" : "";
    lastRecord = rec;
    log!.record(signal ? `${source} (${signal})` : source, served, calls.map(formatSyscall));
  };
  const replay = replayTrace(trace, {
    ...options,
    allocator: (process, { glibc, nprocs }) => {
      const allocator = new Allocator(process, { glibc, nprocs });
      // The replay starts a heap trace's break at a HEAP_MAX_SIZE boundary, as the oracle's
      // driver does; doing it here first keeps that sbrk out of the first step.
      if (!isKernelTrace(trace)) {
        const brk = process.sbrk(0), max = allocator.heapMaxSize;
        const want = Math.ceil(brk / max) * max;
        if (want !== brk) process.sbrk(want - brk);
      }
      log = new HeapLog(allocator);
      return allocator;
    },
    recordSyscalls: true,
    onEvent: (event) => {
      if (!log || !STEP_OPS.has(event.op.kind)) return;
      record(event.line, event.op.kind, event.syscalls);
    },
    onStop: (stop) => {
      if (!log || stop.kind === "error") return;
      record(stop.line, stop.kind, stop.syscalls, exitSignal[stop.kind]);
    },
  });
  if (!log) throw new Error("The replay built no allocator");
  return { log, replay };
}
