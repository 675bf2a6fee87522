/**
 * addressTable sets named addresses against a process's maps: the line holding each, the offset
 * in it and in the file, from an object or from a C program's printed `%p` lines.
 */

import assert from "node:assert/strict";
import { addressTable, hex, Process, runC } from "../../mod.ts";

Deno.test("addressTable finds a global in the data page and its file offset", () => {
  const source = `#include <stdio.h>
    int counter = 1;
    int main(void) { printf("counter %p\\n", (void *)&counter); return 0; }`;
  const process = new Process({ layout: "x86_64" });
  const r = runC(source, { process });
  const [row] = addressTable(process, r.stdout).rows;
  assert.equal(row.name, "counter");
  assert.equal(row.address, r.stdout.trim().split(" ")[1]);
  assert.match(String(row["maps line"]), /^555555558000-555555559000 rw-p /);
  assert.equal(row["file offset"], hex(0x3000 + Number(row.address) - 0x555555558000));
});

Deno.test("addressTable leaves the file offset of an anonymous area empty and says when nothing holds an address", () => {
  const process = new Process({ layout: "x86_64" });
  const rows = addressTable(process, {
    stack: process.regions().find((r) => r.name === "[stack]")!.start,
    none: 0n,
  }).rows;
  assert.equal(rows[0]["file offset"], "");
  assert.equal(rows[0]["+ from line start"], "0x0");
  assert.deepEqual(rows[1], { name: "none", address: "0x0", "maps line": "not mapped" });
});

Deno.test("addressTable skips printed lines that do not end in an address", () => {
  const process = new Process({ layout: "x86_64" });
  const table = addressTable(process, "hello\ncount 3\nnil (nil)\n");
  assert.equal(table.rows.length, 0);
});

Deno.test("addressTable sorts its rows by address when asked, and refuses an unknown option", () => {
  const process = new Process({ layout: "x86_64" });
  const table = addressTable(process, { high: 0x2000, low: 0x1000 }, { sorted: true });
  assert.deepEqual(table.rows.map((r) => r.name), ["low", "high"]);
  assert.throws(() => addressTable(process, {}, { sort: true } as never));
});
