// The seed's sbrk/brk and mmap/munmap example programs as C, on the seed's machine: their output
// and maps at each getchar() are the seed's (pid 6141: break 0x804b000 -> 0x804c000 -> back;
// pid 6067: the 132 KiB mapping merged with the anonymous page below libc, then gone).
import assert from "node:assert/strict";
import { Allocator, CProgram, Process } from "../../mod.ts";

function run(program: "sbrk" | "mmap"): { stdout: string; maps: string[] }[] {
  const source = Deno.readTextFileSync(new URL(`../fixtures/c/seed_${program}.c`, import.meta.url));
  const process = new Process({ layout: "seed-i386", program });
  const prog = new CProgram(source, {
    process,
    allocator: new Allocator(process, { glibc: "2.23" }),
    gccBuiltins: false, // the oracle's build.sh builds with -fno-builtin
  });
  const pauses: { stdout: string; maps: string[] }[] = [];
  for (;;) {
    const r = prog.run();
    if (r.state !== "paused") {
      assert.equal(r.state, "exited");
      return pauses;
    }
    pauses.push({ stdout: r.newStdout, maps: process.maps().split("\n").map((l) => l.trimEnd()) });
    prog.feed("\n");
  }
}

const SBRK_BIN = [
  "08048000-08049000 r-xp 00000000 08:01 539624     /home/sploitfun/ptmalloc.ppt/syscalls/sbrk",
  "08049000-0804a000 r--p 00000000 08:01 539624     /home/sploitfun/ptmalloc.ppt/syscalls/sbrk",
  "0804a000-0804b000 rw-p 00001000 08:01 539624     /home/sploitfun/ptmalloc.ppt/syscalls/sbrk",
];

Deno.test("the seed's sbrk/brk program moves the break one page up and back, as printed", () => {
  const pauses = run("sbrk");
  assert.deepEqual(pauses.map((p) => p.stdout), [
    "Welcome to sbrk example:6141\nProgram Break Location1:0x804b000\n",
    "Program break Location2:0x804c000\n",
    "Program Break Location3:0x804b000\n",
  ]);
  assert.deepEqual(pauses[0].maps.slice(0, 4), [
    ...SBRK_BIN,
    "b7e21000-b7e22000 rw-p 00000000 00:00 0",
  ]);
  assert.deepEqual(pauses[1].maps.slice(0, 4), [
    ...SBRK_BIN,
    "0804b000-0804c000 rw-p 00000000 00:00 0          [heap]",
  ]);
  assert.deepEqual(pauses[2].maps, pauses[0].maps);
});

Deno.test("the seed's mmap/munmap program maps 132 KiB next to the page below libc, then unmaps it", () => {
  const pauses = run("mmap");
  assert.deepEqual(pauses.map((p) => p.stdout), [
    "Welcome to private anonymous mapping example::PID:6067\nBefore mmap\n",
    "After mmap\n",
    "After munmap\n",
  ]);
  assert.equal(pauses[0].maps[3], "b7e21000-b7e22000 rw-p 00000000 00:00 0");
  assert.equal(pauses[1].maps[3], "b7e00000-b7e22000 rw-p 00000000 00:00 0");
  assert.deepEqual(pauses[2].maps, pauses[0].maps);
});
