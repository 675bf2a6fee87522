/**
 * Char arrays initialized from a string: compound literals `(char[]){"hi"}`, `(char[8]){"hi"}`,
 * `(unsigned char[]){"ab"}` (as a call's argument and inside a struct compound literal too) and
 * declarations' braced strings `char a[8] = {"hi"}` print what gcc 12's build of
 * tests/fixtures/c/compound_strings/compound_strings.c printed (make_expected.sh there): the size
 * from the string, the rest zeroed.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";

Deno.test("char arrays from strings in compound literals and braces are filled as gcc fills them", () => {
  const source = fixture("compound_strings/compound_strings.c");
  const result = runC(source, { file: "compound_strings.c", explain: false });
  if (result.error) throw result.error;
  assert.equal(result.exitStatus, 0);
  assert.equal(result.stdout, fixture("compound_strings/expected.txt"));
});
