import assert from "node:assert/strict";
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  Process,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
  words64,
} from "../../mod.ts";
import { Memory } from "../../src/kernel/memory.ts";
import type { Vma } from "../../src/kernel/vma.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function freshMapping(length = 0x3000, prot = RW) {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, length, prot, ANON);
  return { proc, addr, mem: proc.memory };
}

Deno.test("untouched anonymous memory reads as zeros without creating pages", () => {
  const { mem, addr } = freshMapping();
  assert.equal(mem.read64(addr + 0x1008), 0);
  assert.equal(mem.residentPages, 0);
});

Deno.test("words are little-endian and 64-bit words keep (size_t)-1 exactly", () => {
  const { mem, addr } = freshMapping();
  mem.write64(addr, 0x1122334455667);
  assert.equal(mem.read8(addr), 0x67);
  assert.equal(mem.read32(addr), 0x34455667);
  assert.equal(mem.read64(addr), 0x1122334455667);
  mem.write64(addr + 8, -1);
  assert.deepEqual([...mem.readBytes(addr + 8, 8)], new Array(8).fill(0xff));
  assert.equal(mem.read64(addr + 8), -1);
  assert.equal(words64.toBigInt(mem.read64(addr + 8)), 0xffffffffffffffffn);
});

Deno.test("accesses that cross a page boundary read and write both pages", () => {
  const { mem, addr } = freshMapping();
  mem.write64(addr + 0xffc, 0x000a030405060708);
  assert.equal(mem.read32(addr + 0xffc), 0x05060708);
  assert.equal(mem.read32(addr + 0x1000), 0x000a0304);
  assert.equal(mem.read64(addr + 0xffc), 0x000a030405060708);
});

Deno.test("a read of unmapped memory is a SegmentationFault with SEGV_MAPERR", () => {
  const { mem, proc, addr } = freshMapping();
  proc.sys.munmap(addr, 0x3000);
  assert.throws(() => mem.read64(addr + 0x10), (e: unknown) => {
    assert.ok(e instanceof SegmentationFault);
    assert.equal(e.code, "SEGV_MAPERR");
    assert.equal(e.access, "read");
    assert.equal(e.address, addr + 0x10);
    return true;
  });
});

Deno.test("a write to read-only memory is a SegmentationFault with SEGV_ACCERR", () => {
  const { mem, addr } = freshMapping(0x1000, PROT_READ);
  assert.equal(mem.read8(addr), 0);
  assert.throws(() => mem.write8(addr, 1), (e: unknown) => {
    assert.ok(e instanceof SegmentationFault);
    assert.equal(e.code, "SEGV_ACCERR");
    assert.equal(e.access, "write");
    return true;
  });
});

Deno.test("PROT_NONE memory can be neither read nor written", () => {
  const { mem, addr } = freshMapping(0x1000, PROT_NONE);
  assert.throws(() => mem.read8(addr), SegmentationFault);
  assert.throws(() => mem.write64(addr, 1), SegmentationFault);
});

Deno.test("an access that runs off the end of a mapping faults at the first bad byte", () => {
  const { mem, proc, addr } = freshMapping(0x2000);
  proc.sys.munmap(addr + 0x1000, 0x1000);
  assert.throws(() => mem.write64(addr + 0xffc, 1), (e: unknown) => {
    assert.ok(e instanceof SegmentationFault);
    assert.equal(e.address, addr + 0x1000);
    return true;
  });
});

Deno.test("mprotect takes effect on the next access, even after a cached one", () => {
  const { mem, proc, addr } = freshMapping(0x2000);
  mem.write8(addr, 7);
  proc.sys.mprotect(addr, 0x1000, PROT_READ);
  assert.equal(mem.read8(addr), 7);
  assert.throws(() => mem.write8(addr, 1), SegmentationFault);
  mem.write8(addr + 0x1000, 1);
});

Deno.test("munmap drops the contents: a new mapping at the same place reads zeros", () => {
  const { mem, proc, addr } = freshMapping(0x1000);
  mem.write32(addr, 0xdeadbeef);
  proc.sys.munmap(addr, 0x1000);
  const again = proc.sys.mmap(0, 0x1000, RW, ANON);
  assert.equal(again, addr);
  assert.equal(mem.read32(addr), 0);
});

Deno.test("fill, copy and byte ranges behave like memset and memmove", () => {
  const { mem, addr } = freshMapping();
  mem.fill(addr + 10, 5000, 0xab);
  assert.equal(mem.read8(addr + 9), 0);
  assert.equal(mem.read8(addr + 10), 0xab);
  assert.equal(mem.read8(addr + 5009), 0xab);
  assert.equal(mem.read8(addr + 5010), 0);
  mem.copy(addr + 0x2000, addr + 10, 16);
  assert.deepEqual([...mem.readBytes(addr + 0x2000, 16)], new Array(16).fill(0xab));
});

Deno.test("32-bit words wrap modulo 2^32", () => {
  const proc = new Process({ layout: "i386" });
  const addr = proc.sys.mmap(0, 0x1000, RW, ANON);
  proc.memory.write32(addr, -1);
  assert.equal(proc.memory.read32(addr), 0xffffffff);
  assert.equal(proc.words.add(0xfffffff0, 0x20), 0x10);
  assert.equal(proc.words.sub(0x10, 0x20), 0xfffffff0);
});

Deno.test("a fault at a negative word address names it as the unsigned 64-bit address", () => {
  const { mem } = freshMapping(0x1000);
  assert.throws(() => mem.read64(-9), (e: unknown) => {
    assert.ok(e instanceof SegmentationFault);
    assert.equal(e.address, -9);
    assert.match(e.message, /0xfffffffffffffff7$/);
    return true;
  });
});

Deno.test("readInto fills a reused buffer, untouched pages as zeros, and faults like readBytes", () => {
  const { proc, mem, addr } = freshMapping();
  const buffer = new Uint8Array(0x1800).fill(0xaa);
  mem.write8(addr + 0x800, 7);
  mem.readInto(addr + 0x800, buffer); // one written page, then half an untouched one
  assert.equal(buffer[0], 7);
  assert.ok(buffer.subarray(1).every((b) => b === 0));
  assert.deepEqual(buffer, mem.readBytes(addr + 0x800, 0x1800));
  assert.equal(mem.residentPages, 1);
  proc.sys.mprotect(addr + 0x2000, 0x1000, PROT_NONE);
  assert.throws(() => mem.readInto(addr + 0x1000, buffer), SegmentationFault);
});

Deno.test("the TLB never serves a page after its protection or bytes changed", () => {
  const { proc, mem, addr } = freshMapping();
  mem.write64(addr, 0x1234);
  assert.equal(mem.read64(addr), 0x1234); // now in the TLB
  proc.sys.mprotect(addr, 0x1000, PROT_READ);
  assert.throws(() => mem.write64(addr, 1), SegmentationFault);
  assert.equal(mem.read64(addr), 0x1234);
  proc.sys.munmap(addr, 0x1000);
  assert.throws(() => mem.read64(addr), SegmentationFault);
  const again = proc.sys.mmap(addr, 0x1000, RW, ANON | 0x10); // MAP_FIXED
  assert.equal(again, addr);
  assert.equal(mem.read64(addr), 0); // the old bytes are gone
});

Deno.test("an access the TLB holds a page for is served by it only when aligned and in the page", () => {
  const { mem, addr } = freshMapping();
  const bytes = [
    0x10,
    0x11,
    0x12,
    0x13,
    0x14,
    0x15,
    0x16,
    0x17,
    0x18,
    0,
    0,
    0x1b,
    0x1c,
    0x1d,
    0x1e,
  ];
  bytes.forEach((b, i) => mem.write8(addr + i, b));
  assert.equal(mem.read16(addr), 0x1110); // the page is now in the TLB
  // Misaligned accesses within the cached page read and write the bytes they cover.
  assert.equal(mem.read64(addr + 3), 0x1817_1615_1413);
  assert.equal(mem.read32(addr + 1), 0x1413_1211);
  assert.equal(mem.read16(addr + 5), 0x1615);
  mem.write64(addr + 4, 0x2524_2322_2120);
  mem.write32(addr + 13, 0x3433_3231);
  mem.write16(addr + 1, 0x4241);
  assert.deepEqual(
    [...mem.readBytes(addr, 17)],
    [
      0x10,
      0x41,
      0x42,
      0x13,
      0x20,
      0x21,
      0x22,
      0x23,
      0x24,
      0x25,
      0,
      0,
      0x1c,
      0x31,
      0x32,
      0x33,
      0x34,
    ],
  );
  // Addresses whose low 32 bits equal the cached page's (the same TLB entry) are other pages.
  for (const far of [addr + 2 ** 32, addr + 2 ** 44, addr - 2 ** 32]) {
    assert.throws(() => mem.read64(far), SegmentationFault);
    assert.throws(() => mem.write64(far, 1), SegmentationFault);
  }
});

/** A memory over fixed areas (no address space), for tests of its own tables. */
function memoryOver(areas: { start: number; end: number; prot: number }[]): Memory {
  const vmas: Vma[] = areas.map((a) => ({ ...a, flags: 0, pgoff: 0, anon: 0 }));
  return new Memory({
    areaAt: (addr) => vmas.find((v) => v.start <= addr && addr < v.end),
    areasIn: (start, end, visit) => {
      for (const v of vmas) if (v.start < end && start < v.end) visit(v);
    },
    firstWrite: (vma) => vma.anon = 1,
    addressText: (addr) => `0x${addr.toString(16)}`,
  });
}

Deno.test("no address matches an empty TLB entry of a fresh memory, page 0's included", () => {
  // The TLB's first entry holds page 0 and every 32768th page after it.
  const far = 32768 * 4096;
  const mem = memoryOver([
    { start: 0, end: 0x1000, prot: PROT_READ },
    { start: 0x1000, end: 0x2000, prot: RW },
    { start: far, end: far + 0x1000, prot: RW },
  ]);
  assert.throws(() => mem.write64(0, 1), (e) => e instanceof SegmentationFault);
  assert.throws(() => mem.write32(8, 1), (e) => e instanceof SegmentationFault);
  assert.equal(mem.read64(0), 0);
  assert.throws(() => mem.read64(0x2000), (e) => e instanceof SegmentationFault);
  assert.throws(() => mem.read64(far + 0x1000), (e) => e instanceof SegmentationFault);
  mem.write64(0x1000, 0x1234);
  mem.write64(far, 0x5678);
  assert.equal(mem.read64(0x1000), 0x1234);
  assert.equal(mem.read64(far), 0x5678);
  assert.equal(mem.read64(0), 0);
  assert.equal(mem.residentPages, 2);
});

Deno.test("pages far apart in one directory keep their bytes until dropped", () => {
  const { proc, mem, addr } = freshMapping(64 << 20);
  const offsets = [0, 0x1000, 5 << 20, (64 << 20) - 0x1000];
  offsets.forEach((off, i) => mem.write64(addr + off, i + 1));
  assert.equal(mem.residentPages, offsets.length);
  offsets.forEach((off, i) => assert.equal(mem.read64(addr + off), i + 1));
  proc.sys.munmap(addr + 0x1000, (32 << 20) - 0x1000);
  assert.equal(mem.residentPages, 2);
  assert.equal(mem.read64(addr), 1);
  assert.equal(mem.read64(addr + (64 << 20) - 0x1000), 4);
  const snapshot = proc.snapshot();
  mem.write64(addr, 9);
  proc.restore(snapshot);
  assert.equal(mem.read64(addr), 1);
});

Deno.test("the TLB drops a page whose protection changed after a flush of every entry", () => {
  const { proc, mem, addr } = freshMapping();
  mem.write64(addr, 1); // the page is now in the TLB
  // Unmapping more pages than the TLB has entries empties it whole.
  const big = proc.sys.mmap(0, 200 << 20, RW, ANON);
  mem.write64(big, 2);
  proc.sys.munmap(big, 200 << 20);
  assert.equal(mem.read64(addr), 1); // back in the TLB
  proc.sys.mprotect(addr, 0x1000, PROT_READ);
  assert.throws(() => mem.write64(addr, 3), SegmentationFault);
  assert.throws(() => mem.read64(big), SegmentationFault);
});
