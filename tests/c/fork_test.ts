/**
 * fork, wait, waitpid and getppid: the child a re-run of its parent to the fork (its memory the
 * parent's there, byte for byte), run when its parent waits for it or once its parent ends.
 * Against real runs on the five builds (tests/fixtures/c/fork/): stdout, stderr and exit status
 * of programs whose output has one order however the processes are scheduled.
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { CProgram, CUnsupportedError, diff, heapState, ORACLE_BUILDS, runC } from "../../mod.ts";

const BUILDS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

Deno.test("after fork the child's heap is the parent's and malloc in each returns the same address, fork returning the child's pid and 0, as on real glibc (fork_heap.c)", () => {
  for (const glibc of BUILDS) runAsReal("fork", "fork_heap", glibc);
});

Deno.test("what stdout buffered at fork is written by parent and child, once after fflush or with stdout unbuffered, as on real glibc (fork_stdout.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("fork", "fork_stdout", glibc);
    const prog = new CProgram(fixture("fork/fork_stdout.c"), {
      glibc,
      stdout: "pipe",
      stdin: "",
      pauseOnInput: false,
      gccBuiltins: false,
    });
    assert.equal(prog.run().stdout, fixture(`fork/fork_stdout/${glibc}/pipe`), glibc);
  }
});

Deno.test("a child's _exit loses what its stdout buffered and exit flushes it, the status reaching wait's WIFEXITED and WEXITSTATUS, as on real glibc (fork_exit.c)", () => {
  for (const glibc of BUILDS) runAsReal("fork", "fork_exit", glibc);
});

Deno.test("a child's double free prints glibc's message on the shared stderr and its parent's waitpid reads SIGABRT, as on real glibc (fork_abort.c)", () => {
  for (const glibc of BUILDS) {
    const r = runAsReal("fork", "fork_abort", glibc);
    const ended = r.events.filter((e) => e.kind === "ChildExited");
    assert.deepEqual(
      ended.map((e) => e.kind === "ChildExited" && [e.pid, e.state, e.exitStatus, e.waitStatus]),
      [[31941, "aborted", 134, 6]],
    );
  }
});

Deno.test("a file the child writes is the parent's to read once it has waited, and a descriptor opened before the fork has one offset in both, as on real glibc (fork_files.c)", () => {
  for (const glibc of BUILDS) runAsReal("fork", "fork_files", glibc);
});

Deno.test("wait and waitpid without a child are ECHILD, waitpid takes the child it names and wait the other, getppid is the parent's pid, as on real glibc (fork_wait.c)", () => {
  for (const glibc of BUILDS) {
    runAsReal("fork", "fork_wait", glibc);
    assert.match(
      fixture("fork/strace.txt"),
      /flags=CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD/,
    );
  }
});

Deno.test("the child's memory at its fork is its parent's there, every page of every mapping and the heap's chunks", () => {
  const source = fixture("fork/fork_heap.c");
  for (const glibc of ["2.31", "2.44"]) {
    const options = { glibc, stdout: "file" as const, stdin: "", gccBuiltins: false };
    const parent = new CProgram(source, options);
    assert.equal(parent.runTo("pid_t pid = fork()").reached, true);
    const prog = new CProgram(source, options);
    prog.run();
    const child = prog.children[0].program!;
    const origin = child.forkedFrom!;
    assert.equal(origin.ppid, parent.process.pid);
    assert.equal(child.process.pid, parent.process.pid + 1);
    const memory = parent.process.space.memory;
    origin.atFork.read((libc) => {
      assert.equal(libc.process.maps(), parent.process.maps());
      for (const area of parent.process.space.areas()) {
        const size = area.end - area.start;
        const theirs = libc.process.space.memory.readBytes(area.start, size);
        assert.deepEqual(theirs, memory.readBytes(area.start, size), `${glibc} ${area.name}`);
      }
    });
    // (a tcache bin is named by its thread: the child's main thread has the child's pid)
    const changes = diff(heapState(parent.allocator, "parent at its fork"), origin.atFork);
    assert.equal(changes.bytes.length, 0);
    const relabelled = (c: (typeof changes.chunks)[number]) =>
      c.kind === "moved" && c.stateBefore === c.stateAfter &&
      c.binBefore?.replace(/tid \d+/, "") === c.binAfter?.replace(/tid \d+/, "");
    assert.ok(changes.chunks.length > 0 && changes.chunks.every(relabelled));
  }
});

Deno.test("children take the pids after their parent's, and each has its own system call log after the fork", () => {
  const r = new CProgram(
    [
      "#include <stdlib.h>",
      "#include <unistd.h>",
      "#include <sys/wait.h>",
      "int main(void) {",
      "  if (fork() == 0) { malloc(0x30000); return 0; }",
      "  if (fork() == 0) return 0;",
      "  while (wait(NULL) > 0) {}",
      "  return 0;",
      "}",
    ].join("\n"),
    { stdout: "pipe", pauseOnInput: false },
  );
  r.run();
  const [first, second] = r.children;
  assert.deepEqual([first.pid, second.pid], [r.process.pid + 1, r.process.pid + 2]);
  assert.deepEqual([first.reaped, second.reaped, first.waitStatus], [true, true, 0]);
  const own = first.program!.process.syscalls.since(first.program!.forkedFrom!.syscallSeq);
  // (its first malloc: the heap's brk, then the mmap of 0x30000, made by the child's thread)
  assert.deepEqual(own.map((s) => s.name), ["brk", "mmap"]);
  assert.ok(own.every((s) => s.tid === r.process.pid + 1));
  assert.equal(
    r.process.syscalls.all().some((s) => s.name === "mmap" && s.args[1] >= 0x30000),
    false,
  );
});

Deno.test("a child its parent never waits for runs once the parent has ended: its output after the parent's", () => {
  const r = runC(
    [
      "#include <stdio.h>",
      "#include <unistd.h>",
      "int main(void) {",
      '  if (fork() == 0) { puts("child"); return 3; }',
      '  puts("parent");',
      "  return 0;",
      "}",
    ].join("\n"),
  );
  assert.equal(r.stdout, "parent\nchild\n");
  assert.equal(r.exitStatus, 0);
  assert.deepEqual(
    r.events.map((e) => e.kind === "ChildExited" && [e.state, e.exitStatus, e.waitStatus]),
    [["exited", 3, 0x300]],
  );
});

Deno.test("a child re-run reaches its fork with the input its parent was given before it", () => {
  const prog = new CProgram(
    [
      "#include <stdio.h>",
      "#include <unistd.h>",
      "#include <sys/wait.h>",
      "int main(void) {",
      "  char line[32];",
      "  fgets(line, sizeof line, stdin);",
      '  if (fork() == 0) { printf("child read %s", line); return 0; }',
      "  wait(NULL);",
      '  printf("parent read %s", line);',
      "  return 0;",
      "}",
    ].join("\n"),
  );
  assert.equal(prog.run().state, "paused");
  prog.feed("typed\n");
  const r = prog.run();
  assert.equal(r.stdout, "child read typed\nparent read typed\n");
});

/** The error a program ends with, which must be a refusal naming `what`. */
function refused(source: string, what: RegExp, stdin = ""): void {
  const r = runC("#include <stdio.h>\n#include <unistd.h>\n#include <sys/wait.h>\n" + source, {
    stdin,
  });
  assert.ok(r.error instanceof CUnsupportedError, r.error?.message ?? r.state);
  assert.match(r.error.message, what);
}

Deno.test("what fork does not model is refused by name: vfork, fork in a thread or in a child, WNOHANG on a live child, getppid of the first process, a child reading the shared stdin, a SIGCHLD handler", () => {
  refused("int main(void) { vfork(); return 0; }", /vfork/);
  refused(
    "#include <pthread.h>\nvoid *f(void *a) { fork(); return a; }\n" +
      "int main(void) { pthread_t t; pthread_create(&t, 0, f, 0); pthread_join(t, 0); return 0; }",
    /fork inside a thread/,
  );
  refused(
    "int main(void) { if (fork() == 0) { fork(); return 0; } wait(NULL); return 0; }",
    /fork in a fork's child/,
  );
  refused(
    "int main(void) { int s; if (fork() == 0) return 0; waitpid(-1, &s, WNOHANG); return 0; }",
    /WNOHANG/,
  );
  refused("int main(void) { return getppid(); }", /getppid in the first process/);
  refused(
    "int main(void) { if (fork() == 0) { getchar(); return 0; } wait(NULL); return 0; }",
    /standard input in a fork's child/,
    "x\n",
  );
  refused(
    "#include <signal.h>\nvoid h(int s) {}\nint main(void) { signal(SIGCHLD, h); fork(); return 0; }",
    /SIGCHLD/,
  );
});
