import assert from "node:assert/strict";
import { CProgram } from "../../src/c/program.ts";
import { fileListTable, fileTable } from "../../src/view/file_table.ts";

function row(table: ReturnType<typeof fileTable>, field: string) {
  const r = table.rows.find((x) => x.field === field);
  assert.ok(r, `no row ${field}`);
  return r;
}

/** A program run to its end, or to the line holding `stop`. */
function program(source: string, stop?: string): CProgram {
  const prog = new CProgram(`#include <stdio.h>\n#include <stdlib.h>\n${source}`, {
    glibc: "2.31",
    stdout: "pipe",
    files: { "flag.txt": "CTF{heap_is_fun}\n" },
  });
  if (stop === undefined) prog.run();
  else assert.equal(prog.runTo(stop).reached, true);
  return prog;
}

Deno.test("the FILE view shows stdout's fields in libc, its flags by name and its pointers' targets", () => {
  const prog = program(`int main(void) { puts("hello"); return 0; }`);
  const t = fileTable(prog, "stdout");
  assert.match(t.title!, /^FILE at 0x7ffff7fb16a0 <_IO_2_1_stdout_>$/);
  assert.equal(t.rows.length, 30);
  assert.deepEqual(row(t, "_flags"), {
    offset: "0x0",
    field: "_flags",
    value: "0xfbad2884",
    note: "_IO_MAGIC | _IO_NO_READS | _IO_LINKED | _IO_CURRENTLY_PUTTING | _IO_IS_FILEBUF",
  });
  assert.equal(row(t, "_IO_write_ptr").note, "heap");
  assert.equal(row(t, "_chain").note, "_IO_2_1_stdin_");
  assert.equal(row(t, "_lock").note, "_IO_stdfile_1_lock");
  assert.deepEqual(row(t, "vtable"), {
    offset: "0xd8",
    field: "vtable",
    value: "0x7ffff7fad480",
    note: "_IO_file_jumps",
  });
});

Deno.test("the FILE view names an unbuffered stream's pointers into its own _shortbuf", () => {
  const prog = program(`int main(void) { setvbuf(stdout, NULL, _IONBF, 0); puts("x"); return 0; }`);
  const t = fileTable(prog, "stdout", { fields: ["_IO_write_base", "_IO_buf_end"] });
  assert.deepEqual(t.rows.map((r) => r.note), ["this FILE's _shortbuf", "this FILE+0x84"]);
});

Deno.test("the FILE view shows what a program wrote into a FILE, a forged flag word included", () => {
  const prog = program(
    `int main(void) {
  ((unsigned long *)stdout)[0] = 0x68732020;
  ((unsigned long *)stdout)[27] = 0x4141414141414141;
  return 0;
}`,
    "return 0",
  );
  const t = fileTable(prog, "stdout", { fields: ["_flags", "vtable"] });
  assert.deepEqual(t.rows.map((r) => [r.value, r.note]), [
    ["0x68732020", "0x68730000 | _IO_ERR_SEEN | _IO_IS_FILEBUF"],
    ["0x4141414141414141", ""],
  ]);
});

Deno.test("the FILE list view walks _IO_list_all: a fopen'ed FILE on the heap, then stderr, stdout, stdin", () => {
  const prog = program(
    `int main(void) {
  FILE *f = fopen("flag.txt", "r");
  fgetc(f);
  return 0;
}`,
    "return 0",
  );
  const t = fileListTable(prog);
  assert.deepEqual(t.rows.map((r) => [r.FILE, r._fileno, r.vtable]), [
    ["heap", 3, "_IO_file_jumps"],
    ["_IO_2_1_stderr_", 2, "_IO_file_jumps"],
    ["_IO_2_1_stdout_", 1, "_IO_file_jumps"],
    ["_IO_2_1_stdin_", 0, "_IO_file_jumps"],
  ]);
  const file = Number(prog.locals().find((l) => l.name === "f")!.value);
  assert.equal(t.rows[0].address, `0x${file.toString(16)}`);
});

Deno.test("the FILE list view stops at a FILE already listed", () => {
  const prog = program(
    `int main(void) {
  ((FILE **)stdout)[13] = stdout;
  return 0;
}`,
    "return 0",
  );
  assert.deepEqual(fileListTable(prog).rows.map((r) => r.FILE), [
    "_IO_2_1_stderr_",
    "_IO_2_1_stdout_",
  ]);
});

Deno.test("the FILE view refuses fields that are not a list of names", () => {
  const prog = program(`int main(void) { return 0; }`);
  assert.throws(
    () => fileTable(prog, "stdin", { fields: "_flags" as unknown as string[] }),
    TypeError,
  );
});
