/**
 * Bulk memory accesses (copy, isZero, fill) that work on page views in place: they must give
 * the bytes a byte-by-byte copy or scan gives, at any alignment and across page boundaries,
 * and fault as the read and write they stand for.
 */

import assert from "node:assert/strict";
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  Process,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
} from "../../mod.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/** A mapping of 6 pages whose pages 0, 1 and 4 hold a byte pattern and the rest are untouched. */
function patterned() {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x6000, RW, ANON);
  const bytes = new Uint8Array(0x6000);
  for (const page of [0, 1, 4]) {
    for (let i = 0; i < 0x1000; i++) bytes[page * 0x1000 + i] = (i * 7 + page + 1) & 0xff;
    proc.memory.writeBytes(
      addr + page * 0x1000,
      bytes.subarray(page * 0x1000, page * 0x1000 + 0x1000),
    );
  }
  return { proc, addr, bytes, mem: proc.memory };
}

Deno.test("copy gives the bytes of a byte-by-byte copy at every alignment", () => {
  const cases: [number, number, number][] = [];
  for (const from of [0, 1, 3, 8, 0x0ffc, 0x0ff9, 0x1004]) {
    for (const to of [0x3000, 0x3001, 0x3ffe, 0x5008]) {
      for (const length of [1, 7, 16, 0x1000, 0x1003]) {
        if (to + length <= 0x6000) cases.push([from, to, length]);
      }
    }
  }
  for (const [from, to, length] of cases) {
    const { mem, addr, bytes } = patterned();
    const before = mem.readBytes(addr + to - 8, 8);
    mem.copy(addr + to, addr + from, length);
    assert.deepEqual(
      mem.readBytes(addr + to, length),
      bytes.subarray(from, from + length),
      `copy of ${length} from +${from} to +${to}`,
    );
    assert.deepEqual(mem.readBytes(addr + to - 8, 8), before);
  }
});

Deno.test("copy between overlapping ranges moves the bytes as memmove", () => {
  const { mem, addr, bytes } = patterned();
  mem.copy(addr + 0x10, addr, 0x1800);
  assert.deepEqual(mem.readBytes(addr + 0x10, 0x1800), bytes.subarray(0, 0x1800));
});

Deno.test("copy faults on the source before writing anything", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x3000, RW, ANON);
  proc.sys.munmap(addr + 0x2000, 0x1000);
  proc.memory.fill(addr, 0x10, 0x41);
  assert.throws(() => proc.memory.copy(addr, addr + 0x1800, 0x1000), SegmentationFault);
  assert.equal(proc.memory.read8(addr), 0x41);
});

Deno.test("copy faults on an unreadable source before a non-canonical destination", () => {
  // memmove reads before it writes: the source's fault comes first, as readBytes then
  // writeBytes would give it (the raw memory the simulator uses and the checked one alike).
  const proc = new Process({ layout: "x86_64" });
  for (const mem of [proc.memory, proc.space.memory]) {
    assert.throws(
      () => mem.copy(2 ** 60, 0x1000, 16),
      (e) => e instanceof SegmentationFault && e.address === 0x1000 && e.access === "read",
    );
  }
});

Deno.test("isZero sees any non-zero byte, wherever it is, and untouched pages as zeros", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x3000, RW, ANON);
  assert.ok(proc.memory.isZero(addr, 0x3000));
  assert.equal(proc.memory.residentPages, 0);
  for (const at of [0, 1, 2, 3, 5, 0xfff, 0x1000, 0x1ffd]) {
    proc.memory.write8(addr + at, 9);
    for (const [from, length] of [[0, 0x3000], [at, 1], [at - 3, 4], [at - 1, 3]]) {
      if (from < 0) continue;
      assert.equal(proc.memory.isZero(addr + from, length), false, `${at} in +${from},${length}`);
    }
    assert.ok(proc.memory.isZero(addr + at + 1, 0x3000 - at - 1));
    if (at > 0) assert.ok(proc.memory.isZero(addr, at));
    proc.memory.write8(addr + at, 0);
  }
});

Deno.test("findByte finds what a byte-by-byte scan finds, across pages and untouched ones", () => {
  const { addr, bytes, mem } = patterned();
  const scan = (from: number, value: number, limit: number) => {
    for (let i = 0; i < limit; i++) if (bytes[from + i] === value) return i;
    return -1;
  };
  for (const from of [0, 1, 0xffd, 0x1fff, 0x2000, 0x3fff]) {
    for (const value of [0, 0x41, 0xff, 0x1b5]) {
      for (const limit of [0, 1, 7, 0x1003, 0x6000 - from]) {
        assert.equal(mem.findByte(addr + from, value, limit), scan(from, value & 0xff, limit));
      }
    }
  }
});

Deno.test("findByte faults at the first byte it may not read before a match, as read8 would", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x3000, RW, ANON);
  proc.sys.munmap(addr + 0x2000, 0x1000);
  proc.memory.fill(addr, 0x2000, 0x41);
  assert.equal(proc.memory.findByte(addr + 0x1ff0, 0x41, Infinity), 0);
  assert.throws(
    () => proc.memory.findByte(addr + 0x1ff0, 0, Infinity),
    (e) => e instanceof SegmentationFault && e.address === addr + 0x2000 && e.access === "read",
  );
  assert.equal(proc.memory.findByte(addr + 0x1ff0, 0, 0x10), -1);
});
