/**
 * What-if and diff for every kind of bin, mmapped chunks, thread arenas and aborts: the what-if
 * predicts exactly what the real call then does, and changes nothing in the real process.
 */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort } from "../../src/malloc/errors.ts";
import { diff } from "../../src/history/diff.ts";
import { heapState } from "../../src/history/state.ts";
import type { WhatIfResult } from "../../src/history/what_if.ts";
import { diffView } from "../../src/view/diff_view.ts";
import { forEachPage } from "../../src/kernel/page_map.ts";
import { replayTrace } from "../../src/trace/replay.ts";

/** Everything observable about the real process. */
function observe(libc: Allocator): string {
  const proc = libc.process;
  const pages: string[] = [];
  forEachPage(proc.memory.snapshotPages(), (no, page) => pages.push(`${no}:${page.join(",")}`));
  return [
    proc.maps(),
    pages.join("|"),
    JSON.stringify(proc.syscalls.all()),
    JSON.stringify(libc.lastRecord),
    JSON.stringify(libc.arenas()),
    JSON.stringify(libc.context.params),
    proc.threads.map((t) => `${t.tid}:${t.state}:${t.errno}`).join(),
  ].join("\n");
}

/** Asks, checks the real process did not change, then makes the real call and compares. */
function predict(
  libc: Allocator,
  ask: (l: Allocator) => WhatIfResult,
  real: (l: Allocator) => number,
): WhatIfResult {
  const before = observe(libc);
  const a = heapState(libc, "before");
  const w = ask(libc);
  assert.equal(observe(libc), before, `${w.call}: the what-if changed the real process`);
  let result: number | undefined, error: unknown;
  try {
    result = real(libc);
  } catch (e) {
    error = e;
  }
  assert.equal(w.result, result, w.call);
  assert.equal((w.error as HeapAbort | undefined)?.message, (error as Error | undefined)?.message);
  if (!error) {
    assert.deepEqual(w.record, libc.lastRecord, `${w.call}: record`);
    const real = diff(a, heapState(libc, "after"));
    assert.deepEqual(
      { ...w.diff, from: "", to: "" },
      { ...real, from: "", to: "" },
      `${w.call}: diff`,
    );
  }
  return w;
}

function kinds(w: WhatIfResult): string[] {
  return w.diff.chunks.map((c) =>
    `${c.kind} ${c.binBefore ?? c.stateBefore ?? ""}>${c.binAfter ?? c.stateAfter ?? ""}`
  );
}

Deno.test("what-if free predicts tcache, fastbin, unsorted and top, and changes nothing", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  const small = Array.from({ length: 9 }, () => libc.malloc(24));
  const big = libc.malloc(1000);
  libc.malloc(24);
  for (let i = 0; i < 7; i++) {
    const w = predict(libc, (l) => l.whatIf.free(small[i]), (l) => (l.free(small[i]), 0));
    assert.match(kinds(w)[0], /^freed in use>tcache 0x20/);
  }
  const fast = predict(libc, (l) => l.whatIf.free(small[7]), (l) => (l.free(small[7]), 0));
  assert.deepEqual(kinds(fast), ["freed in use>fastbin 0x20"]);
  assert.equal(fast.record?.served, "fastbin");
  for (let i = 0; i < 7; i++) libc.free(libc.malloc(1000) && 0 || libc.malloc(1000));
  const unsorted = predict(libc, (l) => l.whatIf.free(big), (l) => (l.free(big), 0));
  assert.ok(kinds(unsorted).some((k) => /unsorted|tcache 0x3f0/.test(k)), kinds(unsorted).join());
  const text = diffView(unsorted.diff).toString();
  assert.match(text, /^diff now → after free/);
});

Deno.test("what-if malloc predicts smallbin, largebin, binmap, top and mmap; diffs show arena fields", () => {
  const libc = new Allocator(new Process(), { glibc: "2.31" });
  const guard = () => libc.malloc(16);
  const a = libc.malloc(0x500), g1 = guard();
  const b = libc.malloc(0x90), g2 = guard();
  void g1, g2;
  // Fill the 0xa0 tcache so b goes to the unsorted bin, then sort both into their bins.
  const fill = Array.from({ length: 7 }, () => libc.malloc(0x90));
  guard();
  for (const p of fill) libc.free(p);
  libc.free(a);
  libc.free(b);
  const sort = predict(libc, (l) => l.whatIf.malloc(0x1000), (l) => l.malloc(0x1000));
  const moved = kinds(sort);
  assert.ok(moved.some((k) => /^moved unsorted>largebin/.test(k)), moved.join());
  assert.ok(moved.some((k) => /^moved unsorted>smallbin/.test(k)), moved.join());
  assert.ok(sort.diff.arenas.some((f) => f.field === "binmap"));
  assert.ok(sort.diff.arenas.some((f) => f.field === "top"));
  // Empty the tcache, then the smallbin serves the next 0x90 request.
  for (let i = 0; i < 7; i++) libc.malloc(0x90);
  const fromSmall = predict(libc, (l) => l.whatIf.malloc(0x90), (l) => l.malloc(0x90));
  assert.equal(fromSmall.record?.served, "smallbin");
  assert.ok(kinds(fromSmall).some((k) => /^allocated smallbin/.test(k)), kinds(fromSmall).join());
  const fromLarge = predict(libc, (l) => l.whatIf.malloc(0x300), (l) => l.malloc(0x300));
  assert.ok(kinds(fromLarge).some((k) => /^split largebin/.test(k)), kinds(fromLarge).join());
  const mmapped = predict(libc, (l) => l.whatIf.calloc(1, 300000), (l) => l.calloc(1, 300000));
  assert.ok(kinds(mmapped).includes("mmapped >mmapped"), kinds(mmapped).join());
  assert.equal(mmapped.diff.syscalls[0].name, "mmap");
  assert.ok(mmapped.diff.maps.length > 0);
  const ptr = mmapped.result!;
  const unmap = predict(libc, (l) => l.whatIf.free(ptr), (l) => (l.free(ptr), 0));
  assert.deepEqual(kinds(unmap), ["munmapped mmapped>"]);
  assert.equal(unmap.diff.syscalls[0].name, "munmap");
  const grow = predict(
    libc,
    (l) => l.whatIf.realloc(fromSmall.result!, 5000),
    (l) => l.realloc(fromSmall.result!, 5000),
  );
  assert.ok(grow.diff.bytes.length > 0);
});

Deno.test("what-if on a thread arena, and of an abort, leaves the real process as it was", () => {
  const proc = new Process();
  const libc = new Allocator(proc, { glibc: "2.36" });
  libc.malloc(24);
  const t = proc.pthreadCreate();
  proc.switchTo(t);
  const first = predict(libc, (l) => l.whatIf.malloc(100), (l) => l.malloc(100));
  assert.notEqual(first.record?.arena, libc.mainArena);
  assert.ok(first.diff.maps.some((m) => m.change === "new"));
  assert.ok(first.diff.syscalls.some((s) => s.name === "mmap"));
  const p = libc.malloc(200);
  libc.free(p);
  const twice = predict(libc, (l) => l.whatIf.free(p), (l) => (l.free(p), 0));
  assert.equal(twice.error?.message, "free(): double free detected in tcache 2");
  assert.equal(twice.diff.chunks.length, 0);
  // A corrupted size: the what-if shows glibc's check firing, the real heap is still corrupted.
  const q = libc.malloc(0x100);
  proc.memory.write64(q - 8, 0x1234);
  const bad = predict(libc, (l) => l.whatIf.free(q), (l) => (l.free(q), 0));
  assert.ok(bad.error instanceof HeapAbort, String(bad.error));
});

Deno.test("a diff's run of changed bytes across a page boundary shows the bytes between as they are", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  const p = libc.malloc(0x3000);
  const boundary = Math.ceil((p + 64) / 4096) * 4096;
  const memory = libc.process.memory;
  // Unchanged bytes on both sides of the boundary, then a change a byte before and after them.
  memory.writeBytes(boundary - 2, Uint8Array.of(0x11, 0x22, 0x33));
  const before = heapState(libc);
  memory.write8(boundary - 3, 0xaa);
  memory.write8(boundary + 1, 0xbb);
  const d = diff(before, heapState(libc));
  assert.equal(d.bytes.length, 1);
  assert.equal(d.bytes[0].address, boundary - 3);
  assert.deepEqual([...d.bytes[0].before], [0, 0x11, 0x22, 0x33, 0]);
  assert.deepEqual([...d.bytes[0].after], [0xaa, 0x11, 0x22, 0x33, 0xbb]);
});

Deno.test("a what-if after a joined thread's stack was unmapped predicts the real call", () => {
  // arena_reuse.trace's line 95 joins a thread whose stack the stack cache then unmaps; a fork
  // once faulted there, reading that thread's TLS tcache word to restore it.
  const trace = Deno.readTextFileSync(
    new URL("../fixtures/oracle/traces/arena_reuse.trace", import.meta.url),
  ).split("\n").slice(0, 95).join("\n");
  assert.match(trace.split("\n")[94], /^join /);
  const libc = replayTrace(trace, { glibc: "2.36", allocator: (p, o) => new Allocator(p, o) })
    .allocator as Allocator;
  const joined = libc.process.threads.filter((t) => t.state === "joined");
  assert.ok(
    joined.some((t) => t.stack && !libc.process.space.areaAt(t.stack.base + t.stack.size - 1)),
  );
  predict(libc, (l) => l.whatIf.malloc(24), (l) => l.malloc(24));
  predict(libc, (l) => l.whatIf.malloc(0x500), (l) => l.malloc(0x500));
});
