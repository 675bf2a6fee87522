import assert from "node:assert/strict";
import {
  Allocator,
  MADV_DONTNEED,
  MADV_GUARD_INSTALL,
  MADV_GUARD_REMOVE,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_STACK,
  Process,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
} from "../../mod.ts";

const RW = PROT_READ | PROT_WRITE;

function anon(p: Process, length: number, flags = 0): number {
  return p.sys.mmap(0, length, RW, MAP_PRIVATE | MAP_ANONYMOUS | flags);
}

Deno.test("MADV_DONTNEED: anonymous pages read back as zeros, the area stays", () => {
  const p = new Process({ layout: "x86_64" });
  const a = anon(p, 0x3000);
  p.memory.write64(a + 0x1008, 0x1234);
  const before = p.maps();
  assert.equal(p.sys.madvise(a + 0x1000, 0x1000, MADV_DONTNEED), 0);
  assert.equal(p.memory.read64(a + 0x1008), 0);
  assert.equal(p.maps(), before);
});

Deno.test("MADV_GUARD_INSTALL: a guard page faults on any access, in an unsplit, unmarked area", () => {
  const p = new Process({ layout: "x86_64" });
  const a = anon(p, 0x3000);
  p.memory.write64(a + 0x1000, 7);
  const before = p.maps();
  assert.equal(p.sys.madvise(a + 0x1000, 0x1000, MADV_GUARD_INSTALL), 0);
  assert.equal(p.maps(), before); // no new VMA, nothing in the text
  assert.deepEqual(p.space.areaAt(a), p.space.areaAt(a + 0x2000)); // one area, not split
  assert.throws(() => p.memory.read8(a + 0x1000), SegmentationFault);
  assert.throws(() => p.memory.write8(a + 0x1fff, 1), SegmentationFault);
  p.memory.write8(a + 0x2000, 1); // the pages around it are untouched
  assert.ok(p.space.isGuardPage(a + 0x1800));
  // mprotect of the area keeps the guard; MADV_GUARD_REMOVE lifts it and the page is zero.
  p.sys.mprotect(a, 0x3000, PROT_READ);
  assert.throws(() => p.memory.read8(a + 0x1000), SegmentationFault);
  assert.equal(p.sys.madvise(a + 0x1000, 0x1000, MADV_GUARD_REMOVE), 0);
  assert.equal(p.memory.read64(a + 0x1000), 0);
});

Deno.test("a guard page goes away with its area", () => {
  const p = new Process({ layout: "x86_64" });
  const a = anon(p, 0x2000);
  p.sys.madvise(a, 0x1000, MADV_GUARD_INSTALL);
  p.sys.munmap(a, 0x2000);
  assert.ok(!p.space.isGuardPage(a));
  const b = p.sys.mmap(a, 0x2000, RW, MAP_PRIVATE | MAP_ANONYMOUS | 0x10); // MAP_FIXED
  assert.equal(b, a);
  p.memory.write8(a, 1);
});

Deno.test("glibc 2.43 stacks: rw-p with a guard page inside, and neighbouring stacks merge", () => {
  const p = new Process({ layout: "x86_64" });
  new Allocator(p, { glibc: "2.43" });
  const before = p.syscalls.lastSeq;
  const t1 = p.pthreadCreate();
  const calls = p.syscalls.since(before).filter((c) => c.name !== "brk");
  assert.deepEqual(calls.slice(0, 2).map((c) => c.name), ["mmap", "madvise"]);
  assert.equal(calls[0].args[2], RW);
  assert.deepEqual(calls[1].args, [t1.stack!.base, 0x1000, MADV_GUARD_INSTALL]);
  const t2 = p.pthreadCreate();
  assert.equal(t2.stack!.base + t2.stack!.size, t1.stack!.base);
  const area = p.space.areaAt(t1.stack!.base)!;
  assert.equal(area.start, t2.stack!.base); // one VMA holding both stacks, guards included
  assert.equal(area.end - area.start, 2 * 0x801000);
  assert.throws(() => p.memory.read8(t1.stack!.base), SegmentationFault);
  assert.throws(() => p.memory.read8(t2.stack!.base), SegmentationFault);
  assert.equal(anon(p, 0x1000, MAP_STACK) > 0, true);
});
