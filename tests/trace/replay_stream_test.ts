/**
 * A replay streamed through `write` prints the same text as one returned whole, in blocks of
 * whole lines, without keeping it.
 */

import assert from "node:assert/strict";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { replayTrace } from "../../src/trace/replay.ts";

// A trace whose output is some 300 KB: several chunks.
const trace = Deno.readTextFileSync("tests/fixtures/oracle-extra/traces/threads-12.trace")
  .repeat(40);
const options = { glibc: "2.36", arch: "x86_64", allocator: defaultAllocatorFactory } as const;

Deno.test("a streamed replay writes the same text as a whole one, in blocks of whole lines", () => {
  const whole = replayTrace(trace, options);
  const blocks: string[] = [];
  const streamed = replayTrace(trace, { ...options, write: (block) => blocks.push(block) });
  assert.equal(streamed.output, "");
  assert.equal(streamed.status, whole.status);
  assert.ok(blocks.length > 2);
  for (const block of blocks) assert.ok(block.endsWith("\n"));
  assert.equal(blocks.join(""), whole.output);
});

Deno.test("a replay streamed as bytes writes the UTF-8 of the text, in chunks of whole lines", () => {
  const whole = replayTrace(trace, options);
  const chunks: Uint8Array[] = [];
  // A chunk is valid only during the call: keep a copy.
  const streamed = replayTrace(trace, { ...options, writeBytes: (c) => chunks.push(c.slice()) });
  assert.equal(streamed.output, "");
  assert.ok(chunks.length > 2);
  for (const chunk of chunks) assert.equal(chunk[chunk.length - 1], 10);
  const decoder = new TextDecoder();
  assert.equal(chunks.map((c) => decoder.decode(c)).join(""), whole.output);
});

Deno.test("given both write and writeBytes, the bytes get the output and write is not called", () => {
  const whole = replayTrace(trace, options);
  const chunks: Uint8Array[] = [];
  let texts = 0;
  replayTrace(trace, {
    ...options,
    write: () => texts++,
    writeBytes: (c) => chunks.push(c.slice()),
  });
  assert.equal(texts, 0);
  const decoder = new TextDecoder();
  assert.equal(chunks.map((c) => decoder.decode(c)).join(""), whole.output);
});

Deno.test("text that is not ASCII streams as UTF-8 bytes", () => {
  const maps = "55d0c0000000-55d0c0001000 r--p 00000000 08:01 42 /tmp/h\u00e9ap/a.out\n" +
    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]\n# initial break 0x55d0c0001000\n";
  const chunks: Uint8Array[] = [];
  const text = replayTrace("rawmaps\n", { initialMaps: maps }).output;
  replayTrace("rawmaps\n", { initialMaps: maps, writeBytes: (c) => chunks.push(c.slice()) });
  assert.match(text, /h\u00e9ap/);
  assert.deepEqual(chunks, [new TextEncoder().encode(text)]);
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
