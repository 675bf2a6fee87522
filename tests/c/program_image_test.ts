/**
 * A program with large globals runs with the mappings and the heap a real binary of it has:
 * image.c, with a global array of 0 to 0x123456 bytes in .bss or .data (sizes around a page among
 * them, where one byte more moves the heap), and notes.c, a CTF-like program's globals ending a
 * byte before and after a page, run by heaplab's C interpreter, read the real program's lines
 * in /proc/self/maps (its file's pages, the bss area, `[heap]`), and have the same break before
 * and after the first malloc and the same first malloc as they had started directly under real
 * 2.31, 2.36, 2.41, 2.43 and 2.44 with randomization off (tests/fixtures/c/program_image/images.json,
 * make_images.sh), and the array's address. globals.c and rodata.c print the addresses of
 * globals of every section, const objects and literals, overflow one global into the next and
 * write to a const object, with the real programs' output and exit status on the five builds
 * (globals.json, make_globals.sh); each global's offset, `_edata` and `_end` are the linked
 * binary's (globals.nm). Which initialisers put a global in .bss: as gcc decided for
 * sections.json (make_sections.sh).
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { CProgram, CUnsupportedError, Process, runC } from "../../mod.ts";
import { headerTags, headerTypedefs, predefinedMacros } from "../../src/c/headers.ts";
import { parse } from "../../src/c/parser.ts";
import { preprocess } from "../../src/c/preprocessor.ts";
import { planGlobals } from "../../src/c/program_image.ts";
import { isZeroInitializer } from "../../src/c/program_objects.ts";
import { abiOf } from "../../src/c/types.ts";

const IMAGES: Record<string, Record<string, string>> = JSON.parse(
  fixture("program_image/images.json"),
);
const SOURCE = fixture("program_image/image.c");

const NOTES = fixture("program_image/notes.c");

/** The program make_images.sh builds for a case: `<bss|data|none>_<size>`, or `notes_<size>`. */
function imageSource(name: string): string {
  const [kind, size] = name.split("_");
  if (kind === "notes") return `#define SCRATCH ${size}\n${NOTES}`;
  return `#define SIZE ${size}\n${kind === "data" ? "#define DATA 1\n" : ""}${SOURCE}`;
}

/** The maps lines of the program, up to `[heap]`, with the program file's path as `prog`. */
function programLines(maps: string, path: string): string[] {
  const lines: string[] = [];
  for (const line of maps.split("\n")) {
    const [range, perms, offset, , , name = ""] = line.trim().split(/\s+/);
    lines.push(`${range} ${perms} ${offset} ${name === path ? "prog" : name}`);
    if (name === "[heap]") break;
  }
  return lines;
}

/** image.c's output: the lines it printed, then the /proc/self/maps text it copied. */
function printedThenMaps(output: string): { printed: string[]; maps: string } {
  const lines = output.split("\n"), at = lines.findIndex((l) => /^[0-9a-f]+-[0-9a-f]+ /.test(l));
  return { printed: lines.slice(0, at), maps: lines.slice(at).join("\n") };
}

for (const [glibc, cases] of Object.entries(IMAGES)) {
  Deno.test(`large globals map and move the heap as under glibc ${glibc} on Linux 6.18`, () => {
    for (const [name, real] of Object.entries(cases)) {
      const prog = new CProgram(imageSource(name), {
        glibc,
        stdout: "file",
        pauseOnInput: false,
        explain: false,
        gccBuiltins: false, // make_images.sh builds with -fno-builtin
      });
      const result = prog.run();
      if (result.state === "error") throw result.error;
      // the array's address, sbrk(0), the first malloc, sbrk(0): the same numbers
      const mine = printedThenMaps(result.stdout), theirs = printedThenMaps(real);
      assert.deepEqual(mine.printed, theirs.printed, name);
      // the program's lines of the /proc/self/maps it read (src/c/proc_maps.ts)
      const path = prog.process.start.programPath!;
      assert.deepEqual(
        programLines(mine.maps, path),
        programLines(theirs.maps, "/work/prog"),
        name,
      );
    }
  });
}

Deno.test("a large global is zeros in .bss and its initialiser in .data, to its last byte", () => {
  const r = runC(`#include <stdio.h>
    char zero[0x123456];
    int data[0x40000] = {1, 2, [0x3ffff] = 7};
    int main(void) {
      static char local[0x20000];
      local[0x1ffff] = 5;
      zero[0x123455] = 9;
      printf("%d %d %d %d %d\\n", data[0], data[1], data[0x3ffff], zero[0x123455], local[0x1ffff]);
      return 0;
    }`);
  assert.equal(r.state, "exited");
  assert.equal(r.stdout, "1 2 7 9 5\n");
});

Deno.test("globals of more than 64 MiB are refused by name", () => {
  assert.throws(
    () => runC("char big[0x4000001]; int main(void) { return big[0]; }"),
    (e) => e instanceof CUnsupportedError && /globals of more than 64 MiB/.test(e.message),
  );
});

Deno.test("large globals are refused in a process whose break has already moved", () => {
  const process = new Process({ layout: "x86_64" });
  process.sbrk(0x1000);
  assert.throws(
    () => runC("char big[0x10000]; int main(void) { return big[0]; }", { process }),
    (e) => e instanceof CUnsupportedError && /break has moved/.test(e.message),
  );
});

Deno.test("globals that fit the data page leave the layout's maps and break as they were", () => {
  const fresh = new Process({ layout: "x86_64" });
  const prog = new CProgram("char small[0xf00]; int main(void) { return small[0]; }");
  assert.equal(prog.process.maps(), fresh.maps());
  assert.equal(prog.process.space.startBrk, fresh.space.startBrk);
});

const SECTIONS: [string, "data" | "bss"][] = JSON.parse(fixture("program_image/sections.json"));

Deno.test("a global with an initialiser all zeros as written is in .bss, as gcc has it", () => {
  const abi = abiOf("x86_64");
  for (const [decl, section] of SECTIONS) {
    const source = `#include <stddef.h>\n${decl}\nint main(void) { return 0; }`;
    const tokens = preprocess(source, "decl.c", predefinedMacros(abi)).tokens;
    const unit = parse(tokens, {
      file: "decl.c",
      abi,
      typedefs: headerTypedefs(abi),
      tags: headerTags(abi),
    });
    const x = unit.globals.find((g) => g.name === "x")!;
    assert.equal(isZeroInitializer(x.init, x.type) ? "bss" : "data", section, decl);
    // and its pages: a .data array of 0x2000 bytes takes the file's pages through its end
    if (!decl.includes("0x2000") && !decl.includes("0x1000")) continue;
    const maps = new CProgram(source).process.maps();
    const fileTop = section === "data" ? "55555555b000" : "555555559000";
    assert.match(maps, new RegExp(`\n555555558000-${fileTop} rw-p 00003000 `), decl);
  }
});

const GLOBALS_SOURCE = fixture("program_image/globals.c");
type Run = { stdout: string; status: number };
const GLOBALS: Record<string, Record<string, Run>> = JSON.parse(
  fixture("program_image/globals.json"),
);

for (const [glibc, runs] of Object.entries(GLOBALS)) {
  Deno.test(`globals sit where gcc and ld put them, and overflow into their neighbours, under ${glibc}`, () => {
    const r = runC(GLOBALS_SOURCE, {
      glibc,
      stdout: "file",
      pauseOnInput: false,
      explain: false,
      gccBuiltins: false,
    });
    assert.equal(r.stdout, runs["globals.c"].stdout);
    assert.equal(r.exitStatus, runs["globals.c"].status);
  });

  Deno.test(`const objects and literals sit in .rodata as ld puts them, and a write faults, under ${glibc}`, () => {
    const source = fixture("program_image/rodata.c");
    const r = runC(source, {
      glibc,
      stdout: "file",
      pauseOnInput: false,
      explain: false,
      gccBuiltins: false,
    });
    assert.equal(r.stdout, runs["rodata.c"].stdout);
    assert.equal(r.exitStatus, runs["rodata.c"].status);
  });
}

Deno.test("each global's offset in the data page, _edata and _end are the linked binary's", () => {
  const abi = abiOf("x86_64");
  const tokens = preprocess(GLOBALS_SOURCE, "globals.c", predefinedMacros(abi)).tokens;
  const unit = parse(tokens, {
    file: "globals.c",
    abi,
    typedefs: headerTypedefs(abi),
    tags: headerTags(abi),
  });
  // the library functions globals.c calls: its imports
  const library = new Set(["setvbuf", "malloc", "printf", "strcpy", "pthread_self", "puts"]);
  const named = new Set(tokens.filter((t) => t.k === "id").map((t) => t.v));
  const plan = planGlobals(unit, { abi, named, library, dataStart: 0x4000, file: "globals.c" });
  const mine = new Map<string, number>([
    ["_edata", 0x4000 + plan.layout.fileEnd],
    ["_end", 0x4000 + plan.layout.end],
    ...plan.copies,
    ...[...plan.planned].map(([d, at]): [string, number] => [d.name, at]),
  ]);
  // globals.nm: `nm -n` of the binary from .data on (function statics with gcc's `.N` suffix,
  // copies with their symbol version)
  const checked = new Set<string>();
  for (const line of fixture("program_image/globals.nm").trim().split("\n")) {
    const [address, , symbol] = line.split(" ");
    const name = symbol.replace(/@.*$/, "").replace(/\.\d+$/, "");
    if (!mine.has(name)) continue;
    assert.equal(mine.get(name), parseInt(address, 16), symbol);
    checked.add(name);
  }
  assert.deepEqual([...mine.keys()].filter((name) => !checked.has(name)), []);
});
