/**
 * fastbin_dup: a double free that glibc's fastbin check cannot see. free() only compares the
 * chunk with the head of its fastbin ("double free or corruption (fasttop)"), so freeing
 * a, b, a links `a` twice and three mallocs hand out a, b, a. On tcache builds the tcache bin
 * is filled first so the frees reach the fastbin, then emptied so the mallocs reach it; the
 * first fastbin hit then stashes the looped list into the tcache, which serves a again.
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

const REQUEST = 8;

technique({
  name: "fastbin_dup",
  claim: "free(a), free(b), free(a) makes malloc return a twice",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: no fastbins. With the tcache bin full, a and b go to the small bins and merge;
    // the second free(a) frees the merged chunk's head unseen, and the bins it corrupts crash
    // the later mallocs.
    ...on(NO_FASTBIN_VERSIONS, { crashes: "no fastbins: the repeated free corrupts the bins" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const fillers = lab.tcacheFillers(REQUEST);
    const a = h.malloc(REQUEST), b = h.malloc(REQUEST), c = h.malloc(REQUEST);
    assert.ok(a && b && c);
    lab.freeAll(fillers);
    h.free(a);
    h.free(b);
    lab.vulnerability();
    h.free(a); // the double free: a is no longer the fastbin's head
    lab.mallocs(fillers.length, REQUEST); // empty the tcache
    const first = h.malloc(REQUEST);
    const second = h.malloc(REQUEST);
    const third = h.malloc(REQUEST);
    assert.equal(first, a);
    assert.equal(second, b);
    assert.equal(third, a);
  },
});

// Without the intervening free of b, the fasttop check catches the double free everywhere.
technique({
  name: "fastbin_dup (free twice in a row)",
  outcomes: {
    ...on(FASTBIN_VERSIONS, { aborts: "double free or corruption (fasttop)", in: "free" }),
    // 2.43+: a went to its small bin, so the next chunk's PREV_INUSE is clear.
    ...on(NO_FASTBIN_VERSIONS, { aborts: "double free or corruption (!prev)", in: "free" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const fillers = lab.tcacheFillers(REQUEST);
    const a = h.malloc(REQUEST);
    h.malloc(REQUEST);
    lab.freeAll(fillers);
    h.free(a);
    lab.vulnerability();
    h.free(a); // a is the head of its fastbin
  },
});
