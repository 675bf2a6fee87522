/**
 * Heap traces in the real-glibc oracle's format (`docs/trace_format.md`): parsing one line at a
 * time with the oracle driver's checks and messages, and replaying a whole trace on a simulated
 * process, printing what the oracle prints. Start with {@link replayTrace}.
 *
 * May import: `src/kernel/` and `src/malloc/` (the default allocator), never `src/view/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultAllocatorFactory, replayTrace } from "./mod.ts";
 *
 * const { output, status } = replayTrace("malloc 0 24\nfree 0\n", {
 *   allocator: defaultAllocatorFactory,
 * });
 * assert.equal(status, 0);
 * assert.equal(output.split("\n")[1], "1 malloc 0 main 0x2a0 0x21");
 * ```
 *
 * @module
 */

export { defaultAllocatorFactory } from "./allocator_factory.ts";
export {
  type AccessWidth,
  isKernelTrace,
  parseTraceLine,
  TraceError,
  type TraceLimits,
  traceLimits,
  type TraceNumber,
  type TraceOp,
  type WriteValue,
} from "./parse.ts";
export { type AddressPlace, type LibcImage } from "./places.ts";
export {
  ReplayInterrupted,
  type ReplayOptions,
  type ReplayResult,
  type ReplayStop,
  replayTrace,
} from "./replay.ts";
export {
  type AllocatorFactory,
  type HeapMapping,
  type MappingLabel,
  type MappingVisitor,
  type PlaceFields,
  type ReadValue,
  type ReplayEvent,
  ReplaySession,
  type SessionOptions,
  type SizeWordFields,
  type TraceAllocator,
  type TracePlace,
} from "./session.ts";
export {
  formatAddressPlace,
  formatEvent,
  formatPlace,
  formatReadValue,
  formatResult,
  sizeWordHex,
} from "./oracle_format.ts";
export { type TraceReader, type TraceSource } from "./trace_input.ts";
export { type DiscoveredHeap, HeapDiscovery } from "./heap_discovery.ts";
