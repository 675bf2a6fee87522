/**
 * C that gcc accepts and CTF programs write, beyond the textbook: brace elision in initializers
 * (`struct item list[100] = {0};`), C89's implicit int (`const n = read(…);`), GCC's `#import`;
 * and inline assembly, which is refused by name (at run time where it is a statement).
 * Each expected output is what the same program printed when compiled by gcc 12 (x86_64); none
 * depends on glibc's version.
 */

import assert from "node:assert/strict";
import { CSyntaxError, CUnsupportedError, runC } from "../../mod.ts";

/** The program's standard output, run by the interpreter (an error is thrown). */
function output(source: string): string {
  const result = runC(source, { file: "prog.c", glibc: "2.31", explain: false });
  if (result.error) throw result.error;
  return result.stdout;
}

Deno.test("brace elision: an aggregate's members take the enclosing list's items in order", () => {
  const source = `#include <stdio.h>
struct item { int price; char name[8]; };
struct pair { int a, b; };
struct outer { struct pair p; int c[2]; char tag[4]; };
union u { int i; char c[4]; };
struct item itemlist[4] = {0};
struct pair pairs[3] = {1, 2, 3, 4, 5};
int grid[2][3] = {1, 2, 3, 4};
struct outer o = {1, 2, 3, 4, "ab"};
struct outer o2 = {{7}, 8, 9};
struct outer o3 = {.c = 5, 6, .p.b = 3};
char names[2][4] = {"ab", "cd"};
char flat[2][3] = {'x', 'y', 'z', 'w'};
union u us[2] = {1, 2};
struct pair mixed[3] = {[1] = 9, 10, {11}};
int main(void) {
  struct item local[3] = {0};
  struct pair lp[2] = {1, 2, 3};
  struct pair one = lp[1];
  struct pair copies[2] = {one, 6, 7};
  printf("%d %s\\n", itemlist[3].price, itemlist[3].name);
  for (int i = 0; i < 3; i++) printf("%d,%d ", pairs[i].a, pairs[i].b);
  printf("\\n");
  for (int i = 0; i < 6; i++) printf("%d ", grid[i / 3][i % 3]);
  printf("\\n%d %d %d %d %s\\n", o.p.a, o.p.b, o.c[0], o.c[1], o.tag);
  printf("%d %d %d %d\\n", o2.p.a, o2.p.b, o2.c[0], o2.c[1]);
  printf("%d %d %d %d\\n", o3.p.a, o3.p.b, o3.c[0], o3.c[1]);
  printf("%s %s %.3s %.3s\\n", names[0], names[1], flat[0], flat[1]);
  printf("%d %d\\n", us[0].i, us[1].i);
  for (int i = 0; i < 3; i++) printf("%d,%d ", mixed[i].a, mixed[i].b);
  printf("\\n%d %d %d %d %d\\n", local[2].price, lp[0].a, lp[0].b, lp[1].a, lp[1].b);
  printf("%d %d %d %d\\n", copies[0].a, copies[0].b, copies[1].a, copies[1].b);
  printf("%zu %zu\\n", sizeof itemlist, sizeof pairs);
  return 0;
}
`;
  assert.equal(
    output(source),
    "0 \n1,2 3,4 5,0 \n1 2 3 4 0 0 \n1 2 3 4 ab\n7 0 8 9\n0 3 5 6\nab cd xyz w\n1 2\n" +
      "0,0 9,10 11,0 \n0 1 2 3 0\n3 0 6 7\n48 24\n",
  );
});

Deno.test("an unsized array's length counts the items its elements took with braces elided", () => {
  const source = `#include <stdio.h>
struct pair { int a, b; };
struct pair ps[] = {1, 2, 3, 4, 5};
int grid[][3] = {1, 2, 3, 4};
char names[][4] = {"ab", "cd", "e"};
struct pair mixed[] = {{1, 2}, 3, 4, [4] = 9};
struct wrap { struct pair p; int c; } ws[] = {1, 2, 3, 4};
int main(void) {
  struct pair one = {7, 8};
  struct pair local[] = {one, 5, 6};
  printf("%zu %zu %zu %zu %zu %zu\\n", sizeof ps / sizeof ps[0], sizeof grid / sizeof grid[0],
         sizeof names / sizeof names[0], sizeof mixed / sizeof mixed[0], sizeof ws / sizeof ws[0],
         sizeof local / sizeof local[0]);
  printf("%d %d %d %d %d\\n", ps[2].a, ps[2].b, grid[1][0], mixed[4].a, ws[1].p.a);
  return 0;
}
`;
  assert.equal(output(source), "3 2 3 5 2 2\n5 0 4 9 4\n");
});

Deno.test("a designator past an array's end is refused as gcc refuses it, with its line", () => {
  assert.throws(
    () => runC("int a[2] = {[2] = 1};\nint main(void) { return a[0]; }\n", { file: "prog.c" }),
    (e: Error) =>
      e instanceof CSyntaxError &&
      /^prog\.c:1:\d+: array index in initializer exceeds array bounds/.test(e.message),
  );
});

Deno.test("a qualifier or storage class without a type declares an int (C89 implicit int)", () => {
  const source = `#include <stdio.h>
static count = 3;
int main(void) {
  const n = sizeof(long) * 2;
  register r = -1;
  static unsigned u = 7;
  printf("%d %d %d %u %zu\\n", count, n, r, u, sizeof n);
  return 0;
}
`;
  assert.equal(output(source), "3 16 -1 7 4\n");
});

Deno.test("#import includes a header as #include does", () => {
  const source = `#import <stdio.h>
#import <stdlib.h>
#import <stdio.h>
int main(void) { printf("%d\\n", abs(-5)); return EXIT_SUCCESS; }
`;
  assert.equal(output(source), "5\n");
});

Deno.test("an asm statement is refused when the program reaches it, by name and line", () => {
  const source = `#include <stdio.h>
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  puts("before");
  __asm__ volatile("nop");
  puts("after");
  return 0;
}
`;
  const result = runC(source, { file: "prog.c", glibc: "2.31", explain: false });
  assert.equal(result.stdout, "before\n");
  assert.ok(result.error instanceof CUnsupportedError);
  assert.equal(result.error.message, "prog.c:5: unsupported: inline assembly (an asm statement)");
});

Deno.test("a file-scope asm is refused by name and line before the program runs", () => {
  assert.throws(
    () => runC('int x;\nasm(".globl y");\nint main(void) { return 0; }\n', { file: "prog.c" }),
    (e: Error) =>
      e instanceof CUnsupportedError &&
      e.message === "prog.c:2: unsupported: inline assembly (a file-scope asm)",
  );
});

Deno.test("a register variable bound to a register is refused when reached, by name and line", () => {
  const source = `#include <stdio.h>
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  puts("before");
  register long sp asm("rsp");
  printf("%lx\\n", sp);
  return 0;
}
`;
  const result = runC(source, { file: "prog.c", glibc: "2.31", explain: false });
  assert.equal(result.stdout, "before\n");
  assert.ok(result.error instanceof CUnsupportedError);
  assert.equal(
    result.error.message,
    'prog.c:5: unsupported: a register variable bound to a register (sp asm("rsp"))',
  );
});

Deno.test("a global register variable is refused by name and line before the program runs", () => {
  assert.throws(
    () => runC('register long sp __asm__("rsp");\nint main(void) { return 0; }\n'),
    (e: Error) =>
      e instanceof CUnsupportedError &&
      e.message === 'prog.c:1: unsupported: a global register variable (sp asm("rsp"))',
  );
});

Deno.test("register without asm, and asm names without register, still run", () => {
  const source = `int main(void) {
  register int a = 1;
  static int c asm("renamed_c") = 4;
  return a + c;
}
`;
  assert.equal(runC(source).exitStatus, 5);
});
