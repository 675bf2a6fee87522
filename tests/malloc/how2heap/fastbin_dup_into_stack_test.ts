/**
 * fastbin_dup_into_stack: fastbin_dup, then a write into the duplicated chunk while it is both
 * allocated and still linked in the fastbin. Its fd now names a fake chunk outside the heap
 * (here: in an mmapped region standing in for the stack), whose size field matches the fastbin
 * so that "malloc(): memory corruption (fast)" passes; the next allocations walk into it.
 *
 * Up to glibc 2.40 calloc never takes from the tcache, so with the tcache bin full the frees
 * and the callocs both meet the fastbin. glibc 2.41's calloc does use the tcache: the tcache
 * is emptied first, the first fastbin hit stashes the looped list into the tcache, and the
 * write poisons the tcache link instead (which points at user data, not at a chunk header).
 */

import assert from "node:assert/strict";
import { FASTBIN_VERSIONS, type Lab, NO_FASTBIN_VERSIONS, on, technique } from "./support.ts";

const REQUEST = 8;

technique({
  name: "fastbin_dup_into_stack",
  claim: "calloc returns a fake chunk on the stack",
  outcomes: {
    ...on(FASTBIN_VERSIONS, "works"),
    // 2.43+: no fastbins; the double free corrupts the small bins and the program crashes.
    ...on(NO_FASTBIN_VERSIONS, { crashes: "no fastbins: the repeated free corrupts the bins" }),
  },
  run(lab: Lab) {
    const h = lab.heap;
    const target = lab.stackTarget();
    const fillers = lab.tcacheFillers(REQUEST);
    const a = h.calloc(1, REQUEST), b = h.calloc(1, REQUEST);
    h.calloc(1, REQUEST);
    lab.freeAll(fillers);
    h.free(a);
    h.free(b);
    lab.vulnerability();
    h.free(a); // fastbin: a -> b -> a
    if (lab.profile.callocUsesTcache) lab.mallocs(fillers.length, REQUEST);
    const d = h.calloc(1, REQUEST);
    assert.equal(d, a);
    assert.equal(h.calloc(1, REQUEST), b);
    // The fake chunk's size must put it in the same bin as the request.
    lab.write(target - lab.sz, lab.chunkSize(REQUEST));
    // a is both ours (d) and still a free-list entry: aim its link at the fake chunk.
    const link = lab.profile.callocUsesTcache ? target : lab.chunk(target);
    lab.write(d, lab.protect(d, link));
    assert.equal(h.calloc(1, REQUEST), a);
    assert.equal(h.calloc(1, REQUEST), target);
  },
});

/** fastbin_dup_into_stack with a fake chunk 8 bytes off 16-byte alignment. */
function misaligned(lab: Lab, threads: boolean): void {
  const h = lab.heap;
  if (threads) lab.proc.pthreadCreate(); // the process is no longer SINGLE_THREAD_P
  const target = lab.stackTarget() + 8;
  const fillers = lab.tcacheFillers(REQUEST);
  const a = h.calloc(1, REQUEST), b = h.calloc(1, REQUEST);
  h.calloc(1, REQUEST);
  lab.freeAll(fillers);
  h.free(a);
  h.free(b);
  lab.vulnerability();
  h.free(a);
  if (lab.profile.callocUsesTcache) lab.mallocs(fillers.length, REQUEST);
  const d = h.calloc(1, REQUEST);
  h.calloc(1, REQUEST);
  lab.write(target - lab.sz, lab.chunkSize(REQUEST));
  const link = lab.profile.callocUsesTcache ? target : lab.chunk(target);
  lab.write(d, lab.protect(d, link));
  h.calloc(1, REQUEST);
  assert.equal(h.calloc(1, REQUEST), target);
}

// A fake chunk that is not 16-byte aligned: glibc 2.32 checks the alignment of a fastbin
// head before taking it (and of tcache entries, which 2.41's route goes through).
technique({
  name: "fastbin_dup_into_stack (misaligned fake chunk)",
  claim: "calloc returns a misaligned fake chunk",
  arches: ["x86_64"],
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    "2.31": "works",
    "2.35": { aborts: "malloc(): unaligned fastbin chunk detected 2", in: "calloc" },
    "2.36": { aborts: "malloc(): unaligned fastbin chunk detected 2", in: "calloc" },
    "2.39": { aborts: "malloc(): unaligned fastbin chunk detected 2", in: "calloc" },
    "2.41": { aborts: "malloc(): unaligned tcache chunk detected", in: "calloc" },
    "2.42": { aborts: "malloc(): unaligned tcache chunk detected", in: "calloc" },
    ...on(NO_FASTBIN_VERSIONS, { crashes: "no fastbins: the repeated free corrupts the bins" }),
  },
  run: (lab) => misaligned(lab, false),
});

// Once the process has a second thread, malloc unlinks fastbin heads with REMOVE_FB, which
// (2.32+) checks the alignment of the new head as it takes the chunk before it: one calloc
// earlier, and without the "2".
technique({
  name: "fastbin_dup_into_stack (misaligned fake chunk, two threads)",
  claim: "calloc returns a misaligned fake chunk",
  arches: ["x86_64"],
  outcomes: {
    "2.23": "works",
    "2.27": "works",
    "2.31": "works",
    "2.35": { aborts: "malloc(): unaligned fastbin chunk detected", in: "calloc" },
    "2.36": { aborts: "malloc(): unaligned fastbin chunk detected", in: "calloc" },
    "2.39": { aborts: "malloc(): unaligned fastbin chunk detected", in: "calloc" },
    "2.41": { aborts: "malloc(): unaligned tcache chunk detected", in: "calloc" },
    "2.42": { aborts: "malloc(): unaligned tcache chunk detected", in: "calloc" },
    ...on(NO_FASTBIN_VERSIONS, { crashes: "no fastbins: the repeated free corrupts the bins" }),
  },
  run: (lab) => misaligned(lab, true),
});
