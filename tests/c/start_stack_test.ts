/**
 * A C program finds argv, its environment and main's frame where exec and glibc's start code put
 * them: start_stack.c, run by heaplab's C interpreter as each case's name with its arguments and
 * environment, prints what it printed started directly under real 2.31, 2.36, 2.41, 2.43 and
 * 2.44 with randomization off (tests/fixtures/c/start_stack/outputs.json, make_outputs.sh):
 * every address, string and getenv() result.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";

interface RealRun {
  readonly environment: string[];
  readonly name: string;
  readonly args: string[];
  readonly stdout: string;
}

const RUNS: Record<string, RealRun[]> = JSON.parse(fixture("start_stack/outputs.json"));
const SOURCE = fixture("start_stack/start_stack.c");

for (const [glibc, runs] of Object.entries(RUNS)) {
  Deno.test(`argv, envp and main's frame are where glibc ${glibc}'s process has them`, () => {
    for (const real of runs) {
      const result = runC(SOURCE, {
        file: "start_stack.c",
        glibc,
        arch: "x86_64",
        programName: real.name,
        args: real.args,
        environment: real.environment,
        explain: false,
      });
      if (result.state === "error") throw result.error;
      assert.equal(result.stdout, real.stdout, JSON.stringify(real.environment));
    }
  });
}

Deno.test("clearenv() empties what getenv() finds", () => {
  const result = runC(
    `#include <stdlib.h>
     #include <stdio.h>
     int main(void) {
       printf("%s ", getenv("A"));
       clearenv();
       printf("%p\\n", getenv("A"));
       return 0;
     }`,
    { environment: ["A=1"] },
  );
  assert.equal(result.stdout, "1 (nil)\n");
});

const LIBC_ENVIRON: Record<string, { delta: number; stdout: string }> = JSON.parse(
  fixture("start_stack/libc_environ.json"),
);

for (const [glibc, real] of Object.entries(LIBC_ENVIRON)) {
  Deno.test(`libc's own environ holds envp on glibc ${glibc} when the program does not name it`, () => {
    const result = runC(fixture("start_stack/libc_environ.c"), {
      file: "libc_environ.c",
      glibc,
      arch: "x86_64",
      args: [String(real.delta)],
      explain: false,
    });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, real.stdout);
  });
}

Deno.test("an environment too large for the initial stack is refused with a clear error", () => {
  assert.throws(
    () => runC("int main(void) { return 0; }", { environment: ["A=" + "x".repeat(40000)] }),
    /argv and the environment take 40\d\d\d bytes: at most 33792 fit the initial stack/,
  );
});
