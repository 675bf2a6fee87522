// exit's handlers (src/c/exit_funcs.ts, exit_handlers.ts, tls_dtors.ts) and new threads' guards
// against real x86_64 and i386 (under qemu-i386) glibc 2.31-2.44:
// tests/fixtures/c/exit_handlers/ (make_runs.sh), each program started directly, its stdout a file.

import assert from "node:assert/strict";
import { type CRunResult, type GlibcArch as Arch, type GlibcVersion, runC } from "../../mod.ts";
import { LIBC_BUILDS } from "../../src/malloc/libc_symbols.ts";
import { CUnsupportedError } from "../../src/c/errors.ts";
import { demangle, mangle } from "../../src/c/exit_funcs.ts";
import { fixture, fixtureOrEmpty } from "./c_support.ts";

const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];
const DIR = "exit_handlers";

/** A libc symbol's distance from printf in the x86_64 build, as make_runs.sh passes it. */
function delta(glibc: GlibcVersion, symbol: string, arch: Arch = "x86_64"): string {
  const b = LIBC_BUILDS.find((b) => b.version === glibc && b.arch === arch)!;
  const d = b.symbols[symbol] - b.symbols.printf;
  return (d < 0 ? "-0x" : "0x") + Math.abs(d).toString(16);
}

/**
 * tls_dtor_list's offset from the thread pointer and l_tls_dtor_count's in struct link_map in the
 * build, as make_runs.sh passes them.
 */
function tlsArgs(glibc: GlibcVersion, arch: Arch = "x86_64"): string[] {
  const b = LIBC_BUILDS.find((b) => b.version === glibc && b.arch === arch)!;
  const block = Math.ceil(b.tlsBlock.size / b.tlsBlock.align) * b.tlsBlock.align;
  return [
    `-0x${(block - b.tlsBlock.tlsDtorList).toString(16)}`,
    `0x${b.linkMapTlsDtorCount.toString(16)}`,
  ];
}

/** The real run's execve of /bin/sh (through sh -c) when system ran. */
function realShell(runs: string, glibc: GlibcVersion): boolean {
  return fixture(`${DIR}/${runs}/${glibc}/execve`).includes('execve("/bin/sh"');
}

/** `<name>.c` run as the real run `<runs>/<glibc>/` was, its status and stdout asserted equal. */
function runAsReal(
  name: string,
  runs: string,
  glibc: GlibcVersion,
  args: string[] = [],
  arch: Arch = "x86_64",
): CRunResult {
  const r = runC(fixture(`${DIR}/${name}.c`), {
    glibc,
    arch,
    file: `${name}.c`,
    stdout: "file",
    stdin: "",
    gccBuiltins: false,
    args,
  });
  const real = (what: string) => fixture(`${DIR}/${runs}/${glibc}/${what}`);
  assert.equal(r.exitStatus, Number(real("status")), r.error?.message);
  assert.equal(r.stdout, real("stdout"));
  assert.equal(r.stderr, fixtureOrEmpty(`${DIR}/${runs}/${glibc}/stderr`));
  return r;
}

Deno.test("PTR_MANGLE rotates the pointer xor the guard left by 0x11 (i386: 9); PTR_DEMANGLE undoes it", () => {
  assert.equal(mangle(0xf7e1a290n, 0n, 32), 0xc34521efn);
  assert.equal(demangle(mangle(0x56556169n, 0xdeadbeefn, 32), 0xdeadbeefn, 32), 0x56556169n);
  assert.equal(mangle(0x7ffff7e1a290n, 0n), 0xffffefc345200000n);
  assert.equal(mangle(1n << 63n, 0n), 1n << 16n);
  for (const guard of [0n, 0x1234_5678_9abc_def0n, (1n << 64n) - 1n]) {
    assert.equal(demangle(mangle(0x5555_5555_5169n, guard), guard), 0x5555_5555_5169n);
  }
});

for (const glibc of VERSIONS) {
  Deno.test(`${glibc}: main finds initial holding ld.so's _dl_fini, and the guards as ld.so set them`, () => {
    runAsReal("initial", "initial", glibc, [delta(glibc, "initial"), delta(glibc, "__exit_funcs")]);
  });

  Deno.test(`${glibc}: handlers run in reverse order with their flavors' arguments, before exit's flush`, () => {
    runAsReal("order", "order", glibc);
  });

  Deno.test(`${glibc}: the 32nd registration callocs a 0x420 list that __exit_funcs then heads`, () => {
    runAsReal("many", "many", glibc, [delta(glibc, "initial"), delta(glibc, "__exit_funcs")]);
  });

  Deno.test(`${glibc}: a handler registered during exit runs next; exit in a handler ends with its status`, () => {
    runAsReal("during_exit", "during_exit", glibc);
  });

  for (const mode of ["read", "zero", "garbage"]) {
    Deno.test(`${glibc}: initial.fns[0] hijacked with the pointer guard ${mode === "read" ? "read" : mode === "zero" ? "zeroed" : "unknown"}`, () => {
      const args = [delta(glibc, "initial"), delta(glibc, "system"), mode];
      const r = runAsReal("exploit", `exploit_${mode}`, glibc, args);
      // the real run's execve of /bin/sh (through sh -c) when system ran, none when it faulted
      const shell = fixture(`${DIR}/exploit_${mode}/${glibc}/execve`).includes('execve("/bin/sh"');
      const spawned = r.events.filter((e) => e.kind === "ShellSpawned");
      assert.deepEqual(spawned.map((e) => e.command), shell ? ["/bin/sh"] : []);
      if (shell) assert.equal(spawned[0].via, "initial.fns[0].fn (exit handler)");
    });
  }
}

for (const glibc of VERSIONS) {
  Deno.test(`${glibc}: a new thread's TCB holds its creator's stack guard, and its pointer guard up to 2.43`, () => {
    runAsReal("thread_guards", "thread_guards_plain", glibc, ["plain"]);
  });

  Deno.test(`${glibc}: a thread's atexit mangles with its own overwritten pointer guard, which main's exit demangles with its own`, () => {
    runAsReal("thread_guards", "thread_guards_atexit", glibc, ["atexit"]);
  });

  Deno.test(`${glibc}: __cxa_thread_atexit_impl's calloc'ed nodes run at exit before atexit's, and at a thread's end, each freed after its call`, () => {
    runAsReal("tls_dtors", "tls_dtors", glibc, tlsArgs(glibc));
  });

  for (const mode of ["read", "nullmap", "garbage"]) {
    Deno.test(`${glibc}: tls_dtor_list forged to a node of system("/bin/sh") (${mode})`, () => {
      const [list] = tlsArgs(glibc);
      const r = runAsReal("tls_exploit", `tls_exploit_${mode}`, glibc, [
        list,
        delta(glibc, "system"),
        mode,
      ]);
      const spawned = r.events.filter((e) => e.kind === "ShellSpawned");
      const shell = realShell(`tls_exploit_${mode}`, glibc);
      assert.deepEqual(spawned.map((e) => e.command), shell ? ["/bin/sh"] : []);
      if (shell) assert.equal(spawned[0].via, "tls_dtor_list->func (TLS destructor)");
      // a NULL map: the shell ran, then l_tls_dtor_count's decrement faulted (139 in the real run)
      if (mode === "nullmap" && shell) assert.equal(r.state, "crashed");
    });
  }
}

Deno.test("__cxa_thread_atexit_impl with a NULL dso_symbol is refused by name: glibc has no link_map cached", () => {
  const r = runC(
    "extern int __cxa_thread_atexit_impl(void (*)(void *), void *, void *);\n" +
      "static void d(void *p) {}\nint main(void) { __cxa_thread_atexit_impl(d, 0, 0); return 0; }",
    { glibc: "2.36" },
  );
  assert.ok(r.error instanceof CUnsupportedError, String(r.error));
  assert.match(r.error.message, /NULL dso_symbol/);
});

for (const glibc of VERSIONS) {
  const i386 = (mode: string) => [
    delta(glibc, "initial", "i386"),
    delta(glibc, "__exit_funcs", "i386"),
    delta(glibc, "system", "i386"),
    mode,
  ];

  Deno.test(`${glibc} i386: initial holds _dl_fini, the guards at %gs:0x14 and %gs:0x18 as ld.so set them, handlers run in reverse`, () => {
    runAsReal("exit_i386", "exit_i386_list", glibc, i386("list"), "i386");
  });

  Deno.test(`${glibc} i386: the 32nd registration callocs a 0x210 list that __exit_funcs then heads`, () => {
    runAsReal("exit_i386", "exit_i386_many", glibc, i386("many"), "i386");
  });

  for (const mode of ["read", "zero", "garbage"]) {
    Deno.test(`${glibc} i386: initial.fns[0] hijacked with the pointer guard ${mode === "read" ? "read" : mode === "zero" ? "zeroed" : "unknown"}`, () => {
      const r = runAsReal("exit_i386", `exit_i386_${mode}`, glibc, i386(mode), "i386");
      const shell = realShell(`exit_i386_${mode}`, glibc);
      const spawned = r.events.filter((e) => e.kind === "ShellSpawned");
      assert.deepEqual(spawned.map((e) => e.command), shell ? ["/bin/sh"] : []);
      if (shell) assert.equal(spawned[0].via, "initial.fns[0].fn (exit handler)");
    });
  }

  for (const mode of ["plain", "atexit"]) {
    Deno.test(`${glibc} i386: new threads' guards (${mode}) are copied as on x86_64`, () => {
      runAsReal("thread_guards", `thread_guards_i386_${mode}`, glibc, [mode], "i386");
    });
  }
}

for (const glibc of VERSIONS) {
  // the main link_map at the build's ld.so _end (AT_BASE+0x2b980 on 2.31, +0x3bb40 on 2.44)
  Deno.test(`${glibc} i386: __cxa_thread_atexit_impl's 0x20 nodes run at exit before atexit's, and at a thread's end, each freed after its call`, () => {
    runAsReal("tls_dtors", "tls_dtors_i386", glibc, tlsArgs(glibc, "i386"), "i386");
  });

  for (const mode of ["read", "nullmap", "garbage"]) {
    Deno.test(`${glibc} i386: tls_dtor_list forged to a node of system("/bin/sh") (${mode})`, () => {
      const [list] = tlsArgs(glibc, "i386");
      const args = [list, delta(glibc, "system", "i386"), mode];
      const r = runAsReal("tls_exploit", `tls_exploit_i386_${mode}`, glibc, args, "i386");
      const spawned = r.events.filter((e) => e.kind === "ShellSpawned");
      const shell = realShell(`tls_exploit_i386_${mode}`, glibc);
      assert.deepEqual(spawned.map((e) => e.command), shell ? ["/bin/sh"] : []);
      if (shell) assert.equal(spawned[0].via, "tls_dtor_list->func (TLS destructor)");
      if (mode === "nullmap" && shell) assert.equal(r.state, "crashed");
    });
  }
}
