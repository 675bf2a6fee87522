/**
 * Source nested deeper than heaplab's recursive parser, compiler or evaluator can follow on
 * JavaScript's stack — which gcc compiles — is refused by name (a `CUnsupportedError` at its line
 * naming the stage), never left as the engine's "Maximum call stack size exceeded" RangeError;
 * nesting of a few hundred levels runs.
 */

import assert from "node:assert/strict";
import { CUnsupportedError, runC } from "../../mod.ts";

/** main declaring `long r = EXPR;` on line 4, then printing r. */
function program(expr: string): string {
  return `#include <stdio.h>
int f(int a) { return a; }
int main(void) {
  int x = 1; long r = ${expr};
  printf("%ld\\n", r);
  return 0;
}`;
}

function refusal(expr: string): CUnsupportedError {
  try {
    const r = runC(program(expr), { glibc: "2.36", stdout: "pipe" });
    assert.ok(r.error instanceof CUnsupportedError, `${r.state} ${r.error}`);
    return r.error;
  } catch (e) {
    assert.ok(e instanceof CUnsupportedError, String(e));
    return e;
  }
}

Deno.test("parentheses nested 300 deep run", () => {
  const r = runC(program("(".repeat(300) + "x" + ")".repeat(300)), {
    glibc: "2.36",
    stdout: "pipe",
  });
  assert.equal(r.stdout, "1\n");
});

Deno.test("parentheses nested 100000 deep are refused by name by the parser", () => {
  const e = refusal("(".repeat(100_000) + "x" + ")".repeat(100_000));
  assert.equal(e.line, 4);
  assert.match(e.message, /source nested too deeply for heaplab's parser/);
});

Deno.test("a sum of 1000 terms runs; one of 100000 is refused by name by the compiler", () => {
  const r = runC(program(Array(1000).fill("x").join("+")), { glibc: "2.36", stdout: "pipe" });
  assert.equal(r.stdout, "1000\n");
  const e = refusal(Array(100_000).fill("f(x)").join("+"));
  assert.ok(e.line === 3 || e.line === 4, String(e.line)); // main's line, or its statement's
  assert.match(e.message, /source nested too deeply for heaplab's compiler/);
});

Deno.test("calls nested 100000 deep in an argument are refused by name", () => {
  const e = refusal("f(".repeat(100_000) + "x" + ")".repeat(100_000));
  assert.match(e.message, /source nested too deeply for heaplab's (parser|compiler)/);
});
