/**
 * A history stops taking steps when the JavaScript heap is nearly full, instead of the process
 * ending at V8's heap limit: run in a child process whose heap is made small (512 MiB of old
generation; V8 adds the young generation's to the limit it reports, 96 MiB more under Deno).
 */

import assert from "node:assert/strict";
import { HEAP_SHARE } from "../../src/kernel/heap_budget.ts";
import { runInSmallHeap, SMALL_HEAP_MIB } from "../kernel/small_heap.ts";

Deno.test("a recording too long for the heap keeps its first steps and says why it stopped", async () => {
  const lines = 1_200_000;
  const r = await runInSmallHeap<
    { status: number; outputLines: number; steps: number; lastLabel: string; full: string }
  >(new URL("./heap_budget_program.ts", import.meta.url), [
    String(lines),
  ]);
  // The replay ran to its end and printed every line; the history kept what fit.
  assert.equal(r.status, 0);
  assert.equal(r.outputLines, lines + 1); // the header, then a line per trace line
  assert.ok(r.steps > 8192 && r.steps < lines, `${r.steps} steps`);
  assert.match(r.full, /^the JavaScript heap held \d+ of its \d+ MiB after step \d+: later steps/);
  assert.match(r.lastLabel, /^\d+: (malloc|free) /);
  // It stopped near the share of the heap it keeps to, not far before it (some 0.6 KiB a step).
  assert.ok(r.steps > HEAP_SHARE * SMALL_HEAP_MIB * 1024 * 1024 / 1024 / 1.5, `${r.steps} steps`);
});
