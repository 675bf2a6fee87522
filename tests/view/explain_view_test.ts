import assert from "node:assert/strict";
import { Allocator, HeapAbort, Process } from "../../src/core.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { explainCall, explainView } from "../../src/view/explain_view.ts";

function modern(glibc = "2.36") {
  const process = new Process({ layout: "x86_64" });
  return { process, heap: new Allocator(process, { glibc }) };
}

Deno.test("the explain view says which path served a malloc and which system calls it made", () => {
  const { heap } = modern();
  const a = heap.malloc(1000);
  const view = explainView(heap);
  const tid = heap.process.mainThread.tid;
  const served = /^malloc\(1000\) = 0x([0-9a-f]+) · served by [a-z ]+ · main_arena · tid (\d+)$/
    .exec(view.headline());
  assert.deepEqual(served?.slice(1), [a.toString(16), String(tid)]);
  const text = view.toString();
  assert.match(text, /tcache_init/);
  assert.match(text, /syscall brk\(0x[0-9a-f]+\) = 0x[0-9a-f]+: move the break to/);
});

Deno.test("the explain view shows a chunk going into the tcache and coming back", () => {
  const { heap } = modern();
  const a = heap.malloc(24);
  heap.free(a);
  const free = explainView(heap);
  assert.match(free.call(), /^free\(0x[0-9a-f]+\)$/);
  assert.equal(free.record?.served, "tcache");
  assert.match(free.lines()[1], /put chunk 0x[0-9a-f]+ \(size 0x20\) into tcache 0x20/);
  heap.malloc(24);
  assert.match(
    explainView(heap).lines()[1],
    /take chunk 0x[0-9a-f]+ \(size 0x20\) from tcache 0x20/,
  );
});

Deno.test("the explain view names a thread arena and the mmap/munmap of a new heap", () => {
  const process = new Process({ layout: "seed-i386", program: "mthread" });
  const heap = new Allocator(process, { glibc: "2.23" });
  process.switchTo(process.pthreadCreate());
  heap.malloc(1000);
  const text = explainView(heap).toString();
  assert.match(text, /arena 0xb7500010 \(heap 1\)/);
  assert.match(text, /new heap at 0xb7500000/);
  assert.match(text, /syscall mprotect\(0xb7500000, 135168, 3\) = 0/);
});

Deno.test("explainCall turns an abort into a view and leaves the heap inspectable", () => {
  const { heap } = modern();
  const a = heap.malloc(24);
  heap.free(a);
  const view = explainCall(heap, () => heap.free(a));
  assert.deepEqual(view.signal, {
    signal: "SIGABRT",
    message: "free(): double free detected in tcache 2",
  });
  assert.equal(view.record?.operation, "free");
  assert.match(view.headline(), /SIGABRT: free\(\): double free detected in tcache 2$/);
  assert.match(view[JUPYTER_DISPLAY]()["text/html"], /#ffebe9/);
  heap.checkArena(); // still consistent: the check fired before anything changed
  assert.throws(() => heap.free(a), HeapAbort);
});

Deno.test("explainCall rethrows errors that are not signals", () => {
  const { heap } = modern();
  assert.throws(() =>
    explainCall(heap, () => {
      throw new TypeError("a bug");
    }), TypeError);
});

Deno.test("the explain view of a call that reached no allocator function says so", () => {
  const { heap } = modern();
  heap.malloc(24);
  const view = explainCall(heap, () => heap.usableSize(0));
  assert.equal(view.record, undefined);
  assert.equal(view.toString(), "(no allocator call)");
});
