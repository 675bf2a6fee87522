/** The history view: text per step, the step's diff, and a chart that compiles with vega-lite. */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { History } from "../../src/history/history.ts";
import { compileToVega } from "../../src/view/chart.ts";
import { historyView } from "../../src/view/history_view.ts";
import { diffView } from "../../src/view/diff_view.ts";
import { diff } from "../../src/history/diff.ts";
import { heapState } from "../../src/history/state.ts";

Deno.test("the history view marks the selected step and shows its diff; its chart compiles", async () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  const a = libc.malloc(24);
  libc.malloc(300000);
  libc.free(a);
  const view = historyView(history, { step: 3 });
  const lines = view.toString().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[3], /^> +3 {2}free\(0x[0-9a-f]+\) · tcache · heap /);
  assert.match(view.stepText(), /freed: in use \(0x20\) → tcache 0x20/);
  const spec = await compileToVega(view.chart().spec);
  assert.ok(spec);
  const bundle = view[Symbol.for("Jupyter.display") as never] as unknown as () => Record<
    string,
    string
  >;
  assert.match(bundle.call(view)["text/html"], /data-change="changed"/);
});

Deno.test("the diff view highlights changed bytes in HTML and brackets them in text", () => {
  const libc = new Allocator(new Process());
  const p = libc.malloc(40);
  const a = heapState(libc, "a");
  libc.process.memory.write32(p + 4, 0xdeadbeef);
  const view = diffView(diff(a, heapState(libc, "b")));
  assert.match(view.toString(), /\[ef\]\[be\]\[ad\]\[de\]/);
  assert.match(view.toHtml(), /<span style="background:#ffd33d;font-weight:bold">ef<\/span>/);
});
