/**
 * Views render any heap a user can make and mark what they cannot read; bad view options are
 * typed errors.
 */
import assert from "node:assert/strict";
import {
  Allocator,
  binsTable,
  heapView,
  JUPYTER_DISPLAY,
  Process,
  PROT_NONE,
  stepView,
} from "../../mod.ts";

function heap(layout: "x86_64" | "i386", glibc = "2.36") {
  const proc = new Process({ layout });
  return { proc, libc: new Allocator(proc, { glibc }) };
}

Deno.test("a chunk header on a PROT_NONE page is marked cannot read … (SEGV_ACCERR)", () => {
  const { proc, libc } = heap("x86_64");
  const a = libc.malloc(5000), b = libc.malloc(5000);
  libc.malloc(24);
  const page = Math.floor((b - 16) / 4096) * 4096;
  assert.ok(page > a, "b's header is on a page of its own");
  proc.sys.mprotect(page, 4096, PROT_NONE);
  const view = heapView(libc);
  const row = view.rows.find((r) => r.state === "unreadable");
  assert.ok(row, "the unreadable chunk has a row");
  assert.match(row.links ?? "", /^cannot read 0x[0-9a-f]+ \(SEGV_ACCERR\)$/);
  const bundle = view[JUPYTER_DISPLAY]();
  assert.match(bundle["text/plain"], /cannot read 0x[0-9a-f]+ \(SEGV_ACCERR\)/);
  assert.ok(bundle["text/html"].includes("unreadable"));
  // The bins view and the step view render too.
  assert.equal(typeof binsTable(libc)[JUPYTER_DISPLAY]()["text/plain"], "string");
  assert.equal(typeof stepView(libc)[JUPYTER_DISPLAY]()["text/plain"], "string");
});

Deno.test("a top size of -1, a -16 link and sizes of 2^63 print as unsigned words", () => {
  const { proc, libc } = heap("x86_64", "2.27");
  const a = libc.malloc(24), b = libc.malloc(24);
  libc.free(a);
  proc.memory.write64(a, -16); // the tcache next link
  proc.memory.write64(b - 8, 2 ** 63 + 2 ** 12); // a size word of 2^63 + 4096
  const text = heapView(libc)[JUPYTER_DISPLAY]()["text/plain"];
  assert.ok(text.includes("next 0xfffffffffffffff0"), text);
  assert.ok(text.includes("0x8000000000001000"), text);
  // House of Force's top size of -1.
  const other = heap("x86_64", "2.27");
  other.libc.malloc(24);
  other.proc.memory.write64(other.libc.arenas()[0].top + 8, -1);
  const view = heapView(other.libc);
  assert.equal(view.rows.at(-1)?.state, "top");
  assert.ok(view.toString().includes("0xfffffffffffffff8"), view.toString());
  assert.equal(typeof binsTable(other.libc)[JUPYTER_DISPLAY]()["text/plain"], "string");
});

Deno.test("tiny i386 pointers and a corrupted arena render", () => {
  const { proc, libc } = heap("i386", "2.31");
  const a = libc.malloc(12);
  libc.malloc(12);
  libc.free(a);
  proc.memory.write32(a, 0x4); // next -> 0x4, unmapped
  proc.memory.write32(libc.mainArena + 8, 0x10); // a fastbin head
  const view = heapView(libc);
  assert.equal(typeof view[JUPYTER_DISPLAY]()["text/plain"], "string");
  const bins = binsTable(libc)[JUPYTER_DISPLAY]()["text/plain"];
  assert.equal(typeof bins, "string");
});

Deno.test("bad heap view options are typed errors naming the option", () => {
  const { libc } = heap("x86_64");
  const bad: [Record<string, unknown>, string, string][] = [
    [{ bytes: -1 }, "bytes", "ArgumentRangeError"],
    [{ bytes: NaN }, "bytes", "ArgumentRangeError"],
    [{ bytes: "16" }, "bytes", "ArgumentTypeError"],
    [{ arena: "main" }, "arena", "ArgumentTypeError"],
    [{ mark: 5 }, "mark", "ArgumentTypeError"],
  ];
  for (const [options, argument, name] of bad) {
    assert.throws(() => heapView(libc, options), { name, argument }, JSON.stringify(options));
  }
});
