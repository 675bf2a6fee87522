// The hot paths take shortcuts: the arithmetic (safe-linking's PROTECT_PTR, csize2tidx,
// heap_for_ptr) for the usual values — shifts, truncations, no floating-point remainder —, the
// 64-bit chunk access without a word-size test, and the Allocator's malloc and free, chosen once
// from the glibc profile. These tests hold each shortcut
// to the plain formula or entry point, on the values it takes and on the edges around them.

import assert from "node:assert/strict";
import { BinIndex } from "../../src/malloc/bins.ts";
import { ChunkMemory, ChunkMemory64 } from "../../src/malloc/chunk.ts";
import { MallocContext } from "../../src/malloc/context.ts";
import { GLIBC_VERSIONS, glibcProfile } from "../../src/malloc/profile.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { libcFree, libcMalloc } from "../../src/malloc/libc_malloc.ts";
import { Process } from "../../src/kernel/process.ts";
import { words32, words64 } from "../../src/kernel/word.ts";

/** A deterministic stream of integers below `limit` (xorshift). */
function* integers(count: number, limit: number, seed = 7): Generator<number> {
  let s = seed;
  for (let i = 0; i < count; i++) {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    const hi = (s >>> 0) / 2 ** 32;
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    yield Math.floor((hi + (s >>> 0) / 2 ** 64) * limit);
  }
}

Deno.test("PROTECT_PTR equals (pos >> 12) ^ ptr on whole 64-bit and 32-bit words", () => {
  const process = new Process({ layout: "x86_64" });
  const chunks = new ChunkMemory(process.memory, words64, glibcProfile("2.36", "x86_64"));
  const slow = (pos: number, ptr: number) => words64.xor(Math.floor(pos / 4096), ptr);
  const edges = [0, 1, 0xfff, 0x1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 44, 2 ** 47 - 16];
  const values = [...edges, ...integers(2000, 2 ** 53), ...integers(2000, 2 ** 48)];
  for (const pos of values) {
    for (const ptr of [...edges, -1, -(2 ** 40), 2 ** 53 - 1, pos + 16]) {
      assert.equal(chunks.protect(pos, ptr), slow(pos, ptr), `pos ${pos}, ptr ${ptr}`);
    }
  }
  const process32 = new Process({ arch: "i386", layout: "i386" });
  const chunks32 = new ChunkMemory(process32.memory, words32, glibcProfile("2.36", "i386"));
  for (const pos of integers(2000, 2 ** 32)) {
    for (const ptr of [0, 0xffff_fff0, pos]) {
      assert.equal(chunks32.protect(pos, ptr), words32.xor(Math.floor(pos / 4096), ptr));
    }
  }
});

Deno.test("64-bit chunk access reads, writes and compares words as the generic one does", () => {
  const process = new Process({ layout: "x86_64" });
  const profile = glibcProfile("2.36", "x86_64");
  const plain = new ChunkMemory(process.memory, words64, profile);
  const fast = ChunkMemory.of(process.memory, words64, profile);
  assert.ok(fast instanceof ChunkMemory64);
  assert.ok(
    !(ChunkMemory.of(process.memory, words32, glibcProfile("2.36", "i386")) instanceof
      ChunkMemory64),
  );
  const base = process.sys.mmap(0, 4096, 3, 0x22);
  const words = [0, 1, 7, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 47 - 16, 2 ** 53 - 1, -1, -(2 ** 40)];
  for (const [k, v] of [...words, ...integers(500, 2 ** 53)].entries()) {
    const at = base + 8 * (k % 512);
    fast.setWord(at, v);
    assert.equal(plain.word(at), v, `word ${v}`);
    plain.setWord(at, v);
    assert.equal(fast.word(at), v, `word ${v}`);
  }
  for (const a of words) {
    for (const b of words) {
      assert.equal(fast.lt(a, b), plain.lt(a, b), `${a} < ${b}`);
      assert.equal(fast.le(a, b), plain.le(a, b), `${a} <= ${b}`);
    }
  }
});

Deno.test("csize2tidx is glibc's unsigned (size - MINSIZE [+ MALLOC_ALIGNMENT - 1]) / MALLOC_ALIGNMENT", () => {
  for (const [version, arch] of [["2.36", "x86_64"], ["2.31", "i386"], ["2.43", "x86_64"]]) {
    const profile = glibcProfile(version, arch as "x86_64" | "i386");
    const bins = new BinIndex(profile);
    const align = profile.mallocAlignment;
    // Up to 2.42 a size rounds up to its bin, from 2.43 down; below the bias the unsigned
    // difference wraps to a huge index.
    const bias = profile.tcacheIndexRoundsUp ? profile.minSize - align + 1 : profile.minSize;
    const slow = (size: number) => size < bias ? Infinity : Math.floor((size - bias) / align);
    const sizes = [0, 1, 8, 16, 31, 32, 33, 0x410, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 16, 2 ** 53, -1];
    for (const size of [...sizes, ...integers(3000, 2 ** 40), ...integers(3000, 0x10000)]) {
      assert.equal(bins.tcacheIndex(size), slow(size), `${version} ${arch} size ${size}`);
    }
  }
});

Deno.test("heap_for_ptr rounds down to HEAP_MAX_SIZE on every address", () => {
  const process = new Process({ layout: "x86_64" });
  const profile = glibcProfile("2.36", "x86_64");
  const m = new MallocContext(process, profile, { nprocs: 2, explain: false, seed: 1 });
  const max = profile.heapMaxSize;
  for (const p of [0, 1, max - 1, max, 2 ** 47 - 1, -1, -(2 ** 40), ...integers(3000, 2 ** 48)]) {
    assert.equal(m.heapForPtr(p), p - (p % max), `p ${p}`);
  }
});

Deno.test("the malloc and free an Allocator picks for its glibc behave as __libc_malloc and __libc_free", () => {
  for (const version of GLIBC_VERSIONS) {
    for (const arch of ["x86_64", "i386"] as const) {
      const picked = new Allocator(new Process({ arch, layout: arch }), { glibc: version });
      const plain = new Allocator(new Process({ arch, layout: arch }), { glibc: version });
      const m = plain.context;
      const live: [number, number][] = [];
      for (const [k, size] of [...integers(300, 5000, 3)].entries()) {
        if (k % 3 === 2 && live.length > 0) {
          const [a, b] = live.splice(size % live.length, 1)[0];
          picked.free(a);
          libcFree(m, b);
        } else {
          const a = picked.malloc(size), b = libcMalloc(m, size);
          assert.equal(a, b, `${version} ${arch}: malloc(${size})`);
          live.push([a, b]);
        }
      }
      assert.deepEqual(picked.bins(), plain.bins(), `${version} ${arch}`);
      assert.deepEqual(picked.tcache(), plain.tcache(), `${version} ${arch}`);
    }
  }
});
