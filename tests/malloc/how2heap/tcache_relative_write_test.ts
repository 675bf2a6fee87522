/**
 * tcache_relative_write: a large bin attack writes a heap address into `mp_.tcache_bins` (found
 * from a libc leak), so the tcache takes chunks of any size. Freeing a chunk of a size far past
 * the 64 real bins makes `tcache_put` write the chunk's address into `entries[idx]` and count it
 * in `counts[idx]` — words at a chosen distance past the tcache_perthread_struct, inside the
 * heap: a write relative to the tcache. Here the distance is chosen to land on a victim chunk's
 * fd, which then names the freed chunk; and malloc of that size gives the chunk back from the
 * widened tcache. Before 2.30 the large bin attack of the current program did not exist in this
 * form (see large_bin_attack), so the technique is run from 2.31.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique } from "./support.ts";

technique({
  name: "tcache_relative_write",
  claim: "freeing a huge chunk writes its address at a chosen offset past the tcache",
  outcomes: on(["2.31", "2.35", "2.36", "2.39", "2.41"], "works"),
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const base = lab.leakLibcBase();
    const facts = lab.libcOffset("mp_");
    const tcacheBins = base + facts + mallocParOffset(lab, "tcacheBins");
    const tcache = lab.read(h.libc.tcacheSlot(lab.proc.mainThread));
    // the large bin attack of large_bin_attack, aimed at mp_.tcache_bins
    const p1 = h.malloc(0x428);
    h.malloc(0x18);
    const p2 = h.malloc(0x418);
    h.malloc(0x18);
    const victim = h.malloc(0x18);
    h.free(p1);
    h.malloc(0x438);
    h.free(p2);
    lab.vulnerability();
    lab.setWord(p1, 3, tcacheBins - 4 * sz);
    h.malloc(0x438);
    assert.equal(lab.read(tcacheBins), lab.chunk(p2), "mp_.tcache_bins is a heap address");
    // entries[idx] at tcache + counts + idx words: pick idx so that it is victim's fd
    const countsBytes = 2 * lab.profile.tcacheMaxBins;
    const idx = (victim - tcache - countsBytes) / sz;
    const size = idx * lab.profile.mallocAlignment + lab.profile.minSize;
    const huge = h.malloc(size - 2 * sz);
    h.malloc(0x18);
    h.free(huge);
    assert.equal(lab.read(victim), huge, "victim's fd names the freed chunk");
    assert.equal(h.malloc(size - 2 * sz), huge);
  },
});

function mallocParOffset(lab: Lab, field: string): number {
  return lab.allocator.libc.build.facts.mallocPar[field];
}
