import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "../../mod.ts";

// The seed material's printed /proc/PID/maps lines (shared/seed), reproduced by the mechanics:
// the seed-i386 starting state plus the simulated calls.

const MMAP_BINARY = [
  "08048000-08049000 r-xp 00000000 08:01 539691     /home/sploitfun/ptmalloc.ppt/syscalls/mmap",
  "08049000-0804a000 r--p 00000000 08:01 539691     /home/sploitfun/ptmalloc.ppt/syscalls/mmap",
  "0804a000-0804b000 rw-p 00001000 08:01 539691     /home/sploitfun/ptmalloc.ppt/syscalls/mmap",
];
const MTHREAD_BINARY = [
  "08048000-08049000 r-xp 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
  "08049000-0804a000 r--p 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
  "0804a000-0804b000 rw-p 00001000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
];

/** The first n lines of the maps, trailing padding removed as the seed's web page shows it. */
function head(p: Process, n: number): string[] {
  return p.maps().split("\n").slice(0, n).map((l) => l.trimEnd());
}

Deno.test("seed mmap example: a 132 KiB mapping merges with the page below libc, munmap undoes it", () => {
  const p = new Process({ layout: "seed-i386", program: "mmap" });
  assert.equal(p.pid, 6067);
  assert.deepEqual(head(p, 4), [...MMAP_BINARY, "b7e21000-b7e22000 rw-p 00000000 00:00 0"]);
  const addr = p.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  assert.deepEqual(head(p, 4), [...MMAP_BINARY, "b7e00000-b7e22000 rw-p 00000000 00:00 0"]);
  assert.equal(p.sys.munmap(addr, 132 * 1024), 0);
  assert.deepEqual(head(p, 4), [...MMAP_BINARY, "b7e21000-b7e22000 rw-p 00000000 00:00 0"]);
});

Deno.test("seed sbrk example: the break starts at 0x804b000 and one page of [heap] comes and goes", () => {
  const p = new Process({ layout: "seed-i386", program: "sbrk" });
  assert.equal(p.pid, 6141);
  const curr = p.sbrk(0);
  assert.equal(curr, 0x804b000);
  assert.equal(
    head(p, 3)[2],
    "0804a000-0804b000 rw-p 00001000 08:01 539624     /home/sploitfun/ptmalloc.ppt/syscalls/sbrk",
  );
  assert.equal(p.sys.brk(curr + 4096), curr + 4096);
  assert.equal(head(p, 4)[3], "0804b000-0804c000 rw-p 00000000 00:00 0          [heap]");
  assert.equal(p.sys.brk(curr), curr);
  assert.ok(!p.maps().includes("[heap]"));
});

Deno.test("seed per-thread arena example: the thread's stack and guard page, labelled [stack:6594]", () => {
  const p = new Process({ layout: "seed-i386", program: "mthread" });
  assert.equal(p.pid, 6501);
  assert.deepEqual(head(p, 4), [...MTHREAD_BINARY, "b7e05000-b7e07000 rw-p 00000000 00:00 0"]);
  const t = p.pthreadCreate();
  assert.equal(t.tid, 6594);
  assert.deepEqual(head(p, 5), [
    ...MTHREAD_BINARY,
    "b7604000-b7605000 ---p 00000000 00:00 0",
    "b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]",
  ]);
});

Deno.test("the seed machine labels thread stacks; a modern kernel does not", () => {
  const modern = new Process({ layout: "i386" });
  const t = modern.pthreadCreate();
  assert.ok(!modern.maps().includes(`[stack:${t.tid}]`));
});

Deno.test("seed per-thread arena example, whole: [heap] from brk, the thread's stack and arena", async () => {
  const { Allocator } = await import("../../mod.ts");
  const p = new Process({ layout: "seed-i386", program: "mthread" });
  const libc = new Allocator(p, { glibc: "2.23" });
  libc.printf();
  const heapLine = "0804b000-0806c000 rw-p 00000000 00:00 0          [heap]";
  const main = libc.malloc(1000);
  assert.deepEqual(head(p, 5), [
    ...MTHREAD_BINARY,
    heapLine,
    "b7e05000-b7e07000 rw-p 00000000 00:00 0",
  ]);
  libc.free(main);
  assert.deepEqual(head(p, 5), [
    ...MTHREAD_BINARY,
    heapLine,
    "b7e05000-b7e07000 rw-p 00000000 00:00 0",
  ]);
  const t = p.pthreadCreate();
  const stack = [
    "b7604000-b7605000 ---p 00000000 00:00 0",
    "b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]",
  ];
  assert.deepEqual(head(p, 6), [...MTHREAD_BINARY, heapLine, ...stack]);
  const arena = [
    "b7500000-b7521000 rw-p 00000000 00:00 0",
    "b7521000-b7600000 ---p 00000000 00:00 0",
  ];
  const q = p.runOn(t, () => libc.malloc(1000));
  assert.deepEqual(head(p, 8), [...MTHREAD_BINARY, heapLine, ...arena, ...stack]);
  p.runOn(t, () => libc.free(q));
  assert.deepEqual(head(p, 8), [...MTHREAD_BINARY, heapLine, ...arena, ...stack]);
});
