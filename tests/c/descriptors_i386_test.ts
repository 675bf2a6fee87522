/**
 * i386 FILEs against real i386 glibc run under qemu-i386 (tests/fixtures/c/descriptors_i386/: the
 * programs of descriptors/ built -m32,
 * made by make_descriptors_i386.sh): a fopen'ed FILE's `locked_FILE` chunk word by word through
 * reads and fclose, stdin's, stdout's and stderr's FILEs and `_IO_list_all` (which an i386
 * program reaches in libc itself, through the GOT), and fclose of stdout and stdin; fseek on
 * fopen'ed FILEs, and FILEs fopen'ed for writing and for both. Stdout a pipe
 * and a file; no terminal (qemu's, not a real one).
 */

import assert from "node:assert/strict";
import { fixture, fixtureOrEmpty } from "./c_support.ts";
import { type CStdoutKind, type GlibcVersion, runC } from "../../mod.ts";

/** The files make_descriptors_i386.sh writes in the working directory of every real run. */
const FILES = { "flag.txt": "CTF{heap_is_fun}\n", "dir/notes.txt": "line one\nline two\n" };

/** The i386 builds make_descriptors_i386.sh ran (the oracle's roots). */
const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];

const PROGRAMS = [
  {
    name: "fopen_files",
    what: "an i386 fopen'ed FILE in its 0x140 chunk, word by word, through reads and fclose,",
    input: "",
  },
  {
    name: "fseek_files",
    what:
      "i386 fseek, ftell and rewind on fopen'ed FILEs, the pointers and cached offset after each,",
    input: "",
  },
  {
    name: "write_stdio",
    what: "i386 fopen for writing, appending and exclusively, its FILE after each call, and fclose",
    input: "",
  },
  {
    name: "fopen_plus",
    what: "i386 fopen's w+, r+ and a+ FILEs switching between writing and reading, after each call",
    input: "",
  },
  {
    name: "std_files",
    what: "i386 stdin's, stdout's and stderr's FILEs, word by word, and libc's own _IO_list_all",
    input: "",
  },
  {
    name: "std_fclose",
    what:
      "i386 fclose of stdout and stdin: the FILEs left in libc, their buffers freed, calls after,",
    input: ["first\nsecond\n"],
  },
];

/** A version's own output where it differs from the first version's, else the first's. */
function outputOf(name: string, kind: string, glibc: string, ext: "out" | "err"): string {
  try {
    return fixture(`descriptors_i386/${name}.${kind}.${glibc}.${ext}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return fixtureOrEmpty(`descriptors_i386/${name}.${kind}.${ext}`);
  }
}

const KINDS: { kind: CStdoutKind; where: string }[] = [
  { kind: "pipe", where: "a pipe" },
  { kind: "file", where: "a file" },
];

for (const { name, what, input } of PROGRAMS) {
  const source = fixture(`descriptors/${name}.c`);
  for (const { kind, where } of KINDS) {
    for (const glibc of VERSIONS) {
      const expected = outputOf(name, kind, glibc, "out");
      const expectedErr = outputOf(name, kind, glibc, "err");
      Deno.test(`${what} on ${where} end as on i386 glibc ${glibc}`, () => {
        const result = runC(source, {
          glibc,
          arch: "i386",
          stdin: input,
          stdout: kind,
          files: FILES,
        });
        if (result.state === "error") throw result.error;
        assert.equal(result.state, "exited");
        assert.equal(result.stdout, expected);
        assert.equal(result.stderr, expectedErr);
      });
    }
  }
}
