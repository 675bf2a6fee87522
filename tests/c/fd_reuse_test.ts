/**
 * A standard descriptor closed, then reused: Linux gives an open the lowest free descriptor, so
 * a file opened after `fclose(stderr)` is descriptor 2, one opened after `close(1)` is stdout's
 * descriptor — what goes through it afterwards is the file's (write(2), stdout's FILE, glibc's
 * abort message). Against real runs on the five builds (tests/fixtures/c/fd_reuse/).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { CProgram, ORACLE_BUILDS, runC } from "../../mod.ts";

/** The files make_fd_reuse.sh writes in the working directory of every real run. */
const FILES = { "logo": " _  _\n| || |\n", "input.txt": "abcdef12\nline three\n42\n" };
const BUILDS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

const PROGRAMS = [
  ["stderr_reuse", "fclose(stderr) then fopen to read: descriptor 2, read with fgetc/feof/fseek"],
  ["stdout_reuse", "fclose(stdout) then fopen to write: descriptor 1, stdout's FILE stays closed"],
  ["stdin_reuse", "close(0) then open: read(0), getchar, fgets and scanf read the file"],
  ["stdin_closed", "close(0) alone: getchar allocates BUFSIZ, then fails with EBADF"],
  ["stdout_redirect", "close(1) then open: stdout's FILE writes into the file, EBADF before"],
  ["abort_closed", "fclose(stderr) then fopen to read: malloc's abort message is lost"],
] as const;

for (const [name, what] of PROGRAMS) {
  Deno.test(`${what}, as on real glibc (${name}.c)`, () => {
    for (const glibc of BUILDS) runAsReal("fd_reuse", name, glibc, { files: FILES });
  });
}

Deno.test("fclose(stderr) then fopen to write: malloc's abort message lands in the file, as on real glibc (abort_reuse.c)", () => {
  for (const glibc of BUILDS) {
    const r = runAsReal("fd_reuse", "abort_reuse", glibc, { files: FILES });
    assert.equal(r.state, "aborted");
    const prog = new CProgram(fixture("fd_reuse/abort_reuse.c"), {
      glibc,
      file: "abort_reuse.c",
      stdout: "file",
      stdin: "",
      pauseOnInput: false,
      gccBuiltins: false,
      files: FILES,
    });
    prog.run();
    const log = new TextDecoder().decode(prog.fileBytes("log.txt"));
    assert.equal(log, fixture(`fd_reuse/abort_reuse/${glibc}/log.txt`), glibc);
  }
});

Deno.test("a menu that closes stderr and prints a banner fopen'ed on descriptor 2 before each prompt runs as on real glibc (logo_menu.c)", () => {
  const input = fixture("fd_reuse/logo_menu.in");
  for (const glibc of BUILDS) {
    const prog = new CProgram(fixture("fd_reuse/logo_menu.c"), {
      glibc,
      file: "logo_menu.c",
      stdout: "file",
      stdin: [input],
      pauseOnInput: false,
      gccBuiltins: false,
      files: FILES,
    });
    const r = prog.run();
    const real = (what: string) => fixture(`fd_reuse/logo_menu/${glibc}/${what}`);
    assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
    assert.equal(r.stdout, real("stdout"), glibc);
    assert.equal(r.stderr, real("stderr"), glibc);
  }
});

Deno.test("close(1) then open on a terminal: stdout's first output sizes its buffer by fstat of the file, fully buffered, as on real glibc (tty_redirect.c)", () => {
  for (const glibc of BUILDS) {
    const r = runC(fixture("fd_reuse/tty_redirect.c"), {
      glibc,
      file: "tty_redirect.c",
      stdout: "tty",
      stdin: "",
      gccBuiltins: false,
    });
    const real = (what: string) => fixture(`fd_reuse/tty_redirect/${glibc}/${what}`);
    assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
    // descriptor 1 is the file: all the terminal showed came from stderr
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, real("terminal"), glibc);
  }
});
