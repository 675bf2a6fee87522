/**
 * C tokens (C11 6.4): identifiers, numbers, character and string literals, punctuators. The
 * lexer works on one logical line at a time (the preprocessor has removed comments and joined
 * continued lines), and records for each token its line and column in the original text and
 * whether white space came before it (the preprocessor's `#` operator needs that).
 *
 * @module
 */

import { CSyntaxError } from "./errors.ts";

/** Kind of a token. */
export type TokenKind = "id" | "num" | "str" | "char" | "punct" | "eof";

/** One token. */
export interface Token {
  /** Kind. */
  readonly k: TokenKind;
  /** Text as written (a literal with its quotes and prefix). */
  readonly v: string;
  /** 1-based line in the source. */
  line: number;
  /** 1-based column. */
  col: number;
  /** White space came before it. */
  ws: boolean;
  /** Macros whose expansion produced it (they are not expanded again inside). */
  hide?: ReadonlySet<string>;
  /** An identifier that must not be expanded (a disabled macro name, C11 6.10.3.4p2). */
  noExpand?: boolean;
}

const PUNCTS = [
  "...",
  "<<=",
  ">>=",
  "->",
  "++",
  "--",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
  "*=",
  "/=",
  "%=",
  "+=",
  "-=",
  "&=",
  "^=",
  "|=",
  "##",
];
const SINGLE = "[](){}.&*+-~!/%<>^|?:;=,#";

function isIdStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === "$" ||
    c > "\x7f";
}

function isIdPart(c: string): boolean {
  return isIdStart(c) || (c >= "0" && c <= "9");
}

/**
 * Splits one logical line into tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizeLine } from "./lexer.ts";
 * assert.deepEqual(tokenizeLine("x += 0x10;", 1, 1, "prog.c").map((t) => t.v), [
 *   "x",
 *   "+=",
 *   "0x10",
 *   ";",
 * ]);
 * ```
 */
export function tokenizeLine(text: string, line: number, col0: number, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let ws = false;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\n") {
      ws = true;
      i++;
      continue;
    }
    const start = i;
    let k: TokenKind;
    if (
      (c === "L" || c === "u" || c === "U") && (text[i + 1] === '"' || text[i + 1] === "'")
    ) {
      i++;
      k = text[i] === '"' ? "str" : "char";
      i = skipQuoted(text, i, line, col0, file);
    } else if (c === "u" && text[i + 1] === "8" && text[i + 2] === '"') {
      i += 2;
      k = "str";
      i = skipQuoted(text, i, line, col0, file);
    } else if (isIdStart(c)) {
      while (i < n && isIdPart(text[i])) i++;
      k = "id";
    } else if ((c >= "0" && c <= "9") || (c === "." && text[i + 1] >= "0" && text[i + 1] <= "9")) {
      // pp-number: digits, letters, dots, and signs after an exponent letter.
      i++;
      while (i < n) {
        const d = text[i];
        if ((d === "+" || d === "-") && "eEpP".includes(text[i - 1])) i++;
        else if (isIdPart(d) || d === ".") i++;
        else break;
      }
      k = "num";
    } else if (c === '"' || c === "'") {
      k = c === '"' ? "str" : "char";
      i = skipQuoted(text, i, line, col0, file);
    } else {
      const p = PUNCTS.find((p) => text.startsWith(p, i));
      if (p) i += p.length;
      else if (SINGLE.includes(c)) i++;
      else {
        throw new CSyntaxError("stray character in program", file, line, col0 + i, c);
      }
      k = "punct";
    }
    out.push({ k, v: text.slice(start, i), line, col: col0 + start, ws });
    ws = false;
  }
  return out;
}

function skipQuoted(text: string, i: number, line: number, col0: number, file: string): number {
  const q = text[i];
  const start = i;
  i++;
  while (i < text.length && text[i] !== q) {
    if (text[i] === "\\") i++;
    i++;
  }
  if (i >= text.length) {
    throw new CSyntaxError(
      q === '"' ? 'missing terminating " character' : "missing terminating ' character",
      file,
      line,
      col0 + start,
      text.slice(start),
    );
  }
  return i + 1;
}

/**
 * The bytes of a string or character literal's body (escape sequences decoded, UTF-8 for
 * characters beyond ASCII).
 */
export function literalBytes(body: string): number[] {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      const code = c.charCodeAt(0);
      if (code < 0x80) out.push(code);
      else {
        // Keep surrogate pairs together.
        const cp = body.codePointAt(i)!;
        if (cp > 0xffff) i++;
        out.push(...enc.encode(String.fromCodePoint(cp)));
      }
      continue;
    }
    i++;
    const e = body[i];
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      "0": 0,
      a: 7,
      b: 8,
      f: 12,
      v: 11,
      e: 27,
      "\\": 92,
      "'": 39,
      '"': 34,
      "?": 63,
    };
    if (e === "x") {
      let j = i + 1, v = 0;
      while (j < body.length && /[0-9a-fA-F]/.test(body[j])) v = v * 16 + parseInt(body[j++], 16);
      out.push(v & 0xff);
      i = j - 1;
    } else if (e >= "0" && e <= "7") {
      let j = i, v = 0;
      while (j < body.length && j < i + 3 && body[j] >= "0" && body[j] <= "7") {
        v = v * 8 + (body.charCodeAt(j++) - 48);
      }
      out.push(v & 0xff);
      i = j - 1;
    } else if (e in simple) out.push(simple[e]);
    else out.push(e.charCodeAt(0));
  }
  return out;
}
