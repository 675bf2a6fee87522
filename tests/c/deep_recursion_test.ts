/**
 * C recursion is bounded by the simulated stack, not by JavaScript's: deep_recursion.c returns
 * through 20000 and then 60000 frames, then recurses without end until its frames pass
 * RLIMIT_STACK — a SIGSEGV (status 139), as the real build does. Before the scheduler ran the
 * bodies of called functions on a stack of its own, a recursion about 1000 calls deep ended in
 * JavaScript's "Maximum call stack size exceeded". The real runs: tests/fixtures/c/deep_recursion/
 * (make_runs.sh, x86_64 glibc 2.31–2.44, ASLR off, 8 MiB stack).
 */

import assert from "node:assert/strict";
import { runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`recursion 60000 calls deep returns, one without end is a SIGSEGV, as on glibc ${glibc}`, () => {
    const r = runAsReal("deep_recursion", "deep_recursion", glibc);
    assert.equal(r.state, "crashed");
    assert.equal(r.fault?.code, "SEGV_MAPERR");
  });
}

Deno.test("a longjmp out of a deep recursion lands in its setjmp's frame", () => {
  const r = runC(
    `#include <stdio.h>
#include <setjmp.h>
jmp_buf jb;
int down(int n) { if (n == 0) longjmp(jb, 7); return down(n - 1) + 1; }
int main(void) {
  int v = setjmp(jb);
  if (v == 0) down(5000);
  printf("%d\\n", v);
  return 0;
}`,
    { glibc: "2.36", stdout: "pipe" },
  );
  assert.equal(r.state, "exited", r.error?.message);
  assert.equal(r.stdout, "7\n");
});

Deno.test("an i386 recursion without end is a SIGSEGV, not a JavaScript stack overflow", () => {
  const r = runC("int g(int n) { return g(n + 1) + 1; }\nint main(void) { return g(0); }", {
    glibc: "2.36",
    arch: "i386",
  });
  assert.equal(r.state, "crashed", r.error?.message);
  assert.equal(r.exitStatus, 139);
});
