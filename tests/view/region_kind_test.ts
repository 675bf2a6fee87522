import assert from "node:assert/strict";
import { CProgram, MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "../../mod.ts";
import { snapshotFromText, snapshotMaps } from "../../src/view/maps_snapshot.ts";

function labels(snap: ReturnType<typeof snapshotMaps>): Map<string, string> {
  return new Map(
    snap.rows.map((r, i) => [r.start.toString(16), snap.kinds[i].label]),
  );
}

Deno.test("x86_64's startup regions: PIE segments, libc, TLS, vvar, vdso, loader, stack", () => {
  const what = labels(snapshotMaps(new Process({ layout: "x86_64" })));
  assert.equal(what.get("555555554000"), "binary ELF headers, symbols (read-only)");
  assert.equal(what.get("555555555000"), "binary text (code)");
  assert.equal(what.get("555555556000"), "binary read-only data (.rodata)");
  assert.equal(what.get("555555557000"), "binary RELRO (relocated, then read-only)");
  assert.equal(what.get("555555558000"), "binary data (.data, .bss)");
  assert.equal(what.get("7ffff7dd1000"), "TLS and loader data (made at startup)");
  assert.equal(what.get("7ffff7fa9000"), "libc .bss (rest)");
  assert.equal(what.get("7ffff7fc2000"), "vvar: kernel data the vDSO reads");
  assert.equal(what.get("7ffff7fcb000"), "loader (ld.so) text (code)");
  assert.equal(what.get("7ffffffde000"), "main thread stack");
});

Deno.test("a program's large .bss past its file's pages is the binary's .bss, not an mmap", () => {
  const prog = new CProgram("char buf[0x10000]; int main(void) { return buf[0]; }");
  prog.run();
  const what = labels(snapshotMaps(prog.process));
  assert.equal(what.get("555555558000"), "binary data (.data, .bss)");
  assert.equal(what.get("555555559000"), "binary .bss (rest)");
});

Deno.test("an mmap that merged with a startup page is an mmapped region that says so", () => {
  const proc = new Process({ layout: "seed-i386", program: "mmap" });
  proc.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  const snap = snapshotMaps(proc);
  const i = snap.rows.findIndex((r) => r.start === 0xb7e00000);
  assert.equal(snap.kinds[i].category, "mmap");
  assert.equal(
    snap.kinds[i].label,
    "mmapped region, merged with: TLS and loader data (made at startup)",
  );
});

Deno.test("vma.owner names what the allocator mapped; ---p parts are its reserve", () => {
  const proc = new Process({ layout: "x86_64" });
  const base = proc.sys.mmap(
    0,
    64 << 20,
    0,
    MAP_PRIVATE | MAP_ANONYMOUS,
    undefined,
    "arena 1 heap",
  );
  proc.sys.mprotect(base, 0x21000, PROT_READ | PROT_WRITE);
  const what = labels(snapshotMaps(proc));
  assert.equal(what.get(base.toString(16)), "arena 1 heap");
  assert.equal(what.get((base + 0x21000).toString(16)), "arena 1 heap: reserved part (---p)");
});

Deno.test("a real maps text: thread arena heap and thread stack are told by their layout", () => {
  const text = [
    "08048000-08049000 r-xp 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
    "0804b000-0806c000 rw-p 00000000 00:00 0          [heap]",
    "b7500000-b7521000 rw-p 00000000 00:00 0 ",
    "b7521000-b7600000 ---p 00000000 00:00 0 ",
    "b7604000-b7605000 ---p 00000000 00:00 0 ",
    "b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]",
    "",
  ].join("\n");
  const snap = snapshotFromText(text);
  assert.deepEqual(snap.kinds.map((k) => k.label), [
    "binary text (code)",
    "main arena heap (brk)",
    "thread arena heap (usable part)",
    "thread arena heap: reserved part (---p)",
    "guard page (of the stack above)",
    "thread stack (tid 6594)",
  ]);
});
