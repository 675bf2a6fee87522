/**
 * scanf reads standard input as real glibc's does: scanf.c, run by heaplab's C interpreter on
 * each input of tests/fixtures/c/scanf/, prints what it printed under each x86_64 oracle build
 * (made by make_outputs.sh) — what each conversion stored and returned, and the bytes scanf
 * left unread for getchar; and scanf_malloc.c, the heap after its `m` conversions.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const SOURCE = fixture("scanf/scanf.c");
const INPUTS = [...Deno.readDirSync(new URL("../fixtures/c/scanf/", import.meta.url))]
  .map((e) => e.name).filter((name) => name.endsWith(".in")).sort();

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`scanf reads its inputs as glibc ${glibc}'s does`, () => {
    for (const input of INPUTS) {
      const result = runC(SOURCE, {
        file: "scanf.c",
        glibc,
        arch: "x86_64",
        stdin: fixture(`scanf/${input}`),
        pauseOnInput: false,
        explain: false,
        gccBuiltins: false, // make_outputs.sh builds with -fno-builtin
      });
      if (result.state === "error") throw result.error;
      const real = fixture(`scanf/${input.replace(/\.in$/, "")}.${glibc}.out`);
      assert.equal(result.stdout, real, input);
    }
  });
}

const MALLOC_SOURCE = fixture("scanf_malloc/scanf_malloc.c");

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`scanf's %ms, %m[ and %mc leave the heap as glibc ${glibc}'s do`, () => {
    const result = runC(MALLOC_SOURCE, {
      glibc,
      arch: "x86_64",
      stdin: fixture("scanf_malloc/words.in"),
      pauseOnInput: false,
      explain: false,
      gccBuiltins: false, // make_outputs.sh builds with -fno-builtin
    });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, fixture(`scanf_malloc/words.${glibc}.out`));
  });
}

Deno.test("scanf's m on what glibc would grow or treat otherwise is refused by name", () => {
  for (const format of ["%mls", "%md", "%2000mc"]) {
    const result = runC(
      `#include <stdio.h>
       int main(void) { char *p; return scanf("${format}", &p); }`,
      { stdin: "abc\n", pauseOnInput: false },
    );
    assert.equal(result.error?.name, "CUnsupportedError", format);
    assert.match(result.error!.message, new RegExp(`scanf conversion '${format}'`));
  }
});

Deno.test("a scanf conversion without an argument is a CRuntimeError, not a crash inside", () => {
  const result = runC(
    `#include <stdio.h>
     int main(void) { int a; return scanf("%d %d", &a); }`,
    { stdin: "12 13\n", pauseOnInput: false },
  );
  assert.equal(result.state, "error");
  assert.match(result.error!.message, /scanf: conversion 2 has no argument to store into/);
});
