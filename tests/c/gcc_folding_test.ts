/**
 * The stdio calls gcc rewrites when it builds with its builtins on, as by default
 * (src/c/gcc_folding.ts), against gcc 12's own choices (tests/fixtures/c/gcc_folding/calls.txt:
 * probes.c's calls with and without -fno-builtin) and against real runs of folding.c built both
 * ways (builtins/ and no_builtin/, five x86_64 builds): stderr's `_shortbuf` after fputs("\n"),
 * fprintf("H") and fprintf("%c"), which gcc makes fputc, and a printf through stdout's forged
 * vtable, which gcc makes puts, ending the process from 2.37 only when built with builtins; and
 * layout.c's global and literal addresses, which the emitted calls' literals and imports move
 * (and `printf("%c", v)` of an enum, a long and an unsigned, which gcc keeps with its "%c").
 */

import assert from "node:assert/strict";
import { fixture, runAsReal } from "./c_support.ts";
import { ORACLE_BUILDS, runC } from "../../mod.ts";
import { type FoldArgument, foldedCall } from "../../src/c/gcc_folding.ts";
import { headerTypedefs, predefinedMacros } from "../../src/c/headers.ts";
import { parse } from "../../src/c/parser.ts";
import { preprocess } from "../../src/c/preprocessor.ts";
import { programObjects } from "../../src/c/program_objects.ts";
import { abiOf } from "../../src/c/types.ts";

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  Deno.test(`fputs("\\n", stderr) stores its byte in _shortbuf as fputc when built with builtins, as on glibc ${glibc}`, () => {
    runAsReal("gcc_folding", "folding", glibc, { gccBuiltins: true, runs: "builtins" });
  });
  Deno.test(`fputs("\\n", stderr) leaves _shortbuf when built with -fno-builtin, as on glibc ${glibc}`, () => {
    runAsReal("gcc_folding", "folding", glibc, { runs: "no_builtin" });
  });
}

for (const { glibc } of ORACLE_BUILDS.filter((b) => b.arch === "x86_64")) {
  for (const gccBuiltins of [true, false]) {
    const build = gccBuiltins ? "builtins" : "no_builtin";
    Deno.test(`the literals and imports of the calls gcc emits (${build}) place .rodata and .data, as on glibc ${glibc}`, () => {
      const r = runC(fixture("gcc_folding/layout.c"), {
        glibc,
        file: "layout.c",
        stdout: "file",
        gccBuiltins,
        explain: false,
      });
      assert.equal(r.stdout, fixture(`gcc_folding/layout/${build}/${glibc}/stdout`));
      assert.equal(r.exitStatus, Number(fixture(`gcc_folding/layout/${build}/${glibc}/status`)));
    });
  }
}

/** What gcc knows of an argument: a literal's text, a pointer, an int, or something else. */
const bytes = (s: string) => [...s].map((c) => c.charCodeAt(0));
const lit = (s: string): FoldArgument => ({ text: bytes(s), pointer: true, int: false });
const ptr: FoldArgument = { pointer: true, int: false };
const int: FoldArgument = { pointer: false, int: true };
const other: FoldArgument = { pointer: false, int: false };

/** probes.c's calls whose value is discarded, by their source text, with their arguments. */
const PROBES: Record<string, [string, FoldArgument[]]> = {
  'vprintf("Y\\n", ap);': ["vprintf", [lit("Y\n"), other]],
  'vprintf("Y", ap);': ["vprintf", [lit("Y"), other]],
  'vprintf("", ap);': ["vprintf", [lit(""), other]],
  'vprintf("%s\\n", ap);': ["vprintf", [lit("%s\n"), other]],
  'vfprintf(stderr, "Z\\n", ap);': ["vfprintf", [ptr, lit("Z\n"), other]],
  'vfprintf(stderr, "Z", ap);': ["vfprintf", [ptr, lit("Z"), other]],
  'vfprintf(stderr, "", ap);': ["vfprintf", [ptr, lit(""), other]],
  'printf("A\\n");': ["printf", [lit("A\n")]],
  'printf("B");': ["printf", [lit("B")]],
  'printf("CD");': ["printf", [lit("CD")]],
  'printf("");': ["printf", [lit("")]],
  'printf("\\n");': ["printf", [lit("\n")]],
  'printf("\\n\\n");': ["printf", [lit("\n\n")]],
  'printf("%s\\n", s);': ["printf", [lit("%s\n"), ptr]],
  'printf("%s\\n", "lit");': ["printf", [lit("%s\n"), lit("lit")]],
  'printf("%s\\n", "");': ["printf", [lit("%s\n"), lit("")]],
  'printf("%s\\n", 5);': ["printf", [lit("%s\n"), int]],
  'printf("%s\\n");': ["printf", [lit("%s\n")]],
  'printf("%s", s);': ["printf", [lit("%s"), ptr]],
  'printf("%s", "x");': ["printf", [lit("%s"), lit("x")]],
  'printf("%s", "ab\\n");': ["printf", [lit("%s"), lit("ab\n")]],
  'printf("%s", "lit");': ["printf", [lit("%s"), lit("lit")]],
  'printf("%s", "");': ["printf", [lit("%s"), lit("")]],
  'printf("%s%s", s, s);': ["printf", [lit("%s%s"), ptr, ptr]],
  'printf("%c", c);': ["printf", [lit("%c"), int]],
  'printf("%c", ui);': ["printf", [lit("%c"), other]],
  'printf("%c", s);': ["printf", [lit("%c"), ptr]],
  'printf("%c");': ["printf", [lit("%c")]],
  'printf("%c\\n", c);': ["printf", [lit("%c\n"), int]],
  'printf("%%\\n");': ["printf", [lit("%%\n")]],
  'printf("W\\n", 1);': ["printf", [lit("W\n"), int]],
  'printf("a\\0b\\n");': ["printf", [lit("a")]],
  "printf(s);": ["printf", [ptr]],
  'fprintf(f, "G\\n");': ["fprintf", [ptr, lit("G\n")]],
  'fprintf(f, "H");': ["fprintf", [ptr, lit("H")]],
  'fprintf(f, "");': ["fprintf", [ptr, lit("")]],
  'fprintf(f, "%s", s);': ["fprintf", [ptr, lit("%s"), ptr]],
  'fprintf(f, "%s", "lit");': ["fprintf", [ptr, lit("%s"), lit("lit")]],
  'fprintf(f, "%s", "x");': ["fprintf", [ptr, lit("%s"), lit("x")]],
  'fprintf(f, "%s", 5);': ["fprintf", [ptr, lit("%s"), int]],
  'fprintf(f, "%s", s, 1);': ["fprintf", [ptr, lit("%s"), ptr, int]],
  'fprintf(f, "%c", c);': ["fprintf", [ptr, lit("%c"), int]],
  'fprintf(f, "%c", ui);': ["fprintf", [ptr, lit("%c"), other]],
  'fprintf(f, "%s\\n", s);': ["fprintf", [ptr, lit("%s\n"), ptr]],
  'fputs("K", f);': ["fputs", [lit("K"), ptr]],
  'fputs("", f);': ["fputs", [lit(""), ptr]],
  'fputs("LM", f);': ["fputs", [lit("LM"), ptr]],
  'fputs("a\\0b", f);': ["fputs", [lit("a"), ptr]],
  "fputs(buf, f);": ["fputs", [ptr, ptr]],
  'puts("");': ["puts", [lit("")]],
  'fwrite("R", 1, 1, f);': ["fwrite", [lit("R"), int, int, ptr]],
  'sprintf(buf, "x");': ["sprintf", [ptr, lit("x")]],
};

/** calls.txt: the source text of each probe line, and the calls gcc emitted for it. */
const CALLS = new Map(
  fixture("gcc_folding/calls.txt").trimEnd().split("\n").map((line) => {
    const [, on, , source] = line.match(/^\d+: (.*) \| (.*) \| *(.*)$/)!;
    return [source.trim(), on] as const;
  }),
);

Deno.test("gcc_folding's rules emit the call gcc 12 emits for each probe whose value is discarded", () => {
  for (const [source, [name, args]] of Object.entries(PROBES)) {
    const fold = foldedCall(name, args, false);
    const emitted = fold ? fold.name ?? "-" : name;
    assert.equal(emitted, CALLS.get(source), source);
  }
});

Deno.test("gcc rewrites a call wherever its value is discarded, and only there", () => {
  const discarded = [
    '(void)printf("A\\n");',
    'n = (printf("E\\n"), 1);',
    'n++, printf("G\\n");',
    '(void)(n, printf("H\\n"));',
    'for (int i = 0; i < 1; printf("F\\n"), i++) {}',
    'for (printf("J\\n"); n < 0;) {}',
    'do printf("C\\n"); while (0);',
  ];
  for (const source of discarded) assert.equal(CALLS.get(source), "puts", source);
  const used = ['if (printf("B\\n")) n++;', 'argc && printf("A\\n");', 'return printf("E\\n");'];
  for (const source of used) assert.equal(CALLS.get(source), "printf", source);
  assert.equal(CALLS.get('argc ? printf("C\\n") : printf("D\\n");'), "printf printf");
});

Deno.test("gcc leaves a call whose value is used as written", () => {
  for (const source of ['n = printf("E\\n");', 'n = fprintf(f, "IJ\\n");', 'n = fputs("N", f);']) {
    assert.equal(CALLS.get(source), source.slice(4, source.indexOf("(")), source);
  }
  assert.equal(foldedCall("printf", [lit("E\n")], true), undefined);
});

/** stderr's `_shortbuf` after each way of writing "\n" by fputs: '\n' (10) where it ran as fputc. */
const PLACES = `#include <stdio.h>
int main(void) {
  int n;
  fputc('a', stderr); fputs("\\n", stderr); printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); (void)fputs("\\n", stderr); printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); n = (fputs("\\n", stderr), 1); printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); for (n = 0; n < 1; fputs("\\n", stderr), n++) {} printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); n++, fputs("\\n", stderr); printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); for (fputs("\\n", stderr); n < 0;) {} printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); n = fputs("\\n", stderr); printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); n ? fputs("\\n", stderr) : 0; printf("%d ", stderr->_shortbuf[0]);
  fputc('a', stderr); if (fputs("\\n", stderr)) n++; printf("%d\\n", stderr->_shortbuf[0]);
  return 0;
}`;

Deno.test("only a call whose value is discarded runs as the call gcc makes of it", () => {
  const run = (gccBuiltins: boolean) => runC(PLACES, { glibc: "2.41", gccBuiltins }).stdout;
  // statement, (void), comma's left and right operands, for step and init: fputc; assigned,
  // ?:, condition: fputs
  assert.equal(run(true), "10 10 10 10 10 10 97 97 97\n");
  assert.equal(run(false), "97 97 97 97 97 97 97 97 97\n");
});

Deno.test("gcc reads a file-scope const array's or const pointer's string as a literal's", () => {
  // (gcc 12 -O0: fputc, fputc, fputs, fputc, fputs; probes.c's printf(gcp), printf(fmt_arr))
  const source = `#include <stdio.h>
    static const char nl[] = "\\n";
    const char *const nl2 = "\\n";
    const char *nl3 = "\\n";
    const char nlg[] = "\\n";
    int main(void) {
      const char loc[] = "\\n";
      fputc('a', stderr); fputs(nl, stderr); printf("%d ", stderr->_shortbuf[0]);
      fputc('a', stderr); fputs(nl2, stderr); printf("%d ", stderr->_shortbuf[0]);
      fputc('a', stderr); fputs(nl3, stderr); printf("%d ", stderr->_shortbuf[0]);
      fputc('a', stderr); fputs(nlg, stderr); printf("%d ", stderr->_shortbuf[0]);
      fputc('a', stderr); fputs(loc, stderr); printf("%d\\n", stderr->_shortbuf[0]);
      return 0;
    }`;
  assert.equal(runC(source, { glibc: "2.41" }).stdout, "10 10 97 10 97\n");
  const calls = (line: string) => CALLS.get(line);
  assert.deepEqual(
    ["printf(gcp);", "printf(fmt_arr);", "printf(gp);", "printf(loc);", "fputs(two, f);"].map(
      calls,
    ),
    ["puts", "puts", "printf", "printf", "fwrite"],
  );
});

Deno.test("a folded call's arguments are compiled once: a compound literal takes one slot", () => {
  const source = `#include <stdio.h>
    int main(void) {
      char *p;
      printf("%s\\n", p = (char[]){'h', 'i', 0});
      char after;
      printf("%p %p\\n", (void *)p, (void *)&after);
      return 0;
    }`;
  const run = (gccBuiltins: boolean) => runC(source, { glibc: "2.41", gccBuiltins }).stdout;
  assert.match(run(true), /^hi\n0x/);
  assert.equal(run(true), run(false));
});

/**
 * probes.c's `printf("%c", v)` of each kind of `v` (calls.txt: putchar only for an `int`), and
 * where the probe stands: its declarations, then the call.
 */
const CHAR_PROBES: [string, string][] = [
  ["enum e en = E1;", 'printf("%c", en);'],
  ["enum s sen = SP;", 'printf("%c", sen);'],
  ["", 'printf("%c", E1);'],
  ["", 'printf("%c", (enum e)1);'],
  ["long l = 'l';", 'printf("%c", l);'],
  ["unsigned long ul = 'L';", 'printf("%c", ul);'],
  ["", 'printf("%c", gu);'],
  ["", "{ int gu = 'g'; printf(\"%c\", gu); }"],
  ["unsigned int ui = 'U';", 'printf("%c", ui);'],
  ["char c = 'c';", 'printf("%c", c);'],
];
const CHAR_DECLS = "enum e { E0, E1 };\nenum s { SN = -1, SP = 'P' };\nunsigned int gu = 'G';\n";

Deno.test('the .rodata plan keeps printf("%c", v) where gcc does, from v\'s declared type', () => {
  const abi = abiOf("x86_64");
  for (const [decls, call] of CHAR_PROBES) {
    const source = `int printf(const char *, ...);\n${CHAR_DECLS}` +
      `int main(void) { ${decls} ${call} return 0; }\n`;
    const { tokens } = preprocess(source, "probe.c", predefinedMacros(abi));
    const unit = parse(tokens, { file: "probe.c", abi, typedefs: headerTypedefs(abi) });
    const objects = programObjects(unit, abi, new Set(["printf"]), { gccBuiltins: true });
    const planned = objects.calls.folded.has("printf") ? "putchar" : "printf";
    assert.equal(planned, CALLS.get(call), call);
    // "%c" is in .rodata just when printf stays
    const percentC = objects.rodata.some((r) => "literal" in r && r.literal.join() === "37,99");
    assert.equal(percentC, planned === "printf", call);
  }
});

Deno.test('a program runs fprintf(stderr, "%c", v) as fputc only where gcc makes printf("%c", v) putchar', () => {
  // fputc leaves its byte in unbuffered stderr's _shortbuf; vfprintf does not
  for (const [decls, call] of CHAR_PROBES) {
    const fprintf = call.replace('printf("%c"', 'fprintf(stderr, "%c"');
    const source = `#include <stdio.h>\n${CHAR_DECLS}int main(void) {\n` +
      `  ${decls} fputc('a', stderr); ${fprintf}\n` +
      `  printf("%s", stderr->_shortbuf[0] == 'a' ? "printf" : "putchar");\n  return 0;\n}\n`;
    const r = runC(source, { glibc: "2.41", gccBuiltins: true, explain: false });
    if (r.error) throw r.error;
    assert.equal(r.stdout, CALLS.get(call), call);
  }
  // (gcc 12 -O0: fprintf(f, "%c", en) stays fprintf, fprintf(f, "%c", sen) becomes fputc)
  assert.deepEqual(
    ['fprintf(f, "%c", en);', 'fprintf(f, "%c", sen);'].map((line) => CALLS.get(line)),
    ["fprintf", "fputc"],
  );
});
