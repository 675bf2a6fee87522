/**
 * Every explain record of a heap trace, replayed call by call on an {@link Allocator} with
 * explain records on, as JSON lines: the reference that `explain_records_test.ts` compares with
 * the records `tests/fixtures/explain/make.ts` saved, so that speeding up the allocator cannot
 * change what a record says.
 *
 * @module
 */

import { Process } from "../../src/kernel/process.ts";
import type { Thread } from "../../src/kernel/threads.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { parseTraceLine, traceLimits } from "../../src/trace/parse.ts";

/** Traces (under tests/fixtures/) whose records are kept, with the builds they run on. */
export const EXPLAIN_TRACES: readonly { trace: string; glibc: string; arch: "x86_64" | "i386" }[] =
  [
    { trace: "oracle/traces/tcache_fastbin.trace", glibc: "2.36", arch: "x86_64" },
    { trace: "oracle/traces/arena_reuse.trace", glibc: "2.36", arch: "x86_64" },
    { trace: "oracle/traces/mmap_threshold.trace", glibc: "2.31", arch: "i386" },
    { trace: "oracle-extra/traces/small-10.trace", glibc: "2.41", arch: "x86_64" },
    { trace: "oracle-extra/traces/mixed-11.trace", glibc: "2.36", arch: "x86_64" },
    { trace: "oracle-extra/traces/threads-12.trace", glibc: "2.36", arch: "x86_64" },
    { trace: "oracle-extra/traces/trim-8.trace", glibc: "2.31", arch: "x86_64" },
  ];

/** The fixture file of a trace's records. */
export function explainFixture(trace: string, glibc: string, arch: string): string {
  const name = trace.slice(trace.lastIndexOf("/") + 1).replace(/\.trace$/, "");
  return `tests/fixtures/explain/${name}-${glibc}-${arch}.jsonl`;
}

/** One JSON line per public call of the trace: the record `lastRecord` holds after it. */
export function explainRecords(text: string, glibc: string, arch: "x86_64" | "i386"): string {
  const process = new Process({ arch, layout: arch });
  const heap = new Allocator(process, { glibc, nprocs: 2, explain: true });
  const limits = traceLimits(arch === "i386" ? 32 : 64);
  const slots = new Map<number, number>();
  const threads = new Map<number, Thread>();
  const out: string[] = [];
  const record = () => out.push(JSON.stringify(heap.lastRecord ?? null));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const op = parseTraceLine(lines[i], i + 1, limits);
    if (op === undefined) continue;
    const at = (slot: number) => slot >= 0 ? slots.get(slot) ?? 0 : 0;
    switch (op.kind) {
      case "malloc":
        slots.set(op.slot, heap.malloc(Number(op.size)));
        break;
      case "calloc":
        slots.set(op.slot, heap.calloc(Number(op.count), Number(op.size)));
        break;
      case "memalign":
        slots.set(op.slot, heap.memalign(Number(op.alignment), Number(op.size)));
        break;
      case "realloc": {
        const p = heap.realloc(at(op.oldSlot), Number(op.size));
        if (op.oldSlot >= 0 && op.oldSlot !== op.slot && p !== 0) slots.set(op.oldSlot, 0);
        slots.set(op.slot, p);
        break;
      }
      case "free":
        heap.free(at(op.slot));
        slots.set(op.slot, 0);
        break;
      case "trim":
        heap.mallocTrim(Number(op.pad));
        break;
      case "mallopt":
        heap.mallopt(op.param, op.value);
        break;
      case "thread": {
        process.switchTo(process.mainThread);
        let t = op.tid === 0 ? process.mainThread : threads.get(op.tid);
        if (t === undefined) {
          t = process.pthreadCreate();
          threads.set(op.tid, t);
        }
        process.switchTo(t);
        break;
      }
      case "join":
        process.switchTo(process.mainThread);
        process.pthreadJoin(threads.get(op.tid)!);
        threads.delete(op.tid);
        break;
      default:
        continue;
    }
    record();
  }
  return out.join("\n") + "\n";
}
