/**
 * Support for the tests that compare C programs run by heaplab's interpreter with fixtures of
 * real runs (tests/fixtures/c/): reading the fixtures, and the text comparisons they need.
 */

import assert from "node:assert/strict";
import { CProgram, type CRunResult, type GlibcVersion } from "../../mod.ts";

/** A fixture file's text (a path under tests/fixtures/c/). */
export function fixture(path: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/c/${path}`, import.meta.url));
}

/** A fixture kept only when not empty (a real run's `.err`): its text, or "" when absent. */
export function fixtureOrEmpty(path: string): string {
  try {
    return fixture(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/** The last line of a "\n"-terminated text ("" for none). */
export function lastLine(text: string): string {
  return text.replace(/\n$/, "").split("\n").at(-1) ?? "";
}

/** Output with every hexadecimal number replaced by `0x…`: addresses differ between the real
 * process (whose program the loader mapped) and the simulated one; everything else must not. */
export function maskAddresses(text: string): string {
  return text.replace(/0x[0-9a-f]+/g, "0x…");
}

/**
 * The fixture program `<dir>/<name>.c` run by heaplab as `real_glibc.sh`'s runs_per_version ran
 * it on the real build (stdout a file, no input, built with -fno-builtin unless `gccBuiltins`),
 * its exit status, stdout and stderr asserted equal to that run's
 * (`<dir>/<runs>/<glibc>/status`, `stdout`, `stderr`; `runs` defaults to `name`); the run, for
 * more. With `arch: "i386"`, the program is run as the i386 build real_glibc_i386.sh ran under
 * qemu-i386 (give `runs` its folder).
 */
export function runAsReal(
  dir: string,
  name: string,
  glibc: GlibcVersion,
  { gccBuiltins = false, runs = name, files, headers, written = [], arch = "x86_64" }: {
    gccBuiltins?: boolean;
    arch?: "x86_64" | "i386";
    runs?: string;
    files?: Record<string, string>;
    /** The program's own headers (as gcc found them beside it). */
    headers?: Record<string, string>;
    /** Files the run writes, each compared with the real run's copy (`<runs>/<glibc>/<path>`). */
    written?: readonly string[];
  } = {},
): CRunResult {
  const prog = new CProgram(fixture(`${dir}/${name}.c`), {
    glibc,
    arch,
    file: `${name}.c`,
    stdout: "file",
    stdin: "",
    pauseOnInput: false,
    gccBuiltins,
    files,
    headers,
  });
  const r = prog.run();
  const real = (what: string) => fixture(`${dir}/${runs}/${glibc}/${what}`);
  assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
  assert.equal(r.stdout, real("stdout"));
  assert.equal(r.stderr, real("stderr"));
  for (const path of written) {
    assert.equal(new TextDecoder().decode(prog.fileBytes(path)), real(path), `${glibc} ${path}`);
  }
  return r;
}
