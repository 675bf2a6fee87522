/**
 * unsorted_bin_attack: overwrite the bk of a chunk in the unsorted bin with &target - 2 words.
 * When malloc takes the chunk out, it writes the unsorted bin's address (main_arena + N, a
 * libc address) into target. glibc 2.29 checks `victim->bk->fd == victim` first and aborts.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique } from "./support.ts";

const REQUEST = 0x410; // past the tcache

technique({
  name: "unsorted_bin_attack",
  claim: "malloc writes main_arena's unsorted bin address into a global",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): unsorted double linked list corrupted",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const p = h.malloc(REQUEST);
    h.malloc(500); // keeps p away from top
    h.free(p);
    assert.deepEqual(h.bins().unsorted.chunks, [lab.chunk(p)]);
    const target = lab.global();
    lab.vulnerability();
    lab.setWord(p, 1, target - 2 * sz); // use after free: p->bk
    assert.equal(h.malloc(REQUEST), p);
    const unsortedBin = h.mainArena + lab.profile.arena.top; // bin_at (av, 1)
    assert.equal(lab.read(target), unsortedBin);
  },
});
