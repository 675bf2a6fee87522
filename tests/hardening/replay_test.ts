/**
 * The replay keeps its output when a trace ends early, names the build that actually ran, and
 * checks its arguments.
 */
import assert from "node:assert/strict";
import { defaultAllocatorFactory, replayTrace } from "../../mod.ts";

const allocator = defaultAllocatorFactory;

Deno.test("thread exhaustion ends with the lines so far, then the driver's error line", () => {
  // The oracle's driver: die_line(line, "pthread_create failed"), exit status 2. Stacks of
  // 1.5 GiB leave an i386 process room for one thread only.
  const trace = "malloc 0 24\nthread 1\nmalloc 1 24\nthread 2\nmalloc 2 24\n";
  const r = replayTrace(trace, {
    arch: "i386",
    allocator,
    process: { stackLimit: 1536 * 1024 * 1024 },
  });
  const lines = r.output.trimEnd().split("\n");
  assert.equal(lines[0], "# glibc 2.36 i386 nprocs=2");
  assert.match(lines[1], /^1 malloc 0 main /);
  assert.equal(lines[2], "2 thread 1");
  assert.match(lines[3], /^3 malloc 1 heap1 /);
  assert.equal(lines.at(-1), "4 error pthread_create failed");
  assert.equal(r.status, 2);
});

Deno.test("a fault keeps every line printed before it, then the driver's segv line", () => {
  // The break lowered under the heap's top: the next malloc touches unmapped memory.
  const trace = "malloc 0 24\nmalloc 1 24\nsbrk 2 -135168\nmalloc 3 24\nmalloc 4 100\n";
  const r = replayTrace(trace, { allocator });
  assert.deepEqual(r.output.trimEnd().split("\n").slice(1), [
    "1 malloc 0 main 0x2a0 0x21",
    "2 malloc 1 main 0x2c0 0x21",
    "3 sbrk 2 -135168 -> 0x21000",
    "4 segv",
  ]);
  assert.equal(r.status, 139);
});

Deno.test("the header names the architecture and nprocs that ran", () => {
  const seed = replayTrace("malloc 0 24\n", { layout: "seed-i386", allocator, glibc: "2.23" });
  assert.match(seed.output, /^# glibc 2\.23 i386 nprocs=2\n/);
  const four = replayTrace("malloc 0 24\n", { nprocs: 4, allocator });
  assert.match(four.output, /^# glibc 2\.36 x86_64 nprocs=4\n/);
});

Deno.test("replayTrace checks its arguments with typed errors", () => {
  const bad: [unknown, Record<string, unknown>, string, string][] = [
    [42, {}, "text", "ArgumentTypeError"],
    ["", { arch: "arm" }, "arch", "ArgumentRangeError"],
    ["", { nprocs: 0 }, "nprocs", "ArgumentRangeError"],
    ["", { nprocs: 1.5 }, "nprocs", "ArgumentRangeError"],
    ["", { glibc: 2.36 }, "glibc", "ArgumentTypeError"],
    ["", { onLine: "print" }, "onLine", "ArgumentTypeError"],
    ["", { write: "stdout" }, "write", "ArgumentTypeError"],
    ["", { writeBytes: new Uint8Array(4) }, "writeBytes", "ArgumentTypeError"],
  ];
  for (const [text, options, argument, name] of bad) {
    assert.throws(() => replayTrace(text as string, options), { name, argument });
  }
});
