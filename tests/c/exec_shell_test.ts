/**
 * A win function's execve("/bin/sh"), against real runs (tests/fixtures/c/exec_shell/: exec.c
 * under each x86_64 oracle build, stdout a file): the process is replaced, what stdio buffered
 * is lost with it, and the shell, reading end of input, exits 0 — heaplab records the shell as
 * a ShellSpawned event and does not run it.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const SOURCE = fixture("exec_shell/exec.c");

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`execve of /bin/sh ends the program as on glibc ${glibc}, its buffered output lost`, () => {
    const r = runC(SOURCE, {
      glibc,
      file: "exec.c",
      stdout: "file",
      stdin: "",
      gccBuiltins: false,
    });
    assert.equal(r.state, "exited", r.error?.message);
    assert.equal(r.exitStatus, Number(fixture(`exec_shell/${glibc}/status`)));
    assert.equal(r.stdout, fixture(`exec_shell/${glibc}/stdout`));
    assert.deepEqual(r.events.map((e) => e.kind === "ShellSpawned" && [e.command, e.call]), [
      ["/bin/sh", "execve"],
    ]);
  });
}

Deno.test("execv and execl start the shell as execve does; another program is not modelled", () => {
  const calls = [
    [`char *argv[] = {"sh", "-c", "cat flag.txt", 0}; execv("/bin/sh", argv);`, "-c cat flag.txt"],
    [`execl("/bin/sh", "sh", (char *)0);`, "/bin/sh"],
  ];
  for (const [call, command] of calls) {
    const r = runC(`#include <unistd.h>\nint main(void) { ${call} return 1; }`, { glibc: "2.36" });
    assert.equal(r.state, "exited");
    assert.equal(r.exitStatus, 0);
    assert.deepEqual(r.events.map((e) => e.kind === "ShellSpawned" && e.command), [command]);
  }
  const other = runC(`#include <unistd.h>\nint main(void) { execve("/bin/cat", 0, 0); return 1; }`);
  assert.equal(other.error?.name, "CUnsupportedError");
  assert.match(other.error!.message, /execve of "\/bin\/cat": only a shell/);
});

Deno.test("an exec whose argument or environment string cannot be read fails with EFAULT", () => {
  const calls = [
    `char *argv[] = {(char *)0x4141414141, 0}; int r = execve("/bin/sh", argv, 0);`,
    `char *argv[] = {"sh", 0}, *envp[] = {(char *)1, 0}; int r = execve("/bin/sh", argv, envp);`,
  ];
  for (const call of calls) {
    const r = runC(`#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(void) { ${call} printf("%d %d\\n", r, errno); return 0; }`);
    assert.equal(r.state, "exited", r.error?.message);
    assert.equal(r.stdout, "-1 14\n");
  }
});
