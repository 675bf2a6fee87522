import assert from "node:assert/strict";
import { formatBytes, formatTable, hex, padEnd, padStart } from "../../src/view/format.ts";

Deno.test("hex() prefixes 0x and zero-pads to the requested digit count", () => {
  assert.equal(hex(0), "0x0");
  assert.equal(hex(0x20), "0x20");
  assert.equal(hex(0x290, 8), "0x00000290");
  assert.equal(hex(0x7ffff7dd1000, 12), "0x7ffff7dd1000");
});

Deno.test("hex() never truncates a value wider than the padding", () => {
  assert.equal(hex(0x555555559000, 4), "0x555555559000");
});

Deno.test("hex() formats user-space addresses up to 2^47 exactly, and bigints", () => {
  assert.equal(hex(2 ** 47 - 1), "0x7fffffffffff");
  assert.equal(hex(0xffffffffffffffffn), "0xffffffffffffffff");
});

Deno.test("hex() prints a negative word as its unsigned 64-bit value and rejects fractions", () => {
  // A top size of (size_t) -1 or a -16 link is a word a heap can hold: views must print it.
  assert.equal(hex(-1), "0xffffffffffffffff");
  assert.equal(hex(-16n), "0xfffffffffffffff0");
  assert.throws(() => hex(1.5), RangeError);
});

Deno.test("formatBytes() uses binary units like pmap: 132 KiB for the initial heap", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1 KiB");
  assert.equal(formatBytes(135168), "132 KiB");
  assert.equal(formatBytes(64 * 1024 * 1024), "64 MiB");
  assert.equal(formatBytes(2 ** 40), "1 TiB");
});

Deno.test("formatBytes() shows one decimal only when the size is not whole", () => {
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(1.25 * 1024 * 1024), "1.3 MiB");
  assert.equal(formatBytes(1024 * 1024 - 1), "1024 KiB");
});

Deno.test("formatBytes() rejects negative and non-finite sizes", () => {
  assert.throws(() => formatBytes(-1), RangeError);
  assert.throws(() => formatBytes(Infinity), RangeError);
  assert.throws(() => formatBytes(NaN), RangeError);
});

Deno.test("padEnd() and padStart() align columns and never cut long text", () => {
  assert.equal(padEnd("r-xp", 6), "r-xp  ");
  assert.equal(padStart("42", 5), "   42");
  assert.equal(padStart("7", 3, "0"), "007");
  assert.equal(padEnd("[heap]", 3), "[heap]");
});

Deno.test("formatTable() sizes each column to its widest cell and trims line ends", () => {
  const text = formatTable([
    ["start", "end", "perms", "name"],
    ["0x555555559000", "0x55555557a000", "rw-p", "[heap]"],
    ["0x7ffffffde000", "0x7ffffffff000", "rw-p", ""],
  ]);
  assert.deepEqual(text.split("\n"), [
    "start           end             perms  name",
    "0x555555559000  0x55555557a000  rw-p   [heap]",
    "0x7ffffffde000  0x7ffffffff000  rw-p",
  ]);
});

Deno.test("formatTable() right-aligns the columns asked for", () => {
  const text = formatTable([["size", "n"], ["0x20", "7"], ["0x410", "12"]], {
    align: ["right", "right"],
    separator: " | ",
  });
  assert.equal(text, " size |  n\n 0x20 |  7\n0x410 | 12");
});
