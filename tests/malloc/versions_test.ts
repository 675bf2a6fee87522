import assert from "node:assert/strict";
import { M_MMAP_THRESHOLD } from "../../src/malloc/mallopt.ts";
import { fresh } from "./helpers.ts";

Deno.test("2.41 files a freed small chunk straight into its smallbin; 2.36 into the unsorted bin", () => {
  for (const [glibc, served] of [["2.36", "unsorted"], ["2.41", "smallbin"]] as const) {
    const { heap } = fresh(glibc);
    const fill = Array.from({ length: 7 }, () => [heap.malloc(0x100), heap.malloc(16)][0]);
    const p = heap.malloc(0x100);
    heap.malloc(16);
    fill.forEach((q) => heap.free(q));
    heap.free(p);
    assert.equal(heap.lastRecord?.served, served, glibc);
    heap.checkArena();
  }
});

Deno.test("from 2.39 realloc keeps a chunk whose usable size already fits closely", () => {
  for (const [glibc, served] of [["2.36", "in place"], ["2.39", "in place (usable size)"]]) {
    const { heap } = fresh(glibc);
    const p = heap.malloc(24);
    assert.equal(heap.realloc(p, 20), p);
    assert.equal(heap.lastRecord?.served, served, glibc);
  }
});

Deno.test("from 2.39 memalign takes a suitably aligned chunk from the middle of a tcache list", () => {
  const { heap } = fresh("2.39");
  const ps = Array.from({ length: 6 }, () => heap.malloc(0x28)); // 0x30 chunks
  ps.forEach((p) => heap.free(p));
  const head = ps[5];
  const aligned = head % 0x20 === 0 ? head : ps[4];
  assert.equal(heap.memalign(0x20, 0x28), aligned);
  assert.equal(heap.lastRecord?.served, "tcache (aligned entry)");
  heap.checkArena();
});

Deno.test("2.41 memalign gives the leading part to the bins: the aligned chunk's PREV_INUSE is clear", () => {
  for (const [glibc, prevInuse] of [["2.36", 1], ["2.41", 0]] as const) {
    const { heap } = fresh(glibc);
    heap.malloc(1);
    const p = heap.memalign(0x400, 1000);
    assert.equal(heap.classify(p).sizeField & 1, prevInuse, glibc);
    heap.checkArena();
  }
});

Deno.test("2.35/2.36 round the mmap fallback up to 1 MiB; 2.31 and 2.41 to pages, at least 1 MiB", () => {
  // The request (0x100010) plus top_pad (0x20000) and MINSIZE, page-aligned: 0x121000.
  for (const [glibc, length] of [["2.31", 0x121000], ["2.36", 0x200000], ["2.41", 0x121000]]) {
    const { proc, heap } = fresh(glibc as string);
    heap.mallopt(M_MMAP_THRESHOLD, 4 << 20);
    heap.malloc(1000);
    proc.sys.mmap(proc.sbrk(0) + 0x1000, 0x1000, 3, 0x32); // MAP_FIXED: the break cannot grow
    heap.malloc(0x100000);
    const mmaps = heap.lastRecord!.syscalls.filter((s) => s.name === "mmap");
    assert.equal(mmaps[0].args[1], length, glibc as string);
    assert.equal(heap.lastRecord?.served, "sysmalloc mmap");
    heap.checkArena();
  }
});

Deno.test("failed assertions keep each version's words", () => {
  for (
    const [glibc, start] of [
      ["2.31", "mthread: malloc.c:2379: sysmalloc: Assertion `(old_top == initial_top (av)"],
      ["2.36", "Fatal glibc error: malloc assertion failure in sysmalloc: (old_top =="],
      ["2.41", "Fatal glibc error: malloc.c:2601 (sysmalloc): assertion failed: (old_top =="],
    ]
  ) {
    const { proc, heap } = fresh(glibc);
    const p = heap.malloc(24);
    proc.memory.write64(p + 24, 0x1001); // House of Orange: a top size that does not end on a page
    assert.throws(() => heap.malloc(0x2000), (e: Error) => e.message.startsWith(start));
  }
});
