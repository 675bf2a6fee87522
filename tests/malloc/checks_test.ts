import assert from "node:assert/strict";
import { SegmentationFault } from "../../src/kernel/errors.ts";
import { HeapAbort, HeapLoopError } from "../../src/malloc/errors.ts";
import { fresh } from "./helpers.ts";

function aborts(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HeapAbort, `expected a HeapAbort, got ${e}`);
    assert.equal(e.glibcMessage, message);
    return true;
  });
}

Deno.test("a double free of a fastbin chunk aborts: double free or corruption (fasttop)", () => {
  const { heap } = fresh();
  const ps = Array.from({ length: 8 }, () => heap.malloc(24));
  heap.malloc(24);
  ps.slice(0, 7).forEach((p) => heap.free(p));
  heap.free(ps[7]);
  aborts(() => heap.free(ps[7]), "double free or corruption (fasttop)");
});

Deno.test("the classic fastbin dup (a, b, a) is not caught on 2.23", () => {
  const { heap } = fresh("2.23");
  const a = heap.malloc(24), b = heap.malloc(24);
  heap.free(a);
  heap.free(b);
  heap.free(a);
  assert.equal(heap.malloc(24), a);
  assert.equal(heap.malloc(24), b);
  assert.equal(heap.malloc(24), a);
});

Deno.test("freeing a chunk whose size word was overwritten aborts: free(): invalid size", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(24);
  proc.memory.write64(p - 8, 0x11);
  aborts(() => heap.free(p), "free(): invalid size");
});

Deno.test("freeing a misaligned pointer aborts: free(): invalid pointer", () => {
  const { heap } = fresh();
  const p = heap.malloc(24);
  aborts(() => heap.free(p + 8), "free(): invalid pointer");
});

Deno.test("an overflow into the next chunk's size is caught: free(): invalid next size (normal)", () => {
  const { proc, heap } = fresh();
  const fill = Array.from({ length: 7 }, () => heap.malloc(0x100));
  const p = heap.malloc(0x100), q = heap.malloc(0x100);
  fill.forEach((x) => heap.free(x));
  proc.memory.write64(q - 8, 0x9); // p's overflow smashes q's size
  aborts(() => heap.free(p), "free(): invalid next size (normal)");
});

Deno.test("freeing the same large chunk twice aborts: double free or corruption (!prev)", () => {
  const { heap } = fresh();
  const p = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(p);
  aborts(() => heap.free(p), "double free or corruption (!prev)");
});

Deno.test("a corrupted top size is caught from 2.29: malloc(): corrupted top size", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(24);
  proc.memory.write64(p + 24, -1); // House of Force: top size = (size_t) -1
  aborts(() => heap.malloc(0x30000), "malloc(): corrupted top size");
});

Deno.test("House of Force works on 2.27: a huge top size wraps malloc to any address", () => {
  const { proc, heap } = fresh("2.27");
  const p = heap.malloc(24);
  const top = p + 24 - 8;
  proc.memory.write64(p + 24, -1);
  const target = proc.start.initialBreak - 0x800; // below the heap, in the program's data
  heap.malloc(target - 32 - top - 8); // negative: a huge size_t
  assert.equal(heap.lastRecord?.served, "top");
  const q = heap.malloc(24);
  assert.equal(q, target - 16);
});

Deno.test("a tampered unsorted chunk is caught: malloc(): invalid size (unsorted)", () => {
  const { proc, heap } = fresh();
  const p = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(p);
  proc.memory.write64(p - 8, 0x10);
  aborts(() => heap.malloc(0x600), "malloc(): invalid size (unsorted)");
});

Deno.test("unlinking a chunk with forged links aborts: corrupted double-linked list", () => {
  const { proc, heap } = fresh();
  const a = heap.malloc(0x500), b = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(a);
  proc.memory.write64(a, heap.context.tls().tcache - 16); // fd: a chunk whose bk is not a
  aborts(() => heap.free(b), "corrupted double-linked list");
});

Deno.test("2.36 catches a misaligned tcache entry: malloc(): unaligned tcache chunk detected", () => {
  const { proc, heap } = fresh();
  const a = heap.malloc(24), b = heap.malloc(24);
  heap.free(a);
  heap.free(b);
  proc.memory.write64(b, Number((BigInt(b) >> 12n) ^ BigInt(a + 8)));
  heap.malloc(24);
  aborts(() => heap.malloc(24), "malloc(): unaligned tcache chunk detected");
});

Deno.test("tcache poisoning on 2.31 hands out an arbitrary address", () => {
  const { proc, heap } = fresh("2.31");
  const a = heap.malloc(24), b = heap.malloc(24);
  heap.free(a);
  heap.free(b);
  const target = proc.start.initialBreak - 0x100;
  proc.memory.write64(b, target);
  heap.malloc(24);
  assert.equal(heap.malloc(24), target);
});

Deno.test("a fastbin list made into a cycle ends in a HeapLoopError, not a hang", () => {
  const { proc, heap } = fresh("2.31");
  const ps = Array.from({ length: 9 }, () => heap.malloc(24));
  heap.malloc(24);
  ps.slice(0, 7).forEach((p) => heap.free(p));
  heap.free(ps[7]);
  heap.free(ps[8]);
  proc.memory.write64(ps[7], ps[8] - 16); // ps[7] -> ps[8] -> ps[7] -> ...
  assert.throws(
    () => heap.malloc(0x500),
    (e: unknown) => e instanceof HeapAbort || e instanceof HeapLoopError,
  );
});

Deno.test("a wild fd pointer ends in a SegmentationFault from the memory layer", () => {
  const { proc, heap } = fresh("2.31");
  const a = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(a);
  proc.memory.write64(a + 8, 0x10); // bk of the unsorted chunk -> unmapped
  assert.throws(() => heap.malloc(0x500), (e: unknown) => e instanceof SegmentationFault);
});

Deno.test("an abort leaves the simulation inspectable", () => {
  const { heap } = fresh();
  const p = heap.malloc(24);
  heap.free(p);
  assert.throws(() => heap.free(p), HeapAbort);
  assert.equal(heap.lastRecord?.operation, "free");
  heap.checkArena();
  assert.equal(heap.malloc(24), p);
});

Deno.test("2.23 reports unsorted corruption as malloc(): memory corruption", () => {
  const { proc, heap } = fresh("2.23");
  const p = heap.malloc(0x500);
  heap.malloc(16);
  heap.free(p);
  proc.memory.write64(p - 8, 0x10);
  aborts(() => heap.malloc(0x600), "malloc(): memory corruption");
});
