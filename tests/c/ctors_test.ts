// Constructors and destructors (src/c/init_fini.ts, exit_handlers.ts' _dl_fini) against real
// x86_64 and i386 (under qemu-i386) glibc 2.31-2.44: tests/fixtures/c/ctors/ (make_ctors.sh),
// stdout a file.

import assert from "node:assert/strict";
import { CProgram, type GlibcVersion, runC } from "../../mod.ts";
import { LIBC_BUILDS } from "../../src/malloc/libc_symbols.ts";
import { fixture, runAsReal } from "./c_support.ts";

const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];
const DIR = "ctors";

const CASES: [string, string][] = [
  [
    "ctor_order",
    "constructors run by priority then definition, with (argc, argv, envp); destructors the reverse, after the atexit handlers, before stdout's flush",
  ],
  ["ctor_malloc", "a constructor's malloc takes the heap's first chunk"],
  [
    "ctor_setvbuf",
    "a constructor's setvbuf unbuffers stdout before main; _exit runs no destructor",
  ],
  [
    "ctor_exit",
    "a constructor's exit skips main and the later constructors, runs atexit handlers and the destructors",
  ],
  ["dtor_exit", "exit from main runs the destructors, its status kept"],
  ["dtor_abort", "abort in a destructor: SIGABRT, stdout's buffer never flushed"],
];

for (const glibc of VERSIONS) {
  for (const [name, what] of CASES) {
    Deno.test(`${glibc}: ${what} (${name}.c), as real`, () => {
      runAsReal(DIR, name, glibc);
    });
    Deno.test(`${glibc} i386: ${what} (${name}.c), as real`, () => {
      runAsReal(DIR, name, glibc, { arch: "i386", runs: `${name}/i386` });
    });
  }
}

for (const glibc of VERSIONS) {
  Deno.test(`${glibc}: _dl_fini's entry in initial made ef_free, exit runs no destructor (dtor_skipped.c), as real`, () => {
    const b = LIBC_BUILDS.find((b) => b.version === glibc && b.arch === "x86_64")!;
    const d = b.symbols.initial - b.symbols.printf;
    const r = runC(fixture(`${DIR}/dtor_skipped.c`), {
      glibc,
      file: "dtor_skipped.c",
      stdout: "file",
      stdin: "",
      gccBuiltins: false,
      args: [(d < 0 ? "-0x" : "0x") + Math.abs(d).toString(16)],
    });
    const real = (what: string) => fixture(`${DIR}/dtor_skipped/${glibc}/${what}`);
    assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
    assert.equal(r.stdout, real("stdout"));
    assert.equal(r.stderr, real("stderr"));
  });
}

const UNBUFFERED = `#include <stdio.h>
__attribute__((constructor)) static void setup(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ctor\\n");
}
int main(void) {
  puts("main");
  return 0;
}
`;

Deno.test("a program's first step is its constructor's first statement", () => {
  const prog = new CProgram(UNBUFFERED, { glibc: "2.36" });
  assert.equal(prog.step().line, 3);
  assert.equal(prog.step().line, 4);
  assert.equal(prog.step().line, 7);
  assert.equal(prog.stdout, "ctor\n");
});

Deno.test("a re-run to an earlier position (at) runs the constructor's steps again", () => {
  const prog = new CProgram(UNBUFFERED, { glibc: "2.36" });
  prog.run();
  assert.equal(prog.stdout, "ctor\nmain\n");
  const back = prog.at(3);
  assert.equal(back.stdout, "ctor\n");
  assert.equal(back.run().stdout, "ctor\nmain\n");
});

Deno.test("runTo a line of main stops there after the constructor has run", () => {
  const prog = new CProgram(UNBUFFERED, { glibc: "2.36" });
  prog.runTo(7);
  assert.equal(prog.stdout, "ctor\n");
});

Deno.test("a fault in a constructor is reported in it, before main", () => {
  const r = runC(
    `#include <stdio.h>
static int *target;
__attribute__((constructor)) static void setup(void) {
  *target = 1;
}
int main(void) { puts("main"); return 0; }
`,
    { glibc: "2.41", file: "prog.c" },
  );
  assert.equal(r.exitStatus, 139);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.backtrace, ["#0 setup () at prog.c:4"]);
});

Deno.test("a constructor named on its prototype only is one (gcc merges the attribute)", () => {
  const r = runC(
    `#include <stdio.h>
static void early(void) __attribute__((constructor));
int main(void) { puts("main"); return 0; }
static void early(void) { puts("early"); }
`,
    { glibc: "2.44" },
  );
  assert.equal(r.stdout, "early\nmain\n");
});
