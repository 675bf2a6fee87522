import assert from "node:assert/strict";
import {
  BUILDS,
  firstDifference,
  hasHeapOps,
  initialMapsOf,
  ORACLE,
  replay,
  traceNames,
} from "../oracle_support.ts";

// Every kernel trace without heap or thread operations, on every build, must print what the
// real kernel printed (expected-raw), byte for byte, starting from its first rawmaps block.
for (const name of traceNames("traces/kernel")) {
  const trace = Deno.readTextFileSync(`${ORACLE}traces/kernel/${name}.trace`);
  if (hasHeapOps(trace)) continue;
  for (const build of BUILDS) {
    Deno.test(`kernel trace ${name} on ${build.name} matches the real kernel byte for byte`, () => {
      const expected = Deno.readTextFileSync(`${ORACLE}expected-raw/${build.name}/${name}.out`);
      const { output, status } = replay(trace, {
        glibc: build.glibc,
        arch: build.arch,
        initialMaps: initialMapsOf(expected),
      });
      assert.equal(status, 0);
      assert.ok(output === expected, firstDifference(output, expected));
    });
  }
}
