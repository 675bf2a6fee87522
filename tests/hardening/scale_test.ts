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
