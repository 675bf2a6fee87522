/**
 * Macro invocations nested thousands deep make expansion quadratic (gcc too takes tens of
 * seconds on them): past `EXPANSION_BUDGET` tokens scanned, collected or substituted for one line,
 * expansion is refused by name — a `CUnsupportedError` at the line — rather than left to run for
 * minutes with no step limit to stop it. A thousand nested invocations expand.
 */

import assert from "node:assert/strict";
import { CUnsupportedError, runC } from "../../mod.ts";

/** `levels` macros, each invoking the one before ten times nested, around A(x) = `a`. */
function nested(levels: number, a: string): string {
  let defs = `#define A(x) ${a}\n`, prev = "A";
  for (let i = 0; i < levels; i++) {
    const name = "BCDE"[i];
    defs += `#define ${name}(x) ${`${prev}(`.repeat(10)}x${")".repeat(10)}\n`;
    prev = name;
  }
  return `#include <stdio.h>\n${defs}int main(void) {\n  printf("%d\\n", ${prev}(7));\n  return 0;\n}`;
}

Deno.test("macro invocations nested 10000 deep expand when their expansion stays short", () => {
  const r = runC(nested(4, "x"), { glibc: "2.36", stdout: "pipe" });
  assert.equal(r.stdout, "7\n", r.error?.message);
});

Deno.test("macro invocations nested 1000 deep expand", () => {
  const r = runC(nested(3, "x"), { glibc: "2.36", stdout: "pipe" });
  assert.equal(r.stdout, "7\n", r.error?.message);
});

Deno.test("macro invocations nested 10000 deep, each adding a pair of parentheses, are refused by name at their line", () => {
  assert.throws(
    () => runC(nested(4, "(x)"), { glibc: "2.36", stdout: "pipe" }),
    (e) =>
      e instanceof CUnsupportedError && e.line === 8 &&
      /macro expansion past 20000000 tokens on one line/.test(e.message),
  );
});
