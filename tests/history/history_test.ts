/** The history recorder: a step per call, system call, line and mark; walking back and forth. */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort } from "../../src/malloc/errors.ts";
import { History } from "../../src/history/history.ts";
import { observe, randomProgram, step, type Vars } from "../kernel/random_program.ts";

function maps(libc: Allocator): string {
  return libc.process.maps() + JSON.stringify(libc.chunks()) + JSON.stringify(libc.bins());
}

Deno.test("history records a step per allocator call and per system call of the program", () => {
  const proc = new Process();
  const libc = new Allocator(proc);
  const history = new History(libc);
  const a = libc.malloc(24);
  proc.sys.mmap(0, 4096, 3, 0x22);
  libc.free(a);
  libc.malloc(200000); // an mmap inside malloc is part of the malloc's step
  assert.deepEqual(history.steps.map((s) => s.kind), ["start", "call", "syscall", "call", "call"]);
  assert.match(history.at(1).label, /^malloc\(24\) = 0x/);
  assert.equal(history.at(2).label, "mmap");
  assert.equal(history.at(3).label, `free(0x${a.toString(16)})`);
  assert.equal(history.at(4).record?.served, "mmap");
  assert.ok(history.at(4).heapSize > history.at(3).heapSize);
});

Deno.test("back, forward, goto and seek restore the live process to each step", () => {
  const libc = new Allocator(new Process(), { glibc: "2.31" });
  const history = new History(libc);
  const seen: string[] = [maps(libc)];
  const ptrs: number[] = [];
  for (let i = 0; i < 12; i++) {
    if (i % 3 === 2) libc.free(ptrs.shift()!);
    else ptrs.push(libc.malloc(100 * (i + 1)));
    seen.push(maps(libc));
  }
  for (let i = history.length - 1; i >= 0; i--) {
    assert.equal(maps(libc), seen[history.position]);
    history.back();
  }
  assert.equal(history.position, 0);
  assert.equal(maps(libc), seen[0]);
  history.forward(5);
  assert.equal(maps(libc), seen[5]);
  history.seek("free");
  assert.equal(history.position, 6);
  assert.equal(maps(libc), seen[6]);
  history.goto(-1);
  assert.equal(maps(libc), seen[12]);
});

Deno.test("a call made after going back starts a new future", () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  const a = libc.malloc(24);
  libc.free(a);
  libc.malloc(1000);
  history.goto(1);
  const b = libc.malloc(24);
  assert.notEqual(b, a); // a is still allocated at step 1
  assert.equal(history.length, 3);
  assert.match(history.at(2).label, /^malloc\(24\)/);
});

Deno.test("a step is one object however it is reached, and a new future replaces the steps after it", () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  const a = libc.malloc(24);
  libc.free(a);
  const third = history.at(-1);
  assert.equal(history.at(2), third);
  assert.equal(history.at(2.7), third, "an index is read as Array.prototype.at reads it");
  assert.equal(history.steps[2], third);
  assert.equal(history.goto(2), third);
  assert.equal(history.current(), third);
  assert.throws(() => history.at(3), RangeError);
  assert.throws(() => history.at(-4), RangeError);
  history.goto(1);
  libc.malloc(1000);
  // The old step keeps what it recorded; the history's step 2 is the new one.
  assert.match(third.label, /^free/);
  assert.equal(third.record?.operation, "free");
  assert.match(history.at(2).label, /^malloc\(1000\)/);
  assert.equal(history.at(2).record?.operation, "malloc");
  assert.deepEqual(history.steps.map((s) => s.index), [0, 1, 2]);
});

Deno.test("an abort is a step of its own, with its error; lines and marks are steps too", () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  const a = libc.malloc(24);
  history.line(3, "free(a);");
  libc.free(a);
  history.mark("before the double free");
  assert.throws(() => libc.free(a), HeapAbort);
  assert.equal(history.at(-1).kind, "call");
  assert.ok(history.at(-1).error instanceof HeapAbort);
  assert.match(history.at(-1).label, /double free detected in tcache 2$/);
  assert.equal(history.at(2).label, "line 3: free(a);");
  history.seek("before the double free");
  assert.doesNotThrow(() => libc.malloc(24));
});

Deno.test("history.diff shows what a step changed", () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  const a = libc.malloc(24);
  libc.free(a);
  const d = history.diff(2);
  assert.equal(d.chunks.length, 1);
  assert.equal(d.chunks[0].kind, "freed");
  history.pause();
  libc.malloc(24);
  assert.equal(history.length, 3);
});

Deno.test("random programs with corrupting writes: every recorded step comes back byte for byte", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const libc = new Allocator(new Process(), { glibc: seed % 2 ? "2.36" : "2.31" });
    const history = new History(libc, { calls: false, syscalls: false });
    const vars: Vars = { ptrs: [], maps: [] };
    const seen = [observe(libc)];
    for (const op of randomProgram(seed * 31337, 120, seed % 3 !== 0)) {
      const out = step(libc, vars, op);
      history.mark(out);
      seen.push(observe(libc));
      if (out.startsWith("stop")) break;
    }
    // Visit the steps in a scrambled order, reading full states and asking what-ifs on the way.
    const order = seen.map((_, i) => (i * 7919) % seen.length);
    for (const i of order) {
      history.goto(i);
      assert.equal(observe(libc), seen[i], `seed ${seed}, step ${i}`);
      if (i % 5 === 0) {
        history.at((i * 3) % seen.length).state; // materialized by moving there and back
        libc.whatIf.malloc(100);
        assert.equal(observe(libc), seen[i], `seed ${seed}, step ${i} after reading`);
      }
    }
    // A new future from the middle, recorded and walked again.
    const mid = Math.floor(seen.length / 2);
    history.goto(mid);
    if (!history.at(mid).label.startsWith("stop")) {
      libc.process.switchTo(libc.process.mainThread);
      libc.malloc(77);
      history.mark("a new future");
      const now = observe(libc);
      history.back();
      assert.equal(observe(libc), seen[mid]);
      history.forward();
      assert.equal(observe(libc), now);
    }
  }
});

Deno.test("history refuses a step, count or label of the wrong kind with a typed error", () => {
  const libc = new Allocator(new Process());
  const history = new History(libc);
  libc.free(libc.malloc(24));
  const at = history.position;
  const bad: [string, () => unknown, string, string][] = [
    ["seek(3)", () => history.seek(3 as unknown as string), "ArgumentTypeError", "label"],
    ["goto('x')", () => history.goto("x" as unknown as number), "ArgumentTypeError", "step"],
    ["goto(NaN)", () => history.goto(NaN), "ArgumentRangeError", "step"],
    ["at('1')", () => history.at("1" as unknown as number), "ArgumentTypeError", "step"],
    ["back(-1)", () => history.back(-1), "ArgumentRangeError", "n"],
    ["forward(NaN)", () => history.forward(NaN), "ArgumentRangeError", "n"],
    ["diff('a')", () => history.diff("a" as unknown as number), "ArgumentTypeError", "step"],
    ["mark(5)", () => history.mark(5 as unknown as string), "ArgumentTypeError", "label"],
    ["line('x')", () => history.line("x" as unknown as number), "ArgumentTypeError", "line"],
  ];
  for (const [call, f, name, argument] of bad) {
    assert.throws(f, (e: Error & { argument?: string }) => {
      assert.equal(e.name, name, call);
      assert.equal(e.argument, argument, call);
      return true;
    });
  }
  // Nothing moved or was recorded, and the usual calls still work.
  assert.equal(history.position, at);
  assert.equal(history.at(-1).index, at);
  assert.equal(history.back(1).index, at - 1);
  assert.equal(history.seek(/^free/).index, at);
});
