import assert from "node:assert/strict";
import { LayoutError, layoutFromMaps, parseMaps, Process } from "../../mod.ts";
import { parsePerms, permsText, VmFlag } from "../../src/kernel/vma.ts";

Deno.test("maps lines pad names to column 73 on a 64-bit kernel, 32-bit processes included", () => {
  for (const layout of ["x86_64", "i386"]) {
    const p = new Process({ layout });
    for (const line of p.maps().split("\n").filter((l) => l.includes("["))) {
      if (line.includes("[vsyscall]")) continue;
      assert.equal(line.indexOf("["), 73, line);
    }
  }
});

Deno.test("maps lines pad names to column 49 on a 32-bit kernel", () => {
  const p = new Process({ layout: "seed-i386", program: "sbrk" });
  const line = p.maps().split("\n").find((l) => l.includes("[stack]"))!;
  assert.equal(line.indexOf("["), 49);
});

Deno.test("a line without a name ends with the inode and one space", () => {
  const p = new Process({ layout: "x86_64" });
  assert.ok(p.maps().includes("7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0 \n"));
});

Deno.test("a maps text round-trips through parseMaps and a process built from it", () => {
  const p = new Process({ layout: "x86_64" });
  const text = p.maps();
  const q = new Process({ initialMaps: `# initial break 0x555555559000\n${text}` });
  assert.equal(q.maps(), text);
  assert.equal(parseMaps(text).gateLine?.endsWith("[vsyscall]"), true);
});

Deno.test("an initial maps text without a break or with garbage is refused clearly", () => {
  assert.throws(
    () => layoutFromMaps("7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0\n"),
    (e: unknown) => e instanceof LayoutError && /initial break/.test(e.message),
  );
  assert.throws(() => layoutFromMaps("hello\n"), LayoutError);
  assert.throws(() => new Process({ layout: "amiga" }), /Unknown layout/);
});

Deno.test("ASLR moves mmap_base and the break, deterministically for a seed", () => {
  const a = new Process({ layout: "x86_64", aslr: true, seed: 1 });
  const b = new Process({ layout: "x86_64", aslr: true, seed: 1 });
  const c = new Process({ layout: "x86_64", aslr: true, seed: 2 });
  assert.equal(a.space.mmapBase, b.space.mmapBase);
  assert.equal(a.space.startBrk, b.space.startBrk);
  assert.notEqual(a.space.mmapBase, c.space.mmapBase);
  assert.notEqual(a.space.mmapBase, new Process({ layout: "x86_64" }).space.mmapBase);
});

Deno.test("a maps text with a [heap] starts with the break at its end, and brk grows that [heap]", () => {
  const p = new Process({ layout: "x86_64" });
  p.sbrk(0x21000);
  const text = p.maps();
  const q = new Process({ initialMaps: `# initial break 0x555555559000\n${text}` });
  assert.equal(q.sbrk(0), 0x55555557a000);
  q.sbrk(0x1000);
  const heaps = q.maps().split("\n").filter((l) => l.endsWith("[heap]"));
  assert.deepEqual(heaps, [
    "555555559000-55555557b000 rw-p 00000000 00:00 0                          [heap]",
  ]);
});

Deno.test("mmap_base of a maps text is where its loader ends, so mmaps land as they did", () => {
  const p = new Process({ layout: "x86_64", aslr: true, seed: 9 });
  const q = new Process({
    initialMaps: `# initial break 0x${p.space.startBrk.toString(16)}\n${p.maps()}`,
  });
  assert.equal(q.space.mmapBase, p.space.mmapBase);
  assert.equal(q.sys.mmap(0, 0x5000, 3, 0x22), p.sys.mmap(0, 0x5000, 3, 0x22));
});

Deno.test("permsText prints each protection and sharing as rwx and p or s, and parsePerms reads it back", () => {
  const seen = new Set<string>();
  for (let prot = 0; prot < 8; prot++) {
    for (const shared of [false, true]) {
      const text = permsText({ prot, flags: shared ? VmFlag.SHARED : 0 });
      assert.equal(
        text,
        `${prot & 1 ? "r" : "-"}${prot & 2 ? "w" : "-"}${prot & 4 ? "x" : "-"}${
          shared ? "s" : "p"
        }`,
      );
      assert.deepEqual(parsePerms(text), { prot, shared });
      seen.add(text);
    }
  }
  assert.equal(seen.size, 16);
  // Bits other than read, write and exec (PROT_GROWSDOWN) are not printed.
  assert.equal(permsText({ prot: 0x01000003, flags: 0 }), "rw-p");
});
