/**
 * More traces run through the real oracle by heaplab's developers (tests/fixtures/oracle-extra):
 * generated traces of other seeds and kernel traces for mremap and thread heaps. heaplab must
 * print what real glibc printed, byte for byte.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BUILDS, driverLayout, firstDifference, initialMapsOf, replay } from "./oracle_support.ts";

const EXTRA = fileURLToPath(new URL("./fixtures/oracle-extra/", import.meta.url));

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(EXTRA + dir)]
    .filter((e) => e.isFile && e.name.endsWith(".trace"))
    .map((e) => e.name.slice(0, -".trace".length))
    .sort();
}

for (const build of BUILDS) {
  Deno.test(`generated traces of seeds 6-16 replay as real glibc ${build.name} prints them`, async (t) => {
    for (const name of names("traces")) {
      const path = `${EXTRA}expected/${build.name}/${name}.out`;
      if (!exists(path)) continue; // seeds 13+ have x86_64 outputs only
      await t.step(name, () => {
        const expected = Deno.readTextFileSync(path);
        const { output } = replay(Deno.readTextFileSync(`${EXTRA}traces/${name}.trace`), {
          glibc: build.glibc,
          arch: build.arch,
          initialMaps: driverLayout(build.name), // stacks merge from 2.42: the real layout counts
        });
        assert.ok(output === expected, `${name}: ${firstDifference(output, expected)}`);
      });
    }
  });

  Deno.test(`mremap and thread-heap kernel traces match real glibc ${build.name} byte for byte`, async (t) => {
    for (const name of names("traces/kernel")) {
      await t.step(`kernel/${name}`, () => {
        const expected = Deno.readTextFileSync(`${EXTRA}expected-raw/${build.name}/${name}.out`);
        const { output } = replay(Deno.readTextFileSync(`${EXTRA}traces/kernel/${name}.trace`), {
          glibc: build.glibc,
          arch: build.arch,
          initialMaps: initialMapsOf(expected),
        });
        assert.ok(output === expected, `${name}: ${firstDifference(output, expected)}`);
      });
    }
  });
}
