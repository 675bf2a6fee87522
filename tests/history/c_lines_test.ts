/**
 * The C interpreter's lines as history steps: stepping a CProgram line by line and calling the
 * history's LineHook after each records one state per line, which can be walked afterwards.
 */

import assert from "node:assert/strict";
import { CProgram } from "../../src/c/program.ts";
import { History } from "../../src/history/history.ts";

const SOURCE = `#include <stdlib.h>
int main(void) {
  char *a = malloc(24);
  char *b = malloc(24);
  free(a);
  free(b);
  a[0] = 'x';
  return 0;
}
`;

Deno.test("a C program stepped line by line records one history step per line", () => {
  const prog = new CProgram(SOURCE, { glibc: "2.36" });
  const history = new History(prog.allocator, { calls: false, syscalls: false });
  const heaps: string[] = [JSON.stringify(prog.allocator.chunks())];
  for (let n = 0; n < 50 && !prog.done; n++) {
    const line = prog.currentLine();
    prog.step();
    history.line(line, prog.sourceLine(line).trim());
    heaps.push(JSON.stringify(prog.allocator.chunks()));
  }
  assert.ok(history.steps.some((s) => s.label === "line 5: free(a);"));
  // Walk back to the line that freed a: the chunk is in the tcache again, b still in use.
  const step = history.seek("line 5: free(a);");
  assert.equal(JSON.stringify(prog.allocator.chunks()), heaps[step.index]);
  assert.match(history.diff(step.index).chunks.map((c) => c.kind).join(), /freed/);
});
