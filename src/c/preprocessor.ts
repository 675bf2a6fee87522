/**
 * The C preprocessor (C11 6.10) as heap-exploitation programs use it: comments, continued
 * lines, object- and function-like `#define` (with `#`, `##` and `__VA_ARGS__`), `#undef`,
 * `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`, `#include` of the libc and POSIX headers
 * (their declarations are built in, see `headers.ts`) and GCC's `#import` (an `#include` that
 * includes a header once, which all built-in headers are), `#pragma`, `#error`, `#warning`,
 * `#line` ignored. An `#include` whose name is missing — the seed document's HTML lost `<stdio.h>` and
 * friends — is accepted with a warning, as is a header the interpreter does not know.
 *
 * Macro expansion itself is `macros.ts`.
 *
 * @module
 */

import { CSyntaxError, CUnsupportedError } from "./errors.ts";
import {
  CMissingHeaderError,
  findInclude,
  headerTable,
  MAX_INCLUDE_DEPTH,
  normalizePath,
} from "./include_search.ts";
import { type Token, tokenizeLine } from "./lexer.ts";
import { expand, type Macro } from "./macros.ts";
import { FILE_LINES, SourceFiles } from "./source_locations.ts";

export type { Macro };
export { KNOWN_HEADERS } from "./include_search.ts";

/** The result of preprocessing. */
export interface Preprocessed {
  /** The tokens the parser reads (ending with an `eof` token). */
  readonly tokens: Token[];
  /** Warnings (an `#include` without a name, an unknown header). */
  readonly warnings: string[];
  /** The files the tokens' locations name: the program's own first, then its headers. */
  readonly files: SourceFiles;
}

/** Parses `#define` text into a macro (for predefined macros). */
export function defineFromText(text: string): [string, Macro] {
  const toks = tokenizeLine(text, 0, 1, "<built-in>");
  return parseDefine(toks, "<built-in>");
}

function parseDefine(toks: Token[], file: string): [string, Macro] {
  const name = toks[0];
  if (!name || name.k !== "id") {
    const t = name ?? { line: 0, col: 0, v: "" };
    throw new CSyntaxError("macro names must be identifiers", file, t.line, t.col, t.v);
  }
  if (toks[1]?.v === "(" && !toks[1].ws) {
    const params: string[] = [];
    let variadic = false;
    let i = 2;
    while (i < toks.length && toks[i].v !== ")") {
      const t = toks[i];
      if (t.v === "...") {
        variadic = true;
        params.push("__VA_ARGS__");
      } else if (t.k === "id") params.push(t.v);
      else if (t.v !== ",") {
        throw new CSyntaxError("expected parameter name", file, t.line, t.col, t.v);
      }
      i++;
    }
    if (i >= toks.length) {
      throw new CSyntaxError("missing ')' in macro parameter list", file, name.line, name.col, "");
    }
    return [name.v, { params, variadic, body: toks.slice(i + 1) }];
  }
  return [name.v, { body: toks.slice(1) }];
}

/** One logical line: text, line number, column of its first character. */
interface LogicalLine {
  text: string;
  line: number;
}

/** Removes comments (keeping newlines) and joins continued lines into logical lines. */
function logicalLines(source: string, file: string): LogicalLine[] {
  // Pass 1: comments become a space; newlines inside block comments stay.
  let out = "";
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) {
        const line = source.slice(0, i).split("\n").length;
        throw new CSyntaxError("unterminated comment", file, line, 1, "/*");
      }
      const body = source.slice(i, end + 2);
      out += " " + body.replace(/[^\n]/g, "").replace(/\n/g, "\n");
      i = end + 2;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") {
        // A // comment continues over a backslash-newline.
        if (source[i] === "\\" && source[i + 1] === "\n") {
          out += "\\\n";
          i += 2;
          continue;
        }
        i++;
      }
    } else if (c === '"' || c === "'") {
      const q = c;
      out += c;
      i++;
      while (i < n && source[i] !== q && source[i] !== "\n") {
        if (source[i] === "\\" && i + 1 < n) {
          out += source[i] + source[i + 1];
          i += 2;
          continue;
        }
        out += source[i++];
      }
      if (i < n && source[i] === q) out += source[i++];
    } else {
      out += c;
      i++;
    }
  }
  const physical = out.split("\n");
  const lines: LogicalLine[] = [];
  for (let k = 0; k < physical.length; k++) {
    let text = physical[k];
    const line = k + 1;
    while (text.endsWith("\\") && k + 1 < physical.length) {
      text = text.slice(0, -1) + physical[++k];
    }
    lines.push({ text, line });
  }
  return lines;
}

/** Options of {@link preprocess}. */
export interface PreprocessOptions {
  /**
   * The program's own headers, path (relative to the program's directory) → text, for its
   * quoted `#include`s (`include_search.ts`).
   */
  headers?: Readonly<Record<string, string>>;
}

/** What the files of one translation unit share while it is preprocessed. */
interface Unit {
  readonly macros: Map<string, Macro>;
  readonly warnings: string[];
  readonly tokens: Token[];
  readonly files: SourceFiles;
  readonly own: ReadonlyMap<string, string>;
  /** The headers read whole once (`#pragma once`, `#import`), by normalized path. */
  readonly once: Set<string>;
}

/**
 * Preprocesses a translation unit: `source` (named `file`) and the headers it includes. A
 * token's `line` is its location (`source_locations.ts`): in `file`, its line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preprocess } from "./preprocessor.ts";
 * const { tokens } = preprocess("#define TWICE(x) ((x) * 2)\nint y = TWICE(3);", "prog.c", new Map());
 * assert.equal(tokens.map((t) => t.v).join(" "), "int y = ( ( 3 ) * 2 ) ; "); // the last token is the end of input
 * const withHeader = preprocess('#include "two.h"\nint y = TWO;', "prog.c", new Map(), {
 *   headers: { "two.h": "#pragma once\n#define TWO 2" },
 * });
 * assert.equal(withHeader.tokens.map((t) => t.v).join(" "), "int y = 2 ; ");
 * ```
 */
export function preprocess(
  source: string,
  file: string,
  predefined: ReadonlyMap<string, Macro>,
  options: PreprocessOptions = {},
): Preprocessed {
  const unit: Unit = {
    macros: new Map<string, Macro>(predefined),
    warnings: [],
    tokens: [],
    files: new SourceFiles(file),
    own: headerTable(options.headers),
    once: new Set(),
  };
  preprocessFile(source, file, 0, unit);
  const { tokens, warnings, files } = unit;
  const last = tokens.at(-1);
  tokens.push({ k: "eof", v: "", line: last?.line ?? 1, col: (last?.col ?? 0) + 1, ws: false });
  return { tokens, warnings, files };
}

/** One file of the unit (`depth`: how many `#include`s deep), its tokens added to the unit's. */
function preprocessFile(source: string, file: string, depth: number, unit: Unit): void {
  const { macros, tokens } = unit;
  const base = unit.files.base(file);
  let pending: Token[] = [];
  // Conditional stack: each entry says whether the current group is taken, whether any group
  // of this #if was taken, and whether the enclosing group is live.
  // (and where it began: an #if left open at the end of its file is an error there, as gcc's)
  const conds: { taking: boolean; done: boolean; outer: boolean; dir: string; line: number }[] = [];
  const live = () => conds.length === 0 || (conds[conds.length - 1].taking);
  const flush = () => {
    // (one token at a time: a spread of a line's 100,000 tokens is past JavaScript's arguments)
    if (pending.length) {
      for (const t of expand(pending, macros, file)) {
        tokens.push(base ? { ...t, line: base + t.line } : t);
      }
    }
    pending = [];
  };
  const lines = logicalLines(source, file);
  if (base && lines.length >= FILE_LINES) {
    throw new CUnsupportedError(`a header of ${FILE_LINES} lines or more`, file, FILE_LINES);
  }
  for (const { text, line } of lines) {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("#")) {
      flush();
      const col0 = text.length - trimmed.length + 1;
      const toks = tokenizeLine(
        trimmed.slice(1),
        line,
        col0 + 1,
        file,
      );
      const dir = toks[0]?.v ?? "";
      const rest = toks.slice(1);
      const at = toks[0] ?? { line, col: col0, v: "#" };
      switch (dir) {
        case "if":
        case "ifdef":
        case "ifndef": {
          const outer = live();
          let cond = false;
          if (outer) {
            if (dir === "if") cond = evalCondition(rest, macros, file, at);
            else {
              if (!rest[0] || rest[0].k !== "id") {
                throw new CSyntaxError(`no macro name given in #${dir}`, file, line, at.col, "");
              }
              cond = macros.has(rest[0].v) === (dir === "ifdef");
            }
          }
          conds.push({ taking: outer && cond, done: outer && cond, outer, dir, line });
          break;
        }
        case "elif": {
          const c = conds[conds.length - 1];
          if (!c) throw new CSyntaxError("#elif without #if", file, line, at.col, "elif");
          if (c.outer && !c.done && evalCondition(rest, macros, file, at)) {
            c.taking = true;
            c.done = true;
          } else c.taking = false;
          break;
        }
        case "else": {
          const c = conds[conds.length - 1];
          if (!c) throw new CSyntaxError("#else without #if", file, line, at.col, "else");
          c.taking = c.outer && !c.done;
          c.done = true;
          break;
        }
        case "endif":
          if (!conds.pop()) {
            throw new CSyntaxError("#endif without #if", file, line, at.col, "endif");
          }
          break;
        default:
          if (!live()) break;
          switch (dir) {
            case "define": {
              const [name, m] = parseDefine(rest, file);
              macros.set(name, m);
              break;
            }
            case "undef":
              if (rest[0]) macros.delete(rest[0].v);
              break;
            case "include":
            case "import":
              include(trimmed, { file, line, col: (rest[0] ?? at).col }, depth, unit);
              break;
            case "error":
              throw new CSyntaxError(
                `#error ${rest.map((t) => t.v).join(" ")}`,
                file,
                line,
                at.col,
                "error",
              );
            case "pragma":
              if (rest[0]?.v === "once" && depth > 0) unit.once.add(normalizePath(file));
              break;
            case "warning":
            case "line":
            case "ident":
            case "":
              break;
            default:
              throw new CSyntaxError("invalid preprocessing directive", file, line, at.col, dir);
          }
      }
      continue;
    }
    if (!live()) continue;
    for (const t of tokenizeLine(text, line, 1, file)) pending.push(t);
  }
  flush();
  const open = conds.at(-1);
  if (open) throw new CSyntaxError(`unterminated #${open.dir}`, file, open.line, 1, "");
}

/**
 * An `#include` (or `#import`, which reads a header once) at `where`: a header of the program is
 * preprocessed here, a built-in one adds nothing (its declarations are always there); a name
 * found nowhere stops as gcc does (`include_search.ts`).
 */
function include(
  directive: string,
  where: { file: string; line: number; col: number },
  depth: number,
  unit: Unit,
): void {
  const m = /^#\s*(include|import)\s*(?:<([^>]*)>|"([^"]*)")?/.exec(directive)!;
  const [, dir, bracketed, quoted] = m;
  const name = (bracketed ?? quoted ?? "").trim();
  const { file, line, col } = where;
  if (name === "") {
    unit.warnings.push(`${file}:${line}: #${dir} without a header name (accepted)`);
    return;
  }
  const found = findInclude(name, quoted !== undefined, file, unit.own);
  switch (found.k) {
    case "system":
      return;
    case "unmodelled":
      unit.warnings.push(
        `${file}:${line}: header <${name}> is not modelled: accepted as a system header ` +
          `heaplab cannot see (gcc stops with "fatal error: ${name}: No such file or ` +
          `directory" where it is not installed); its functions fail by name when called`,
      );
      return;
    case "missing":
      throw new CMissingHeaderError(name, file, line, col);
  }
  if (unit.once.has(found.key)) return;
  if (dir === "import") unit.once.add(found.key);
  if (depth + 1 >= MAX_INCLUDE_DEPTH) {
    // (gcc's words, and the header: a cycle of headers without guards ends here)
    const what = `#include nested depth ${MAX_INCLUDE_DEPTH} exceeds maximum of ` +
      `${MAX_INCLUDE_DEPTH} at '${name}'`;
    throw new CSyntaxError(what, file, line, col, name);
  }
  preprocessFile(found.text, found.path, depth + 1, unit);
}

/** Evaluates a `#if` expression. */
function evalCondition(
  toks: Token[],
  macros: Map<string, Macro>,
  file: string,
  at: Token | { line: number; col: number; v: string },
): boolean {
  // `defined X` and `defined(X)` first, then expansion; identifiers left are 0.
  const pre: Token[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.v === "defined") {
      let name: Token | undefined;
      if (toks[i + 1]?.v === "(") {
        name = toks[i + 2];
        i += 3;
      } else name = toks[++i];
      pre.push({ ...t, k: "num", v: name && macros.has(name.v) ? "1" : "0" });
    } else pre.push(t);
  }
  const expanded = expand(pre, macros, file);
  let i = 0;
  const peek = () => expanded[i]?.v ?? "";
  const fail = (): never => {
    const t = expanded[i] ?? at;
    throw new CSyntaxError("invalid #if expression", file, t.line, t.col, t.v);
  };
  const primary = (): bigint => {
    const t = expanded[i++];
    if (!t) return fail();
    if (t.v === "(") {
      const v = ternary();
      if (expanded[i++]?.v !== ")") fail();
      return v;
    }
    if (t.v === "!") return primary() === 0n ? 1n : 0n;
    if (t.v === "-") return -primary();
    if (t.v === "+") return primary();
    if (t.v === "~") return ~primary();
    if (t.k === "num") return BigInt(t.v.replace(/[uUlL]+$/, ""));
    if (t.k === "char") return BigInt(t.v.charCodeAt(1));
    if (t.k === "id") return 0n;
    return fail();
  };
  const levels: string[][] = [
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
  const binary = (level: number): bigint => {
    if (level === levels.length) return primary();
    let v = binary(level + 1);
    while (levels[level].includes(peek())) {
      const op = expanded[i++].v;
      const r = binary(level + 1);
      switch (op) {
        case "||":
          v = v !== 0n || r !== 0n ? 1n : 0n;
          break;
        case "&&":
          v = v !== 0n && r !== 0n ? 1n : 0n;
          break;
        case "|":
          v |= r;
          break;
        case "^":
          v ^= r;
          break;
        case "&":
          v &= r;
          break;
        case "==":
          v = v === r ? 1n : 0n;
          break;
        case "!=":
          v = v !== r ? 1n : 0n;
          break;
        case "<":
          v = v < r ? 1n : 0n;
          break;
        case ">":
          v = v > r ? 1n : 0n;
          break;
        case "<=":
          v = v <= r ? 1n : 0n;
          break;
        case ">=":
          v = v >= r ? 1n : 0n;
          break;
        case "<<":
          v <<= r;
          break;
        case ">>":
          v >>= r;
          break;
        case "+":
          v += r;
          break;
        case "-":
          v -= r;
          break;
        case "*":
          v *= r;
          break;
        case "/":
          v = r === 0n ? fail() : v / r;
          break;
        case "%":
          v = r === 0n ? fail() : v % r;
          break;
      }
    }
    return v;
  };
  const ternary = (): bigint => {
    const c = binary(0);
    if (peek() !== "?") return c;
    i++;
    const a = ternary();
    if (expanded[i++]?.v !== ":") fail();
    const b = ternary();
    return c !== 0n ? a : b;
  };
  const v = ternary();
  if (i !== expanded.length) fail();
  return v !== 0n;
}
