/**
 * read(2) and write(2) below stdio, against real runs (tests/fixtures/c/descriptors/): what
 * they return for descriptors and buffers the kernel refuses, how far a copy that meets an
 * unmapped page gets on a pipe, a file and a terminal, that stdio's stdin buffer is not what
 * read(2) reads, and what one read takes of the sends stdin gets (a pipe's whole send, a
 * terminal's line); and stdio on top of them, down to a program's writes into stdin's FILE
 * steering where its refills go.
 */

import assert from "node:assert/strict";
import { fixture, fixtureOrEmpty } from "./c_support.ts";
import { type CStdoutKind, ORACLE_BUILDS, runC } from "../../mod.ts";

/** The files make_descriptors.sh writes in the working directory of every real run. */
const FILES = { "flag.txt": "CTF{heap_is_fun}\n", "dir/notes.txt": "line one\nline two\n" };

/** What make_descriptors.sh sends each program: a line at a time, or the sends of an array. */
const PROGRAMS = [
  {
    name: "descriptors",
    what: "read and write with refused descriptors and buffers",
    input: "abcdefghijklmnopqrstuvwxyz0123456789\n" +
      "second line here xx\n" +
      "third line, longer than sixty-four bytes: 0123456789 0123456789 0123456789\n",
  },
  {
    name: "stdin_buffered",
    what: "read beside scanf and getchar on a buffered stdin",
    input: "first\n12\nthird\n",
  },
  {
    name: "stdin_unbuffered",
    what: "read beside scanf and getchar on an unbuffered stdin",
    input: "first\n12\nthird\n",
  },
  {
    name: "sends",
    what: "sends of several lines and of part of one, read by read, fgets and getchar,",
    input: ["AB\nCD", "1\n2\n", "x\n"],
  },
  {
    name: "open_files",
    what: "open, read, lseek and close on the program's files",
    input: "",
    files: FILES,
  },
  {
    name: "fopen_files",
    what: "fopen's FILE in its heap chunk, word by word, through reads and fclose",
    input: "",
    files: FILES,
  },
  {
    name: "fseek_files",
    what:
      "fseek, ftell and rewind on fopen'ed FILEs, the FILE's pointers and cached offset after each,",
    input: "",
    files: FILES,
  },
  {
    name: "std_files",
    what: "stdin's, stdout's and stderr's FILEs in libc, word by word, and _IO_list_all,",
    input: "",
  },
  {
    name: "stdio_state",
    what: "stdout's and stdin's FILE fields after each kind of output, input and setvbuf",
    input: ["first line\n", "xy\n"],
  },
  {
    name: "unbuffered_state",
    what: "stdout's and stdin's FILE fields unbuffered, as CTF programs set them,",
    input: ["name\n", "42\n"],
  },
  {
    name: "stderr_state",
    what: "stderr's FILE fields after fprintf, fputs, fputc, perror and fwrite",
    input: "",
    // on a terminal its stderr comes first on the same screen (stdout waits in its line buffer)
    terminalShows: "stderr, then stdout",
  },
  {
    name: "write_files",
    what: "open for writing and creating, write, lseek and unlink on the program's files",
    input: "",
    files: FILES,
  },
  {
    name: "write_stdio",
    what: "fopen for writing, appending and exclusively, its FILE after each call, and fclose",
    input: "",
    files: FILES,
  },
  {
    name: "setvbuf_modes",
    what: "setvbuf with an unknown mode, _IOLBF and _IOFBF without a buffer",
    input: "",
  },
  {
    name: "stdio_buffers",
    what: "stdio's buffers' bytes in memory, a line-buffered stdout and printf into a small buffer",
    input: "hello world\n",
  },
  {
    name: "stdin_functions",
    what: "gets, getline, getdelim, fread, fscanf, sscanf, ungetc, feof and the rest",
    input: "first line for gets\na getline line\n" + "L".repeat(300) + "\n" +
      "k1:v1:rest\n12 34 abc\n0123456789\n",
  },
  {
    name: "stdin_buf_base",
    what:
      "stdin's _IO_buf_base pointed at a global, a heap chunk and nothing mapped, refilled there",
    input: ["1\n", "HELLO-TARGET\n", "heap-word rest\n", "after-fault\n"],
    files: FILES,
  },
  {
    name: "stdin_fread",
    what:
      "fread of a buffer's worth read straight into the destination, the buffer left as it was,",
    input: ["first\n", ("B".repeat(99) + "\n").repeat(60)],
  },
  {
    name: "stdin_fileno",
    what:
      "stdin's _fileno pointed at a file the program opened: the refill and the buffer follow it,",
    input: "typed line\n",
    files: FILES,
  },
  {
    name: "stdin_short_buf",
    what: "an unbuffered stdin's _IO_buf_base low byte cleared, refilled into its own FILE",
    input: ["A\n", "WWWWWW\0\0WWWWWW\0\0WWWWWW\0\0X", "ZZ\n"],
  },
  {
    name: "fopen_plus",
    what: "fopen's w+, r+ and a+ FILEs switching between writing and reading, after each call",
    input: "",
    files: FILES,
  },
  {
    name: "std_fclose",
    what:
      "fclose of stdout and stdin: the FILEs left in libc, their buffers freed and reused, calls after,",
    input: ["first\nsecond\n"],
    // on a terminal fclose writes stdout's "hello" before anything goes to stderr
    terminalShows: "stdout, then stderr",
  },
  {
    name: "stderr_fclose",
    what: "fclose of stderr: its FILE left in libc, writes to it after, exit's flush without it,",
    input: "",
    terminalShows: "stderr, then stdout",
  },
];

/**
 * A version's own output (`out`, or stderr's, `err`) where it differs from the first version's,
 * else the first's (none: empty stderr).
 */
function outputOf(name: string, kind: string, glibc: string, ext = "out"): string {
  try {
    return fixture(`descriptors/${name}.${kind}.${glibc}.${ext}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return ext === "out"
      ? fixture(`descriptors/${name}.${kind}.out`)
      : fixtureOrEmpty(`descriptors/${name}.${kind}.${ext}`);
  }
}

const KINDS: { kind: CStdoutKind; where: string }[] = [
  { kind: "pipe", where: "a pipe" },
  { kind: "file", where: "a file" },
  { kind: "tty", where: "a terminal" },
];

for (const { name, what, input, files, terminalShows } of PROGRAMS) {
  const source = fixture(`descriptors/${name}.c`);
  for (const { kind, where } of KINDS) {
    for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
      const expected = outputOf(name, kind, glibc);
      const expectedErr = outputOf(name, kind, glibc, "err");
      Deno.test(`${what} on ${where} end as on glibc ${glibc}`, () => {
        const result = runC(source, { glibc, arch: "x86_64", stdin: input, stdout: kind, files });
        if (result.state === "error") throw result.error;
        assert.equal(result.state, "exited");
        if (kind === "tty" && terminalShows === "stderr, then stdout") {
          assert.equal(result.stderr + result.stdout, expected);
        } else if (kind === "tty" && terminalShows === "stdout, then stderr") {
          assert.equal(result.stdout + result.stderr, expected);
        } else {
          assert.equal(result.stdout, expected);
          assert.equal(result.stderr, expectedErr);
        }
      });
    }
  }
}

Deno.test("a FILE* to nothing mapped is a SIGSEGV: glibc's first read of its fields faults", () => {
  for (
    const call of [
      `fclose(NULL)`,
      `fgetc(NULL)`,
      `fputs("x", (FILE *)16)`,
      `fseek(NULL, 0, 0)`,
      // exit's walk over a list the program broke
      `*(FILE **)((char *)stdout - 0x100) = (FILE *)0xdeadbeef000`,
    ]
  ) {
    const result = runC(`#include <stdio.h>\nint main(void) { ${call}; return 0; }`);
    assert.equal(result.state, "crashed", call);
    assert.equal(result.exitStatus, 139);
  }
});

Deno.test("wide FILEs, ftell while a FILE that reads writes, fclose of a standard FILE whose descriptor close(2) closed and a FILE not fopen'ed are refused, named", () => {
  const cases = [
    [`close(1); fclose(stdout)`, /fclose of stdout after close\(1\)/],
    [`close(0); open("flag.txt", O_RDONLY); fclose(stdin)`, /fclose of stdin after close\(0\)/],
    [`fopen("flag.txt", "r,ccs=UTF-8")`, /fopen\("flag.txt", "r,ccs=UTF-8"\): a wide character/],
    [
      `FILE *f = fopen("flag.txt", "r+"); fputc('y', f); ftell(f)`,
      /ftell of a FILE that reads and writes, while it writes/,
    ],
    [`fopen("flag.txt", "rm")`, /mmap'ed reads/],
    [
      `fflush(fopen("flag.txt", "r"))`,
      /flushing or setting the buffer of a FILE fopen opened for reading/,
    ],
    [`stdin->_fileno = 3; fclose(stdin)`, /fclose of stdin whose _fileno the program set to 3/],
    [`close(fileno(fopen("flag.txt", "r")))`, /close\(3\): closing the descriptor of a FILE/],
    [`fseek(stdin, 0, SEEK_SET)`, /a seek on stdin, stdout or stderr/],
    [
      `FILE *f = fopen("flag.txt", "r"); fclose(f); fclose(f)`,
      /no fopen opened or fclose has closed/,
    ],
    [
      `FILE *f = fopen("out.txt", "w"); fclose(f); fputs("x", f)`,
      /a write to a FILE\* that no fopen/,
    ],
    [
      `FILE *f = fopen("flag.txt", "r"); fclose(f); fgetc(f)`,
      /not stdin, stdout, stderr or a FILE/,
    ],
    [
      `int fd = open("big.bin", O_WRONLY | O_CREAT, 0644); lseek(fd, 100000000, 0); write(fd, "x", 1)`,
      /a write growing big.bin past 67108864 bytes/,
    ],
    [
      `lseek(open("flag.txt", O_RDONLY), 1L << 60, SEEK_SET)`,
      /a file offset of 1152921504606846976/,
    ],
  ] as const;
  for (const [call, message] of cases) {
    const result = runC(
      `#include <fcntl.h>
       #include <stdio.h>
       #include <unistd.h>
       int main(void) { ${call}; return 0; }`,
      { files: { "flag.txt": "x" } },
    );
    assert.equal(result.state, "error", call);
    assert.equal(result.error!.name, "CUnsupportedError");
    assert.match(result.error!.message, message);
  }
  for (const [options, message] of [[{ glibc: "2.23" }, /mmap'ed/]] as const) {
    const result = runC(
      `#include <stdio.h>
       int main(void) { fopen("flag.txt", "r"); return 0; }`,
      { files: { "flag.txt": "x" }, ...options },
    );
    assert.equal(result.error?.name, "CUnsupportedError");
    assert.match(result.error!.message, message);
    const closing = runC(
      `#include <stdio.h>\nint main(void) { fclose(stdout); return 0; }`,
      options,
    );
    assert.equal(closing.error?.name, "CUnsupportedError");
    assert.match(closing.error!.message, /fclose of std/);
  }
});
