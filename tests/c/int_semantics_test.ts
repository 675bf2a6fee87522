/**
 * C's integer rules in heaplab's interpreter: int_semantics.c prints, line for line, what gcc's
 * build of it printed on x86_64 (LP64) and on i386 (ILP32) (tests/fixtures/c/int_semantics/,
 * made by make_expected.sh): sizes and layouts, shifts, wraparound, signed/unsigned comparison,
 * promotions, pointer differences and casts of 0xffffffffffffffff.
 */

import assert from "node:assert/strict";
import { fixture, runC } from "./c_support.ts";

const SOURCE = fixture("int_semantics/int_semantics.c");

for (const arch of ["x86_64", "i386"] as const) {
  Deno.test({
    name: `integer expressions evaluate as gcc's ${arch} build evaluates them`,
    ignore: runC === undefined,
    fn() {
      const expected = fixture(`int_semantics/expected-${arch}.txt`).split("\n");
      const result = runC!(SOURCE, { file: "int_semantics.c", arch });
      if (result.state === "error") throw result.error;
      assert.equal(result.state, "exited");
      assert.equal(result.exitStatus, 0);
      const got = result.stdout.split("\n");
      // line by line, so that a failure names the first expression that differs
      for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `line ${i + 1}`);
      assert.equal(got.length, expected.length);
    },
  });
}
