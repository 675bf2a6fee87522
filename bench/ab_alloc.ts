/**
 * A/B of the simulated allocator on a loaded machine: the allocator of another checkout (`BASE`,
 * e.g. `git archive <commit> | tar -x -C /tmp/base`) against this one, on the same pre-parsed
 * heap operations, in one process, runs interleaved, fastest of N each. Load that comes and goes
 * hits both sides alike, which separate processes minutes apart do not.
 *
 *     deno run -A bench/ab_alloc.ts BASE TRACE [RUNS] [on]
 *
 * `on` builds every explain record. Prints the fastest wall time of each side and their ratio.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseAll, runAllocator, type SimulatorClasses } from "../tools/bench.ts";

const [baseDir, trace, runsArg, explainArg] = Deno.args;
if (!baseDir || !trace) {
  console.error("usage: deno run -A bench/ab_alloc.ts BASE TRACE [RUNS] [on]");
  Deno.exit(2);
}
const runs = Number(runsArg ?? 5);
const explain = explainArg === "on";
const base = resolve(baseDir);
const { Allocator: BaseAllocator } = await import(`file://${base}/src/malloc/allocator.ts`);
const { Process: BaseProcess } = await import(`file://${base}/src/kernel/process.ts`);
// `profile` named the layout before 0c0c6ba, so older checkouts can be the base too.
// Typed as this checkout's classes: the base's are the same API, from other files.
const baseClasses = {
  Process: class extends BaseProcess {
    // deno-lint-ignore no-explicit-any
    constructor(options: any) {
      super({ ...options, profile: options.layout });
    }
  },
  Allocator: BaseAllocator,
} as unknown as SimulatorClasses;

// The same pre-parsed operations and the same loop as `deno task bench`'s allocator-alone row.
const lines = Deno.readTextFileSync(trace).split("\n");
const ops = parseAll(lines);
const run = (classes?: SimulatorClasses) => runAllocator(ops, explain, classes).seconds * 1000;

let fastestBase = Infinity, fastestThis = Infinity;
for (let i = 0; i < runs; i++) {
  fastestBase = Math.min(fastestBase, run(baseClasses));
  fastestThis = Math.min(fastestThis, run());
}
console.log(
  `${trace.split("/").pop()}, explain ${explain ? "on" : "off"}, fastest of ${runs}: ` +
    `base ${fastestBase.toFixed(0)} ms, this ${fastestThis.toFixed(0)} ms, ` +
    `this/base ${(fastestThis / fastestBase).toFixed(3)}`,
);
