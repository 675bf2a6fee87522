/**
 * memory.ts's fast paths (read16 … write64) spell PAGE_SIZE as 4096 and TLB_SIZE - 1 as a
 * literal mask, for less bytecode; this keeps those literals in step with the constants, so a
 * change of TLB_SIZE that misses a fast path (or the note about them) fails here, not as a
 * TLB that silently aliases pages.
 */

import assert from "node:assert/strict";
import { PAGE_SIZE } from "../../src/kernel/vma.ts";

const source = Deno.readTextFileSync(new URL("../../src/kernel/memory.ts", import.meta.url));

Deno.test("memory.ts's fast-path literals equal TLB_SIZE - 1 and PAGE_SIZE", () => {
  const tlbSize = Number(/^const TLB_SIZE = (\d+);$/m.exec(source)?.[1]);
  assert.ok(tlbSize > 0 && (tlbSize & (tlbSize - 1)) === 0, "TLB_SIZE is a power of two");
  const masks = [...source.matchAll(/\bk = no & (\d+);/g)].map((m) => Number(m[1]));
  assert.equal(masks.length, 6, "one mask per fast path (read16 … write64)");
  for (const mask of masks) assert.equal(mask, tlbSize - 1);
  const pages = [...source.matchAll(/Math\.floor\(addr \/ (\d+)\)/g)].map((m) => Number(m[1]));
  assert.ok(pages.length >= 6);
  for (const page of pages) assert.equal(page, PAGE_SIZE);
  // The note that explains the literals names the same mask.
  assert.match(source, new RegExp(`TLB_SIZE - 1 as ${tlbSize - 1}\\b`));
});
