/**
 * The replay's fast lane prints what the general way prints: every trace replayed twice — as
 * `replayTrace` runs it (plain hot lines on the fast lane), and with an `onEvent` callback (every
 * line parsed, executed and formatted the general way) — gives the same bytes, status and stop.
 */

import assert from "node:assert/strict";
import type { Allocator } from "../../src/malloc/allocator.ts";
import { HeapAbort } from "../../src/malloc/errors.ts";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { ReplayInterrupted, type ReplayOptions, replayTrace } from "../../src/trace/replay.ts";
import { type AllocatorFactory, ReplaySession } from "../../src/trace/session.ts";
import { firstDifference } from "../oracle_support.ts";
import { chunkedReader } from "./chunked_reader.ts";

/** Replays `trace` both ways and asserts they agree; returns the output. */
function bothWays(trace: string, options: ReplayOptions = {}): string {
  const base = { allocator: defaultAllocatorFactory, ...options };
  const fast = replayTrace(trace, base);
  let events = 0;
  const general = replayTrace(trace, { ...base, onEvent: () => events++ });
  if (fast.output !== general.output) {
    assert.fail(firstDifference(fast.output, general.output));
  }
  assert.equal(fast.status, general.status);
  assert.equal(fast.error?.message, general.error?.message);
  assert.equal(fast.error?.constructor, general.error?.constructor);
  return fast.output;
}

function traces(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...traces(path));
    else if (entry.name.endsWith(".trace")) out.push(path);
  }
  return out.sort();
}

const FIXTURES = ["tests/fixtures/oracle/traces", "tests/fixtures/oracle-extra/traces"];

Deno.test("every oracle fixture trace replays the same on the fast lane as the general way", () => {
  const all = FIXTURES.flatMap(traces);
  assert.ok(all.length > 50);
  for (const path of all) {
    const text = Deno.readTextFileSync(path);
    for (const arch of ["x86_64", "i386"] as const) {
      try {
        bothWays(text, { arch, glibc: "2.36" });
      } catch (e) {
        throw new Error(`${path} (${arch}): ${(e as Error).message}`);
      }
    }
  }
});

Deno.test("the fast lane gives every version's output: one trace on each glibc", () => {
  const text = Deno.readTextFileSync("tests/fixtures/oracle-extra/traces/threads-12.trace");
  for (const glibc of ["2.31", "2.36", "2.41", "2.43"]) bothWays(text, { glibc });
});

Deno.test("lines the fast lane must not take stop or print as the general way says", () => {
  const cases = [
    // Spelled otherwise than plainly: comments, tabs, carriage returns, double spaces, hex.
    "malloc 1 24 # a comment\nfree 1\n",
    "malloc\t1 24\nfree 1\r\n",
    "malloc 1  24\nfree  1\nmalloc 2 0x30\nfree 0x2\n",
    "  malloc 1 24\nfree 1 \n",
    "malloc 01 024\nfree 001\nthread 01\njoin 01\n",
    "calloc 1 3 8\nmemalign 2 64 100\nrealloc 3 - 10\nrealloc 3 3 0\nfree -\nrealloc 1 1 5000\n",
    "malloc 1 24\nrealloc 1 - -\n",
    "malloc 1 24\nrealloc 1 -- 5\n",
    "malloc 1 24\nfree -1\n",
    "brk\nmalloc 1 24\nbrk\nbrk x\nbrk 1\n",
    "malloc 1 24\nmaps\nmaps x\nmaps \n maps\nmaps\r\nmap\nmapsmaps\nmaps",
    // Out of range: slots, thread ids, sizes.
    "malloc 65535 24\nfree 65535\nmalloc 65536 24\n",
    "thread 4095\nmalloc 1 24\njoin 4095\nthread 4096\n",
    "join 5000\n",
    "malloc 1 999999999999999\nmalloc 2 9999999999999999\nmalloc 3 18446744073709551616\n",
    "malloc 1 4294967295\nmalloc 2 4294967296\n",
    "calloc 1 4294967296 4294967296\n",
    // Errors the session finds: slots that hold no chunk, threads that do not run.
    "free 1\n",
    "malloc 1 24\nfree 1\nfree 1\n",
    "realloc 1 2 24\n",
    "join 1\n",
    "thread 1\njoin 1\njoin 1\n",
    "sbrk 1 4096\nfree 1\n",
    "frobnicate 1\n",
    "malloc\n",
    "malloc 1\n",
    "malloc 1 24 5\n",
    "free\n",
    "thread\n",
    "",
    "\n\n\n",
    "malloc 1 24",
    // A segmentation fault, mmapped chunks and thread heaps.
    "malloc 1 24\nmalloc 2 24\nsbrk 3 -135168\nmalloc 4 24\nmalloc 5 100\n",
    "malloc 1 200000\nfree 1\nmalloc 2 200000\nmaps\nrealloc 2 2 400000\nmaps\nfree 2\n",
    "thread 1\nmalloc 1 24\nmalloc 2 200000\nthread 0\nfree 1\nmaps\njoin 1\nmaps\n",
    // (x86_64) The mmapped chunk's header page unmapped: the next report faults while listing,
    // and prints none of its lines.
    "mmap 0 4096 rw-\nmalloc 1 200000\nmaps\nmunmap 0 -2224128 4096\nmaps\nmalloc 2 24\n",
  ];
  for (const trace of cases) {
    for (const arch of ["x86_64", "i386"] as const) {
      try {
        bothWays(trace, { arch });
      } catch (e) {
        throw new Error(`${JSON.stringify(trace)} (${arch}): ${(e as Error).message}`);
      }
    }
  }
});

Deno.test("a replay with no allocator stops at its first heap line the same both ways", () => {
  const output = bothWays("brk\nmalloc 1 24\n", { allocator: undefined });
  assert.match(output, /\n2 error heap operations need an allocator/);
});

/** The default allocator, whose `n`th free (1-based) throws `error` instead. */
function failingFree(n: number, error: Error): AllocatorFactory {
  return (process, options) => {
    const libc = defaultAllocatorFactory(process, options);
    let frees = 0;
    const free = libc.free.bind(libc);
    libc.free = (p: number) => {
      if (++frees === n) throw error;
      free(p);
    };
    return libc;
  };
}

Deno.test("an abort in a fast-lane operation stops the replay as the general way stops it", () => {
  const abort = new HeapAbort("free(): double free detected in tcache 2", "free", 0);
  const output = bothWays("malloc 1 24\nmalloc 2 24\nfree 1\nfree 2\nmalloc 3 24\n", {
    allocator: failingFree(2, abort),
  });
  assert.match(output, /\n3 free 1\n4 abort free\(\): double free detected in tcache 2\n$/);
});

Deno.test("an error no oracle run gives keeps the same output both ways", () => {
  const trace = "malloc 1 24\nfree 1\nmalloc 2 24\nfree 2\n";
  const outputs = [undefined, () => {}].map((onEvent) => {
    const allocator = failingFree(2, new Error("a simulator bug"));
    let e: unknown;
    try {
      replayTrace(trace, { allocator, onEvent });
    } catch (thrown) {
      e = thrown;
    }
    assert.ok(e instanceof ReplayInterrupted);
    assert.equal(e.line, 4);
    return e.output;
  });
  assert.equal(outputs[0], outputs[1]);
  assert.match(outputs[0], /\n3 malloc 2 main 0x2a0 0x21\n$/);
});

/**
 * A seeded trace of valid heap operations (slots and threads tracked), now and then written
 * otherwise than plainly — zeros, hex, tabs, double spaces, comments, `\r` — or broken outright.
 */
function nearPlainTrace(seed: number, count: number): string {
  let x = seed;
  const next = (n: number) => {
    x = (x * 48271) % 2147483647;
    return x % n;
  };
  const live = new Set<number>(), threads = new Set<number>();
  const freeSlot = () => {
    for (let k = 0; k < 64; k++) if (!live.has(k)) return k;
    return 64;
  };
  const liveSlot = () => [...live][next(live.size)];
  const size = () => String([next(100), next(1100), next(300_000), 0][next(4)]);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    let line: string;
    const kind = next(9);
    if (kind <= 2 || live.size === 0) {
      const slot = freeSlot();
      live.add(slot);
      line = [`malloc ${slot} ${size()}`, `calloc ${slot} ${next(9)} ${size()}`][next(2)];
      if (kind === 2) line = `memalign ${slot} ${[16, 64, 4096][next(3)]} ${size()}`;
    } else if (kind <= 5) {
      const slot = next(10) === 0 ? -1 : liveSlot();
      live.delete(slot);
      line = slot < 0 ? "free -" : `free ${slot}`;
    } else if (kind === 6) {
      const old = liveSlot(), slot = next(2) === 0 ? old : freeSlot();
      live.delete(old);
      live.add(slot);
      line = next(8) === 0 ? `realloc ${slot} - ${size()}` : `realloc ${slot} ${old} ${size()}`;
    } else if (kind === 7) {
      const tid = next(4);
      if (tid !== 0) threads.add(tid);
      line = `thread ${tid}`;
    } else {
      const tid = [...threads][next(threads.size + 1)];
      if (tid !== undefined) threads.delete(tid);
      line = tid === undefined ? "brk" : `join ${tid}`;
    }
    // One line in twelve written otherwise: most still valid, some not.
    switch (next(12) === 0 ? next(11) : -1) {
      case 0:
        line = line.replace(/ (\d)/, " 0$1");
        break;
      case 1:
        line = line.replace(/ (\d+)$/, (_, d) => " 0x" + Number(d).toString(16));
        break;
      case 2:
        line = line.replace(" ", "\t");
        break;
      case 3:
        line = line.replace(" ", "  ");
        break;
      case 4:
        line += " # a comment";
        break;
      case 5:
        line += "\r";
        break;
      case 6:
        line = " " + line;
        break;
      case 7:
        line += " 1";
        break;
      case 8:
        line = line.replace(/ \d+$/, " 99999999999999999999");
        break;
      case 9:
        line = line.replace(/ \d+$/, " 4294967296");
        break;
      case 10:
        line = "maps";
        break;
    }
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}

Deno.test("generated traces, now and then written otherwise, print and stop the same both ways", () => {
  for (let seed = 1; seed <= 120; seed++) {
    const trace = nearPlainTrace(seed, 60);
    try {
      bothWays(trace, { arch: seed % 2 === 0 ? "i386" : "x86_64" });
    } catch (e) {
      throw new Error(`seed ${seed}: ${JSON.stringify(trace)}: ${(e as Error).message}`);
    }
  }
});

Deno.test("the fast lane reads lines in place however a reader splits them", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const trace = nearPlainTrace(seed, 60);
    const want = bothWays(trace);
    for (const size of [1, 7, 64]) {
      const read = replayTrace(chunkedReader(trace, size), { allocator: defaultAllocatorFactory });
      assert.equal(read.output, want, `seed ${seed}, chunks of ${size}`);
    }
  }
});

Deno.test("line numbers print right across digit counts, after general lines too", () => {
  // Plain lines (the fast lane adds one to the last number it printed) with general ones
  // (`maps`, a comment) now and then, across 9 -> 10, 99 -> 100, 999 -> 1000 and 9999 -> 10000.
  const lines: string[] = [];
  for (let i = 1; i <= 10_050; i++) {
    lines.push(i % 97 === 0 ? "maps" : i % 101 === 0 ? "# a comment" : i % 2 ? "brk" : "thread 0");
  }
  lines[9_998] = "maps";
  const output = bothWays(lines.join("\n") + "\n");
  assert.match(output, /\n9 brk 0x0\n10 thread 0\n/);
  assert.match(output, /\n9998 thread 0\n9999 maps\n10000 thread 0\n10001 brk 0x0\n/);
});

Deno.test("onStart and onOperation keep the fast lane: each operation line reported once, in order", () => {
  const trace = "malloc 1 24\n# a comment\nfree 1\n\ncalloc 2 3 8\nmalloc 3 0x20\nthread 1\nmaps\n";
  const allocator = defaultAllocatorFactory;
  const plain = replayTrace(trace, { allocator });
  // The general way runs each line through ReplaySession.execute; the fast lane does not.
  const execute = ReplaySession.prototype.execute;
  const executed: number[] = [], seen: string[] = [];
  ReplaySession.prototype.execute = function (op, line) {
    executed.push(line);
    return execute.call(this, op, line);
  };
  try {
    const watched = replayTrace(trace, {
      allocator,
      // Before the first line: malloc has not run yet (ptmalloc_init neither).
      onStart: (process) =>
        seen.push((process.runtime as Allocator).context.initialized ? "late" : "start"),
      onOperation: (line) => seen.push(`${line}`),
    });
    assert.equal(watched.output, plain.output);
  } finally {
    ReplaySession.prototype.execute = execute;
  }
  assert.deepEqual(seen, ["start", "1", "3", "5", "6", "7", "8"]);
  assert.deepEqual(executed, [6], "only the hex line went the general way");
});
