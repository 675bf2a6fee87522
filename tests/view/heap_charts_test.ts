import assert from "node:assert/strict";
import { Allocator, Process } from "../../src/core.ts";
import { compileToVega, JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { heapLog, replayWithLog } from "../../src/view/heap_charts.ts";

function modern(glibc = "2.36") {
  const process = new Process({ layout: "x86_64" });
  return { process, heap: new Allocator(process, { glibc }) };
}

Deno.test("a heap log records the break growing in 132 KiB steps and top shrinking between", () => {
  const { heap } = modern();
  const log = heapLog(heap);
  for (let i = 0; i < 10; i++) log.run(`malloc(16000) #${i}`, () => heap.malloc(16000));
  const sizes = log.steps.map((s) => s.heapSize);
  assert.equal(sizes[0], 0);
  assert.equal(sizes[1], 0x21000);
  assert.ok(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]));
  const grew = log.steps.filter((s) => s.syscalls.some((c) => c.startsWith("brk(")));
  assert.deepEqual(grew.map((s) => s.step), [1, 9]);
  assert.equal(log.steps[9].served, "sysmalloc brk");
  assert.ok(log.steps[2].topSize < log.steps[1].topSize);
});

Deno.test("a heap log separates in-use, cached, free and top bytes", () => {
  const { heap } = modern();
  const log = heapLog(heap);
  const a = log.run("a", () => heap.malloc(24));
  const big = log.run("big", () => heap.malloc(0x500));
  log.run("guard", () => heap.malloc(24));
  log.run("free a", () => heap.free(a));
  log.run("free big", () => heap.free(big));
  const main = log.last.arenas[0];
  assert.equal(main.arena, "main_arena");
  assert.equal(main.cached, 0x20);
  assert.equal(main.free, 0x510);
  assert.equal(main.inUse, 0x290 + 0x20); // tcache struct and the guard
  assert.equal(main.systemMem, 0x21000);
  assert.equal(main.inUse + main.cached + main.free + main.topSize, main.systemMem);
});

Deno.test("a heap log sees the mmap threshold rise after an mmapped chunk is freed", () => {
  const { heap } = modern();
  heap.malloc(24); // the first malloc's path is the tcache's own allocation
  const log = heapLog(heap);
  const p = log.run("malloc(200000)", () => heap.malloc(200000));
  assert.equal(log.last.served, "mmap");
  assert.equal(log.last.mmapped, 200704);
  log.run("free", () => heap.free(p));
  assert.equal(log.last.mmapThreshold, 200704);
  log.run("malloc(200000) again", () => heap.malloc(200000));
  assert.notEqual(log.last.served, "mmap");
  assert.equal(log.last.mmapped, 0);
});

Deno.test("the heap log's charts are vega-lite v5 that compile, with one point per step", async () => {
  const { heap } = modern();
  const log = heapLog(heap);
  const p = log.run("malloc", () => heap.malloc(300000));
  log.run("free", () => heap.free(p));
  for (const chart of [log.growthChart(), log.usageChart(), log.arenaChart()]) {
    assert.equal(chart.spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    const vega = await compileToVega(chart.spec);
    assert.ok((vega.marks as unknown[]).length > 0);
  }
  const values = (log.growthChart().spec.data as { values: unknown[] }).values;
  assert.equal(values.length, 3 * 4);
  const bundle = await log.growthChart()[JUPYTER_DISPLAY]();
  assert.match(bundle["image/svg+xml"], /^<svg/);
});

Deno.test("replayWithLog labels each step with its trace line and keeps the first step clean", () => {
  const { log, replay } = replayWithLog("malloc 0 16000\nfree 0\ntrim 0\n", { glibc: "2.36" });
  assert.equal(replay.status, 0);
  assert.deepEqual(log.steps.map((s) => s.label), ["start", "malloc 0 16000", "free 0", "trim 0"]);
  assert.deepEqual(log.steps[1].syscalls.length, 1); // the heap's brk only
  assert.ok(log.steps[3].heapSize < log.steps[2].heapSize);
});

Deno.test("replayWithLog records the signal that ends a replay", () => {
  const { log, replay } = replayWithLog(
    "malloc 0 24\nsbrk 1 -0x21000\nmalloc 2 24\n",
    { glibc: "2.36" },
  );
  assert.equal(replay.status, 139);
  assert.equal(log.last.label, "malloc 2 24 (SIGSEGV)");
  assert.equal(log.last.served, "SIGSEGV");
});
