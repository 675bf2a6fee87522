import assert from "node:assert/strict";
import { Allocator, Process } from "../../src/core.ts";
import { JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { seedCheck } from "../../src/view/seed_check.ts";

const SEED_AFTER_THREAD_MALLOC = `
08048000-08049000 r-xp 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread
08049000-0804a000 r--p 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread
0804a000-0804b000 rw-p 00001000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread
0804b000-0806c000 rw-p 00000000 00:00 0          [heap]
b7500000-b7521000 rw-p 00000000 00:00 0
b7521000-b7600000 ---p 00000000 00:00 0
b7604000-b7605000 ---p 00000000 00:00 0
b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]
...`;

Deno.test("the seed's mthread listing after the thread's malloc is reproduced by glibc 2.23", () => {
  const proc = new Process({ layout: "seed-i386", program: "mthread" });
  const heap = new Allocator(proc, { glibc: "2.23" });
  heap.printf({ stdout: "tty" });
  heap.free(heap.malloc(1000));
  proc.switchTo(proc.pthreadCreate());
  heap.malloc(1000);
  const check = seedCheck(proc, SEED_AFTER_THREAD_MALLOC, "after malloc in thread 1");
  assert.equal(check.lines.length, 8);
  assert.equal(check.ok, true, check.toString());
  assert.equal(check.assert(), check);
});

Deno.test("a seed check reports the first differing line and throws on assert", () => {
  const proc = new Process({ layout: "seed-i386", program: "mthread" });
  const check = seedCheck(proc, SEED_AFTER_THREAD_MALLOC);
  assert.equal(check.ok, false);
  assert.equal(check.lines[3].same, false);
  assert.equal(check.lines[3].simulated, "b7e05000-b7e07000 rw-p 00000000 00:00 0");
  assert.throws(() => check.assert(), /printed "0804b000-0806c000/);
  const bundle = check[JUPYTER_DISPLAY]();
  assert.match(bundle["text/html"], /data-change="changed"/);
  assert.match(bundle["text/plain"], /^5 of 8 printed lines differ/);
});
