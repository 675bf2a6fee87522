/**
 * C's integer rules in heaplab's interpreter: int_semantics.c prints, line for line, what gcc's
 * build of it printed on x86_64 (LP64) and on i386 (ILP32) (tests/fixtures/c/int_semantics/,
 * made by make_expected.sh): sizes and layouts, shifts, wraparound, signed/unsigned comparison,
 * promotions, pointer differences and casts of 0xffffffffffffffff.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";

const SOURCE = fixture("int_semantics/int_semantics.c");

for (const arch of ["x86_64", "i386"] as const) {
  Deno.test({
    name: `integer expressions evaluate as gcc's ${arch} build evaluates them`,
    fn() {
      const expected = fixture(`int_semantics/expected-${arch}.txt`).split("\n");
      const result = runC(SOURCE, { file: "int_semantics.c", arch });
      if (result.state === "error") throw result.error;
      assert.equal(result.state, "exited");
      assert.equal(result.exitStatus, 0);
      const got = result.stdout.split("\n");
      // every line that differs, so that a failure names each expression gcc disagrees with
      const differing = expected.flatMap((line, i) =>
        got[i] === line ? [] : [`line ${i + 1}: expected ${line}, got ${got[i]}`]
      );
      assert.deepEqual(differing, []);
      assert.equal(got.length, expected.length);
    },
  });
}
