/**
 * A program's own headers (`headers`, src/c/include_search.ts) against real runs: programs split
 * into a .c and headers beside it, compiled by gcc from their directory against the 2.31 sysroot
 * and run on each real glibc (tests/fixtures/c/local_headers/make_runs.sh); and what gcc says of
 * the ones it does not compile (gcc_errors.txt).
 */

import assert from "node:assert/strict";
import { CMissingHeaderError, CProgram, CSyntaxError, type GlibcVersion, runC } from "../../mod.ts";
import { fixture, runAsReal } from "./c_support.ts";

const VERSIONS: GlibcVersion[] = ["2.31", "2.36", "2.41", "2.43", "2.44"];
const DIR = "local_headers";

/** The fixture directory's headers, by their paths in it (as gcc found them). */
function headersOf(...paths: string[]): Record<string, string> {
  return Object.fromEntries(paths.map((p) => [p, fixture(`${DIR}/${p}`)]));
}

const HEADERS = headersOf("note.h", "once.h", "inc/sizes.h", "inc/where.h", "inc/check.h");

/** gcc's error line that begins with `place` (gcc_errors.txt). */
function gccError(place: string): string {
  const line = fixture(`${DIR}/gcc_errors.txt`).split("\n").find((l) => l.startsWith(place));
  assert.ok(line, place);
  return line;
}

for (const glibc of VERSIONS) {
  Deno.test(`a struct, macros and static inline functions from a header and its nested header run as on ${glibc}`, () => {
    runAsReal(DIR, "note", glibc, { headers: HEADERS });
  });
  Deno.test(`#pragma once reads a header once under three spellings of its path (${glibc})`, () => {
    runAsReal(DIR, "once", glibc, { headers: HEADERS });
  });
  Deno.test(`a failed assert in a header's inline function names the header and its line (${glibc})`, () => {
    const r = runAsReal(DIR, "check", glibc, { headers: HEADERS });
    assert.deepEqual([r.file, r.line], ["inc/check.h", 6]);
  });
}

Deno.test("a quoted #include given nowhere stops with gcc's fatal error", () => {
  const source = fixture(`${DIR}/missing.c`);
  assert.throws(() => new CProgram(source, { file: "missing.c" }), (e) => {
    assert.ok(e instanceof CMissingHeaderError);
    assert.equal(e.header, "missing.h");
    assert.equal(e.message, gccError("missing.c:"));
    return true;
  });
});

Deno.test("a header of the program included with brackets is not found, as gcc without -I", () => {
  assert.throws(
    () => new CProgram("#include <note.h>\nint main(void) { return 0; }\n", { headers: HEADERS }),
    (e) => e instanceof CMissingHeaderError && e.message.startsWith("prog.c:1:10: fatal error"),
  );
});

Deno.test("a bracketed header heaplab does not model is accepted with a warning that says gcc would stop where it is not installed", () => {
  // gcc: gcc_errors.txt's fatal error (the header is installed nowhere); heaplab cannot see what
  // is installed, so it keeps the include and says which case it took.
  assert.match(gccError("missing_system.c:"), /fatal error: nonexistent_header\.h: No such file/);
  const prog = new CProgram(fixture(`${DIR}/missing_system.c`), { file: "missing_system.c" });
  assert.equal(prog.warnings.length, 1);
  assert.match(
    prog.warnings[0],
    /^missing_system\.c:2: header <nonexistent_header\.h> is not modelled/,
  );
  assert.match(prog.warnings[0], /fatal error: nonexistent_header\.h: No such file or directory/);
  assert.equal(prog.run().exitStatus, 0);
});

Deno.test("headers that include each other without guards stop at gcc's depth of 200, in the header", () => {
  const headers = headersOf("cycle_a.h", "cycle_b.h");
  const real = gccError("cycle_a.h:"); // cycle_a.h:1:21: error: #include nested depth 200 exceeds …
  assert.throws(
    () => new CProgram(fixture(`${DIR}/cycle.c`), { file: "cycle.c", headers }),
    (e) => {
      assert.ok(e instanceof CSyntaxError);
      assert.equal(e.file, "cycle_a.h");
      assert.equal(`${e.file}:${e.line}`, real.split(":").slice(0, 2).join(":"));
      assert.ok(real.includes(e.what.replace(/ at '.*'$/, "")), e.message);
      return true;
    },
  );
});

Deno.test("a quoted stdio.h finds the built-in header", () => {
  const r = runC('#include "stdio.h"\nint main(void) { puts("hi"); return 0; }\n');
  assert.equal(r.stdout, "hi\n");
});

Deno.test("errors in a header name the header and its line", () => {
  const headers = { "bad.h": "#ifndef BAD_H\n#define BAD_H\n\nint x = y;\n#endif\n" };
  assert.throws(
    () => new CProgram('#include "bad.h"\nint main(void) { return x; }\n', { headers }),
    (e) => e instanceof CSyntaxError && e.message === "bad.h:4:9: 'y' undeclared",
  );
  // gcc_errors.txt: "open.h:1: error: unterminated #ifndef" (the #ifndef's line, in the header)
  const real = gccError("open.h:");
  const open = headersOf("open.h");
  assert.throws(
    () => new CProgram(fixture(`${DIR}/unterminated.c`), { file: "unterminated.c", headers: open }),
    (e) => e instanceof CSyntaxError && real === `${e.file}:${e.line}: error: ${e.what}`,
  );
});

Deno.test("a crash inside a header's function is backtraced to the header's line, then the program's", () => {
  const headers = { "inc/peek.h": "static inline int peek(int *p) {\n  return *p;\n}\n" };
  const source = '#include "inc/peek.h"\nint main(void) {\n  return peek(0);\n}\n';
  const prog = new CProgram(source, { headers });
  const r = prog.run();
  assert.equal(r.state, "crashed");
  assert.deepEqual(r.backtrace, ["#0 peek () at inc/peek.h:2", "#1 main () at prog.c:3"]);
  assert.deepEqual([prog.currentFile(), prog.currentLine()], ["inc/peek.h", 2]);
});

Deno.test("a nested header is found beside the header that includes it, and __FILE__ is its path", () => {
  const headers = {
    "inc/a.h": '#include "b.h"\n',
    "inc/b.h": "static const char *b_file = __FILE__;\n",
  };
  const source =
    '#include <stdio.h>\n#include "inc/a.h"\nint main(void) { puts(b_file); return 0; }\n';
  assert.equal(runC(source, { headers }).stdout, "inc/b.h\n");
  // (from the program's directory, "b.h" is not there)
  assert.throws(
    () => runC('#include "b.h"\nint main(void) { return 0; }\n', { headers }),
    CMissingHeaderError,
  );
});

Deno.test("the seed document's #include without a name is still accepted with a warning", () => {
  const prog = new CProgram("#include\nint main(void) { return 0; }\n");
  assert.deepEqual(prog.warnings, ["prog.c:1: #include without a header name (accepted)"]);
});
