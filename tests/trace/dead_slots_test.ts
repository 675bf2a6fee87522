/**
 * Frees and reallocs of dead slots (format v2's rule for v1 lines): the slot's last pointer goes
 * to glibc again, and the replay ends as real glibc's run did — a double free's abort message, a
 * fault, or nothing at all — byte for byte what the oracle's driver printed
 * (tests/fixtures/oracle-dead-slots/).
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { replayTrace } from "../../src/trace/replay.ts";
import { firstDifference } from "../oracle_support.ts";

const DIR = fileURLToPath(new URL("../fixtures/oracle-dead-slots/", import.meta.url));

for (const build of [...Deno.readDirSync(`${DIR}expected`)].map((e) => e.name).sort()) {
  const glibc = build.slice(0, build.indexOf("-"));
  for (const file of [...Deno.readDirSync(`${DIR}traces`)].map((e) => e.name).sort()) {
    const name = file.slice(0, -".trace".length);
    Deno.test(`${name} on glibc ${build} ends as real glibc's run did`, () => {
      const expected = Deno.readTextFileSync(`${DIR}expected/${build}/${name}.out`);
      const { output } = replayTrace(Deno.readTextFileSync(`${DIR}traces/${file}`), {
        glibc,
        arch: "x86_64",
        allocator: defaultAllocatorFactory,
      });
      assert.ok(output === expected, firstDifference(output, expected));
    });
  }
}

Deno.test("a slot that never held a pointer is still an error, not a free(NULL)", () => {
  const { output, status } = replayTrace("malloc 0 24\nfree 1\n", {
    allocator: defaultAllocatorFactory,
  });
  assert.equal(status, 2);
  assert.match(output, /\n2 error slot is not live\n$/);
});
