/**
 * One heap trace (the oracle's format) replayed on several glibc versions with heaplab's
 * allocator, compared line by line: each row holds what each version's replay reported for the
 * line — read from the replay's events, in the words the replay prints them.
 *
 * @module
 */

import { signalOfExitStatus } from "../kernel/signals.ts";
import { words32, words64 } from "../kernel/word.ts";
import { defaultAllocatorFactory } from "../trace/allocator_factory.ts";
import { formatDetails, formatResult } from "../trace/oracle_format.ts";
import { replayTrace } from "../trace/replay.ts";
import type { ReplayEvent } from "../trace/session.ts";
import type { WordOps } from "../kernel/word.ts";
import { textArgument } from "./options.ts";
import {
  checkCompareOptions,
  COMPARED_VERSIONS,
  type ComparedRow,
  type CompareOptions,
  rowDiffers,
  VersionComparison,
  type VersionOutcome,
} from "./version_comparison.ts";

/** What an event's row shows: the result as the replay prints it, `ok` for an echo. */
function resultText(words: WordOps, event: ReplayEvent): string {
  const details = formatDetails(words, event);
  if (details.length > 0) return details.map((l) => l.trim()).join("\n");
  const kind = event.op.kind;
  return formatResult(words, event) ?? (kind === "maps" || kind === "rawmaps" ? "" : "ok");
}

/**
 * Replays a heap trace (the oracle's format) on each version and compares what each line did.
 * Pointers show as the replay prints them: the arena (`main`, `heap1`, `mmap`), the offset
 * from the heap's start, and the chunk's size word.
 *
 * @example
 * ```ts
 * import { compareTrace } from "./compare_trace.ts";
 * import assert from "node:assert/strict";
 *
 * // glibc up to 2.34 refuses an mmap threshold above HEAP_MAX_SIZE / 2.
 * const c = compareTrace("malloc 0 24\nmallopt M_MMAP_THRESHOLD 0x2000001\n", {
 *   versions: ["2.31", "2.36"],
 * });
 * assert.deepEqual(c.rows[0].results, { "2.31": "main 0x2a0 0x21", "2.36": "main 0x2a0 0x21" });
 * assert.deepEqual(c.rows[1].results, { "2.31": "0", "2.36": "1" });
 * assert.equal(c.differing().length, 1);
 * ```
 *
 * @param trace The trace text.
 * @param options Versions, architecture, caption.
 * @returns The comparison.
 */
export function compareTrace(trace: string, options: CompareOptions = {}): VersionComparison {
  textArgument("trace", trace, "trace text");
  checkCompareOptions(options);
  const versions = options.versions ?? COMPARED_VERSIONS;
  const arch = options.arch ?? "x86_64";
  const words = arch === "x86_64" ? words64 : words32;
  const sources = trace.split("\n");
  const byLine = new Map<number, Record<string, string | undefined>>();
  const results = (line: number) => {
    let r = byLine.get(line);
    if (!r) byLine.set(line, r = {});
    return r;
  };
  const outcomes: VersionOutcome[] = [];
  const stops = new Map<string, number>();
  for (const glibc of versions) {
    let message: string | undefined;
    const replay = replayTrace(trace, {
      glibc,
      arch,
      allocator: defaultAllocatorFactory,
      onEvent: (event) => {
        results(event.line)[glibc] = resultText(words, event);
      },
      onStop: (stop) => {
        message = stop.message;
        results(stop.line)[glibc] = `${stop.kind}: ${stop.message}`;
        stops.set(glibc, stop.line);
      },
    });
    const signal = replay.status === 0 ? undefined : signalOfExitStatus(replay.status) ?? "error";
    outcomes.push({ glibc, status: replay.status, signal, message: signal ? message : undefined });
  }
  const lines = [...byLine.keys()].sort((a, b) => a - b);
  const rows: ComparedRow[] = lines.map((line) => {
    const r = byLine.get(line)!;
    return {
      line,
      source: sources[line - 1]?.replace(/#.*/, "").trim() ?? "",
      results: r,
      differs: rowDiffers(r, versions),
    };
  });
  const withStops = outcomes.map((o) => {
    const at = stops.get(o.glibc);
    return at === undefined || o.status === 0
      ? o
      : { ...o, stoppedAt: rows.findIndex((r) => r.line === at) };
  });
  return new VersionComparison(
    versions,
    rows,
    withStops,
    options.title ?? `One trace on glibc ${versions.join(", ")} (${arch})`,
  );
}
