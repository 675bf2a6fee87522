import assert from "node:assert/strict";
import { GLIBC_VERSIONS, glibcProfile } from "../../src/malloc/profile.ts";
import { fresh } from "./helpers.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

for (const glibc of GLIBC_VERSIONS) {
  for (const arch of ["x86_64", "i386"] as const) {
    Deno.test(`random operations keep every arena consistent on glibc ${glibc} ${arch}`, () => {
      const { proc, heap } = fresh(glibc, arch);
      const rnd = rng(glibc.charCodeAt(2) * 31 + arch.length);
      const threads = [proc.mainThread, proc.pthreadCreate(), proc.pthreadCreate()];
      const live: { p: number; t: number }[] = [];
      for (let i = 0; i < 700; i++) {
        const t = Math.floor(rnd() * threads.length);
        const r = rnd();
        proc.runOn(threads[t], () => {
          if (r < 0.45 || live.length === 0) {
            const k = rnd();
            const size = k < 0.6
              ? Math.floor(rnd() * 200)
              : k < 0.95
              ? Math.floor(rnd() * 5000)
              : 150_000;
            const p = k < 0.05
              ? heap.calloc(1 + Math.floor(rnd() * 8), size >> 3)
              : heap.malloc(size);
            if (p) live.push({ p, t });
          } else if (r < 0.55) {
            const j = Math.floor(rnd() * live.length);
            const q = heap.realloc(live[j].p, Math.floor(rnd() * 3000) + 1);
            if (q) live[j].p = q;
          } else if (r < 0.58) {
            const p = heap.memalign(2 ** (4 + Math.floor(rnd() * 8)), Math.floor(rnd() * 1000));
            if (p) live.push({ p, t });
          } else if (r < 0.59) {
            heap.mallocTrim(Math.floor(rnd() * 4096));
          } else {
            const j = Math.floor(rnd() * live.length);
            heap.free(live[j].p);
            live.splice(j, 1);
          }
        });
        heap.checkArena();
      }
      const info = heap.mallinfo2();
      assert.equal(info.uordblks + info.fordblks, info.arena);
      for (const { p } of live) assert.ok(heap.usableSize(p) > 0);
    });
  }
}

Deno.test("every profile's sizes agree with glibc's definitions", () => {
  const expect = {
    "2.23-i386": { tcache: 0, heapInfo: 16, align: 8, nfast: 10, arena: 0x454 },
    "2.27-x86_64": { tcache: 0x240, heapInfo: 32, align: 16, nfast: 10, arena: 0x898 },
    "2.31-x86_64": { tcache: 0x280, heapInfo: 32, align: 16, nfast: 10, arena: 0x898 },
    "2.36-x86_64": { tcache: 0x280, heapInfo: 48, align: 16, nfast: 10, arena: 0x898 },
    "2.36-i386": { tcache: 0x180, heapInfo: 24, align: 16, nfast: 11, arena: 0x45c },
    "2.31-i386": { tcache: 0x180, heapInfo: 24, align: 16, nfast: 11, arena: 0x45c },
  } as const;
  for (const [key, e] of Object.entries(expect)) {
    const [v, a] = key.split("-");
    const p = glibcProfile(v, a as "i386" | "x86_64");
    assert.equal(p.tcacheStructSize, e.tcache, key);
    assert.equal(p.heapInfoSize, e.heapInfo, key);
    assert.equal(p.mallocAlignment, e.align, key);
    assert.equal(p.nFastbins, e.nfast, key);
    assert.equal(p.arena.size, e.arena, key);
  }
  assert.throws(() => glibcProfile("2.99", "x86_64"), RangeError);
});
