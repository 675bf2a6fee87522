/**
 * The machine heaplab runs on, as opposed to the simulated one: finding gcc and setarch, and
 * compiling and running the seed's example C programs for real with ASLR off, so that their
 * /proc/self/maps can be set beside the simulation's.
 *
 * May import: nothing outside `src/host/` (it uses Deno's subprocess API).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRunOutput } from "./mod.ts";
 *
 * const out = parseRunOutput("hi\n----- /proc/self/maps: start -----\n1000-2000 r--p 0 0:0 0\n-----\n");
 * assert.deepEqual(out.printed, ["hi"]);
 * assert.equal(out.dumps[0].label, "start");
 * ```
 *
 * @module
 */

export {
  findToolchainInfo,
  type MapsDump,
  missingTools,
  type ParsedRunOutput,
  parseRunOutput,
  type ProgramRun,
  type ProgramRunOptions,
  runProgram,
  type ToolchainInfo,
  toolchainSkipReason,
} from "./real_run.ts";
