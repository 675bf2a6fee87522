/**
 * A C program that maps and touches memory without end — a malloc loop of 1 MiB chunks, which a
 * real process runs until the kernel's OOM killer, not modelled — is stopped by name once the
 * JavaScript heap holds most of its limit (a `CUnsupportedError` at its line), instead of the whole
 * JavaScript process ending in V8's fatal out-of-memory before the step limit: run in a child
 * process whose heap is made small (512 MiB of old generation).
 */

import assert from "node:assert/strict";
import { runInSmallHeap } from "../kernel/small_heap.ts";

Deno.test("a malloc loop without end is stopped by name when the heap is nearly full", async () => {
  const program = new URL("./memory_budget_program.ts", import.meta.url);
  const r = await runInSmallHeap<{ state: string; error: string; message: string }>(program, []);
  assert.equal(r.state, "error");
  assert.equal(r.error, "CUnsupportedError");
  assert.match(
    r.message,
    /^prog\.c:[5-8]: unsupported: a process holding more memory than heaplab can \(the JavaScript heap held \d+ of its \d+ MiB, \d+ pages resident\)$/,
  );
});
