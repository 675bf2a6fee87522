/**
 * The main thread's `[stack]` grows down on a fault below it, as Linux's expand_stack: to the
 * faulting page, while the area stays within RLIMIT_STACK (8 MiB) and stack_guard_gap above the
 * area below; beyond, the access is a SIGSEGV. The sizes are real Linux's
 * (tests/fixtures/c/stack_growth/stack_growth.c, its [stack] line after touching 0x21000,
 * 0x100000 and 7 MiB below a local in the stack's top page, then a SIGSEGV at 9 MiB).
 */

import assert from "node:assert/strict";
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  Process,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
} from "../../mod.ts";

const REAL = Deno.readTextFileSync(
  new URL("../fixtures/c/stack_growth/stack_growth/2.41/stdout", import.meta.url),
);

/** The real run's [stack] line after the touch labelled `when` ("start", "0x21000", …). */
function realStackLine(when: string): string {
  const line = REAL.split("\n").find((l) => l.startsWith(`${when}: `))!;
  return line.slice(when.length + 2).replace(/ \(0x[0-9a-f]+ bytes\)$/, "");
}

function stackLine(p: Process): string {
  return p.maps().split("\n").find((l) => l.endsWith("[stack]"))!;
}

/** The local the real program touches below: in the stack's top page, 0x7fffffffe000. */
const LOCAL = 0x7fffffffed3f;

Deno.test("a write below [stack] grows it to the faulting page, as real Linux's maps show", () => {
  const p = new Process({ layout: "x86_64" });
  assert.equal(stackLine(p), realStackLine("start"));
  for (const [when, depth] of [["0x21000", 0x21000], ["0x100000", 0x100000], ["7 MiB", 7 << 20]]) {
    p.memory.write8(LOCAL - Number(depth), 1);
    assert.equal(stackLine(p), realStackLine(String(when)), String(when));
    assert.equal(p.memory.read8(LOCAL - Number(depth)), 1);
  }
  p.space.check();
});

Deno.test("a read below [stack] grows it too, and the new pages read as zeros", () => {
  const p = new Process({ layout: "x86_64" });
  assert.equal(p.memory.read64(0x7ffffffd0000), 0);
  assert.match(stackLine(p), /^7ffffffd0000-7ffffffff000 rw-p /);
});

Deno.test("a touch that would make [stack] larger than 8 MiB is a SIGSEGV and grows nothing", () => {
  const p = new Process({ layout: "x86_64" });
  const before = stackLine(p);
  assert.throws(() => p.memory.write8(LOCAL - (9 << 20), 1), (e: unknown) => {
    assert.ok(e instanceof SegmentationFault);
    assert.equal(e.code, "SEGV_MAPERR");
    assert.equal(e.address, LOCAL - (9 << 20));
    return true;
  });
  assert.equal(stackLine(p), before);
  // the last page of the 8 MiB is still allowed
  p.memory.write8(0x7ffffffff000 - (8 << 20), 1);
  assert.match(stackLine(p), /^7fffff7ff000-7ffffffff000 /);
});

Deno.test("the process's stackLimit is the RLIMIT_STACK the stack grows within", () => {
  const p = new Process({ layout: "x86_64", stackLimit: 0x40000 });
  p.memory.write8(0x7ffffffff000 - 0x40000, 1);
  assert.throws(() => p.memory.write8(0x7ffffffff000 - 0x40001, 1), SegmentationFault);
  assert.match(stackLine(p), /^7ffffffbf000-7ffffffff000 /);
});

Deno.test("the stack does not grow within stack_guard_gap (256 pages) of the area below", () => {
  const p = new Process({ layout: "x86_64" });
  const below = 0x7ffffffde000 - 0x200000; // an area ending 2 MiB below [stack]
  const rw = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  assert.equal(p.sys.mmap(below - 0x1000, 0x1000, rw, flags), below - 0x1000);
  const gap = 256 * 4096;
  assert.throws(() => p.memory.write8(below + gap - 1, 1), SegmentationFault);
  p.memory.write8(below + gap, 1);
  assert.equal(stackLine(p).slice(0, 12), (below + gap).toString(16));
  p.space.check();
});

Deno.test("a rewind to before the growth gives back the 132 KiB [stack]", () => {
  const p = new Process({ layout: "x86_64" });
  const state = p.space.captureState();
  const before = p.maps();
  p.memory.write8(0x7ffffffd0000, 7);
  assert.notEqual(p.maps(), before);
  p.space.restoreState(state);
  assert.equal(p.maps(), before);
  // the page is unmapped again: a read grows the stack anew and reads the zeros it had then
  assert.equal(p.memory.read8(0x7ffffffd0000), 0);
});
