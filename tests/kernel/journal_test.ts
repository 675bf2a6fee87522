/**
 * The memory's journal (memory.ts): writes of every width and bulk writes made while it is on
 * are undone and redone word for word, whether they took the journal's TLB (a page copied since
 * the journal started, written in place and logged) or the slow path; a commit, a change of
 * protection or a dropped page takes a page out of that TLB.
 */

import assert from "node:assert/strict";
import { SegmentationFault } from "../../src/kernel/errors.ts";
import { Process } from "../../src/kernel/process.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

const RW = 3, R = 1, ANON = 0x22;
const PAGES = 6;

Deno.test("random writes of every width with the journal on come back at every position", () => {
  for (let seed = 1; seed <= 6; seed++) {
    const random = new SeededRandom(seed);
    const r = (n: number) => random.int(n);
    const proc = new Process({ layout: "x86_64" });
    const memory = proc.memory;
    const addr = proc.sys.mmap(0, PAGES * 4096, RW, ANON);
    memory.fill(addr + 4096, 4096, 0x5a); // a page with bytes before the journal starts
    memory.startJournal();
    // What every byte should be at each journal position, kept as the writes go.
    const model = memory.readBytes(addr, PAGES * 4096);
    const seen: { position: number; bytes: Uint8Array }[] = [];
    const remember = () => seen.push({ position: memory.journalPosition, bytes: model.slice() });
    remember();
    for (let n = 0; n < 400; n++) {
      const k = r(100);
      // Mostly aligned words, as the allocator writes; some unaligned and page-crossing.
      const width = [1, 2, 4, 8][r(4)];
      const off = r(5) === 0 ? r(PAGES * 4096 - 8) : r(PAGES * 4096 / width) * width;
      const value = r(0x1_0000) * 0x1_0000 + r(0x1_0000);
      if (k < 70) {
        if (width === 1) memory.write8(addr + off, value);
        else if (width === 2) memory.write16(addr + off, value);
        else if (width === 4) memory.write32(addr + off, value);
        else memory.write64(addr + off, value);
        for (let b = 0; b < width; b++) {
          model[off + b] = b < 4 ? (value >>> (8 * b)) & 0xff : 0;
        }
      } else if (k < 78) {
        const bytes = Uint8Array.from({ length: 1 + r(300) }, () => r(256));
        const at = Math.min(off, PAGES * 4096 - bytes.length);
        memory.writeBytes(addr + at, bytes);
        model.set(bytes, at);
      } else if (k < 83) {
        const length = Math.min(1 + r(5000), PAGES * 4096 - off), v = r(3) === 0 ? 0 : r(256);
        memory.fill(addr + off, length, v);
        model.fill(v, off, off + length);
      } else if (k < 86) {
        // Whole pages, as calloc clears them: with bytes, or with zeros (a page cleared whole
        // is known zero until its next write, and clearing it again is skipped).
        const pages = 1 + r(2), page = r(PAGES - pages + 1) * 4096;
        const v = r(3) === 0 ? 1 + r(255) : 0;
        memory.fill(addr + page, pages * 4096, v);
        model.fill(v, page, page + pages * 4096);
      } else if (k < 90) {
        const length = 1 + r(3000), from = r(PAGES * 4096 - length), to = r(PAGES * 4096 - length);
        memory.copy(addr + to, addr + from, length);
        model.copyWithin(to, from, from + length);
      } else if (k < 94) {
        // A page dropped (munmap and map again: it reads as zeros).
        const page = r(PAGES) * 4096;
        proc.sys.munmap(addr + page, 4096);
        assert.equal(proc.sys.mmap(addr + page, 4096, RW, ANON | 0x10), addr + page);
        model.fill(0, page, page + 4096);
      } else if (k < 97) {
        memory.snapshotPages(); // a commit: every page is copied again on its next write
      } else {
        // Read-only for a moment: a write faults even on a page the journal's TLB held.
        const page = r(PAGES) * 4096;
        memory.write64(addr + page, 7);
        model.fill(0, page, page + 8);
        model[page] = 7;
        proc.sys.mprotect(addr + page, 4096, R);
        assert.throws(() => memory.write64(addr + page + 8, 1), SegmentationFault);
        assert.throws(() => memory.write16(addr + page + 16, 1), SegmentationFault);
        assert.throws(() => memory.write32(addr + page + 24, 1), SegmentationFault);
        proc.sys.mprotect(addr + page, 4096, RW);
      }
      remember();
    }
    const check = (i: number) => {
      memory.moveJournal(seen[i].position);
      assert.deepEqual(memory.readBytes(addr, PAGES * 4096), seen[i].bytes, `seed ${seed} ${i}`);
    };
    for (let i = seen.length - 1; i >= 0; i -= 3) check(i);
    for (let i = 0; i < seen.length; i += 5) check(i);
    const mid = seen[Math.floor(seen.length / 2)];
    // A new future from the middle: the entries ahead are dropped, the new ones kept.
    memory.moveJournal(mid.position);
    memory.write64(addr + 64, 0xdead_beef);
    const future = memory.journalPosition;
    memory.moveJournal(seen[0].position);
    assert.deepEqual(memory.readBytes(addr, PAGES * 4096), seen[0].bytes);
    memory.moveJournal(future);
    assert.equal(memory.read64(addr + 64), 0xdead_beef);
    assert.throws(() => memory.moveJournal(future + 1), {
      name: "ArgumentRangeError",
      message: `Argument position out of range: ${future + 1} ` +
        `(expected a journal position from 0 to ${future})`,
    });
    memory.stopJournal();
  }
});

Deno.test("after the journal stops, writes are neither logged nor lost", () => {
  const proc = new Process({ layout: "x86_64" });
  const memory = proc.memory;
  const addr = proc.sys.mmap(0, 4096, RW, ANON);
  memory.startJournal();
  memory.write64(addr, 1);
  memory.write64(addr, 2); // in place, through the journal's TLB
  assert.equal(memory.journalBytes, 3 * 16, "a fresh page and two words");
  memory.stopJournal();
  assert.equal(memory.journalBytes, 0);
  for (let i = 0; i < 4; i++) memory.write64(addr + 8 * i, 10 + i);
  memory.write16(addr + 40, 0xbeef);
  assert.deepEqual([0, 8, 16, 24].map((o) => memory.read64(addr + o)), [10, 11, 12, 13]);
  assert.equal(memory.read16(addr + 40), 0xbeef);
  assert.equal(memory.journalBytes, 0);
});

Deno.test("writes that change no word log nothing, and keep the entries ahead", () => {
  const proc = new Process({ layout: "x86_64" });
  const memory = proc.memory;
  const addr = proc.sys.mmap(0, 4096, RW, ANON);
  memory.fill(addr, 4096, 0x11);
  memory.startJournal();
  memory.write64(addr, 5);
  const ahead = memory.journalPosition;
  memory.moveJournal(0);
  memory.fill(addr + 64, 64, 0x11);
  memory.writeBytes(addr + 130, new Uint8Array(9).fill(0x11));
  memory.write32(addr + 8, 0x1111_1111);
  assert.equal(memory.journalPosition, 0);
  memory.moveJournal(ahead);
  assert.equal(memory.read64(addr), 5);
  memory.stopJournal();
});
