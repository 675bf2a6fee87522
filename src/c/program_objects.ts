/**
 * The program's globals and string literals as gcc 12 (-O0, -fno-common, PIE, x86_64) emits them
 * into its object file: which section each goes to and in what order, so that the linker model
 * (`program_image.ts`) can place them where GNU ld does. The rules, as the binaries that
 * `tests/fixtures/c/program_image/make_globals.sh` builds show them:
 * - order: file-scope objects and functions in source order (a tentative `int x;` followed by
 *   `int x = 5;` sits where the first one was), then the functions' static locals, function by
 *   function and in declaration order within one (gcc emits a function's statics in the order
 *   its body first uses them, and those it never uses in reverse order: heaplab does not follow
 *   that);
 * - `.data`: an object with a non-zero initialiser and no address in it;
 * - `.data.rel.local` / `.data.rel`: an object whose initialiser holds an address (a string
 *   literal, `&x`, a function) — `.data.rel` when that is a library function's, which a PIE
 *   cannot bind locally; the two sections follow `.data` in the order they first appear;
 * - `.bss`: a non-static object with no initialiser or an all-zero one;
 * - local commons: a `static` one (file-scope or function-local) with no initialiser or an
 *   all-zero one, which the assembler puts at the end of `.bss` in the order gcc emitted them;
 * - `.rodata`: a const object (`const int n`, `const char s[]`, not `const char *p`) with no
 *   address in it, and every string literal that is not a char array's contents, each once: a
 *   file-scope object's literals just before it, a function's with the function, in the order gcc
 *   expands them (statements in order, a loop's condition after its body and step, a call's
 *   arguments last to first; built with builtins on, those of the calls gcc emits for stdio
 *   calls: `printf("x\n")` holds `"x"`, `gcc_folding.ts`); a literal of 31 bytes or more (its
 *   NUL counted) aligned to 8;
 * - each object aligned as gcc aligns data ({@link dataAlignment}).
 * Not modelled: what else a function puts in `.rodata` after its literals (a switch's jump
 * table, floating-point constants: a later function's literals move by their size),
 * `__func__`, const objects holding an address (gcc's `.data.rel.ro`, in the RELRO page below
 * the data page; heaplab puts them after `.rodata`, read-only too), `_Thread_local` objects,
 * a typedef's const (`typedef const int cint;`), and initialisers that are zero only after
 * folding (`= 1 - 1` counts as `.data`).
 *
 * @module
 */

import {
  childStatements,
  type Expr,
  type FunctionDef,
  type Init,
  type Pos,
  type Stmt,
  type TranslationUnit,
  type VarDecl,
} from "./ast.ts";
import {
  constantStrings,
  type DeclaredName,
  emittedCall,
  FOLDABLE_CALLS,
  foldedCall,
  sourceArgument,
} from "./gcc_folding.ts";
import { type Abi, alignOf, type CType, sizeOf } from "./types.ts";
import { refuseStackOverflow } from "./errors.ts";

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

/** A piece of the program's `.rodata`: a const object, or a string literal (by its bytes). */
export type RodataItem =
  | { readonly decl: VarDecl; readonly size: number; readonly align: number }
  | { readonly literal: readonly number[]; readonly size: number; readonly align: number };

/** The program's globals as gcc emits them: each declaration that defines one. */
export interface ProgramObjects {
  /** The declaration that places each writable object (its first), in emission order. */
  readonly decls: readonly VarDecl[];
  /** The writable objects, in the same order. */
  readonly objects: readonly ImageObject[];
  /** `.rodata` in emission order: const objects and string literals (each literal once). */
  readonly rodata: readonly RodataItem[];
  /** The library calls gcc rewrote (built with builtins on: `gcc_folding.ts`). */
  readonly calls: FoldedCalls;
}

/** The library calls gcc rewrote: how many of each function's, and the functions they call. */
export interface FoldedCalls {
  readonly folded: Map<string, number>;
  readonly emitted: Set<string>;
}

/**
 * The program's globals as gcc emits them (see the module doc): `libraryNames` are the library
 * functions the program may call (an address of one makes an object `.data.rel`); with
 * `constInRodata` false, const objects count as writable ones; with `gccBuiltins`, a function's
 * literals are those of the calls gcc emits for its stdio calls (`printf("x\n")`: `"x"`). An
 * expression nested deeper than this walk's JavaScript stack is refused at its declaration's
 * line in `file`.
 */
export function programObjects(
  unit: TranslationUnit,
  abi: Abi,
  libraryNames: ReadonlySet<string>,
  { constInRodata = true, gccBuiltins = false, file = "prog.c" }: {
    constInRodata?: boolean;
    gccBuiltins?: boolean;
    file?: string;
  } = {},
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
  const external = (name: string) =>
    !defined.has(name) && !first.has(name) && libraryNames.has(name);
  const decls: VarDecl[] = [], objects: ImageObject[] = [], rodata: RodataItem[] = [];
  // (const objects holding addresses: gcc's .data.rel.ro, in the RELRO page below the data page;
  // heaplab puts them after .rodata, read-only too)
  const relro: RodataItem[] = [];
  const emitted = new Set<string>();
  const literals = (found: readonly (readonly number[])[]) => {
    for (const bytes of found) {
      const key = bytes.join(",");
      if (emitted.has(key)) continue;
      emitted.add(key);
      // (ix86_constant_alignment: a string of 31 bytes or more, its NUL counted, to a word)
      const size = bytes.length + 1;
      rodata.push({ literal: bytes, size, align: size >= 31 && abi.ptrSize === 8 ? 8 : 1 });
    }
  };
  const add = (place: VarDecl, def: VarDecl) => {
    const found = def.init ? initAddresses(def.type, def.init, unit) : NO_ADDRESSES;
    literals(found.literals);
    const size = Math.max(1, sizeOf(def.type, abi));
    const align = dataAlignment(def.type, abi, def.align ?? 1);
    if (constInRodata && (place.readOnly || def.readOnly)) {
      const relocated = found.literals.length > 0 || found.names.length > 0;
      (relocated ? relro : rodata).push({ decl: place, size, align });
      return;
    }
    decls.push(place);
    objects.push({ size, align, section: sectionOf(def, found, external) });
  };
  // File-scope objects and functions in source order (a function's literals come with it),
  // then the functions' static locals.
  const fileScope = [...first].map(([name, g]) => ({
    at: g,
    emit: () => add(g, inits.get(name) ?? g),
  }));
  const calls: FoldedCalls = { folded: new Map(), emitted: new Set() };
  const strings = constantStrings(unit.globals);
  const asBuilt = (e: Expr, declared: Declared) =>
    gccBuiltins ? asEmitted(e, { abi, defined, strings, calls, declared }) : e;
  const functions = unit.functions.map((f) => ({
    at: f as Pos,
    emit: () => literals(bodyLiterals(f, unit, asBuilt)),
  }));
  const inOrder = [...fileScope, ...functions].sort((x, y) =>
    x.at.line - y.at.line || x.at.col - y.at.col
  );
  let at: Pos = { line: 1, col: 1 };
  try {
    for (const item of inOrder) (at = item.at), item.emit();
    for (const f of unit.functions) {
      at = f;
      for (const d of staticLocals(f.body)) add(d, d);
    }
  } catch (e) {
    throw refuseStackOverflow(e, "compiler", file, at.line);
  }
  return { decls, objects, rodata: [...rodata, ...relro], calls };
}

/** The addresses an initialiser holds: string literals (in order) and names of objects. */
interface Addresses {
  readonly literals: readonly (readonly number[])[];
  readonly names: readonly string[];
}

const NO_ADDRESSES: Addresses = { literals: [], names: [] };

function sectionOf(
  d: VarDecl,
  found: Addresses,
  external: (name: string) => boolean,
): DataSection {
  if (isZeroInitializer(d.init, d.type)) return d.storage === "static" ? "comm" : "bss";
  if (found.names.some(external)) return "data.rel";
  return found.literals.length || found.names.length ? "data.rel.local" : "data";
}

/** True for an array a string literal initialises in place (`char name[8] = "x"`). */
function isCharArray(t: CType | undefined): boolean {
  return t?.k === "array" && t.of.k === "int" && t.of.size === 1;
}

/**
 * The addresses in an initialiser of an object of type `t`: string literals that are not the
 * contents of a char array, and the names it takes addresses of (or calls, for a function).
 */
function initAddresses(t: CType | undefined, init: Init, unit: TranslationUnit): Addresses {
  const literals: (readonly number[])[] = [], names: string[] = [];
  const visitInit = (t: CType | undefined, init: Init): void => {
    if (init.k === "expr") {
      if (init.e.k === "str" && isCharArray(t)) return;
      exprAddresses(init.e, unit, literals, names);
      return;
    }
    const only = init.items.length === 1 ? init.items[0].init : undefined;
    if (only?.k === "expr" && only.e.k === "str" && isCharArray(t)) return;
    let field = 0;
    for (const item of init.items) {
      const d = item.designators[0];
      let inner: CType | undefined;
      if (t?.k === "array") inner = t.of;
      else if (t?.k === "struct") {
        if (d && "field" in d) field = (t.fields ?? []).findIndex((f) => f.name === d.field);
        inner = item.designators.length > 1 ? undefined : t.fields?.[field]?.type;
        field++;
      }
      visitInit(inner, item.init);
    }
  };
  visitInit(t, init);
  return { literals, names };
}

/** Collects the literals and names of an expression, in the order gcc expands them. */
function exprAddresses(
  e: Expr | undefined,
  unit: TranslationUnit,
  literals: (readonly number[])[],
  names: string[],
): void {
  if (!e) return;
  const visit = (x: Expr | undefined) => exprAddresses(x, unit, literals, names);
  switch (e.k) {
    case "str":
      literals.push(e.bytes);
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
    case "call":
      // (x86_64 evaluates a call's arguments last to first)
      for (let i = e.args.length - 1; i >= 0; i--) visit(e.args[i]);
      visit(e.f);
      return;
    case "vaarg":
      visit(e.ap);
      return;
    case "compound":
      literals.push(...initAddresses(e.type, e.init, unit).literals);
      return;
    default:
      return; // numbers, sizeof, alignof, offsetof: no address
  }
}

/** A name's declaration where an expression stands (undefined: none declared). */
type Declared = (name: string) => DeclaredName | undefined;

/**
 * A function's string literals in the order gcc emits them: statements in order, a `for` loop's
 * body before its step and its condition, a `while` loop's body before its condition, a call's
 * arguments last to first; its static locals' come later, with them. `emitted` gets, with each
 * discarded expression, the types of the names declared where it stands (file scope, the
 * parameters, the blocks around it).
 */
function bodyLiterals(
  f: FunctionDef,
  unit: TranslationUnit,
  emitted: (discarded: Expr, declared: Declared) => Expr,
): (readonly number[])[] {
  const literals: (readonly number[])[] = [], names: string[] = [];
  const expr = (e: Expr | undefined) => exprAddresses(e, unit, literals, names);
  const scopes = [
    new Map(unit.globals.filter((g) => g.storage !== "typedef").map((g) => [g.name, g.type])),
    new Map(f.params.map((name, i) => [name, f.type.params[i]])),
  ];
  const declared: Declared = (name) => {
    const at = scopes.findLastIndex((s) => s.has(name));
    return at < 0 ? undefined : { type: scopes[at].get(name)!, fileScope: at === 0 };
  };
  const scoped = (walkIn: () => void) => {
    scopes.push(new Map());
    walkIn();
    scopes.pop();
  };
  const walk = (s: Stmt | undefined): void => {
    if (!s) return;
    switch (s.k) {
      case "expr":
        expr(emitted(s.e, declared));
        return;
      case "return":
        expr(s.e);
        return;
      case "decl":
        for (const d of s.decls) {
          if (d.storage === "auto" && d.init && !(d.init.k === "expr" && isCharArray(d.type))) {
            literals.push(...initAddresses(d.type, d.init, unit).literals);
          }
          if (d.storage !== "typedef") scopes[scopes.length - 1].set(d.name, d.type);
        }
        return;
      case "block":
        scoped(() => s.body.forEach(walk));
        return;
      case "if":
        expr(s.c);
        walk(s.t);
        walk(s.e);
        return;
      case "while":
      case "do":
        walk(s.body);
        expr(s.c);
        return;
      case "for":
        scoped(() => {
          walk(s.init);
          walk(s.body);
          expr(s.step && emitted(s.step, declared));
          expr(s.c);
        });
        return;
      case "switch":
        expr(s.e);
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
  walk(f.body);
  return literals;
}
/**
 * An expression whose value is discarded as gcc emits it with builtins on: each library call
 * it rewrites (`gcc_folding.ts`, judged by the source alone) replaced by the call it emits, or by
 * its arguments but the literals when it emits none; counted in `calls`.
 */
function asEmitted(
  e: Expr,
  context: {
    abi: Abi;
    defined: ReadonlySet<string>;
    strings: ReadonlyMap<string, readonly number[]>;
    calls: FoldedCalls;
    declared: Declared;
  },
): Expr {
  const again = (x: Expr) => asEmitted(x, context);
  if (e.k === "comma") return { ...e, l: again(e.l), r: again(e.r) };
  if (e.k === "cast" && e.type.k === "void") return { ...e, e: again(e.e) };
  if (e.k !== "call" || e.f.k !== "id") return e;
  const name = e.f.name, { abi, defined, strings, calls, declared } = context;
  if (!FOLDABLE_CALLS.has(name) || defined.has(name)) return e;
  const args = e.args.map((a) => sourceArgument(a, strings, declared));
  const fold = foldedCall(name, args, false);
  if (!fold) return e;
  calls.folded.set(name, (calls.folded.get(name) ?? 0) + 1);
  const call = emittedCall(e, fold, abi.types);
  if (call?.f.k === "id") calls.emitted.add(call.f.name);
  const none: Expr = { k: "num", value: 0, type: abi.types.int, line: e.line, col: e.col };
  return call ??
    e.args.filter((a) => a.k !== "str").reduce((l, r) => ({ ...none, k: "comma", l, r }), none);
}

/** The `static` locals of a function body, in declaration order. */
function staticLocals(body: Stmt): VarDecl[] {
  const found: VarDecl[] = [];
  const walk = (s: Stmt): void => {
    if (s.k === "decl") {
      for (const d of s.decls) if (d.storage === "static" && d.type.k !== "fn") found.push(d);
    } else childStatements(s).forEach(walk);
  };
  walk(body);
  return found;
}
