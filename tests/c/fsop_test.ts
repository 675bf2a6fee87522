/**
 * FSOP through _IO_flush_all, against real runs (tests/fixtures/c/fsop/: each program under each
 * x86_64 oracle build, stdout a file). fsop.c: fflush(NULL) — as exit would — walks _IO_list_all
 * as libc's memory holds it and calls each FILE's __overflow through its vtable — a forged FILE
 * with libc's file vtable writes its bytes; one whose vtable lies outside libc's vtables ends the
 * process with glibc's message and SIGABRT, before stdout's turn and before fflush returns.
 * apple2_*.c: House of Apple 2 at exit — a forged FILE with _IO_wfile_jumps, whose wide vtable's
 * __doallocate glibc calls unchecked: into the program's win, into system (the real run's
 * execve traced), into garbage, with a NULL lock that exit's flush takes from 2.38, and the
 * fields it leaves (apple2_fields.c; apple2_zero.c: the buffers it makes after the call).
 * flush_reader.c: from 2.42 the flush also syncs a FILE holding unread bytes, through its
 * checked vtable.
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";
import type { GlibcVersion } from "../../mod.ts";
import { ControlFlowHijack } from "../../src/malloc/hooks.ts";

const SOURCE = fixture("fsop/fsop.c");

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`_IO_flush_all runs forged FILEs' vtables and checks them, as on glibc ${glibc}`, () => {
    const r = runC(SOURCE, {
      glibc,
      file: "fsop.c",
      stdout: "file",
      stdin: "",
      gccBuiltins: false,
    });
    assert.equal(r.state, "aborted", r.error?.message);
    assert.equal(r.exitStatus, Number(fixture(`fsop/${glibc}/status`)));
    assert.equal(r.stdout, fixture(`fsop/${glibc}/stdout`));
    assert.equal(r.stderr, fixture(`fsop/${glibc}/stderr`));
  });
}

/** A House of Apple 2 program's run under heaplab, its output and status as the real build's. */
const apple2 = (name: string, glibc: GlibcVersion) => runAsReal("fsop", name, glibc);

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`exit's _IO_flush_all calls a forged FILE's unchecked wide vtable into the program, as on glibc ${glibc}`, () => {
    // win(a) runs; b, already putting, is written on 2.31 and calls win from 2.36
    const r = apple2("apple2_win", glibc);
    assert.equal(r.state, "exited");
  });

  Deno.test(`House of Apple 2 reaches system with the FILE's flags as its command, as on glibc ${glibc}`, () => {
    const r = apple2("apple2_system", glibc);
    assert.equal(r.state, "exited");
    // the real run's strace: execve("/bin/sh", ["sh", "-c", ("--",) "  sh"], …)
    const traced = fixture(`fsop/apple2_system/${glibc}/execve`).split("\n")[0];
    const command = /"-c", (?:"--", )?"(.*)"\]/.exec(traced)![1];
    assert.deepEqual(r.events.map((e) => e.kind === "ShellSpawned" && [e.command, e.via, e.call]), [
      [command, "_wide_data->_wide_vtable->__doallocate", "exit"],
    ]);
  });

  Deno.test(`House of Apple 2 into garbage faults at the jump, as on glibc ${glibc}`, () => {
    const r = apple2("apple2_segv", glibc);
    assert.equal(r.state, "hijacked");
    assert.ok(r.error instanceof ControlFlowHijack);
    assert.equal(r.error.target, 0x4141414141414141n);
    assert.equal(r.error.signal, "SIGSEGV");
  });

  Deno.test(`_IO_wfile_overflow leaves a forged FILE's fields as on glibc ${glibc}`, () => {
    // WEOF from __doallocate, unbuffered, no writes, a backup area freed, a FILE being closed
    // (skipped from 2.44): fflush(NULL) then lets the program look
    const r = apple2("apple2_fields", glibc);
    assert.equal(r.state, "exited");
  });

  Deno.test(`House of Apple 2 with no narrow buffer gets both buffers made after the call, as on glibc ${glibc}`, () => {
    // _IO_doallocbuf through _IO_wfile_doallocate; the wide get area set first up to 2.40
    const r = apple2("apple2_zero", glibc);
    assert.equal(r.state, "exited");
  });

  Deno.test(`exit's flush syncs a FILE holding unread bytes from 2.42, checking its vtable, as on glibc ${glibc}`, () => {
    const r = apple2("flush_reader", glibc);
    assert.equal(r.state, glibc === "2.43" || glibc === "2.44" ? "aborted" : "exited");
  });

  Deno.test(`exit's flush locks a forged FILE from 2.38, faulting on a NULL lock, as on glibc ${glibc}`, () => {
    const r = apple2("apple2_nolock", glibc);
    assert.equal(r.state, glibc === "2.31" || glibc === "2.36" ? "exited" : "crashed");
  });
}
