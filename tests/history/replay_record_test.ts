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

Deno.test("going back to any line restores every thread's arena and tcache shutdown, joined or not", () => {
  // Threads come and go, each taking an arena; two overlap so that one is joined while the
  // other runs, and the main thread allocates between them.
  const lines = ["malloc 0 24"];
  for (let t = 1; t <= 6; t++) {
    lines.push(`thread ${t}`, `malloc ${t} 40`, `free ${t}`);
    if (t > 1) lines.push(`join ${t - 1}`);
    lines.push("thread 0", `malloc 10 ${16 * t}`);
  }
  lines.push("join 6");
  // Each thread's `thread_arena` and `tcache_shutting_down` (a thread that never called malloc
  // has glibc's initial zeros, which a restore gives it as values).
  const variables = (libc: Allocator) =>
    libc.process.threads.map((t) => {
      if (!libc.context.hasTls(t)) return [t.index, 0, false];
      const v = libc.context.tls(t);
      return [t.index, v.arena, v.shuttingDown];
    });
  const after = (n: number) => {
    const { process } = replayTrace(lines.slice(0, n).join("\n") + "\n", {
      allocator: (p, o) => new Allocator(p, { ...o, explain: false }),
    });
    return variables(process.runtime as Allocator);
  };
  const { history } = recordReplay(lines.join("\n") + "\n");
  const steps = [...history.steps.keys()];
  for (const i of [...steps.reverse(), ...steps.reverse()]) {
    history.goto(i);
    assert.deepEqual(variables(history.allocator), after(i), `step ${i}`);
  }
});
