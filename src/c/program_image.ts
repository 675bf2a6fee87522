/**
 * The program's writable segment as GNU ld lays it out for the program's globals, and its
 * mapping as exec maps it: so that `&global`, an overflow from one global into the next, the
 * distance from a global to the copy of `stdout` or to the heap, and the mappings and heap start
 * of a program with large globals (`char buf[0x10000]`) are the real binary's.
 *
 * The layout, for a gcc -O0 PIE built as `tests/fixtures/c/real_glibc.sh` builds (the sections
 * and order of the program's own objects are gcc's: `program_objects.ts`):
 * - the data page begins with the tail of `.got.plt`, one word per library function the program
 *   calls (its first three words end the RELRO page below);
 * - `.data`: the crt files' `data_start` and `__dso_handle` (a word each), then the program's
 *   `.data`, `.data.rel.local` and `.data.rel`, each starting aligned to its largest object;
 * - `.bss`: the copy relocations of the libc objects the program names ({@link
 *   COPIED_LIBC_OBJECTS}, in ld's order and alignment; none on i386, whose gcc -m32 PIE reaches
 *   them through the GOT: `std_streams_i386/relocs.txt`), crtstuff's `completed.0` (a byte), then
 *   the program's `.bss`: its zeroed globals, then its local commons (the zeroed statics);
 *   `_end` aligned to a word;
 * - each output section starts aligned to its largest input section;
 * - `.rodata` (const objects and string literals) starts the read-only data page after crt1's
 *   `_IO_stdin_used` ({@link layRodata}); const objects are written there before main, as the
 *   loader would map them, and a write to one faults.
 * exec then maps the file's pages through the page holding `_edata` (rw-p, the file's), an
 * anonymous rw-p area for the rest of the bss through the page holding `_end` (unnamed: Linux
 * 6.18 names `[heap]` only areas overlapping the break's range), and sets the break (start_brk)
 * at the page after `_end`: the first malloc's heap begins there. heaplab's own globals (errno
 * where libc's TLS has no place for it, a layout's own std streams) go past `_end`; when they
 * reach further, the image reaches as far as they do.
 *
 * Checked (tests/c/program_image_test.ts against `tests/fixtures/c/program_image/`, made on
 * Linux 6.18 with the five x86_64 glibc builds): by `make_images.sh`, a global array of 0 to
 * 0x123456 bytes in .bss and in .data, with sizes a byte either side of where the heap or the
 * file's pages move, and a note-keeping program (an array of structs, initialised and zeroed
 * globals in mixed order, a static buffer, three std streams named, nine functions called) a
 * byte either side of a page — the array's address, the program's maps lines, the bss area,
 * `[heap]`, sbrk(0) before and after the first malloc and its address; by `make_globals.sh`, the
 * addresses of fifteen globals of every section (`.data`, `.data.rel.local`, `.data.rel`, `.bss`,
 * local commons, function statics, the stdout and stdin copies) and two string overflows from one
 * global into the next, and of const objects and literals in `.rodata` and a write to one; and
 * which initialisers gcc sends to .bss (`sections.json`, by
 * `make_sections.sh`). Not checked: the i386 layouts (the same rules with 4-byte words, no copies; on the seed's Linux 3.13 heaplab keeps the bss and heap areas apart and
 * names both `[heap]`, by that kernel's maps rule, though its brk may have merged them). A
 * program built with gcc's builtins on imports the functions of the calls gcc emits (printf of a
 * plain line becomes puts: one import more or fewer moves `.data` by a word) and holds their
 * literals (`gcc_folding.ts`; tests/fixtures/c/gcc_folding/layout/).
 *
 * @module
 */

import { CUnsupportedError } from "./errors.ts";
import type { TranslationUnit, VarDecl } from "./ast.ts";
import { type DataSection, type ImageObject, programObjects } from "./program_objects.ts";
import type { Abi } from "./types.ts";
import type { AddressSpace } from "../kernel/address_space.ts";
import { pageAlignUp, type Vma } from "../kernel/vma.ts";

/**
 * The most bytes of globals heaplab lays out (64 MiB): a program whose globals need more is
 * refused (`CUnsupportedError`) when compiled.
 */
export const GLOBALS_LIMIT = 64 * 1024 * 1024;

/**
 * The libc objects a program that names them gets a copy of in its .bss (copy relocations), in
 * the order GNU ld lays the copies out, each with the alignment ld gives it: the largest power of
 * two (up to its section's 32) dividing its offset in its section of the libc it was linked
 * against (the 2.31 sysroot's libc.so.6: stdout at .data+0x15e8, stdin +0x15f0, stderr +0x15e0,
 * _IO_list_all +0x1400, environ at .bss+0x2240). `__environ` is `environ`.
 */
export const COPIED_LIBC_OBJECTS: readonly { readonly name: string; readonly align: number }[] = [
  { name: "stdout", align: 8 },
  { name: "stdin", align: 16 },
  { name: "environ", align: 32 },
  { name: "_IO_list_all", align: 32 },
  { name: "stderr", align: 32 },
];

/** Where GNU ld puts the program's globals: offsets from the start of its data page. */
export interface ImageLayout {
  /** Each object's offset, in the order of the objects given. */
  readonly offsets: readonly number[];
  /** The copy relocations' offsets, by name. */
  readonly copies: ReadonlyMap<string, number>;
  /** `_edata`: where the bytes from the file end. */
  readonly fileEnd: number;
  /** `_end`: where the bss ends. */
  readonly end: number;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * Where GNU ld places these globals (in gcc's emission order, `program_objects.ts`) in the
 * writable segment of a program calling `imports` library functions and naming the libc objects
 * `copied` (see the module doc): an input section of the program starts aligned to its largest
 * object, each output section (.data, .bss) to its largest input section.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layImage } from "./program_image.ts";
 * // char global[4000]; in .bss, 8 functions called, stdout named (the fixture's bss_4000)
 * const bss = layImage([{ size: 4000, align: 32, section: "bss" }], 8, ["stdout"], 8);
 * assert.deepEqual(bss.offsets, [0x80]);
 * assert.deepEqual([bss.copies.get("stdout"), bss.fileEnd, bss.end], [0x60, 0x50, 0x1020]);
 * ```
 */
export function layImage(
  objects: readonly ImageObject[],
  imports: number,
  copied: readonly string[],
  wordSize: number,
): ImageLayout {
  const offsets: number[] = new Array(objects.length).fill(0);
  const copies = new Map<string, number>();
  const inputs = (section: DataSection) =>
    objects.map((o, i) => ({ o, i })).filter(({ o }) => o.section === section);
  const largest = (list: { o: ImageObject }[]) =>
    list.reduce((a, { o }) => Math.max(a, o.align), 1);
  const placeSection = (at: number, list: { o: ImageObject; i: number }[]) => {
    if (!list.length) return at;
    at = alignUp(at, largest(list));
    for (const { o, i } of list) {
      at = alignUp(at, o.align);
      offsets[i] = at;
      at += o.size;
    }
    return at;
  };
  // .data: the crt files' data_start and __dso_handle, the program's .data, then its
  // .data.rel.local and .data.rel in the order they first appear
  const rel = [...new Set(objects.map((o) => o.section))].filter((s) => s.startsWith("data.rel"));
  const data = [inputs("data"), ...rel.map(inputs)];
  let at = alignUp(imports * wordSize, Math.max(wordSize, ...data.map(largest)));
  at += 2 * wordSize;
  for (const list of data) at = placeSection(at, list);
  const fileEnd = at;
  // .bss: the copy relocations, crtstuff's completed.0, the program's .bss, its local commons
  const copy = COPIED_LIBC_OBJECTS.filter((c) => copied.includes(c.name))
    .map((c) => ({ ...c, align: wordSize === 8 ? c.align : 2 * wordSize }));
  const bss = [...inputs("bss"), ...inputs("comm")];
  at = alignUp(at, Math.max(largest(bss), ...copy.map((c) => c.align)));
  for (const c of copy) {
    at = alignUp(at, c.align);
    copies.set(c.name, at);
    at += wordSize;
  }
  at += 1;
  at = placeSection(at, bss);
  return { offsets, copies, fileEnd, end: alignUp(at, wordSize) };
}

/**
 * Grows the program's mappings to its writable segment's extent (`layout`, from `data`'s
 * start), as exec maps it (see the module doc), reaching at least to `globalsEnd` (heaplab's
 * own globals, placed past `_end`): nothing when it fits the layout's data page, as every
 * program whose globals do. Refuses (`CUnsupportedError`) a process whose break has moved or
 * whose data page has mappings or the break right above it, and globals past
 * {@link GLOBALS_LIMIT}.
 */
export function mapProgramImage(
  space: AddressSpace,
  data: Vma,
  layout: ImageLayout,
  globalsEnd: number,
  file: string,
) {
  const end = Math.max(data.start + layout.end, globalsEnd);
  if (pageAlignUp(end) <= data.end) return;
  const fail = (why: string) => {
    throw new CUnsupportedError(`globals beyond the binary's data page ${why}`, file, 1);
  };
  if (end - data.start > GLOBALS_LIMIT) {
    fail(`past ${GLOBALS_LIMIT / 1024 / 1024} MiB (heaplab lays out at most that)`);
  }
  if (space.brk !== space.startBrk) fail("in a process whose break has moved");
  if (space.startBrk < data.end) fail("in a process whose break is below its data");
  const reach = pageAlignUp(end) + space.startBrk - data.end;
  if (!space.isFree(data.end, reach)) fail("in a process with mappings right above its data");
  space.growProgramData(data, Math.min(data.start + layout.fileEnd, end), end);
}

/** The program's globals placed: what {@link planGlobals} returns. */
export interface GlobalsPlan {
  /** Each global the program defines, by its placing declaration: its address. */
  readonly planned: ReadonlyMap<VarDecl, number>;
  /** The string literals gcc puts in `.rodata`, in order, and their addresses. */
  readonly literals: readonly { readonly bytes: readonly number[]; readonly address: number }[];
  /** Where the program's `.rodata` ends (or, unplanned, begins). */
  readonly rodataEnd: number;
  /** The copy relocations' addresses, by name (`environ` for `__environ` too). */
  readonly copies: ReadonlyMap<string, number>;
  /** The segment's layout, from the data page's start. */
  readonly layout: ImageLayout;
  /** Where heaplab's own globals may start: past `_end`. */
  readonly ownStart: number;
}

/**
 * Offsets in the read-only data page of the program's `.rodata` (const objects and string
 * literals, in gcc's order): after crt1's `_IO_stdin_used` (4 bytes), the section aligned to its
 * largest item, each item to its own alignment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layRodata } from "./program_image.ts";
 * // "global literal", const int limit, const char banner[] = "banner"
 * const items = [{ size: 15, align: 1 }, { size: 4, align: 4 }, { size: 7, align: 1 }];
 * assert.deepEqual(layRodata(items), { offsets: [4, 20, 24], end: 31 });
 * ```
 */
export function layRodata(
  items: readonly { readonly size: number; readonly align: number }[],
): { offsets: number[]; end: number } {
  let at = alignUp(4, items.reduce((a, item) => Math.max(a, item.align), 1));
  const offsets = items.map((item) => {
    at = alignUp(at, item.align);
    const offset = at;
    at += item.size;
    return offset;
  });
  return { offsets, end: at };
}

/**
 * Places the globals of a parsed program as gcc and GNU ld would (`program_objects.ts`, then
 * {@link layImage} and {@link layRodata}) in a data page at `dataStart` and a read-only data page
 * `rodata` (none: const objects are writable, literals left to the caller): `named` are the
 * identifiers the program uses (the libc objects among them get copies) and `library` the library
 * functions it may call (those it names are its imports). When `.rodata` outgrows `rodata`, its
 * const objects go to the writable segment as if not const. Refuses (`CUnsupportedError`)
 * globals past {@link GLOBALS_LIMIT}.
 */
export function planGlobals(
  unit: TranslationUnit,
  options: {
    abi: Abi;
    named: ReadonlySet<string>;
    library: ReadonlySet<string>;
    dataStart: number;
    rodata?: { readonly start: number; readonly end: number };
    file: string;
    /** Built with gcc's builtins on (`gcc_folding.ts`): the calls gcc emits decide literals and imports. */
    gccBuiltins?: boolean;
    /** How many times the program names each identifier (absent: a name is still named after its calls are rewritten). */
    occurrences?: ReadonlyMap<string, number>;
  },
): GlobalsPlan {
  const { abi, named, library, dataStart, rodata, file, gccBuiltins, occurrences } = options;
  let objects = programObjects(unit, abi, library, {
    constInRodata: rodata !== undefined,
    gccBuiltins,
    file,
  });
  let ro = layRodata(objects.rodata);
  const rodataPlanned = rodata !== undefined && rodata.start + ro.end <= rodata.end;
  if (!rodataPlanned) {
    objects = programObjects(unit, abi, library, { constInRodata: false, gccBuiltins, file });
    ro = { offsets: [], end: rodata ? 4 : 0 };
  }
  const rodataStart = rodata?.start ?? 0;
  // the functions the binary imports: those it names, but those whose every call gcc rewrote,
  // and those the rewritten calls call
  const { folded, emitted } = objects.calls;
  const imported = (name: string) =>
    emitted.has(name) ||
    (named.has(name) && (occurrences?.get(name) ?? Infinity) > (folded.get(name) ?? 0));
  const imports = [...library].filter(imported).length;
  // (gcc -m32's PIE reaches libc's stdout, stdin, stderr, environ and _IO_list_all through the
  // GOT, R_386_GLOB_DAT relocations: an i386 program has no copy of any)
  const copied = COPIED_LIBC_OBJECTS.map((c) => c.name).filter((name) =>
    (named.has(name) || (name === "environ" && named.has("__environ"))) && abi.ptrSize === 8
  );
  const { decls } = objects;
  const layout = layImage(objects.objects, imports, copied, abi.ptrSize);
  const over = decls.findIndex((_, i) =>
    layout.offsets[i] + objects.objects[i].size > GLOBALS_LIMIT
  );
  if (over >= 0) {
    const limit = `${GLOBALS_LIMIT / 1024 / 1024} MiB`;
    throw new CUnsupportedError(
      `globals of more than ${limit} (heaplab lays out at most ${limit} of them)`,
      file,
      decls[over].line,
    );
  }
  const planned = new Map(decls.map((d, i) => [d, dataStart + layout.offsets[i]]));
  const literals: GlobalsPlan["literals"][number][] = [];
  if (rodataPlanned) {
    objects.rodata.forEach((item, i) => {
      const address = rodataStart + ro.offsets[i];
      if ("decl" in item) planned.set(item.decl, address);
      else literals.push({ bytes: item.literal, address });
    });
  }
  return {
    planned,
    literals,
    rodataEnd: rodataStart + ro.end,
    copies: new Map([...layout.copies].map(([name, at]) => [name, dataStart + at])),
    layout,
    ownStart: dataStart + alignUp(layout.end, 16),
  };
}
