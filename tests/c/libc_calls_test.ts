/**
 * libc's own malloc calls, as real glibc makes them: the C programs of
 * tests/fixtures/c/libc_calls/, run by heaplab's C interpreter, print what they printed under real glibc and make, after the
 * program's own calls, the same malloc, realloc and free calls with the same sizes on the same
 * chunks (calls.json, traced under gdb by make_calls.sh): a failed assert() before it aborts
 * (its messages' lengths take each way asprintf builds a string: an exact copy, a trimmed buffer,
 * buffers grown once and twice), perror() and strerror() translating their message.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";

interface TracedRun {
  readonly exitStatus: number;
  readonly stdout: string;
  readonly stderr: string;
  /**
   * `malloc(0x14) = 0x5555555552a0`, `free(0x0)`, … as gdb saw them, after the traced function's
   * name at each of its calls.
   */
  readonly calls: readonly string[];
}

const RUNS: Record<string, Record<string, TracedRun>> = JSON.parse(
  fixture("libc_calls/calls.json"),
);

/** How many malloc and free calls the program's own text makes (each is made once). */
function ownCalls(source: string): number {
  const main = source.slice(source.indexOf("int main"));
  return main.match(/\b(malloc|free)\(/g)?.length ?? 0;
}

/** Addresses as offsets from the program's first chunk (sizes and NULL as they are). */
function relative(call: string, first: number): string {
  return call.replace(/0x[0-9a-f]+/g, (hex) => {
    const value = parseInt(hex, 16);
    if (value < 0x100000) return hex;
    const offset = value - first;
    return offset < 0 ? `first-0x${(-offset).toString(16)}` : `first+0x${offset.toString(16)}`;
  });
}

function firstChunk(stdout: string): number {
  const match = /first chunk at (0x[0-9a-f]+)/.exec(stdout);
  assert.ok(match, `no first chunk in ${JSON.stringify(stdout)}`);
  return parseInt(match[1], 16);
}

for (const [program, runs] of Object.entries(RUNS)) {
  for (const [version, real] of Object.entries(runs)) {
    const source = fixture(`libc_calls/${program}.c`);
    const ends = real.exitStatus === 0 ? "" : " before it aborts";
    Deno.test(`${program}.c makes glibc ${version}'s own malloc calls${ends}`, () => {
      const result = runC(source, {
        file: `${program}.c`,
        programName: "./prog",
        glibc: version,
        arch: "x86_64",
        gccBuiltins: false, // make_calls.sh builds with -fno-builtin
      });
      if (result.state === "error") throw result.error;
      assert.equal(result.exitStatus, real.exitStatus);
      assert.equal(result.stderr, real.stderr);
      const calls = result.records
        .filter((r) => ["malloc", "calloc", "realloc", "free"].includes(r.operation))
        .map((r) => {
          const args = r.args.map((a) => `0x${a.toString(16)}`).join(", ");
          const call = `${r.operation}(${args})`;
          return r.operation === "free" ? call : `${call} = 0x${r.result.toString(16)}`;
        });
      assert.equal(
        result.stdout.replace(/0x[0-9a-f]+/g, "0x…"),
        real.stdout.replace(/0x[0-9a-f]+/g, "0x…"),
      );
      const realCalls = real.calls.filter((c) => c.includes("("));
      const own = ownCalls(source);
      assert.equal(calls.length, own + realCalls.length, calls.join("\n"));
      const simulatedFirst = firstChunk(result.stdout), realFirst = firstChunk(real.stdout);
      assert.deepEqual(
        calls.slice(own).map((c) => relative(c, simulatedFirst)),
        realCalls.map((c) => relative(c, realFirst)),
      );
    });
  }
}
