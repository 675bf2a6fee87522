/**
 * tcache_dup: the tcache of glibc 2.26 to 2.28 has no double-free check at all, so free(a)
 * twice puts a in its tcache bin twice and malloc returns it twice. glibc 2.29 added the
 * tcache key, which makes the second free walk the bin and abort. Without a tcache (2.23) the
 * same two frees meet the fastbin's fasttop check.
 */

import assert from "node:assert/strict";
import { type Lab, on, TCACHE_VERSIONS, technique } from "./support.ts";

const REQUEST = 8;

technique({
  name: "tcache_dup",
  claim: "free(a) twice makes malloc return a twice",
  outcomes: {
    "2.23": { aborts: "double free or corruption (fasttop)", in: "free" },
    ...on(TCACHE_VERSIONS.filter((v) => v !== "2.27"), {
      aborts: "free(): double free detected in tcache 2",
      in: "free",
    }),
    "2.27": "works",
  },
  run(lab: Lab) {
    const h = lab.heap;
    const a = h.malloc(REQUEST);
    h.free(a);
    lab.vulnerability();
    h.free(a);
    assert.equal(h.malloc(REQUEST), a);
    assert.equal(h.malloc(REQUEST), a);
  },
});
