/**
 * Thread attributes and the stacks pthread_create maps for them, as the real builds make them.
 * The real runs: tests/fixtures/c/pthread_attr/ (make_pthread_attr.sh, x86_64 glibc 2.31–2.44,
 * ASLR off): attr.c's output (the bytes of pthread_attr_t, the get calls' answers, the errors),
 * stacks.c's output (each thread's stack mapping and guard as /proc/self/maps shows them, and
 * which earlier thread's stack it took) and its mmap/mprotect/munmap/madvise calls under strace.
 *
 * stacks.c reads /proc/self/maps itself (`src/c/proc_maps.ts`); its output is compared whole
 * on 2.31–2.41, and on 2.43 and 2.44 with the sizes of the stacks' rw-p areas masked. The
 * system calls are compared with every address inside a thread stack named by the stack (in
 * the order they were mapped) and its offset; others (the thread arena's) are masked. On i386,
 * attr.c's output from qemu-i386 runs of the real i386 builds (make_attr_i386.sh).
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { CProgram, CUnsupportedError, ORACLE_BUILDS, runC, type SyscallRecord } from "../../mod.ts";

type Glibc = (typeof ORACLE_BUILDS)[number]["glibc"];

/** stacks.c as runs_per_version ran it (stdout a file, no input, built with -fno-builtin). */
function stacksProgram(glibc: Glibc): CProgram {
  return new CProgram(fixture("pthread_attr/stacks.c"), {
    glibc,
    file: "stacks.c",
    stdout: "file",
    stdin: "",
    pauseOnInput: false,
    gccBuiltins: false,
  });
}

const PROT: Record<number, string> = { 0: "PROT_NONE", 3: "PROT_READ|PROT_WRITE" };
const ADVICE: Record<number, string> = {
  4: "MADV_DONTNEED",
  102: "MADV_GUARD_INSTALL",
  103: "MADV_GUARD_REMOVE",
};

function mapFlags(flags: number): string {
  const names: [number, string][] = [
    [0x2, "MAP_PRIVATE"],
    [0x20, "MAP_ANONYMOUS"],
    [0x4000, "MAP_NORESERVE"],
    [0x20000, "MAP_STACK"],
  ];
  return names.filter(([bit]) => flags & bit).map(([, name]) => name).join("|");
}

/** A record as strace prints it (the calls stacks.c makes). */
function straceText(r: SyscallRecord): string {
  const hex = (v: number) => `0x${v.toString(16)}`;
  const [a, b, c, d] = r.args;
  switch (r.name) {
    case "mmap":
      return `mmap(NULL, ${b}, ${PROT[c]}, ${mapFlags(d)}, -1, 0) = ${hex(r.result)}`;
    case "mprotect":
      return `mprotect(${hex(a)}, ${b}, ${PROT[c]}) = ${r.result}`;
    case "madvise":
      return `madvise(${hex(a)}, ${b}, ${ADVICE[c]}) = ${r.result}`;
    default:
      return `${r.name}(${hex(a)}, ${b}) = ${r.result}`;
  }
}

/**
 * strace lines (`thread call(...) = result`) with their threads named in order of appearance
 * and each address inside a MAP_STACK mapping named by that mapping and the offset.
 */
function nameAddresses(lines: string[]): string[] {
  const stacks: { base: number; size: number }[] = [];
  const threads = new Map<string, string>();
  return lines.map((line) => {
    const [thread, ...rest] = line.split(" ");
    if (!threads.has(thread)) threads.set(thread, threads.size === 0 ? "main" : `t${threads.size}`);
    let text = rest.join(" ");
    const mapped = text.match(/^mmap\(NULL, (\d+),.*MAP_STACK.* = 0x([0-9a-f]+)$/);
    if (mapped) stacks.push({ base: parseInt(mapped[2], 16), size: Number(mapped[1]) });
    text = text.replace(/0x[0-9a-f]+/g, (hex) => {
      const v = parseInt(hex, 16);
      const i = stacks.findIndex((s) => s.base <= v && v < s.base + s.size);
      return i < 0 ? "0x…" : `stack${i}+0x${(v - stacks[i].base).toString(16)}`;
    });
    return `${threads.get(thread)} ${text}`;
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`pthread_attr_t holds glibc ${glibc}'s bytes, and its calls answer as glibc's`, () => {
    runAsReal("pthread_attr", "attr", glibc);
  });

  Deno.test(`thread stacks and guards of the sizes an attribute asks map as glibc ${glibc}'s`, () => {
    if (glibc === "2.43" || glibc === "2.44") {
      // guard pages leave the stacks one rw-p area with their neighbours, whose size is not
      // compared: the real process maps libpthread and the program where heaplab's has a hole
      // that the 16 KiB stack fills
      const r = stacksProgram(glibc).run();
      const real = fixture(`pthread_attr/stacks/${glibc}/stdout`);
      const sizes = (text: string) => text.replace(/rw-p 0x[0-9a-f]+/g, "rw-p 0x…");
      assert.equal(r.exitStatus, 0, r.error?.message);
      assert.equal(sizes(r.stdout), sizes(real));
    } else runAsReal("pthread_attr", "stacks", glibc);
  });

  Deno.test(`pthread_create maps, guards, reuses and advises thread stacks with glibc ${glibc}'s calls`, () => {
    const program = stacksProgram(glibc);
    program.run();
    const records = program.process.syscalls.all();
    const first = records.findIndex((r) => r.name === "mmap" && (r.args[3] & 0x20000));
    const simulated = records.slice(first).filter((r) => r.name !== "brk") // strace traced none
      .map((r) => `${r.tid} ${straceText(r)}`);
    const real = fixture(`pthread_attr/stacks/${glibc}/strace`).trimEnd().split("\n");
    assert.deepEqual(nameAddresses(simulated), nameAddresses(real));
  });
}

for (const glibc of ["2.31", "2.36", "2.41", "2.43", "2.44"] as const) {
  Deno.test(`i386 pthread_attr_t holds glibc ${glibc}'s 36 bytes, as qemu-i386 runs of the real build print them`, () => {
    runAsReal("pthread_attr", "attr", glibc, { arch: "i386", runs: "attr_i386" });
  });
}

Deno.test("a stack the program provides is refused by name", () => {
  const r = runC(
    `#include <pthread.h>
static char stack[65536];
int main(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  return pthread_attr_setstack(&attr, stack, sizeof stack);
}`,
    { glibc: "2.36", stdout: "pipe", stdin: "" },
  );
  assert.ok(r.error instanceof CUnsupportedError);
  assert.match(r.error.message, /pthread_attr_setstack \(not modelled/);
});

Deno.test("pthread_create with an attribute whose bytes ask for scheduling is refused by name", () => {
  const r = runC(
    `#include <pthread.h>
#include <string.h>
static void *body(void *arg) { return arg; }
int main(void) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  ((int *) &attr)[2] |= 2; /* ATTR_FLAG_NOTINHERITSCHED */
  return pthread_create(&t, &attr, body, 0);
}`,
    { glibc: "2.36", stdout: "pipe", stdin: "" },
  );
  assert.ok(r.error instanceof CUnsupportedError);
  assert.match(r.error.message, /pthread_create with attribute flags 0x2/);
});
