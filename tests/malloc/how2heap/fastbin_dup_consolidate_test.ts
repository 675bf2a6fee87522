/**
 * fastbin_dup_consolidate: a large request runs malloc_consolidate, which merges a freed fast
 * chunk into the top chunk; the large chunk is then carved from top at the same address. The
 * stale pointer to the fast chunk now names the large chunk, so freeing it again is a double
 * free glibc cannot see (the chunk is legitimately in use), and two pointers share one chunk.
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

const FAST = 0x20;
const LARGE = 0x400; // a large-bin request: malloc consolidates the fastbins first

technique({
  name: "fastbin_dup_consolidate",
  claim: "a stale fastbin pointer and a live large chunk share one address",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: p1 goes to its small bin (or top), never to a fastbin, and nothing consolidates.
    ...on(NO_FASTBIN_VERSIONS, { fails: "no fastbins", assertion: "p1 is in a fastbin" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const fillers = lab.tcacheFillers(FAST);
    const p1 = h.malloc(FAST); // the last chunk before top
    lab.freeAll(fillers);
    h.free(p1);
    assert.equal(
      h.bins().fastbins.find((f) => f.chunks.length > 0)?.chunks[0],
      lab.chunk(p1),
      "p1 is in a fastbin",
    );
    const p2 = h.malloc(LARGE);
    assert.equal(p2, p1);
    h.free(p1); // the double free, seen by glibc as a normal free of p2
    const p3 = h.malloc(LARGE);
    assert.equal(p3, p2);
  },
});
