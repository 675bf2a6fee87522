/**
 * A real run of an example program next to a simulated process replaying it. The simulated
 * process starts from the real program's first maps dump (`new Process({ initialMaps })`); each
 * {@linkcode RealVsSimulated.step} makes the program's next calls on it and compares its maps with
 * the real program's maps at that step.
 *
 * The first dump of a real program already has a `[heap]`: stdout is a pipe, so stdio's buffer
 * was malloc'd by the first printf. The simulation starts with the break at that heap's start
 * and re-creates the heap with one `brk` — the call glibc made for the buffer — so that the
 * simulated `[heap]` is a brk area that later `brk` calls extend, as the kernel's is.
 *
 * @module
 */

import { integerArgument } from "../kernel/arguments.ts";
import { parseMaps } from "../kernel/maps.ts";
import { Allocator } from "../malloc/allocator.ts";
import { Process } from "../kernel/process.ts";
import { addressSpaceChart } from "./address_space_chart.ts";
import { type Chart, JUPYTER_DISPLAY } from "./chart.ts";
import { type MapsSnapshot, snapshotFromText } from "./maps_snapshot.ts";
import { MapsTable } from "./maps_table.ts";
import { dataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { compareMaps, type MapsComparison } from "./maps_compare.ts";
import { Notice } from "./notice.ts";
import {
  booleanOption,
  choiceOption,
  functionArgument,
  integerOption,
  objectOption,
  stringOption,
  textArgument,
  viewOptions,
} from "./options.ts";
import { type RealRun, type RealRunOptions, runRealProgram } from "./real_run.ts";

/** Options of {@linkcode simulateFromMaps}. */
export interface SimulateFromMapsOptions {
  /** The process's architecture (default `x86_64`). */
  readonly arch?: "x86_64" | "i386";
  /** The program break, when the program printed it (default: the end of `[heap]`). */
  readonly brk?: number;
  /**
   * Re-create a `[heap]` the maps show with one `brk` (default true). Without, the break stays at
   * the heap's start and the heap is left out, for an allocator to make it again.
   */
  readonly recreateHeap?: boolean;
}

/**
 * A simulated process in the state a real maps text shows. Without a `[heap]` the break is the
 * end of the program's last area (its data, or the anonymous rest of its .bss), where the kernel
 * puts start_brk with ASLR off.
 *
 * @example
 * ```ts
 * import { simulateFromMaps } from "./real_vs_simulated.ts";
 * import assert from "node:assert/strict";
 *
 * const maps = "56555000-56556000 r--p 00000000 fe:00 7        /tmp/p\n" +
 *   "56556000-56577000 rw-p 00000000 00:00 0        [heap]\n";
 * const proc = simulateFromMaps(maps, { arch: "i386" });
 * assert.equal(proc.sbrk(0), 0x56577000);
 * ```
 *
 * @param maps A /proc/PID/maps text.
 * @param options Architecture and break.
 * @returns The process; its log holds the one `brk` that re-created the heap, if any.
 */
export function simulateFromMaps(maps: string, options: SimulateFromMapsOptions = {}): Process {
  textArgument("maps", maps, "maps text");
  const o = viewOptions(options, ["arch", "brk", "recreateHeap"]);
  choiceOption("arch", o.arch, ["x86_64", "i386"]);
  integerOption("brk", o.brk);
  booleanOption("recreateHeap", o.recreateHeap);
  const arch = options.arch ?? "x86_64";
  const lines = maps.split("\n");
  const { regions } = parseMaps(maps);
  const heap = regions.find((r) => r.name === "[heap]");
  if (heap) {
    const rest = lines.filter((l) => !/\s\[heap\]\s*$/.test(l)).join("\n");
    const proc = new Process({
      initialMaps: `# initial break ${hex(heap.start)}\n${rest}`,
      arch,
    });
    if (options.recreateHeap ?? true) proc.sys.brk(options.brk ?? heap.end);
    return proc;
  }
  let brk = options.brk;
  if (brk === undefined) {
    const program = regions.find((r) => r.name !== "" && !r.name.startsWith("["));
    let last = regions.findLastIndex((r) => r.name === program?.name);
    if (regions[last + 1]?.name === "" && regions[last + 1].start === regions[last].end) last++;
    brk = last >= 0 ? regions[last].end : 0;
  }
  return new Process({ initialMaps: `# initial break ${hex(brk)}\n${maps}`, arch });
}

/** Options of {@linkcode RealVsSimulated}. */
export interface RealVsSimulatedOptions {
  /** The program break, when the program printed it. */
  readonly brk?: number;
  /**
   * Simulate this glibc version's allocator (e.g. the machine's, `Toolchain.glibc`):
   * the simulated process starts without the real `[heap]`, and glibc's first printf makes it.
   */
  readonly glibc?: string;
}

/** Stands in for the allocator of a pair made without `glibc`: any use says so. */
const NO_ALLOCATOR = new Proxy({}, {
  get() {
    throw new Error("This real-vs-simulated pair has no allocator: make it with { glibc }");
  },
}) as Allocator;

/** One compared step. */
export interface ComparedStep {
  /** The real program's label for it. */
  readonly label: string;
  /** The comparison of the real and simulated maps. */
  readonly comparison: MapsComparison;
}

/**
 * A real run and its simulated replay, compared step by step. Displays as the real run's output;
 * when the run could not happen, every method returns the reason as a skipped notice.
 */
export class RealVsSimulated {
  /** The real run, or why there is none. */
  readonly run: RealRun | Notice;
  /** The simulated process (none without a real run). */
  readonly simulated?: Process;
  /** The simulated glibc allocator, when the pair was made with a glibc version. */
  readonly allocator?: Allocator;
  #steps: ComparedStep[] = [];
  #snapshots: MapsSnapshot[] | undefined;
  #problem: Notice | undefined;

  /**
   * Pairs a real run with a simulated process started from its first maps.
   *
   * @param run The real run, or a skipped notice.
   * @param options The break, when the program printed it; the glibc version to simulate.
   */
  constructor(run: RealRun | Notice, options: RealVsSimulatedOptions = {}) {
    objectOption("run", run, "a RealRun or a Notice", (v) => v instanceof Notice || "dumps" in v);
    // realVsSimulated passes its run options on too.
    const o = viewOptions(options, ["brk", "glibc", "toolchain", "arch", "sourceDir"]);
    integerOption("brk", o.brk);
    stringOption("glibc", o.glibc);
    this.run = run;
    if (run instanceof Notice || run.dumps.length === 0) return;
    const first = run.dumps[0].maps;
    if (options.glibc === undefined) {
      this.simulated = simulateFromMaps(first, { arch: run.arch, brk: options.brk });
      return;
    }
    // The heap glibc made for stdout's buffer is made again, by the simulated glibc.
    const process = simulateFromMaps(first, { arch: run.arch, recreateHeap: false });
    try {
      this.allocator = new Allocator(process, { glibc: options.glibc });
    } catch (error) {
      this.#problem = new Notice(
        `this machine's glibc is not simulated: ${(error as Error).message}`,
        "skipped",
      );
      return;
    }
    if (/\[heap\]/.test(first)) this.allocator.printf({ stdout: "pipe" });
    this.simulated = process;
  }

  /** The steps compared so far. */
  get steps(): readonly ComparedStep[] {
    return this.#steps;
  }

  #skip(): Notice | undefined {
    if (this.run instanceof Notice) return this.run;
    if (this.#problem) return this.#problem;
    if (!this.simulated) return new Notice("the real program printed no maps", "skipped");
    if (this.#steps.length >= this.run.dumps.length) {
      return new Notice(`the real program printed only ${this.run.dumps.length} maps`, "skipped");
    }
    return undefined;
  }

  /**
   * Makes the program's next calls on the simulated process and compares its maps with the real
   * program's maps at that step.
   *
   * @param calls What the program did before printing the next maps, given the simulated
   *   process and its allocator (which throws when used on a pair made without `glibc`).
   * @returns The comparison, or a skipped notice.
   */
  step(calls: (process: Process, allocator: Allocator) => unknown): MapsComparison | Notice {
    functionArgument("calls", calls);
    const skip = this.#skip();
    if (skip) return skip;
    const run = this.run as RealRun;
    calls(this.simulated!, this.allocator ?? NO_ALLOCATOR);
    const dump = run.dumps[this.#steps.length];
    const comparison = compareMaps(dump.maps, this.simulated!.maps(), {
      labels: [`real ${run.program}`, "simulated"],
      title: dump.label,
    });
    this.#steps.push({ label: dump.label, comparison });
    return comparison;
  }

  /**
   * The real program's maps at one step, as a table marked with the changes since the step
   * before.
   *
   * @param index The step, from 0.
   * @returns The table, or a skipped notice.
   */
  realTable(index: number): MapsTable | Notice {
    integerArgument("index", index, 0, Number.MAX_SAFE_INTEGER);
    const snapshots = this.#realSnapshots();
    if (snapshots instanceof Notice) return snapshots;
    if (index >= snapshots.length) {
      return new Notice(`the real program printed only ${snapshots.length} maps`, "skipped");
    }
    return new MapsTable(snapshots[index], { previous: snapshots[index - 1] });
  }

  /**
   * The real program's address space at one step, as a chart.
   *
   * @param index The step, from 0.
   * @returns The chart, or a skipped notice.
   */
  realChart(index: number): Chart | Notice {
    integerArgument("index", index, 0, Number.MAX_SAFE_INTEGER);
    const snapshots = this.#realSnapshots();
    if (snapshots instanceof Notice) return snapshots;
    if (index >= snapshots.length) {
      return new Notice(`the real program printed only ${snapshots.length} maps`, "skipped");
    }
    const run = this.run as RealRun;
    return addressSpaceChart(snapshots[index], {
      title: `The real ${run.program} (${run.arch}): ${snapshots[index].label}`,
    });
  }

  /**
   * The first line the real program printed that starts with `prefix`.
   *
   * @param prefix The start of the line, e.g. `mmap returned`.
   * @returns The line, or a note that there is no real run or no such line.
   */
  printedLine(prefix: string): string {
    if (this.run instanceof Notice) return "(no real run)";
    return this.run.printed.find((l) => l.startsWith(prefix)) ?? `(no line "${prefix}…")`;
  }

  #realSnapshots(): MapsSnapshot[] | Notice {
    if (this.run instanceof Notice) return this.run;
    if (!this.#snapshots) {
      const dumps = this.run.dumps;
      this.#snapshots = dumps.map((d) =>
        snapshotFromText(d.maps, { label: d.label, initial: dumps[0].maps })
      );
    }
    return this.#snapshots;
  }

  /** A table: each step and how many of its lines are identical. */
  summary(): ReturnType<typeof dataTable> | Notice {
    if (this.run instanceof Notice) return this.run;
    if (this.#problem) return this.#problem;
    return dataTable(
      this.#steps.map((s, i) => ({
        step: i + 1,
        "real program's label": s.label,
        "identical lines": `${s.comparison.identicalCount} of ${s.comparison.lines.length}`,
        verdict: s.comparison.identical ? "identical" : "differs",
      })),
      `${this.run.program} (${this.run.arch}): real vs simulated`,
    );
  }

  /** The real run's output, or why there is none. */
  toString(): string {
    return this.run.toString();
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The real run's display.
   */
  [JUPYTER_DISPLAY](): { "text/html": string; "text/plain": string } {
    return this.run[JUPYTER_DISPLAY]();
  }
}

/**
 * Runs an example program for real and starts its simulated replay.
 *
 * @param program `sbrk`, `mmap`, …
 * @param options Toolchain, architecture, sources; the break, if known; the glibc to simulate.
 * @returns The pair; skipped (with the reason) when the program cannot be built or run.
 */
export async function realVsSimulated(
  program: string,
  options: RealRunOptions & RealVsSimulatedOptions = {},
): Promise<RealVsSimulated> {
  textArgument("program", program, "an example program's name");
  const o = viewOptions(options, ["brk", "glibc", "toolchain", "arch", "sourceDir"]);
  integerOption("brk", o.brk);
  stringOption("glibc", o.glibc);
  choiceOption("arch", o.arch, ["x86_64", "i386"]);
  return new RealVsSimulated(await runRealProgram(program, options), options);
}
