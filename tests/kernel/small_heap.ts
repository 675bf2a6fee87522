/**
 * Runs a test program in a child Deno process whose JavaScript heap is made small, for the tests
 * of what the simulation keeps when the heap is nearly full (`src/kernel/heap_budget.ts`).
 */

import assert from "node:assert/strict";

/** Old generation of the child's heap, MiB (V8 reports a limit 96 MiB higher under Deno). */
export const SMALL_HEAP_MIB = 512;

/** Runs `program` with `args` in a small heap; asserts it exited 0; its stdout, parsed as JSON. */
export async function runInSmallHeap<T>(program: URL, args: string[]): Promise<T> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=--max-old-space-size=${SMALL_HEAP_MIB}`,
      program.pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr).slice(-2000));
  return JSON.parse(new TextDecoder().decode(run.stdout));
}
