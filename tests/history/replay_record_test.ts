/** Recording a replay: the same output, and a step per trace line that can be walked. */

import assert from "node:assert/strict";
import { recordReplay } from "../../src/history/replay_record.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { replayTrace } from "../../src/trace/replay.ts";
import { firstDifference } from "../oracle_support.ts";
import { generatedTrace, observeLive } from "./generated_trace.ts";

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

/**
 * The state after each line of a plain replay of `text` (index 0: before the first line), as
 * {@link observeLive} prints it, and the explain record each line left (undefined: none new).
 */
function plainStates(text: string): { seen: string[]; records: (string | undefined)[] } {
  let libc: Allocator | undefined;
  const seen: string[] = [], records: (string | undefined)[] = [];
  let last: unknown;
  const observe = () => {
    seen.push(observeLive(libc!));
    const record = libc!.lastRecord;
    records.push(record !== last ? JSON.stringify(record) : undefined);
    last = record;
  };
  replayTrace(text, {
    allocator: (p, o) => libc = new Allocator(p, { ...o, explain: true }),
    onLine: () => {
      if (seen.length === 0) observe();
    },
    onEvent: observe,
    onStop: (stop) => {
      if (stop.kind !== "error") observe();
    },
  });
  return { seen, records };
}

/**
 * Walks every step of a recorded replay of `text` — backwards from the end, forwards by strides,
 * then in a scrambled order with full states read and (with `whatIf`) what-ifs asked on the
 * way — and asserts each shows what a plain replay showed after that line.
 */
function assertWalksLikePlain(
  text: string,
  name: string,
  whatIf = true,
): { length: number; status: number } {
  const { seen, records } = plainStates(text);
  const { result, history } = recordReplay(text);
  const libc = history.allocator;
  assert.equal(history.length, seen.length, `${name}: steps`);
  const check = (i: number, why: string) => {
    history.goto(i);
    const now = observeLive(libc);
    if (now !== seen[i]) {
      assert.fail(`${name}, step ${i} (${why}):\n${firstDifference(now, seen[i])}`);
    }
  };
  for (let i = 0; i < history.length; i++) {
    const record = history.at(i).record;
    assert.equal(record && JSON.stringify(record), records[i], `${name}: record of step ${i}`);
  }
  for (let i = history.length - 1; i >= 0; i--) check(i, "backwards");
  for (const stride of [1, 17]) {
    for (let i = 0; i < history.length; i += stride) check(i, `forwards by ${stride}`);
  }
  for (let n = 0; n < history.length; n++) {
    const i = (n * 7919) % history.length;
    check(i, "scrambled");
    if (n % 9 === 0) {
      history.at((i * 3) % history.length).state; // materialized: moved there and back
      if (whatIf) libc.whatIf.malloc(100);
      const now = observeLive(libc);
      if (now !== seen[i]) {
        assert.fail(`${name}, step ${i} after reading: ${firstDifference(now, seen[i])}`);
      }
    }
  }
  return { length: history.length, status: result.status };
}

Deno.test("every step of a recorded generated trace shows the plain replay's state after that line", () => {
  let threads = 0, mmapped = 0;
  for (let seed = 1; seed <= 4; seed++) {
    const text = generatedTrace(seed * 7, { lines: 240 });
    assertWalksLikePlain(text, `seed ${seed}`);
    threads += text.split("\n").filter((l) => l.startsWith("thread")).length;
    const { output } = replayTrace(text, { allocator: (p, o) => new Allocator(p, o) });
    mmapped += output.split("\n").filter((l) => / mmap /.test(l)).length;
  }
  assert.ok(threads > 20, "the traces create and switch threads");
  assert.ok(mmapped > 10, "and serve chunks with mmap");
});

Deno.test("every step of a recorded replay that corrupts its heap until glibc aborts shows the plain state", () => {
  const statuses = new Set<number>();
  for (let seed = 1; seed <= 8; seed++) {
    const text = generatedTrace(seed * 13, { lines: 200, corrupt: true });
    statuses.add(assertWalksLikePlain(text, `corrupt seed ${seed}`).status);
  }
  assert.ok(statuses.has(134), "some replays abort");
});

Deno.test("every step of recorded oracle fixture traces (sbrk growth, mmap threshold, threads, trims) shows the plain state", () => {
  const extra = new URL("../fixtures/oracle-extra/traces/", import.meta.url);
  const traces = [
    new URL("sbrk_growth.trace", TRACES),
    new URL("mmap_threshold.trace", TRACES),
    new URL("arena_reuse.trace", TRACES),
    new URL("seed_mthread.trace", TRACES),
    new URL("trim-8.trace", extra),
  ];
  // With what-ifs: a fork restores the malloc variables of joined threads whose stacks are
  // unmapped (arena_reuse.trace), which once faulted reading their tcache words.
  for (const url of traces) assertWalksLikePlain(Deno.readTextFileSync(url), url.pathname);
});
