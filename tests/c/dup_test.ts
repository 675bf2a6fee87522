/**
 * dup, dup2 and dup3: a second descriptor on the same open file description — a file's one
 * offset, or one of the run's streams — and dup2 onto 0, 1 or 2 redirecting stdio (stdout's
 * FILE, read(0), glibc's abort message). Against real runs on the five builds
 * (tests/fixtures/c/dup/): what the program printed and the files it wrote.
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

/** The file make_dup.sh writes in the working directory of every real run. */
const FILES = { "input.txt": "abcdef12\nline three\n42\n" };
const BUILDS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

Deno.test("dup2(file, 1) sends stdout's FILE, puts and write(1) into the file, and a saved dup(1) restores stdout, as on real glibc (stdout_to_file.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("dup", "stdout_to_file", glibc, { files: FILES, written: ["out.txt"] });
  }
});

Deno.test("a dup shares the file's offset through reads, writes, lseek and O_APPEND, and outlives the close of the original, as on real glibc (shared_offset.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("dup", "shared_offset", glibc, { files: FILES, written: ["both.txt"] });
  }
});

Deno.test("dup, dup2 and dup3 return EBADF, EINVAL and EMFILE and take the lowest free descriptor as on real glibc (dup_errors.c)", () => {
  for (const glibc of BUILDS) runAsReal("dup", "dup_errors", glibc, { files: FILES });
});

Deno.test("dup2(file, 0) feeds stdin's FILE from the file and a dup of 2 writes into stderr, as on real glibc (stdin_from_file.c)", () => {
  for (const glibc of BUILDS) runAsReal("dup", "stdin_from_file", glibc, { files: FILES });
});

Deno.test("dup2(file, 2) sends malloc's abort message into the file, as on real glibc (abort_dup2.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("dup", "abort_dup2", glibc, { files: FILES, written: ["log.txt"] });
  }
});

Deno.test("fcntl's F_DUPFD and F_DUPFD_CLOEXEC take the lowest free descriptor from their argument up, with EBADF, EINVAL and EMFILE as on real glibc (fcntl_dupfd.c)", () => {
  for (const glibc of BUILDS) runAsReal("dup", "fcntl_dupfd", glibc, { files: FILES });
});

Deno.test("a dup of a fopen'ed FILE's descriptor shares the offset its buffered reads move and outlives fclose; dup2 of one onto 0 reads where it left off, as on real glibc (fopen_dup.c)", () => {
  for (const glibc of BUILDS) runAsReal("dup", "fopen_dup", glibc, { files: FILES });
});

Deno.test("on a terminal, dups of 1 and 2 write to it and are terminals, and dup2 of one onto a closed 0 opens 0 on it, as on real glibc (dup_tty.c)", () => {
  for (const glibc of BUILDS) {
    const r = runC(fixture("dup/dup_tty.c"), {
      glibc,
      file: "dup_tty.c",
      stdout: "tty",
      stdin: "",
      gccBuiltins: false,
    });
    const real = (what: string) => fixture(`dup/dup_tty/${glibc}/${what}`);
    assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
    // the terminal showed both: what went through the dup of 2 is stderr's, the rest stdout's
    assert.equal(r.stderr, "via dup(2)\n");
    assert.equal(r.stdout, real("terminal").replace(r.stderr, ""), glibc);
  }
});

Deno.test("dup2 onto the descriptor of a FILE fopen returned is refused by name", () => {
  const r = runC(
    `#include <stdio.h>
#include <unistd.h>
int main(void) {
  FILE *f = fopen("input.txt", "r");
  dup2(1, fileno(f));
  return 0;
}`,
    { glibc: "2.36", stdout: "pipe", files: FILES },
  );
  assert.match(
    r.error?.message ?? "",
    /unsupported: dup2\(1, 3\) onto the descriptor of a FILE fopen returned/,
  );
});

Deno.test("fcntl's commands other than F_DUPFD are refused by name", () => {
  const r = runC(
    `#include <fcntl.h>
int main(void) { return fcntl(1, 3 /* F_GETFL */); }`,
    { glibc: "2.36", stdout: "pipe" },
  );
  assert.match(r.error?.message ?? "", /unsupported: fcntl command 3 \(only F_DUPFD\)/);
});

Deno.test("fclose of a FILE that read ahead on a file a dup shares is refused by name (2.44 seeks it back)", () => {
  const r = runC(
    `#include <stdio.h>
#include <unistd.h>
int main(void) {
  FILE *f = fopen("input.txt", "r");
  int d = dup(fileno(f));
  fgetc(f);
  fclose(f);
  return d;
}`,
    { glibc: "2.44", stdout: "pipe", files: FILES },
  );
  assert.match(
    r.error?.message ?? "",
    /unsupported: fclose of a FILE that read ahead on descriptor 3, which a dup shares/,
  );
});
