/**
 * Heap-corruption traces in the oracle's format v2 — writes and reads through live, freed and
 * fake pointers, fake chunks, frees of interior and fake pointers, double frees — replay byte for
 * byte as real glibc ran them (tests/fixtures/oracle-corrupt/: the oracle's public corrupt set,
 * generated seeds and hand-written traces, each recorded on 2.31, 2.36, 2.41, 2.43 and 2.44
 * x86_64), each from the oracle driver's own address space: every allocation's place, every
 * value read, and the line and words with which glibc stopped the run (its abort message, `segv`,
 * `hang`). Each trace goes both ways, the fast lane
 * (a plain replay) and the general way (a replay watching every event), which must agree.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { replayTrace } from "../../src/trace/replay.ts";
import { GLIBC_VERSIONS } from "../../src/malloc/profile.ts";
import { driverLayout, firstDifference } from "../oracle_support.ts";

const DIR = fileURLToPath(new URL("../fixtures/oracle-corrupt/", import.meta.url));
const builds = [...Deno.readDirSync(`${DIR}expected`)].map((e) => e.name).sort();
const traces = [...Deno.readDirSync(`${DIR}traces`)].map((e) => e.name)
  .filter((n) => n.endsWith(".trace")).sort();

/**
 * Steps left out, with the reason. `v2-unmapped` prints the absolute address of a later mmap: in
 * the oracle's heap-trace runs the loader's anonymous pages below libpthread are one page smaller
 * on 2.41 and 2.44 than in the kernel-trace runs whose first rawmaps gives heaplab the driver's
 * layout (run.sh and run.sh --raw start the driver from different paths, and the loader's
 * allocations follow the paths' lengths), so the mmap lands one page lower in heaplab.
 */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  "v2-unmapped": ["2.41-x86_64", "2.44-x86_64"],
};

for (const file of traces) {
  const name = file.slice(0, -".trace".length);
  const text = Deno.readTextFileSync(`${DIR}traces/${file}`);
  Deno.test(`${name} ends as real glibc's run did, on every build`, async (t) => {
    for (const build of builds) {
      let expected: string;
      try {
        expected = Deno.readTextFileSync(`${DIR}expected/${build}/${name}.out`);
      } catch {
        continue;
      }
      const glibc = build.slice(0, build.indexOf("-"));
      await t.step({
        name: build,
        ignore: KNOWN[name]?.includes(build) ?? false,
        fn: () => {
          // The oracle driver's own address space, as the real runs had it: fake areas in its
          // .bss, mmaps where the kernel put them (absolute addresses show in `unmapped` results
          // and in values a corruption forged from them).
          const options = {
            glibc,
            arch: "x86_64",
            initialMaps: driverLayout(build),
            allocator: defaultAllocatorFactory,
          } as const;
          const fast = replayTrace(text, options).output;
          assert.ok(fast === expected, firstDifference(fast, expected));
          const general = replayTrace(text, { ...options, onEvent: () => {} }).output;
          assert.ok(general === expected, "general way: " + firstDifference(general, expected));
        },
      });
    }
  });
}

Deno.test("a v2 read names what it reads, and a write of a forged pointer is read back", () => {
  const { output } = replayTrace(
    [
      "malloc 0 24",
      "malloc 1 24",
      "free 0",
      "read 0 0 8", // the tcache link of a chunk alone in its bin: 0, safe-linked
      "read 0 -8 8", // its size word
      "fake 2 64",
      "write 1 0 8 ptr 2 0x10",
      "read 1 0 8",
      "write 1 0 2 -1",
      "read 1 0 2",
    ].join("\n"),
    { glibc: "2.36", allocator: defaultAllocatorFactory },
  );
  assert.deepEqual(output.split("\n").slice(4, 11), [
    "4 read 0 0 8 -> mangled 0x0",
    "5 read 0 -8 8 -> 0x21",
    "6 fake 2 64 -> fake1",
    "7 write 1 0 8 ptr 2 0x10",
    "8 read 1 0 8 -> fake1 0x10",
    "9 write 1 0 2 -1",
    "10 read 1 0 2 -> 0xffff",
  ]);
});

Deno.test("every corrupt trace on every version and both architectures ends as a driver can end", () => {
  // x86_64 offsets mean something else on i386, and the versions without a real build have no
  // recorded output: what is checked is that the replay ends only in the driver's own ways (the
  // end, an error line, abort, segv, hang), never in a simulator error.
  const statuses = new Set([0, 2, 134, 139, 142]);
  for (const glibc of GLIBC_VERSIONS) {
    for (const arch of ["i386", "x86_64"] as const) {
      for (const file of traces) {
        const text = Deno.readTextFileSync(`${DIR}traces/${file}`);
        const { status } = replayTrace(text, { glibc, arch, allocator: defaultAllocatorFactory });
        assert.ok(statuses.has(status), `${file} on ${glibc} ${arch}: status ${status}`);
      }
    }
  }
});
