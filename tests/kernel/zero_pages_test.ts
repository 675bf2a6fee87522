/**
 * Pages known zero (memory.ts, `#zeroed`): a page cleared whole is not cleared again while no
 * write reached it. Whatever write comes — of any width, in place or through the slow path,
 * bulk, copied, with or without the journal, after a snapshot — the next clear clears it, and
 * realloc's question whether a page is zero sees the write.
 */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

const RW = 3, R = 1, ANON = 0x22;
const ZEROS = new Uint8Array(4096);

type Mode = "plain" | "after a snapshot" | "journal";

for (const mode of ["plain", "after a snapshot", "journal"] as Mode[]) {
  Deno.test(`a page cleared whole is cleared again after any write reached it (${mode})`, () => {
    const proc = new Process({ layout: "x86_64" });
    const memory = proc.memory;
    const addr = proc.sys.mmap(0, 2 * 4096, RW, ANON);
    memory.fill(addr, 2 * 4096, 0x11);
    if (mode === "journal") memory.startJournal();
    const writes: [string, () => void][] = [
      ["write8", () => memory.write8(addr + 4095, 1)],
      ["write16", () => memory.write16(addr + 2, 0xbeef)],
      ["write32", () => memory.write32(addr + 12, 7)],
      ["write64", () => memory.write64(addr + 16, 0x1234_5678_9abc)],
      ["unaligned write64", () => memory.write64(addr + 4093, 0x1_0000_0001)],
      ["writeBig64", () => memory.writeBig64(addr + 24, 5n)],
      ["writeBytes", () => memory.writeBytes(addr + 100, new Uint8Array([1, 2, 3]))],
      ["fill", () => memory.fill(addr + 200, 3, 9)],
      ["copy", () => memory.copy(addr + 300, addr + 4096, 8)],
    ];
    const positions = [memory.journalPosition];
    for (
      const [test, write, retlb] of writes.flatMap(([n, w]) =>
        [[n, w, false], [n, w, true]] as const
      )
    ) {
      const name = `${test}${retlb ? " after a TLB refill" : ""}`;
      memory.write64(addr + 8, 1); // (the page in the TLB, as a write leaves it)
      memory.fill(addr, 4096, 0);
      if (mode === "after a snapshot") proc.snapshot();
      if (retlb) {
        // The page out of the TLB (a change of protection) and in again by a read, so that a
        // write finds it there if anything put it back.
        proc.sys.mprotect(addr, 4096, R);
        proc.sys.mprotect(addr, 4096, RW);
        memory.read64(addr + 16);
      }
      write();
      write(); // a second write: the first may have put the page back in the TLB
      assert.equal(memory.isZero(addr, 4096), false, `${name} reached the page`);
      positions.push(memory.journalPosition);
      memory.fill(addr, 4096, 0);
      assert.deepEqual(memory.readBytes(addr, 4096), ZEROS, `${name}: cleared`);
      assert.equal(memory.isZero(addr, 4096), true);
      positions.push(memory.journalPosition);
    }
    if (mode !== "journal") return;
    // Moving the journal back and forth gives each state again; a clear after a move clears.
    memory.moveJournal(positions[0]);
    assert.equal(memory.read8(addr), 0x11);
    memory.moveJournal(positions[1]);
    assert.equal(memory.read8(addr + 4095), 1);
    memory.fill(addr, 4096, 0);
    assert.deepEqual(memory.readBytes(addr, 4096), ZEROS);
    memory.stopJournal();
  });
}

Deno.test("a restored snapshot's page is cleared again though it was cleared before", () => {
  const proc = new Process({ layout: "x86_64" });
  const memory = proc.memory;
  const addr = proc.sys.mmap(0, 4096, RW, ANON);
  memory.fill(addr, 4096, 0x22);
  const dirty = proc.snapshot();
  memory.fill(addr, 4096, 0);
  proc.restore(dirty);
  assert.equal(memory.read8(addr + 7), 0x22);
  memory.fill(addr, 4096, 0);
  assert.deepEqual(memory.readBytes(addr, 4096), ZEROS);
  // And a fork of a state where the page was known zero starts knowing nothing.
  const child = proc.fork();
  child.memory.write8(addr + 9, 3);
  child.memory.fill(addr, 4096, 0);
  assert.equal(child.memory.read8(addr + 9), 0);
});

Deno.test("a page known zero that other bytes are moved onto is cleared again", () => {
  const proc = new Process({ layout: "x86_64" });
  const memory = proc.memory;
  const a = proc.sys.mmap(0, 4096, RW, ANON), b = proc.sys.mmap(0, 4096, RW, ANON);
  memory.fill(a, 4096, 0x11);
  memory.fill(a, 4096, 0);
  memory.fill(b, 4096, 0x33);
  memory.move(b, a, 4096); // as mremap moves a mapping's pages
  assert.equal(memory.read8(a + 5), 0x33);
  memory.fill(a, 4096, 0);
  assert.deepEqual(memory.readBytes(a, 4096), ZEROS);
});

Deno.test("random writes, whole-page clears, snapshots and restores read as a byte model", () => {
  const PAGES = 6, SIZE = PAGES * 4096;
  for (let seed = 1; seed <= 6; seed++) {
    const random = new SeededRandom(seed);
    const r = (n: number) => random.int(n);
    const proc = new Process({ layout: "x86_64" });
    const memory = proc.memory;
    const addr = proc.sys.mmap(0, SIZE, RW, ANON);
    const model = new Uint8Array(SIZE);
    const saved: { snap: ReturnType<Process["snapshot"]>; bytes: Uint8Array }[] = [];
    for (let n = 0; n < 600; n++) {
      const k = r(100), page = r(PAGES) * 4096;
      if (k < 30) {
        // Whole pages cleared (mostly) or filled, as calloc and memset do.
        const pages = 1 + r(2), at = Math.min(page, SIZE - pages * 4096);
        const v = r(4) === 0 ? 1 + r(255) : 0;
        memory.fill(addr + at, pages * 4096, v);
        model.fill(v, at, at + pages * 4096);
      } else if (k < 70) {
        const width = [1, 2, 4, 8][r(4)];
        const off = r(3) === 0 ? r(SIZE - 8) : r(SIZE / width) * width;
        const value = r(0x1_0000) * 0x1_0000 + r(0x1_0000);
        if (width === 1) memory.write8(addr + off, value);
        else if (width === 2) memory.write16(addr + off, value);
        else if (width === 4) memory.write32(addr + off, value);
        else memory.write64(addr + off, value);
        for (let b = 0; b < width; b++) model[off + b] = b < 4 ? (value >>> (8 * b)) & 0xff : 0;
      } else if (k < 78) {
        const bytes = Uint8Array.from({ length: 1 + r(200) }, () => r(256));
        const at = r(SIZE - bytes.length);
        memory.writeBytes(addr + at, bytes);
        model.set(bytes, at);
      } else if (k < 84) {
        const length = 1 + r(6000), from = r(SIZE - length), to = r(SIZE - length);
        memory.copy(addr + to, addr + from, length);
        model.copyWithin(to, from, from + length);
      } else if (k < 88) {
        proc.sys.munmap(addr + page, 4096);
        assert.equal(proc.sys.mmap(addr + page, 4096, RW, ANON | 0x10), addr + page);
        model.fill(0, page, page + 4096);
      } else if (k < 92) {
        proc.sys.mprotect(addr + page, 4096, R);
        proc.sys.mprotect(addr + page, 4096, RW);
      } else if (k < 96) {
        saved.push({ snap: proc.snapshot(), bytes: model.slice() });
      } else if (saved.length > 0) {
        const back = saved[r(saved.length)];
        proc.restore(back.snap);
        model.set(back.bytes);
      }
      const at = r(PAGES) * 4096;
      assert.equal(
        memory.isZero(addr + at, 4096),
        model.subarray(at, at + 4096).every((b) => b === 0),
        `seed ${seed} step ${n}: isZero`,
      );
      if (n % 10 === 0) assert.deepEqual(memory.readBytes(addr, SIZE), model, `seed ${seed} ${n}`);
    }
    assert.deepEqual(memory.readBytes(addr, SIZE), model, `seed ${seed}`);
  }
});
