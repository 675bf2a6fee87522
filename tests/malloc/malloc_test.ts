import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { fresh, heapStart } from "./helpers.ts";

Deno.test("the first malloc grows the break by 0x21000 on x86_64 and 0x22000 on i386", () => {
  const cases = [["x86_64", 0x21000, ["brk"]], ["i386", 0x22000, ["brk", "brk"]]] as const;
  for (const [arch, grow, calls] of cases) {
    const { proc, heap } = fresh("2.36", arch);
    heap.malloc(1000);
    assert.equal(proc.sbrk(0) - heapStart(proc), grow);
    assert.equal(heap.lastRecord?.served, "top");
    // i386 needs a second sbrk to page-align the break after its 8-byte alignment correction.
    assert.deepEqual(heap.lastRecord?.syscalls.map((s) => s.name), calls);
    heap.checkArena();
  }
});

Deno.test("a call that made no system call has an empty, frozen syscalls list", () => {
  const { heap } = fresh();
  heap.malloc(24); // the first call grows the break
  const first = heap.lastRecord!;
  const p = heap.malloc(24);
  const second = heap.lastRecord!;
  heap.free(p);
  assert.deepEqual(first.syscalls.map((s) => s.name), ["brk"]);
  assert.deepEqual(second.syscalls, []);
  assert.ok(Object.isFrozen(second.syscalls), "shared by every such record: nothing may add to it");
  assert.equal(heap.lastRecord!.syscalls, second.syscalls);
});

Deno.test("small requests split the top chunk in address order", () => {
  const { heap } = fresh();
  const a = heap.malloc(24), b = heap.malloc(24), c = heap.malloc(100);
  assert.equal(b - a, 0x20);
  assert.equal(c - b, 0x20);
  assert.equal(heap.lastRecord?.served, "top");
  heap.checkArena();
});

Deno.test("fastbin chunks are stashed into the tcache when malloc takes one", () => {
  const { heap } = fresh();
  const ps = Array.from({ length: 10 }, () => heap.malloc(24));
  heap.malloc(24);
  ps.forEach((p) => heap.free(p)); // 7 in the tcache, 3 in the fastbin
  for (let i = 0; i < 7; i++) heap.malloc(24);
  assert.equal(heap.malloc(24), ps[9]);
  assert.equal(heap.lastRecord?.served, "fastbin");
  assert.equal(heap.tcache().bins[0].count, 2);
  assert.equal(heap.bins().fastbins[0].chunks.length, 0);
  heap.checkArena();
});

Deno.test("a large request consolidates the fastbins first", () => {
  const { heap } = fresh();
  const ps = Array.from({ length: 10 }, () => heap.malloc(24));
  heap.malloc(24);
  ps.forEach((p) => heap.free(p));
  heap.malloc(2000);
  const steps = heap.lastRecord!.steps.map((s) => s.note ?? "");
  assert.ok(steps.includes("malloc_consolidate"));
  assert.equal(heap.bins().fastbins[0].chunks.length, 0);
  heap.checkArena();
});

Deno.test("a freed large chunk waits in the unsorted bin, then serves an exact fit", () => {
  const { heap } = fresh();
  const a = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(a);
  assert.equal(heap.lastRecord?.served, "unsorted");
  assert.deepEqual(heap.bins().unsorted.chunks, [a - 16]);
  assert.equal(heap.malloc(0x500), a);
  assert.equal(heap.lastRecord?.served, "unsorted exact fit");
  heap.checkArena();
});

Deno.test("unsorted chunks that do not fit are sorted into small and large bins", () => {
  const { heap } = fresh();
  const fill = Array.from({ length: 7 }, () => [heap.malloc(0x200), heap.malloc(16)][0]);
  const small = heap.malloc(0x200), g1 = heap.malloc(16);
  const large = heap.malloc(0x800), g2 = heap.malloc(16);
  fill.forEach((p) => heap.free(p)); // the tcache bin for 0x210 is full
  heap.free(small);
  heap.free(large);
  heap.malloc(0x1000); // neither fits: both are sorted, top serves
  const bins = heap.bins();
  assert.deepEqual(bins.smallbins.map((b) => b.name), ["smallbin 0x210"]);
  assert.equal(bins.largebins.length, 1);
  assert.deepEqual(bins.largebins[0].chunks, [large - 16]);
  assert.ok(g1 && g2);
  heap.checkArena();
});

Deno.test("a small request splits a larger binned chunk and leaves the last remainder", () => {
  const { heap } = fresh();
  const big = heap.malloc(0x800);
  heap.malloc(16);
  heap.free(big);
  heap.malloc(0x1000); // sorts big into its large bin
  const p = heap.malloc(0x100);
  assert.equal(p, big);
  assert.equal(heap.lastRecord?.served, "binmap");
  const rem = heap.bins().lastRemainder;
  assert.equal(rem, big - 16 + 0x110);
  const q = heap.malloc(0x100);
  assert.equal(q, big + 0x110);
  assert.equal(heap.lastRecord?.served, "last remainder");
  heap.checkArena();
});

Deno.test("a request at the mmap threshold gets its own mapping; free raises the threshold", () => {
  const { heap } = fresh();
  const p = heap.malloc(200 * 1024);
  assert.equal(heap.lastRecord?.served, "mmap");
  assert.equal(heap.classify(p).kind, "mmap");
  assert.equal(heap.mmappedChunks().length, 1);
  heap.free(p);
  assert.equal(heap.lastRecord?.served, "munmap");
  assert.equal(heap.context.params.mmapThreshold, 200 * 1024 + 0x1000);
  const q = heap.malloc(200 * 1024);
  assert.equal(heap.classify(q).kind, "main");
  heap.checkArena();
});

Deno.test("calloc zeroes recycled memory", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(64);
  proc.memory.fill(p, 64, 0xaa);
  heap.free(p);
  heap.malloc(1);
  const q = heap.calloc(8, 8);
  for (let i = 0; i < 64; i++) assert.equal(proc.memory.read8(q + i), 0);
  heap.checkArena();
});

Deno.test("calloc bypasses the tcache before 2.41 and uses it on 2.41", () => {
  for (const [glibc, fromTcache] of [["2.36", false], ["2.41", true]] as const) {
    const { heap } = fresh(glibc);
    const p = heap.malloc(24);
    heap.malloc(24);
    heap.free(p);
    const q = heap.calloc(1, 24);
    assert.equal(q === p, fromTcache, glibc);
  }
});

Deno.test("calloc fails with ENOMEM when the product overflows", () => {
  const { proc, heap } = fresh();
  assert.equal(heap.calloc(2 ** 40, 2 ** 40), 0);
  assert.equal(proc.currentThread.errno, 12);
});

Deno.test("malloc of a size above PTRDIFF_MAX fails with ENOMEM", () => {
  const { proc, heap } = fresh();
  assert.equal(heap.malloc(-1), 0);
  assert.equal(proc.currentThread.errno, 12);
});

Deno.test("realloc shrinks in place, grows into top, and moves when it must", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(100);
  proc.memory.write64(p, 0x1122334455);
  assert.equal(heap.realloc(p, 5000), p);
  assert.equal(heap.lastRecord?.served, "grown into top");
  assert.equal(heap.realloc(p, 50), p);
  assert.equal(heap.lastRecord?.served, "in place");
  heap.malloc(16);
  const q = heap.realloc(p, 9000);
  assert.notEqual(q, p);
  assert.equal(proc.memory.read64(q), 0x1122334455);
  assert.equal(heap.realloc(q, 0), 0);
  heap.checkArena();
});

Deno.test("realloc of an mmapped chunk uses mremap", () => {
  const { heap } = fresh();
  const p = heap.malloc(300 * 1024);
  const q = heap.realloc(p, 600 * 1024);
  assert.equal(heap.lastRecord?.served, "mremap");
  assert.deepEqual(heap.lastRecord?.syscalls.map((s) => s.name), ["mremap"]);
  assert.equal(heap.classify(q).kind, "mmap");
  assert.ok(heap.usableSize(q) >= 600 * 1024);
});

Deno.test("memalign returns aligned chunks and gives back the leading part", () => {
  for (const glibc of ["2.31", "2.36", "2.41"]) {
    const { heap } = fresh(glibc);
    heap.malloc(1);
    const p = heap.memalign(0x1000, 100);
    assert.equal(p % 0x1000, 0);
    assert.ok(heap.usableSize(p) >= 100);
    heap.checkArena();
  }
});

Deno.test("posix_memalign rejects an alignment that is not a power-of-two multiple of void*", () => {
  const { heap } = fresh();
  assert.deepEqual(heap.posixMemalign(24, 10), { error: 22, pointer: 0 });
  const r = heap.posixMemalign(64, 10);
  assert.equal(r.error, 0);
  assert.equal(r.pointer % 64, 0);
});

Deno.test("aligned_alloc refuses a non-power-of-two alignment from glibc 2.38", () => {
  assert.equal(fresh("2.36").heap.alignedAlloc(48, 10) !== 0, true);
  assert.equal(fresh("2.41").heap.alignedAlloc(48, 10), 0);
});

Deno.test("valloc and pvalloc return page-aligned memory", () => {
  const { heap } = fresh();
  assert.equal(heap.valloc(10) % 4096, 0);
  const p = heap.pvalloc(10);
  assert.equal(p % 4096, 0);
  assert.ok(heap.usableSize(p) >= 4096);
  heap.checkArena();
});

Deno.test("malloc_trim gives the top back to the system", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(100_000);
  heap.malloc(16);
  heap.free(p);
  const before = proc.sbrk(0);
  mallocOf(heap);
  assert.equal(heap.mallocTrim(0), 1);
  assert.ok(proc.sbrk(0) <= before);
  heap.checkArena();
});

function mallocOf(heap: { malloc(n: number): number }): void {
  heap.malloc(0);
}

Deno.test("the printf buffer is a 4096-byte malloc after the tcache for a file, once", () => {
  const { proc, heap } = fresh();
  const buf = heap.printf();
  assert.equal(buf - heapStart(proc), 0x2a0);
  assert.equal(heap.usableSize(buf), 0x1008);
  assert.equal(heap.printf(), 0);
  assert.equal(heap.malloc(1000) - heapStart(proc), 0x12b0);
});

Deno.test("the seed machine's old glibc maps the stdout buffer instead of mallocing it", () => {
  const proc = new Process({ layout: "seed-i386", program: "mthread" });
  const heap = new Allocator(proc, { glibc: "2.23" });
  heap.printf({ stdout: "tty" });
  assert.deepEqual(heap.lastRecord?.syscalls.map((s) => s.name), ["mmap"]);
});

Deno.test("realloc copies every byte of a block that spans pages, zero pages included", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(10_000);
  for (let i = 0; i < 10_000; i += 997) proc.memory.write8(p + i, (i % 251) + 1);
  heap.malloc(16);
  const q = heap.realloc(p, 20_000);
  assert.notEqual(q, p);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(proc.memory.read8(q + i), i % 997 === 0 ? (i % 251) + 1 : 0);
  }
  heap.checkArena();
});
