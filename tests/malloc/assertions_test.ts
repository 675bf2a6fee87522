/**
 * A failed malloc assertion prints real glibc's words. The C programs of
 * tests/fixtures/glibc_facts/assert_*.c each fail one assertion heaplab models; run by heaplab's
 * C interpreter as `./prog`, each must print what the same program printed under the real
 * glibc builds (its `.out` files, made by that folder's run.sh): three styles (2.31's classic
 * assert line, 2.36's "malloc assertion failure", 2.37+'s `__libc_assert_fail` line with file
 * and line), each version's line numbers, and malloc.c or arena.c. Versions without a real build
 * are checked against what their release's sources say.
 */

import assert from "node:assert/strict";
import { ORACLE_BUILDS, runC } from "../../mod.ts";
import { HeapAssertionFailure } from "../../src/malloc/errors.ts";
import { fresh } from "./helpers.ts";

const dir = new URL("../fixtures/glibc_facts/", import.meta.url);

/** The programs, and what each does to fail its assertion. */
const PROGRAMS: Record<string, string> = {
  assert_sysmalloc_top: "a top chunk shrunk off its page boundary fails sysmalloc's assertion",
  assert_binmap_size: "a large-bin chunk forged small fails _int_malloc's binmap assertion",
  assert_heap_trim: "a forged fencepost at a thread heap's end fails heap_trim's assertion",
  assert_get_free_list: "a free-listed arena forged attached fails get_free_list's assertion",
};

/** glibc versions with a real x86_64 build (the fixtures have a run of each). */
const REAL = ORACLE_BUILDS.filter((b) => b.arch === "x86_64").map((b) => b.glibc);

/** What a program printed under real glibc (stdout and stderr) and its exit status. */
function realRun(program: string, glibc: string): { output: string; exitStatus: number } {
  const text = Deno.readTextFileSync(new URL(`${program}.${glibc}-x86_64.out`, dir));
  const m = /^([\s\S]*)exit (\d+)\n$/.exec(text);
  if (!m) throw new Error(`${program}.${glibc}-x86_64.out does not end with "exit N"`);
  return { output: m[1], exitStatus: Number(m[2]) };
}

/** The program run by heaplab's interpreter as real glibc ran it: `./prog`, x86_64. */
function simulated(program: string, glibc: string) {
  const result = runC(Deno.readTextFileSync(new URL(`${program}.c`, dir)), {
    file: `${program}.c`,
    programName: "./prog",
    glibc,
    arch: "x86_64",
  });
  if (result.state === "error") throw result.error;
  return result;
}

for (const [program, what] of Object.entries(PROGRAMS)) {
  for (const glibc of REAL) {
    Deno.test(`${what} in real glibc ${glibc}'s words`, () => {
      const real = realRun(program, glibc);
      const result = simulated(program, glibc);
      assert.equal(result.exitStatus, real.exitStatus);
      assert.equal(result.stdout + result.stderr, real.output);
    });
  }
}

Deno.test("versions without a real build print their release's lines and words", () => {
  // From the glibc-2.x release sources: malloc.c and arena.c lines, `__malloc_assert` in
  // assert's words up to 2.35, `__libc_assert_fail` from 2.37.
  const expected: [string, string, string][] = [
    ["2.23", "assert_sysmalloc_top", "prog: malloc.c:2392: sysmalloc: Assertion `(old_top =="],
    ["2.23", "assert_heap_trim", "prog: arena.c:698: heap_trim: Assertion `p->size == (0 | "],
    ["2.27", "assert_binmap_size", "prog: malloc.c:4023: _int_malloc: Assertion `(unsigned long"],
    ["2.27", "assert_get_free_list", "prog: arena.c:769: get_free_list: Assertion `result->"],
    ["2.35", "assert_heap_trim", "prog: arena.c:659: heap_trim: Assertion `chunksize_nomask"],
    ["2.39", "assert_sysmalloc_top", "Fatal glibc error: malloc.c:2599 (sysmalloc): assertion "],
    ["2.42", "assert_get_free_list", "Fatal glibc error: arena.c:699 (get_free_list): assertion"],
  ];
  for (const [glibc, program, start] of expected) {
    const result = simulated(program, glibc);
    assert.equal(result.exitStatus, 134, `${program} ${glibc}`);
    assert.ok(result.stderr.startsWith(start), `${program} ${glibc}: ${result.stderr}`);
  }
});

Deno.test("glibc 2.23 has no get_free_list assertion: a forged attached count goes unnoticed", () => {
  // 2.23 adds one to attached_threads; the second thread runs and the program ends normally.
  const result = simulated("assert_get_free_list", "2.23");
  assert.equal(result.state, "exited");
  assert.equal(result.exitStatus, 0);
  assert.equal(result.stderr, "");
});

Deno.test("an assertion names the program only in the classic words, by argv[0]'s last part", () => {
  for (const [glibc, classic] of [["2.31", true], ["2.36", false], ["2.41", false]] as const) {
    const { proc, heap } = fresh(glibc);
    const p = heap.malloc(24);
    proc.memory.write64(p + 24, 0x1001);
    assert.throws(() => heap.malloc(0x2000), (e: unknown) => {
      assert.ok(e instanceof HeapAssertionFailure);
      assert.equal(e.failed.assertion, "sysmallocOldTop");
      // the allocator alone knows the program by its path (the built-in layout's program)
      const path = proc.start.programPath!;
      assert.equal(e.glibcMessage, e.messageFor(path));
      assert.equal(e.messageFor("/usr/bin/demo").startsWith("demo: malloc.c:"), classic);
      assert.equal(e.messageFor("").startsWith("malloc.c:2379: sysmalloc: "), classic);
      return true;
    });
  }
});
