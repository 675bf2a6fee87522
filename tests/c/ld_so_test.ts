// ld.so as each glibc build's own (src/malloc/libc_state.ts lays it out from the build's facts):
// its maps lines and the vdso's right below it as a real program started directly has them
// (tests/fixtures/c/program_image/images.json), and the pointer guard's copy in its RELRO data at
// AT_BASE + the build's offset — read, written (a fault) and used to forge exit's first handler —
// against real x86_64 and i386 (under qemu-i386) runs of 2.31-2.44 (tests/fixtures/c/ld_so/,
// make_runs.sh), each program started directly, its stdout a file.

import assert from "node:assert/strict";
import { CProgram, type GlibcArch as Arch, type GlibcVersion, runC } from "../../mod.ts";
import { LIBC_BUILDS } from "../../src/malloc/libc_symbols.ts";
import { fixture, fixtureOrEmpty } from "./c_support.ts";

const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];
const DIR = "ld_so";

/** What make_runs.sh passes: the guard's and _dl_fini's offsets in ld.so, initial's and
 * system's distances from printf. */
function args(glibc: GlibcVersion, arch: Arch, mode: string): string[] {
  const b = LIBC_BUILDS.find((b) => b.version === glibc && b.arch === arch)!;
  const d = (name: string) => {
    const v = b.symbols[name] - b.symbols.printf;
    return (v < 0 ? "-0x" : "0x") + Math.abs(v).toString(16);
  };
  const hex = (n: number) => "0x" + n.toString(16);
  return [
    hex(b.ldSymbols.__pointer_chk_guard_local),
    hex(b.ldSymbols._dl_fini),
    d("initial"),
    d("system"),
    mode,
  ];
}

for (const glibc of VERSIONS) {
  for (const arch of ["x86_64", "i386"] as const) {
    const runs = (mode: string) => `${DIR}/${mode}${arch === "i386" ? "_i386" : ""}/${glibc}`;
    const run = (mode: string) => {
      const r = runC(fixture(`${DIR}/ld_guard.c`), {
        glibc,
        arch,
        file: "ld_guard.c",
        stdout: "file",
        stdin: "",
        gccBuiltins: false,
        args: args(glibc, arch, mode),
      });
      assert.equal(r.exitStatus, Number(fixture(`${runs(mode)}/status`)), r.error?.message);
      assert.equal(r.stdout, fixture(`${runs(mode)}/stdout`));
      assert.equal(r.stderr, fixtureOrEmpty(`${runs(mode)}/stderr`));
      return r;
    };

    Deno.test(`${glibc} ${arch}: ld.so's read-only data holds the pointer guard at AT_BASE + its offset`, () => {
      run("look");
    });

    Deno.test(`${glibc} ${arch}: a write to ld.so's copy of the pointer guard faults (RELRO)`, () => {
      const r = run("write");
      assert.equal(r.state, "crashed");
    });

    Deno.test(`${glibc} ${arch}: initial.fns[0] forged with ld.so's copy of the pointer guard runs system("/bin/sh")`, () => {
      const r = run("exploit");
      const shell = fixture(`${runs("exploit")}/execve`).includes('execve("/bin/sh"');
      const spawned = r.events.filter((e) => e.kind === "ShellSpawned");
      assert.deepEqual(spawned.map((e) => e.command), shell ? ["/bin/sh"] : []);
    });
  }
}

const IMAGES: Record<string, Record<string, string>> = JSON.parse(
  fixture("program_image/images.json"),
);

/** The maps lines from `[vvar]` through ld.so's last (its .bss past the file included), as
 * `start-end perms offset name`, ld.so's path as `ld.so`. */
function loaderLines(maps: string): string[] {
  const lines = maps.split("\n").map((l) => l.trim().split(/\s+/));
  const first = lines.findIndex((f) => f[5] === "[vvar]");
  const out: string[] = [];
  for (let i = first; i < lines.length && lines[i][5] !== "[stack]"; i++) {
    const [range, perms, offset, , , name = ""] = lines[i];
    out.push(`${range} ${perms} ${offset} ${/\/ld-/.test(name) ? "ld.so" : name}`);
  }
  return out;
}

for (const glibc of VERSIONS) {
  Deno.test(`${glibc}: ld.so is mapped as the build's, the vdso right below it, and AT_BASE is its start, as in a real run`, () => {
    const real = IMAGES[glibc].none_0;
    const prog = new CProgram(
      "#include <stdio.h>\n#include <sys/auxv.h>\n" +
        'int main(void) { printf("%lx\\n", getauxval(AT_BASE)); return 0; }',
      { glibc, stdout: "file", pauseOnInput: false, explain: false },
    );
    const r = prog.run();
    const mine = loaderLines(prog.process.maps());
    // (2.44's loader leaves /etc/ld.so.cache mapped below [vvar]: not modelled)
    assert.deepEqual(mine, loaderLines(real));
    assert.equal(r.stdout.trim(), mine.find((l) => l.endsWith("ld.so"))!.split("-")[0]);
  });
}
