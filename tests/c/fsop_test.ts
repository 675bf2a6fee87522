/**
 * FSOP through _IO_flush_all, against real runs (tests/fixtures/c/fsop/: fsop.c under each x86_64
 * oracle build, stdout a file): fflush(NULL) — as exit would — walks _IO_list_all as libc's
 * memory holds it and calls each FILE's __overflow through its vtable — a forged FILE with libc's file vtable writes its
 * bytes; one whose vtable lies outside libc's vtables ends the process with glibc's message and
 * SIGABRT, before stdout's turn and before fflush returns.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const SOURCE = fixture("fsop/fsop.c");

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`_IO_flush_all runs forged FILEs' vtables and checks them, as on glibc ${glibc}`, () => {
    const r = runC(SOURCE, { glibc, file: "fsop.c", stdout: "file", stdin: "" });
    assert.equal(r.state, "aborted", r.error?.message);
    assert.equal(r.exitStatus, Number(fixture(`fsop/${glibc}/status`)));
    assert.equal(r.stdout, fixture(`fsop/${glibc}/stdout`));
    assert.equal(r.stderr, fixture(`fsop/${glibc}/stderr`));
  });
}
