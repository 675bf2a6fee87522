/**
 * An i386 program's `stdout`, `stdin`, `stderr` and `environ` are libc's own variables: gcc
 * -m32's PIE reaches them through the GOT (tests/fixtures/c/std_streams_i386/relocs.txt:
 * R_386_GLOB_DAT, no R_386_COPY), so heaplab gives it no copy, and `stdout = stderr` sends libc's
 * puts, printf and putchar to stderr, as std_streams.c did on real i386 glibc under qemu-i386
 * (make_std_streams.sh there); x86_64 reaches the same through its copy, which libc then uses
 * (tests/fixtures/c/std_streams/: the same program on real x86_64 glibc). The reading side and
 * stderr follow their variables too (std_streams_read/, std_streams_assert/), and a program that
 * names none has no copy: libc's own variables steer it (std_streams_libc/).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { LIBC_BUILDS, ORACLE_BUILDS, runC } from "../../mod.ts";

const DIR = "std_streams_i386";

Deno.test("gcc -m32 relocates stdout, stdin, stderr and environ through the GOT, copying none", () => {
  const relocations = fixture(`${DIR}/relocs.txt`).trimEnd().split("\n");
  assert.deepEqual(relocations.map((r) => r.split(" ")[0]), Array(4).fill("R_386_GLOB_DAT"));
});

for (const build of LIBC_BUILDS.filter((b) => b.arch === "i386")) {
  const glibc = build.version as "2.31";
  Deno.test(`an i386 program setting stdout to stderr moves libc's puts and printf there, as on glibc ${glibc}`, () => {
    const real = (what: string) => fixture(`${DIR}/${glibc}/${what}`);
    const r = runC(fixture("std_streams/std_streams.c"), {
      glibc,
      arch: "i386",
      file: "std_streams.c",
      stdout: "file",
      stdin: "",
      gccBuiltins: false,
      explain: false,
    });
    if (r.error) throw r.error;
    assert.equal(r.exitStatus, Number(real("status")));
    assert.equal(r.stdout, real("stdout"));
    assert.equal(r.stderr, real("stderr"));
  });

  Deno.test(`an i386 program's stdout, stdin, stderr and environ are libc's variables on glibc ${glibc}`, () => {
    const source = `#include <stdio.h>
extern char **environ;
int main(void) {
  printf("%ld %ld %ld %ld\\n", (long)((char *)&stdout - (char *)stdout),
         (long)((char *)&stdin - (char *)stdout), (long)((char *)&stderr - (char *)stdout),
         (long)((char *)&environ - (char *)stdout));
  return 0;
}`;
    const r = runC(source, { glibc, arch: "i386", explain: false });
    if (r.error) throw r.error;
    const s = build.symbols, file = s["_IO_2_1_stdout_"];
    const expected = [s.stdout, s.stdin, s.stderr, s.environ].map((at) => at - file).join(" ");
    assert.equal(r.stdout, `${expected}\n`);
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`an x86_64 program setting its copy of stdout to stderr moves libc's puts and printf there, as on glibc ${glibc}`, () => {
    runAsReal("std_streams", "std_streams", glibc, { runs: "." });
  });
}

/** flag.txt as make_std_streams_read.sh writes it beside the real runs. */
const FLAG_FILES = { "flag.txt": "FLAG{one two}\nsecond line\n" };

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`stdin = fopen(...) makes getchar, scanf and fgets(stdin) read the file, stderr = stdout moves perror, as on glibc ${glibc}`, () => {
    runAsReal("std_streams_read", "std_streams_read", glibc, { runs: ".", files: FLAG_FILES });
  });

  Deno.test(`a program naming no stream steers puts, perror and getchar through libc's own variables, as on glibc ${glibc}`, () => {
    runAsReal("std_streams_libc", "std_streams_libc", glibc, { runs: ".", files: FLAG_FILES });
  });

  Deno.test(`malloc_stats and (up to 2.42) assert write through libc's stderr variable, as on glibc ${glibc}`, () => {
    runAsReal("std_streams_assert", "std_streams_assert", glibc, { runs: "." });
  });

  Deno.test(`perror through stderr = an unoriented stdout fills and allocates stdout's buffer, as on glibc ${glibc}`, () => {
    runAsReal("std_streams_perror", "std_streams_perror", glibc, { runs: "." });
  });
}

for (const build of LIBC_BUILDS.filter((b) => b.arch === "i386")) {
  const glibc = build.version as "2.31";
  const names = [
    "std_streams_read",
    "std_streams_libc",
    "std_streams_assert",
    "std_streams_perror",
  ];
  for (const name of names) {
    Deno.test(`i386 ${name}.c: getchar, scanf, perror, malloc_stats and assert follow libc's variables, as on glibc ${glibc}`, () => {
      const real = (what: string) => fixture(`${DIR}/${name}/${glibc}/${what}`);
      const r = runC(fixture(`${name}/${name}.c`), {
        glibc,
        arch: "i386",
        file: `${name}.c`,
        stdout: "file",
        stdin: "",
        gccBuiltins: false,
        files: FLAG_FILES,
        explain: false,
      });
      assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
      assert.equal(r.stdout, real("stdout"));
      assert.equal(r.stderr, real("stderr"));
    });
  }
}

Deno.test("puts through a stdout pointed at a FILE heaplab does not write is refused by name, not sent to fd 1", () => {
  const r = runC(
    `#include <stdio.h>
static char fake[0x200];
int main(void) {
  stdout = (FILE *)fake;
  puts("where?");
  return 0;
}`,
    { glibc: "2.36", stdout: "file", gccBuiltins: false },
  );
  assert.equal(r.state, "error");
  assert.match(r.error!.message, /prog\.c:5: unsupported: a write through stdout pointing at 0x/);
  assert.equal(r.stdout, "");
});

Deno.test("getchar through a stdin, and perror through a stderr, pointed at a forged FILE are refused by name", () => {
  const run = (body: string) =>
    runC(
      `#include <stdio.h>\nstatic char fake[0x200];\nint main(void) {\n${body}\n  return 0;\n}`,
      {
        glibc: "2.36",
        stdout: "file",
        gccBuiltins: false,
      },
    );
  const read = run("  stdin = (FILE *)fake;\n  getchar();");
  assert.equal(read.state, "error");
  assert.match(read.error!.message, /prog\.c:5: unsupported: stdio on a FILE\* that is not stdin/);
  const error = run('  stderr = (FILE *)fake;\n  perror("where?");');
  assert.equal(error.state, "error");
  assert.match(
    error.error!.message,
    /prog\.c:5: unsupported: a write through stderr pointing at 0x/,
  );
  assert.equal(error.stderr, "");
});
