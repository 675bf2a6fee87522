/**
 * The C programs of tests/fixtures/c/how2heap/, run by heaplab's C interpreter, end as the same
 * C file compiled with gcc ended under real glibc (outcomes.json, made by make_outcomes.sh):
 * success, the program's own failed assert, glibc's abort message, or SIGSEGV; and they print
 * the same lines, addresses aside.
 */

import assert from "node:assert/strict";
import { fixture, lastLine, maskAddresses } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

interface RealRun {
  readonly exitStatus: number;
  readonly stderr: string;
  readonly stdout: string;
}

const OUTCOMES: Record<string, Record<string, RealRun>> = JSON.parse(
  fixture("how2heap/outcomes.json"),
);

/** glibc versions the real oracle ran on x86_64 (outcomes.json has real runs of each). */
const VERSIONS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

/** The interpreter's end state for a real exit status. */
function stateOf(exitStatus: number): string {
  if (exitStatus === 134) return "aborted";
  if (exitStatus === 139) return "crashed";
  return "exited";
}

function describe(real: RealRun): string {
  if (real.exitStatus === 0) return "succeeds";
  if (real.exitStatus === 139) return "dies of SIGSEGV";
  return `aborts with "${lastLine(real.stderr)}"`;
}

for (const [program, runs] of Object.entries(OUTCOMES)) {
  for (const version of VERSIONS) {
    const real = runs[version];
    Deno.test({
      name: `${program}.c ${describe(real)} on glibc ${version} x86_64, as it does on real glibc`,
      fn() {
        const result = runC(fixture(`how2heap/${program}.c`), {
          file: `${program}.c`,
          programName: "./prog", // argv[0] of the real runs
          gccBuiltins: false, // make_outcomes.sh builds with -fno-builtin
          glibc: version,
          arch: "x86_64",
        });
        if (result.state === "error") throw result.error;
        assert.equal(result.state, stateOf(real.exitStatus));
        assert.equal(result.exitStatus, real.exitStatus);
        assert.equal(lastLine(result.stderr), lastLine(real.stderr));
        assert.equal(maskAddresses(result.stdout), maskAddresses(real.stdout));
      },
    });
  }
}
