/** Recording a replay: the same output, and a step per trace line that can be walked. */

import assert from "node:assert/strict";
import { recordReplay } from "../../src/history/replay_record.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { replayTrace } from "../../src/trace/replay.ts";

const TRACES = new URL("../fixtures/oracle/traces/", import.meta.url);

Deno.test("a recorded replay prints what a plain one prints, with one state per trace line", () => {
  for (const entry of Deno.readDirSync(TRACES)) {
    if (!entry.name.endsWith(".trace")) continue;
    const text = Deno.readTextFileSync(new URL(entry.name, TRACES));
    const plain = replayTrace(text, {
      allocator: (p, o) => new Allocator(p, { ...o, explain: false }),
    });
    const { result, history } = recordReplay(text);
    assert.equal(result.output, plain.output, entry.name);
    const ops = text.split("\n").filter((l) => l.trim() && !l.startsWith("#")).length;
    assert.equal(history.length, ops + 1, entry.name);
  }
});

Deno.test("walking a recorded replay back shows each line's state again", () => {
  const text = Deno.readTextFileSync(new URL("tcache_fastbin.trace", TRACES));
  const { history } = recordReplay(text);
  const libc = history.allocator;
  const seen = history.steps.map((s) => s.state.read((l) => JSON.stringify(l.chunks())));
  for (let i = history.length - 1; i >= 0; i -= 7) {
    history.goto(i);
    assert.equal(JSON.stringify(libc.chunks()), seen[i], `step ${i}`);
  }
  const free = history.seek(/^\d+: free/);
  assert.equal(free.record?.operation, "free");
});

Deno.test("step 0 of a recorded replay is the process before its first line", () => {
  const { history } = recordReplay("malloc 0 24\nfree 0\n");
  const libc = history.allocator, brk = libc.process.sbrk(0);
  history.goto(0);
  assert.equal(history.at(0).label, "start");
  assert.deepEqual(libc.chunks(), [], "the first malloc has not run");
  assert.ok(libc.process.sbrk(0) < brk, "nor grown the heap");
  history.goto(1);
  assert.equal(libc.chunks().length, 3, "the chunk, tcache_perthread_struct and top");
});
