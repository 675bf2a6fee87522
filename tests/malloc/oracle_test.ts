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
import { Allocator } from "../../src/malloc/allocator.ts";
import { replayTrace } from "../../src/trace/replay.ts";
import {
  BUILDS,
  driverLayout,
  firstDifference,
  hasHeapOps,
  initialMapsOf,
  ORACLE,
  traceNames,
} from "../oracle_support.ts";

const factory = (
  p: ConstructorParameters<typeof Allocator>[0],
  o: { glibc: string; nprocs: number },
) => new Allocator(p, { glibc: o.glibc, nprocs: o.nprocs, explain: false });

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
  Deno.test(`heap traces replay exactly as real glibc ${build.name} prints them`, () => {
    for (const [dir, name] of heapTraces) {
      const text = Deno.readTextFileSync(`${ORACLE}${dir}/${name}.trace`);
      const expected = Deno.readTextFileSync(`${ORACLE}expected/${build.name}/${name}.out`);
      const { output } = replayTrace(text, {
        glibc: build.glibc,
        arch: build.arch,
        nprocs: 2,
        initialMaps: driverLayout(build.name),
        allocator: factory,
      });
      check(output, expected, `${dir}/${name} on ${build.name}`);
    }
  });

  Deno.test(`kernel traces with heap operations match real glibc ${build.name} byte for byte`, () => {
    for (const name of traceNames("traces/kernel")) {
      const text = Deno.readTextFileSync(`${ORACLE}traces/kernel/${name}.trace`);
      if (!hasHeapOps(text)) continue;
      const expected = Deno.readTextFileSync(`${ORACLE}expected-raw/${build.name}/${name}.out`);
      const { output } = replayTrace(text, {
        glibc: build.glibc,
        arch: build.arch,
        nprocs: 2,
        initialMaps: initialMapsOf(expected),
        allocator: factory,
      });
      check(output, expected, `kernel/${name} on ${build.name}`);
    }
  });
}
