/**
 * A/B of the simulated allocator on a loaded machine: the allocator of another checkout (`BASE`,
 * e.g. `git archive <commit> | tar -x -C /tmp/base`) against this one, on the same pre-parsed
 * heap operations, in one process, runs interleaved, fastest of N each. Load that comes and goes
 * hits both sides alike, which separate processes minutes apart do not.
 *
 *     deno run -A bench/ab_alloc.ts BASE TRACE [RUNS] [on]
 *
 * `on` builds every explain record. Prints the fastest wall time of each side and their ratio.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseTraceLine, traceLimits } from "../src/trace/parse.ts";
import * as thisAllocator from "../src/malloc/allocator.ts";
import * as thisProcess from "../src/kernel/process.ts";

const [baseDir, trace, runsArg, explainArg] = Deno.args;
if (!baseDir || !trace) {
  console.error("usage: deno run -A bench/ab_alloc.ts BASE TRACE [RUNS] [on]");
  Deno.exit(2);
}
const runs = Number(runsArg ?? 5);
const explain = explainArg === "on";
const base = resolve(baseDir);
const baseAllocator = await import(`file://${base}/src/malloc/allocator.ts`);
const baseProcess = await import(`file://${base}/src/kernel/process.ts`);

// The heap operations as flat arrays: code (0 malloc, 1 free, 2 calloc, 3 realloc, 4 memalign,
// 5 thread, 6 join), slot or thread id, realloc's old slot, and two numbers.
const KINDS = ["malloc", "free", "calloc", "realloc", "memalign", "thread", "join"];
const code: number[] = [], slot: number[] = [], old: number[] = [], a: number[] = [];
const b: number[] = [];
const lines = Deno.readTextFileSync(trace).split("\n");
const limits = traceLimits(64);
for (let i = 0; i < lines.length; i++) {
  const op = parseTraceLine(lines[i], i + 1, limits);
  if (!op) continue;
  const k = KINDS.indexOf(op.kind);
  if (k < 0) continue;
  code.push(k);
  old.push(op.kind === "realloc" ? op.oldSlot : -1);
  slot.push(op.kind === "thread" || op.kind === "join" ? op.tid : "slot" in op ? op.slot : 0);
  a.push(
    op.kind === "malloc" || op.kind === "realloc"
      ? Number(op.size)
      : op.kind === "calloc"
      ? Number(op.count)
      : op.kind === "memalign"
      ? Number(op.alignment)
      : 0,
  );
  b.push(op.kind === "calloc" || op.kind === "memalign" ? Number(op.size) : 0);
}
const C = Uint8Array.from(code), S = Int32Array.from(slot), O = Int32Array.from(old);
const A = Float64Array.from(a), B = Float64Array.from(b);

// deno-lint-ignore no-explicit-any
function run(allocatorModule: any, processModule: any): number {
  // `profile` named the layout before 0c0c6ba, so older checkouts can be the base too.
  const process = new processModule.Process({
    arch: "x86_64",
    layout: "x86_64",
    profile: "x86_64",
  });
  const heap = new allocatorModule.Allocator(process, { glibc: "2.36", nprocs: 2, explain });
  const slots = new Float64Array(65536);
  const threads = new Map<number, unknown>();
  const started = performance.now();
  for (let k = 0; k < C.length; k++) {
    const s = S[k];
    switch (C[k]) {
      case 0:
        slots[s] = heap.malloc(A[k]);
        break;
      case 1:
        heap.free(s >= 0 ? slots[s] : 0);
        if (s >= 0) slots[s] = 0;
        break;
      case 2:
        slots[s] = heap.calloc(A[k], B[k]);
        break;
      case 3: {
        const o = O[k];
        const p = heap.realloc(o >= 0 ? slots[o] : 0, A[k]);
        if (o >= 0 && o !== s && (p !== 0 || A[k] === 0)) slots[o] = 0;
        slots[s] = p;
        break;
      }
      case 4:
        slots[s] = heap.memalign(A[k], B[k]);
        break;
      case 5: {
        let t = s === 0 ? process.mainThread : threads.get(s);
        if (t === undefined) {
          process.switchTo(process.mainThread);
          t = process.pthreadCreate();
          threads.set(s, t);
        }
        process.switchTo(t);
        break;
      }
      case 6:
        process.switchTo(process.mainThread);
        process.pthreadJoin(threads.get(s));
        threads.delete(s);
        break;
    }
  }
  return performance.now() - started;
}

let fastestBase = Infinity, fastestThis = Infinity;
for (let i = 0; i < runs; i++) {
  fastestBase = Math.min(fastestBase, run(baseAllocator, baseProcess));
  fastestThis = Math.min(fastestThis, run(thisAllocator, thisProcess));
}
console.log(
  `${trace.split("/").pop()}, explain ${explain ? "on" : "off"}, fastest of ${runs}: ` +
    `base ${fastestBase.toFixed(0)} ms, this ${fastestThis.toFixed(0)} ms, ` +
    `this/base ${(fastestThis / fastestBase).toFixed(3)}`,
);
