/**
 * globalsTable lists a C program's globals in address order, with their sections, the padding
 * before each and the maps line holding each — checked against the real binary of
 * tests/fixtures/c/program_image/globals.c (`globals.nm`: its symbols' offsets in the data page).
 */

import assert from "node:assert/strict";
import { CProgram, globalsTable } from "../../mod.ts";
import { fixture } from "../c/c_support.ts";

const SOURCE = fixture("program_image/globals.c");
/** globals.nm: offset in the binary's data page (0x4000 there, 0x555555558000 here) by symbol. */
const NM = new Map(
  fixture("program_image/globals.nm").trim().split("\n").map((line) => {
    const [address, , symbol] = line.split(" ");
    return [symbol.replace(/@.*$/, ""), parseInt(address, 16) - 0x4000 + 0x555555558000];
  }),
);

function globalsProgram(): CProgram {
  return new CProgram(SOURCE, { file: "globals.c", glibc: "2.36", gccBuiltins: false });
}

/** A row's symbol as nm spells it (a function's static with gcc's suffix). */
function symbolOf(name: string): string {
  const statics: Record<string, string> = {
    "calls (static in main)": "calls.1",
    "buf (static in main)": "buf.0",
    "stdout (libc's, copied)": "stdout",
    "stdin (libc's, copied)": "stdin",
  };
  return statics[name] ?? name;
}

Deno.test("globalsTable lists globals.c's globals and landmarks in the real binary's order and at its addresses", () => {
  const rows = globalsTable(globalsProgram()).rows.filter((r) => r.name !== ".got.plt (tail)");
  const real = [...NM].filter(([symbol]) =>
    !/^(__data_start|__TMC_END__|__bss_start)$/.test(symbol)
  )
    .map(([symbol, address]) => [symbol, address]);
  assert.deepEqual(rows.map((r) => [symbolOf(String(r.name)), Number(r.address)]), real);
});

Deno.test("globalsTable shows the padding alignment leaves before a global", () => {
  const rows = globalsTable(globalsProgram(), { landmarks: false }).rows;
  const row = (name: string) => rows.find((r) => r.name === name)!;
  // name[13] at +0x48 ends at +0x55; the static int hidden is 4-aligned: 3 bytes of padding
  assert.deepEqual([row("hidden").section, row("hidden")["gap before"]], [".data", "0x3"]);
  // small[3] ends at +0x123; ptrs, 64 bytes, is 32-aligned: 0x1d bytes
  assert.deepEqual([row("ptrs")["gap before"], row("ptrs").size, row("ptrs").align], [
    "0x1d",
    "0x40",
    32,
  ]);
  assert.equal(row("magic")["gap before"], "0x4");
  assert.equal(row("ratio")["gap before"], "");
  assert.equal(row("scratch").section, "local common");
  assert.equal(row("buf (static in main)").section, "local common");
});

Deno.test("globalsTable names the maps line each global lies in, past the file's page too", () => {
  const source = "char big[0x3000];\nchar after[16];\nint n = 1;\nint main(void) { return n; }";
  const prog = new CProgram(source);
  const rows = globalsTable(prog, { landmarks: false }).rows;
  assert.deepEqual(rows.map((r) => [r.name, r["maps line"]]), [
    ["n", "555555558000-555555559000 rw-p mthread"],
    ["big", "555555558000-555555559000 rw-p mthread"],
    ["after", "555555559000-55555555c000 rw-p"],
  ]);
});

Deno.test("globalsTable displays as an HTML table with a caption beside its text", () => {
  const table = globalsTable(globalsProgram(), { title: "globals.c's globals" });
  const display = (table as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ];
  const bundle = display.call(table);
  assert.match(bundle["text/html"], /<caption[^>]*>globals\.c's globals<\/caption>/);
  assert.match(bundle["text/plain"], /^globals\.c's globals\n/);
  assert.match(bundle["text/plain"], /completed\.0 +\.bss +0x5555555580b8 +0x1/);
});
