import assert from "node:assert/strict";
import { diffMaps, summarizeChanges } from "../../src/view/maps_diff.ts";
import type { MapsRow } from "../../src/view/region_kind.ts";

function row(start: number, end: number, perms = "rw-p", name = ""): MapsRow {
  return { start, end, perms, offset: 0, dev: "00:00", inode: 0, name };
}

Deno.test("diffMaps marks identical lines same, a new line new and a missing one removed", () => {
  const a = row(0x1000, 0x2000), b = row(0x5000, 0x6000), c = row(0x9000, 0xa000);
  const changes = diffMaps([a, b], [a, c]);
  assert.deepEqual(changes.map((ch) => [ch.change, ch.row.start, ch.delta]), [
    ["same", 0x1000, 0],
    ["removed", 0x5000, -0x1000],
    ["new", 0x9000, 0x1000],
  ]);
  assert.equal(summarizeChanges(changes), "1 new, 1 removed");
});

Deno.test("diffMaps sees a heap that grew up and a mapping that grew down", () => {
  const up = diffMaps([row(0x804b000, 0x804c000, "rw-p", "[heap]")], [
    row(0x804b000, 0x806c000, "rw-p", "[heap]"),
  ]);
  assert.equal(up[0].change, "grown");
  assert.equal(up[0].note, "+128 KiB, grew up");
  const down = diffMaps([row(0xb7e21000, 0xb7e22000)], [row(0xb7e00000, 0xb7e22000)]);
  assert.equal(down[0].note, "+132 KiB, grew down");
});

Deno.test("diffMaps reports an mprotect split as a shrunk part and a part whose perms changed", () => {
  const changes = diffMaps([row(0x10000, 0x20000, "---p")], [
    row(0x10000, 0x11000, "---p"),
    row(0x11000, 0x20000, "rw-p"),
  ]);
  assert.deepEqual(changes.map((c) => c.change), ["shrunk", "changed"]);
  assert.match(changes[1].note, /perms ---p → rw-p/);
});

Deno.test("diffMaps reports two regions merged into one as grown, not as a removal", () => {
  const changes = diffMaps([row(0x1000, 0x3000), row(0x3000, 0x4000, "r--p")], [
    row(0x1000, 0x4000),
  ]);
  assert.deepEqual(changes.map((c) => c.change), ["grown"]);
  assert.match(changes[0].note, /merged with 1 more/);
});

Deno.test("diffMaps reports a region split by a partial munmap as two changed pieces", () => {
  const changes = diffMaps([row(0x1000, 0x5000)], [row(0x1000, 0x2000), row(0x4000, 0x5000)]);
  assert.deepEqual(changes.map((c) => c.change), ["changed", "changed"]);
  assert.ok(changes.every((c) => c.note === "split from 00001000-00005000"));
});
