/**
 * The shadow TLB (memory.ts: a TLB kept outside `Memory` over its page store, as the
 * WebAssembly tcache tier keeps one): filled only as the memory's own TLB would hold a page, and
 * every entry whose page's bytes, access or privacy change is dropped — a first write, mprotect,
 * munmap, a page cleared whole, a snapshot, the journal — while entries outside the change stay.
 */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import type { ShadowTlb } from "../../src/kernel/memory.ts";
import {
  PageStore,
  SHADOW_TLB_ENTRIES,
  SHADOW_TLB_OFFSET,
  SHADOW_TLB_PAGES,
} from "../../src/kernel/page_pool.ts";

const RW = 3, R = 1, ANON = 0x22;

function setUp(entries = 16) {
  const proc = new Process({ layout: "x86_64" });
  const memory = proc.space.memory;
  const shadow: ShadowTlb = {
    readTags: new Int32Array(entries).fill(-1),
    writeTags: new Int32Array(entries).fill(-1),
    dropped: 0,
    flushed: 0,
  };
  memory.attachShadow(shadow);
  const k = (addr: number) => (addr / 4096) & (entries - 1);
  const tag = (addr: number) => Math.floor(addr / 4096 / entries);
  /** Fills the shadow entry of `addr` as the tier does: "none", "read" or "write". */
  const fill = (addr: number): string => {
    const r = memory.shadowFill(addr);
    shadow.readTags[k(addr)] = r < 0 ? -1 : tag(addr);
    shadow.writeTags[k(addr)] = r >= 0 && r % 2 === 1 ? tag(addr) : -1;
    return r < 0 ? "none" : r % 2 === 1 ? "write" : "read";
  };
  const held = (addr: number) => shadow.readTags[k(addr)] === tag(addr);
  const writable = (addr: number) => shadow.writeTags[k(addr)] === tag(addr);
  return { proc, memory, shadow, fill, held, writable };
}

Deno.test("the shadow TLB gets a page as the memory's own TLB holds it", () => {
  const { proc, memory, fill } = setUp();
  const addr = proc.sys.mmap(0, 4 * 4096, RW, ANON);
  assert.equal(fill(addr), "read"); // untouched: the zero page, not in place
  memory.write64(addr, 1); // the first write makes the page
  assert.equal(fill(addr), "write");
  assert.equal(fill(0x1000), "none"); // unmapped
  proc.sys.mprotect(addr, 4096, R);
  assert.equal(fill(addr), "read");
  proc.sys.mprotect(addr, 4096, 0);
  assert.equal(fill(addr), "none");
});

Deno.test("whatever changes a page's bytes, access or privacy drops its shadow entry", () => {
  const changes: [string, (p: Process, m: Process["space"]["memory"], a: number) => void][] = [
    ["a first write", (_p, m, a) => m.write64(a + 4096, 5)],
    ["mprotect", (p, _m, a) => p.sys.mprotect(a + 4096, 4096, R)],
    ["munmap", (p, _m, a) => p.sys.munmap(a + 4096, 4096)],
    ["a page cleared whole", (_p, m, a) => m.fill(a + 4096, 4096, 0)],
    ["a snapshot", (_p, m) => m.snapshotPages()],
    ["the journal", (_p, m) => m.startJournal()],
  ];
  for (const [what, change] of changes) {
    const { proc, memory, fill, held, writable } = setUp();
    const addr = proc.sys.mmap(0, 2 * 4096, RW, ANON);
    memory.write64(addr, 1);
    if (what !== "a first write") memory.write64(addr + 4096, 1);
    assert.equal(fill(addr + 4096), what === "a first write" ? "read" : "write");
    fill(addr);
    change(proc, memory, addr);
    assert.ok(!writable(addr + 4096), what);
    // (A page cleared whole keeps its bytes: it may still be read in place.)
    if (what !== "a page cleared whole") assert.ok(!held(addr + 4096), what);
    if (what === "a snapshot" || what === "the journal") assert.ok(!held(addr), what);
    else assert.ok(held(addr), `${what} kept the page beside it`);
  }
});

Deno.test("a range of more pages than shadow entries drops only the entries in it", () => {
  const { proc, memory, fill, held, shadow } = setUp(16);
  const addr = proc.sys.mmap(0, 4096, RW, ANON);
  memory.write64(addr, 1);
  fill(addr);
  const big = proc.sys.mmap(0, 64 * 4096, RW, ANON);
  memory.write64(big, 1);
  fill(big);
  proc.sys.munmap(big, 64 * 4096);
  assert.ok(!held(big));
  assert.ok(held(addr));
  assert.ok(shadow.flushed > 0);
});

Deno.test("a WebAssembly page store keeps the shadow TLB's pages out of the pool", () => {
  const store = new PageStore(256);
  assert.ok(store.wasmMemory instanceof WebAssembly.Memory);
  assert.equal(store.words.buffer, store.wasmMemory.buffer);
  assert.equal(store.take()!.byteOffset, (1 + SHADOW_TLB_PAGES) * 4096);
  assert.equal(SHADOW_TLB_OFFSET + SHADOW_TLB_ENTRIES * 12, (1 + SHADOW_TLB_PAGES) * 4096);
  assert.equal(new PageStore(256, false).wasmMemory, undefined);
  assert.equal(new PageStore(3).wasmMemory, undefined); // not whole WebAssembly pages
});
