/**
 * A line of a hundred thousand tokens — a table written out on one line, or a macro that expands
 * to one — compiles and runs: the preprocessor moves tokens one at a time, not as a spread of
 * JavaScript arguments, which past about 100,000 ended in "Maximum call stack size exceeded".
 */

import assert from "node:assert/strict";
import { runC } from "../../mod.ts";

const ONES = Array(100_000).fill("1").join(",");
const SUM = `int main(void) {
  long s = 0;
  for (unsigned long i = 0; i < sizeof a / sizeof a[0]; i++) s += a[i];
  printf("%ld\\n", s);
  return 0;
}`;

Deno.test("an initialiser of 100000 numbers on one line runs", () => {
  const r = runC(`#include <stdio.h>\nint a[] = {${ONES}};\n${SUM}`, {
    glibc: "2.36",
    stdout: "pipe",
  });
  assert.equal(r.stdout, "100000\n", r.error?.message);
});

Deno.test("a macro that expands to 200000 tokens runs", () => {
  const r = runC(`#include <stdio.h>\n#define ONES ${ONES}\nint a[] = {ONES};\n${SUM}`, {
    glibc: "2.36",
    stdout: "pipe",
  });
  assert.equal(r.stdout, "100000\n", r.error?.message);
});

Deno.test("a function-like macro given 200000 tokens runs", () => {
  const r = runC(
    `#include <stdio.h>\n#define LIST(...) __VA_ARGS__\nint a[] = {LIST(${ONES})};\n${SUM}`,
    {
      glibc: "2.36",
      stdout: "pipe",
    },
  );
  assert.equal(r.stdout, "100000\n", r.error?.message);
});
