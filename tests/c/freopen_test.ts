/**
 * freopen of stdin, stdout and stderr onto files: the FILE kept at its address in libc's data
 * and on its descriptor, its old buffer freed and a new one malloc'ed at its first use, where it
 * sits in `_IO_list_all` (moved to the head up to 2.43, kept from 2.44), what the files hold,
 * and a freopen of a missing file. Against real runs on the five builds
 * (tests/fixtures/c/freopen/); what is not modelled is refused by name.
 */

import assert from "node:assert/strict";
import { runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

/** The file make_freopen.sh writes in the working directory of every real run. */
const FILES = { "input.txt": "abcdef12\nline three\n42\n" };
const BUILDS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

Deno.test("freopen of stdin onto a file frees its buffer, keeps the FILE and descriptor 0, feeds fgets, scanf and getchar from the file; a missing file leaves stdin closed, as on real glibc (freopen_stdin.c)", () => {
  for (const glibc of BUILDS) runAsReal("freopen", "freopen_stdin", glibc, { files: FILES });
});

Deno.test("freopen of stdout and stderr onto files keeps descriptors 1 and 2, mallocs a file's buffer at the first write (stderr buffered too), and the files hold what was written, as on real glibc (freopen_stdout.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("freopen", "freopen_stdout", glibc, {
      files: FILES,
      written: ["out.txt", "log.txt"],
    });
  }
});

Deno.test("freopen of a device, of NULL, for reading and writing, of a FILE fopen returned, and on i386 is refused by name", () => {
  const cases: [string, RegExp][] = [
    [`freopen("/dev/null", "w", stderr);`, /device file/],
    [`freopen(NULL, "r", stdin);`, /mode change/],
    [`freopen("input.txt", "r+", stdin);`, /only the modes/],
    [`freopen("out.txt", "w", stdin);`, /other way round/],
    [`freopen("out.txt", "w", fopen("input.txt", "r"));`, /FILE fopen returned/],
  ];
  for (const [line, message] of cases) {
    const source = `#include <stdio.h>\nint main(void) { ${line} return 0; }\n`;
    const r = runC(source, { glibc: "2.36", stdout: "pipe", files: FILES });
    assert.equal(r.error?.name, "CUnsupportedError", line);
    assert.match(r.error!.message, message);
  }
  const i386 = runC(
    `#include <stdio.h>\nint main(void) { freopen("input.txt", "r", stdin); return 0; }\n`,
    {
      glibc: "2.36",
      arch: "i386",
      stdout: "pipe",
      files: FILES,
    },
  );
  assert.equal(i386.error?.name, "CUnsupportedError");
  assert.match(i386.error!.message, /freopen on i386/);
});
