import assert from "node:assert/strict";
import { HeapAbort } from "../../src/malloc/errors.ts";
import { tcacheCount, tcacheEntry } from "../../src/malloc/tcache.ts";
import { fresh } from "./helpers.ts";

Deno.test("free() sends a 0x20 chunk to the tcache before the fastbin", () => {
  const { heap } = fresh();
  const ps = Array.from({ length: 8 }, () => heap.malloc(24));
  heap.malloc(24); // guard against top
  for (let i = 0; i < 7; i++) {
    heap.free(ps[i]);
    assert.equal(heap.lastRecord?.served, "tcache");
    heap.checkArena();
  }
  heap.free(ps[7]);
  assert.equal(heap.lastRecord?.served, "fastbin");
  const bins = heap.bins();
  assert.deepEqual(bins.fastbins[0].chunks, [ps[7] - 16]);
  assert.equal(heap.tcache().bins[0].count, 7);
  heap.checkArena();
});

Deno.test("malloc() takes the tcache's last-freed chunk first (LIFO)", () => {
  const { heap } = fresh();
  const a = heap.malloc(40), b = heap.malloc(40);
  heap.free(a);
  heap.free(b);
  assert.equal(heap.malloc(40), b);
  assert.equal(heap.lastRecord?.served, "tcache");
  assert.equal(heap.malloc(40), a);
});

Deno.test("tcache next pointers are mangled by safe-linking on 2.36 and plain on 2.31", () => {
  for (const [glibc, mangled] of [["2.31", false], ["2.36", true]] as const) {
    const { proc, heap } = fresh(glibc);
    const a = heap.malloc(24), b = heap.malloc(24);
    heap.free(a);
    heap.free(b);
    const stored = proc.memory.read64(b);
    const expected = mangled ? Number((BigInt(b) >> 12n) ^ BigInt(a)) : a;
    assert.equal(stored, expected, `glibc ${glibc}`);
  }
});

Deno.test("the tcache key is the tcache pointer on 2.31 and a random word on 2.36", () => {
  const old = fresh("2.31");
  const p = old.heap.malloc(24);
  old.heap.free(p);
  assert.equal(old.proc.memory.read64(p + 8), old.heap.context.tls().tcache);
  const cur = fresh("2.36");
  const q = cur.heap.malloc(24);
  cur.heap.free(q);
  assert.equal(cur.proc.memory.read64(q + 8), cur.heap.context.tcacheKey);
  assert.notEqual(cur.heap.context.tcacheKey, cur.heap.context.tls().tcache);
});

Deno.test("a double free into the tcache aborts with glibc's message", () => {
  for (const glibc of ["2.31", "2.36", "2.41"]) {
    const { heap } = fresh(glibc);
    const p = heap.malloc(24);
    heap.free(p);
    assert.throws(() => heap.free(p), (e: unknown) => {
      assert.ok(e instanceof HeapAbort);
      assert.equal(e.glibcMessage, "free(): double free detected in tcache 2");
      assert.equal(e.operation, "free");
      assert.equal(e.signal, "SIGABRT");
      return true;
    });
  }
});

Deno.test("glibc 2.27 has no tcache double-free check: the chunk comes back twice", () => {
  const { heap } = fresh("2.27");
  const p = heap.malloc(24);
  heap.free(p);
  heap.free(p);
  assert.equal(heap.malloc(24), p);
  assert.equal(heap.malloc(24), p);
});

Deno.test("the tcache struct is a 0x290 chunk on x86_64 and 0x190 on i386", () => {
  for (const [arch, size, first] of [["x86_64", 0x291, 0x2a0], ["i386", 0x191, 0x1a0]] as const) {
    const { proc, heap } = fresh("2.36", arch);
    const p = heap.malloc(1000);
    const tcache = heap.context.tls().tcache;
    const word = arch === "x86_64"
      ? proc.memory.read64(tcache - 8)
      : proc.memory.read32(tcache - 4);
    assert.equal(word, size);
    assert.equal(p - proc.start.initialBreak, first);
  }
});

Deno.test("tcache counts are uint16 from 2.30 and uint8 on 2.27", () => {
  for (const [glibc, width] of [["2.27", 1], ["2.31", 2]] as const) {
    const { proc, heap } = fresh(glibc);
    const a = heap.malloc(0x28);
    heap.free(a); // tcache bin 1 (0x30)
    const t = heap.context.tls().tcache;
    assert.equal(tcacheCount(heap.context, t, 1), 1);
    const countsEnd = 64 * width;
    assert.equal(tcacheEntry(heap.context, t, 1), a);
    assert.equal(proc.memory.read64(t + countsEnd + 8), a);
  }
});

Deno.test("an exiting thread returns its tcache chunks to its arena", () => {
  const { proc, heap } = fresh();
  heap.malloc(1);
  const t = proc.pthreadCreate();
  const ps = proc.runOn(t, () => Array.from({ length: 3 }, () => heap.malloc(200)));
  proc.runOn(t, () => ps.forEach((p) => heap.free(p)));
  assert.equal(heap.tcache(t).bins[0].count, 3);
  assert.equal(heap.tcache(t).bins[0].name, "tcache 0xd0");
  proc.pthreadJoin(t);
  const arena = heap.arenas().find((a) => !a.isMain)!;
  assert.ok(arena.onFreeList);
  const states = heap.chunks(arena.address).map((c) => c.state);
  assert.deepEqual(states, ["top"]);
  heap.checkArena();
});

Deno.test("2.43 with tcache_max raised: large chunks go to the large tcache bins, sorted, and come back", async () => {
  const { Allocator, Process } = await import("../../mod.ts");
  const { binsTable } = await import("../../src/view/bins_view.ts");
  const heap = new Allocator(new Process({ layout: "x86_64" }), {
    glibc: "2.43",
    tcacheMax: 0x10000,
  });
  const big = heap.malloc(0x1800), small = heap.malloc(0x1000);
  heap.malloc(24); // keeps them off the top
  heap.free(big);
  heap.free(small);
  assert.equal(heap.lastRecord?.served, "tcache");
  const row = binsTable(heap).rows.find((r) => r.name === "tcache 0x1000-0x1ff0");
  assert.deepEqual(row?.chunks, [small - 16, big - 16]); // smallest first
  assert.equal(heap.malloc(0x1800), big); // exact size only
  assert.equal(heap.lastRecord?.served, "tcache");
  assert.notEqual(heap.malloc(0x1100), small); // 0x1110 is not 0x1010: not from the tcache
});

Deno.test("without the tunable, 2.43 keeps chunks above 0x410 out of the tcache", async () => {
  const { Allocator, Process } = await import("../../mod.ts");
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.43" });
  const a = heap.malloc(0x1000);
  heap.malloc(24);
  heap.free(a);
  assert.notEqual(heap.lastRecord?.served, "tcache");
});
