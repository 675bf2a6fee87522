/**
 * tcache_poisoning: overwrite the next pointer of a chunk in a tcache bin; the second malloc
 * of that size returns whatever it names. tcache_get checks nothing before 2.32. From 2.32 the
 * link must be safe-linked (which needs a heap address) and the target 16-byte aligned, or
 * malloc aborts with "malloc(): unaligned tcache chunk detected".
 */

import assert from "node:assert/strict";
import { type Lab, on, SAFE_LINKING_VERSIONS, TCACHE_VERSIONS, technique } from "./support.ts";

const REQUEST = 128;

function poison(lab: Lab, target: number, mangle: boolean): void {
  const h = lab.heap;
  const a = h.malloc(REQUEST), b = h.malloc(REQUEST);
  h.free(a);
  h.free(b);
  lab.vulnerability();
  lab.write(b, mangle ? lab.protect(b, target) : target); // use after free of b
  assert.equal(h.malloc(REQUEST), b);
  assert.equal(h.malloc(REQUEST), target);
}

technique({
  name: "tcache_poisoning",
  claim: "malloc returns an arbitrary aligned address",
  outcomes: on(TCACHE_VERSIONS, "works"),
  run: (lab) => poison(lab, lab.stackTarget(), true),
});

technique({
  name: "tcache_poisoning (misaligned target)",
  claim: "malloc returns a misaligned address",
  outcomes: {
    "2.27": "works",
    "2.31": "works",
    ...on(SAFE_LINKING_VERSIONS, {
      aborts: "malloc(): unaligned tcache chunk detected",
      in: "malloc",
    }),
  },
  run: (lab) => poison(lab, lab.stackTarget() + 8, true),
});

technique({
  name: "tcache_poisoning (plain pointer under safe-linking)",
  claim: "an unmangled link reaches the target",
  // The plain pointer is revealed into a misaligned garbage address.
  outcomes: on(SAFE_LINKING_VERSIONS, {
    aborts: "malloc(): unaligned tcache chunk detected",
    in: "malloc",
  }),
  run: (lab) => poison(lab, lab.stackTarget(), false),
});

// With a single entry in the bin: glibc 2.26-2.29 only test that the bin's head is not NULL,
// so the poisoned link is followed; 2.30 tests the count, which is 0 after the first malloc,
// and the second malloc is served from elsewhere.
technique({
  name: "tcache_poisoning (one entry in the bin)",
  claim: "the poisoned link of a lone entry is followed",
  outcomes: {
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      fails: "tcache counts are checked",
      assertion: "the second malloc returns the target",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const target = lab.stackTarget();
    const a = h.malloc(REQUEST);
    h.malloc(REQUEST); // keeps a away from top
    h.free(a);
    lab.vulnerability();
    lab.write(a, lab.protect(a, target));
    assert.equal(h.malloc(REQUEST), a);
    assert.equal(h.malloc(REQUEST), target, "the second malloc returns the target");
  },
});
