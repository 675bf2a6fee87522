/**
 * heaplab's ptmalloc2 against real glibc: every heap trace of the oracle (hand-written and
 * generated) on every build the oracle ran, and the kernel traces with heap operations (rawmaps
 * byte for byte), must print exactly what the oracle driver printed on real glibc.
 *
 * Heap traces start from the oracle driver's own address space (`driverLayout`): from glibc
 * 2.42 a thread stack's VMA merges with a neighbouring stack, so the printed stack sizes depend
 * on where the stacks fall, i.e. on the real process's layout.
 */

import assert from "node:assert/strict";
import {
  BUILDS,
  driverLayout,
  firstDifference,
  hasHeapOps,
  initialMapsOf,
  ORACLE,
  replay,
  traceNames,
} from "../oracle_support.ts";

function check(actual: string, expected: string, what: string): void {
  if (actual !== expected) {
    assert.fail(`${what} differs from real glibc at ${firstDifference(actual, expected)}`);
  }
}

const heapTraces = [
  ...traceNames("traces").map((n) => ["traces", n]),
  ...traceNames("traces/gen").map((n) => ["traces/gen", n]),
];

for (const build of BUILDS) {
  Deno.test(`heap traces replay exactly as real glibc ${build.name} prints them`, async (t) => {
    for (const [dir, name] of heapTraces) {
      await t.step(`${dir}/${name}`, () => {
        const text = Deno.readTextFileSync(`${ORACLE}${dir}/${name}.trace`);
        const expected = Deno.readTextFileSync(`${ORACLE}expected/${build.name}/${name}.out`);
        const { output } = replay(text, {
          glibc: build.glibc,
          arch: build.arch,
          nprocs: 2,
          initialMaps: driverLayout(build.name),
        });
        check(output, expected, `${dir}/${name} on ${build.name}`);
      });
    }
  });

  Deno.test(`kernel traces with heap operations match real glibc ${build.name} byte for byte`, async (t) => {
    for (const name of traceNames("traces/kernel")) {
      const text = Deno.readTextFileSync(`${ORACLE}traces/kernel/${name}.trace`);
      if (!hasHeapOps(text)) continue;
      await t.step(`kernel/${name}`, () => {
        const expected = Deno.readTextFileSync(`${ORACLE}expected-raw/${build.name}/${name}.out`);
        const { output } = replay(text, {
          glibc: build.glibc,
          arch: build.arch,
          nprocs: 2,
          initialMaps: initialMapsOf(expected),
        });
        check(output, expected, `kernel/${name} on ${build.name}`);
      });
    }
  });
}
