/**
 * overlapping_chunks: enlarge the size of a chunk in the unsorted bin so that it covers the
 * next (in-use) chunk; malloc of the enlarged size returns a chunk overlapping it. glibc 2.29
 * checks the chunk after an unsorted chunk (its size and its prev_size) and aborts.
 * The 2.29+ program enlarges an in-use chunk before freeing it so that it reaches top and is
 * merged into it; malloc then carves the overlapping chunk from top.
 */

import assert from "node:assert/strict";
import { GLIBC_VERSIONS, type Lab, on, technique } from "./support.ts";

technique({
  name: "overlapping_chunks",
  claim: "a freed chunk with an enlarged size is handed out over its neighbour",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): mismatching next->prev_size (unsorted)",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    h.malloc(0x500 - 8);
    const p2 = h.malloc(0x500 - 8);
    const p3 = h.malloc(0x80 - 8);
    h.free(p2);
    const evil = lab.chunkSize(0x500 - 8) + lab.chunkSize(0x80 - 8);
    lab.vulnerability();
    lab.setWord(p2, -1, evil | 1);
    const p4 = h.malloc(evil - sz);
    assert.equal(p4, p2);
    assert.ok(p4 < p3 && p3 < p4 + evil - sz, "p4 covers p3");
  },
});

technique({
  name: "overlapping_chunks (enlarge before free)",
  claim: "an in-use chunk enlarged over its neighbour is freed into top and reissued",
  outcomes: on(GLIBC_VERSIONS, "works"),
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    h.malloc(0x80 - 8);
    const p2 = h.malloc(0x500 - 8);
    const p3 = h.malloc(0x80 - 8);
    const evil = lab.chunkSize(0x500 - 8) + lab.chunkSize(0x80 - 8);
    lab.vulnerability();
    lab.setWord(p2, -1, evil | 1); // now ends where top starts
    h.free(p2);
    const p4 = h.malloc(evil - sz);
    assert.equal(p4, p2);
    assert.ok(p4 < p3 && p3 < p4 + evil - sz, "p4 covers p3");
  },
});
