/**
 * glibc's part of a process snapshot: everything glibc keeps outside simulated memory
 * (`context.ts`: the arena list bookkeeping, the tcache key and its random source, the thread
 * heap records, the main arena's segments, the mmapped chunk set, libc's event log). The explain
 * collector and the allocator's own scalars are the allocator's part (`AllocatorState`), and
 * per-thread variables (`tcache`, `thread_arena`) live in the threads' locals, captured with the
 * threads. A capture is shared with the previous one while nothing in it changed: most calls
 * change nothing here (a history captures at every call).
 *
 * Invariant: a captured state is never changed afterwards; restoring copies out of it.
 *
 * @module
 */

import type { MallocContext } from "./context.ts";

/** glibc's JavaScript-side state at one moment. */
export interface MallocState {
  /** The context's own scalar fields (numbers, booleans, strings), by name. */
  readonly scalars: Readonly<Record<string, unknown>>;
  /** Copies of the object fields (params, heaps, segments, mmapped chunks). */
  readonly objects: Readonly<Record<string, unknown>>;
  /** The random source's state. */
  readonly random: number;
}

function copyValue(v: unknown): unknown {
  if (v instanceof Set) return new Set(v);
  if (v instanceof Map) return new Map(v);
  if (Array.isArray(v)) return v.map((x) => x !== null && typeof x === "object" ? { ...x } : x);
  if (v !== null && typeof v === "object") return { ...v };
  return v;
}

/**
 * Names of the context's fields that are not state: wiring (process, memory, profile, …) and a
 * call's scratch.
 */
const NOT_STATE = new Set([
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
  // A local of one `_int_malloc` pass that glibc keeps on its stack (zeroed where it starts):
  // no state between calls, where snapshots are taken, and left captured it made a new state
  // at most steps of a history (a count left at 3 after one call, 0 after the next).
  "tcacheUnsortedCount",
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

/**
 * The context's state fields, listed once per context (its fields never change): their names and
 * where each is in `Object.values(m)`, which reads every field in one call where a loop over the
 * names makes a keyed load each (a history captures at every line).
 */
interface StateFields {
  readonly keys: readonly string[];
  readonly at: readonly number[];
  /** How many own fields the context had (another count: the list is made again). */
  readonly count: number;
  /** Whether every state field of `m` is as in `values` (a capture's, in `keys` order). */
  readonly same: (m: MallocContext, values: readonly unknown[]) => boolean;
}

const fieldsOf = new WeakMap<MallocContext, StateFields>();

function stateFields(m: MallocContext, count: number): StateFields {
  let f = fieldsOf.get(m);
  if (f === undefined || f.count !== count) {
    const all = Object.keys(m);
    const at = all.flatMap((k, i) => NOT_STATE.has(k) ? [] : [i]);
    const keys = at.map((i) => all[i]);
    f = { keys, at, count: all.length, same: comparator(keys) };
    fieldsOf.set(m, f);
  }
  return f;
}

/**
 * A function that compares the fields `keys` of a context with a capture's values: each field
 * read by its name in code made for these names, which V8 compiles to a load at a fixed place in
 * the context (a loop over the names makes a keyed load each, a megamorphic one).
 */
function comparator(keys: readonly string[]): StateFields["same"] {
  const tests = keys.map((k, i) => `same(m[${JSON.stringify(k)}], v[${i}])`);
  const made = new Function("same", `return (m, v) => ${tests.join(" && ") || "true"};`);
  return made(sameValue);
}

/** A live field's value against its capture's: an object against its copy, else by identity. */
function sameValue(live: unknown, was: unknown): boolean {
  return live !== null && typeof live === "object" ? sameAsCopy(live, was) : live === was;
}

/**
 * The last state captured of each context, with its fields' values in {@link StateFields} order
 * (an object field's copy): unchanged parts are shared with it.
 */
const previous = new WeakMap<MallocContext, { state: MallocState; values: unknown[] }>();

/**
 * Captures the context's state. Scalars and the state objects (params, heaps, …) are found by
 * walking its own fields, so a field added to `context.ts` is captured without a change here;
 * parts equal to the previous capture are shared with it (a history captures after every call).
 */
export function captureMallocState(m: MallocContext): MallocState {
  const last = previous.get(m), prev = last?.state;
  if (last !== undefined && last.state.random === m.randomState) {
    // The common case after a call: compare everything with the previous capture first. The
    // context's own fields are its class's, all made with it (tests/malloc/snapshot_test.ts):
    // the list of the last capture still names every one.
    const fields = fieldsOf.get(m)!;
    if (fields.keys.length === last.values.length && fields.same(m, last.values)) {
      return last.state;
    }
  }
  const live = Object.values(m);
  const { keys, at } = stateFields(m, live.length);
  let scalars: Record<string, unknown> = {};
  const objects: Record<string, unknown> = {};
  const values: unknown[] = [];
  let sameScalars = prev !== undefined;
  for (let i = 0; i < at.length; i++) {
    const k = keys[i], v = live[at[i]];
    if (v !== null && typeof v === "object") {
      const old = prev?.objects[k];
      values.push(objects[k] = old !== undefined && sameAsCopy(v, old) ? old : copyValue(v));
    } else {
      values.push(v);
      if (typeof v === "function") continue;
      scalars[k] = v;
      if (sameScalars && prev!.scalars[k] !== v) sameScalars = false;
    }
  }
  if (sameScalars) scalars = prev!.scalars as Record<string, unknown>;
  const state = { scalars, objects, random: m.randomState };
  previous.set(m, { state, values });
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
  m.forgetThreadCache();
}
