/**
 * The page pool behind the simulated memory: pages come zeroed, and dropped pages are reused
 * only when nothing else holds them (a snapshot or the journal keeps theirs intact).
 */

import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "../../mod.ts";
import { forEachPage } from "../../src/kernel/page_map.ts";
import {
  FREE_PAGES_KEPT,
  PagePool,
  PageStore,
  SLAB_PAGES,
  slabOf,
} from "../../src/kernel/page_pool.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

Deno.test("a pool hands out zeroed pages that share no bytes", () => {
  const pool = new PagePool();
  const pages = Array.from({ length: 3 }, () => pool.take());
  pages.forEach((page, i) => page.fill(i + 1));
  pages.forEach((page, i) => {
    assert.equal(page.length, 1024);
    assert.ok(page.every((w) => w === i + 1));
  });
});

Deno.test("a page's words are its slab's words at its offset, for pool pages and others", () => {
  // A store of the zero page and two more: then slabs, over more than one.
  const pool = new PagePool(new PageStore(3));
  const pages = Array.from({ length: 2 * SLAB_PAGES + 1 }, () => pool.take());
  pages.push(new Uint32Array(1024)); // a page made outside any pool is a slab of its own
  pages.forEach((page, i) => page.fill(i + 1));
  pages.forEach((page, i) => {
    const slab = slabOf(page), at = page.byteOffset / 4;
    assert.equal(slab.buffer, page.buffer);
    assert.equal(slabOf(page), slab, "the same view every time");
    // No two pages share bytes: each still holds what was written to it.
    assert.ok(slab.subarray(at, at + 1024).every((w) => w === i + 1));
  });
  // The first two come from the pool's store, the others (and the one made elsewhere) do not.
  assert.deepEqual(
    pages.map((page) => slabOf(page) === pool.storeWords),
    pages.map((_, i) => i < 2),
  );
  assert.ok(pool.zeroPage.every((w) => w === 0));
  assert.equal(slabOf(pool.zeroPage), pool.storeWords);
});

Deno.test("a store hands out each page once, its zero page never, and pages given back again", () => {
  const store = new PageStore(4);
  const pages = [store.take()!, store.take()!, store.take()!];
  assert.equal(store.take(), undefined, "the zero page and three more: full");
  assert.ok(store.full);
  const offsets = new Set([store.zeroPage, ...pages].map((page) => page.byteOffset));
  assert.equal(offsets.size, 4, "no two share bytes");
  pages[1].fill(0xdead);
  store.give(pages[1]);
  assert.ok(!store.full);
  const again = store.take()!;
  assert.equal(again.byteOffset, pages[1].byteOffset);
  assert.ok(again.every((w) => w === 0), "zeroed when handed out again");
  assert.ok(store.zeroPage.every((w) => w === 0));
});

const HAS_SMAPS = (() => {
  try {
    Deno.readTextFileSync("/proc/self/smaps_rollup");
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "a fresh page is the host's own when handed out: its first touch is a write, not a read",
  ignore: !HAS_SMAPS,
  async fn() {
    // Were it untouched, the memory's first read of it would map the host's zero page there,
    // and its first write would then have to replace that mapping (see page_pool.ts). Measured
    // in a process of its own: in the test runner's, other modules' memory given back meanwhile
    // (a collection, a worker ending) can hide the growth.
    const script = `
      import { PagePool, PageStore } from ${
      JSON.stringify(import.meta.resolve("../../src/kernel/page_pool.ts"))
    };
      const anonymousKiB = () => Number(
        /^Anonymous:\\s+(\\d+) kB/m.exec(Deno.readTextFileSync("/proc/self/smaps_rollup"))[1],
      );
      const pages = 8192; // 32 MiB
      const store = new PageStore(pages + 1);
      const pool = new PagePool(new PageStore(1)); // its store is full: slabs
      const before = anonymousKiB();
      const taken = Array.from({ length: pages }, () => store.take());
      const fromSlabs = Array.from({ length: 2048 }, () => pool.take());
      const grown = anonymousKiB() - before;
      const zero = taken.every((p) => p.every((w) => w === 0)) &&
        fromSlabs.every((p) => p.every((w) => w === 0));
      console.log(JSON.stringify({ grown, zero }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stderr: "inherit",
    }).output();
    assert.ok(out.success, "the measuring process failed");
    const { grown, zero } = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.ok(grown >= (8192 + 2048) * 4 * 0.75, `anonymous memory grew by ${grown} KiB`);
    assert.ok(zero, "every page handed out reads as zeros");
  },
});

Deno.test("a pool whose store is full takes slabs, whose pages the memory reads the slow way", () => {
  // Pools share the store: fill what is left of it from one pool, then a memory made meanwhile
  // keeps working on slab pages, and the next pool gets a new store.
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x3000, RW, ANON);
  proc.memory.write64(addr, 0x1111);
  const hog = new PagePool();
  const held: Uint32Array[] = [];
  for (let page = hog.take(); slabOf(page) === hog.storeWords; page = hog.take()) held.push(page);
  // The process's pool has the same store, now full: its next pages are slab pages.
  proc.memory.write64(addr + 0x1000, 0x2222);
  proc.memory.write64(addr + 0x2008, 0x3333);
  assert.equal(proc.memory.read64(addr), 0x1111);
  assert.equal(proc.memory.read64(addr + 0x1000), 0x2222);
  assert.equal(proc.memory.read64(addr + 0x2008), 0x3333);
  proc.memory.write32(addr + 0x1004, 7);
  assert.equal(proc.memory.read64(addr + 0x1000), 0x7_0000_2222);
  assert.notEqual(new PagePool().storeWords, hog.storeWords, "a new pool gets a new store");
  for (const page of held) hog.give(page);
});

Deno.test("a page given back comes out again zeroed, and the pool keeps a bounded number", () => {
  const pool = new PagePool();
  const page = pool.take();
  page.fill(0xdead);
  pool.give(page);
  assert.equal(pool.freePages, 1);
  const again = pool.take();
  assert.equal(again, page);
  assert.ok(again.every((w) => w === 0));
  for (let i = 0; i < FREE_PAGES_KEPT + 10; i++) pool.give(new Uint32Array(1024));
  assert.equal(pool.freePages, FREE_PAGES_KEPT);
});

Deno.test("memory unmapped and mapped again reads as zeros (its pages are reused)", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x4000, RW, ANON);
  for (let a = addr; a < addr + 0x4000; a += 8) proc.memory.write64(a, a);
  proc.sys.munmap(addr, 0x4000);
  const again = proc.sys.mmap(0, 0x4000, RW, ANON);
  assert.equal(proc.memory.residentPages, 0);
  proc.memory.write64(again + 0x2000, 1);
  for (let a = again; a < again + 0x4000; a += 8) {
    assert.equal(proc.memory.read64(a), a === again + 0x2000 ? 1 : 0);
  }
});

Deno.test("a page dropped after a snapshot keeps the snapshot's bytes", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x2000, RW, ANON);
  proc.memory.fill(addr, 0x2000, 0x5a);
  const snap = proc.memory.snapshotPages();
  proc.sys.munmap(addr, 0x2000);
  const other = proc.sys.mmap(0, 0x2000, RW, ANON);
  proc.memory.fill(other, 0x2000, 0x11);
  const seen: number[] = [];
  forEachPage(snap, (_no, page) => seen.push(...new Set(page)));
  assert.deepEqual(seen, [0x5a5a5a5a, 0x5a5a5a5a]);
});

Deno.test("a page dropped while the journal is on comes back when the journal moves back", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x2000, RW, ANON);
  proc.memory.write64(addr + 8, 0x1234);
  proc.memory.startJournal();
  const before = proc.memory.journalPosition;
  proc.memory.discard(addr, addr + 0x2000);
  proc.memory.fill(addr, 0x2000, 0x77);
  proc.memory.moveJournal(before);
  assert.equal(proc.memory.read64(addr + 8), 0x1234);
  assert.equal(proc.memory.read64(addr + 16), 0);
  proc.memory.stopJournal();
});

Deno.test("bulk reads and writes land in the right pages", () => {
  const proc = new Process({ layout: "x86_64" });
  const addr = proc.sys.mmap(0, 0x3000, RW, ANON);
  proc.memory.write8(addr, 1);
  proc.memory.write8(addr + 0x1000, 2);
  proc.memory.writeBytes(addr + 0x1ffe, Uint8Array.of(3, 4, 5, 6));
  proc.memory.fill(addr + 0x2002, 5, 7);
  assert.deepEqual(
    [...proc.memory.readBytes(addr + 0x1ffc, 12)],
    [0, 0, 3, 4, 5, 6, 7, 7, 7, 7, 7, 0],
  );
  assert.equal(proc.memory.read8(addr), 1);
  assert.equal(proc.memory.read8(addr + 0x1000), 2);
});

Deno.test("a page nothing holds any more comes back to its store, zeroed, after a collection", async () => {
  // The FinalizationRegistry path needs a collection on demand: a child with V8's gc exposed.
  const program = new URL("./page_pool_gc_program.ts", import.meta.url);
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", program.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, stderr);
  // How many collections it took is V8's business; what came back is the store's.
  const { rounds: _, ...seen } = JSON.parse(new TextDecoder().decode(run.stdout));
  assert.deepEqual(seen, {
    fullAtFirst: true,
    cameBack: true,
    sameBytes: true,
    zeroed: true,
    heldPageNotReissued: true,
  });
});
