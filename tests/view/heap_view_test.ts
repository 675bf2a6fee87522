import assert from "node:assert/strict";
import { Allocator, Process } from "../../src/core.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { CHUNK_STATE_COLORS, heapView } from "../../src/view/heap_view.ts";

function modern(glibc = "2.36") {
  const process = new Process({ layout: "x86_64" });
  return { process, heap: new Allocator(process, { glibc }) };
}

Deno.test("the heap view lists the tcache struct, user chunks and top in address order", () => {
  const { heap } = modern();
  const a = heap.malloc(24);
  const b = heap.malloc(0x500);
  const view = heapView(heap);
  assert.deepEqual(view.rows.map((r) => r.state), ["in use", "in use", "in use", "top"]);
  assert.equal(view.rows[0].size, 0x290); // tcache_perthread_struct
  assert.equal(view.find(a)?.size, 0x20);
  assert.equal(view.find(b)?.size, 0x510);
  const addresses = view.rows.map((r) => r.address);
  assert.deepEqual(addresses, [...addresses].sort((x, y) => x - y));
});

Deno.test("the heap view names the bin of every free chunk and the flags of every chunk", () => {
  const { heap } = modern();
  const small = Array.from({ length: 8 }, () => heap.malloc(24));
  const big = heap.malloc(0x500);
  heap.malloc(24); // keeps big away from top
  for (const p of small) heap.free(p);
  heap.free(big);
  const view = heapView(heap);
  const tid = heap.process.mainThread.tid;
  assert.equal(view.withState("tcache").length, 7);
  assert.equal(view.withState("tcache")[0].bin, `tcache 0x20 (tid ${tid})`);
  assert.equal(view.withState("fastbin")[0].bin, "fastbin 0x20");
  const unsorted = view.find(big)!;
  assert.equal(unsorted.state, "free");
  assert.equal(unsorted.bin, "unsorted");
  assert.equal(unsorted.links, "fd unsorted head (main_arena) bk unsorted head (main_arena)");
  // The chunk after a free chunk has PREV_INUSE clear.
  const after = view.rows[view.rows.indexOf(unsorted) + 1];
  assert.deepEqual(after.flags, []);
  assert.deepEqual(view.find(small[0])!.flags, ["PREV_INUSE"]);
});

Deno.test("the heap view shows a safe-linked next pointer demangled and as stored", () => {
  const { heap } = modern("2.36");
  const a = heap.malloc(24), b = heap.malloc(24);
  heap.free(a);
  heap.free(b);
  const row = heapView(heap).find(b)!;
  // b's next is stored at b itself: (b >> 12) ^ a.
  const stored = (BigInt(b) >> 12n) ^ BigInt(a);
  assert.equal(row.links, `next 0x${a.toString(16)} (stored 0x${stored.toString(16)})`);
  // Without safe-linking (2.31) memory holds the pointer itself.
  const old = modern("2.31").heap;
  const c = old.malloc(24), d = old.malloc(24);
  old.free(c);
  old.free(d);
  assert.equal(heapView(old).find(d)!.links, `next 0x${c.toString(16)}`);
});

Deno.test("the heap view shows the first bytes of user data", () => {
  const { heap, process } = modern();
  const a = heap.malloc(24);
  process.memory.writeBytes(a, new TextEncoder().encode("hello"));
  const text = heapView(heap, { bytes: 8 }).toString();
  assert.match(text, /68 65 6c 6c 6f 00 00 00 {2}hello\.\.\./);
});

Deno.test("the heap view shows thread arenas with NON_MAIN_ARENA and mmapped chunks with IS_MMAPPED", () => {
  const process = new Process({ layout: "seed-i386", program: "mthread" });
  const heap = new Allocator(process, { glibc: "2.23" });
  heap.malloc(1000);
  process.switchTo(process.pthreadCreate());
  const p = heap.malloc(1000);
  const m = heap.malloc(200 * 1024);
  const view = heapView(heap, { mark: [p] });
  const row = view.find(p)!;
  assert.match(row.arena, /^arena 0xb7500010 \(heap 1\)$/);
  assert.deepEqual(row.flags, ["PREV_INUSE", "NON_MAIN_ARENA"]);
  assert.equal(row.marked, true);
  assert.equal(view.find(m)!.state, "mmapped");
  assert.deepEqual(view.find(m)!.flags, ["IS_MMAPPED"]);
  assert.equal(heapView(heap, { arena: heap.mainArena, mmapped: false }).rows.length, 3);
});

Deno.test("the heap view displays as a table coloured by state and as aligned text", () => {
  const { heap } = modern();
  heap.free(heap.malloc(24));
  const bundle = heapView(heap)[JUPYTER_DISPLAY]();
  assert.match(bundle["text/html"], /<table/);
  assert.ok(bundle["text/html"].includes(CHUNK_STATE_COLORS.tcache));
  assert.match(bundle["text/plain"], /^Heap chunks · glibc 2\.36 x86_64 · 3 chunks\n/);
});

Deno.test("the heap view does not fault when the heap's memory was unmapped under it", () => {
  const { heap, process } = modern();
  heap.malloc(24);
  process.sbrk(-(process.sbrk(0) - process.space.startBrk)); // the whole [heap] goes
  const view = heapView(heap);
  assert.match(view.title, /cannot walk main_arena/);
});

Deno.test("a heap longer than maxRows shows its first and last rows and every marked one", () => {
  const { heap } = modern();
  const chunks = Array.from({ length: 30 }, () => heap.malloc(24));
  const view = heapView(heap, { maxRows: 6, mark: [chunks[14]] });
  assert.equal(view.rows.length, 32); // the tcache struct, 30 chunks, top: all kept as data
  const text = view.toString().split("\n");
  // Title, header, 3 first rows, a gap, the marked row, a gap, 3 last rows.
  assert.equal(text.length, 11);
  assert.equal(text[5], "… 12 chunks not shown (a larger maxRows shows them)");
  assert.match(text[6], /^▶ /);
  assert.equal(text[7], "… 13 chunks not shown (a larger maxRows shows them)");
  assert.match(text[10], / top$/);
  const html = view.toHtml();
  assert.equal(html.match(/<tr/g)!.length, 1 + 9); // header, 7 rows, 2 gaps
  assert.match(html, /<td style="font-style:italic;color:#57606a" colspan="10">… 12 chunks/);
});

Deno.test("a heap view shows 200 rows by default and every row up to maxRows", () => {
  const { heap } = modern();
  for (let i = 0; i < 250; i++) heap.malloc(24);
  const lines = (view: ReturnType<typeof heapView>) => view.toString().split("\n").length;
  assert.equal(lines(heapView(heap)), 2 + 200 + 1);
  assert.equal(lines(heapView(heap, { maxRows: 252 })), 2 + 252);
  assert.throws(() => heapView(heap, { maxRows: 1 }), /maxRows/);
  assert.throws(() => heapView(heap, { maxRows: Infinity }), /maxRows/);
});
