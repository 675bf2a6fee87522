/**
 * setjmp and longjmp: a longjmp out of nested calls (their frames and alloca'd memory left, the
 * stack pointer back), one within a function, the FOR-loop-by-longjmp idiom of a CTF program,
 * setjmp as a switch's and a negated if's controlling expression. The expected output is what
 * the same program printed compiled by gcc 12 -O0 against glibc; then the jumps heaplab
 * cannot make, refused by name.
 */

import assert from "node:assert/strict";
import { CUnsupportedError, runC } from "../../mod.ts";

const SOURCE = `#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <alloca.h>

static jmp_buf top;
static int depth;

static void dive(int n) {
  char *scratch = alloca(64);
  scratch[0] = (char)n;
  depth++;
  if (n == 3) longjmp(top, n * 10);
  dive(n + 1);
}

static int retry(void) {
  jmp_buf again;
  volatile int tries = 0;
  int got = setjmp(again);
  tries++;
  if (tries < 4) longjmp(again, 0);
  return got * 100 + tries;
}

#define FOR(var, s, e, block) {                 \\
    int var;                                    \\
    jmp_buf L ## var;                           \\
    if ((var = setjmp(L ## var) + s) < e) {     \\
      block;                                    \\
      longjmp(L ## var, var - s + 1);           \\
    }                                           \\
  }

static long probe(void) {
  char x;
  return (long)&x;
}

int main(void) {
  long before = probe();
  char here;
  int v = setjmp(top);
  printf("setjmp gave %d, depth %d\\n", v, depth);
  if (v == 0) dive(0);
  printf("probe same %d\\n", probe() == before);
  char there;
  printf("same stack %d\\n", &here == &there - (&there - &here));
  printf("retry %d\\n", retry());
  int sum = 0;
  FOR(i, 0, 5, {
    FOR(j, 0, 3, { sum += i * j; });
  });
  printf("sum %d\\n", sum);
  switch (setjmp(top)) {
  case 0:
    puts("first");
    longjmp(top, 7);
  case 7:
    puts("seven");
    break;
  }
  if (!setjmp(top)) {
    puts("not yet");
    longjmp(top, 1);
  } else
    puts("jumped");
  return 0;
}
`;

Deno.test("longjmp returns to its setjmp's statement with the value, as gcc's program does", () => {
  const result = runC(SOURCE, { file: "jumps.c", glibc: "2.31", explain: false });
  if (result.error) throw result.error;
  assert.equal(
    result.stdout,
    [
      "setjmp gave 0, depth 0",
      "setjmp gave 30, depth 4",
      "probe same 1",
      "same stack 1",
      "retry 104",
      "sum 30",
      "first",
      "seven",
      "not yet",
      "jumped",
      "",
    ].join("\n"),
  );
});

/** The error of a run of `main`'s body after the given definitions. */
function refusal(pre: string, body: string): string {
  const source = `#include <setjmp.h>\n#include <string.h>\n${pre}\nint main(void) {\n${body}\n}\n`;
  const result = runC(source, { file: "prog.c", glibc: "2.31", explain: false });
  assert.ok(result.error instanceof CUnsupportedError, String(result.error));
  return result.error.message;
}

Deno.test("a longjmp to a function that has returned is refused by name", () => {
  const message = refusal(
    "jmp_buf env;\nvoid mark(void) { setjmp(env); }",
    "  mark();\n  longjmp(env, 1);",
  );
  assert.equal(
    message,
    "prog.c:7: unsupported: longjmp to a setjmp whose function or block has been left",
  );
});

Deno.test("a longjmp through a copy of a jmp_buf is refused by name", () => {
  const message = refusal(
    "jmp_buf env, copy;",
    "  if (setjmp(env) == 0) {\n    memcpy(copy, env, sizeof env);\n    longjmp(copy, 1);\n  }\n  return 0;",
  );
  assert.equal(
    message,
    "prog.c:7: unsupported: longjmp to a jmp_buf that no setjmp filled (or a copy of one)",
  );
});
