/**
 * A C program's globals as heaplab placed them (`program_image.ts`), read back as data: each
 * global's section, address, size and alignment, and the image's landmarks around them — the
 * tail of `.got.plt`, crt's `data_start` and `__dso_handle`, `_edata`, the copy relocations of
 * libc's objects, crtstuff's `completed.0`, `_end` — so that a notebook can list where every
 * global lies without a C program printing each `&x`. It reads the plan the program was compiled
 * with, and re-asks `program_objects.ts` which section each global went to (the plan keeps only
 * addresses); nothing here places anything.
 *
 * @module
 */

import type { TranslationUnit, VarDecl } from "./ast.ts";
import type { GlobalsPlan } from "./program_image.ts";
import { programObjects } from "./program_objects.ts";
import type { Abi } from "./types.ts";

/**
 * The section a global lies in: gcc's input section for a writable one (`local common`: a
 * zeroed `static`, which the assembler puts at the end of `.bss`), `.rodata` for a const one
 * without addresses, `.data.rel.ro` for a const one holding addresses (gcc's RELRO page; heaplab
 * puts it after `.rodata`, read-only too, at other addresses).
 */
export type GlobalSection =
  | ".data"
  | ".data.rel.local"
  | ".data.rel"
  | ".bss"
  | "local common"
  | ".rodata"
  | ".data.rel.ro";

/** One global of the program, as placed. */
export interface GlobalInfo {
  /** Its C name (a function's static local: its own name; gcc's symbol adds `.N`). */
  readonly name: string;
  /** The function whose static local it is; absent for a file-scope global. */
  readonly function?: string;
  /** Its section. */
  readonly section: GlobalSection;
  /** Its address. */
  readonly address: number;
  /** Its size in bytes (at least 1). */
  readonly size: number;
  /** The alignment gcc gives it (`program_objects.ts`'s `dataAlignment`). */
  readonly align: number;
  /** The source line that declares it. */
  readonly line: number;
}

/** What a landmark of the image is. */
export type LandmarkKind = "got" | "crt" | "copy" | "symbol";

/** A part of the image that is not the program's own global, or a symbol ld defines. */
export interface ImageLandmark {
  /** Its name: `.got.plt`, `data_start`, `__dso_handle`, `stdout`, `completed.0`, `_edata`, `_end`. */
  readonly name: string;
  /**
   * `got`: the tail of `.got.plt` (a word per library function the program calls, and any
   * padding before `.data`); `crt`: an object of the crt files; `copy`: ld's copy of a libc
   * object the program names; `symbol`: a symbol ld defines, of no size.
   */
  readonly kind: LandmarkKind;
  /** The output section it lies in (`_edata` and `_end`: the one they end). */
  readonly section: ".got.plt" | ".data" | ".bss";
  /** Its address. */
  readonly address: number;
  /** Its size in bytes (0 for a symbol). */
  readonly size: number;
}

/** The program's globals and the image's landmarks, each in address order. */
export interface GlobalsInfo {
  /** The program's own globals. */
  readonly globals: readonly GlobalInfo[];
  /** The landmarks of the writable segment. */
  readonly landmarks: readonly ImageLandmark[];
  /** The start of the data page (the page holding the tail of `.got.plt`). */
  readonly dataStart: number;
  /** `_edata`: where the file's bytes end. */
  readonly edata: number;
  /** `_end`: where `.bss` ends. */
  readonly end: number;
}

/** What {@link globalsInfo} reads: the program's unit and plan, and how it was compiled. */
export interface CompiledGlobals {
  /** The parsed program. */
  readonly unit: TranslationUnit;
  /** Its globals' plan. */
  readonly plan: GlobalsPlan;
  /** The data page's start the plan was made for. */
  readonly dataStart: number;
  /** The program's ABI. */
  readonly abi: Abi;
  /** The library functions it could call. */
  readonly library: ReadonlySet<string>;
  /** Built with gcc's builtins on. */
  readonly gccBuiltins: boolean;
}

const SECTION_NAMES = {
  "data": ".data",
  "data.rel.local": ".data.rel.local",
  "data.rel": ".data.rel",
  "bss": ".bss",
  "comm": "local common",
} as const;

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * The globals and landmarks of a compiled program ({@link GlobalsInfo}); what
 * `CProgram.globalsInfo()` returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "./program.ts";
 * const source = "static int hidden;\nint main(void) { static int calls = 1; return hidden + calls; }";
 * const { globals } = new CProgram(source).globalsInfo();
 * assert.deepEqual(globals.map((g) => [g.name, g.function, g.section]), [
 *   ["calls", "main", ".data"],
 *   ["hidden", undefined, "local common"],
 * ]);
 * ```
 */
export function globalsInfo(compiled: CompiledGlobals): GlobalsInfo {
  const { unit, plan, dataStart, abi } = compiled;
  const word = abi.ptrSize;
  const edata = dataStart + plan.layout.fileEnd, end = dataStart + plan.layout.end;
  // every object as if writable: its section, size and alignment, whichever way it was placed
  const objects = programObjects(unit, abi, compiled.library, {
    constInRodata: false,
    gccBuiltins: compiled.gccBuiltins,
  });
  const facts = new Map(objects.decls.map((d, i) => [d, objects.objects[i]]));
  const globals: GlobalInfo[] = [];
  for (const [decl, address] of plan.planned) {
    const fact = facts.get(decl);
    if (!fact) continue;
    const writable = address >= dataStart && address < end;
    const relocated = fact.section === "data.rel" || fact.section === "data.rel.local";
    const section = writable ? SECTION_NAMES[fact.section] : relocated ? ".data.rel.ro" : ".rodata";
    const owner = functionOf(unit, decl);
    globals.push({
      name: decl.name,
      ...(owner !== undefined && { function: owner }),
      section,
      address,
      size: fact.size,
      align: fact.align,
      line: decl.line,
    });
  }
  globals.sort((a, b) => a.address - b.address);
  const writable = globals.filter((g) => g.address >= dataStart && g.address < end);
  return {
    globals,
    landmarks: landmarks(writable, plan, { dataStart, edata, end, word }),
    dataStart,
    edata,
    end,
  };
}

/** The function whose static local `decl` is (by the lines its body spans), if any. */
function functionOf(unit: TranslationUnit, decl: VarDecl): string | undefined {
  if (unit.globals.includes(decl)) return undefined;
  return unit.functions.find((f) => f.line <= decl.line && decl.line <= f.body.end)?.name;
}

/**
 * The landmarks of the writable segment, from what the plan knows: `data_start` sits two words
 * below `.data`'s first input section (which starts aligned to its largest object, on a
 * `data_start` aligned at least as much), or below `_edata` when the program has no `.data`;
 * `completed.0` follows the last copy, or starts `.bss` aligned to its largest object.
 */
function landmarks(
  writable: readonly GlobalInfo[],
  plan: GlobalsPlan,
  at: { dataStart: number; edata: number; end: number; word: number },
): ImageLandmark[] {
  const { dataStart, edata, end, word } = at;
  const inData = writable.filter((g) => g.address < edata);
  const first = inData[0];
  const firstAlign = first
    ? Math.max(...inData.filter((g) => g.section === first.section).map((g) => g.align))
    : 1;
  const crt = first ? first.address - alignUp(2 * word, firstAlign) : edata - 2 * word;
  const copies = [...plan.copies].map(([name, address]): ImageLandmark => ({
    name,
    kind: "copy",
    section: ".bss",
    address,
    size: word,
  }));
  const bssAlign = Math.max(1, ...writable.filter((g) => g.address >= edata).map((g) => g.align));
  const completed = copies.length
    ? Math.max(...copies.map((c) => c.address)) + word
    : alignUp(edata, bssAlign);
  const marks: ImageLandmark[] = [
    {
      name: ".got.plt",
      kind: "got",
      section: ".got.plt",
      address: dataStart,
      size: crt - dataStart,
    },
    { name: "data_start", kind: "crt", section: ".data", address: crt, size: word },
    { name: "__dso_handle", kind: "crt", section: ".data", address: crt + word, size: word },
    { name: "_edata", kind: "symbol", section: ".data", address: edata, size: 0 },
    ...copies,
    { name: "completed.0", kind: "crt", section: ".bss", address: completed, size: 1 },
    { name: "_end", kind: "symbol", section: ".bss", address: end, size: 0 },
  ];
  return marks.sort((a, b) => a.address - b.address || a.size - b.size);
}
