/**
 * The program's globals as gcc 12 (-O0, -fno-common, PIE, x86_64) emits them into its object
 * file: which section each goes to and in what order, so that the linker model
 * (`program_image.ts`) can place them where GNU ld does. The rules, as the binaries that
 * `tests/fixtures/c/program_image/make_globals.sh` builds show them:
 * - order: the file-scope objects in the order of their first declaration (a tentative
 *   `int x;` followed by `int x = 5;` sits where the first one was), then the functions' static
 *   locals, function by function in definition order and in declaration order within one (gcc
 *   emits a function's statics in the order its body first uses them, and those it never uses in
 *   reverse order: heaplab does not follow that);
 * - `.data`: an object with a non-zero initialiser and no address in it;
 * - `.data.rel.local` / `.data.rel`: an object whose initialiser holds an address (a string
 *   literal, `&x`, a function) — `.data.rel` when that is a library function's, which a PIE
 *   cannot bind locally; the two sections follow `.data` in the order they first appear;
 * - `.bss`: a non-static object with no initialiser or an all-zero one;
 * - local commons: a `static` one (file-scope or function-local) with no initialiser or an
 *   all-zero one, which the assembler puts at the end of `.bss` in the order gcc emitted them;
 * - each aligned as gcc aligns data ({@link dataAlignment}).
 * Not modelled: `const` objects, which gcc puts in `.rodata` (heaplab keeps them writable, in
 * `.data` or `.bss` as if they were not const), `_Thread_local` ones, and initialisers that are
 * zero only after folding (`= 1 - 1` counts as `.data`).
 *
 * @module
 */

import type { Expr, Init, Stmt, TranslationUnit, VarDecl } from "./ast.ts";
import { type Abi, alignOf, type CType, sizeOf } from "./types.ts";

/** The section of the program's writable segment gcc puts a global in (see the module doc). */
export type DataSection = "data" | "data.rel.local" | "data.rel" | "bss" | "comm";

/** A global of the program as the linker sees it: its size, alignment and section. */
export interface ImageObject {
  /** Bytes (at least 1). */
  readonly size: number;
  /** Alignment gcc gives it ({@link dataAlignment}). */
  readonly align: number;
  /** Its input section. */
  readonly section: DataSection;
}

/** The program's globals in the order gcc emits them: each declaration that defines one. */
export interface ProgramObjects {
  /** The declaration that places each object (its first), in emission order. */
  readonly decls: readonly VarDecl[];
  /** The objects, in the same order. */
  readonly objects: readonly ImageObject[];
}

/**
 * True when an initialiser is all zeros as written (a 0 constant, a cast of one, a list of
 * them, an empty list, an array's string of NULs), so that gcc puts the object, of type `t`, in
 * .bss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isZeroInitializer } from "./program_objects.ts";
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
 * 32 bytes or more is aligned to 32; on x86_64 one of 16 or more to 16 and one of 8 or more to
 * 8; else its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataAlignment } from "./program_objects.ts";
 * import { LP64 } from "./types.ts";
 * const chars = (n: number) => ({ k: "array" as const, of: LP64.types.char, n });
 * assert.deepEqual([3, 10, 17, 33].map((n) => dataAlignment(chars(n), LP64)), [1, 8, 16, 32]);
 * ```
 */
export function dataAlignment(t: CType, abi: Abi, declared = 1): number {
  const own = Math.max(declared, alignOf(t, abi));
  if (t.k !== "array" && t.k !== "struct") return own;
  const size = sizeOf(t, abi);
  if (size >= 32) return Math.max(own, 32);
  if (abi.ptrSize !== 8) return own;
  if (size >= 16) return Math.max(own, 16);
  if (size >= 8) return Math.max(own, 8);
  return own;
}

/**
 * The program's globals as gcc emits them (see the module doc): `libraryNames` are the library
 * functions the program may call (an address of one makes an object `.data.rel`).
 */
export function programObjects(
  unit: TranslationUnit,
  abi: Abi,
  libraryNames: ReadonlySet<string>,
): ProgramObjects {
  const defined = new Set(unit.functions.map((f) => f.name));
  // File-scope: the first defining declaration places it; any one's initialiser decides.
  const first = new Map<string, VarDecl>(), inits = new Map<string, VarDecl>();
  for (const g of unit.globals) {
    if (g.storage === "typedef" || g.type.k === "fn") continue;
    if (g.storage === "extern" && !g.init) continue;
    if (!first.has(g.name)) first.set(g.name, g);
    if (g.init) inits.set(g.name, g);
  }
  const decls: VarDecl[] = [], objects: ImageObject[] = [];
  const add = (place: VarDecl, def: VarDecl) => {
    const external = (name: string) =>
      !defined.has(name) && !first.has(name) && libraryNames.has(name);
    decls.push(place);
    objects.push({
      size: Math.max(1, sizeOf(def.type, abi)),
      align: dataAlignment(def.type, abi, def.align ?? 1),
      section: sectionOf(def, unit, external),
    });
  };
  for (const [name, g] of first) add(g, inits.get(name) ?? g);
  for (const f of unit.functions) {
    for (const d of staticLocals(f.body)) add(d, d);
  }
  return { decls, objects };
}

function sectionOf(
  d: VarDecl,
  unit: TranslationUnit,
  external: (name: string) => boolean,
): DataSection {
  if (isZeroInitializer(d.init, d.type)) return d.storage === "static" ? "comm" : "bss";
  if (!holdsPointer(d.type)) return "data";
  const names: string[] = [];
  let literal = false;
  const visit = (e: Expr | undefined): void => {
    if (!e) return;
    switch (e.k) {
      case "str":
        literal = true;
        return;
      case "id":
        if (!unit.enums.has(e.name)) names.push(e.name);
        return;
      case "bin":
      case "assign":
      case "comma":
        visit(e.l);
        visit(e.r);
        return;
      case "un":
      case "cast":
      case "member":
        visit(e.e);
        return;
      case "index":
        visit(e.a);
        visit(e.i);
        return;
      case "cond":
        visit(e.c);
        visit(e.a);
        visit(e.b);
        return;
      case "compound":
        visitInit(e.init);
        return;
      default:
        return; // numbers, sizeof, alignof, offsetof: no address
    }
  };
  const visitInit = (init: Init): void => {
    if (init.k === "expr") visit(init.e);
    else for (const item of init.items) visitInit(item.init);
  };
  visitInit(d.init!);
  if (names.some(external)) return "data.rel";
  return literal || names.length ? "data.rel.local" : "data";
}

/** True when a type has a pointer in it (so that an initialiser can put an address there). */
function holdsPointer(t: CType): boolean {
  if (t.k === "ptr") return true;
  if (t.k === "array") return holdsPointer(t.of);
  if (t.k === "struct") return (t.fields ?? []).some((f) => holdsPointer(f.type));
  return false;
}

/** The `static` locals of a function body, in declaration order. */
function staticLocals(body: Stmt): VarDecl[] {
  const found: VarDecl[] = [];
  const walk = (s: Stmt | undefined): void => {
    if (!s) return;
    switch (s.k) {
      case "decl":
        for (const d of s.decls) {
          if (d.storage === "static" && d.type.k !== "fn") found.push(d);
        }
        return;
      case "block":
        s.body.forEach(walk);
        return;
      case "if":
        walk(s.t);
        walk(s.e);
        return;
      case "while":
      case "do":
      case "switch":
        walk(s.body);
        return;
      case "for":
        walk(s.init);
        walk(s.body);
        return;
      case "case":
      case "default":
      case "label":
        walk(s.stmt);
        return;
      default:
        return;
    }
  };
  walk(body);
  return found;
}
