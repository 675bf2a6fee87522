/**
 * The abstract syntax tree of a C translation unit, as the parser builds it: types are already
 * resolved (typedef names, struct layouts with the process's ABI), expressions and statements
 * carry their source line and column.
 *
 * @module
 */

import type { Int } from "./integer.ts";
import type { CType, FunctionType } from "./types.ts";

/** Where a node is in the source. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** An expression. */
export type Expr =
  | Pos & { readonly k: "num"; readonly value: Int | number; readonly type: CType }
  | Pos & { readonly k: "str"; readonly bytes: readonly number[] }
  | Pos & { readonly k: "id"; readonly name: string }
  | Pos & { readonly k: "bin"; readonly op: string; readonly l: Expr; readonly r: Expr }
  | Pos & { readonly k: "assign"; readonly op: string; readonly l: Expr; readonly r: Expr }
  | Pos & { readonly k: "un"; readonly op: string; readonly e: Expr }
  | Pos & { readonly k: "cast"; readonly type: CType; readonly e: Expr }
  | Pos & { readonly k: "sizeof"; readonly type?: CType; readonly e?: Expr }
  | Pos & { readonly k: "alignof"; readonly type: CType }
  | Pos & { readonly k: "call"; readonly f: Expr; readonly args: readonly Expr[] }
  | Pos & { readonly k: "index"; readonly a: Expr; readonly i: Expr }
  | Pos & {
    readonly k: "member";
    readonly e: Expr;
    readonly name: string;
    readonly arrow: boolean;
  }
  | Pos & { readonly k: "cond"; readonly c: Expr; readonly a: Expr; readonly b: Expr }
  | Pos & { readonly k: "comma"; readonly l: Expr; readonly r: Expr }
  | Pos & { readonly k: "compound"; readonly type: CType; readonly init: Init }
  | Pos & { readonly k: "offsetof"; readonly type: CType; readonly path: readonly string[] }
  | Pos & { readonly k: "vaarg"; readonly ap: Expr; readonly type: CType };

/** One designator of an initializer item. */
export type Designator = { readonly field: string } | { readonly index: Expr };

/** An initializer: an expression or a brace list. */
export type Init =
  | { readonly k: "expr"; readonly e: Expr }
  | {
    readonly k: "list";
    readonly items: readonly { readonly designators: readonly Designator[]; readonly init: Init }[];
  } & Pos;

/** A declared object or function name. */
export interface VarDecl extends Pos {
  readonly name: string;
  type: CType;
  readonly init?: Init;
  readonly storage: "auto" | "static" | "extern" | "typedef";
  /** `__attribute__((aligned(N)))`. */
  readonly align?: number;
  /** The object itself is const-qualified (`const int n`, `char *const p`): gcc puts it in .rodata. */
  readonly readOnly?: boolean;
  /**
   * A register variable bound to a register (`register long sp asm("rsp")`), as written after
   * `register` (`sp asm("rsp")`): the interpreter has no registers, and refuses it.
   */
  readonly boundTo?: string;
}

/** A statement. */
export type Stmt =
  | Pos & { readonly k: "expr"; readonly e: Expr }
  | Pos & { readonly k: "decl"; readonly decls: readonly VarDecl[] }
  | Pos & { readonly k: "block"; readonly body: readonly Stmt[]; readonly end: number }
  | Pos & { readonly k: "if"; readonly c: Expr; readonly t: Stmt; readonly e?: Stmt }
  | Pos & { readonly k: "while"; readonly c: Expr; readonly body: Stmt }
  | Pos & { readonly k: "do"; readonly body: Stmt; readonly c: Expr }
  | Pos & {
    readonly k: "for";
    readonly init?: Stmt;
    readonly c?: Expr;
    readonly step?: Expr;
    readonly body: Stmt;
  }
  | Pos & { readonly k: "switch"; readonly e: Expr; readonly body: Stmt }
  | Pos & { readonly k: "case"; readonly value: Expr; readonly high?: Expr; readonly stmt: Stmt }
  | Pos & { readonly k: "default"; readonly stmt: Stmt }
  | Pos & { readonly k: "break" }
  | Pos & { readonly k: "continue" }
  | Pos & { readonly k: "return"; readonly e?: Expr }
  | Pos & { readonly k: "goto"; readonly label: string }
  | Pos & { readonly k: "label"; readonly label: string; readonly stmt: Stmt }
  | Pos & { readonly k: "empty" }
  /** A statement the interpreter cannot run (inline assembly): refused when reached. */
  | Pos & { readonly k: "unsupported"; readonly what: string };

/**
 * The statements nested directly in `s`, in source order (a `for`'s init before its body, an
 * `if`'s branches in order); none for a statement that holds no other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childStatements, type Stmt } from "./ast.ts";
 * const empty: Stmt = { k: "empty", line: 2, col: 3 };
 * const block: Stmt = { k: "block", body: [empty], end: 3, line: 1, col: 1 };
 * assert.deepEqual(childStatements(block), [empty]);
 * assert.deepEqual(childStatements(empty), []);
 * ```
 */
export function childStatements(s: Stmt): readonly Stmt[] {
  switch (s.k) {
    case "block":
      return s.body;
    case "if":
      return s.e ? [s.t, s.e] : [s.t];
    case "while":
    case "do":
    case "switch":
      return [s.body];
    case "for":
      return s.init ? [s.init, s.body] : [s.body];
    case "case":
    case "default":
    case "label":
      return [s.stmt];
    default:
      return [];
  }
}

/** A function definition. */
export interface FunctionDef extends Pos {
  readonly name: string;
  readonly type: FunctionType;
  readonly params: readonly string[];
  readonly body: Stmt & { k: "block" };
  readonly isStatic: boolean;
  /**
   * `__attribute__((constructor))` on it or on a prototype before it: its priority (65535 when
   * none is given), which orders `.init_array` (`program_start.ts`).
   */
  readonly initPriority?: number;
  /** `__attribute__((destructor))`: its priority, which orders `.fini_array`. */
  readonly finiPriority?: number;
}

/** A translation unit. */
export interface TranslationUnit {
  /** Functions defined, in source order. */
  readonly functions: FunctionDef[];
  /** File-scope objects and declarations, in source order. */
  readonly globals: VarDecl[];
  /** Enumeration constants. */
  readonly enums: Map<string, number>;
}
