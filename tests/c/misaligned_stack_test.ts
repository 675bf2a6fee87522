/**
 * A function entered through an overwritten return address runs on a stack 8 bytes off the
 * ABI's alignment, and the libc calls that real glibc builds fault on there fault in heaplab
 * too: misaligned.c, run by heaplab's C interpreter with each libc function's name on stdin,
 * ends as it ended under real 2.31, 2.36, 2.41, 2.43 and 2.44 (outcomes.json, made by
 * make_outcomes.sh) — system() on 2.36 and later, printf to an unbuffered stream on 2.36, printf
 * into a string or a descriptor from 2.41 on, a failed assert's asprintf, nothing on 2.31 — and a
 * second hijacked return puts the stack back; built as gcc builds by default and with
 * -fno-builtin, which keeps the printf calls gcc would turn into puts.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";
import { MisalignedStackFault } from "../../src/c/misaligned_stack.ts";

interface RealRun {
  readonly exitStatus: number;
  readonly stdout: string;
  readonly stderr: string;
}

const SOURCE = fixture("misaligned_stack/misaligned.c");
// Built as gcc builds by default, and with -fno-builtin (printf("text\n") stays printf).
const BUILDS = [
  { gccBuiltins: true, file: "outcomes.json", how: "" },
  { gccBuiltins: false, file: "outcomes_no_builtin.json", how: " built with -fno-builtin" },
];

for (const { gccBuiltins, file, how } of BUILDS) {
  const outcomes: Record<string, Record<string, RealRun>> = JSON.parse(
    fixture(`misaligned_stack/${file}`),
  );
  for (const [version, runs] of Object.entries(outcomes)) {
    Deno.test(`libc calls after a hijacked return end as on real glibc ${version}${how}`, () => {
      assert.deepEqual(differences(runs, version, gccBuiltins), []);
    });
  }
}

/** The runs whose ending heaplab does not reproduce, each with both endings. */
function differences(
  runs: Record<string, RealRun>,
  version: string,
  gccBuiltins: boolean,
): string[] {
  const differ: string[] = [];
  for (const [fn, real] of Object.entries(runs)) {
    const result = runC(SOURCE, {
      file: "misaligned.c",
      programName: "./prog",
      glibc: version,
      arch: "x86_64",
      stdin: `${fn}\n`,
      pauseOnInput: false,
      gccBuiltins,
    });
    if (result.state === "error") throw result.error;
    const got = { exitStatus: result.exitStatus, stdout: result.stdout, stderr: result.stderr };
    try {
      assert.deepEqual(got, real);
      if (real.exitStatus === 139) assert.ok(result.fault instanceof MisalignedStackFault, fn);
    } catch {
      differ.push(`${fn}: ${JSON.stringify(got)} vs real ${JSON.stringify(real)}`);
    }
  }
  return differ;
}

Deno.test("a C program's system() records the shell it spawns and returns 0", () => {
  const result = runC(
    `#include <stdlib.h>
     int main(void) { return system("/bin/sh") + system(0); }`,
    { glibc: "2.36" },
  );
  assert.equal(result.state, "exited");
  assert.equal(result.exitStatus, 1); // system(NULL): a shell exists
  assert.deepEqual(result.events.map((e) => e.kind === "ShellSpawned" && e.command), ["/bin/sh"]);
});
