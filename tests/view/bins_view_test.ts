import assert from "node:assert/strict";
import { Allocator, Process } from "../../src/core.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { binsTable } from "../../src/view/bins_view.ts";

function modern(glibc = "2.36") {
  const process = new Process({ layout: "x86_64" });
  return { process, heap: new Allocator(process, { glibc }) };
}

Deno.test("the bins view lists a thread's tcache with counts, newest chunk first", () => {
  const { heap } = modern();
  const a = heap.malloc(24), b = heap.malloc(24), c = heap.malloc(0x80);
  heap.free(a);
  heap.free(b);
  heap.free(c);
  const bins = binsTable(heap);
  const owner = `tcache (tid ${heap.process.mainThread.tid})`;
  assert.deepEqual(bins.find("tcache 0x20", owner)?.chunks, [b - 16, a - 16]);
  assert.equal(bins.find("tcache 0x20")?.count, 2);
  assert.equal(bins.find("tcache 0x90")?.count, 1);
});

Deno.test("the bins view shows fastbins, unsorted, small and large bins per arena", () => {
  const { heap } = modern();
  const keep = () => heap.malloc(24);
  const small = Array.from({ length: 8 }, () => heap.malloc(24));
  const medium = heap.malloc(0x100);
  keep();
  const large = heap.malloc(0x1000);
  keep();
  const fill = Array.from({ length: 7 }, () => heap.malloc(0x100));
  keep();
  for (const p of fill) heap.free(p); // tcache 0x110 is full: medium goes to the bins
  for (const p of small) heap.free(p);
  heap.free(medium);
  heap.free(large);
  let bins = binsTable(heap);
  assert.deepEqual(bins.find("fastbin 0x20", "main_arena")?.chunks, [small[7] - 16]);
  assert.deepEqual(bins.find("unsorted")?.chunks, [large - 16, medium - 16]);
  // A large request consolidates the fastbin chunk with its free neighbour (medium), then
  // sorts the unsorted chunks into their bins.
  heap.malloc(0x2000);
  bins = binsTable(heap);
  assert.deepEqual(bins.find("smallbin 0x130")?.chunks, [small[7] - 16]);
  assert.ok(bins.rows.some((r) => r.kind === "largebin" && r.chunks[0] === large - 16));
  assert.equal(bins.tops[0].owner, "main_arena");
});

Deno.test("the bins view shows each safe-linked next pointer as stored and demangled", () => {
  const { heap } = modern("2.36");
  const a = heap.malloc(24), b = heap.malloc(24);
  heap.free(a);
  heap.free(b);
  const row = binsTable(heap).find("tcache 0x20")!;
  assert.equal(row.links[0].pointer, a);
  assert.equal(BigInt(row.links[0].stored), (BigInt(b) >> 12n) ^ BigInt(a));
  assert.equal(row.links[1].pointer, 0); // the end of the list
  assert.match(binsTable(heap).toString(), /next in memory → demangled/);
  // glibc 2.31 stores plain pointers, and the view has no such column.
  const old = modern("2.31").heap;
  const c = old.malloc(24), d = old.malloc(24);
  old.free(c);
  old.free(d);
  const plain = binsTable(old);
  assert.equal(plain.find("tcache 0x20")!.links[0].stored, c);
  assert.doesNotMatch(plain.toString(), /demangled/);
});

Deno.test("the bins view of glibc 2.23 has no tcache and says so", () => {
  const process = new Process({ layout: "seed-i386", program: "mthread" });
  const heap = new Allocator(process, { glibc: "2.23" });
  const a = heap.malloc(24);
  heap.malloc(24);
  heap.free(a);
  const bins = binsTable(heap);
  assert.match(bins.title, /no tcache before glibc 2\.26/);
  assert.deepEqual(bins.find("fastbin 0x20")?.chunks, [a - 8]);
  assert.equal(bins.rows.filter((r) => r.kind === "tcache").length, 0);
});

Deno.test("the bins view displays as an HTML table and as text with the top chunk", () => {
  const { heap } = modern();
  heap.free(heap.malloc(24));
  const bundle = binsTable(heap)[JUPYTER_DISPLAY]();
  assert.match(bundle["text/html"], /<table[^>]*heaplab-bins/);
  assert.match(bundle["text/plain"], /main_arena: top 0x[0-9a-f]+ \(size 0x[0-9a-f]+\)/);
});

Deno.test("glibc 2.43 has no fastbins: no fastbin rows, even empty ones, and 16 chunks per tcache bin", () => {
  const { heap } = modern("2.43");
  const ps = Array.from({ length: 17 }, () => heap.malloc(24));
  for (const p of ps) heap.free(p);
  const t = binsTable(heap, { showEmpty: true });
  assert.ok(!t.rows.some((r) => r.kind === "fastbin"));
  const tc = t.rows.find((r) => r.kind === "tcache" && r.name === "tcache 0x20");
  assert.equal(tc?.chunks.length, 16);
  assert.ok(t.rows.some((r) => r.kind === "smallbin" && r.name === "smallbin 0x20"));
});
