/**
 * The program's writable segment as the linker would lay it out for the program's globals, and
 * its mapping as exec maps it: so that a program with large globals (`char buf[0x10000]`,
 * `struct note notes[1000]`) has the mappings and the heap start a real binary of it has.
 *
 * What corresponds to the real binary, and what does not. heaplab places the globals itself,
 * from the layout's data page + 0x20 in the order the program defines them (`Machine.
 * allocateGlobal`); their addresses are heaplab's, not gcc's (gcc puts the initialised ones in
 * .data, then the zeroed ones in .bss, after the crt files' objects and copy relocations). What
 * follows the real binary is the segment's extent, computed from the same globals placed as
 * GNU ld places them in a gcc -O0 PIE built as `tests/fixtures/c/real_glibc.sh` builds:
 * - the data page begins with the tail of `.got.plt`, one word per library function the program
 *   calls (its first three words end the RELRO page below);
 * - `.data`: the crt files' `data_start` and `__dso_handle` (a word each), then the globals with
 *   a non-zero initialiser (gcc's `-fzero-initialized-in-bss` sends all-zero ones to .bss);
 * - `.bss`: the copy relocations of the libc objects the program names (`stdout`, `stdin`,
 *   `stderr`, `environ`, `_IO_list_all`, a word each on a two-word boundary, as ld placed the
 *   std streams' copies), crtstuff's `completed.0` (a byte), then the zeroed globals; `_end`
 *   aligned to a word;
 * - each object aligned as gcc aligns data: an array or struct of 32 bytes or more to 32, of 16
 *   or more to 16 (x86_64), else its own alignment; a section starts aligned to its largest.
 * exec then maps the file's pages through the page holding `_edata` (rw-p, the file's), an
 * anonymous rw-p area for the rest of the bss through the page holding `_end` (unnamed: Linux
 * 6.18 names `[heap]` only areas overlapping the break's range), and sets the break (start_brk)
 * at the page after `_end`: the first malloc's heap begins there. When heaplab's own globals
 * (with its copies of errno and the std streams) reach further, the image reaches as far as
 * they do.
 *
 * Checked (tests/c/program_image_test.ts against `tests/fixtures/c/program_image/`, made by its
 * `make_images.sh` on Linux 6.18 with the five x86_64 glibc builds): a global array of 0 to
 * 0x123456 bytes in .bss and in .data, with sizes a byte either side of where the heap or the
 * file's pages move, and a note-keeping program (an array of structs, initialised and zeroed
 * globals in mixed order, a static buffer, three std streams named, nine functions called) a
 * byte either side of a page — the program's maps lines, the bss area, `[heap]`, sbrk(0) before
 * and after the first malloc and its address; and which initialisers gcc sends to .bss
 * (`sections.json`, by `make_sections.sh`). Not checked: the i386 layouts (the same rules with
 * 4-byte words; on the seed's Linux 3.13 heaplab keeps the bss and heap areas apart and names
 * both `[heap]`, by that kernel's maps rule, though its brk may have merged them), programs
 * whose calls gcc rewrites (printf of a plain line becomes puts: one import more or fewer moves
 * `.data` by a word), and initialisers that are zero only after folding (`= 1 - 1` is counted
 * as .data). Not modelled: `const` globals, which gcc puts in .rodata (a larger .rodata moves the
 * whole data segment up); heaplab counts them as .data, so the heap moves by about as much but
 * the rw-p area grows instead.
 *
 * @module
 */

import type { Expr, Init } from "./ast.ts";
import { CUnsupportedError } from "./errors.ts";
import { type Abi, alignOf, type CType, sizeOf } from "./types.ts";
import type { AddressSpace } from "../kernel/address_space.ts";
import { pageAlignUp, type Vma } from "../kernel/vma.ts";

/**
 * The most bytes of globals heaplab lays out (64 MiB): a program whose globals need more is
 * refused (`CUnsupportedError`) when compiled.
 */
export const GLOBALS_LIMIT = 64 * 1024 * 1024;

/** The libc objects a program that names them gets a copy of in its .bss (copy relocations). */
export const COPIED_LIBC_OBJECTS: readonly string[] = [
  "stdout",
  "stdin",
  "stderr",
  "environ",
  "__environ",
  "_IO_list_all",
];

/** A global of the program as the linker sees it: its size, alignment and section. */
export interface ImageObject {
  /** Bytes. */
  readonly size: number;
  /** Alignment gcc gives it ({@link dataAlignment}). */
  readonly align: number;
  /** True for .data (a non-zero initialiser), false for .bss. */
  readonly initialised: boolean;
}

/** The writable segment's extent: offsets from the start of the program's data page. */
export interface SegmentExtent {
  /** `_edata`: where the bytes from the file end. */
  readonly fileEnd: number;
  /** `_end`: where the bss ends. */
  readonly end: number;
}

/**
 * True when an initialiser is all zeros as written (a 0 constant, a cast of one, a list of
 * them, an empty list, an array's string of NULs), so that gcc puts the object, of type `t`, in
 * .bss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isZeroInitializer } from "./program_image.ts";
 * assert.equal(isZeroInitializer(undefined), true);
 * assert.equal(isZeroInitializer({ k: "list", items: [], line: 1, col: 1 }), true);
 * ```
 */
export function isZeroInitializer(init: Init | undefined, t?: CType): boolean {
  if (init === undefined) return true;
  if (init.k === "list") return init.items.every((item) => isZeroInitializer(item.init));
  const e = init.e;
  if (e.k === "str") return t?.k === "array" && e.bytes.every((b) => b === 0);
  return isZeroExpr(e);
}

function isZeroExpr(e: Expr): boolean {
  if (e.k === "num") return Object.is(e.value, 0) || e.value === 0n;
  if (e.k === "cast") return isZeroExpr(e.e);
  return false;
}

/**
 * The alignment gcc gives a global of type `t` (`ix86_data_alignment`): an array or struct of
 * 32 bytes or more is aligned to 32, on x86_64 one of 16 or more to 16; else its own.
 */
export function dataAlignment(t: CType, abi: Abi, declared = 1): number {
  const own = Math.max(declared, alignOf(t, abi));
  if (t.k !== "array" && t.k !== "struct") return own;
  const size = sizeOf(t, abi);
  if (size >= 32) return Math.max(own, 32);
  if (size >= 16 && abi.ptrSize === 8) return Math.max(own, 16);
  return own;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * The extent of the writable segment GNU ld lays out for these globals, calling `imports`
 * library functions and holding `copies` copy relocations (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { segmentExtent } from "./program_image.ts";
 * // char global[4000]; in .bss, 8 functions called, stdout named (the fixture's bss_4000)
 * const bss = segmentExtent([{ size: 4000, align: 32, initialised: false }], 8, 1, 8);
 * assert.deepEqual(bss, { fileEnd: 0x50, end: 0x1020 });
 * ```
 */
export function segmentExtent(
  objects: readonly ImageObject[],
  imports: number,
  copies: number,
  wordSize: number,
): SegmentExtent {
  const data = objects.filter((o) => o.initialised), bss = objects.filter((o) => !o.initialised);
  const largest = (list: readonly ImageObject[]) =>
    list.reduce((a, o) => Math.max(a, o.align), wordSize);
  // .data: data_start and __dso_handle, then the initialised globals
  let at = alignUp(imports * wordSize, largest(data)) + 2 * wordSize;
  for (const o of data) at = alignUp(at, o.align) + o.size;
  const fileEnd = at;
  // .bss: the copy relocations (each on two words' boundary), completed.0, the zeroed globals
  at = alignUp(at, largest(bss));
  for (let i = 0; i < copies; i++) at = alignUp(at, 2 * wordSize) + wordSize;
  at += 1;
  for (const o of bss) at = alignUp(at, o.align) + o.size;
  return { fileEnd, end: alignUp(at, wordSize) };
}

/** What {@link mapProgramImage} needs to know of the compiled program. */
export interface ProgramImage {
  /** The program's own globals, in definition order. */
  readonly objects: readonly ImageObject[];
  /** How many library functions it calls. */
  readonly imports: number;
  /** How many libc objects it has copies of ({@link COPIED_LIBC_OBJECTS}). */
  readonly copies: number;
  /** Where heaplab's globals end. */
  readonly globalsEnd: number;
  /** The word size. */
  readonly wordSize: number;
}

/**
 * Grows the program's mappings to its writable segment's extent, as exec maps it (see the module
 * doc): nothing when it fits the layout's data page, as every program whose globals do.
 * Refuses (`CUnsupportedError`) a process whose break has moved or whose data page has
 * mappings or the break right above it, and globals past {@link GLOBALS_LIMIT}.
 */
export function mapProgramImage(space: AddressSpace, data: Vma, image: ProgramImage, file: string) {
  const extent = segmentExtent(image.objects, image.imports, image.copies, image.wordSize);
  const end = Math.max(data.start + extent.end, image.globalsEnd);
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
  space.growProgramData(data, Math.min(data.start + extent.fileEnd, end), end);
}
