// The WebAssembly tier's fastbin put (src/malloc/tcache_tier.ts: `_int_free_chunk`'s first
// branch, when no tcache bin takes the chunk) changes nothing but speed: fastbin frees and the
// corruptions around them — a fasttop double free, fastbin_dup, a forged next size or
// system_mem, a poisoned or misaligned fastbin fd, a forged fastbin head, a raised or cleared
// global_max_fast, a thread arena's chunks and a forged NON_MAIN_ARENA bit — run with the tier
// on and off give the same result and error on every call and leave the same bytes in every
// page; the tier's counters show what it served and what it handed to JavaScript.

import assert from "node:assert/strict";
import type { Allocator } from "../../src/malloc/allocator.ts";
import { tcacheTierStats } from "../../src/malloc/tcache_tier.ts";
import { bothWays } from "./tier_support.ts";

const VERSIONS = ["2.31", "2.36", "2.41"];

/** How much each counter of the tier moved while `fn` ran. */
function counted(fn: () => void): Record<string, number> {
  const before = { ...tcacheTierStats };
  fn();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(tcacheTierStats)) {
    out[k] = v - before[k as keyof typeof before];
  }
  return out;
}

/** The word glibc stores for `target` in a singly linked field at `pos` (safe-linking 2.32+). */
function mangle(glibc: string, pos: number, target: bigint): bigint {
  return BigInt.asUintN(64, glibc >= "2.32" ? (BigInt(pos) >> 12n) ^ target : target);
}

/**
 * Chunks of `bytes` whose tcache bin is then full: `count` more chunks of that size (and a guard
 * against the top), their user pointers.
 */
function withFullTcache(heap: Allocator, bytes: number, count: number): number[] {
  const fill = Array.from({ length: 7 }, () => heap.malloc(bytes));
  const chunks = Array.from({ length: count }, () => heap.malloc(bytes));
  heap.malloc(bytes);
  for (const f of fill) heap.free(f);
  return chunks;
}

/** Writes a 64-bit word at `address`. */
function poke(heap: Allocator, address: number, value: number | bigint): void {
  heap.process.memory.writeBig64(address, BigInt.asUintN(64, BigInt(value)));
}

Deno.test("fastbin frees after a full tcache bin are served by the tier, bytes the same", () => {
  for (const glibc of VERSIONS) {
    const moved = counted(() =>
      bothWays(glibc, (heap, step) => {
        for (const bytes of [24, 40, 56, 72, 88, 104, 120]) {
          const chunks = withFullTcache(heap, bytes, 3);
          for (const p of chunks) step(() => heap.free(p));
        }
        // and back out: the tcache first, then the fastbins (JavaScript's stash)
        for (let i = 0; i < 12; i++) step(() => heap.malloc(40));
      })
    );
    // Each run of the scenario made 7 * 3 fastbin puts; bothWays ran it with the tier once.
    assert.equal(moved.freesToFastbin, 21, JSON.stringify(moved));
    assert.equal(moved.freesDeclined, 0);
  }
});

Deno.test("a fasttop double free is left to JavaScript and aborts the same", () => {
  for (const glibc of VERSIONS) {
    let outcomes: string[] = [];
    const moved = counted(() =>
      outcomes = bothWays(glibc, (heap, step) => {
        const [a] = withFullTcache(heap, 40, 1);
        step(() => heap.free(a));
        step(() => heap.free(a));
      })
    );
    assert.match(outcomes[1], /double free or corruption \(fasttop\)/);
    assert.equal(moved.freesToFastbin, 1);
    assert.equal(moved.freesToArena, 1);
  }
});

Deno.test("fastbin_dup (free a, b, a) is served by the tier and taken back as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    const moved = counted(() =>
      bothWays(glibc, (heap, step) => {
        const [a, b] = withFullTcache(heap, 56, 2);
        step(() => heap.free(a));
        step(() => heap.free(b));
        step(() => heap.free(a));
        for (let i = 0; i < 7 + 6; i++) step(() => heap.malloc(56));
      })
    );
    assert.equal(moved.freesToFastbin, 3);
  }
});

Deno.test("a forged next size is left to JavaScript: invalid next size (fast)", () => {
  for (const glibc of VERSIONS) {
    for (const next of [0, 0x10, 0x11, 0x21, 2 ** 40, -0x100, 2 ** 55 + 0x21, 0x7fff_0000_0031]) {
      const outcomes = bothWays(glibc, (heap, step) => {
        const [a] = withFullTcache(heap, 40, 1);
        poke(heap, a + 0x30 - 8, next); // the size word of the chunk after a's 0x30 chunk
        step(() => heap.free(a));
        step(() => heap.malloc(40));
      });
      // chunksize_nomask above CHUNK_HDR_SZ (0x11 passes) and chunksize below system_mem
      // (unsigned: -0x100 fails)
      if (next === 0x11 || next === 0x21) assert.equal(outcomes[0], "= undefined");
      else assert.match(outcomes[0], /free\(\): invalid next size \(fast\)/, String(next));
    }
  }
});

Deno.test("a forged system_mem is read as JavaScript reads it", () => {
  for (const glibc of VERSIONS) {
    for (const systemMem of [0x10, 0x40, 0x41, -1, 2 ** 60]) {
      bothWays(glibc, (heap, step) => {
        const [a] = withFullTcache(heap, 40, 1);
        poke(heap, heap.mainArena + heap.context.profile.arena.systemMem, systemMem);
        step(() => heap.free(a));
      });
    }
  }
});

Deno.test("a poisoned fastbin fd is carried and followed as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    for (const target of [0x4141414141410n, 0x10n, 0n, 2n ** 63n, 0xffff_ffff_ffff_fff0n]) {
      bothWays(glibc, (heap, step) => {
        const [a, b] = withFullTcache(heap, 24, 2);
        step(() => heap.free(a));
        poke(heap, a, mangle(glibc, a, target));
        step(() => heap.free(b));
        for (let i = 0; i < 7 + 4; i++) step(() => heap.malloc(24));
      });
    }
  }
});

Deno.test("a misaligned fastbin chunk is put by the tier and caught by malloc as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    const outcomes = bothWays(glibc, (heap, step) => {
      const [a, b] = withFullTcache(heap, 24, 2);
      step(() => heap.free(a));
      step(() => heap.free(b));
      poke(heap, b, mangle(glibc, b, BigInt(a - 16 + 8))); // b's fd: a's chunk plus 8
      for (let i = 0; i < 7 + 3; i++) step(() => heap.malloc(24));
    });
    if (glibc >= "2.32") assert.match(outcomes.join("\n"), /unaligned fastbin chunk detected/);
  }
});

Deno.test("a forged fastbin head is put behind or left to JavaScript as it compares", () => {
  for (const glibc of VERSIONS) {
    for (const head of [0x4141414141410, 0x18, -1, 2 ** 60, 2 ** 53 + 0x20]) {
      bothWays(glibc, (heap, step) => {
        const [a] = withFullTcache(heap, 40, 1);
        const slot = heap.mainArena + heap.context.profile.arena.fastbins + 8 * 1; // the 0x30 bin
        poke(heap, slot, head);
        step(() => heap.free(a));
        step(() => heap.readWord(a));
      });
    }
  }
});

Deno.test("global_max_fast raised or cleared by a corruption is read as JavaScript reads it", () => {
  for (const glibc of VERSIONS) {
    const wide = glibc < "2.40";
    for (const maxFast of wide ? [0, 0x10, 0x7fff_f7dd_0b00, -1, 2 ** 33] : [0, 0x10, 0xff]) {
      bothWays(glibc, (heap, step) => {
        const [a] = withFullTcache(heap, 0xb0, 1);
        const big = heap.malloc(0x418), small = heap.malloc(0x28);
        heap.malloc(24);
        const at = heap.libc.globalMaxFast;
        if (wide) poke(heap, at, maxFast);
        else heap.process.memory.write8(at, maxFast);
        step(() => heap.free(a)); // 0xc0: the tcache bin is full
        step(() => heap.free(big)); // 0x420: beyond the tcache, past fastbinsY if fast
        step(() => heap.free(small));
        step(() => heap.malloc(0x418));
        step(() => heap.malloc(0xb8));
      });
    }
  }
});

Deno.test("a thread arena's chunks go to its own fastbins, freed from any thread", () => {
  for (const glibc of VERSIONS) {
    const moved = counted(() =>
      bothWays(glibc, (heap, step) => {
        const proc = heap.process;
        const t = proc.pthreadCreate();
        proc.switchTo(t);
        const chunks = withFullTcache(heap, 40, 4);
        step(() => heap.free(chunks[0]));
        step(() => heap.free(chunks[1]));
        proc.switchTo(proc.mainThread);
        withFullTcache(heap, 40, 0); // the main thread's own tcache bin full
        step(() => heap.free(chunks[2])); // to the thread arena's fastbin
        step(() => heap.free(chunks[2])); // fasttop, in the thread arena
      })
    );
    assert.equal(moved.freesToFastbin, 3, JSON.stringify(moved));
  }
});

Deno.test("a forged NON_MAIN_ARENA bit sends the tier to heap_info as JavaScript goes", () => {
  for (const glibc of VERSIONS) {
    bothWays(glibc, (heap, step) => {
      const [a] = withFullTcache(heap, 40, 1);
      poke(heap, a - 8, 0x45); // a 0x40 chunk of a thread heap whose heap_info is not mapped
      step(() => heap.free(a));
    });
  }
});
