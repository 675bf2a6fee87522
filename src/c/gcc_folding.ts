/**
 * The stdio calls gcc 12 rewrites when it builds as it does by default (builtins on, even at
 * -O0; `-fno-builtin` turns this off), so that the program calls another function than the one
 * written: gcc's `gimple_fold_builtin_printf`, `…_fprintf` and `…_fputs`. The rules, as
 * `tests/fixtures/c/gcc_folding/` shows them (probe programs compiled with and without
 * `-fno-builtin`, the calls read from the assembly):
 * - a call whose value the program uses (`n = printf("x\n")`, `if (printf(…))`, `return …`, an
 *   operand of `?:` or `&&`) stays as written; one whose value is discarded (an expression
 *   statement, a `(void)` cast, a comma's left operand or a discarded comma's right one, a `for`
 *   init or step) is rewritten;
 * - `printf(s)` and `vprintf(s, ap)` with a literal `s` without `%`, and `printf("%s", t)` with a
 *   literal `t`: nothing when the text is empty, `putchar(c)` for one character, `puts` of the
 *   text without its newline when it ends in one, else unchanged (`printf("%%\n")` stays);
 * - `printf("%s\n", p)` with a pointer `p` → `puts(p)`; `printf("%c", i)` with an `int` `i` (a
 *   `char` or `short` promoted; not `unsigned`, not `long`) → `putchar(i)`;
 * - `fprintf(fp, s)` and `vfprintf(fp, s, ap)` with a literal `s` without `%` → nothing when
 *   empty, else `fputs(s, fp)`; `fprintf(fp, "%s", p)` with a pointer → `fputs(p, fp)`;
 *   `fprintf(fp, "%c", i)` with an `int` → `fputc(i, fp)`;
 * - `fputs(s, fp)` with a literal `s` (also one that fprintf became): nothing when empty,
 *   `fputc(c, fp)` for one character, else `fwrite(s, 1, length, fp)`;
 * - a string gcc knows is a literal, or a file-scope const char array or const pointer
 *   initialised with one (`static const char f[] = "x\n"; printf(f);` → `puts`; not a local
 *   array, not a `const char *p` that may change: {@link constantStrings});
 * - a literal's text ends at its first NUL (`printf("a\0b\n")` → `putchar('a')`); extra
 *   arguments (`printf("x\n", 1)`) or a format that is not a literal (`"ab\n" + 1`, a variable)
 *   leave the call alone; `puts`, `putchar`, `fputc`, `putc`, `fwrite`, `sprintf` and `snprintf`
 *   stay as written at -O0.
 * An enum type is gcc's `unsigned int` when no enumerator is negative (so `printf("%c", e)`
 * stays), `int` otherwise; an enumerator is an `int`. The interpreter folds with the arguments'
 * types; the plan of the binary's `.rodata` and imports, made before them, with what the source
 * says ({@link sourceArgument}: a name's declared type where the call stands, a number's or a
 * cast's). Not modelled there: the type of any other expression (`printf("%c", x + 1L)`,
 * `p->field`) is taken for what its conversion expects, so that the plan may drop a literal gcc
 * keeps (the run stays right, the literal placed after the others; those after it move).
 *
 * @module
 */

import type { Expr, VarDecl } from "./ast.ts";
import type { CType } from "./types.ts";

/** A call in the program's syntax tree. */
export type CallExpr = Expr & { readonly k: "call" };

/** What gcc knows about an argument of the call at compile time. */
export interface FoldArgument {
  /** The bytes of a string literal, up to its first NUL (undefined: not a literal). */
  readonly text?: readonly number[];
  /** Its type is a pointer (after an array's decay). */
  readonly pointer: boolean;
  /** Its type, after the default promotions, is `int`. */
  readonly int: boolean;
}

/** An argument of the call gcc emits: one of the original call's, a new literal, a number. */
export type FoldedArgument =
  | { readonly arg: number }
  | { readonly text: readonly number[] }
  | { readonly int: number }
  | { readonly size: number };

/**
 * The call gcc emits instead of the one written; `name` undefined: none (the original call's
 * arguments are still evaluated, for what they do).
 */
export interface FoldedCall {
  /** The function called. */
  readonly name?: "puts" | "putchar" | "fputs" | "fputc" | "fwrite";
  /** Its arguments, in order. */
  readonly args: readonly FoldedArgument[];
}

/** The library calls gcc may rewrite: the others it emits as written. */
export const FOLDABLE_CALLS: ReadonlySet<string> = new Set([
  "printf",
  "vprintf",
  "fprintf",
  "vfprintf",
  "fputs",
]);

const PERCENT = 0x25, NEWLINE = 0x0a;
const same = (text: readonly number[], s: string) =>
  text.length === s.length && text.every((b, i) => b === s.charCodeAt(i));

/**
 * The call gcc 12 emits for a call of `name` with these arguments (see the module doc), or
 * undefined when it emits the call as written. `valueUsed`: the program uses the call's value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldedCall } from "./gcc_folding.ts";
 * const literal = (s: string) => ({ text: [...s].map((c) => c.charCodeAt(0)), pointer: true, int: false });
 * assert.deepEqual(foldedCall("printf", [literal("hi\n")], false), { name: "puts", args: [{ text: [0x68, 0x69] }] });
 * assert.equal(foldedCall("printf", [literal("hi\n")], true), undefined);
 * ```
 */
export function foldedCall(
  name: string,
  args: readonly FoldArgument[],
  valueUsed: boolean,
): FoldedCall | undefined {
  if (valueUsed) return undefined;
  switch (name) {
    case "printf":
    case "vprintf":
      return foldPrintf(args, name === "vprintf");
    case "fprintf":
    case "vfprintf":
      return foldFprintf(args, name === "vfprintf");
    case "fputs":
      return args.length === 2 && args[0].text ? fputsOf(args[0].text, { arg: 0 }, 1) : undefined;
  }
  return undefined;
}

/** printf(format, …) or vprintf(format, ap): gcc's `gimple_fold_builtin_printf`. */
function foldPrintf(args: readonly FoldArgument[], va: boolean): FoldedCall | undefined {
  const format = args[0]?.text;
  if (!format) return undefined;
  const extra = args.length - 1;
  let text: readonly number[] | undefined;
  if (same(format, "%s") && !va) text = extra === 1 && args[1].pointer ? args[1].text : undefined;
  else if (!format.includes(PERCENT)) text = va || extra === 0 ? format : undefined;
  else if (va || extra !== 1) return undefined;
  else if (same(format, "%s\n") && args[1].pointer) return { name: "puts", args: [{ arg: 1 }] };
  else if (same(format, "%c") && args[1].int) return { name: "putchar", args: [{ arg: 1 }] };
  if (!text) return undefined;
  if (text.length === 0) return { args: [] };
  if (text.length === 1) return { name: "putchar", args: [{ int: signedChar(text[0]) }] };
  if (text[text.length - 1] !== NEWLINE) return undefined;
  return { name: "puts", args: [{ text: text.slice(0, -1) }] };
}

/** fprintf(fp, format, …) or vfprintf(fp, format, ap): gcc's `gimple_fold_builtin_fprintf`. */
function foldFprintf(args: readonly FoldArgument[], va: boolean): FoldedCall | undefined {
  const format = args[1]?.text;
  if (!format) return undefined;
  const extra = args.length - 2;
  if (!format.includes(PERCENT)) {
    return va || extra === 0 ? fputsOf(format, { arg: 1 }, 0) : undefined;
  }
  if (va || extra !== 1) return undefined;
  if (same(format, "%s") && args[2].pointer) {
    const text = args[2].text;
    return text ? fputsOf(text, { arg: 2 }, 0) : { name: "fputs", args: [{ arg: 2 }, { arg: 0 }] };
  }
  if (same(format, "%c") && args[2].int) return { name: "fputc", args: [{ arg: 2 }, { arg: 0 }] };
  return undefined;
}

/** fputs of a literal `text` (the argument `string`) to the argument `file`. */
function fputsOf(text: readonly number[], string: FoldedArgument, file: number): FoldedCall {
  if (text.length === 0) return { args: [] };
  if (text.length === 1) {
    return { name: "fputc", args: [{ int: signedChar(text[0]) }, { arg: file }] };
  }
  return { name: "fwrite", args: [string, { size: 1 }, { size: text.length }, { arg: file }] };
}

/** A name's declaration where an expression stands: its type, and whether it is file-scope. */
export interface DeclaredName {
  readonly type: CType;
  readonly fileScope: boolean;
}

/**
 * What the source alone says of an argument, for the plan made before types: a literal's text
 * (or that of a file-scope name in `strings`, {@link constantStrings}), a number's or a cast's
 * type, a name's type as `declared` where the call stands (a global, a parameter, a local);
 * anything else is taken for what its conversion expects (a pointer for `%s`, an `int` for
 * `%c`).
 */
export function sourceArgument(
  a: Expr,
  strings: ReadonlyMap<string, readonly number[]>,
  declared: (name: string) => DeclaredName | undefined = () => undefined,
): FoldArgument {
  if (a.k === "str") return literalArgument(a.bytes);
  const named = a.k === "id" ? declared(a.name) : undefined;
  const constant = a.k === "id" && (named?.fileScope ?? true) ? strings.get(a.name) : undefined;
  if (constant) return literalArgument(constant);
  const t = a.k === "num" || a.k === "cast" ? a.type : named?.type;
  if (!t) return { pointer: true, int: true };
  return { pointer: t.k === "ptr" || t.k === "array" || t.k === "fn", int: isPromotedInt(t) };
}

/**
 * The file-scope objects gcc reads a string from when one is a call's format or string: a const
 * char array or a const pointer (`char *const`) defined with a literal; by name, the literal.
 */
export function constantStrings(globals: readonly VarDecl[]): Map<string, readonly number[]> {
  const found = new Map<string, readonly number[]>();
  for (const g of globals) {
    const init = g.init?.k === "expr" ? g.init.e : undefined;
    if (!g.readOnly || g.storage === "extern" || g.storage === "typedef") continue;
    if (init?.k !== "str" || (g.type.k !== "array" && g.type.k !== "ptr")) continue;
    found.set(g.name, init.bytes);
  }
  return found;
}

/** A string literal as gcc reads it: its text up to the first NUL. */
export function literalArgument(bytes: readonly number[]): FoldArgument {
  const end = bytes.indexOf(0);
  return { text: end < 0 ? bytes : bytes.slice(0, end), pointer: true, int: false };
}

/** A type that is `int` after the default promotions (char, short, int; not unsigned int). */
export function isPromotedInt(t: CType): boolean {
  return t.k === "int" && (t.size < 4 || (t.size === 4 && t.signed));
}

/**
 * The call gcc emits, as a call expression of the program's (its arguments the original's
 * expressions, new literals, numbers of type `types.int` or `types.size`); undefined when it
 * emits none.
 */
export function emittedCall(
  e: CallExpr,
  fold: FoldedCall,
  types: { readonly int: CType; readonly size: CType },
): CallExpr | undefined {
  if (!fold.name) return undefined;
  const at = { line: e.line, col: e.col };
  const args = fold.args.map((a): Expr =>
    "arg" in a
      ? e.args[a.arg]
      : "text" in a
      ? { k: "str", bytes: a.text, ...at }
      : "int" in a
      ? { k: "num", value: a.int, type: types.int, ...at }
      : { k: "num", value: a.size, type: types.size, ...at }
  );
  return { k: "call", f: { k: "id", name: fold.name, ...at }, args, ...at };
}

/** A char's value as gcc passes it (x86's char is signed). */
function signedChar(byte: number): number {
  return byte >= 0x80 ? byte - 0x100 : byte;
}
