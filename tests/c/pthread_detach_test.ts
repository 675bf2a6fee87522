/**
 * pthread_detach and pthread_join answer as the real builds do, and a detached thread's end
 * gives its stack back to nptl's stack cache: the next pthread_create takes the same stack (the
 * same pthread_t, its locals at the same addresses) and malloc the same thread arena. The real
 * runs: tests/fixtures/c/pthread_detach/ (make_detach.sh, x86_64 glibc 2.31–2.44, ASLR off).
 *
 * The thread stacks' absolute addresses are not compared: the real process maps libpthread
 * (which the 2.31 sysroot build links), and its thread descriptor and first frame sit at other
 * offsets from the stack's top. Which thread has which stack is compared, every stack address
 * named by its order of appearance; the malloc'ed pointers are compared as printed.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { CUnsupportedError, ORACLE_BUILDS, runC } from "../../mod.ts";

/** `self` and `local` addresses replaced by names, in the order they first appear. */
function nameStacks(text: string): string {
  const names = new Map<string, string>();
  return text.replace(/(self|local) (0x[0-9a-f]+)/g, (_, kind: string, address: string) => {
    const key = `${kind} ${address}`;
    if (!names.has(key)) {
      names.set(key, `${kind}#${[...names.keys()].filter((k) => k.startsWith(kind)).length}`);
    }
    return `${kind} ${names.get(key)}`;
  });
}

function run(source: string, glibc: (typeof ORACLE_BUILDS)[number]["glibc"]) {
  return runC(source, { glibc, file: "prog.c", stdout: "file", stdin: "", gccBuiltins: false });
}

function runAsRealRun(name: string, glibc: (typeof ORACLE_BUILDS)[number]["glibc"]) {
  const r = run(fixture(`pthread_detach/${name}.c`), glibc);
  const real = (what: string) => fixture(`pthread_detach/${name}/${glibc}/${what}`);
  assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
  assert.equal(r.stderr, real("stderr"));
  return { stdout: r.stdout, realStdout: real("stdout") };
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`a detached thread's stack and arena go to the next thread; join and detach answer as glibc ${glibc}`, () => {
    const { stdout, realStdout } = runAsRealRun("detach", glibc);
    assert.equal(nameStacks(stdout), nameStacks(realStdout));
  });

  Deno.test(`a thread that takes a detached thread's stack is the one its pthread_t names, as glibc ${glibc}`, () => {
    const { stdout, realStdout } = runAsRealRun("same_handle", glibc);
    assert.equal(stdout, realStdout);
  });
}

Deno.test("pthread_detach of a pointer that is no thread is refused by name", () => {
  const r = run(
    `#include <pthread.h>
int main(void) {
  return pthread_detach((pthread_t)0x1234);
}`,
    "2.36",
  );
  assert.ok(r.error instanceof CUnsupportedError);
  assert.match(r.error.message, /pthread_detach of 0x1234, not a thread of the program/);
});
