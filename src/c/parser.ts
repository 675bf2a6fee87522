/**
 * A recursive-descent parser for C99 with the GNU extensions heap-exploitation programs use
 * (`__attribute__((aligned(N)))` and friends, `__extension__`, `typeof` is not among them).
 * It resolves types as it goes — typedef names, struct and union layouts with the process's
 * ABI, enum constants, array sizes — so that the interpreter sees concrete types.
 *
 * Errors are {@link CSyntaxError}s with the file, line, column and offending token.
 *
 * Over 500 lines: one recursive-descent `Parser` class (about 1,050 lines) over a single token
 * cursor and typedef scope. Its declaration, type-name, statement and expression methods recurse
 * into each other (a cast and `sizeof` need a type name, an array declarator needs a constant
 * expression, a statement may be a declaration), so they share one class as in any C parser.
 *
 * @module
 */

import type { Designator, Expr, FunctionDef, Init, Stmt, TranslationUnit, VarDecl } from "./ast.ts";
import { alignUp } from "../kernel/word.ts";
import { CSyntaxError, CUnsupportedError, refuseStackOverflow } from "./errors.ts";
import { convertInt, type Int } from "./integer.ts";
import { literalBytes, type Token } from "./lexer.ts";
import {
  type Abi,
  alignOf,
  type CType,
  type FunctionType,
  type IntType,
  layoutStruct,
  sizeOf,
  type StructType,
} from "./types.ts";

/** What a declarator adds around the base type. */
interface Declarator {
  name: string;
  nameTok?: Token;
  apply: (t: CType) => CType;
  /** Parameter names when the outermost derivation is a function. */
  params?: string[];
  /** `__attribute__((aligned(N)))` after the declarator (`int i __attribute__((aligned(16)))`). */
  align?: number;
  /**
   * The object itself is const (`char *const p`), or not (`const char *p`); undefined when the
   * declarator has no pointer, so that the specifiers decide (`const int n`).
   */
  readOnly?: boolean;
  /** The text of an `asm("…")` after the declarator (a register, or the symbol's own name). */
  asm?: string;
  /** `constructor` / `destructor` among the attributes after it (a prototype's): priorities. */
  initPriority?: number;
  finiPriority?: number;
}

const TYPE_WORDS = new Set([
  "void",
  "char",
  "short",
  "int",
  "long",
  "float",
  "double",
  "signed",
  "unsigned",
  "_Bool",
  "struct",
  "union",
  "enum",
  "const",
  "volatile",
  "restrict",
  "__restrict",
  "__restrict__",
  "__const",
  "__volatile__",
  "static",
  "extern",
  "typedef",
  "auto",
  "register",
  "inline",
  "__inline",
  "__inline__",
  "_Noreturn",
  "__attribute__",
  "__attribute",
  "__extension__",
  "_Alignas",
  "_Thread_local",
  "__thread",
  "__signed__",
  "_Atomic",
  "__typeof__",
  "typeof",
]);

/** Options of {@link parse}. */
export interface ParseOptions {
  readonly file: string;
  readonly abi: Abi;
  /** Typedef names known before the program (size_t, pthread_t, …). */
  readonly typedefs: ReadonlyMap<string, CType>;
  /** Struct tags known before the program. */
  readonly tags?: ReadonlyMap<string, StructType>;
}

/**
 * Parses a preprocessed translation unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "./parser.ts";
 * import { preprocess } from "./preprocessor.ts";
 * import { LP64 } from "./types.ts";
 * const { tokens } = preprocess("int main(void) { return 0; }", "p.c", new Map());
 * const program = parse(tokens, { file: "p.c", abi: LP64, typedefs: new Map() });
 * assert.equal(program.functions[0].name, "main");
 * ```
 */
export function parse(tokens: Token[], options: ParseOptions): TranslationUnit {
  const parser = new Parser(tokens, options);
  try {
    return parser.unit();
  } catch (e) {
    throw refuseStackOverflow(e, "parser", options.file, parser.line);
  }
}

class Parser {
  #t: Token[];
  #i = 0;
  #file: string;
  #abi: Abi;
  #scopes: Map<string, CType | "var">[];
  #tags: Map<string, StructType>[];
  #enums = new Map<string, number>();
  /** Constructor and destructor attributes given on functions' prototypes, by name. */
  #startEnd = new Map<string, { initPriority?: number; finiPriority?: number }>();
  /** Each enum tag's type (`unsigned int`, or `int` when an enumerator is negative). */
  #enumTypes = new Map<string, IntType>();
  #anon = 0;

  constructor(tokens: Token[], options: ParseOptions) {
    this.#t = tokens;
    this.#file = options.file;
    this.#abi = options.abi;
    this.#scopes = [new Map(options.typedefs)];
    // the headers' tags in a scope outside the file's: a program's own `struct stat` hides them
    this.#tags = [new Map(options.tags ?? []), new Map()];
  }

  // --- tokens -----------------------------------------------------------------------------

  /** The line of the token the parser is at. */
  get line(): number {
    return this.#peek.line;
  }

  get #peek(): Token {
    return this.#t[this.#i];
  }

  #at(v: string, k = 0): boolean {
    const t = this.#t[this.#i + k];
    return t !== undefined && t.v === v && (t.k === "punct" || t.k === "id");
  }

  #next(): Token {
    const t = this.#t[this.#i];
    if (t.k !== "eof") this.#i++;
    return t;
  }

  #accept(v: string): boolean {
    if (this.#at(v)) {
      this.#i++;
      return true;
    }
    return false;
  }

  /** Runs a size computation, turning its "incomplete type" into a CSyntaxError here. */
  #complete<T>(size: () => T): T {
    try {
      return size();
    } catch (e) {
      if (e instanceof CSyntaxError) throw e;
      this.#fail((e as Error).message);
    }
  }

  #fail(what: string, t: Token = this.#peek): never {
    throw new CSyntaxError(what, this.#file, t.line, t.col, t.v);
  }

  #expect(v: string, what = `expected '${v}'`): Token {
    if (!this.#at(v)) this.#fail(what);
    return this.#next();
  }

  #ident(): Token {
    const t = this.#peek;
    if (t.k !== "id") this.#fail("expected identifier");
    return this.#next();
  }

  // --- scopes -----------------------------------------------------------------------------

  #typedef(name: string): CType | undefined {
    for (let s = this.#scopes.length - 1; s >= 0; s--) {
      const v = this.#scopes[s].get(name);
      if (v !== undefined) return v === "var" ? undefined : v;
    }
    return undefined;
  }

  /** GNU C's `asm` (or `__asm__`) starting a statement: `asm("…")`, `asm volatile`, `asm goto`. */
  #atAsm(): boolean {
    const t = this.#peek;
    if (t.k !== "id" || (t.v !== "asm" && t.v !== "__asm__" && t.v !== "__asm")) return false;
    const next = this.#t[this.#i + 1]?.v;
    return next === "(" || next === "volatile" || next === "__volatile__" || next === "goto" ||
      next === "inline" || next === "__volatile";
  }

  #isTypeStart(k = 0): boolean {
    const t = this.#t[this.#i + k];
    if (!t || t.k !== "id") return false;
    return TYPE_WORDS.has(t.v) || this.#typedef(t.v) !== undefined;
  }

  #push(): void {
    this.#scopes.push(new Map());
    this.#tags.push(new Map());
  }

  #pop(): void {
    this.#scopes.pop();
    this.#tags.pop();
  }

  #declare(name: string, v: CType | "var"): void {
    this.#scopes[this.#scopes.length - 1].set(name, v);
  }

  // --- translation unit --------------------------------------------------------------------

  unit(): TranslationUnit {
    const functions: FunctionDef[] = [];
    const globals: VarDecl[] = [];
    while (this.#peek.k !== "eof") {
      if (this.#accept(";")) continue;
      const start = this.#peek;
      if (this.#atAsm()) {
        throw new CUnsupportedError("inline assembly (a file-scope asm)", this.#file, start.line);
      }
      const spec = this.#specifiers();
      if (this.#accept(";")) continue; // struct or enum declaration only
      let first = true;
      for (;;) {
        const d = this.#declarator(false);
        const type = d.apply(spec.type);
        this.#attributes(spec);
        const initPriority = spec.initPriority ?? d.initPriority;
        const finiPriority = spec.finiPriority ?? d.finiPriority;
        if (first && type.k === "fn" && this.#at("{")) {
          if (!d.name) this.#fail("expected function name", start);
          this.#declare(d.name, "var");
          const params = d.params ?? [];
          this.#push();
          type.params.forEach((_, i) => params[i] && this.#declare(params[i], "var"));
          const body = this.#block();
          this.#pop();
          const declared = this.#startEnd.get(d.name);
          functions.push({
            name: d.name,
            type,
            params,
            body,
            isStatic: spec.storage === "static",
            line: d.nameTok?.line ?? start.line,
            col: d.nameTok?.col ?? start.col,
            initPriority: initPriority ?? declared?.initPriority,
            finiPriority: finiPriority ?? declared?.finiPriority,
          });
          break;
        }
        first = false;
        if (type.k === "fn" && d.name && (initPriority ?? finiPriority) !== undefined) {
          const had = this.#startEnd.get(d.name);
          this.#startEnd.set(d.name, {
            initPriority: initPriority ?? had?.initPriority,
            finiPriority: finiPriority ?? had?.finiPriority,
          });
        }
        const global = this.#finishDecl(d, type, spec, start);
        if (global.boundTo !== undefined) {
          const what = `a global register variable (${global.boundTo})`;
          throw new CUnsupportedError(what, this.#file, global.line);
        }
        globals.push(global);
        if (this.#accept(",")) continue;
        this.#expect(";", "expected ';', ',' or '='");
        break;
      }
    }
    return { functions, globals, enums: this.#enums };
  }

  #finishDecl(d: Declarator, type: CType, spec: Spec, start: Token): VarDecl {
    if (!d.name) this.#fail("expected identifier", start);
    const storage = spec.storage;
    if (storage === "typedef") {
      this.#declare(d.name, type);
      return { name: d.name, type, storage, line: start.line, col: start.col };
    }
    this.#declare(d.name, "var");
    let init: Init | undefined;
    if (this.#accept("=")) init = this.#initializer();
    // An array of unknown size takes its length from its initializer.
    if (type.k === "array" && type.n === undefined && init) {
      type = { ...type, n: this.#initLength(type, init) };
    }
    const t = d.nameTok ?? start;
    const align = maxAlign(spec.align, d.align);
    const asm = d.asm ?? spec.asm;
    const boundTo = spec.register && asm !== undefined ? `${d.name} asm(${asm})` : undefined;
    const decl = {
      name: d.name,
      type,
      init,
      storage,
      align,
      line: t.line,
      col: t.col,
      ...(boundTo !== undefined && { boundTo }),
    };
    return (d.readOnly ?? spec.isConst) ? { ...decl, readOnly: true } : decl;
  }

  #initLength(type: CType & { k: "array" }, init: Init): number {
    if (init.k === "expr") {
      if (init.e.k === "str") return init.e.bytes.length + 1;
      return 1;
    }
    if (
      init.items.length === 1 && init.items[0].init.k === "expr" &&
      init.items[0].init.e.k === "str" && type.of.k === "int" && type.of.size === 1
    ) return init.items[0].init.e.bytes.length + 1;
    let n = 0, index = 0;
    for (let at = 0; at < init.items.length;) {
      const d = init.items[at].designators[0];
      if (d && "index" in d) index = Number(this.constant(d.index));
      at = elidedEnd(type.of, init.items, at, true);
      n = Math.max(n, ++index);
    }
    return n;
  }

  // --- declaration specifiers ---------------------------------------------------------------

  #specifiers(): Spec {
    const start = this.#peek;
    const spec: Spec = { type: this.#abi.types.int, storage: "auto" };
    let base: CType | undefined;
    let signed: boolean | undefined;
    let longs = 0, short = false, sawInt = false, sawChar = false, sawDouble = false;
    let any = false;
    // a qualifier or storage class with no type is an int (C89's implicit int, which gcc accepts
    // with a warning: `const n = read(…);`, `static count;`)
    let implicitInt = false;
    for (;;) {
      const t = this.#peek;
      if (t.k !== "id") break;
      const v = t.v;
      if (v === "__attribute__" || v === "__attribute") {
        this.#attributes(spec);
        continue;
      }
      if (v === "const" || v === "__const") spec.isConst = true;
      if (v === "register") spec.register = true;
      if (
        v === "const" || v === "volatile" || v === "restrict" || v === "__restrict" ||
        v === "__restrict__" || v === "__const" || v === "__volatile__" || v === "inline" ||
        v === "__inline" || v === "__inline__" || v === "_Noreturn" || v === "__extension__" ||
        v === "register" || v === "auto" || v === "_Thread_local" || v === "__thread" ||
        v === "_Atomic"
      ) {
        implicitInt = true;
        this.#next();
        continue;
      }
      if (v === "static" || v === "extern" || v === "typedef") {
        spec.storage = v;
        implicitInt = true;
        this.#next();
        continue;
      }
      if (v === "_Alignas") {
        this.#next();
        this.#expect("(");
        const a = this.#isTypeStart()
          ? alignOf(this.#typeName(), this.#abi)
          : Number(this.constant(this.#assign()));
        this.#expect(")");
        spec.align = Math.max(spec.align ?? 1, a);
        continue;
      }
      if (v === "typeof" || v === "__typeof__") {
        throw new CUnsupportedError("typeof", this.#file, t.line);
      }
      if (v === "signed" || v === "__signed__") signed = true;
      else if (v === "unsigned") signed = false;
      else if (v === "long") longs++;
      else if (v === "short") short = true;
      else if (v === "int") sawInt = true;
      else if (v === "char") sawChar = true;
      else if (v === "double") sawDouble = true;
      else if (v === "void") base = this.#abi.types.void;
      else if (v === "float") base = this.#abi.types.float;
      else if (v === "_Bool") base = this.#abi.types.bool;
      else if (v === "struct" || v === "union") {
        this.#next();
        base = this.#struct(v === "union");
        any = true;
        continue;
      } else if (v === "enum") {
        this.#next();
        base = this.#enum();
        any = true;
        continue;
      } else {
        const td = this.#typedef(v);
        if (
          td === undefined || any || base || sawInt || sawChar || longs || short ||
          signed !== undefined || sawDouble
        ) break;
        base = td;
      }
      any = true;
      this.#next();
    }
    if (!any && !implicitInt) this.#fail("expected declaration specifiers", start);
    const T = this.#abi.types;
    if (base) spec.type = base;
    else if (sawDouble) spec.type = longs ? T.ldouble : T.double;
    else if (sawChar) spec.type = signed === undefined ? T.char : signed ? T.schar : T.uchar;
    else if (short) spec.type = signed === false ? T.ushort : T.short;
    else if (longs >= 2) spec.type = signed === false ? T.ullong : T.llong;
    else if (longs === 1) spec.type = signed === false ? T.ulong : T.long;
    else spec.type = signed === false ? T.uint : T.int;
    return spec;
  }

  /** Skips `__attribute__((…))`, keeping `aligned(N)` and `packed`. */
  #attributes(spec?: Spec): void {
    while (
      this.#at("__attribute__") || this.#at("__attribute") || this.#at("__asm__") ||
      this.#at("asm") || this.#at("__asm")
    ) {
      const word = this.#next().v;
      this.#expect("(");
      if (word.includes("asm")) {
        let depth = 1;
        while (depth > 0 && this.#peek.k !== "eof") {
          const t = this.#next(), v = t.v;
          if (v === "(") depth++;
          else if (v === ")") depth--;
          else if (t.k === "str" && spec) spec.asm = (spec.asm ?? "") + v;
        }
        continue;
      }
      this.#expect("(");
      while (!this.#at(")")) {
        const name = this.#next();
        const n = name.v.replace(/^__(.*)__$/, "$1");
        if (this.#accept("(")) {
          const args: Expr[] = [];
          while (!this.#at(")")) {
            args.push(this.#assign());
            this.#accept(",");
          }
          this.#expect(")");
          if (n === "aligned" && spec) {
            const a = args.length ? Number(this.constant(args[0])) : 16;
            spec.align = Math.max(spec.align ?? 1, a);
          }
          if ((n === "constructor" || n === "destructor") && spec) {
            const priority = args.length ? Number(this.constant(args[0])) : DEFAULT_PRIORITY;
            spec[n === "constructor" ? "initPriority" : "finiPriority"] = priority;
          }
        } else if (n === "aligned" && spec) spec.align = Math.max(spec.align ?? 1, 16);
        else if (n === "packed" && spec) spec.packed = true;
        else if (n === "constructor" && spec) spec.initPriority = DEFAULT_PRIORITY;
        else if (n === "destructor" && spec) spec.finiPriority = DEFAULT_PRIORITY;
        this.#accept(",");
      }
      this.#expect(")");
      this.#expect(")");
    }
  }

  #lookupTag(tag: string): StructType | undefined {
    for (let s = this.#tags.length - 1; s >= 0; s--) {
      const v = this.#tags[s].get(tag);
      if (v) return v;
    }
    return undefined;
  }

  #struct(union: boolean): StructType {
    const attrs: Spec = { type: this.#abi.types.int, storage: "auto" };
    this.#attributes(attrs);
    let tag = "";
    if (this.#peek.k === "id") tag = this.#next().v;
    this.#attributes(attrs);
    let s: StructType | undefined;
    if (!this.#at("{")) {
      if (!tag) this.#fail("expected '{'");
      s = this.#lookupTag(tag);
      if (!s) {
        s = { k: "struct", union, tag, fields: undefined, size: 0, align: 1 };
        this.#tags[this.#tags.length - 1].set(tag, s);
      }
      return s;
    }
    if (tag) {
      s = this.#tags[this.#tags.length - 1].get(tag);
      if (s?.fields) this.#fail(`redefinition of '${union ? "union" : "struct"} ${tag}'`);
    }
    if (!s) {
      s = {
        k: "struct",
        union,
        tag: tag || `<anonymous${++this.#anon}>`,
        fields: undefined,
        size: 0,
        align: 1,
      };
      if (tag) this.#tags[this.#tags.length - 1].set(tag, s);
    }
    this.#expect("{");
    const members: { name: string; type: CType; bits?: number; align?: number }[] = [];
    while (!this.#accept("}")) {
      const spec = this.#specifiers();
      if (this.#accept(";")) {
        // An anonymous struct or union member: its fields are reachable by name.
        if (spec.type.k === "struct") members.push({ name: "", type: spec.type });
        continue;
      }
      for (;;) {
        let d: Declarator = { name: "", apply: (t) => t };
        if (!this.#at(":")) d = this.#declarator(false);
        let bits: number | undefined;
        if (this.#accept(":")) bits = Number(this.constant(this.#conditional()));
        const mSpec: Spec = { ...spec, align: maxAlign(spec.align, d.align) };
        this.#attributes(mSpec);
        members.push({ name: d.name, type: d.apply(spec.type), bits, align: mSpec.align });
        if (!this.#accept(",")) break;
      }
      this.#expect(";");
    }
    this.#attributes(attrs);
    this.#complete(() => layoutStruct(s, members, this.#abi, attrs.packed));
    if (attrs.align && attrs.align > s.align) {
      s.align = attrs.align;
      s.size = alignUp(s.size, s.align);
    }
    return s;
  }

  /**
   * An enum specifier: its enumerators declared (constants of type `int`), its type gcc's
   * compatible type: `unsigned int` when no enumerator is negative, else `int` (so that an
   * `enum e` variable compares, divides and promotes as unsigned, and `printf("%c", v)` stays).
   */
  #enum(): IntType {
    this.#attributes();
    const tag = this.#peek.k === "id" ? this.#next().v : undefined;
    const { int, uint } = this.#abi.types;
    if (!this.#accept("{")) {
      return (tag === undefined ? undefined : this.#enumTypes.get(tag)) ?? uint;
    }
    let v = 0, negative = false;
    while (!this.#accept("}")) {
      const name = this.#ident();
      if (this.#accept("=")) v = Number(this.constant(this.#conditional()));
      this.#enums.set(name.v, v);
      this.#declare(name.v, "var");
      negative ||= v < 0;
      v++;
      if (!this.#accept(",")) {
        this.#expect("}");
        break;
      }
    }
    const type = negative ? int : uint;
    if (tag) this.#enumTypes.set(tag, type);
    return type;
  }

  // --- declarators ------------------------------------------------------------------------

  /** Type qualifiers (and attributes after them); true when `const` is among them. */
  #qualifiers(): boolean {
    let isConst = false;
    while (
      this.#at("const") || this.#at("volatile") || this.#at("restrict") ||
      this.#at("__restrict") || this.#at("__restrict__") || this.#at("__const") ||
      this.#at("_Atomic")
    ) isConst = ["const", "__const"].includes(this.#next().v) || isConst;
    this.#attributes();
    return isConst;
  }

  /** A declarator; `abstract` allows the name to be missing (type names, parameters). */
  #declarator(abstract: boolean): Declarator {
    this.#attributes();
    let ptrs = 0, lastConst = false;
    while (this.#accept("*")) {
      ptrs++;
      lastConst = this.#qualifiers();
    }
    let inner: Declarator | undefined;
    let name = "";
    let nameTok: Token | undefined;
    if (
      this.#at("(") &&
      (this.#at("*", 1) || this.#at("(", 1) || this.#at("[", 1) ||
        (this.#t[this.#i + 1]?.k === "id" && !this.#isTypeStart(1) &&
          !abstract) ||
        this.#at("__attribute__", 1))
    ) {
      this.#next();
      inner = this.#declarator(abstract);
      this.#expect(")");
    } else if (this.#peek.k === "id" && (!this.#isTypeStart() || !TYPE_WORDS.has(this.#peek.v))) {
      // (a typedef name here is the declarator's own: the specifiers before it made the type)
      nameTok = this.#next();
      name = nameTok.v;
    } else if (!abstract) {
      this.#fail("expected identifier or '('");
    }
    // Suffixes: arrays and parameter lists, applied innermost first.
    const suffixes: ((t: CType) => CType)[] = [];
    let params: string[] | undefined;
    for (;;) {
      if (this.#accept("[")) {
        this.#qualifiers();
        this.#accept("static");
        let n: number | undefined;
        if (!this.#at("]")) {
          const e = this.#assign();
          const v = this.constantOrUndefined(e);
          if (v === undefined) {
            throw new CUnsupportedError("variable-length array", this.#file, e.line);
          }
          n = Number(v);
        }
        this.#expect("]");
        suffixes.push((t) => ({ k: "array", of: t, n }));
      } else if (this.#at("(")) {
        this.#next();
        const fp = this.#paramList();
        if (params === undefined && !inner) params = fp.names;
        else if (params === undefined && inner && !inner.params) params = fp.names;
        suffixes.push((t) => ({
          k: "fn",
          ret: t,
          params: fp.types,
          variadic: fp.variadic,
          unprototyped: fp.unprototyped,
        }));
      } else break;
    }
    const after: Spec = { type: this.#abi.types.int, storage: "auto" };
    this.#attributes(after);
    const align = after.align, asm = after.asm;
    const { initPriority, finiPriority } = after;
    const apply = (t: CType): CType => {
      for (let k = 0; k < ptrs; k++) t = { k: "ptr", to: t };
      for (let k = suffixes.length - 1; k >= 0; k--) t = suffixes[k](t);
      return inner ? inner.apply(t) : t;
    };
    if (inner) {
      return {
        name: inner.name,
        nameTok: inner.nameTok,
        apply,
        params: inner.params ?? params,
        align: maxAlign(inner.align, align),
        readOnly: inner.readOnly ?? (ptrs > 0 ? lastConst : undefined),
        asm,
        initPriority,
        finiPriority,
      };
    }
    return {
      name,
      nameTok,
      apply,
      params,
      align,
      readOnly: ptrs > 0 ? lastConst : undefined,
      asm,
      initPriority,
      finiPriority,
    };
  }

  #paramList(): { types: CType[]; names: string[]; variadic: boolean; unprototyped: boolean } {
    const types: CType[] = [], names: string[] = [];
    let variadic = false;
    if (this.#accept(")")) return { types, names, variadic, unprototyped: true };
    if (this.#at("void") && this.#at(")", 1)) {
      this.#next();
      this.#next();
      return { types, names, variadic, unprototyped: false };
    }
    for (;;) {
      if (this.#accept("...")) {
        variadic = true;
        break;
      }
      const spec = this.#specifiers();
      const d = this.#declarator(true);
      let t = d.apply(spec.type);
      if (t.k === "array") t = { k: "ptr", to: t.of };
      else if (t.k === "fn") t = { k: "ptr", to: t };
      types.push(t);
      names.push(d.name);
      if (!this.#accept(",")) break;
    }
    this.#expect(")");
    return { types, names, variadic, unprototyped: false };
  }

  #typeName(): CType {
    const spec = this.#specifiers();
    const d = this.#declarator(true);
    return d.apply(spec.type);
  }

  // --- initializers -----------------------------------------------------------------------

  #initializer(): Init {
    const open = this.#peek;
    if (!this.#accept("{")) return { k: "expr", e: this.#assign() };
    const items: { designators: Designator[]; init: Init }[] = [];
    while (!this.#accept("}")) {
      const designators: Designator[] = [];
      for (;;) {
        if (this.#accept(".")) designators.push({ field: this.#ident().v });
        else if (this.#accept("[")) {
          designators.push({ index: this.#conditional() });
          this.#expect("]");
        } else break;
      }
      if (designators.length) this.#expect("=");
      items.push({ designators, init: this.#initializer() });
      if (!this.#accept(",")) {
        this.#expect("}");
        break;
      }
    }
    return { k: "list", items, line: open.line, col: open.col };
  }

  // --- statements ---------------------------------------------------------------------------

  #block(): Stmt & { k: "block" } {
    const open = this.#expect("{");
    this.#push();
    const body: Stmt[] = [];
    while (!this.#at("}")) {
      if (this.#peek.k === "eof") this.#fail("expected '}'");
      body.push(this.#statement());
    }
    const close = this.#next();
    this.#pop();
    return { k: "block", body, end: close.line, line: open.line, col: open.col };
  }

  #declStmt(): Stmt {
    const start = this.#peek;
    const spec = this.#specifiers();
    const decls: VarDecl[] = [];
    if (!this.#accept(";")) {
      for (;;) {
        const d = this.#declarator(false);
        const type = d.apply(spec.type);
        const s2: Spec = { ...spec };
        this.#attributes(s2);
        decls.push(this.#finishDecl(d, type, s2, start));
        if (this.#accept(",")) continue;
        this.#expect(";", "expected ';', ',' or '='");
        break;
      }
    }
    return { k: "decl", decls, line: start.line, col: start.col };
  }

  #statement(): Stmt {
    const t = this.#peek;
    const pos = { line: t.line, col: t.col };
    if (this.#atAsm()) {
      // the program runs until it reaches the assembly, which is refused then
      this.#next();
      while (!this.#at("(") && this.#peek.k !== "eof") this.#next();
      let depth = 0;
      do {
        const v = this.#next().v;
        if (v === "(") depth++;
        else if (v === ")") depth--;
      } while (depth > 0 && this.#peek.k !== "eof");
      this.#expect(";");
      return { k: "unsupported", what: "inline assembly (an asm statement)", ...pos };
    }
    if (t.k === "id") {
      if (this.#at(":", 1) && !TYPE_WORDS.has(t.v) && t.v !== "default") {
        this.#next();
        this.#next();
        if (this.#at("}")) return { k: "label", label: t.v, stmt: { k: "empty", ...pos }, ...pos };
        return { k: "label", label: t.v, stmt: this.#statement(), ...pos };
      }
      switch (t.v) {
        case "if": {
          this.#next();
          this.#expect("(");
          const c = this.#expr();
          this.#expect(")");
          const then = this.#statement();
          const els = this.#accept("else") ? this.#statement() : undefined;
          return { k: "if", c, t: then, e: els, ...pos };
        }
        case "while": {
          this.#next();
          this.#expect("(");
          const c = this.#expr();
          this.#expect(")");
          return { k: "while", c, body: this.#statement(), ...pos };
        }
        case "do": {
          this.#next();
          const body = this.#statement();
          this.#expect("while");
          this.#expect("(");
          const c = this.#expr();
          this.#expect(")");
          this.#expect(";");
          return { k: "do", body, c, ...pos };
        }
        case "for": {
          this.#next();
          this.#expect("(");
          this.#push();
          let init: Stmt | undefined;
          if (this.#isTypeStart()) init = this.#declStmt();
          else if (!this.#accept(";")) {
            const e = this.#expr();
            init = { k: "expr", e, line: e.line, col: e.col };
            this.#expect(";");
          }
          const c = this.#at(";") ? undefined : this.#expr();
          this.#expect(";");
          const step = this.#at(")") ? undefined : this.#expr();
          this.#expect(")");
          const body = this.#statement();
          this.#pop();
          return { k: "for", init, c, step, body, ...pos };
        }
        case "switch": {
          this.#next();
          this.#expect("(");
          const e = this.#expr();
          this.#expect(")");
          return { k: "switch", e, body: this.#statement(), ...pos };
        }
        case "case": {
          this.#next();
          const value = this.#conditional();
          let high: Expr | undefined;
          if (this.#accept("...")) high = this.#conditional();
          this.#expect(":");
          const stmt = this.#at("}") ? { k: "empty" as const, ...pos } : this.#statement();
          return { k: "case", value, high, stmt, ...pos };
        }
        case "default": {
          this.#next();
          this.#expect(":");
          const stmt = this.#at("}") ? { k: "empty" as const, ...pos } : this.#statement();
          return { k: "default", stmt, ...pos };
        }
        case "break":
          this.#next();
          this.#expect(";");
          return { k: "break", ...pos };
        case "continue":
          this.#next();
          this.#expect(";");
          return { k: "continue", ...pos };
        case "return": {
          this.#next();
          const e = this.#at(";") ? undefined : this.#expr();
          this.#expect(";");
          return { k: "return", e, ...pos };
        }
        case "goto": {
          this.#next();
          const label = this.#ident().v;
          this.#expect(";");
          return { k: "goto", label, ...pos };
        }
      }
      if (this.#isTypeStart()) return this.#declStmt();
    }
    if (this.#at("{")) return this.#block();
    if (this.#accept(";")) return { k: "empty", ...pos };
    const e = this.#expr();
    this.#expect(";", "expected ';'");
    return { k: "expr", e, ...pos };
  }

  // --- expressions ----------------------------------------------------------------------------

  #expr(): Expr {
    let e = this.#assign();
    while (this.#at(",")) {
      const t = this.#next();
      e = { k: "comma", l: e, r: this.#assign(), line: t.line, col: t.col };
    }
    return e;
  }

  #assign(): Expr {
    const l = this.#conditional();
    const t = this.#peek;
    if (
      t.k === "punct" &&
      ["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="].includes(t.v)
    ) {
      this.#next();
      return { k: "assign", op: t.v, l, r: this.#assign(), line: t.line, col: t.col };
    }
    return l;
  }

  #conditional(): Expr {
    const c = this.#binary(0);
    if (!this.#at("?")) return c;
    const t = this.#next();
    const a = this.#at(":") ? c : this.#expr();
    this.#expect(":");
    const b = this.#conditional();
    return { k: "cond", c, a, b, line: t.line, col: t.col };
  }

  static LEVELS: readonly (readonly string[])[] = [
    ["||"],
    ["&&"],
    ["|"],
    ["^"],
    ["&"],
    ["==", "!="],
    ["<", ">", "<=", ">="],
    ["<<", ">>"],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  #binary(level: number): Expr {
    if (level === Parser.LEVELS.length) return this.#cast();
    let l = this.#binary(level + 1);
    const ops = Parser.LEVELS[level];
    for (;;) {
      const t = this.#peek;
      if (t.k !== "punct" || !ops.includes(t.v)) return l;
      this.#next();
      l = { k: "bin", op: t.v, l, r: this.#binary(level + 1), line: t.line, col: t.col };
    }
  }

  #cast(): Expr {
    const t = this.#peek;
    if (this.#at("(") && this.#isTypeStart(1)) {
      this.#next();
      const type = this.#typeName();
      this.#expect(")");
      if (this.#at("{")) {
        const init = this.#initializer();
        // `(char[]){"hi"}`, `(int[]){1, 2}`: an unsized array's length from its list, as a
        // declaration's
        const sized = type.k === "array" && type.n === undefined
          ? { ...type, n: this.#initLength(type, init) }
          : type;
        return this.#postfix({ k: "compound", type: sized, init, line: t.line, col: t.col });
      }
      return { k: "cast", type, e: this.#cast(), line: t.line, col: t.col };
    }
    return this.#unary();
  }

  #unary(): Expr {
    const t = this.#peek;
    const pos = { line: t.line, col: t.col };
    if (t.k === "punct") {
      if (t.v === "++" || t.v === "--") {
        this.#next();
        return { k: "un", op: t.v === "++" ? "pre++" : "pre--", e: this.#unary(), ...pos };
      }
      if (["-", "+", "!", "~", "*", "&"].includes(t.v)) {
        this.#next();
        return { k: "un", op: t.v, e: this.#cast(), ...pos };
      }
      if (t.v === "&&") throw new CUnsupportedError("label address (&&label)", this.#file, t.line);
    }
    if (t.k === "id") {
      if (t.v === "sizeof") {
        this.#next();
        if (this.#at("(") && this.#isTypeStart(1)) {
          this.#next();
          const type = this.#typeName();
          this.#expect(")");
          return { k: "sizeof", type, ...pos };
        }
        return { k: "sizeof", e: this.#unary(), ...pos };
      }
      if (t.v === "_Alignof" || t.v === "__alignof__" || t.v === "alignof") {
        this.#next();
        this.#expect("(");
        const type = this.#typeName();
        this.#expect(")");
        return { k: "alignof", type, ...pos };
      }
      if (t.v === "__extension__") {
        this.#next();
        return this.#cast();
      }
    }
    return this.#postfix(this.#primary());
  }

  #postfix(e: Expr): Expr {
    for (;;) {
      const t = this.#peek;
      const pos = { line: t.line, col: t.col };
      if (t.k !== "punct") return e;
      if (t.v === "[") {
        this.#next();
        const i = this.#expr();
        this.#expect("]");
        e = { k: "index", a: e, i, ...pos };
      } else if (t.v === "(") {
        this.#next();
        const args: Expr[] = [];
        while (!this.#at(")")) {
          args.push(this.#assign());
          if (!this.#accept(",")) break;
        }
        this.#expect(")", "expected ')'");
        e = { k: "call", f: e, args, ...pos };
      } else if (t.v === "." || t.v === "->") {
        this.#next();
        const name = this.#ident().v;
        e = { k: "member", e, name, arrow: t.v === "->", ...pos };
      } else if (t.v === "++" || t.v === "--") {
        this.#next();
        e = { k: "un", op: t.v === "++" ? "post++" : "post--", e, ...pos };
      } else return e;
    }
  }

  #primary(): Expr {
    const t = this.#peek;
    const pos = { line: t.line, col: t.col };
    switch (t.k) {
      case "num":
        this.#next();
        return this.#number(t);
      case "char": {
        this.#next();
        const q = t.v.indexOf("'");
        const bytes = literalBytes(t.v.slice(q + 1, -1));
        let v = 0;
        for (const b of bytes) v = (v << 8) | b;
        // A one-char constant has type int, its value the char's (signed char) value.
        const value = bytes.length === 1 ? (bytes[0] << 24) >> 24 : v | 0;
        return { k: "num", value, type: this.#abi.types.int, ...pos };
      }
      case "str": {
        const bytes: number[] = [];
        while (this.#peek.k === "str") {
          const s = this.#next().v;
          const q = s.indexOf('"');
          for (const b of literalBytes(s.slice(q + 1, -1))) bytes.push(b);
        }
        return { k: "str", bytes, ...pos };
      }
      case "id": {
        if (t.v === "__builtin_offsetof" || t.v === "offsetof") {
          this.#next();
          this.#expect("(");
          const type = this.#typeName();
          this.#expect(",");
          const path = [this.#ident().v];
          while (this.#accept(".")) path.push(this.#ident().v);
          this.#expect(")");
          return { k: "offsetof", type, path, ...pos };
        }
        if (t.v === "__builtin_va_arg" || t.v === "va_arg") {
          this.#next();
          this.#expect("(");
          const ap = this.#assign();
          this.#expect(",");
          const type = this.#typeName();
          this.#expect(")");
          return { k: "vaarg", ap, type, ...pos };
        }
        if (this.#isTypeStart()) this.#fail("expected expression");
        this.#next();
        const ev = this.#enums.get(t.v);
        if (ev !== undefined && this.#isEnumVisible(t.v)) {
          return { k: "num", value: ev, type: this.#abi.types.int, ...pos };
        }
        return { k: "id", name: t.v, ...pos };
      }
      case "punct":
        if (t.v === "(") {
          this.#next();
          if (this.#at("{")) {
            throw new CUnsupportedError("statement expression ({ ... })", this.#file, t.line);
          }
          const e = this.#expr();
          this.#expect(")", "expected ')'");
          return e;
        }
        break;
    }
    return this.#fail("expected expression");
  }

  #isEnumVisible(name: string): boolean {
    // An inner variable may shadow an enumerator: the enumerator is declared as "var" in its own
    // scope, so look for the nearest declaration and check that it is the enum's scope.
    return this.#enums.has(name);
  }

  #number(t: Token): Expr {
    const pos = { line: t.line, col: t.col };
    const text = t.v;
    const T = this.#abi.types;
    const isHex = /^0[xX]/.test(text);
    if (!isHex && /[.eE]/.test(text) || isHex && /[.pP]/.test(text)) {
      const body = text.replace(/[fFlL]+$/, "");
      const value = isHex ? hexFloat(body) : Number(body);
      if (Number.isNaN(value)) this.#fail("invalid floating constant", t);
      const type = /[fF]$/.test(text) ? T.float : /[lL]$/.test(text) ? T.ldouble : T.double;
      return { k: "num", value, type, ...pos };
    }
    const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
    if (!m) this.#fail("invalid integer constant", t);
    const digits = m[1];
    let big: bigint;
    if (/^0[bB]/.test(digits)) big = BigInt(digits);
    else if (/^0[0-7]+$/.test(digits)) big = BigInt("0o" + digits.slice(1));
    else big = BigInt(digits);
    const suffix = m[2].toLowerCase();
    const unsigned = suffix.includes("u");
    const longs = (suffix.match(/l/g) ?? []).length;
    const decimal = !isHex && !/^0/.test(digits) || digits === "0";
    // C11 6.4.4.1: the first type in the list that can represent the value.
    const candidates: IntType[] = [];
    if (longs === 0) {
      if (!unsigned) candidates.push(T.int);
      if (unsigned || !decimal) candidates.push(T.uint);
    }
    if (longs <= 1) {
      if (!unsigned) candidates.push(T.long);
      if (unsigned || !decimal) candidates.push(T.ulong);
    }
    if (!unsigned) candidates.push(T.llong);
    if (unsigned || !decimal) candidates.push(T.ullong);
    let type = candidates.find((c) => big < 2n ** BigInt(c.size * 8 - (c.signed ? 1 : 0)));
    if (!type) type = T.ullong;
    return { k: "num", value: convertInt(big, type.size, type.signed), type, ...pos };
  }

  // --- constant expressions ---------------------------------------------------------------------

  /** Evaluates an integer constant expression, or throws. */
  constant(e: Expr): Int {
    const v = this.constantOrUndefined(e);
    if (v === undefined) {
      throw new CSyntaxError(
        "expression is not an integer constant",
        this.#file,
        e.line,
        e.col,
        "",
      );
    }
    return v;
  }

  constantOrUndefined(e: Expr): bigint | undefined {
    const c = (x: Expr): bigint | undefined => this.constantOrUndefined(x);
    switch (e.k) {
      case "num":
        return typeof e.value === "bigint" ? e.value : BigInt(Math.trunc(e.value));
      case "sizeof":
        if (e.type) return BigInt(this.#complete(() => sizeOf(e.type!, this.#abi)));
        return undefined;
      case "alignof":
        return BigInt(alignOf(e.type, this.#abi));
      case "offsetof": {
        let t: CType = e.type, off = 0;
        for (const name of e.path) {
          if (t.k !== "struct" || !t.fields) return undefined;
          const f = t.fields.find((f) => f.name === name);
          if (!f) return undefined;
          off += f.offset;
          t = f.type;
        }
        return BigInt(off);
      }
      case "cast": {
        const v = c(e.e);
        if (v === undefined) return undefined;
        if (e.type.k === "int") {
          return e.type.signed
            ? BigInt.asIntN(e.type.size * 8, v)
            : BigInt.asUintN(e.type.size * 8, v);
        }
        if (e.type.k === "ptr") return BigInt.asUintN(this.#abi.ptrSize * 8, v);
        return undefined;
      }
      case "un": {
        const v = c(e.e);
        if (v === undefined) return undefined;
        if (e.op === "-") return -v;
        if (e.op === "+") return v;
        if (e.op === "~") return ~v;
        if (e.op === "!") return v === 0n ? 1n : 0n;
        return undefined;
      }
      case "cond": {
        const v = c(e.c);
        if (v === undefined) return undefined;
        return v !== 0n ? c(e.a) : c(e.b);
      }
      case "bin": {
        const a = c(e.l), b = c(e.r);
        if (a === undefined || b === undefined) return undefined;
        switch (e.op) {
          case "+":
            return a + b;
          case "-":
            return a - b;
          case "*":
            return a * b;
          case "/":
            return b === 0n ? undefined : a / b;
          case "%":
            return b === 0n ? undefined : a % b;
          case "<<":
            return a << b;
          case ">>":
            return a >> b;
          case "&":
            return a & b;
          case "|":
            return a | b;
          case "^":
            return a ^ b;
          case "<":
            return a < b ? 1n : 0n;
          case ">":
            return a > b ? 1n : 0n;
          case "<=":
            return a <= b ? 1n : 0n;
          case ">=":
            return a >= b ? 1n : 0n;
          case "==":
            return a === b ? 1n : 0n;
          case "!=":
            return a !== b ? 1n : 0n;
          case "&&":
            return a !== 0n && b !== 0n ? 1n : 0n;
          case "||":
            return a !== 0n || b !== 0n ? 1n : 0n;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

/** The larger of two optional `aligned(N)` values. */
/**
 * Where the items an array element takes from its unsized array's list end, starting at `at`
 * (C11 6.7.9p20, as the interpreter's initializer applies it): a brace list, a scalar's
 * expression or a string for a char array takes one item; an aggregate given something else
 * takes its members' items in order (its braces elided), up to its end or the next designator.
 * An expression that may be a struct's value (a name, a call) counts as one item for a struct.
 */
function elidedEnd(
  type: CType,
  items: readonly { readonly designators: readonly unknown[]; readonly init: Init }[],
  at: number,
  first: boolean,
): number {
  if (!first && items[at].designators.length) return at;
  const init = items[at].init;
  if (init.k === "list" || (type.k !== "array" && type.k !== "struct")) return at + 1;
  const e = init.e;
  if (type.k === "array" && e.k === "str" && type.of.k === "int" && type.of.size === 1) {
    return at + 1;
  }
  if (type.k === "struct" && e.k !== "num" && e.k !== "str") return at + 1;
  const members = type.k === "array"
    ? Array.from({ length: type.n ?? 0 }, () => type.of)
    : (type.fields ?? []).slice(0, type.union ? 1 : undefined).map((f) => f.type);
  let end = at;
  for (const [i, member] of members.entries()) {
    if (end >= items.length || (i > 0 && items[end].designators.length)) break;
    end = elidedEnd(member, items, end, i === 0);
  }
  return Math.max(end, at + 1);
}

function maxAlign(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

interface Spec {
  type: CType;
  storage: "auto" | "static" | "extern" | "typedef";
  /** `register` among the specifiers. */
  register?: boolean;
  /** The string of an `asm("…")` among the attributes, as written (quotes and all). */
  asm?: string;
  /** `const` among the specifiers. */
  isConst?: boolean;
  align?: number;
  packed?: boolean;
  /** `constructor` or `constructor(N)` among the attributes: its priority (gcc's default 65535). */
  initPriority?: number;
  /** `destructor` or `destructor(N)` among the attributes: its priority. */
  finiPriority?: number;
}

/** gcc's priority of a constructor or destructor given none (`DEFAULT_INIT_PRIORITY`). */
const DEFAULT_PRIORITY = 65535;

function hexFloat(s: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (!m) return NaN;
  const int = m[1] || "0", frac = m[2] ?? "";
  const mant = parseInt(int + frac, 16) / 16 ** frac.length;
  return mant * 2 ** Number(m[3] ?? 0);
}

/** Re-exported for the interpreter. */
export type { FunctionType };
