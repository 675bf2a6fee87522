/**
 * __free_hook overwrite by tcache poisoning, end to end: leak libc's base from an unsorted
 * chunk, poison a tcache link so that malloc returns `&__free_hook`, write `system` there, and
 * free a chunk holding "/bin/sh": free() calls system("/bin/sh"). glibc 2.34 removed the hooks
 * from malloc: the symbol is still in libc.so.6 but free() never reads it. On 2.35+ the attempt
 * ends earlier anyway: `&__free_hook` is 8 mod 16 in every build, and tcache_get's alignment
 * check (2.32) aborts; an aligned target 8 bytes below lets malloc return it, and writing
 * system into the hook then changes nothing.
 */

import assert from "node:assert/strict";
import { type Lab, on, SAFE_LINKING_VERSIONS, technique } from "./support.ts";

const REQUEST = 0x68;

/** Makes malloc(REQUEST) return `target` by poisoning a tcache link; returns it. */
function poisonTo(lab: Lab, target: number): number {
  const h = lab.heap;
  const a = h.malloc(REQUEST), b = h.malloc(REQUEST);
  h.free(a);
  h.free(b);
  lab.vulnerability();
  lab.write(b, lab.protect(b, target)); // use after free of b
  h.malloc(REQUEST);
  return h.malloc(REQUEST);
}

technique({
  name: "__free_hook via tcache_poisoning",
  claim: "free() runs system",
  outcomes: {
    "2.27": { shell: "/bin/sh", via: "__free_hook", in: "free" },
    "2.31": { shell: "/bin/sh", via: "__free_hook", in: "free" },
    ...on(SAFE_LINKING_VERSIONS, {
      aborts: "malloc(): unaligned tcache chunk detected",
      in: "malloc",
    }),
  },
  run(lab: Lab) {
    const base = lab.leakLibcBase();
    const hook = base + lab.libcOffset("__free_hook");
    const binsh = lab.heap.malloc(0x20);
    lab.writeString(binsh, "/bin/sh");
    assert.equal(poisonTo(lab, hook), hook);
    lab.write(hook, base + lab.libcOffset("system"));
    lab.heap.free(binsh);
  },
});

technique({
  name: "__free_hook via tcache_poisoning (aligned target below the hook)",
  claim: "free() runs system",
  outcomes: on(SAFE_LINKING_VERSIONS, {
    fails: "glibc 2.34 removed the malloc hooks: free() never reads __free_hook",
    assertion: "free() ran system",
  }),
  run(lab: Lab) {
    const base = lab.leakLibcBase();
    const hook = base + lab.libcOffset("__free_hook");
    const binsh = lab.heap.malloc(0x20);
    lab.writeString(binsh, "/bin/sh");
    const got = poisonTo(lab, hook - 8);
    assert.equal(got, hook - 8, "malloc returns the aligned target");
    lab.setWord(got, 1, base + lab.libcOffset("system"));
    lab.heap.free(binsh);
    assert.equal(lab.allocator.events.length, 1, "free() ran system");
  },
});
