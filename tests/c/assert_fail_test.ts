/**
 * A failed assert() makes glibc's own malloc calls before it aborts, as real glibc does: the C
 * programs of tests/fixtures/c/assert_fail/, run by heaplab's C interpreter, print what they
 * printed under real glibc and make, after the program's own calls, the same malloc, realloc
 * and free calls with the same sizes on the same chunks (calls.json, traced under gdb by
 * make_calls.sh). The messages' lengths take each way asprintf builds a string: an exact copy,
 * a trimmed buffer, buffers grown once and twice.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { runC } from "../../mod.ts";
import { assertFail, type AssertFailLibc, UNEXPECTED_ERROR } from "../../src/c/assert_fail.ts";
import type { GlibcProfile } from "../../src/malloc/profile.ts";

interface TracedRun {
  readonly exitStatus: number;
  readonly stdout: string;
  readonly stderr: string;
  /** `malloc(0x14) = 0x5555555552a0`, `free(0x0)`, … as gdb saw them. */
  readonly calls: readonly string[];
}

const RUNS: Record<string, Record<string, TracedRun>> = JSON.parse(
  fixture("assert_fail/calls.json"),
);

/** The program's own malloc and free calls before its assert. */
const OWN_CALLS = 6;

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
    Deno.test(`${program}.c's failed assert makes glibc ${version}'s malloc calls`, () => {
      const result = runC(fixture(`assert_fail/${program}.c`), {
        file: `${program}.c`,
        programName: "./prog",
        glibc: version,
        arch: "x86_64",
      });
      if (result.state === "error") throw result.error;
      assert.equal(result.state, "aborted");
      assert.equal(result.exitStatus, real.exitStatus);
      assert.equal(result.stderr, real.stderr);
      const calls = result.records
        .filter((r) => ["malloc", "calloc", "realloc", "free"].includes(r.operation))
        .map((r) => {
          const args = r.args.map((a) => `0x${a.toString(16)}`).join(", ");
          const call = `${r.operation}(${args})`;
          return r.operation === "free" ? call : `${call} = 0x${r.result.toString(16)}`;
        });
      assert.equal(calls.length, OWN_CALLS + real.calls.length, calls.join("\n"));
      const simulatedFirst = firstChunk(result.stdout), realFirst = firstChunk(real.stdout);
      assert.deepEqual(
        calls.slice(OWN_CALLS).map((c) => relative(c, simulatedFirst)),
        real.calls.map((c) => relative(c, realFirst)),
      );
    });
  }
}

/** A libc whose malloc family fails from its `failAt`-th call on, logging every call. */
function failingLibc(profile: AssertFailLibc["profile"], failAt: number) {
  const log: string[] = [];
  let calls = 0;
  const give = () => (++calls >= failAt ? 0 : calls * 0x1000);
  const libc: AssertFailLibc = {
    profile,
    malloc: (size) => {
      const p = give();
      log.push(`malloc(${size}) = ${p}`);
      return p;
    },
    realloc: (pointer, size) => {
      const p = give();
      log.push(`realloc(${pointer}, ${size}) = ${p}`);
      return p;
    },
    free: (pointer) => log.push(`free(${pointer})`),
    store: () => {},
    print: (text) => log.push(`print ${JSON.stringify(text)}`),
  };
  return { libc, log };
}

const MESSAGE = "prog: a.c:1: main: Assertion `0' failed.\n";

Deno.test("a failed malloc in __assert_fail's asprintf prints glibc's 'Unexpected error.'", () => {
  const profiles: AssertFailLibc["profile"][] = [
    { assertGettext: "free-dirname", assertMessage: "asprintf-100" },
    { assertGettext: "work-strings", assertMessage: "asprintf-200" },
  ];
  for (const profile of profiles) {
    // The third call of the 2.41 profile is the message's malloc; the first of 2.36's.
    const { libc, log } = failingLibc(profile, profile.assertMessage === "asprintf-100" ? 1 : 3);
    assertFail(libc, MESSAGE);
    assert.equal(log.at(-1), `print ${JSON.stringify(UNEXPECTED_ERROR)}`, log.join("\n"));
    assert.ok(!log.some((l) => l.includes("Assertion")), log.join("\n"));
  }
});

Deno.test("dcgettext's failed malloc frees NULLs and the message is still printed", () => {
  const profile: Pick<GlibcProfile, "assertGettext" | "assertMessage"> = {
    assertGettext: "work-strings",
    assertMessage: "direct",
  };
  const { libc, log } = failingLibc(profile, 1);
  assertFail(libc, MESSAGE);
  assert.deepEqual(log, [
    "malloc(20) = 0",
    "free(0)",
    "free(0)",
    "free(0)",
    `print ${JSON.stringify(MESSAGE)}`,
  ]);
});

Deno.test("asprintf's grown buffer that cannot be grown again is freed, up to 2.36 and after", () => {
  const long = "x".repeat(400) + "\n";
  const old = failingLibc({ assertGettext: "none", assertMessage: "asprintf-100" }, 3);
  assertFail(old.libc, long);
  assert.deepEqual(old.log, [
    "malloc(100) = 4096",
    "malloc(300) = 8192",
    "free(4096)",
    "malloc(700) = 0",
    "free(8192)",
    `print ${JSON.stringify(UNEXPECTED_ERROR)}`,
  ]);
  const newer = failingLibc({ assertGettext: "none", assertMessage: "asprintf-200" }, 2);
  assertFail(newer.libc, long);
  assert.deepEqual(newer.log, [
    "malloc(312) = 4096",
    "realloc(4096, 488) = 0",
    "free(4096)",
    `print ${JSON.stringify(UNEXPECTED_ERROR)}`,
  ]);
});
