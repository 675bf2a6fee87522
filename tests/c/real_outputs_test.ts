/**
 * C programs whose whole output is real glibc's, version by version: each program below, run by
 * heaplab's C interpreter, prints what it printed under each x86_64 oracle build (its folder's
 * `<version>.out`, made by the folder's script) — strerror's messages for 0 to 139 ("Unknown
 * error N" where glibc has none, EFTYPE's from 2.43), rand()'s numbers unseeded and after
 * several seeds, what signal(), alarm(), sleep() and time() return, printf's positional
 * arguments, %m (with dcgettext's heap chunks) and %#m (errno's names), strtol's family on the
 * edges of its range, prefixes and bases, errno after the malloc family fails, bit-fields'
 * initializers, floating conversions to integers (x86's "indefinite"; on i386 too); and a
 * malloc assertion's message (sysmalloc's, after a top chunk overwritten), on stderr and in the
 * result's abort.
 */

import assert from "node:assert/strict";
import { fixture, fixtureOrEmpty } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";

const PROGRAMS = [
  {
    folder: "error_messages",
    file: "messages.c",
    what: "strerror's messages for -2^31, -1 and 0 to 139, perror's for errno -5,",
  },
  { folder: "rand", file: "rand.c", what: "rand()'s numbers" },
  { folder: "signals", file: "signals.c", what: "signal(), alarm(), sleep() and time()" },
  {
    folder: "string_functions",
    file: "strings.c",
    what: "strcspn, strspn, strpbrk, strtok(_r), strsep, strnlen, strcasecmp, memmem and the rest",
  },
  {
    folder: "strtod",
    file: "strtod.c",
    what: "strtod's and atof's numbers, ends and ERANGE (decimal, hexadecimal, inf, nan)",
  },
  {
    folder: "strtol",
    file: "strtol_edges.c",
    what:
      "strtol's, strtoul's, strtoll's, strtoull's and atoi's numbers, ends, ERANGE and EINVAL on the edges",
  },
  {
    folder: "malloc_errno",
    file: "malloc_errno.c",
    what: "errno after the malloc family fails (ENOMEM) and after calls that succeed",
  },
  {
    folder: "bitfields",
    file: "bitfields.c",
    what: "bit-fields' values after initializers (braced, designated, elided braces, file scope)",
  },
  {
    folder: "float_to_int",
    file: "float_to_int.c",
    what: "double and float conversions to each integer type, out of range, infinite and NaN",
  },
  {
    folder: "typedef_names",
    file: "names.c",
    what: "typedef names used as declarators (a member, a variable, a redefinition)",
  },
  {
    folder: "ctype",
    file: "ctype.c",
    what: "<ctype.h>'s classes (the table's bits, not 1) and toupper/tolower for -128 to 255",
  },
  {
    folder: "header_names",
    file: "names.c",
    what:
      "header types' sizes and signedness (__uint16_t, socklen_t, key_t, …) and macros (O_DSYNC, RTLD_LAZY, …)",
  },
  {
    folder: "printf_positional",
    file: "positional.c",
    what: "printf's positional arguments (%N$, *N$)",
  },
];

for (const { folder, file, what } of PROGRAMS) {
  const source = fixture(`${folder}/${file}`);
  for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
    Deno.test(`${what} are glibc ${glibc}'s`, () => {
      const result = runC(source, {
        file,
        glibc,
        arch: "x86_64",
        explain: false,
        gccBuiltins: false,
      });
      if (result.state === "error") throw result.error;
      assert.equal(result.stdout, fixture(`${folder}/${glibc}.out`));
      assert.equal(result.stderr, fixtureOrEmpty(`${folder}/${glibc}.err`));
    });
  }
}

Deno.test("double and float conversions to integers are i386 glibc 2.36's (x87's)", () => {
  const result = runC(fixture("float_to_int/float_to_int.c"), {
    file: "float_to_int.c",
    glibc: "2.36",
    arch: "i386",
    explain: false,
    gccBuiltins: false,
  });
  if (result.state === "error") throw result.error;
  assert.equal(result.stdout, fixture("float_to_int/i386.out"));
});

Deno.test("a field wider than heaplab keeps is refused by name, not a JavaScript RangeError", () => {
  for (const format of ["%999999999d", "%.999999999d", "%*d"]) {
    const result = runC(
      `#include <stdio.h>
       int main(void) { printf("${format}|", 1 << 30, 1); return 0; }`,
    );
    assert.equal(result.state, "error", format);
    assert.equal(result.error!.name, "CUnsupportedError");
    assert.match(
      result.error!.message,
      /printf with a field of \d+ bytes \(at most 16777216 here\)/,
    );
  }
});

Deno.test("a format that reads an argument the call did not pass is unsupported, not printed as 0", () => {
  for (const format of ["%p %p", "%7$p", "%n", "%*d"]) {
    const result = runC(
      `#include <stdio.h>
       #include <string.h>
       int main(void) { char buf[16]; strcpy(buf, "${format}"); printf(buf); return 0; }`,
    );
    assert.equal(result.state, "error", format);
    assert.equal(result.error!.name, "CUnsupportedError");
    assert.match(
      result.error!.message,
      /prog\.c:3: unsupported: a format that reads argument \d+ of 0 passed/,
    );
    assert.match(result.error!.message, /a format-string bug/);
  }
});

const ERRNO = fixture("printf_errno/errno.c"), ALT = fixture("printf_errno/alt.c");
for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`printf's %m prints errno's message, after glibc ${glibc}'s dcgettext calls`, () => {
    const result = runC(ERRNO, { file: "errno.c", glibc, arch: "x86_64", gccBuiltins: false });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, fixture(`printf_errno/errno.${glibc}.out`));
  });
  Deno.test(`printf's %#m prints errno's name on glibc ${glibc}, from 2.35 (before: the message)`, () => {
    const result = runC(ALT, { file: "alt.c", glibc, arch: "x86_64", gccBuiltins: false });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, fixture(`printf_errno/alt.${glibc}.out`));
  });
}

const TOP_SIZE = fixture("malloc_assertion/top_size.c");
for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`a malloc assertion's message, printed and in the abort, is glibc ${glibc}'s, naming argv[0]`, () => {
    const result = runC(TOP_SIZE, {
      file: "top_size.c",
      glibc,
      arch: "x86_64",
      gccBuiltins: false,
    });
    const stderr = fixture(`malloc_assertion/${glibc}.err`);
    assert.equal(result.state, "aborted");
    assert.equal(String(result.exitStatus), fixture(`malloc_assertion/${glibc}.status`).trim());
    assert.equal(result.stderr, stderr);
    assert.equal(result.abort!.glibcMessage + "\n", stderr);
  });
}
