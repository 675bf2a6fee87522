import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ } from "../../mod.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { snapshotMaps } from "../../src/view/maps_snapshot.ts";
import { explainSyscall, syscallTable } from "../../src/view/syscall_table.ts";

Deno.test("the syscall table prints strace-style lines with formatSyscall", () => {
  const proc = new Process({ layout: "seed-i386", program: "sbrk" });
  const start = proc.sbrk(0);
  proc.sys.brk(start + 4096);
  proc.sys.brk(start);
  assert.equal(
    syscallTable(proc).toString(),
    "brk(0x804c000) = 0x804c000\nbrk(0x804b000) = 0x804b000",
  );
});

Deno.test("the syscall table starts after a snapshot or a sequence number", () => {
  const proc = new Process({ layout: "seed-i386", program: "mmap" });
  const addr = proc.sys.mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
  const snap = snapshotMaps(proc);
  proc.sys.munmap(addr, 4096);
  assert.equal(addr, 0xb7fd8000, "top-down: the highest hole that fits, above libc");
  assert.equal(syscallTable(proc, { since: snap }).toString(), "munmap(0xb7fd8000, 4096) = 0");
  assert.equal(syscallTable(proc, { since: 2 }).toString(), "(no system calls)");
});

Deno.test("calls from several threads get [pid N] prefixes, and the HTML a row each", () => {
  const proc = new Process({ layout: "x86_64" });
  const t = proc.pthreadCreate();
  proc.runOn(t, () => proc.sys.brk(0));
  const table = syscallTable(proc);
  assert.match(table.toString(), /^\[pid 31940\] mmap\(/);
  assert.match(table.toString(), /\n\[pid 31941\] brk\(0x0\) = 0x555555559000$/);
  const html = table[JUPYTER_DISPLAY]()["text/html"];
  assert.equal((html.match(/<tr>/g) ?? []).length, 1 + table.records.length);
});

Deno.test("explainSyscall decodes protections, flags and errors", () => {
  const rec = (name: string, args: number[], result: number) => ({
    seq: 1,
    tid: 1,
    name,
    args,
    result,
  });
  assert.equal(
    explainSyscall(rec("mmap", [0, 135168, 3, 0x22], 0xb7e00000)),
    "map 132 KiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS: at 0xb7e00000",
  );
  assert.equal(
    explainSyscall(rec("munmap", [0x1001, 4096], -22)),
    "unmap 4 KiB at 0x1001: failed, EINVAL",
  );
  assert.equal(
    explainSyscall(rec("mprotect", [0x1000, 4096, 0], 0)),
    "make 4 KiB at 0x1000 PROT_NONE",
  );
  assert.equal(
    explainSyscall(rec("brk", [0x2000], 0x1000)),
    "move the break to 0x2000: refused, it stays at 0x1000",
  );
});
