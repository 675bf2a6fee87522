/**
 * Step-by-step viewing of one process, the way the seed material pauses a program and runs
 * `cat /proc/PID/maps`: each {@linkcode MapsWatch.table} shows the maps with what changed since
 * the previous step and the system calls that changed it, and remembers the program break for a
 * {@linkcode breakChart} of all the steps.
 *
 * @module
 */

import { formatSyscall } from "../kernel/syscall_log.ts";
import type { Process } from "../kernel/process.ts";
import { breakChart, type BreakChartOptions, type BreakStep, breakStep } from "./break_chart.ts";
import { type Chart, JUPYTER_DISPLAY } from "./chart.ts";
import { type DataTable, dataTable, type DataTableBundle } from "./data_table.ts";
import { heapBytes, hex } from "./format.ts";
import { type MapsSnapshot, snapshotMaps } from "./maps_snapshot.ts";
import { MapsTable } from "./maps_table.ts";
import { stringOption, textArgument } from "./options.ts";
import { type SyscallTable, syscallTable } from "./syscall_table.ts";

/**
 * Watches a process between steps.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { watchMaps } from "./maps_watch.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "sbrk" });
 * const watch = watchMaps(proc);
 * proc.sys.brk(proc.sbrk(0) + 4096);
 * const table = watch.table("after brk(+4096)");
 * assert.equal(table.note, "system calls: brk(0x804c000) = 0x804c000");
 * assert.equal(watch.steps.at(-1)?.heapSize, 4096);
 * ```
 */
export class MapsWatch {
  /** The process watched. */
  readonly process: Process;
  /** The maps when the watch began. */
  readonly first: MapsSnapshot;
  #last: MapsSnapshot;
  #steps: BreakStep[];

  /**
   * Starts watching a process.
   *
   * @param process The process to watch.
   * @param label What its state is now (default "start").
   */
  constructor(process: Process, label = "start") {
    stringOption("label", label);
    this.process = process;
    this.first = this.#last = snapshotMaps(process, label);
    this.#steps = [breakStep(process, label, 0)];
  }

  /** The maps at the last step. */
  get last(): MapsSnapshot {
    return this.#last;
  }

  /** Every step so far, the starting state first. */
  get steps(): readonly BreakStep[] {
    return this.#steps;
  }

  /**
   * Ends a step: the maps now, marked with the changes since the previous step, with the
   * system calls made in between as a note.
   *
   * @param label What the step did.
   * @returns The table.
   */
  table(label: string): MapsTable {
    textArgument("label", label);
    const previous = this.#last;
    const calls = this.process.syscalls.since(previous.syscallSeq ?? 0);
    const note = calls.length === 0
      ? "no system calls"
      : `system calls: ${calls.map(formatSyscall).join("; ")}`;
    this.record(label);
    return new MapsTable(this.#last, { previous, note });
  }

  /**
   * Ends a step without showing its maps (for the break chart).
   *
   * @param label What the step did.
   * @returns The watch, which displays as the table of its steps.
   */
  record(label: string): this {
    textArgument("label", label);
    this.#last = snapshotMaps(this.process, label);
    this.#steps.push(breakStep(this.process, label, this.#steps.length));
    return this;
  }

  /** The steps so far as a table: the break, the heap's size and the mmapped bytes. */
  stepTable(): DataTable {
    return dataTable(
      this.#steps.map((s) => ({
        step: s.step,
        what: s.label,
        break: hex(s.brk),
        "heap (brk − start_brk)": heapBytes(s.heapSize),
        "anonymous mmaps": heapBytes(s.mmapBytes),
      })),
    );
  }

  /** The steps as text. */
  toString(): string {
    return this.stepTable().toString();
  }

  /**
   * The media bundle Deno's Jupyter kernel displays: the table of steps.
   *
   * @returns The table as HTML and text.
   */
  [JUPYTER_DISPLAY](): DataTableBundle {
    return this.stepTable()[JUPYTER_DISPLAY]();
  }

  /** Every system call since the watch began. */
  syscalls(): SyscallTable {
    return syscallTable(this.process, { since: this.first });
  }

  /**
   * The break and mmapped bytes over the steps so far.
   *
   * @param options Title and width.
   * @returns The chart.
   */
  breakChart(options: BreakChartOptions = {}): Chart {
    return breakChart(this.#steps, options);
  }
}

/**
 * Starts watching a process (see {@linkcode MapsWatch}).
 *
 * @param process The process.
 * @param label What its state is now (default "start").
 * @returns The watch.
 */
export function watchMaps(process: Process, label?: string): MapsWatch {
  return new MapsWatch(process, label);
}
