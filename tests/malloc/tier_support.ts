// What the WebAssembly tier's differential tests share (tcache_tier_test.ts,
// fastbin_tier_test.ts): allocators made with the tier on or off, a process's pages as bytes,
// and an API scenario run both ways, its outcomes and pages compared.

import assert from "node:assert/strict";
import { Allocator } from "../../src/malloc/allocator.ts";
import { Process } from "../../src/kernel/process.ts";
import { tcacheTierSwitch } from "../../src/malloc/tcache_tier.ts";

/** Runs `fn` with allocators made with the tier on or off. */
export function withTier<T>(on: boolean, fn: () => T): T {
  const was = tcacheTierSwitch.enabled;
  tcacheTierSwitch.enabled = on;
  try {
    return fn();
  } finally {
    tcacheTierSwitch.enabled = was;
  }
}

/** Every readable page of `process` that has bytes, as its address and a hex string. */
export function pages(process: Process): Map<number, string> {
  const out = new Map<number, string>();
  const memory = process.space.memory;
  for (const vma of process.space.areas()) {
    if (!(vma.prot & 1)) continue;
    for (let a = vma.start; a < vma.end; a += 4096) {
      if (!memory.hasBytes(a)) continue;
      const bytes = memory.readBytes(a, 4096);
      if (bytes.every((b) => b === 0)) continue;
      out.set(a, Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
    }
  }
  return out;
}

/** The first page whose bytes differ, as text (undefined when none does). */
export function pageDifference(a: Map<number, string>, b: Map<number, string>): string | undefined {
  for (const addr of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(addr) ?? "", y = b.get(addr) ?? "";
    if (x === y) continue;
    let i = 0;
    while (x[i] === y[i]) i++;
    return `page 0x${addr.toString(16)} at byte ${i >> 1}: tier ${x.slice(i, i + 16)}, ` +
      `JavaScript ${y.slice(i, i + 16)}`;
  }
  return undefined;
}

/** A step of an API scenario: what it returned or threw. */
export function outcome(fn: () => number | void): string {
  try {
    return `= ${fn()}`;
  } catch (error) {
    return `! ${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Runs `scenario` on a fresh process with the tier on and off; returns the tier's outcomes. */
export function bothWays(
  glibc: string,
  scenario: (heap: Allocator, step: (fn: () => number | void) => void) => void,
): string[] {
  const run = (on: boolean) =>
    withTier(on, () => {
      const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc, explain: false });
      const outcomes: string[] = [];
      try {
        scenario(heap, (fn) => outcomes.push(outcome(fn)));
      } catch (error) {
        outcomes.push(`stopped: ${(error as Error).message}`);
      }
      return { outcomes, pages: pages(heap.process) };
    });
  const on = run(true), off = run(false);
  assert.deepEqual(on.outcomes, off.outcomes);
  assert.equal(pageDifference(on.pages, off.pages), undefined);
  return on.outcomes;
}
