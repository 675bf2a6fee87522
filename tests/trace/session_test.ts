import assert from "node:assert/strict";
import {
  defaultAllocatorFactory,
  formatEvent,
  parseTraceLine,
  type ReplayEvent,
  ReplaySession,
  replayTrace,
  traceLimits,
  words64,
} from "../../mod.ts";
import { ArgumentRangeError } from "../../src/kernel/errors.ts";
import { MAX_SLOTS, MAX_TID } from "../../src/trace/parse.ts";

function run(
  lines: string[],
  kernelTrace = false,
): { session: ReplaySession; events: ReplayEvent[] } {
  const session = new ReplaySession({ allocator: defaultAllocatorFactory, kernelTrace });
  const events = lines.map((text, i) =>
    session.execute(parseTraceLine(text, i + 1, traceLimits(64))!, i + 1)
  );
  return { session, events };
}

Deno.test("a pointer event says where the chunk lies: main heap offset and raw size word", () => {
  const { events } = run(["malloc 0 24", "malloc 1 200000"]);
  assert.deepEqual(events[0].place, { kind: "main", offset: 0x2a0, sizeWord: 0x21 });
  assert.equal(events[1].place?.kind, "mmap");
  assert.equal(events[1].place?.kind === "mmap" && events[1].place.sizeWord & 2, 2);
});

Deno.test("a failed mmap carries its errno, and the oracle line names it", () => {
  const { events } = run(["mmap 0 0 rw-"], true);
  assert.equal(events[0].errno, 22);
  const lines: string[] = [];
  formatEvent(words64, events[0], (l) => lines.push(l));
  assert.deepEqual(lines, ["1 mmap 0 0 rw- -> MAP_FAILED EINVAL"]);
});

Deno.test("a maps event lists the heap, thread heaps, mmapped chunks and stacks as data", () => {
  const { events } = run(["malloc 0 200000", "thread 1", "malloc 1 24", "maps"]);
  const labels = events[3].mappings!.map((m) => m.label);
  assert.deepEqual(labels, [
    "[heap]",
    "heap1",
    "heap1",
    "mmapchunk 0",
    "stack:1",
    "stack:1",
  ]);
});

Deno.test("events carry the system calls of their operation when asked", () => {
  const session = new ReplaySession({ allocator: defaultAllocatorFactory, recordSyscalls: true });
  const limits = traceLimits(64);
  const first = session.execute(parseTraceLine("malloc 0 24", 1, limits)!, 1);
  assert.deepEqual(first.syscalls.map((s) => s.name), ["brk"]);
  const event = session.execute(parseTraceLine("malloc 1 200000", 2, limits)!, 2);
  assert.deepEqual(event.syscalls.map((s) => s.name), ["mmap"]);
});

Deno.test("replayTrace hands each event and the stop to its callers", () => {
  const kinds: string[] = [];
  let stop = "";
  const { status } = replayTrace("malloc 0 24\nfree 0\nfree 1\n", {
    allocator: defaultAllocatorFactory,
    onEvent: (e) => kinds.push(e.op.kind),
    onStop: (s) => stop = `${s.line} ${s.kind} ${s.message}`,
  });
  assert.equal(status, 2);
  assert.deepEqual(kinds, ["malloc", "free"]);
  assert.equal(stop, "3 error slot is not live");
});

Deno.test("the lean calls refuse a slot or thread id outside the trace's range", () => {
  const session = new ReplaySession({ allocator: defaultAllocatorFactory });
  assert.throws(() => session.malloc(MAX_SLOTS, 24, 1), ArgumentRangeError);
  assert.throws(() => session.calloc(-1, 1, 24, 1), ArgumentRangeError);
  assert.throws(() => session.realloc(1.5, -1, 24, 1), ArgumentRangeError);
  assert.throws(() => session.switchThread(MAX_TID), ArgumentRangeError);
  assert.equal(session.lastPlace.kind, "null");
});

Deno.test("only slot -1 means NULL to free and realloc; another id outside the range is refused", () => {
  const session = new ReplaySession({ allocator: defaultAllocatorFactory });
  session.free(-1, 1);
  for (const id of [-3, MAX_SLOTS, 1.5, NaN]) {
    assert.throws(() => session.free(id, 2), ArgumentRangeError);
    assert.throws(() => session.realloc(0, id, 24, 3), ArgumentRangeError);
  }
  assert.equal(session.lastPlace.kind, "null");
});

Deno.test("the process runs the trace's current thread; a join returns it to the main thread", () => {
  const { session } = run(["malloc 0 24", "thread 1", "malloc 1 24"]);
  const process = session.process;
  const first = process.currentThread;
  assert.notEqual(first, process.mainThread);
  // The chunk came from the thread's arena: the thread really ran the call.
  assert.equal(session.lastPlace.kind, "heap");
  session.switchThread(0);
  assert.equal(process.currentThread, process.mainThread);
  session.switchThread(1);
  assert.equal(process.currentThread, first);
  // A caller that switches the process meanwhile gets it back after the next call.
  process.switchTo(process.mainThread);
  session.malloc(2, 24, 4);
  assert.equal(session.lastPlace.kind, "heap");
  assert.equal(process.currentThread, process.mainThread);
  session.switchThread(1);
  session.join(1, 5);
  assert.equal(process.currentThread, process.mainThread);
  assert.equal(first.state, "joined");
});
