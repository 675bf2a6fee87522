/**
 * Calls through a FILE's vtable dispatched by the function its slot holds (src/c/vtable_check.ts),
 * against real runs (tests/fixtures/c/fsop/make_vtable_calls.sh: each program under each x86_64
 * oracle build, stdout a file): stdout's vtable 0x20 below _IO_wfile_jumps, so that puts' __xsputn
 * is _IO_wfile_overflow (House of Apple 2 without exit: apple2_puts.c; apple2_puts_return.c and
 * apple2_puts_char.c, whose win returns, the character being the string's address); stdout's
 * vtable _IO_wfile_jumps itself under puts (wfile_puts.c); a forged FILE whose vtable
 * _IO_wfile_jumps_mmap has _IO_wfile_overflow as __overflow at exit (apple2_mmap.c), and stdout
 * itself with that vtable (apple2_exit_stdout.c). Then what libc's vtable facts say each slot
 * reaches, on every build.
 */

import assert from "node:assert/strict";
import { runAsReal } from "./c_support.ts";
import { Allocator, ORACLE_BUILDS, Process, runC } from "../../mod.ts";
import type { GlibcVersion } from "../../mod.ts";
import { LIBC_BUILDS } from "../../src/malloc/libc_symbols.ts";
import { JUMP_SLOTS, libcVtableWord, vtableCall } from "../../src/c/vtable_check.ts";

/** A program's run under heaplab, its output and status as the real build's. */
const asReal = (name: string, glibc: GlibcVersion) => runAsReal("fsop", name, glibc);

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`puts through stdout's vtable shifted onto _IO_wfile_overflow calls the unchecked wide vtable, as on glibc ${glibc}`, () => {
    const r = asReal("apple2_puts", glibc); // win writes its line and _exit(7)s
    assert.equal(r.state, "exited");
  });

  Deno.test(`a win that returns leaves _IO_wfile_overflow storing puts' character at a NULL wide write pointer, as on glibc ${glibc}`, () => {
    const r = asReal("apple2_puts_return", glibc);
    assert.equal(r.state, "crashed");
    assert.equal(r.fault?.address, 0);
    assert.equal(r.fault?.access, "write");
  });

  Deno.test(`_IO_wfile_overflow reached by puts' __xsputn stores the low 32 bits of the string's address, as on glibc ${glibc}`, () => {
    // win gives stdout's wide data a buffer; puts returns EOF without its newline
    const r = asReal("apple2_puts_char", glibc);
    assert.equal(r.state, "exited");
  });

  Deno.test(`puts through _IO_wfile_jumps takes its string for wide characters, as on glibc ${glibc}`, () => {
    // 2.31: stored at the NULL wide write pointer; 2.36+: into a wide buffer _IO_wfile_doallocate
    // makes, never written, and only the newline reaches stdout
    const r = asReal("wfile_puts", glibc);
    assert.equal(r.state, glibc === "2.31" ? "crashed" : "exited");
  });

  Deno.test(`exit's flush through _IO_wfile_jumps_mmap, whose __overflow is _IO_wfile_overflow, reaches the wide vtable, as on glibc ${glibc}`, () => {
    const r = asReal("apple2_mmap", glibc);
    assert.equal(r.state, "exited");
  });

  Deno.test(`exit's flush of stdout through _IO_wfile_jumps_mmap writes its line on 2.31 and from 2.36 calls win and drops it, as on glibc ${glibc}`, () => {
    const r = asReal("apple2_exit_stdout", glibc);
    assert.equal(r.state, "exited");
  });
}

Deno.test("a call whose vtable slot holds a function not modelled is refused, naming the slot and the function", () => {
  const r = runC(
    `#include <stdio.h>
int main(void) {
  unsigned long *out = (unsigned long *)stdout;
  out[27] = *(unsigned long *)(out[20] + 0xe0) + 0x10; /* 2 slots into _IO_wfile_jumps */
  puts("x");
  return 0;
}`,
    { glibc: "2.41", stdout: "file" },
  );
  assert.equal(r.state, "error");
  assert.equal(r.error?.name, "CUnsupportedError");
  assert.match(
    r.error!.message,
    /a call of __xsputn through stdout's vtable _IO_wfile_jumps\+0x10 reaches _IO_wfile_seekoff/,
  );
});

for (const build of LIBC_BUILDS) {
  const glibc = build.version as GlibcVersion, word = build.arch === "x86_64" ? 8 : 4;
  Deno.test(`libc ${glibc} ${build.arch}: a vtable 4 words below _IO_wfile_jumps has _IO_wfile_overflow as __xsputn`, () => {
    const process = new Process({ layout: build.arch === "x86_64" ? "x86_64" : "i386" });
    const libc = new Allocator(process, { glibc }).libc;
    assert.equal(libc.build.facts, build);
    const wfile = libc.symbol("_IO_wfile_jumps")!, file = libc.symbol("_IO_file_jumps")!;
    const shifted = vtableCall(libc, true, wfile - 4 * word, "__xsputn");
    assert.ok(typeof shifted === "object");
    assert.equal(shifted.function, "_IO_wfile_overflow");
    // every slot of _IO_file_jumps is fileops'; a slot of _IO_wfile_jumps holding the same too
    for (const slot of JUMP_SLOTS) assert.equal(vtableCall(libc, true, file, slot), "file");
    assert.equal(vtableCall(libc, true, wfile, "__write"), "file");
    assert.equal(libcVtableWord(libc, wfile + 13 * word), "_IO_wfile_doallocate");
    assert.equal(libcVtableWord(libc, wfile + 1), undefined); // between two words
    assert.equal(vtableCall(libc, true, libc.base + build.ioVtables.end, "__finish"), "invalid");
  });
}
