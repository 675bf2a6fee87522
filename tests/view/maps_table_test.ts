import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "../../mod.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { mapsTable } from "../../src/view/maps_table.ts";
import { snapshotMaps } from "../../src/view/maps_snapshot.ts";
import { watchMaps } from "../../src/view/maps_watch.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/** The `<tr>` rows of a table body. */
function bodyRows(html: string): string[] {
  const body = html.slice(html.indexOf("<tbody>"));
  return body.match(/<tr[\s\S]*?<\/tr>/g) ?? [];
}

Deno.test("a maps table's text/plain is exactly process.maps(), on every profile", () => {
  for (const layout of ["seed-i386", "x86_64", "i386"]) {
    const proc = new Process({ layout });
    proc.sys.mmap(0, 132 * 1024, RW, ANON);
    proc.pthreadCreate();
    const bundle = mapsTable(proc)[JUPYTER_DISPLAY]();
    assert.equal(bundle["text/plain"], proc.maps(), layout);
    assert.equal(mapsTable(proc).toString(), proc.maps(), layout);
  }
});

Deno.test("a maps table's HTML has one row per maps line, the [vsyscall] line included", () => {
  const proc = new Process({ layout: "x86_64" });
  const lines = proc.maps().trimEnd().split("\n");
  const rows = bodyRows(mapsTable(proc).toHtml());
  assert.equal(rows.length, lines.length);
  for (const [i, line] of lines.entries()) {
    const start = line.slice(0, line.indexOf("-"));
    assert.ok(rows[i].includes(`>${start}<`), `row ${i} is not ${start}`);
  }
  assert.match(rows.at(-1)!, /\[vsyscall\]/);
});

Deno.test("the table says what each region is: binary, [heap], thread stack and guard, mmap", () => {
  const proc = new Process({ layout: "seed-i386", program: "mthread" });
  proc.sbrk(0x21000);
  proc.pthreadCreate();
  const html = mapsTable(proc).toHtml();
  for (
    const what of [
      "binary text (code)",
      "main arena heap (brk)",
      "thread stack (tid 6594)",
      "guard page of thread 1's stack",
      "libc text (code)",
      "loader (ld.so) text (code)",
      "vDSO",
      "main thread stack",
    ]
  ) {
    assert.ok(html.includes(what), `missing "${what}"`);
  }
});

Deno.test("the table marks a new [heap] green and a removed one red and struck through", () => {
  const proc = new Process({ layout: "seed-i386", program: "sbrk" });
  const start = proc.sbrk(0);
  const before = snapshotMaps(proc, "start");
  proc.sys.brk(start + 4096);
  const grown = mapsTable(proc, { previous: before });
  const newRow = bodyRows(grown.toHtml()).find((r) => r.includes("[heap]"))!;
  assert.match(newRow, /data-change="new"/);
  assert.match(newRow, /background:#dafbe1/);
  const after = grown.snapshot;
  proc.sys.brk(start);
  const shrunk = mapsTable(proc, { previous: after });
  const removedRow = bodyRows(shrunk.toHtml()).find((r) => r.includes("[heap]"))!;
  assert.match(removedRow, /data-change="removed"/);
  assert.match(removedRow, /line-through/);
  assert.equal(
    shrunk.toString(),
    proc.maps(),
    "the text stays the kernel's, without the removed line",
  );
});

Deno.test("the table marks the seed's merged mmap as grown by 132 KiB, then shrunk back", () => {
  const proc = new Process({ layout: "seed-i386", program: "mmap" });
  const watch = watchMaps(proc, "Before mmap");
  const addr = proc.sys.mmap(0, 132 * 1024, RW, ANON);
  const after = watch.table("After mmap");
  const grown = after.changes.filter((c) => c.change !== "same");
  assert.equal(grown.length, 1);
  assert.equal(grown[0].change, "grown");
  assert.equal(grown[0].row.start, 0xb7e00000);
  assert.match(bodyRows(after.toHtml()).find((r) => r.includes(">b7e00000<"))!, /\+132 KiB/);
  assert.equal(after.note, "system calls: mmap(0x0, 135168, 3, 34) = 0xb7e00000");
  proc.sys.munmap(addr, 132 * 1024);
  const back = watch.table("After munmap").changes.filter((c) => c.change !== "same");
  assert.deepEqual(back.map((c) => [c.change, c.row.start, c.delta]), [[
    "shrunk",
    0xb7e21000,
    -132 * 1024,
  ]]);
  assert.equal(
    watch.syscalls().toString(),
    "mmap(0x0, 135168, 3, 34) = 0xb7e00000\nmunmap(0xb7e00000, 135168) = 0",
  );
});

Deno.test("a table's caption names the step, the break and the changes", () => {
  const proc = new Process({ layout: "seed-i386", program: "sbrk" });
  const watch = watchMaps(proc, "start");
  proc.sys.brk(0x804c000);
  assert.equal(
    watch.table("after brk").caption(),
    'after brk · /proc/6141/maps · break 0x804c000 · changes since "start": 1 new',
  );
});
