/**
 * /proc/self/maps read by a C program, against real runs: tests/fixtures/c/proc_maps/
 * (make_proc_maps.sh: x86_64 glibc 2.31–2.44 on Linux 6.18, ASLR off, as uid 1000). The
 * programs print what does not depend on where the loader put things — the real runs start the
 * program under ld.so as a command, which maps it after libc where heaplab's process has it
 * first, with the heap elsewhere — so each output is compared whole: reads.c (seq_file's reads,
 * splits, what shows after areas change between reads, lseek), opens.c (stat, open's errors,
 * fopen's modes), heap.c (fopen and fgets: the FILE and its 1024-byte buffer in the heap).
 */

import assert from "node:assert/strict";
import { runAsReal } from "./c_support.ts";
import { CUnsupportedError, ORACLE_BUILDS, runC } from "../../mod.ts";

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`reads of /proc/self/maps split, resume and seek as Linux's seq_file does them with glibc ${glibc}`, () => {
    runAsReal("proc_maps", "reads", glibc);
  });

  Deno.test(`/proc/self/maps stats as a 0444 file of st_blksize 1024 and opens for reading only with glibc ${glibc}`, () => {
    runAsReal("proc_maps", "opens", glibc);
  });

  Deno.test(`fgets of /proc/self/maps finds the FILE and its 1024-byte buffer in the heap with glibc ${glibc}`, () => {
    runAsReal("proc_maps", "heap", glibc);
  });
}

/** `source` run on glibc 2.36 (stdout a file, no input): the run's result. */
function run(source: string) {
  return runC(source, { glibc: "2.36", stdout: "file", stdin: "", pauseOnInput: false });
}

Deno.test("other /proc paths are refused by name, not answered ENOENT", () => {
  for (const path of ["/proc/self/status", "/proc/self/mem", "/proc/1/maps"]) {
    const r = run(`#include <fcntl.h>
int main(void) { return open("${path}", O_RDONLY); }`);
    assert.ok(r.error instanceof CUnsupportedError, path);
    assert.match(r.error.message, new RegExp(`open of ${path} \\(not modelled`));
  }
  const r = run(`#include <stdio.h>
int main(void) { return fopen("/proc/self/smaps", "r") != 0; }`);
  assert.ok(r.error instanceof CUnsupportedError);
  assert.match(r.error.message, /fopen of \/proc\/self\/smaps \(not modelled/);
});

Deno.test("a device file is refused by name, not answered ENOENT, unless the run gives it as a file", () => {
  const program = `#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
int main(void) {
  struct stat st;
  printf("%d\\n", open("/dev/urandom", O_RDONLY));
  return 0;
}`;
  const refused = run(program);
  assert.ok(refused.error instanceof CUnsupportedError);
  assert.match(refused.error.message, /open of the device file \/dev\/urandom \(heaplab keeps no/);
  for (const call of [`fopen("/dev/null", "w")`, `stat("/dev/tty", &st)`, `unlink("/dev/x")`]) {
    const r = run(program.replace(`printf("%d\\n", open("/dev/urandom", O_RDONLY))`, call));
    assert.ok(r.error instanceof CUnsupportedError, call);
    assert.match(r.error.message, /the device file \/dev\//, call);
  }
  const given = runC(program, { glibc: "2.31", stdout: "pipe", files: { "/dev/urandom": "x" } });
  assert.equal(given.stdout, "3\n");
});

Deno.test("/proc/PID/maps names the simulated process's pid", () => {
  const r = run(`#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static char a[8192], b[8192];
int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", getpid());
  int x = open(path, O_RDONLY), y = open("/proc/thread-self/maps", O_RDONLY);
  long m = read(x, a, 4096), n = read(y, b, 4096);
  printf("%d\\n", m > 0 && m == n && memcmp(a, b, m) == 0);
  return 0;
}`);
  assert.equal(r.stdout, "1\n", r.error?.message);
});

Deno.test("fseek of a FILE on /proc/self/maps is refused by name", () => {
  const r = run(`#include <stdio.h>
int main(void) { FILE *f = fopen("/proc/self/maps", "r"); fgetc(f); return fseek(f, 0, SEEK_SET); }`);
  assert.ok(r.error instanceof CUnsupportedError);
  assert.match(r.error.message, /fseek or rewind of a FILE on \/proc\/self\/maps/);
});
