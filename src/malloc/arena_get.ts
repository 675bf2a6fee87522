/**
 * Which arena a thread allocates from (glibc arena.c: `arena_get`, `arena_get2`,
 * `_int_new_arena`, `get_free_list`, `reused_arena`, `arena_get_retry`,
 * `__malloc_arena_thread_freeres`). A thread starts with no arena; its first allocation takes
 * an arena from the free list (arenas of exited threads), else creates a new one while there
 * are fewer than the limit (8 × CPUs on 64-bit, 2 × CPUs on 32-bit, checked once more than
 * `arena_test` arenas exist), else shares an existing one round-robin.
 *
 * Invariant: an arena is on the free list iff its `attached_threads` is 0; the arena list
 * (`next`) is circular through main_arena and holds every arena ever created.
 *
 * @module
 */

import { PREV_INUSE } from "./chunk.ts";
import type { MallocContext } from "./context.ts";
import { HeapLoopError, LOOP_LIMIT } from "./errors.ts";
import { newHeap, registerHeap, setHeapOwner } from "./heap.ts";

/** glibc `NARENAS_FROM_NCORES`. */
function narenasFromNcores(m: MallocContext, n: number): number {
  return n * (m.profile.sizeSz === 4 ? 2 : 8);
}

/**
 * glibc `arena_get (ptr, size)`: the current thread's arena, or a new/reused one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * import { arenaGet } from "./arena_get.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.malloc(1);
 * assert.equal(arenaGet(heap.context, 100), heap.context.mainArena); // on the main thread
 * ```
 */
export function arenaGet(m: MallocContext, size: number): number {
  const arena = m.tls().arena;
  if (arena !== 0) return arena;
  return arenaGet2(m, size, 0);
}

/** glibc `detach_arena`. */
function detachArena(m: MallocContext, replaced: number): void {
  if (replaced !== 0) {
    const a = m.arenas;
    a.setAttachedThreads(replaced, a.attachedThreads(replaced) - 1);
  }
}

/**
 * glibc `_int_new_arena (size)`: a new thread arena in a new heap, its malloc_state right
 * after heap_info and its top chunk after that; attached to the current thread.
 */
function intNewArena(m: MallocContext, size: number): number {
  const p = m.profile, a = m.arenas, c = m.chunks;
  let heap = newHeap(
    m,
    size + (p.heapInfoSize + p.arena.size + p.mallocAlignment),
    m.params.topPad,
  );
  if (heap === 0) {
    heap = newHeap(m, p.heapInfoSize + p.arena.size + p.mallocAlignment, m.params.topPad);
    if (heap === 0) return 0;
  }
  const arena = heap + p.heapInfoSize;
  setHeapOwner(m, heap, arena, 0);
  registerHeap(m, heap, arena);
  a.initState(arena, false);
  a.setAttachedThreads(arena, 1);
  const hsize = c.word(heap + 2 * p.sizeSz);
  a.setSystemMem(arena, hsize);
  a.setMaxSystemMem(arena, hsize);
  let ptr = arena + p.arena.size;
  const misalign = (ptr + c.headerSize) & c.alignMask;
  if (misalign > 0) ptr += p.mallocAlignment - misalign;
  a.setTop(arena, ptr);
  c.setHead(ptr, heap + hsize - ptr + PREV_INUSE);
  const tls = m.tls();
  const replaced = tls.arena;
  tls.arena = arena;
  a.setNext(arena, a.next(m.mainArena));
  a.setNext(m.mainArena, arena);
  detachArena(m, replaced);
  if (m.explain.enabled) m.explain.arenaStep(arena, 0, "new arena");
  return arena;
}

/** glibc `get_free_list`: takes an arena off the free list for the current thread. */
function getFreeList(m: MallocContext): number {
  const a = m.arenas;
  const tls = m.tls();
  const replaced = tls.arena;
  const result = m.freeList;
  if (result !== 0) {
    m.freeList = a.nextFree(result);
    const attached = a.attachedThreads(result);
    if (m.profile.freeListAssert && attached !== 0) m.assertFail("freeListAttached", result);
    // 2.25+ sets it to 1 after the assertion; 2.23 adds one to whatever it holds.
    a.setAttachedThreads(result, m.words.add(attached, 1));
    detachArena(m, replaced);
    tls.arena = result;
    if (m.explain.enabled) {
      m.explain.arenaStep(result, 0, "arena reused from the free list", { from: "free list" });
    }
  }
  return result;
}

/** glibc `remove_from_free_list`. */
function removeFromFreeList(m: MallocContext, arena: number): void {
  const a = m.arenas;
  let prevLink = 0; // 0: the free_list variable
  let steps = 0;
  for (let q = m.freeList; q !== 0; q = a.nextFree(q)) {
    if (++steps > LOOP_LIMIT) {
      throw new HeapLoopError("arena free list", "remove_from_free_list", q, steps);
    }
    if (q === arena) {
      if (prevLink === 0) m.freeList = a.nextFree(q);
      else a.setNextFree(prevLink, a.nextFree(q));
      break;
    }
    prevLink = q;
  }
}

/**
 * glibc `reused_arena (avoid)`: the next arena in the list after the last one handed out (no
 * arena is ever locked between simulated operations, so the first try-lock succeeds).
 */
function reusedArena(m: MallocContext, _avoid: number): number {
  const a = m.arenas;
  if (m.nextToUse === 0) m.nextToUse = m.mainArena;
  const result = m.nextToUse;
  const tls = m.tls();
  detachArena(m, tls.arena);
  removeFromFreeList(m, result);
  a.setAttachedThreads(result, a.attachedThreads(result) + 1);
  tls.arena = result;
  m.nextToUse = a.next(result);
  if (m.explain.enabled) {
    m.explain.arenaStep(result, 0, "arena shared (reused_arena)");
  }
  return result;
}

/** glibc `arena_get2 (size, avoid)`. */
function arenaGet2(m: MallocContext, size: number, avoid: number): number {
  let arena = getFreeList(m);
  if (arena !== 0) return arena;
  if (m.narenasLimit === 0) {
    if (m.params.arenaMax !== 0) m.narenasLimit = m.params.arenaMax;
    else if (m.profile.arenaLimit === "cores") {
      if (m.narenas >= m.params.arenaTest) m.narenasLimit = Math.max(m.nprocs, m.params.arenaTest);
    } else if (m.narenas > m.params.arenaTest) {
      m.narenasLimit = narenasFromNcores(m, m.nprocs >= 1 ? m.nprocs : 2);
    }
  }
  const n = m.narenas;
  // (size_t) 0 - 1 is the largest size: no limit yet.
  const limitMinus1 = m.narenasLimit === 0 ? Infinity : m.narenasLimit - 1;
  if (n <= limitMinus1) {
    m.narenas = n + 1;
    arena = intNewArena(m, size);
    if (arena === 0) m.narenas--;
  } else {
    arena = reusedArena(m, avoid);
  }
  return arena;
}

/**
 * glibc `arena_get_retry`: after a failed allocation, a thread arena retries in the main
 * arena, and the main arena in another arena.
 */
export function arenaGetRetry(m: MallocContext, arena: number, bytes: number): number {
  if (arena !== m.mainArena) return m.mainArena;
  return arenaGet2(m, bytes, arena);
}

/**
 * The arena half of glibc `__malloc_arena_thread_freeres`: the exiting thread detaches from
 * its arena, which goes on the free list when no thread is attached any more.
 */
export function arenaThreadFreeres(m: MallocContext): void {
  const tls = m.tls();
  const arena = tls.arena;
  tls.arena = 0;
  if (arena !== 0) {
    const a = m.arenas;
    const n = a.attachedThreads(arena) - 1;
    a.setAttachedThreads(arena, n);
    if (n === 0) {
      a.setNextFree(arena, m.freeList);
      m.freeList = arena;
      if (m.explain.enabled) {
        m.explain.arenaStep(arena, 0, "arena put on the free list", { to: "free list" });
      }
    }
  }
}
