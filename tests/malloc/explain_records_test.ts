/**
 * Explain records, when asked for, say exactly what they said before the allocator's fast path
 * was reworked for speed (the records saved by tests/fixtures/explain/make.ts).
 */

import assert from "node:assert/strict";
import { EXPLAIN_TRACES, explainFixture, explainRecords } from "./explain_records.ts";

for (const { trace, glibc, arch } of EXPLAIN_TRACES) {
  Deno.test(`explain records of ${trace} on glibc ${glibc} ${arch} are unchanged`, () => {
    const text = Deno.readTextFileSync(`tests/fixtures/${trace}`);
    const expected = Deno.readTextFileSync(explainFixture(trace, glibc, arch)).split("\n");
    const actual = explainRecords(text, glibc, arch).split("\n");
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      assert.equal(actual[i], expected[i], `record ${i + 1} differs`);
    }
  });
}
