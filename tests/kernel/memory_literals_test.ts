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
  // Each fast path: `const k = (addr >>> SHIFT) & MASK;` and the test `addr - (addr & OFFSET)`,
  // where OFFSET keeps the offset's bits above the access's alignment and SHIFT is
  // log2(PAGE_SIZE); its in-page helper takes the offset with the same OFFSET.
  const paths = [
    ...source.matchAll(
      /const k = \(addr >>> (\d+)\) & (\d+);\s+return this\.tlb(?:Read|Write)\[k\] === addr - \(addr & (\d+)\)\s*\?\s*this\.(\w+)\(/g,
    ),
  ];
  assert.equal(paths.length, 6, "one per fast path (read16 … write64)");
  const widths = [2, 4, 8, 2, 4, 8];
  paths.forEach(([, shift, mask, offset, helper], i) => {
    assert.equal(Number(mask), tlbSize - 1);
    assert.equal(2 ** Number(shift), PAGE_SIZE);
    assert.equal(Number(offset), PAGE_SIZE - widths[i]);
    const body = new RegExp(
      `private ${helper}\\(k: number, addr: number[^)]*\\): \\w+ \\{([\\s\\S]*?)\\n  \\}`,
    )
      .exec(source)?.[1] ?? "";
    const offsets = [...body.matchAll(/addr & (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(offsets.length > 0, `${helper} takes the offset in the page`);
    for (const o of offsets) assert.equal(o, Number(offset), `${helper}'s offset mask`);
  });
  // The note that explains the literals names the same mask.
  assert.match(source, new RegExp(`TLB_SIZE - 1 as ${tlbSize - 1}\\b`));
});
