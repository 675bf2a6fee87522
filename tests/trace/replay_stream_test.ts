/**
 * A replay streamed through `write` prints the same text as one returned whole, in blocks of
 * whole lines, without keeping it.
 */

import assert from "node:assert/strict";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { replayTrace } from "../../src/trace/replay.ts";

const trace = Deno.readTextFileSync("tests/fixtures/oracle-extra/traces/threads-12.trace");
const options = { glibc: "2.36", arch: "x86_64", allocator: defaultAllocatorFactory } as const;

Deno.test("a streamed replay writes the same text as a whole one, in blocks of whole lines", () => {
  const whole = replayTrace(trace, options);
  const blocks: string[] = [];
  const streamed = replayTrace(trace, { ...options, write: (block) => blocks.push(block) });
  assert.equal(streamed.output, "");
  assert.equal(streamed.status, whole.status);
  assert.ok(blocks.length > 1);
  for (const block of blocks) {
    assert.ok(block.endsWith("\n"));
    assert.ok(block.split("\n").length - 1 <= 256);
  }
  assert.equal(blocks.join(""), whole.output);
});

Deno.test("a streamed replay that stops early writes its stop line too", () => {
  const blocks: string[] = [];
  const r = replayTrace("malloc 1 24\nfree 1\nfrobnicate 1\nmalloc 2 24\n", {
    ...options,
    write: (block) => blocks.push(block),
  });
  assert.equal(r.status, 2);
  assert.equal(blocks.join(""), replayTrace("malloc 1 24\nfree 1\nfrobnicate 1\n", options).output);
  assert.match(blocks.join(""), /\n3 error unknown operation\n$/);
});
