/**
 * Time travel over a simulated process: states kept for later ({@link HeapState}), a recorded
 * {@link History} to walk back and forth, {@link diff} between two states, what-ifs on a
 * throwaway fork (`libc.whatIf`), and recorded replays ({@link recordReplay}). Snapshots
 * themselves are `Process.snapshot()`, `restore()` and `fork()`.
 *
 * May import: `src/kernel/`, `src/malloc/`, `src/trace/` (recorded replays) and
 * `src/view/maps_diff.ts` (maps lines compared, data only). The allocator reaches back here only
 * for `what_if.ts`, which sees the allocator through the small `Libc` interface of `libc.ts`.
 *
 * @example
 * ```ts
 * import { Allocator, diff, heapState, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const p = libc.malloc(24);
 * const before = heapState(libc);
 * libc.free(p);
 * assert.equal(diff(before, heapState(libc)).chunks[0].kind, "freed");
 * ```
 *
 * @module
 */

export { HeapState, heapState } from "./state.ts";
export { type Libc } from "./libc.ts";
export {
  type ArenaFieldChange,
  type ByteChange,
  type ChunkChange,
  type ChunkChangeKind,
  diff,
  type HeapDiff,
} from "./diff.ts";
export { WhatIf, type WhatIfResult } from "./what_if.ts";
export {
  History,
  type HistoryOptions,
  type HistoryStep,
  type LineHook,
  type StepKind,
} from "./history.ts";
export { type RecordedReplay, type RecordOptions, recordReplay } from "./replay_record.ts";
