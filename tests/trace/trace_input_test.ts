/**
 * A trace read from a reader in chunks gives the same lines, and the same replay, as the same
 * text split at `\n` — wherever the chunks break it.
 */

import assert from "node:assert/strict";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { ReplayInterrupted, replayTrace } from "../../src/trace/replay.ts";
import { TraceInput, type TraceReader } from "../../src/trace/trace_input.ts";
import { chunkedReader } from "./chunked_reader.ts";

function linesOf(input: TraceInput): string[] {
  const lines: string[] = [];
  while (input.next()) lines.push(input.text());
  return lines;
}

/** The lines `replayTrace` numbers: split at `\n`, a final empty piece dropped. */
function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

Deno.test("a trace's lines are the same from a string, bytes or a reader of any chunk size", () => {
  const long = "malloc 1 " + "9".repeat(700_000);
  const texts = [
    "",
    "\n",
    "\n\n",
    "malloc 0 24",
    "malloc 0 24\nfree 0\n",
    "malloc 0 24\r\nfree 0\r\n\r\n",
    "# h\u00e9ap \u2603\nmalloc 0 24\n",
    `${long}\nfree 1\n${long}`,
  ];
  for (const text of texts) {
    const want = splitLines(text);
    assert.deepEqual(linesOf(new TraceInput(text)), want);
    assert.deepEqual(linesOf(new TraceInput(new TextEncoder().encode(text))), want);
    for (const size of [1, 3, 7, 4096, 1 << 20]) {
      assert.deepEqual(linesOf(new TraceInput(chunkedReader(text, size))), want, `${size}`);
    }
  }
});

/** The lines as the fast lane reads them: begin(), its own scan to `\n` or limit, endAt(). */
function linesReadInPlace(input: TraceInput): string[] {
  const lines: string[] = [];
  while (input.begin()) {
    let end = input.start;
    while (end < input.limit && input.bytes[end] !== 10) end++;
    input.endAt(end);
    lines.push(input.text());
  }
  return lines;
}

Deno.test("begin() leaves the whole line in the buffer, its end found in place or by findEnd", () => {
  const texts = ["", "\n\n", "malloc 0 24", "malloc 0 24\r\nfree 0\n\nfree 1", "# \u00e9\nbrk\n"];
  texts.push(Array.from({ length: 3000 }, (_, i) => `malloc ${i} ${i * 7}`).join("\n") + "\n");
  for (const text of texts) {
    const want = splitLines(text);
    assert.deepEqual(linesReadInPlace(new TraceInput(text)), want);
    for (const size of [1, 2, 5, 13, 4096]) {
      assert.deepEqual(linesReadInPlace(new TraceInput(chunkedReader(text, size))), want);
      // Both ways in turn, as the replay mixes fast-lane and general lines.
      const input = new TraceInput(chunkedReader(text, size)), mixed: string[] = [];
      for (let k = 0; input.begin(); k++) {
        if (k % 2 === 0) input.findEnd();
        else {
          let end = input.start;
          while (end < input.limit && input.bytes[end] !== 10) end++;
          input.endAt(end);
        }
        mixed.push(input.text());
      }
      assert.deepEqual(mixed, want, `${size}`);
    }
  }
});

Deno.test("the first line is found ahead without consuming any line", () => {
  const comments = "# a comment long enough to span chunks\n".repeat(20_000);
  const text = `${comments}\nrawmaps\nmmap 0 4096 rw-\n`;
  for (const source of [text, chunkedReader(text, 5000)]) {
    const input = new TraceInput(source);
    assert.equal(input.firstLine((l) => !l.startsWith("#") && l !== ""), "rawmaps");
    assert.deepEqual(linesOf(input), splitLines(text));
  }
  assert.equal(new TraceInput("# only\n").firstLine((l) => !l.startsWith("#")), undefined);
});

Deno.test("a replay read from a reader prints what the replay of the text prints", () => {
  const options = { allocator: defaultAllocatorFactory };
  const traces = [
    Deno.readTextFileSync("tests/fixtures/oracle-extra/traces/threads-12.trace"),
    Deno.readTextFileSync("tests/fixtures/oracle/traces/gen/mixed-1.trace"),
    "# a kernel trace behind comments\n\nrawmaps\nmmap 0 4096 rw-\nrawmaps\n",
    "malloc 1 24\nfree 1\nfree 1\nmalloc 2 24\n",
  ];
  for (const text of traces) {
    const whole = replayTrace(text, options);
    for (const size of [1, 100, 65536]) {
      const read = replayTrace(chunkedReader(text, size), options);
      assert.equal(read.output, whole.output);
      assert.equal(read.status, whole.status);
    }
  }
});

Deno.test("a reader that fails breaks the replay off with the output printed so far", () => {
  const good = chunkedReader("malloc 1 24\nfree 1\nmalloc 2 24\n", 14);
  let reads = 0;
  const failing: TraceReader = {
    readSync(buffer) {
      if (++reads === 3) throw new Error("disk on fire");
      return good.readSync(buffer);
    },
  };
  let error: unknown;
  try {
    replayTrace(failing, { allocator: defaultAllocatorFactory });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ReplayInterrupted);
  assert.equal(error.line, 3);
  assert.match(error.message, /disk on fire/);
  assert.equal(
    error.output,
    "# glibc 2.36 x86_64 nprocs=2\n1 malloc 1 main 0x2a0 0x21\n2 free 1\n",
  );
});

Deno.test("a reader that fails before the first line, or answers nonsense, is a typed error", () => {
  const readers: TraceReader[] = [
    {
      readSync: () => {
        throw new Error("no disk");
      },
    },
    { readSync: () => undefined as unknown as number },
    { readSync: () => -1 },
    { readSync: () => 1e9 },
  ];
  for (const reader of readers) {
    // (Before, the last three spun forever or threw a raw RangeError.)
    assert.throws(() => replayTrace(reader), ReplayInterrupted);
  }
});

Deno.test("a writeBytes that fails on the last chunk is a typed error", () => {
  const writeBytes = () => {
    throw new Error("pipe closed");
  };
  assert.throws(() => replayTrace("malloc 0 24\n", { writeBytes }), ReplayInterrupted);
});

Deno.test("a callback that fails on the stop line is a typed error", () => {
  const onLine = (line: string) => {
    if (line.includes("error")) throw new Error("callback broke");
  };
  assert.throws(() => replayTrace("malloc 0 24\nfree 0\nfree 0\n", { onLine }), ReplayInterrupted);
});

Deno.test("an onLine that fails on the header, or an onStop that fails, is a typed error", () => {
  const onLine = () => {
    throw new Error("callback broke");
  };
  assert.throws(() => replayTrace("malloc 0 24\n", { onLine }), ReplayInterrupted);
  const onStop = () => {
    throw new Error("callback broke");
  };
  let error: unknown;
  try {
    replayTrace("free 3\n", { onStop, allocator: defaultAllocatorFactory });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ReplayInterrupted);
  // What was printed, the stop line included, goes with the error.
  assert.match(error.output, /\n1 error slot is not live\n$/);
});
