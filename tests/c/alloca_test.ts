/**
 * alloca(): memory in the calling function's frame, placed and sized as gcc 12 -O0 places it
 * on x86_64. Each expected output is what the same program printed when compiled by gcc.
 */

import assert from "node:assert/strict";
import { CUnsupportedError, runC } from "../../mod.ts";

/** The program's standard output, run by the interpreter (an error is thrown). */
function output(source: string): string {
  const result = runC(source, { file: "prog.c", glibc: "2.31", explain: false });
  if (result.error) throw result.error;
  return result.stdout;
}

Deno.test("alloca(n) moves the stack pointer by n + 8 rounded up to 16, below the locals", () => {
  const source = `#include <stdio.h>
#include <alloca.h>
void f(unsigned long n) {
  char local[8];
  char *a = alloca(n);
  char *b = alloca(n);
  char *c = alloca(1);
  printf("%lu: a-local %ld b-a %ld c-b %ld align %lu\\n", n, (long)(a - local), (long)(b - a),
         (long)(c - b), (unsigned long)a % 16);
}
int main(void) {
  unsigned long ns[] = {0, 8, 9, 24, 25, 100, 4032};
  for (int i = 0; i < 7; i++) f(ns[i]);
  return 0;
}
`;
  assert.equal(
    output(source),
    [
      "0: a-local -32 b-a -16 c-b -16 align 0",
      "8: a-local -32 b-a -16 c-b -16 align 0",
      "9: a-local -48 b-a -32 c-b -16 align 0",
      "24: a-local -48 b-a -32 c-b -16 align 0",
      "25: a-local -64 b-a -48 c-b -16 align 0",
      "100: a-local -128 b-a -112 c-b -16 align 0",
      "4032: a-local -4064 b-a -4048 c-b -16 align 0",
      "",
    ].join("\n"),
  );
});

Deno.test("alloca's memory is its caller's: calls go below it, and the return frees it", () => {
  const source = `#include <stdio.h>
#include <alloca.h>
#include <string.h>
long inner(void) { char x; return (long)&x; }
long f(void) {
  char *p = alloca(64);
  strcpy(p, "on the stack");
  long below = inner() < (long)p;
  printf("%s %ld\\n", p, below);
  return (long)p;
}
int main(void) {
  long first = f(), second = f();
  printf("same %d\\n", first == second);
  return 0;
}
`;
  assert.equal(output(source), "on the stack 1\non the stack 1\nsame 1\n");
});

Deno.test("alloca in an i386 program is refused by name: gcc -m32 places it otherwise", () => {
  const source =
    "#include <alloca.h>\nint main(void) {\n  char *p = alloca(8);\n  return p != 0;\n}\n";
  const result = runC(source, { file: "prog.c", glibc: "2.31", arch: "i386", explain: false });
  assert.ok(result.error instanceof CUnsupportedError);
  assert.equal(
    result.error.message,
    "prog.c:3: unsupported: alloca in an i386 program (gcc -m32's placement)",
  );
});
