import assert from "node:assert/strict";
import { MAP_NORESERVE } from "../../src/kernel/vma.ts";
import { M_ARENA_MAX, M_MMAP_THRESHOLD, M_MXFAST } from "../../src/malloc/mallopt.ts";
import { fresh } from "./helpers.ts";

Deno.test("a thread's first malloc creates a HEAP_MAX_SIZE-aligned heap with its arena", () => {
  for (
    const [glibc, arch, offset] of [
      ["2.31", "x86_64", 0xb60],
      ["2.36", "x86_64", 0xb70],
      ["2.36", "i386", 0x610],
    ] as const
  ) {
    const { proc, heap } = fresh(glibc, arch);
    const t = proc.pthreadCreate();
    const p = proc.runOn(t, () => heap.malloc(1000));
    const place = heap.classify(p);
    assert.equal(place.kind, "heap");
    assert.equal(place.heap, 1);
    assert.equal(place.heapStart % heap.heapMaxSize, 0);
    assert.equal(p - place.heapStart, offset, `${glibc} ${arch}`);
    const arena = heap.arenas().find((a) => !a.isMain)!;
    assert.equal(arena.address, place.heapStart + heap.profile.heapInfoSize);
    heap.checkArena();
  }
});

Deno.test("thread heaps are reserved with MAP_NORESERVE up to 2.40 but not on 2.41", () => {
  for (const [glibc, noreserve] of [["2.36", true], ["2.41", false]] as const) {
    const { proc, heap } = fresh(glibc);
    const t = proc.pthreadCreate();
    const seq = proc.syscalls.lastSeq;
    proc.runOn(t, () => heap.malloc(10));
    const mmaps = proc.syscalls.since(seq).filter((s) => s.name === "mmap");
    assert.equal(mmaps[0].args[1], 2 * heap.heapMaxSize);
    assert.equal((mmaps[0].args[3] & MAP_NORESERVE) !== 0, noreserve, glibc);
  }
});

Deno.test("pthread_create callocs the DTV in the main arena (0x120 on x86_64, 0x90 on i386)", () => {
  for (const [arch, size] of [["x86_64", 0x120], ["i386", 0x90]] as const) {
    const { proc, heap } = fresh("2.36", arch);
    heap.malloc(1);
    proc.pthreadCreate();
    assert.equal(heap.lastRecord?.operation, "calloc");
    const dtv = heap.lastRecord!.result;
    assert.equal(heap.classify(dtv).kind, "main");
    assert.equal(heap.classify(dtv).sizeField & ~7, size);
  }
});

Deno.test("the arena limit is 8 * nprocs on x86_64; later threads share arenas round-robin", () => {
  const { proc, heap } = fresh("2.36", "x86_64", { nprocs: 1 });
  heap.malloc(1);
  const threads = Array.from({ length: 10 }, () => proc.pthreadCreate());
  for (const t of threads) proc.runOn(t, () => heap.malloc(100));
  const arenas = heap.arenas();
  // The limit (8 * nprocs) is computed only once narenas exceeds arena_test (8): 9 arenas.
  assert.equal(arenas.length, 9);
  const shared = proc.runOn(threads[8], () => heap.context.tls().arena);
  assert.equal(shared, heap.mainArena);
  const next = proc.runOn(threads[9], () => heap.context.tls().arena);
  assert.equal(next, arenas[1].address);
  heap.checkArena();
});

Deno.test("M_ARENA_MAX caps the arenas before the first thread arena exists", () => {
  const { proc, heap } = fresh();
  heap.mallopt(M_ARENA_MAX, 1);
  const t = proc.pthreadCreate();
  const p = proc.runOn(t, () => heap.malloc(100));
  assert.equal(heap.classify(p).kind, "main");
  assert.equal(heap.arenas().length, 1);
});

Deno.test("a joined thread's arena goes to the free list and the next thread reuses it", () => {
  const { proc, heap } = fresh();
  const t1 = proc.pthreadCreate();
  const p = proc.runOn(t1, () => heap.malloc(100));
  const arena = heap.classify(p).heapStart;
  proc.pthreadJoin(t1);
  assert.ok(heap.arenas().find((a) => !a.isMain)?.onFreeList);
  const t2 = proc.pthreadCreate();
  const q = proc.runOn(t2, () => heap.malloc(100));
  assert.equal(heap.classify(q).heapStart, arena);
  assert.equal(heap.arenas().length, 2);
  heap.checkArena();
});

Deno.test("a thread arena grows its heap with mprotect, then starts a second heap", () => {
  const { proc, heap } = fresh("2.36", "i386"); // 1 MiB heaps
  const t = proc.pthreadCreate();
  proc.runOn(t, () => {
    heap.malloc(100);
    for (let i = 0; i < 12; i++) heap.malloc(100_000);
  });
  const heaps = heap.heaps();
  assert.equal(heaps.length, 2);
  assert.ok(heaps.every((h) => h.alive && h.start % heap.heapMaxSize === 0));
  heap.checkArena();
});

Deno.test("freeing everything in a second heap unmaps it (heap_trim)", () => {
  const { proc, heap } = fresh("2.36", "i386");
  const t = proc.pthreadCreate();
  const ps = proc.runOn(t, () => {
    heap.malloc(100);
    return Array.from({ length: 12 }, () => heap.malloc(100_000));
  });
  assert.equal(heap.heaps().length, 2);
  proc.runOn(t, () => ps.reverse().forEach((p) => heap.free(p)));
  assert.deepEqual(heap.heaps().map((h) => h.alive), [true, false]);
  heap.checkArena();
});

Deno.test("mallopt returns glibc's values per version", () => {
  const old = fresh("2.31");
  assert.equal(old.heap.mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024), 0);
  const cur = fresh("2.36");
  assert.equal(cur.heap.mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024), 1);
  assert.equal(cur.heap.mallopt(M_MXFAST, 160), 1);
  assert.equal(cur.heap.mallopt(M_MXFAST, 161), 0);
  assert.equal(cur.heap.mallopt(M_MXFAST, -1), 0);
  assert.equal(fresh("2.36", "i386").heap.mallopt(M_MXFAST, 81), 0);
  assert.equal(cur.heap.mallopt(12345, 1), 1);
});

Deno.test("M_MXFAST 0 disables the fastbins", () => {
  const { heap } = fresh();
  heap.mallopt(M_MXFAST, 0);
  const ps = Array.from({ length: 9 }, () => heap.malloc(24));
  heap.malloc(24);
  ps.forEach((p) => heap.free(p));
  assert.equal(heap.lastRecord?.served, "unsorted");
  heap.checkArena();
});

Deno.test("mallinfo2 accounts for every byte and malloc_stats prints glibc's text", () => {
  const { proc, heap } = fresh();
  const a = heap.malloc(100), b = heap.malloc(300_000);
  heap.malloc(2000);
  heap.free(a);
  const t = proc.pthreadCreate();
  proc.runOn(t, () => heap.malloc(50));
  const info = heap.mallinfo2();
  assert.equal(info.uordblks + info.fordblks, info.arena);
  assert.equal(info.hblks, 1);
  assert.equal(info.hblkhd, 300_000 + 8 + 4096 - ((300_000 + 8) % 4096));
  const text = heap.mallocStats();
  const lines = text.split("\n");
  assert.equal(lines[0], "Arena 0:");
  assert.match(lines[1], /^system bytes {5}= {1,10}\d+$/);
  assert.match(lines[2], /^in use bytes {5}= {1,10}\d+$/);
  assert.equal(lines[3], "Arena 1:");
  assert.ok(lines.includes(`max mmap regions = ${"1".padStart(10)}`));
  assert.ok(b);
});
