/**
 * How views read the heap: an arena's name, a size word's flag bits, and words, bytes and links
 * read without faulting (a view of a corrupted heap, or of one whose memory a program unmapped,
 * shows what it can read and says what it cannot), pointers named by the bin head or libc
 * symbol they point at. Every view reads simulated memory through these, never a shadow copy.
 *
 * @module
 */

import type { Allocator } from "../malloc/allocator.ts";
import { IS_MMAPPED, NON_MAIN_ARENA, PREV_INUSE, SIZE_BITS } from "../malloc/chunk.ts";
import { hex } from "./format.ts";

/**
 * How views name an arena: `main_arena`, or `arena 0x…` with its heaps' numbers.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { arenaLabel } from "./heap_reading.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * assert.equal(arenaLabel(heap, heap.mainArena), "main_arena");
 * ```
 *
 * @param allocator The allocator.
 * @param arena The arena's malloc_state address.
 * @returns Its name.
 */
export function arenaLabel(allocator: Allocator, arena: number): string {
  if (arena === allocator.mainArena) return "main_arena";
  const heaps = allocator.heaps().filter((h) => h.arena === arena && h.alive);
  const numbers = heaps.map((h) => h.number).join(", ");
  return `arena ${hex(arena)}` + (numbers ? ` (heap ${numbers})` : "");
}

/** Names of the flag bits set in a size word. */
export function flagNames(sizeField: number): string[] {
  const low = sizeField & SIZE_BITS;
  const names: string[] = [];
  if (low & PREV_INUSE) names.push("PREV_INUSE");
  if (low & IS_MMAPPED) names.push("IS_MMAPPED");
  if (low & NON_MAIN_ARENA) names.push("NON_MAIN_ARENA");
  return names;
}

/**
 * Runs an inspection call, or gives a fallback when it faults: inspecting a heap whose memory a
 * program unmapped (a break lowered into the heap, a corrupted pointer) can touch unmapped pages.
 *
 * @param inspect The inspection.
 * @param fallback What to give when it throws.
 * @returns The inspection's result or the fallback.
 */
export function inspectOr<T>(inspect: () => T, fallback: T): T {
  try {
    return inspect();
  } catch {
    return fallback;
  }
}

/** Reads bytes without faulting: an unreadable range gives an empty array. */
export function peekBytes(allocator: Allocator, address: number, length: number): Uint8Array {
  try {
    return allocator.process.memory.readBytes(address, length);
  } catch {
    return new Uint8Array(0);
  }
}

/** Reads a word without faulting (undefined when unreadable). */
export function peekWord(allocator: Allocator, address: number): number | undefined {
  try {
    return allocator.readWord(address);
  } catch {
    return undefined;
  }
}

/** A word as hex, negative words (x86_64 values at or above 2^63) as their unsigned hex. */
export function wordText(allocator: Allocator, value: number): string {
  if (value >= 0) return hex(value);
  const bits = BigInt(allocator.profile.sizeSz * 8);
  return hex((1n << bits) + BigInt(value));
}

/**
 * The stored and the real value of a singly linked pointer (tcache `next`, fastbin `fd`) at
 * `position`: with safe-linking (glibc 2.32+) memory holds `(position >> 12) ^ pointer`.
 *
 * @param allocator The allocator.
 * @param position Where the pointer is stored (the chunk's user pointer).
 * @returns The stored word and the pointer it stands for, or undefined when unreadable.
 */
export function singleLink(
  allocator: Allocator,
  position: number,
): { stored: number; pointer: number } | undefined {
  const stored = peekWord(allocator, position);
  if (stored === undefined) return undefined;
  return { stored, pointer: allocator.revealPointer(position, stored) };
}

/**
 * A pointer as views print it: hex, or the bin it stands for when it points at a bin header in
 * an arena (`&main_arena.bins[unsorted]`): the first and last free chunk of a bin link to it;
 * a pointer into libc's data or text also names the symbol (`0x… <__free_hook>`).
 *
 * @param allocator The allocator.
 * @param pointer The pointer.
 * @returns Its text.
 */
export function pointerText(allocator: Allocator, pointer: number): string {
  for (const a of allocator.arenas()) {
    const bin = allocator.binHeaderName(a.address, pointer);
    if (bin !== undefined) {
      const name = a.address === allocator.mainArena ? "main_arena" : `arena ${hex(a.address)}`;
      return `${bin} head (${name})`;
    }
  }
  const symbol = allocator.libc.symbolAt(pointer);
  return symbol ? `${wordText(allocator, pointer)} <${symbol}>` : wordText(allocator, pointer);
}
