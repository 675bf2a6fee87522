/**
 * mmap_overlapping_chunks: an mmapped chunk is freed by munmap of prev_size + size bytes from
 * its start. Enlarging a chunk's size to cover the mmapped chunk above it makes free() unmap
 * both; a later big allocation is mapped over the hole, and the second chunk's stale pointer
 * now aliases the new chunk.
 */

import assert from "node:assert/strict";
import { type Lab, on, technique, versionsWhere } from "./support.ts";
import { SegmentationFault } from "../../../src/kernel/errors.ts";

const BIG = 0x100000;

technique({
  name: "mmap_overlapping_chunks",
  claim: "a new mmapped chunk overlaps a chunk that is still in use",
  outcomes: {
    ...on(versionsWhere((p) => !p.mmapChunkTrailer), "works"),
    // 2.43+: an mmapped chunk ends CHUNK_HDR_SZ before its mapping, so the forged page-sized
    // size no longer adds up to whole pages.
    ...on(versionsWhere((p) => p.mmapChunkTrailer), {
      aborts: "munmap_chunk(): invalid pointer",
      in: "free",
    }),
  },
  run(lab: Lab) {
    const h = lab.heap, mem = lab.proc.memory;
    h.malloc(0x10);
    const top = h.malloc(BIG);
    const chunk2 = h.malloc(BIG);
    const chunk3 = h.malloc(BIG);
    assert.equal(h.mmappedChunks().length, 3);
    assert.ok(chunk3 < chunk2 && chunk2 < top, "mappings grow downwards");
    const size = (p: number) => lab.sizeField(p) - (lab.sizeField(p) & 7);
    // Cover chunk2's whole mapping (its chunk starts prev_size bytes into it on i386).
    const covering = size(chunk3) + lab.read(lab.chunk(chunk2)) + size(chunk2);
    lab.vulnerability();
    lab.setWord(chunk3, -1, covering | 2);
    h.free(chunk3); // munmaps chunk3 and chunk2
    assert.throws(() => mem.read8(chunk2), SegmentationFault);
    const overlapping = h.malloc(3 * BIG);
    assert.ok(overlapping <= chunk2 && chunk2 < overlapping + 3 * BIG, "covers chunk2");
    lab.write(overlapping + (chunk2 - overlapping), 0x11223344);
    assert.equal(lab.read(chunk2), 0x11223344);
  },
});
