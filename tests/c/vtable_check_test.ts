/**
 * glibc's vtable check on every call through a FILE's vtable, against real runs
 * (tests/fixtures/c/vtable/: each program under each x86_64 oracle build, stdout a file): a
 * program that points stdout's, stderr's, stdin's or a fopen'ed FILE's vtable into the heap ends
 * at the next call through it — puts, fputs, a byte without room, printf up to 2.36, fflush,
 * setvbuf, exit's flush, a read of an empty get area, fread, ungetc of another byte, fclose,
 * ftell — with "Fatal error: glibc detected an invalid stdio handle" and SIGABRT, its
 * buffered output lost; a byte or (2.37+) printf's text put into the buffer's room makes no call
 * and goes on.
 */

import assert from "node:assert/strict";
import { runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS } from "../../mod.ts";

const PROGRAMS = {
  vtable_stdout: "a call through stdout's heap vtable aborts where glibc calls through it",
  vtable_stderr: "a byte written to unbuffered stderr through a heap vtable aborts",
  vtable_fopen: "a write through a fopen'ed FILE's heap vtable aborts",
  vtable_fflush: "fflush of stdout through a heap vtable aborts",
  vtable_exit: "exit's flush of stdout through a heap vtable aborts",
  vtable_setvbuf: "setvbuf of stdout through a heap vtable aborts",
  vtable_stdin: "a read of stdin's empty get area through a heap vtable aborts",
  vtable_fread: "fread through a heap vtable aborts unless it reads nothing",
  vtable_reader: "ungetc of another byte through a fopen'ed FILE's heap vtable aborts",
  vtable_fclose: "fclose of a reading FILE through a heap vtable aborts",
  vtable_ftell: "ftell of a fopen'ed FILE through a heap vtable aborts",
};

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  for (const [name, behaviour] of Object.entries(PROGRAMS)) {
    Deno.test(`${behaviour}, as on glibc ${glibc}`, () => {
      const r = runAsReal("vtable", name, glibc);
      assert.equal(r.state, "aborted", r.error?.message);
    });
  }
}
