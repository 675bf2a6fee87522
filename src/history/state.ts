/**
 * A state of a simulated process and its allocator, kept for later: a {@link ProcessSnapshot}
 * with a label, readable without disturbing the live process. Reading goes through a scratch
 * fork of the allocator (one per allocator, reused): the snapshot is restored into it and the
 * usual inspection calls (`chunks()`, `bins()`, `maps()`, …) run there.
 *
 * Invariant: reading a state never changes the live process nor the state.
 *
 * @module
 */

import type { ProcessSnapshot } from "../kernel/snapshot.ts";
import type { Libc } from "./libc.ts";

const scratch = new WeakMap<Libc, Libc>();

/** The scratch fork that reads states of `libc`'s process. */
function reader(libc: Libc): Libc {
  let r = scratch.get(libc);
  if (r === undefined) {
    r = libc.fork();
    scratch.set(libc, r);
  }
  return r;
}

/**
 * The process and allocator at one moment.
 *
 * @example
 * ```ts
 * import { Allocator, heapState, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const before = heapState(libc, "empty");
 * libc.malloc(24);
 * assert.equal(before.read((l) => l.chunks().length), 0);
 * assert.equal(libc.chunks().length, 3); // tcache struct, the chunk, top
 * ```
 */
export class HeapState {
  /** The allocator whose process this is a state of. */
  readonly allocator: Libc;
  /** The process snapshot. */
  readonly snapshot: ProcessSnapshot;
  /** A name for it (a step of a history, a label given by the user). */
  readonly label: string;

  /** A state from a snapshot of `allocator`'s process. */
  constructor(allocator: Libc, snapshot: ProcessSnapshot, label = "") {
    this.allocator = allocator;
    this.snapshot = snapshot;
    this.label = label;
  }

  /** Runs `fn` on an allocator in this state (a scratch copy: what `fn` changes is dropped). */
  read<T>(fn: (libc: Libc) => T): T {
    const r = reader(this.allocator);
    r.process.restore(this.snapshot);
    return fn(r);
  }
}

/** The state of `libc` and its process now. */
export function heapState(libc: Libc, label = ""): HeapState {
  return new HeapState(libc, libc.process.snapshot(), label);
}
