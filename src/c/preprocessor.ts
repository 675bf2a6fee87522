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

import { CSyntaxError } from "./errors.ts";
import { type Token, tokenizeLine } from "./lexer.ts";
import { expand, type Macro } from "./macros.ts";

export type { Macro };

/** The result of preprocessing. */
export interface Preprocessed {
  /** The tokens the parser reads (ending with an `eof` token). */
  readonly tokens: Token[];
  /** Warnings (an `#include` without a name, an unknown header). */
  readonly warnings: string[];
}

/** Headers whose declarations the interpreter provides. */
export const KNOWN_HEADERS = new Set([
  "stdio.h",
  "stdlib.h",
  "string.h",
  "strings.h",
  "stdint.h",
  "inttypes.h",
  "stddef.h",
  "stdbool.h",
  "stdarg.h",
  "assert.h",
  "malloc.h",
  "alloca.h",
  "setjmp.h",
  "unistd.h",
  "pthread.h",
  "sys/mman.h",
  "sys/types.h",
  "sys/syscall.h",
  "sys/random.h",
  "sys/resource.h",
  "sys/wait.h",
  "sys/stat.h",
  "limits.h",
  "errno.h",
  "signal.h",
  "fcntl.h",
  "ctype.h",
  "time.h",
  "dlfcn.h",
  "stdalign.h",
  "stdnoreturn.h",
]);

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

/**
 * Preprocesses a translation unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preprocess } from "./preprocessor.ts";
 * const { tokens } = preprocess("#define TWICE(x) ((x) * 2)\nint y = TWICE(3);", "prog.c", new Map());
 * assert.equal(tokens.map((t) => t.v).join(" "), "int y = ( ( 3 ) * 2 ) ; "); // the last token is the end of input
 * ```
 */
export function preprocess(
  source: string,
  file: string,
  predefined: ReadonlyMap<string, Macro>,
): Preprocessed {
  const macros = new Map<string, Macro>(predefined);
  const warnings: string[] = [];
  const tokens: Token[] = [];
  let pending: Token[] = [];
  // Conditional stack: each entry says whether the current group is taken, whether any group
  // of this #if was taken, and whether the enclosing group is live.
  const conds: { taking: boolean; done: boolean; outer: boolean }[] = [];
  const live = () => conds.length === 0 || (conds[conds.length - 1].taking);
  const flush = () => {
    // (one token at a time: a spread of a line's 100,000 tokens is past JavaScript's arguments)
    if (pending.length) { for (const t of expand(pending, macros, file)) tokens.push(t); }
    pending = [];
  };
  for (const { text, line } of logicalLines(source, file)) {
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
          conds.push({ taking: outer && cond, done: outer && cond, outer });
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
            case "import": {
              const name = includeName(trimmed);
              if (name === "") {
                warnings.push(`${file}:${line}: #${dir} without a header name (accepted)`);
              } else if (!KNOWN_HEADERS.has(name)) {
                warnings.push(`${file}:${line}: header <${name}> is not modelled (accepted)`);
              }
              break;
            }
            case "error":
              throw new CSyntaxError(
                `#error ${rest.map((t) => t.v).join(" ")}`,
                file,
                line,
                at.col,
                "error",
              );
            case "pragma":
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
  if (conds.length) {
    throw new CSyntaxError("unterminated #if", file, tokens.at(-1)?.line ?? 1, 1, "");
  }
  const last = tokens.at(-1);
  tokens.push({ k: "eof", v: "", line: last?.line ?? 1, col: (last?.col ?? 0) + 1, ws: false });
  return { tokens, warnings };
}

function includeName(directive: string): string {
  const m = /^#\s*(?:include|import)\s*(?:<([^>]*)>|"([^"]*)")?/.exec(directive);
  return (m?.[1] ?? m?.[2] ?? "").trim();
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
