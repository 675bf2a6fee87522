/**
 * `CProgram.globalsInfo()` against the real binary of tests/fixtures/c/program_image/globals.c:
 * every global's address, its section (nm's letter: D/d in .data, B/b in .bss), and the
 * landmarks `nm -n` lists (data_start, __dso_handle, _edata, the stdout and stdin copies,
 * completed.0, _end) at the binary's offsets in the data page (globals.nm).
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { CProgram } from "../../mod.ts";

const SOURCE = fixture("program_image/globals.c");
/** globals.nm: symbol (gcc's `.N` of a function static and a copy's version dropped) → line. */
const NM = new Map(
  fixture("program_image/globals.nm").trim().split("\n").map((line) => {
    const [address, letter, symbol] = line.split(" ");
    const name = symbol.replace(/@.*$/, "").replace(/\.\d+$/, "");
    return [name, { offset: parseInt(address, 16), letter }];
  }),
);
/** The binary's data page starts at 0x4000; the process maps it at 0x555555558000. */
const PAGE = 0x4000;

function globalsProgram(): CProgram {
  return new CProgram(SOURCE, { file: "globals.c", glibc: "2.36", gccBuiltins: false });
}

Deno.test("globalsInfo puts each global of globals.c where the linked binary has it", () => {
  const info = globalsProgram().globalsInfo();
  assert.equal(info.dataStart, 0x555555558000);
  assert.equal(info.globals.length, 16);
  for (const g of info.globals) {
    const real = NM.get(g.name);
    assert.ok(real, g.name);
    assert.equal(g.address - info.dataStart + PAGE, real.offset, g.name);
  }
});

Deno.test("globalsInfo names each global's section as gcc chose it", () => {
  const info = globalsProgram().globalsInfo();
  const sections = Object.fromEntries(info.globals.map((g) => [g.name, g.section]));
  assert.deepEqual(sections, {
    counter: ".data",
    name: ".data",
    hidden: ".data",
    magic: ".data",
    ratio: ".data",
    calls: ".data",
    motd: ".data.rel.local",
    handler: ".data.rel",
    notes: ".bss",
    small: ".bss",
    ptrs: ".bss",
    flags: ".bss",
    tail: ".bss",
    total: ".bss",
    scratch: "local common",
    buf: "local common",
  } as Record<string, string>);
  // nm's letter agrees: data in D/d, the rest in B/b
  for (const g of info.globals) {
    const letter = NM.get(g.name)!.letter.toLowerCase();
    assert.equal(letter, g.section.startsWith(".data") ? "d" : "b", g.name);
  }
});

Deno.test("globalsInfo tells a function's static from a file-scope global, with size and alignment", () => {
  const globals = globalsProgram().globalsInfo().globals;
  const byName = new Map(globals.map((g) => [g.name, g]));
  assert.equal(byName.get("calls")!.function, "main");
  assert.equal(byName.get("buf")!.function, "main");
  assert.equal(byName.get("hidden")!.function, undefined);
  assert.deepEqual([byName.get("notes")!.size, byName.get("notes")!.align], [96, 32]);
  assert.deepEqual([byName.get("name")!.size, byName.get("name")!.align], [13, 8]);
  assert.deepEqual([byName.get("small")!.size, byName.get("small")!.align], [3, 1]);
});

Deno.test("globalsInfo's landmarks are the linked binary's data_start, copies, completed.0, _edata and _end", () => {
  const info = globalsProgram().globalsInfo();
  const names = ["data_start", "__dso_handle", "_edata", "stdout", "stdin", "completed.0", "_end"];
  assert.deepEqual(info.landmarks.map((l) => l.name), [".got.plt", ...names]);
  for (const l of info.landmarks.slice(1)) {
    const real = NM.get(l.name) ?? NM.get(l.name.replace(/\.\d+$/, ""));
    assert.equal(l.address - info.dataStart + PAGE, real!.offset, l.name);
  }
  // six functions called: six words of .got.plt's tail, up to data_start
  assert.deepEqual([info.landmarks[0].address, info.landmarks[0].size], [info.dataStart, 0x30]);
  assert.equal(info.edata, info.landmarks.find((l) => l.name === "_edata")!.address);
  assert.equal(info.end, info.landmarks.at(-1)!.address);
});

Deno.test("globalsInfo puts const objects in .rodata and one holding an address in .data.rel.ro", () => {
  const prog = new CProgram(
    [
      "const int limit = 10;",
      'const char *const names[] = { "a" };',
      "int main(void) { return limit + (names[0] != 0); }",
    ].join("\n"),
  );
  const sections = prog.globalsInfo().globals.map((g) => [g.name, g.section]);
  assert.deepEqual(sections, [["limit", ".rodata"], ["names", ".data.rel.ro"]]);
});
