import assert from "node:assert/strict";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { compareMaps, compareMapsLines } from "../../src/view/maps_compare.ts";

const A =
  "1000-2000 r--p 00000000 00:00 0 \n3000-4000 rw-p 00000000 00:00 0 \n5000-6000 r-xp 00000000 fe:00 7 /bin/x\n";

Deno.test("identical texts compare identical line for line", () => {
  const cmp = compareMaps(A, A);
  assert.ok(cmp.identical);
  assert.equal(cmp.summary(), "3 of 3 lines identical");
});

Deno.test("an extra line on one side does not make the following lines differ", () => {
  const extra = A.replace("3000-4000", "2800-2900 ---p 00000000 00:00 0 \n3000-4000");
  const lines = compareMapsLines(A, extra);
  assert.deepEqual(lines.map((l) => l.status), [
    "identical",
    "only-right",
    "identical",
    "identical",
  ]);
});

Deno.test("a changed line pairs up as different, with the differing field highlighted", () => {
  const changed = A.replace("3000-4000 rw-p", "3000-4800 rw-p");
  const cmp = compareMaps(A, changed, { labels: ["real", "simulated"], title: "after mmap" });
  assert.deepEqual(cmp.lines.map((l) => l.status), ["identical", "different", "identical"]);
  const html = cmp[JUPYTER_DISPLAY]()["text/html"];
  assert.match(html, /<b style="background:#ffc46b">3000-4800<\/b>/);
  assert.match(cmp.toString(), /^after mmap: 2 of 3 lines identical\n--- real\n\+\+\+ simulated\n/);
  assert.match(cmp.toString(), /\n- 3000-4000 rw-p[^\n]*\n\+ 3000-4800 rw-p/);
});
