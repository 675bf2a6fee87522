/**
 * Constant expressions as gcc 12 folds them at -O0 (`src/c/constant_folding.ts`): the programs of
 * tests/fixtures/c/constant_folding/, run by heaplab, print and exit as their gcc builds did on
 * each x86_64 oracle build (and on i386 glibc 2.36) — shifts by the width or more folded, a
 * negative count and a variable's left to x86's masking; INT_MIN / -1 folded, and x / -1
 * rewritten as a negation; a division by a constant 0 trapping at run time; floating constants
 * converted to integers saturating, where a variable's conversion gives x86's "indefinite".
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const DIR = "constant_folding";

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`constant expressions print what gcc 12 folded them to, on glibc ${glibc}`, () => {
    runAsReal(DIR, "constant_folding", glibc);
  });

  Deno.test(`a division by a constant 0 raises SIGFPE at run time, on glibc ${glibc}`, () => {
    const r = runAsReal(DIR, "div_zero", glibc);
    assert.match(r.error?.message ?? "", /division by zero/);
  });

  Deno.test(`INT_MIN / -1 of two variables raises SIGFPE, on glibc ${glibc}`, () => {
    runAsReal(DIR, "int_min_div", glibc);
  });

  // NaN's sign is not modelled: every NaN prints as "nan", where x86's default NaN prints -nan.
  Deno.test(`a NaN computed at run time prints as nan, its sign aside, on glibc ${glibc}`, () => {
    const r = runC(fixture(`${DIR}/nan_print.c`), {
      glibc,
      file: "nan_print.c",
      stdout: "file",
      stdin: "",
      gccBuiltins: false,
    });
    const real = fixture(`${DIR}/nan_print/${glibc}/stdout`);
    assert.match(real, /-nan/);
    assert.equal(r.stdout, real.replaceAll("-nan", "nan"));
  });
}

Deno.test("constant expressions print what gcc 12 -m32 folded them to, on i386 glibc 2.36", () => {
  const r = runC(fixture(`${DIR}/constant_folding.c`), {
    file: "constant_folding.c",
    glibc: "2.36",
    arch: "i386",
    gccBuiltins: false,
  });
  if (r.state === "error") throw r.error;
  assert.equal(r.stdout, fixture(`${DIR}/constant_folding/i386.out`));
});
