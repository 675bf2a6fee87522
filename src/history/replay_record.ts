/**
 * A replay of a heap trace that records a {@link History}: one step per trace operation (the
 * replay session's events, and the line that stopped it), labelled with the line (`12: free 3`), so that the run can be walked back and forth, diffed and
 * questioned with what-ifs afterwards. The allocator keeps explain records, so each step's
 * `record` says what the call did.
 *
 * @module
 */

import { Allocator } from "../malloc/allocator.ts";
import type { OperationRecord } from "../malloc/explain.ts";
import { type ReplayOptions, type ReplayResult, replayTrace } from "../trace/replay.ts";
import { History, labelLinesWith, markQuietly } from "./history.ts";

/** A recorded replay. */
export interface RecordedReplay {
  /** The replay's result (output, status, process). */
  readonly result: ReplayResult;
  /** The history: step 0 before the first line, then one step per trace line. */
  readonly history: History;
}

/** Options of {@link recordReplay}: those of a replay, plus explain records on or off. */
export interface RecordOptions
  extends Omit<ReplayOptions, "allocator" | "onEvent" | "onStart" | "onOperation" | "onStop"> {
  /** Keep explain records for each step (default true; false is faster). */
  readonly explain?: boolean;
}

/**
 * Replays `text` and records every state it passes through.
 *
 * @example
 * ```ts
 * import { recordReplay } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const { history } = recordReplay("malloc 0 24\nfree 0\nmalloc 1 24\n");
 * assert.equal(history.length, 4);
 * assert.equal(history.at(3).record?.served, "tcache");
 * history.seek("2:"); // the live process is back after the free
 * ```
 */
export function recordReplay(text: string, options: RecordOptions = {}): RecordedReplay {
  // The history starts once the header is printed (`onStart`): the session is set up then, its
  // break aligned, and no trace line has run, so step 0 is the process before any line.
  let history: History | undefined;
  let libc: Allocator | undefined;
  let lastRecord: OperationRecord | undefined;
  // A step's label is made when first read: `12: free 3`, from the trace's line 12.
  let lines: string[] | undefined;
  const lineLabel = (line: number) => `${line}: ${(lines ??= text.split("\n"))[line - 1]}`;
  const step = (label: string | number) => {
    const record = libc!.lastRecord;
    markQuietly(history!, label, record !== lastRecord ? record : undefined);
    lastRecord = record;
  };
  // The history steps at `onOperation`, which leaves the hot lines on the replay's fast lane.
  const result = replayTrace(text, {
    ...options,
    allocator: (process, { glibc, nprocs }) => {
      libc = new Allocator(process, { glibc, nprocs, explain: options.explain ?? true });
      return libc;
    },
    onStart: () => {
      history = new History(libc!, { calls: false, syscalls: false });
      labelLinesWith(history, lineLabel);
    },
    onOperation: step,
    onStop: (stop) => {
      if (stop.kind !== "error") step(`${stop.line}: ${stop.kind} ${stop.message}`);
    },
  });
  if (history === undefined) throw new Error("recordReplay: the replay printed no header");
  return { result, history };
}
