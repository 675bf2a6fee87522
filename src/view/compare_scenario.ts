/**
 * A scenario — steps that call the allocator and may write memory, for what a trace cannot say
 * (freeing twice, writing into a chunk, as an exploit does) — run on several glibc versions,
 * each on a fresh process, and compared step by step.
 *
 * @module
 */

import { Process } from "../kernel/process.ts";
import { exitStatusOf, fatalSignalOf } from "../kernel/signals.ts";
import { Allocator } from "../malloc/allocator.ts";
import { hex } from "./format.ts";
import { arrayOption, objectOption } from "./options.ts";
import {
  checkCompareOptions,
  COMPARED_VERSIONS,
  type CompareOptions,
  rowDiffers,
  VersionComparison,
  type VersionOutcome,
} from "./version_comparison.ts";

/** What a scenario's steps get: the allocator of the version being run, and shared names. */
export interface ScenarioContext {
  /** The allocator. */
  readonly heap: Allocator;
  /** Its process (memory, threads, maps). */
  readonly process: Process;
  /** Pointers the steps keep by name. */
  readonly ptr: Record<string, number>;
}

/** One step of a scenario: a label and what it does; a returned value is shown. */
export interface ScenarioStep {
  /** What the step does, in C (`a = malloc(24)`). */
  readonly label: string;
  /** The step; a number it returns shows as a pointer or a value, a string as is. */
  readonly run: (context: ScenarioContext) => number | string | void;
}

/** A number as a scenario shows it: NULL, an offset into the main heap, or hex. */
export function valueText(heap: Allocator, value: number | string | void): string {
  if (value === undefined) return "ok";
  if (typeof value === "string") return value;
  if (value === 0) return "NULL";
  const base = heap.mallocParams().sbrkBase;
  const brk = heap.process.space.brk;
  if (base !== 0 && value >= base && value < brk) return `heap+${hex(value - base)}`;
  return value < 0 ? String(value) : hex(value);
}

/**
 * Runs a scenario — steps that call the allocator and may write memory — on each version, each
 * on a fresh process, and compares what the steps return. A step that aborts (or faults) stops
 * that version's run.
 *
 * @example
 * ```ts
 * import { compareScenario } from "./compare_scenario.ts";
 * import assert from "node:assert/strict";
 *
 * const c = compareScenario([
 *   { label: "a = malloc(24)", run: ({ heap, ptr }) => (ptr.a = heap.malloc(24)) },
 *   { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
 *   { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
 * ], { versions: ["2.23", "2.36"] });
 * assert.equal(c.outcome("2.23").message, "double free or corruption (fasttop)");
 * assert.equal(c.outcome("2.36").message, "free(): double free detected in tcache 2");
 * ```
 *
 * @param steps The steps.
 * @param options Versions, architecture, caption.
 * @returns The comparison.
 */
export function compareScenario(
  steps: readonly ScenarioStep[],
  options: CompareOptions = {},
): VersionComparison {
  arrayOption("steps", steps, "an array of { label, run } steps", (name, step) => {
    objectOption(name, step, "a { label, run } step", (v) => "run" in v);
  });
  checkCompareOptions(options);
  const versions = options.versions ?? COMPARED_VERSIONS;
  const arch = options.arch ?? "x86_64";
  const results = steps.map(() => ({} as Record<string, string | undefined>));
  const outcomes: VersionOutcome[] = [];
  for (const glibc of versions) {
    const process = new Process({ layout: arch });
    const heap = new Allocator(process, { glibc });
    const context: ScenarioContext = { heap, process, ptr: {} };
    let outcome: VersionOutcome = { glibc, status: 0 };
    for (let i = 0; i < steps.length; i++) {
      try {
        results[i][glibc] = valueText(heap, steps[i].run(context));
      } catch (e) {
        const signal = fatalSignalOf(e);
        if (!signal) throw e;
        const message = (e as Error).message;
        results[i][glibc] = `${signal === "SIGABRT" ? "abort" : "segfault"}: ${message}`;
        outcome = {
          glibc,
          status: exitStatusOf(signal),
          signal,
          message,
          stoppedAt: i,
        };
        break;
      }
    }
    outcomes.push(outcome);
  }
  const rows = steps.map((s, i) => ({
    line: i + 1,
    source: s.label,
    results: results[i],
    differs: rowDiffers(results[i], versions),
  }));
  return new VersionComparison(
    versions,
    rows,
    outcomes,
    options.title ?? `One program on glibc ${versions.join(", ")} (${arch})`,
  );
}
