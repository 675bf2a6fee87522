/**
 * stdio's error edges against real runs (tests/fixtures/c/stdio_errors/, make_stdio_errors.sh):
 * FILEs read and written the wrong way, each call's result, errno, error indicator and fields;
 * perror's own FILE on a terminal and its failed fdopen (EINVAL) on a file; open's ENOTDIR,
 * ENAMETOOLONG, EISDIR, EEXIST and EMFILE (RLIMIT_NOFILE's soft limit 1024 on both sides).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

/** flag.txt and dir/notes.txt as make_stdio_errors.sh writes them beside the real runs. */
const FLAG_FILES = {
  "flag.txt": "FLAG{one two}\nsecond line\n",
  "dir/notes.txt": "line one\nline two\n",
};

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`a FILE read that only writes, and written that only reads, fails with EBADF and its error indicator, as on glibc ${glibc}`, () => {
    runAsReal("stdio_errors", "wrong_direction", glibc, {
      runs: "wrong_direction",
      files: FLAG_FILES,
    });
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`a write to stdin's FILE fails with EBADF and its error indicator, before and after a read, as on glibc ${glibc}`, () => {
    runAsReal("stdio_errors", "stdin_written", glibc);
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`perror on a write-only stderr fails its fdopen, leaving errno EINVAL, and writes through stderr, as on glibc ${glibc}`, () => {
    runAsReal("stdio_errors", "perror_heap", glibc, { runs: "perror_heap" });
  });

  Deno.test(`perror on a terminal mallocs, fills and frees a FILE of its own, leaving stderr unoriented, as on glibc ${glibc}`, () => {
    const r = runC(fixture("stdio_errors/perror_heap.c"), {
      glibc,
      file: "perror_heap.c",
      stdout: "tty",
      stdin: "",
      gccBuiltins: false,
    });
    if (r.error) throw r.error;
    // the terminal showed perror's lines, then the report's one write
    assert.equal(r.stderr + r.stdout, fixture(`stdio_errors/perror_heap/${glibc}/tty`));
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`open walks the path as Linux does (ENOTDIR, ENAMETOOLONG, EISDIR, EEXIST) and fails with EMFILE past 1024 descriptors, fopen freeing its FILE, as on glibc ${glibc}`, () => {
    runAsReal("stdio_errors", "open_errors", glibc, { runs: "open_errors", files: FLAG_FILES });
  });
}

Deno.test("open and fopen of a directory for reading are refused by name", () => {
  for (const call of [`open("dir", O_RDONLY)`, `fopen(".", "r")`, `open("..", O_RDONLY)`]) {
    const r = runC(
      `#include <fcntl.h>
#include <stdio.h>
int main(void) { ${call}; return 0; }`,
      { glibc: "2.36", files: FLAG_FILES },
    );
    assert.match(r.error?.message ?? "", /a directory/, call);
  }
});

Deno.test("perror through a FILE on a dup of a regular file open for reading and writing is refused by name", () => {
  const r = runC(
    `#include <stdio.h>
int main(void) { stderr = fopen("log.txt", "w+"); perror("x"); return 0; }`,
    { glibc: "2.36", stdout: "tty" },
  );
  assert.match(
    r.error?.message ?? "",
    /perror through a FILE fdopen'ed on a dup of a regular file/,
  );
});

Deno.test("ungetc on a FILE that only writes is refused by name", () => {
  const r = runC(
    `#include <stdio.h>
int main(void) { FILE *f = fopen("out.txt", "w"); ungetc('x', f); return 0; }`,
    { glibc: "2.36", stdout: "file" },
  );
  assert.match(r.error?.message ?? "", /ungetc on a FILE that only writes/);
});
