import assert from "node:assert/strict";
import {
  ArgumentRangeError,
  Errno,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_MAYMOVE,
  Process,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../../mod.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/**
 * A process whose address space is checked after every system call: areas sorted, aligned,
 * disjoint, and no two neighbours left that Linux would have merged.
 */
function proc() {
  const p = new Process({ layout: "x86_64" });
  const sys = p.sys as unknown as Record<string, (...args: number[]) => number>;
  for (const name of Object.keys(sys)) {
    const call = sys[name];
    sys[name] = (...args: number[]) => {
      const result = call(...args);
      p.space.check();
      return result;
    };
  }
  return p;
}

function linesFor(p: Process, from: number, to: number): string[] {
  return p.regions().filter((r) => r.start < to && r.end > from).map((r) =>
    `${r.start.toString(16)}-${r.end.toString(16)} ${r.perms}`
  );
}

Deno.test("mmap places mappings top-down in the highest gap that fits", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x1000, PROT_NONE, ANON);
  const b = p.sys.mmap(0, 0x4000, RW, ANON);
  assert.equal(a, 0x7ffff7fbf000);
  assert.equal(b, a - 0x4000);
});

Deno.test("adjacent anonymous mappings with the same flags merge into one area", () => {
  const p = proc();
  const fence = p.sys.mmap(0, 0x1000, PROT_NONE, ANON);
  p.sys.mmap(0, 0x4000, RW, ANON);
  p.sys.mmap(0, 0x4000, RW, ANON);
  assert.deepEqual(linesFor(p, fence - 0x8000, fence), [
    `${(fence - 0x8000).toString(16)}-${fence.toString(16)} rw-p`,
  ]);
});

Deno.test("mprotect of a middle page splits an area in three, and restoring merges it back", () => {
  const p = proc();
  const fence = p.sys.mmap(0, 0x1000, PROT_NONE, ANON);
  const a = p.sys.mmap(0, 0x3000, RW, ANON);
  assert.equal(p.sys.mprotect(a + 0x1000, 0x1000, PROT_READ), 0);
  assert.equal(linesFor(p, a, fence).length, 3);
  assert.equal(p.sys.mprotect(a + 0x1000, 0x1000, RW), 0);
  assert.equal(linesFor(p, a, fence).length, 1);
});

Deno.test("munmap rejects an unaligned address and a zero length with EINVAL", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x2000, RW, ANON);
  assert.equal(p.sys.munmap(a + 1, 0x1000), -Errno.EINVAL);
  assert.equal(p.sys.munmap(a, 0), -Errno.EINVAL);
  assert.equal(p.sys.munmap(0x1000, 0x1000), 0, "nothing mapped there: success");
  assert.equal(p.sys.munmap(a, 1), 0, "length rounds up to a page");
  assert.equal(p.space.areaAt(a), undefined);
});

Deno.test("mprotect: unaligned is EINVAL, zero length does nothing, a hole is ENOMEM", () => {
  const p = proc();
  const fence = p.sys.mmap(0, 0x1000, PROT_NONE, ANON);
  const a = p.sys.mmap(0, 0x3000, RW, ANON);
  assert.equal(fence, a + 0x3000);
  assert.equal(p.sys.mprotect(a + 8, 0x1000, PROT_READ), -Errno.EINVAL);
  assert.equal(p.sys.mprotect(a, 0, PROT_READ), 0);
  p.sys.munmap(a + 0x1000, 0x1000);
  // The page below the hole changes before the hole is found.
  assert.equal(p.sys.mprotect(a, 0x3000, PROT_NONE), -Errno.ENOMEM);
  assert.equal(p.space.areaAt(a)!.prot, PROT_NONE);
  assert.equal(p.space.areaAt(a + 0x2000)!.prot, RW);
  // A range that starts in the hole changes nothing.
  assert.equal(p.sys.mprotect(a + 0x1000, 0x2000, PROT_READ), -Errno.ENOMEM);
  assert.equal(p.space.areaAt(a + 0x2000)!.prot, RW);
});

Deno.test("MAP_FIXED replaces what is mapped; MAP_FIXED_NOREPLACE refuses with EEXIST", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x3000, RW, ANON);
  p.memory.write32(a + 0x1000, 0x1234);
  assert.equal(p.sys.mmap(a + 0x1000, 0x1000, PROT_READ | PROT_EXEC, ANON | MAP_FIXED), a + 0x1000);
  assert.equal(p.space.areaAt(a + 0x1000)!.prot, PROT_READ | PROT_EXEC);
  assert.equal(p.memory.read32(a + 0x1000), 0, "the old contents are gone");
  assert.equal(p.sys.mmap(a, 0x1000, RW, ANON | MAP_FIXED_NOREPLACE), -Errno.EEXIST);
  assert.equal(p.sys.mmap(a + 1, 0x1000, RW, ANON | MAP_FIXED), -Errno.EINVAL);
});

Deno.test("mmap argument errors are EINVAL, and a request larger than user space ENOMEM", () => {
  const p = proc();
  assert.equal(p.sys.mmap(0, 0, RW, ANON), -Errno.EINVAL);
  assert.equal(p.sys.mmap(0, 0x1000, RW, MAP_ANONYMOUS), -Errno.EINVAL);
  assert.equal(p.sys.mmap(0, 0x1000, RW, MAP_PRIVATE), -Errno.EINVAL, "no file, not anonymous");
  assert.equal(p.sys.mmap(0, 2 ** 50, RW, ANON), -Errno.ENOMEM);
});

Deno.test("shared anonymous mappings never merge with private neighbours", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x1000, RW, MAP_SHARED | MAP_ANONYMOUS);
  const b = p.sys.mmap(0, 0x1000, RW, ANON);
  assert.equal(b, a - 0x1000);
  assert.notEqual(p.space.areaAt(a), p.space.areaAt(b));
  assert.ok(p.maps().includes("rw-s"));
});

Deno.test("a length that is a multiple of 2 MiB lands on a 2 MiB boundary on x86_64", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x200000, RW, ANON);
  assert.equal(a % 0x200000, 0);
  const b = p.sys.mmap(0, 0x201000, RW, ANON);
  assert.notEqual(b % 0x200000, 0);
  const q = new Process({ layout: "i386" });
  const c = q.sys.mmap(0, 0x200000, RW, ANON);
  assert.equal(c, 0xf7d8d000 - 0x200000, "32-bit: right below the lowest mapping");
});

Deno.test("brk grows [heap] from start_brk, shrinks it, and refuses to go below start_brk", () => {
  const p = proc();
  const start = p.sbrk(0);
  assert.equal(p.sbrk(0x1800), start);
  assert.equal(p.sbrk(0), start + 0x1800, "an unaligned break is kept exactly");
  assert.ok(p.maps().includes(`${start.toString(16)}-${(start + 0x2000).toString(16)} rw-p`));
  assert.equal(p.sbrk(-0x1800), start + 0x1800);
  assert.ok(!p.maps().includes("[heap]"));
  // The kernel refuses, returning the old break; glibc's sbrk does not notice.
  assert.equal(p.sbrk(-0x10000), start);
  assert.equal(p.sbrk(0), start);
  assert.equal(p.space.brk, start);
});

Deno.test("brk cannot grow into the next mapping", () => {
  const p = proc();
  const start = p.sbrk(0);
  p.sys.mmap(start + 0x10000, 0x1000, RW, ANON | MAP_FIXED);
  assert.equal(p.sbrk(0x20000), p.words.max, "sbrk returns (void *) -1");
  assert.equal(p.currentThread.errno, Errno.ENOMEM);
  assert.equal(p.sbrk(0xf000), start, "up to a page below it is fine");
});

Deno.test("mremap grows in place when it can and moves with MREMAP_MAYMOVE when not", () => {
  const p = proc();
  const fence = p.sys.mmap(0, 0x1000, PROT_NONE, ANON);
  const a = p.sys.mmap(0, 0x2000, RW, ANON);
  p.memory.write32(a, 42);
  assert.equal(p.sys.mremap(a, 0x2000, 0x1000, 0), a, "shrink in place");
  assert.equal(p.sys.mremap(a, 0x1000, 0x2000, 0), a, "grow into the freed page");
  assert.equal(p.sys.mremap(a, 0x2000, 0x3000, 0), -Errno.ENOMEM, "the fence is in the way");
  const b = p.sys.mremap(a, 0x2000, 0x3000, MREMAP_MAYMOVE);
  assert.ok(b > 0 && b !== a);
  assert.equal(p.memory.read32(b), 42, "the contents move with the mapping");
  assert.equal(p.space.areaAt(a), undefined);
  void fence;
});

Deno.test("every system call is logged with its thread, arguments and result", () => {
  const p = proc();
  const before = p.syscalls.lastSeq;
  p.sys.munmap(1, 1);
  const [rec] = p.syscalls.since(before);
  assert.equal(rec.name, "munmap");
  assert.equal(rec.result, -Errno.EINVAL);
  assert.equal(rec.tid, p.pid);
});

Deno.test("lengths above 2^63 (negative words) are ENOMEM for mmap, mprotect and mremap", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x2000, RW, ANON);
  assert.equal(p.sys.mmap(0, -0x100000, RW, ANON), -Errno.ENOMEM);
  assert.equal(p.sys.mprotect(a, -0x1000, PROT_READ), -Errno.ENOMEM);
  assert.equal(p.sys.mremap(a, 0x2000, -0x100000, MREMAP_MAYMOVE), -Errno.ENOMEM);
  assert.equal(p.space.areaAt(a)!.end - p.space.areaAt(a)!.start >= 0x2000, true, "untouched");
});

Deno.test("madvise(MADV_DONTNEED) drops pages of the areas in range and says ENOMEM for holes", () => {
  const p = proc();
  const a = p.sys.mmap(0, 0x3000, RW, ANON);
  p.memory.write32(a, 7);
  p.memory.write32(a + 0x2000, 9);
  assert.equal(p.sys.madvise(a, 0x3000, 4), 0);
  assert.equal(p.memory.read32(a), 0);
  p.memory.write32(a + 0x2000, 9);
  // A huge range (2^62 bytes) returns at once: only mapped areas are walked.
  assert.equal(p.sys.madvise(a, 2 ** 62, 4), -Errno.ENOMEM);
  assert.equal(p.memory.read32(a + 0x2000), 0);
});

/** The x86_64 layout's program data area (rw-p, its file's). */
function programData(p: Process) {
  return p.space.areas().find((a) => a.file && a.prot === RW && a.start < 0x600000000000)!;
}

Deno.test("exec's larger data segment: file pages to _edata, a bss area to _end, the break after", () => {
  const p = proc();
  p.space.growProgramData(programData(p), 0x555555559200, 0x55555555c010);
  assert.deepEqual(linesFor(p, 0x555555558000, 0x55555555e000), [
    "555555558000-55555555a000 rw-p",
    "55555555a000-55555555d000 rw-p",
  ]);
  assert.equal(p.space.startBrk, 0x55555555d000);
  assert.equal(p.sbrk(0), 0x55555555d000);
  p.sbrk(0x1000);
  const maps = p.maps().split("\n");
  // the bss area stays unnamed and apart from the heap right above it
  assert.match(maps[5], /^55555555a000-55555555d000 rw-p 00000000 00:00 0 +$/);
  assert.match(maps[6], /^55555555d000-55555555e000 rw-p 00000000 00:00 0 +\[heap\]$/);
  p.space.check();
});

Deno.test("a fork and a restored snapshot keep the grown segment's break", () => {
  const p = new Process({ layout: "x86_64" });
  p.space.growProgramData(programData(p), 0x555555559000, 0x555555570000);
  const snap = p.snapshot();
  p.sbrk(0x2000);
  const child = p.fork(snap);
  assert.equal(child.space.startBrk, 0x555555570000);
  assert.equal(child.sbrk(0), 0x555555570000);
  assert.equal(
    child.maps(),
    new Process({ layout: "x86_64" }).maps().replace(
      "555555558000-555555559000 rw-p 00003000 fe:00 2170961                    /tmp/real_maps/mthread\n",
      "555555558000-555555559000 rw-p 00003000 fe:00 2170961                    /tmp/real_maps/mthread\n" +
        "555555559000-555555570000 rw-p 00000000 00:00 0 \n",
    ),
  );
});

Deno.test("the data segment grows only while the break is where exec left it", () => {
  const p = new Process({ layout: "x86_64" });
  p.sbrk(0x1000);
  assert.throws(
    () => p.space.growProgramData(programData(p), 0x555555559000, 0x555555570000),
    ArgumentRangeError,
  );
});
