/**
 * The allocator's part of a process snapshot: everything glibc keeps outside simulated memory
 * (`context.ts`: the arena list bookkeeping, the tcache key and its random source, the thread
 * heap records, the main arena's segments, the mmapped chunk set, libc's event log) plus
 * the explain collector and the allocator's own scalars. Per-thread variables (`tcache`,
 * `thread_arena`) live in the threads' locals and are captured with the threads.
 *
 * Invariant: a captured state is never changed afterwards; restoring copies out of it.
 *
 * @module
 */

import type { MallocContext } from "./context.ts";
import type { OperationRecord } from "./explain.ts";

/** glibc's JavaScript-side state at one moment. */
export interface MallocState {
  /** The context's own scalar fields (numbers, booleans, strings), by name. */
  readonly scalars: Readonly<Record<string, unknown>>;
  /** Copies of the object fields (params, heaps, segments, mmapped chunks). */
  readonly objects: Readonly<Record<string, unknown>>;
  /** The random source's state. */
  readonly random: number;
  /** The explain collector. */
  readonly explain: {
    enabled: boolean;
    current: OperationRecord | undefined;
    depth: number;
  };
}

function copyValue(v: unknown): unknown {
  if (v instanceof Set) return new Set(v);
  if (v instanceof Map) return new Map(v);
  if (Array.isArray(v)) return v.map((x) => x !== null && typeof x === "object" ? { ...x } : x);
  if (v !== null && typeof v === "object") return { ...v };
  return v;
}

/** Names of the context's fields that are state, not wiring (process, memory, profile, …). */
const WIRING = new Set([
  "process",
  "memory",
  "words",
  "profile",
  "chunks",
  "arenas",
  "bins",
  "explain",
  // Where libc's data lies, and mp_ read from it: bytes in memory, restored with the pages.
  "libc",
  "params",
]);

/** Shallow equality of a live value and an earlier copy of it (as {@link copyValue} made it). */
function sameAsCopy(live: unknown, copy: unknown): boolean {
  if (live === copy) return true;
  if (live instanceof Set && copy instanceof Set) {
    if (live.size !== copy.size) return false;
    for (const x of live) if (!copy.has(x)) return false;
    return true;
  }
  if (Array.isArray(live) && Array.isArray(copy)) {
    if (live.length !== copy.length) return false;
    for (let i = 0; i < live.length; i++) if (!sameFields(live[i], copy[i])) return false;
    return true;
  }
  if (live instanceof Map || copy instanceof Map) return false;
  return sameFields(live, copy);
}

function sameFields(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  for (const k in ra) if (ra[k] !== rb[k]) return false;
  return true;
}

/** The context's state fields, listed once per context (its fields never change). */
const keysOf = new WeakMap<MallocContext, string[]>();

function stateKeys(m: MallocContext): string[] {
  let keys = keysOf.get(m);
  if (keys === undefined) {
    keys = Object.keys(m).filter((k) => !WIRING.has(k));
    keysOf.set(m, keys);
  }
  return keys;
}

/** The last state captured of each context: unchanged parts are shared with it. */
const previous = new WeakMap<MallocContext, MallocState>();

/**
 * Captures the context's state. Scalars and the state objects (params, heaps, …) are found by
 * walking its own fields, so a field added to `context.ts` is captured without a change here;
 * parts equal to the previous capture are shared with it (a history captures after every call).
 */
export function captureMallocState(m: MallocContext): MallocState {
  const prev = previous.get(m);
  const fields = m as unknown as Record<string, unknown>;
  const keys = stateKeys(m);
  const ex = m.explain.captureState();
  if (prev !== undefined && prev.random === m.randomState && sameFields(ex, prev.explain)) {
    // The common case after a call: compare everything with the previous capture first.
    let same = true;
    for (let i = 0; i < keys.length && same; i++) {
      const v = fields[keys[i]];
      same = v !== null && typeof v === "object"
        ? sameAsCopy(v, prev.objects[keys[i]])
        : prev.scalars[keys[i]] === v;
    }
    if (same) return prev;
  }
  let scalars: Record<string, unknown> = {};
  const objects: Record<string, unknown> = {};
  let sameScalars = prev !== undefined;
  for (const k of keys) {
    const v = fields[k];
    if (v !== null && typeof v === "object") {
      const old = prev?.objects[k];
      objects[k] = old !== undefined && sameAsCopy(v, old) ? old : copyValue(v);
    } else if (typeof v !== "function") {
      scalars[k] = v;
      if (sameScalars && prev!.scalars[k] !== v) sameScalars = false;
    }
  }
  if (sameScalars) scalars = prev!.scalars as Record<string, unknown>;
  const state = { scalars, objects, random: m.randomState, explain: ex };
  previous.set(m, state);
  return state;
}

/** Returns the context to a captured state (objects are filled in place, as fields are readonly). */
export function restoreMallocState(m: MallocContext, s: MallocState): void {
  const target = m as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(s.scalars)) target[k] = v;
  for (const [k, v] of Object.entries(s.objects)) {
    const live = target[k];
    const copy = copyValue(v);
    if (live instanceof Set && copy instanceof Set) {
      live.clear();
      for (const x of copy) live.add(x);
    } else if (live instanceof Map && copy instanceof Map) {
      live.clear();
      for (const [a, b] of copy) live.set(a, b);
    } else if (Array.isArray(live) && Array.isArray(copy)) {
      live.length = 0;
      live.push(...copy);
    } else if (live !== null && typeof live === "object") {
      Object.assign(live, copy);
    } else target[k] = copy;
  }
  m.randomState = s.random;
  m.explain.restoreState(s.explain);
  m.forgetThreadCache();
}
