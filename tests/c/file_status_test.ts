/**
 * stat, lstat, fstat, fstatat, gettimeofday and clock_gettime against real runs
 * (tests/fixtures/c/file_status/, made by make_file_status.sh: x86_64 glibc started directly,
 * i386 glibc under qemu-i386, 2.31 to 2.44): struct stat's, timeval's, timespec's and timezone's
 * layouts, the fields of a file's status that do not depend on the machine, errno, the bytes a
 * stat leaves around its fields, the standard descriptors as a pipe, a file and a terminal, and
 * the clocks' results. Then what heaplab chooses where a real machine decides (inode numbers,
 * owners, times), which no real run is claimed to match, and what it refuses.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { type CStdoutKind, CUnsupportedError, type GlibcVersion, runC } from "../../mod.ts";

const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];
/** The file make_file_status.sh puts in each run's directory (1234 bytes, mode 0644). */
const FILES = { "data.bin": "d".repeat(1234) };

/** A version's own file where its run differed from 2.31's, else 2.31's. */
function realOutput(stem: string, glibc: string, ext: "out" | "status"): string {
  try {
    return fixture(`file_status/${stem}.${glibc}.${ext}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return fixture(`file_status/${stem}.${ext}`);
  }
}

const WHERE: Record<CStdoutKind, string> = { pipe: "a pipe", file: "a file", tty: "a terminal" };

const RUNS: { name: string; what: string; arch: "x86_64" | "i386"; kind: CStdoutKind }[] = [
  {
    name: "layouts",
    what: "struct stat's and the clocks' structs' layouts",
    arch: "x86_64",
    kind: "pipe",
  },
  {
    name: "layouts",
    what: "struct stat's and the clocks' structs' layouts",
    arch: "i386",
    kind: "pipe",
  },
  {
    name: "clock",
    what: "gettimeofday's and clock_gettime's results",
    arch: "x86_64",
    kind: "pipe",
  },
  { name: "clock", what: "gettimeofday's and clock_gettime's results", arch: "i386", kind: "pipe" },
  ...(["pipe", "file", "tty"] as const).map((kind) => ({
    name: "stat_files",
    what: "stat's fields, errno and copy",
    arch: "x86_64" as const,
    kind,
  })),
  ...(["pipe", "file"] as const).map((kind) => ({
    name: "stat_files",
    what: "stat's fields, errno and copy",
    arch: "i386" as const,
    kind,
  })),
];

for (const { name, what, arch, kind } of RUNS) {
  const source = fixture(`file_status/${name}.c`);
  for (const glibc of VERSIONS) {
    Deno.test(`${what} on ${arch}, stdout ${WHERE[kind]}, are real glibc ${glibc}'s`, () => {
      const result = runC(source, {
        file: `${name}.c`,
        glibc,
        arch,
        stdout: kind,
        files: FILES,
        gccBuiltins: false, // make_file_status.sh builds with -fno-builtin
        explain: false,
      });
      if (result.state === "error") throw result.error;
      const stem = `${name}.${arch}.${kind}`;
      assert.equal(result.stdout, realOutput(stem, glibc, "out"));
      assert.equal(result.exitStatus, Number(realOutput(stem, glibc, "status")));
    });
  }
}

/** A program's stdout, run on x86_64 glibc 2.36 with FILES (and `more`). */
function run(body: string, more: Record<string, string> = {}, kind: CStdoutKind = "pipe") {
  const source = `#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
int main(void) {
${body}
  return 0;
}
`;
  return runC(source, {
    file: "prog.c",
    glibc: "2.36",
    stdout: kind,
    files: { ...FILES, ...more },
    explain: false,
  });
}

Deno.test("heaplab's own choice for what the machine decides: owners 1000, times 0, inodes by file", () => {
  const r = run(
    `  struct stat a, b, c;
  stat("data.bin", &a);
  stat("dir/../data.bin", &b);
  stat("other.txt", &c);
  printf("%lu %lu %u %u %lx %ld %ld %ld\\n", a.st_ino, c.st_ino, a.st_uid, a.st_gid,
         a.st_dev, a.st_mtime, a.st_atim.tv_nsec, a.st_ctime);
  printf("%d\\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);`,
    // dir must exist for the walk to go through it and back (stdio_errors/open_errors.c)
    { "other.txt": "x", "dir/notes.txt": "y" },
  );
  assert.equal(r.stdout, "1001 1002 1000 1000 801 0 0 0\n1\n");
});

Deno.test("fstat's st_blksize is the size of the buffer stdio gives stdout, for each kind", () => {
  for (const [kind, size] of [["pipe", 4096], ["file", 4096], ["tty", 1024]] as const) {
    const r = run(
      `  struct stat st;
  fstat(1, &st);
  printf("x");
  fflush(stdout);
  printf("%ld %ld\\n", (long)st.st_blksize, (long)(stdout->_IO_buf_end - stdout->_IO_buf_base));`,
      {},
      kind,
    );
    assert.equal(r.stdout, `x${size} ${size}\n`);
  }
});

Deno.test("a program's own struct stat or struct timeval hides the headers'", () => {
  const r = run(`  struct timeval { int a; } t = { 5 };
  struct stat { char c; } s = { 'z' };
  printf("%d %c %zu\\n", t.a, s.c, sizeof s);`);
  assert.equal(r.stdout, "5 z 1\n");
});

Deno.test("gettimeofday and clock_gettime read the clock time() reads: 0", () => {
  const r = run(`  struct timeval tv = { 9, 9 };
  struct timespec ts = { 9, 9 };
  gettimeofday(&tv, NULL);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("%ld %ld %ld %ld %ld\\n", time(NULL), tv.tv_sec, tv.tv_usec, ts.tv_sec, ts.tv_nsec);`);
  assert.equal(r.stdout, "0 0 0 0 0\n");
});

const REFUSED: { what: string; body: string; message: RegExp }[] = [
  {
    what: "stat of a directory",
    body: `  struct stat st; stat(".", &st);`,
    message: /stat of "\."?, a directory/,
  },
  {
    what: "stat of a file with a hole (its blocks are the file system's)",
    body: `  struct stat st; int fd = open("h.txt", O_CREAT | O_WRONLY, 0644);
  lseek(fd, 10000, SEEK_SET); write(fd, "x", 1); fstat(fd, &st);`,
    message: /a file with a hole/,
  },
  {
    what: "stat of a file open(O_CREAT) made without a mode",
    body: `  struct stat st; open("m.txt", O_CREAT | O_WRONLY); stat("m.txt", &st);`,
    message: /without a mode argument/,
  },
  {
    what: "a CPU-time clock",
    body: `  struct timespec ts; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);`,
    message: /CLOCK_PROCESS_CPUTIME_ID/,
  },
];

for (const { what, body, message } of REFUSED) {
  Deno.test(`${what} is refused by name`, () => {
    const r = run(body);
    assert.ok(r.error instanceof CUnsupportedError, r.error?.message);
    assert.match(r.error.message, message);
  });
}
