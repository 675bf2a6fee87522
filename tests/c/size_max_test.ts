/**
 * A `size_t` count is unsigned: `(size_t) -1` given to memchr, memcmp, strncmp, strncat, strndup,
 * strnlen, strncasecmp, memmem and snprintf runs as on real glibc (the call stops at a NUL, a
 * match or a difference; memmem's and snprintf's ends wrap, memmem finding nothing and
 * snprintf's NUL, on 2.37+, going over the last character), and memset, memcpy, memmove,
 * strncpy, bzero, memrchr and memcmp given a count past the end of the memory fault (status 139;
 * memrchr on x86_64 only: i386's wraps around) — not a
 * JavaScript ArgumentRangeError or "Invalid string length". memcpy and bzero given exactly
 * `(size_t) -1` on x86_64, which glibc's releases end differently, are refused by name. The real runs:
 * tests/fixtures/c/size_max/ (make_runs.sh, x86_64 and i386 under qemu, glibc 2.31–2.44).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { CUnsupportedError, ORACLE_BUILDS, runC } from "../../mod.ts";

const PAST_END = ["memset", "memcpy", "memmove", "strncpy", "bzero", "memrchr", "memcmp"];

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`calls given (size_t) -1 that stop on their own run as on glibc ${glibc}`, () => {
    runAsReal("size_max", "size_max", glibc);
  });

  Deno.test(`memset, memcpy, memmove, strncpy, bzero, memrchr, memcmp past the memory's end fault, as on glibc ${glibc}`, () => {
    for (const call of PAST_END) {
      const r = runAsReal("size_max", `past_end_${call}`, glibc);
      assert.equal(r.state, "crashed", call);
    }
  });

  Deno.test(`memcpy and bzero of exactly (size_t) -1 are refused by name on glibc ${glibc}`, () => {
    for (const call of ["memcpy", "bzero"]) {
      const r = runC(fixture(`size_max/${call}_size_max.c`), {
        glibc,
        file: `${call}_size_max.c`,
        stdout: "file",
        gccBuiltins: false,
      });
      assert.ok(r.error instanceof CUnsupportedError, r.state);
      assert.match(r.error.message, new RegExp(`${call} of \\(size_t\\) -1 bytes`));
    }
  });
}

Deno.test("the real runs of memcpy and bzero of exactly (size_t) -1 end differently by release", () => {
  const statuses = (call: string) =>
    ["2.31", "2.36", "2.41", "2.43", "2.44"]
      .map((v) => fixture(`size_max/${call}_size_max/${v}/status`).trim()).join(" ");
  assert.equal(statuses("memcpy"), "139 0 0 139 139");
  assert.equal(statuses("bzero"), "139 139 0 139 139");
});

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "i386")) {
  Deno.test(`i386: (size_t) -1 and counts past the memory's end run as on glibc ${glibc}`, () => {
    // (memrchr left out: from a count past the top, i386's search wraps to the memory below and
    // goes on there, which heaplab does not model)
    const calls = PAST_END.filter((c) => c !== "memrchr");
    const names = ["size_max", ...calls.map((c) => `past_end_${c}`)];
    for (const name of [...names, "memcpy_size_max", "bzero_size_max"]) {
      const r = runC(fixture(`size_max/${name}.c`), {
        glibc,
        arch: "i386",
        file: `${name}.c`,
        stdout: "file",
        gccBuiltins: false,
      });
      const real = (what: string) => fixture(`size_max/${name}/i386-${glibc}/${what}`);
      assert.equal(r.exitStatus, Number(real("status")), `${name}: ${r.error?.message}`);
      assert.equal(r.stdout, real("stdout"), name);
    }
  });
}
