/**
 * C programs that need more stack than exec gave them run as the real build does: big_local.c's
 * 0x21000-byte local array in main (as idekctf's write_me has) grows `[stack]` and the program
 * exits 0, and stack_growth.c's touches 0x21000, 0x100000 and 7 MiB below a local grow it as
 * Linux did, then the one at 9 MiB, past RLIMIT_STACK, is a SIGSEGV (status 139). The real runs:
 * tests/fixtures/c/stack_growth/ (make_runs.sh, x86_64 glibc 2.31–2.44, ASLR off, 8 MiB stack).
 * The programs print /proc/self/maps, which heaplab's interpreter does not open: the test
 * compares its process's maps instead.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { CProgram, ORACLE_BUILDS } from "../../mod.ts";

function run(name: string, glibc: (typeof ORACLE_BUILDS)[number]["glibc"]) {
  const prog = new CProgram(fixture(`stack_growth/${name}.c`), {
    glibc,
    file: `${name}.c`,
    stdout: "file",
    pauseOnInput: false,
    explain: false,
    gccBuiltins: false, // make_runs.sh builds with -fno-builtin
  });
  const result = prog.run();
  if (result.state === "error") throw result.error;
  const stack = prog.process.maps().split("\n").find((l) => l.endsWith("[stack]"))!;
  const real = (what: string) => fixture(`stack_growth/${name}/${glibc}/${what}`);
  return { result, stack, real };
}

/** The start and end of a maps line's range. */
function range(line: string): [number, number] {
  const [start, end] = line.split(" ")[0].split("-").map((h) => parseInt(h, 16));
  return [start, end];
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`a 0x21000-byte local array in main grows [stack] and runs, as on glibc ${glibc}`, () => {
    const { result, stack, real } = run("big_local", glibc);
    assert.equal(result.exitStatus, Number(real("status")));
    const realOut = real("stdout");
    assert.equal(result.stdout, realOut.slice(0, realOut.indexOf("\n") + 1));
    // The real [stack] also holds libc's frames below main's (printf's, write's), which heaplab
    // does not lay out: the same top, and grown past the array but not beyond the real one.
    const [start, end] = range(stack);
    const [realStart, realEnd] = range(realOut.split("\n").find((l) => l.endsWith("[stack]"))!);
    assert.equal(end, realEnd);
    assert.ok(end - start > 0x21000, stack);
    assert.ok(start >= realStart, stack);
  });

  Deno.test(`[stack] grows to 7 MiB and a touch at 9 MiB is a SIGSEGV, as on glibc ${glibc}`, () => {
    const { result, stack, real } = run("stack_growth", glibc);
    assert.equal(result.exitStatus, Number(real("status")));
    assert.equal(result.state, "crashed");
    assert.equal(result.fault?.code, "SEGV_MAPERR");
    assert.equal(result.backtrace[1], "#1 main () at stack_growth.c:43");
    // the last [stack] the real program printed, before the 9 MiB touch
    const last = real("stdout").trimEnd().split("\n").at(-1)!;
    assert.equal(stack, last.replace(/^7 MiB: /, "").replace(/ \(0x[0-9a-f]+ bytes\)$/, ""));
  });
}
