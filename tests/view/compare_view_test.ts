import assert from "node:assert/strict";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { compareProgram } from "../../src/view/compare_program.ts";
import { compareScenario } from "../../src/view/compare_scenario.ts";
import { compareTrace } from "../../src/view/compare_trace.ts";

Deno.test("compareTrace shows the tcache struct moving the first chunk from 2.26 on", () => {
  const c = compareTrace("malloc 0 24\nfree 0\nmalloc 1 24\n", { versions: ["2.23", "2.31"] });
  assert.deepEqual(c.rows[0].results, { "2.23": "main 0x10 0x21", "2.31": "main 0x2a0 0x21" });
  assert.equal(c.rows[0].differs, true);
  assert.equal(c.rows[1].differs, false);
  assert.deepEqual(c.outcomes.map((o) => o.status), [0, 0]);
});

Deno.test("compareTrace shows mallopt results that differ between versions", () => {
  // Up to 2.34, M_MMAP_THRESHOLD refuses values above HEAP_MAX_SIZE / 2 (32 MiB on x86_64).
  const c = compareTrace("mallopt M_MMAP_THRESHOLD 0x2000001\n", { versions: ["2.31", "2.36"] });
  assert.deepEqual(c.rows[0].results, { "2.31": "0", "2.36": "1" });
});

Deno.test("compareTrace reports where each version stopped", () => {
  const c = compareTrace("malloc 0 24\nsbrk 1 -0x21000\nmalloc 2 24\nmalloc 3 24\n", {
    versions: ["2.36"],
  });
  const o = c.outcome("2.36");
  assert.equal(o.status, 139);
  assert.equal(o.signal, "SIGSEGV");
  assert.equal(c.rows[o.stoppedAt!].source, "malloc 2 24");
  assert.equal(c.rows.length, 3); // line 4 was never reached
});

Deno.test("compareScenario shows which versions catch a double free, with glibc's words", () => {
  const c = compareScenario([
    { label: "a = malloc(24)", run: ({ heap, ptr }) => (ptr.a = heap.malloc(24)) },
    { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
    { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
    { label: "malloc(24)", run: ({ heap }) => heap.malloc(24) },
    { label: "malloc(24)", run: ({ heap }) => heap.malloc(24) },
  ]);
  assert.deepEqual(c.versions, ["2.23", "2.27", "2.31", "2.36", "2.41", "2.43", "2.44"]);
  assert.equal(c.outcome("2.23").message, "double free or corruption (fasttop)");
  assert.equal(c.outcome("2.27").status, 0); // tcache without a key: the chunk comes back twice
  assert.equal(c.rows[3].results["2.27"], c.rows[4].results["2.27"]);
  // 2.43+ makes the tcache at the first free (then frees again into it): the same catch.
  for (const v of ["2.31", "2.36", "2.41", "2.43", "2.44"]) {
    assert.equal(c.outcome(v).message, "free(): double free detected in tcache 2");
    assert.equal(c.outcome(v).stoppedAt, 2);
    assert.equal(c.rows[3].results[v], undefined);
  }
  assert.match(c.summary()[0], /^glibc 2\.23: SIGABRT at free\(a\): double free/);
});

Deno.test("compareScenario shows pointers as offsets into the main heap", () => {
  const c = compareScenario([
    { label: "malloc(24)", run: ({ heap }) => heap.malloc(24) },
    { label: "malloc(-1)", run: ({ heap }) => heap.malloc(2 ** 53 - 1) },
  ], { versions: ["2.36"] });
  assert.equal(c.rows[0].results["2.36"], "heap+0x2a0");
  assert.equal(c.rows[1].results["2.36"], "NULL");
});

Deno.test("a version comparison displays as a table marking differences and aborts", () => {
  const c = compareScenario([
    { label: "a = malloc(24)", run: ({ heap, ptr }) => (ptr.a = heap.malloc(24)) },
    { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
    { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
  ], { versions: ["2.27", "2.36"] });
  const bundle = c[JUPYTER_DISPLAY]();
  assert.match(bundle["text/html"], /data-change="changed"/);
  assert.match(bundle["text/html"], /#ffebe9/);
  assert.match(bundle["text/plain"], /≠ +3 +free\(a\) +ok +abort: free\(\): double free detected/);
  assert.match(bundle["text/plain"], /outcome +exit 0 +SIGABRT \(134\)/);
});

Deno.test("compareProgram runs loops and shows their results", () => {
  const c = compareProgram(
    `
    for i in 0..2: p{i} = malloc(24)
    for i in 0..2: free(p{i})
    a = malloc(24)
    a == p2                 // the tcache hands back the last chunk freed`,
    { versions: ["2.36"] },
  );
  assert.deepEqual(c.rows.map((r) => r.source), [
    "for i in 0..2: p{i} = malloc(24)",
    "for i in 0..2: free(p{i})",
    "a = malloc(24)",
    "a == p2",
  ]);
  assert.equal(c.rows[0].results["2.36"], "heap+0x2a0, heap+0x2c0, heap+0x2e0");
  assert.equal(c.rows[1].results["2.36"], "ok");
  assert.equal(c.rows[3].results["2.36"], "true");
});

Deno.test("compareProgram writes memory: the house of force works until glibc 2.29", () => {
  const c = compareProgram(
    `
    a = malloc(24)
    *(a + 24) = -1          // top's size
    b = malloc(main_arena - top - 32)
    c = malloc(24)
    c == main_arena`,
    { versions: ["2.27", "2.36"] },
  );
  assert.equal(c.rows[4].results["2.27"], "true");
  assert.equal(c.outcome("2.36").message, "malloc(): corrupted top size");
  assert.equal(c.outcome("2.36").stoppedAt, 2);
});

Deno.test("compareProgram rejects a name it does not know", () => {
  assert.throws(() => compareProgram("free(nowhere)", { versions: ["2.36"] }), SyntaxError);
});
