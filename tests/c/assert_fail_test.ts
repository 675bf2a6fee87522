/**
 * What `__assert_fail` does when glibc's mallocs fail: "Unexpected error." instead of the message
 * when asprintf cannot build it, the buffers it made freed; the message still printed when
 * dcgettext's work strings cannot be made. (What it does when they succeed, against real glibc:
 * libc_calls_test.ts.)
 */

import assert from "node:assert/strict";
import { assertFail, type AssertFailLibc, UNEXPECTED_ERROR } from "../../src/c/assert_fail.ts";
import type { GlibcProfile } from "../../src/malloc/profile.ts";

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
    { gettextCalls: "free-dirname", assertMessage: "asprintf-100" },
    { gettextCalls: "work-strings", assertMessage: "asprintf-200" },
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
  const profile: Pick<GlibcProfile, "gettextCalls" | "assertMessage"> = {
    gettextCalls: "work-strings",
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

Deno.test("asprintf's buffer that cannot grow again is freed, up to 2.36 and after", () => {
  const long = "x".repeat(400) + "\n";
  const old = failingLibc({ gettextCalls: "none", assertMessage: "asprintf-100" }, 3);
  assertFail(old.libc, long);
  assert.deepEqual(old.log, [
    "malloc(100) = 4096",
    "malloc(300) = 8192",
    "free(4096)",
    "malloc(700) = 0",
    "free(8192)",
    `print ${JSON.stringify(UNEXPECTED_ERROR)}`,
  ]);
  const newer = failingLibc({ gettextCalls: "none", assertMessage: "asprintf-200" }, 2);
  assertFail(newer.libc, long);
  assert.deepEqual(newer.log, [
    "malloc(312) = 4096",
    "realloc(4096, 488) = 0",
    "free(4096)",
    `print ${JSON.stringify(UNEXPECTED_ERROR)}`,
  ]);
});
