/**
 * alloca(): memory in the calling function's frame, placed and sized as gcc 12 -O0 places it
 * on x86_64, and sized as gcc -m32 does on i386. Each expected output is what the same program
 * printed when compiled by gcc (for i386, run on real i386 glibc under qemu-i386).
 */

import assert from "node:assert/strict";
import { runC } from "../../mod.ts";

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

Deno.test("alloca(n) in an i386 program moves the stack pointer by n + 12 rounded up to 16", () => {
  // the expected output: the same program built with gcc 12 -m32 -O0 and run on real i386 glibc
  // 2.31 under qemu-i386 (distances between alloca's blocks are gcc's, not the kernel's)
  const source = `#include <stdio.h>
#include <alloca.h>
void f(unsigned long n) {
  char *a = alloca(n);
  char *b = alloca(n);
  char *c = alloca(1);
  printf("%lu: b-a %ld c-b %ld align %lu\\n", n, (long)(b - a), (long)(c - b), (unsigned long)a % 16);
}
int main(void) {
  unsigned long ns[] = {0, 4, 5, 20, 21, 36, 37, 100, 4032};
  for (int i = 0; i < 9; i++) f(ns[i]);
  return 0;
}
`;
  const result = runC(source, { file: "prog.c", glibc: "2.31", arch: "i386", explain: false });
  if (result.error) throw result.error;
  assert.equal(
    result.stdout,
    [
      "0: b-a -16 c-b -16 align 0",
      "4: b-a -16 c-b -16 align 0",
      "5: b-a -32 c-b -16 align 0",
      "20: b-a -32 c-b -16 align 0",
      "21: b-a -48 c-b -16 align 0",
      "36: b-a -48 c-b -16 align 0",
      "37: b-a -64 c-b -16 align 0",
      "100: b-a -112 c-b -16 align 0",
      "4032: b-a -4048 c-b -16 align 0",
      "",
    ].join("\n"),
  );
});
