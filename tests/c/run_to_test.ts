// CProgram.runTo: to a line, to text on a line, to a state; where it stops short; bad targets.
import assert from "node:assert/strict";
import { ArgumentRangeError, CProgram, CStepLimitError } from "../../mod.ts";

const LOOP = `#include <stdio.h>
#include <stdlib.h>
int main(void) {
  int total = 0;
  int unset;
  // the loop
  for (int i = 0; i < 3; i++) {
    total += i;
  }
  char *p = malloc(0x18);
  free(p);
  char buf[8];
  fgets(buf, sizeof(buf), stdin);
  printf("%d %s", total, buf);
  return 0;
}`;

const local = (program: CProgram, name: string) =>
  program.locals().find((l) => l.name === name)?.value;

Deno.test("runTo a line stops before the line runs, and again at its next arrival in a loop", () => {
  const program = new CProgram(LOOP);
  const first = program.runTo(8);
  assert.equal(first.reached, true);
  assert.equal(first.state, "paused");
  assert.equal(first.line, 8);
  assert.equal(local(program, "total"), "0");
  assert.equal(local(program, "i"), "0");
  assert.equal(program.runTo(8).line, 8);
  assert.equal(local(program, "i"), "1");
  assert.equal(local(program, "total"), "0");
});

Deno.test("runTo text stops at the first statement line after the current one holding it", () => {
  const program = new CProgram(LOOP);
  const at = program.runTo("free(p)");
  assert.equal(at.reached, true);
  assert.equal(at.line, 11);
  assert.equal(program.allocator.lastRecord?.operation, "malloc");
  assert.equal(local(program, "total"), "3");
});

Deno.test("runTo text searches from the current line on, wrapping around to the top", () => {
  const source = `int twice(int n) {
  return 2 * n;
}
int main(void) {
  int a = twice(1);
  int b = twice(a);
  return b;
}`;
  const program = new CProgram(source);
  assert.equal(program.runTo("int b").line, 6);
  const inside = program.runTo("return 2");
  assert.equal(inside.line, 2);
  assert.deepEqual(inside.backtrace, ["#0 twice () at prog.c:2", "#1 main () at prog.c:6"]);
});

Deno.test("runTo a predicate stops at the first line where it holds", () => {
  const program = new CProgram(LOOP);
  const at = program.runTo((p) => p.allocator.lastRecord?.operation === "free");
  assert.equal(at.reached, true);
  assert.equal(at.line, 13); // free(p) ran at line 11; `char buf[8];` (12) takes no step
  assert.equal(at.records.map((r) => r.operation).join(), "malloc,free");
});

Deno.test("runTo stops short to wait for input, and reaches the target once input comes", () => {
  const program = new CProgram(LOOP);
  const waiting = program.runTo("printf");
  assert.equal(waiting.reached, false);
  assert.equal(waiting.state, "paused");
  assert.equal(waiting.line, 13);
  program.feed("hi\n");
  const at = program.runTo("printf");
  assert.equal(at.reached, true);
  assert.equal(at.line, 14);
});

Deno.test("runTo stops short at the program's end, with its exit status", () => {
  const program = new CProgram(LOOP, { stdin: "x\n" });
  program.runTo("return 0");
  const ended = program.runTo(8); // the loop is over: line 8 never comes again
  assert.equal(ended.reached, false);
  assert.equal(ended.state, "exited");
  assert.equal(ended.exitStatus, 0);
  assert.equal(ended.stdout, "3 x\n");
  assert.equal(program.runTo(8).reached, false); // still ended
});

Deno.test("runTo stops short at an abort, with glibc's message", () => {
  const program = new CProgram(
    "int main(void) {\n  char *p = malloc(0x18);\n  free(p);\n  free(p);\n  return 0;\n}",
    { glibc: "2.36" },
  );
  const r = program.runTo("return 0");
  assert.equal(r.reached, false);
  assert.equal(r.state, "aborted");
  assert.equal(r.line, 4);
  assert.equal(r.abort?.glibcMessage, "free(): double free detected in tcache 2");
});

Deno.test("runTo stops short at the step limit", () => {
  const program = new CProgram("int main(void) {\n  for (;;) {}\n  return 0;\n}", {
    maxSteps: 1000,
  });
  const r = program.runTo(3);
  assert.equal(r.reached, false);
  assert.equal(r.state, "error");
  assert.ok(r.error instanceof CStepLimitError);
});

Deno.test("runTo refuses a line where no statement begins, naming the line's text", () => {
  const program = new CProgram(LOOP);
  assert.throws(
    () => program.runTo(5),
    (e: Error) =>
      e instanceof ArgumentRangeError &&
      e.message ===
        "Argument target out of range: 5 (expected a line where a statement begins; line 5 " +
          'holds no statement: "int unset;")',
  );
  assert.throws(() => program.runTo(0), /expected a line of the source, 1 to 16/);
  assert.throws(() => program.runTo(2.5), ArgumentRangeError);
  assert.equal(program.runTo(4).line, 4); // nothing ran: the program is where it was
});

Deno.test("runTo refuses text on no line, or only on lines without a statement", () => {
  const program = new CProgram(LOOP);
  assert.throws(
    () => program.runTo("the loop"),
    /expected text on a line where a statement begins; line 6 holds it but no statement/,
  );
  assert.throws(
    () => program.runTo("memcpy"),
    /expected text on a line of the source; no line holds it/,
  );
});

Deno.test("runTo passes on an error of the predicate, the program paused where it was tested", () => {
  const program = new CProgram(LOOP);
  assert.throws(
    () =>
      program.runTo((p) => {
        if (p.currentLine() === 8) throw new Error("tested at line 8");
        return false;
      }),
    /tested at line 8/,
  );
  assert.equal(program.done, false);
  assert.equal(program.currentLine(), 8);
  assert.equal(program.step().line, 7);
});
