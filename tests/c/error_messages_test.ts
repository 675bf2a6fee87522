/**
 * strerror's messages are real glibc's, version by version: messages.c, run by heaplab's C
 * interpreter, prints what it printed under each x86_64 oracle build
 * (tests/fixtures/c/error_messages/, made by make_messages.sh): every error number from 0 to
 * 139, "Unknown error N" where glibc has no message, EFTYPE's from 2.43.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const SOURCE = fixture("error_messages/messages.c");

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`strerror's messages for 0 to 139 are glibc ${glibc}'s`, () => {
    const result = runC(SOURCE, { file: "messages.c", glibc, arch: "x86_64", explain: false });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, fixture(`error_messages/${glibc}.txt`));
  });
}
