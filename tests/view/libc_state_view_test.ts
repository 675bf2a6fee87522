import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { heapView } from "../../src/view/heap_view.ts";
import { libcStateTable } from "../../src/view/libc_state_view.ts";

function row(table: ReturnType<typeof libcStateTable>, field: string) {
  const r = table.rows.find((x) => x.field === field);
  assert.ok(r, `no row ${field}`);
  return r;
}

Deno.test("the libc state view reads main_arena and mp_ from memory, with symbol names", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  const p = heap.malloc(0x500);
  heap.malloc(0x20);
  heap.free(p);
  const t = libcStateTable(heap);
  const base = heap.libc.base;
  assert.deepEqual(row(t, "main_arena.bins[0]"), {
    field: "main_arena.bins[0]",
    address: `0x${(base + 0x1d3cd0).toString(16)} <main_arena+0x70>`,
    value: `0x${(p - 16).toString(16)}`,
    "points to": "",
  });
  assert.equal(row(t, "mp_.mmap_threshold").value, "0x20000");
  assert.equal(
    row(t, "mp_.mmap_threshold").address,
    `0x${(base + 0x1d3350).toString(16)} <mp_+0x10>`,
  );
  assert.equal(row(t, "mp_.tcache_bins").value, "0x40");
  assert.equal(row(t, "__free_hook (not called since 2.34)").value, "0x0");
  assert.match(t.title!, /glibc 2\.36 x86_64 · libc at 0x7ffff7dd4000$/);
});

Deno.test("a corrupted mp_ field and a hook aimed at system show as they are in memory", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.31" });
  heap.malloc(24);
  const libc = heap.libc;
  const mem = heap.process.memory;
  mem.write64(libc.mp + libc.build.facts.mallocPar.tcacheBins, 0x4141);
  mem.write64(libc.hooks.__free_hook, libc.symbol("system")!);
  const t = libcStateTable(heap, { parts: ["mp_", "globals"] });
  assert.equal(row(t, "mp_.tcache_bins").value, "0x4141");
  assert.equal(row(t, "__free_hook")["points to"], "system");
  assert.match(t.title!, /\(layout of the 2\.31 build\)|libc at/);
});

Deno.test("a chunk's fd that points into libc prints the symbol it names", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.31" });
  const a = heap.malloc(24);
  heap.malloc(24);
  heap.free(a);
  heap.process.memory.write64(a, heap.libc.hooks.__free_hook); // tcache poisoning
  const text = heapView(heap).toString();
  assert.match(text, /<__free_hook>/);
});
