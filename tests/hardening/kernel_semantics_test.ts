/**
 * Kernel semantics: the probe programs of tests/fixtures/kernel_facts/ replayed step by step on
 * a simulated process print exactly what they printed on the real Linux 6.18 kernel.
 */
import assert from "node:assert/strict";
import {
  Errno,
  errnoName,
  isSyscallError,
  linux618x86_64,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  Process,
  PROT_READ,
  PROT_WRITE,
} from "../../mod.ts";
import { facts } from "./support.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MAP_SHARED_VALIDATE = 0x03;
const PROT_GROWSDOWN = 0x0100_0000;
const FIXED = MREMAP_MAYMOVE | MREMAP_FIXED;

/** The machine's vm.mmap_min_addr (machine.txt): the kernel facts were made with it. */
function machineMinAddr(): number {
  const text = Deno.readTextFileSync(
    new URL("../fixtures/kernel_facts/machine.txt", import.meta.url),
  );
  return Number(/mmap_min_addr (\d+)/.exec(text)![1]);
}

Deno.test("mremap and mmap argument rules print what the real kernel printed (mremap.c)", () => {
  const p = new Process({ kernel: { ...linux618x86_64, mmapMinAddr: machineMinAddr() } });
  const out: string[] = [];
  const show = (what: string, r: number) =>
    out.push(`${what}: ${isSyscallError(r) ? errnoName(-r) : "ok"}`);
  const map = (len: number) => p.sys.mmap(0, len, RW, ANON);
  let a = map(4 * 4096);
  show("mremap fixed onto itself", p.sys.mremap(a, 4096, 4096, FIXED, a));
  show("mremap fixed overlapping old range", p.sys.mremap(a, 8192, 8192, FIXED, a + 4096));
  show("mremap fixed new range overlapping below", p.sys.mremap(a + 4096, 8192, 8192, FIXED, a));
  show("mremap fixed above TASK_SIZE", p.sys.mremap(a, 4096, 4096, FIXED, 0x7ffffffff000));
  show("mremap fixed to a kernel address", p.sys.mremap(a, 4096, 4096, FIXED, -(2 ** 47)));
  show("mremap fixed to page 0", p.sys.mremap(a, 4096, 4096, FIXED, 0));
  show("mremap fixed to 0x1000", p.sys.mremap(a, 4096, 4096, FIXED, 0x1000));
  show("mremap fixed unaligned new address", p.sys.mremap(a, 4096, 4096, FIXED, a + 100));
  show("mremap fixed without maymove", p.sys.mremap(a, 4096, 4096, MREMAP_FIXED, a + 8 * 4096));
  show("mremap unknown flag 8", p.sys.mremap(a, 4096, 4096, 8, 0));
  show("mremap new length 0", p.sys.mremap(a, 4096, 0, MREMAP_MAYMOVE, 0));
  show("mremap unaligned old address", p.sys.mremap(a + 1, 4096, 4096, MREMAP_MAYMOVE, 0));
  show("mremap unmapped old address", p.sys.mremap(0x10000, 4096, 4096, MREMAP_MAYMOVE, 0));
  a = map(4 * 4096);
  show("mremap dontunmap without maymove", p.sys.mremap(a, 4096, 4096, MREMAP_DONTUNMAP, 0));
  const DU = MREMAP_DONTUNMAP | MREMAP_MAYMOVE;
  show("mremap dontunmap growing", p.sys.mremap(a, 4096, 8192, DU, 0));
  p.memory.write8(a, "x".charCodeAt(0));
  const b = p.sys.mremap(a, 4096, 4096, DU, 0);
  show("mremap dontunmap same length", b);
  out.push(
    `dontunmap: new has data ${+(p.memory.read8(b) === 0x78)}, old still mapped reads ${
      p.memory.read8(a)
    }`,
  );
  const c = map(4096);
  show(
    "mremap dontunmap fixed onto a mapping",
    p.sys.mremap(a + 4096, 4096, 4096, DU | MREMAP_FIXED, c),
  );
  show("mmap fixed at page 0", p.sys.mmap(0, 4096, RW, ANON | MAP_FIXED));
  show("mmap fixed at 0x1000", p.sys.mmap(0x1000, 4096, RW, ANON | MAP_FIXED));
  show("mmap fixed above TASK_SIZE", p.sys.mmap(0x7ffffffff000, 4096, RW, ANON | MAP_FIXED));
  show("mmap prot 0x10", p.sys.mmap(0, 4096, 0x10 | PROT_READ, ANON));
  show("mmap prot PROT_GROWSDOWN", p.sys.mmap(0, 4096, PROT_READ | PROT_GROWSDOWN, ANON));
  show("mmap flags neither shared nor private", p.sys.mmap(0, 4096, RW, MAP_ANONYMOUS));
  show(
    "mmap flags shared and private",
    p.sys.mmap(0, 4096, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS),
  );
  show("mmap unknown flag 0x800000 with private", p.sys.mmap(0, 4096, RW, ANON | 0x800000));
  show(
    "mmap unknown flag 0x800000 with shared_validate",
    p.sys.mmap(0, 4096, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000),
  );
  show("mmap length 0", p.sys.mmap(0, 0, RW, ANON));
  show("mprotect prot 0x10", p.sys.mprotect(c, 4096, 0x10 | PROT_READ));
  show("mprotect unaligned", p.sys.mprotect(c + 1, 4096, PROT_READ));
  assert.deepEqual(out, facts("mremap"));
  p.space.check();
});

Deno.test("page 0 never becomes readable: mmap and mremap to it fail with EPERM", () => {
  for (const arch of ["x86_64", "i386"] as const) {
    const p = new Process({ layout: arch });
    const a = p.sys.mmap(0, 4096, RW, ANON);
    assert.equal(p.sys.mmap(0, 4096, RW, ANON | MAP_FIXED), -Errno.EPERM);
    assert.equal(p.sys.mremap(a, 4096, 4096, FIXED, 0), -Errno.EPERM);
    assert.throws(() => p.memory.read8(0), { name: "SegmentationFault", code: "SEGV_MAPERR" });
  }
});

Deno.test("pthread_join's errors are glibc's (pthread_join.c)", () => {
  const p = new Process();
  const out: string[] = [];
  const show = (what: string, r: number) => out.push(`${what}: ${r ? errnoName(r) : "0"}`);
  show("join self", p.pthreadJoin(p.currentThread));
  const t = p.pthreadCreate();
  show("join", p.pthreadJoin(t));
  show("join again", p.pthreadJoin(t));
  const [self, join, again] = facts("pthread_join");
  assert.deepEqual(out, [self, join, again]);
});

Deno.test("private file mappings merge and split as the kernel's do (file_merge.c)", () => {
  const p = new Process();
  const P = 4096;
  const file = { file: { dev: "fe:01", inode: 4242, path: "/tmp/file_merge" }, offset: 0 };
  const at = (offset: number) => ({ ...file, offset });
  const win = p.sys.mmap(0, 8 * P, 0, ANON);
  p.sys.munmap(win, 8 * P);
  const out: string[] = [];
  const areas = (step: string, r: number) => {
    out.push(`${step}: ${isSyscallError(r) ? errnoName(-r) : "ok"}`);
    for (const v of p.space.areas()) {
      if (v.end <= win || v.start >= win + 8 * P) continue;
      const perms = `${v.prot & 1 ? "r" : "-"}${v.prot & 2 ? "w" : "-"}${v.prot & 4 ? "x" : "-"}p`;
      out.push(
        `  ${(v.start - win).toString(16)}-${(v.end - win).toString(16)} ${perms} ${
          (v.pgoff * P).toString(16)
        }`,
      );
    }
  };
  const R = PROT_READ, FIX = MAP_PRIVATE | MAP_FIXED;
  areas("start", 0);
  areas("map pages 0-1 read-only", p.sys.mmap(win, 2 * P, R, FIX, at(0)));
  areas("map pages 2-3 read-only", p.sys.mmap(win + 2 * P, 2 * P, R, FIX, at(2 * P)));
  areas("map pages 5-6 read-write", p.sys.mmap(win + 5 * P, 2 * P, RW, FIX, at(5 * P)));
  areas("mprotect 1-2 read-write", p.sys.mprotect(win + P, 2 * P, RW));
  p.memory.write8(win + P + 8, 1);
  areas("write page 1", 0);
  areas("mprotect 0-6 read-only (hole at 4)", p.sys.mprotect(win, 7 * P, R));
  areas("mprotect 0-3 read-write", p.sys.mprotect(win, 4 * P, RW));
  areas("mprotect 0-3 read-only", p.sys.mprotect(win, 4 * P, R));
  areas("map page 4 read-only at offset 4", p.sys.mmap(win + 4 * P, P, R, FIX, at(4 * P)));
  areas("mprotect 4-6 read-only", p.sys.mprotect(win + 4 * P, 3 * P, R));
  assert.deepEqual(out, facts("file_merge"));
});

Deno.test("an area that starts at the break is not [heap], which only overlaps (heap_name.c)", () => {
  const p = new Process();
  const brk0 = p.sbrk(0);
  const moved = p.sbrk(0x1000) === brk0;
  const area = p.sys.mmap(brk0 + 0x1000, 0x1000, RW, ANON | MAP_NORESERVE | MAP_FIXED_NOREPLACE);
  const out = [
    `sbrk(0x1000) ${moved ? "moved it" : "failed"}, mmap at the break ${
      isSyscallError(area) ? "failed" : "mapped"
    }`,
  ];
  for (const line of p.maps().split("\n")) {
    const [start, end] = line.split(" ")[0].split("-").map((x) => parseInt(x, 16));
    if (start >= brk0 && start < brk0 + 0x2000) {
      const rest = line.slice(line.indexOf(" ") + 1).replace(/ fe:00 \d+/, "");
      out.push(`+${(start - brk0).toString(16)}-+${(end - brk0).toString(16)} ${rest}`);
    }
  }
  assert.deepEqual(out.map((l) => l.trimEnd()), facts("heap_name").map((l) => l.trimEnd()));
});
