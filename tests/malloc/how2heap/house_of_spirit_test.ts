/**
 * house_of_spirit: free() a pointer into memory the attacker controls (here a fake stack) after
 * writing two plausible size fields: the fake chunk's (a fastbin size, flags clear) and the
 * next chunk's (more than 2*SIZE_SZ and less than system_mem, the only check on a fast free).
 * The fake chunk enters the fastbin and a later allocation of that size returns it. On tcache
 * builds the tcache bin is full when the fake chunk is freed, and empty when it is claimed.
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

const REQUEST = 0x30;

technique({
  name: "house_of_spirit",
  claim: "free() of a fake stack chunk makes calloc return it",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: with the tcache bin full the fake chunk is merged, and it lies beyond the top.
    ...on(NO_FASTBIN_VERSIONS, { aborts: "double free or corruption (out)", in: "free" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    h.malloc(1); // sets the heap up (before it, glibc 2.23's free has no main arena to use)
    const fillers = lab.tcacheFillers(REQUEST);
    lab.freeAll(fillers);
    const victim = lab.stackTarget();
    const size = lab.chunkSize(REQUEST);
    lab.write(victim - lab.sz, size);
    lab.write(lab.chunk(victim) + size + lab.sz, 0x1234); // the next chunk's size
    lab.vulnerability();
    h.free(victim);
    assert.equal(h.bins().fastbins.find((f) => f.chunks.length > 0)?.chunks[0], lab.chunk(victim));
    lab.mallocs(fillers.length, REQUEST);
    assert.equal(h.calloc(1, REQUEST), victim);
  },
});

// The one check on a fast free of a fake chunk: the size of the chunk after it.
technique({
  name: "house_of_spirit (no next size)",
  outcomes: {
    ...on(FASTBIN_VERSIONS, { aborts: "free(): invalid next size (fast)", in: "free" }),
    ...on(NO_FASTBIN_VERSIONS, { aborts: "double free or corruption (out)", in: "free" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    h.malloc(1);
    lab.freeAll(lab.tcacheFillers(REQUEST));
    const victim = lab.stackTarget();
    lab.write(victim - lab.sz, lab.chunkSize(REQUEST));
    lab.vulnerability();
    h.free(victim);
  },
});
