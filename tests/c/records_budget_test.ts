/**
 * A C program's explain records stop being kept when the JavaScript heap is nearly full, and the
 * program runs to its end instead of the process ending at V8's heap limit: run in a child
 * process whose heap is made small (512 MiB of old generation).
 */

import assert from "node:assert/strict";
import { runInSmallHeap } from "../kernel/small_heap.ts";

Deno.test("a C loop with more calls than the heap holds records for runs to its end", async () => {
  const iterations = 1_000_000;
  const program = new URL("./records_budget_program.ts", import.meta.url);
  const r = await runInSmallHeap<
    { state: string; stdout: string; records: number; recordsFull: string }
  >(program, [String(iterations)]);
  assert.equal(r.state, "exited");
  assert.equal(r.stdout, `${iterations}\n`);
  assert.ok(r.records > 100_000 && r.records < 2 * iterations, `${r.records} records`);
  assert.match(
    r.recordsFull,
    /^the JavaScript heap held \d+ of its \d+ MiB after \d+ explain records: later calls/,
  );
});
