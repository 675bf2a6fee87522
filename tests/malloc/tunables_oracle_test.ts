/**
 * The `glibc.malloc.tcache_max` tunable (the `tcacheMax` option) against real glibc: traces of
 * the oracle replayed with the tunable set, on 2.41 (a tcache shrunk to 200 bytes) and on 2.43
 * and 2.44 (shrunk, or raised to 64 KiB through the large tcache bins), byte for byte what the
 * oracle's driver printed under real glibc (tests/fixtures/oracle-tunables/record.sh). Raised to
 * 64 KiB on 2.43 and 2.44, mixed-2's `memalign 119 64 65536` (line 639) takes its chunk from a
 * large tcache bin, by 2.42+'s `tcache_get_align`.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { replayTrace } from "../../src/trace/replay.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { firstDifference, ORACLE } from "../oracle_support.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/oracle-tunables/", import.meta.url));

function traceText(name: string): string {
  for (const path of [`${FIXTURES}${name}.trace`, `${ORACLE}traces/${name}.trace`]) {
    try {
      return Deno.readTextFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return Deno.readTextFileSync(`${ORACLE}traces/gen/${name}.trace`);
}

for (const build of [...Deno.readDirSync(`${FIXTURES}expected`)].map((e) => e.name).sort()) {
  const glibc = build.slice(0, build.indexOf("-"));
  const files = [...Deno.readDirSync(`${FIXTURES}expected/${build}`)].map((e) => e.name).sort();
  for (const file of files) {
    const [, trace, value] = /^(.+)\.tcache_max-(\d+)\.out$/.exec(file)!;
    Deno.test({
      name:
        `${trace} with glibc.malloc.tcache_max=${value} on glibc ${build} prints what real glibc does`,
      fn() {
        const expected = Deno.readTextFileSync(`${FIXTURES}expected/${build}/${file}`);
        const { output } = replayTrace(traceText(trace), {
          glibc,
          arch: "x86_64",
          allocator: (process, options) =>
            new Allocator(process, {
              glibc: options.glibc,
              nprocs: options.nprocs,
              explain: false,
              tcacheMax: Number(value),
            }),
        });
        assert.ok(output === expected, firstDifference(output, expected));
      },
    });
  }
}
