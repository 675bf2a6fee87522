import assert from "node:assert/strict";
import { Allocator, Process } from "../../src/core.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { explainCall } from "../../src/view/explain_view.ts";
import { stepView } from "../../src/view/step_view.ts";

Deno.test("a step view stacks the explanation, the heap and the bins, marking the freed chunk", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  const a = heap.malloc(24);
  heap.malloc(24);
  heap.free(a);
  const view = stepView(heap);
  assert.equal(view.heap.find(a)?.marked, true);
  assert.equal(view.bins.find("tcache 0x20")?.count, 1);
  const bundle = view[JUPYTER_DISPLAY]();
  assert.equal((bundle["text/html"].match(/<table/g) ?? []).length, 3);
  assert.match(bundle["text/plain"], /^free\(0x[0-9a-f]+\)[\s\S]*Heap chunks[\s\S]*Bins/);
});

Deno.test("a step view can show an aborted call's explanation", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  const a = heap.malloc(24);
  heap.free(a);
  const view = stepView(heap, { explain: explainCall(heap, () => heap.free(a)) });
  assert.match(view.toString(), /SIGABRT: free\(\): double free detected in tcache 2/);
});
