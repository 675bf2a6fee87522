/**
 * Reading through a FILE's fields (src/c/read_file.ts) where no real run reaches: stdin's FILE
 * kept aside where libc's data is packed (the seed's i386 layout with glibc 2.23, whose buffer
 * is mapped), and stdout's read there on the fields heaplab keeps, on i386's real build, and on a
 * modelled 2.23 — each reads as x86_64's 2.36, whose reads the real runs check
 * (tests/c/descriptors_test.ts, tests/c/stdio_errors_test.ts).
 */

import assert from "node:assert/strict";
import { type CRunOptions, Process, runC } from "../../mod.ts";

const SOURCE = `#include <stdio.h>
int main(void) {
  char word[16], line[32];
  int n = 0;
  int r = scanf("%15s %d", word, &n);
  int c = getchar();
  ungetc('x', stdin);
  char *got = fgets(line, sizeof line, stdin);
  printf("%d [%s] %d %d [%s] %d\\n", r, word, n, c, got ? line : "NULL", feof(stdin));
  printf("%d %d\\n", getchar(), feof(stdin));
  return 0;
}`;
const INPUT = "hello 42\nline two\n";

Deno.test("stdin reads alike with its FILE aside (packed libc), on i386 and on a modelled 2.23", () => {
  const reference = runC(SOURCE, { glibc: "2.36", stdin: INPUT });
  assert.equal(reference.stdout, "2 [hello] 42 10 [xline two\n] 0\n-1 1\n");
  const others: CRunOptions[] = [
    { process: new Process({ layout: "seed-i386", program: "mthread" }), glibc: "2.23" },
    { glibc: "2.36", arch: "i386" },
    { glibc: "2.23" },
  ];
  for (const options of others) {
    const result = runC(SOURCE, { ...options, stdin: INPUT });
    assert.equal(result.state, "exited", result.error?.message);
    assert.equal(result.stdout, reference.stdout);
  }
});

Deno.test("a read of stdout, ferror and clearerr on it alike with its FILE kept aside (packed libc), on i386 and on a modelled 2.23", () => {
  const source = `#include <stdio.h>
#include <errno.h>
int main(void) {
  printf("held ");
  int before = ferror(stdout);
  errno = 0;
  int c = fgetc(stdout);
  int error = ferror(stdout), e = errno;
  clearerr(stdout);
  printf("%d %d %d %d %d %d\\n", before, c, error, e, ferror(stdout), feof(stdout));
  return 0;
}`;
  // the read writes what stdout held, then fails: EOF, EBADF, the error indicator
  const reference = runC(source, { glibc: "2.36" });
  assert.equal(reference.stdout, "held 0 -1 1 9 0 0\n");
  const others: CRunOptions[] = [
    { process: new Process({ layout: "seed-i386", program: "mthread" }), glibc: "2.23" },
    { glibc: "2.36", arch: "i386" },
    { glibc: "2.23" },
  ];
  for (const options of others) {
    const result = runC(source, options);
    assert.equal(result.state, "exited", result.error?.message);
    assert.equal(result.stdout, reference.stdout);
  }
});
