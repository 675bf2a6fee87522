/**
 * A handler installed for the signal a fault raises runs as Linux delivers it: at a NULL write,
 * a write to a string literal, a read just above NULL, a return to an overwritten address
 * (picoCTF's "buffer overflow 0"), an integer division by 0, abort() and malloc's double-free
 * abort; its exit() flushes stdio, its _exit() loses it; SA_SIGINFO's si_signo, si_code and
 * si_addr are the kernel's; a handler that returns from abort's SIGABRT, or from a fault under
 * SA_RESETHAND, ends the process with the signal; SIG_IGN does not save a process from a fault.
 * The real runs: tests/fixtures/c/signal_handlers/ (make_runs.sh, x86_64 glibc 2.31–2.44, ASLR
 * off, stdout a file; layouts.c on i386 too, under qemu-i386).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const PROGRAMS = [
  "segv_exit",
  "segv_underscore_exit",
  "siginfo_rodata",
  "siginfo_null",
  "overflow_flag",
  "overflow_siginfo",
  "fpe_exit",
  "abort_exit",
  "abort_return",
  "abort_siginfo",
  "double_free",
  "segv_ignored",
  "abort_ignored",
  "resethand_return",
  "segv_in_handler",
  "ill_exit",
  "layouts",
];

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  for (const name of PROGRAMS) {
    Deno.test(`${name}.c's handler, output and exit status are glibc ${glibc}'s`, () => {
      runAsReal("signal_handlers", name, glibc);
    });
  }
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "i386")) {
  Deno.test(`i386 struct sigaction, siginfo_t and sigset_t are glibc ${glibc}'s`, () => {
    const r = runC(fixture("signal_handlers/layouts.c"), {
      glibc,
      arch: "i386",
      file: "layouts.c",
      gccBuiltins: false,
    });
    if (r.state === "error") throw r.error;
    assert.equal(r.stdout, fixture(`signal_handlers/layouts/i386/${glibc}.out`));
  });
}

/** The run of a program that installs `handler` for `signum` and then does `fault`. */
function refused(handler: string, install: string, fault: string): string {
  const r = runC(
    `#include <signal.h>
     #include <setjmp.h>
     #include <stdio.h>
     #include <stdlib.h>
     #include <string.h>
     jmp_buf env;
     ${handler}
     int main(void) {
       ${install}
       if (setjmp(env) == 0) { ${fault} }
       puts("after");
       return 0;
     }`,
  );
  assert.equal(r.state, "error");
  return r.error!.message;
}

const NULL_WRITE = "volatile int *p = 0; *p = 1;";
const SIGINFO_INSTALL = `struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;`;

Deno.test("a SIGSEGV handler that returns is refused: the kernel would run the write again", () => {
  const message = refused('void h(int s) { puts("h"); }', "signal(SIGSEGV, h);", NULL_WRITE);
  assert.match(message, /unsupported: a SIGSEGV handler that returns/);
});

Deno.test("a longjmp out of a fault's handler is refused by name", () => {
  const message = refused("void h(int s) { longjmp(env, 1); }", "signal(SIGSEGV, h);", NULL_WRITE);
  assert.match(message, /unsupported: longjmp to a setjmp whose function or block has been left/);
});

Deno.test("an SA_SIGINFO handler that reads its ucontext_t is refused: it is not filled", () => {
  const message = refused(
    'void h(int s, siginfo_t *i, void *uc) { printf("%p\\n", uc); exit(0); }',
    `${SIGINFO_INSTALL} sigaction(SIGSEGV, &sa, 0);`,
    NULL_WRITE,
  );
  assert.match(message, /unsupported: a SIGSEGV handler that reads its ucontext_t/);
});

Deno.test("si_addr at SIGFPE, the faulting instruction's address, is refused by name", () => {
  const message = refused(
    'void h(int s, siginfo_t *i, void *uc) { printf("%p\\n", i->si_addr); exit(0); }',
    `${SIGINFO_INSTALL} sigaction(SIGFPE, &sa, 0);`,
    'volatile int zero = 0; printf("%d\\n", 1 / zero);',
  );
  assert.match(message, /unsupported: si_addr of SIGFPE \(the faulting instruction's address\)/);
});

Deno.test("abort() inside a SIGABRT handler is refused by name", () => {
  const message = refused("void h(int s) { abort(); }", "signal(SIGABRT, h);", "abort();");
  assert.match(message, /unsupported: abort\(\) inside a SIGABRT handler/);
});

Deno.test("a return to an overwritten address into libc's code is still a hijack, not a SIGSEGV", () => {
  const r = runC(
    `#include <signal.h>
     #include <stdio.h>
     #include <stdlib.h>
     void h(int s) { puts("handler"); exit(1); }
     void vuln(void) {
       long a[1];
       a[2] = (long)puts;
     }
     int main(void) { signal(SIGSEGV, h); vuln(); return 0; }`,
  );
  assert.equal(r.state, "hijacked");
});
