import assert from "node:assert/strict";
import { Errno, Process, PROT_NONE, PROT_READ, PROT_WRITE } from "../../mod.ts";

Deno.test("pthread_create maps 8 MiB + a guard page: PROT_NONE first, then the stack read-write", () => {
  const p = new Process({ layout: "x86_64" });
  const before = p.syscalls.lastSeq;
  const t = p.pthreadCreate();
  const calls = p.syscalls.since(before);
  assert.deepEqual(calls.map((c) => c.name), ["mmap", "mprotect"]);
  assert.equal(calls[0].args[1], 0x801000);
  assert.equal(calls[0].args[2], PROT_NONE);
  assert.deepEqual(calls[1].args, [t.stack!.base + 0x1000, 0x800000, PROT_READ | PROT_WRITE]);
  const guard = p.space.areaAt(t.stack!.base)!;
  assert.equal(guard.end - guard.start, 0x1000);
  assert.equal(p.space.areaAt(t.stack!.base + 0x1000)!.prot, PROT_READ | PROT_WRITE);
});

Deno.test("a joined thread's stack stays mapped and the next thread reuses it", () => {
  const p = new Process({ layout: "x86_64" });
  const t1 = p.pthreadCreate();
  p.pthreadJoin(t1);
  assert.ok(p.space.areaAt(t1.stack!.base), "still mapped, in the stack cache");
  const before = p.syscalls.lastSeq;
  const t2 = p.pthreadCreate();
  assert.equal(t2.stack!.base, t1.stack!.base);
  assert.equal(p.syscalls.since(before).length, 0, "no system call for a cached stack");
});

Deno.test("the stack cache holds 40 MiB: the fifth joined stack evicts the oldest", () => {
  const p = new Process({ layout: "x86_64" });
  const ts = [1, 2, 3, 4, 5].map(() => p.pthreadCreate());
  for (const t of ts.slice(0, 4)) p.pthreadJoin(t);
  assert.equal(p.stackCache.length, 4);
  p.pthreadJoin(ts[4]);
  assert.equal(p.stackCache.length, 4);
  assert.equal(p.space.areaAt(ts[0].stack!.base + 0x1000), undefined, "the first cached is gone");
});

Deno.test("joining a thread twice gives ESRCH, joining itself EDEADLK, as glibc", () => {
  const p = new Process({ layout: "x86_64" });
  const t = p.pthreadCreate();
  assert.equal(p.pthreadJoin(t), 0);
  assert.equal(p.pthreadJoin(t), Errno.ESRCH);
  assert.equal(p.pthreadJoin(p.mainThread), Errno.EDEADLK);
  const u = p.pthreadCreate();
  assert.throws(() => p.runOn(u, () => p.pthreadJoin(p.mainThread)), /main thread/);
});

Deno.test("thread ids come from the pid, or from the layout's list", () => {
  const p = new Process({ layout: "x86_64", pid: 100 });
  assert.equal(p.pthreadCreate().tid, 101);
  const q = new Process({ layout: "x86_64", threadIds: [7000, 7005] });
  assert.equal(q.pthreadCreate().tid, 7000);
  assert.equal(q.pthreadCreate().tid, 7005);
});

Deno.test("glibc's profile, not the layout, chooses how stacks are mapped: 2.23 on x86_64", async () => {
  const { Allocator } = await import("../../src/malloc/allocator.ts");
  const p = new Process({ layout: "x86_64" });
  new Allocator(p, { glibc: "2.23" });
  const before = p.syscalls.lastSeq;
  const t = p.pthreadCreate();
  const calls = p.syscalls.since(before).filter((c) => c.name !== "brk");
  assert.deepEqual(calls.slice(0, 2).map((c) => c.name), ["mmap", "mprotect"]);
  assert.equal(calls[0].args[2], PROT_READ | PROT_WRITE); // read-write first, then the guard
  assert.deepEqual(calls[1].args, [t.stack!.base, 0x1000, PROT_NONE]);
});

Deno.test("pthread_create's stack size is rounded down to 64 and a guard of 0 maps the block read-write", () => {
  const p = new Process({ layout: "x86_64" });
  const before = p.syscalls.lastSeq;
  const t = p.pthreadCreate({ stackSize: 100000, guardSize: 0 });
  const calls = p.syscalls.since(before);
  assert.deepEqual(calls.map((c) => c.name), ["mmap"]);
  assert.deepEqual(calls[0].args.slice(1, 3), [99968, PROT_READ | PROT_WRITE]);
  assert.equal(t.stack!.size, 99968);
  assert.equal(t.stack!.guard, 0);
});

Deno.test("the stack cache keeps a block more than four times the size asked for", () => {
  const p = new Process({ layout: "x86_64" });
  const big = p.pthreadCreate({ stackSize: 1 << 20 });
  p.pthreadJoin(big);
  const small = p.pthreadCreate({ stackSize: 65536 });
  assert.notEqual(small.stack!.base, big.stack!.base);
  p.pthreadJoin(small);
  assert.equal(p.pthreadCreate({ stackSize: 300 * 1024 }).stack, big.stack);
});

Deno.test("a guard that wraps around when rounded to a page makes pthread_create EINVAL", () => {
  const p = new Process({ layout: "x86_64" });
  assert.throws(
    () => p.pthreadCreate({ stackSize: 65536, guardSize: 2 ** 64 - 1 }),
    (e: Error & { errno?: number }) => e.errno === Errno.EINVAL,
  );
});
