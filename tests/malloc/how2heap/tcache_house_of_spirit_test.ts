/**
 * tcache_house_of_spirit: free() of a fake chunk goes to the tcache before any of the fastbin
 * checks, so only the fake chunk's own size has to be plausible (no next-chunk size is
 * needed); the next malloc of that size returns the fake chunk.
 */

import assert from "node:assert/strict";
import { type Lab, on, TCACHE_VERSIONS, technique } from "./support.ts";

const REQUEST = 0x30;

technique({
  name: "tcache_house_of_spirit",
  claim: "free() of a fake stack chunk with only a size makes malloc return it",
  outcomes: on(TCACHE_VERSIONS, "works"),
  run(lab: Lab) {
    const h = lab.heap;
    h.malloc(1); // initialises the heap and the tcache
    const victim = lab.stackTarget();
    lab.write(victim - lab.sz, lab.chunkSize(REQUEST));
    lab.vulnerability();
    h.free(victim);
    assert.deepEqual(h.tcache().bins.map((b) => b.chunks), [[lab.chunk(victim)]]);
    assert.equal(h.malloc(REQUEST), victim);
  },
});

// free() rejects a misaligned chunk before anything else, tcache or not.
technique({
  name: "tcache_house_of_spirit (misaligned fake chunk)",
  outcomes: on(TCACHE_VERSIONS, { aborts: "free(): invalid pointer", in: "free" }),
  run(lab: Lab) {
    const h = lab.heap;
    h.malloc(1);
    const victim = lab.stackTarget() + 8;
    lab.write(victim - lab.sz, lab.chunkSize(REQUEST));
    lab.vulnerability();
    h.free(victim);
  },
});
