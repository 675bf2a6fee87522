/**
 * Scale and limits like Linux: memory grows with the pages touched, not the size mapped; the
 * overcommit heuristic and vm.max_map_count refuse what the real kernel refuses
 * (tests/fixtures/kernel_facts/scale.c and maxmap.c).
 */
import assert from "node:assert/strict";
import {
  Allocator,
  Errno,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  Process,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../../mod.ts";
import { fact } from "./support.ts";

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const TiB = 2 ** 40, GiB = 2 ** 30;

Deno.test("a 1 TiB PROT_NONE MAP_NORESERVE reservation succeeds and costs no pages", () => {
  // Linux: "1TiB PROT_NONE NORESERVE: ok".
  assert.equal(fact("scale", "1TiB PROT_NONE"), "1TiB PROT_NONE NORESERVE: ok");
  const p = new Process();
  const addr = p.sys.mmap(0, TiB, PROT_NONE, ANON | MAP_NORESERVE);
  assert.ok(addr > 0);
  assert.equal(p.memory.residentPages, 0);
  // Making one page of it writable and touching it costs that page.
  assert.equal(p.sys.mprotect(addr + TiB / 2, 4096, RW), 0);
  p.memory.write64(addr + TiB / 2, 0x41);
  assert.equal(p.memory.read64(addr + TiB / 2), 0x41);
  assert.equal(p.memory.residentPages, 1);
  assert.throws(() => p.memory.read8(addr), { name: "SegmentationFault", code: "SEGV_ACCERR" });
});

Deno.test("a 1 TiB private writable mapping fails with ENOMEM under the overcommit heuristic", () => {
  // Linux, 24 GiB of RAM and no swap: "1TiB rw private: ENOMEM", "1TiB rw noreserve: ok".
  assert.equal(fact("scale", "1TiB rw private"), "1TiB rw private: ENOMEM");
  assert.equal(fact("scale", "1TiB rw noreserve"), "1TiB rw noreserve: ok");
  const p = new Process();
  assert.equal(p.sys.mmap(0, TiB, RW, ANON), -Errno.ENOMEM);
  assert.ok(p.sys.mmap(0, TiB, RW, ANON | MAP_NORESERVE) > 0);
  // Turning a reservation writable charges it: refused as well.
  const r = p.sys.mmap(0, TiB, PROT_NONE, ANON);
  assert.equal(p.sys.mprotect(r, TiB, RW), -Errno.ENOMEM);
  assert.equal(p.regions().find((x) => x.start === r)?.perms, "---p");
});

Deno.test("malloc(1 << 40) returns NULL with ENOMEM, as glibc on Linux does", () => {
  assert.equal(fact("scale", "malloc(1<<40)"), "malloc(1<<40) = NULL errno ENOMEM");
  const p = new Process({ layout: "x86_64" });
  const libc = new Allocator(p, { glibc: "2.36" });
  assert.equal(libc.malloc(TiB), 0);
  assert.equal(p.currentThread.errno, Errno.ENOMEM);
  libc.checkArena();
  // An i386 size_t cannot hold 2^40: C would not compile the call; heaplab says so.
  const q = new Process({ layout: "i386" });
  assert.throws(() => new Allocator(q).malloc(TiB), { name: "ArgumentRangeError" });
});

Deno.test("1 GiB mmaps in a loop end in ENOMEM after as many mappings as on Linux", () => {
  const line = fact("scale", "1GiB loop");
  const expected = Number(/(\d+) mappings/.exec(line)![1]);
  const p = new Process();
  let n = 0;
  let r: number;
  while ((r = p.sys.mmap(0, GiB, RW, ANON)) > 0) n++;
  assert.equal(r, -Errno.ENOMEM);
  assert.equal(n, expected);
  assert.equal(p.memory.residentPages, 0);
});

Deno.test("vm.max_map_count: mmap fails once the process has more areas, splits at the limit", () => {
  // Linux (max_map_count 65530): mmap fails with map_count 65531; after one munmap, a 3-page
  // mapping succeeds (65531 again); then splitting it fails and trimming its end does not.
  assert.match(fact("maxmap", "mmap #"), /ENOMEM, map_count 65531$/);
  assert.equal(fact("maxmap", "mmap 3 pages"), "mmap 3 pages: ok, map_count 65531");
  assert.equal(fact("maxmap", "munmap middle"), "munmap middle page: ENOMEM, map_count 65531");
  assert.equal(fact("maxmap", "mprotect middle"), "mprotect middle page: ENOMEM, map_count 65531");
  assert.equal(fact("maxmap", "mprotect first"), "mprotect first page: ENOMEM, map_count 65531");
  assert.equal(fact("maxmap", "munmap first"), "munmap first page: ok, map_count 65531");
  const p = new Process();
  assert.equal(p.space.maxMapCount, 65530);
  const max = 200;
  p.space.maxMapCount = max;
  let k = 0, last = 0;
  for (;;) {
    const a = p.sys.mmap(0, 4096, k & 1 ? PROT_READ : RW, ANON);
    if (a < 0) {
      assert.equal(a, -Errno.ENOMEM);
      break;
    }
    last = a;
    k++;
  }
  assert.equal(p.space.mapCount, max + 1);
  assert.equal(p.sys.munmap(last, 4096), 0);
  assert.equal(p.space.mapCount, max);
  const b = p.sys.mmap(0, 3 * 4096, RW, ANON | MAP_NORESERVE);
  assert.ok(b > 0);
  assert.equal(p.space.mapCount, max + 1);
  assert.equal(p.sys.munmap(b + 4096, 4096), -Errno.ENOMEM);
  assert.equal(p.sys.mprotect(b + 4096, 4096, PROT_READ), -Errno.ENOMEM);
  assert.equal(p.sys.mprotect(b, 4096, PROT_READ), -Errno.ENOMEM);
  assert.equal(p.sys.munmap(b, 4096), 0);
  assert.equal(p.space.mapCount, max + 1);
  assert.throws(() => p.space.maxMapCount = -1, { name: "ArgumentRangeError" });
  assert.throws(() => p.space.maxMapCount = NaN, { name: "ArgumentRangeError" });
});

Deno.test("placement with the hole cache is the highest gap below mmap_base, as a full walk", () => {
  // A reference walk over the areas checks every top-down placement of random programs that
  // map, unmap, protect and remap (the cache must forget holes that removals open).
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let run = 0; run < 4; run++) {
    const p = new Process();
    const base = p.space.mmapBase, low = 0x10000;
    const live: [number, number][] = [];
    for (let step = 0; step < 400; step++) {
      const what = rnd(10);
      if (what < 6 || live.length === 0) {
        const pages = [1, 2, 3, 7, 16, 100][rnd(6)];
        const len = pages * 4096;
        // The reference: the highest gap below mmap_base that holds len.
        const areas = p.space.areas().filter((v) => v.start < base);
        let expected = -1;
        let top = base;
        for (let i = areas.length - 1; i >= -1; i--) {
          const gapStart = i >= 0 ? Math.max(areas[i].end, low) : low;
          const gapEnd = Math.min(top, i + 1 < areas.length ? areas[i + 1].start : base);
          if (gapEnd - gapStart >= len) {
            expected = gapEnd - len;
            break;
          }
          if (i >= 0) top = areas[i].start;
        }
        const got = p.sys.mmap(0, len, rnd(2) ? PROT_READ : RW, ANON);
        assert.equal(got, expected, `run ${run} step ${step}: mmap of ${len}`);
        live.push([got, len]);
      } else if (what < 8) {
        const [a, len] = live.splice(rnd(live.length), 1)[0];
        const off = rnd(len / 4096) * 4096;
        p.sys.munmap(a + off, Math.min(len - off, 4096 * (1 + rnd(3))));
      } else if (what < 9) {
        const [a, len] = live[rnd(live.length)];
        p.sys.mprotect(a, Math.min(len, 8192), rnd(2) ? PROT_NONE : RW);
      } else {
        // A THP-aligned mapping (its padding leaves holes) and a move.
        p.sys.mmap(0, 2 * 1024 * 1024, RW, ANON);
        const [a, len] = live[rnd(live.length)];
        p.sys.mremap(a, 4096, 4096 * 3, 1);
        void len;
      }
    }
    p.space.check();
  }
});
