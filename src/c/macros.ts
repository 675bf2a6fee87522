/**
 * Macro expansion of the C preprocessor (C11 6.10.3): object- and function-like macros, `#`
 * stringizing, `##` pasting (with GNU's `, ## __VA_ARGS__`), `__LINE__` and `__FILE__`.
 * Expansion follows C's rescanning rule with per-token hide sets: a macro's name is not expanded
 * again inside its own expansion. The directives that define the macros are `preprocessor.ts`.
 *
 * @module
 */

import { CSyntaxError, CUnsupportedError } from "./errors.ts";
import { type Token, tokenizeLine } from "./lexer.ts";

/** A macro definition. */
export interface Macro {
  /** Parameter names of a function-like macro (undefined: object-like). */
  readonly params?: readonly string[];
  /** The last parameter is `...`. */
  readonly variadic?: boolean;
  /** Replacement list. */
  readonly body: readonly Token[];
}

function withHide(t: Token, hide: ReadonlySet<string>, line: number, col: number): Token {
  return { ...t, hide, line, col };
}

function stringify(arg: Token[], at: Token): Token {
  let s = "";
  arg.forEach((t, i) => {
    if (i > 0 && t.ws) s += " ";
    s += t.k === "str" || t.k === "char" ? t.v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') : t.v;
  });
  return { k: "str", v: `"${s}"`, line: at.line, col: at.col, ws: at.ws };
}

/**
 * The most tokens the expansion of one line may scan, collect as arguments or substitute: macros
 * nested thousands deep make that quadratic (gcc's too takes tens of seconds on them), and are
 * refused past it by name rather than left to run for minutes.
 */
export const EXPANSION_BUDGET = 20_000_000;

/** Expands the macros of a token list (C11 6.10.3). */
export function expand(
  input: Token[],
  macros: ReadonlyMap<string, Macro>,
  file: string,
  budget: { left: number } = { left: EXPANSION_BUDGET },
): Token[] {
  const out: Token[] = [];
  let toks = input.slice();
  let i = 0;
  const spend = (n: number, at: Token) => {
    if ((budget.left -= n) >= 0) return;
    const what = `macro expansion past ${EXPANSION_BUDGET} tokens on one line`;
    throw new CUnsupportedError(what, file, at.line);
  };
  while (i < toks.length) {
    const t = toks[i];
    spend(1, t);
    if (t.k !== "id" || t.noExpand) {
      out.push(t);
      i++;
      continue;
    }
    if (t.v === "__LINE__") {
      out.push({ ...t, k: "num", v: String(t.line) });
      i++;
      continue;
    }
    if (t.v === "__FILE__") {
      out.push({ ...t, k: "str", v: JSON.stringify(file) });
      i++;
      continue;
    }
    const m = macros.get(t.v);
    if (!m) {
      out.push(t);
      i++;
      continue;
    }
    if (t.hide?.has(t.v)) {
      out.push({ ...t, noExpand: true });
      i++;
      continue;
    }
    const hide = new Set(t.hide ?? []);
    hide.add(t.v);
    if (!m.params) {
      const body = m.body.map((b, k) => withHide(b, hide, t.line, t.col + (k === 0 ? 0 : 1)));
      if (body[0]) body[0] = { ...body[0], ws: t.ws };
      toks = replaced(toks, i, 1, body);
      continue;
    }
    // Function-like: needs a '(' next.
    if (toks[i + 1]?.v !== "(") {
      out.push(t);
      i++;
      continue;
    }
    const args: Token[][] = [[]];
    let depth = 0;
    let j = i + 2;
    for (; j < toks.length; j++) {
      const a = toks[j];
      if (a.v === "(" && a.k === "punct") depth++;
      else if (a.v === ")" && a.k === "punct") {
        if (depth === 0) break;
        depth--;
      } else if (a.v === "," && a.k === "punct" && depth === 0) {
        if (!(m.variadic && args.length === m.params.length)) {
          args.push([]);
          continue;
        }
      }
      args[args.length - 1].push(a);
    }
    spend(j - i, t);
    if (j >= toks.length) {
      throw new CSyntaxError(
        `unterminated argument list invoking macro "${t.v}"`,
        file,
        t.line,
        t.col,
        t.v,
      );
    }
    if (m.params.length === 0 && args.length === 1 && args[0].length === 0) args.length = 0;
    if (m.variadic && args.length === m.params.length - 1) args.push([]);
    if (args.length !== m.params.length) {
      throw new CSyntaxError(
        `macro "${t.v}" passed ${args.length} arguments, but takes ${m.params.length}`,
        file,
        t.line,
        t.col,
        t.v,
      );
    }
    const body = substitute(m, args, macros, file, t, budget);
    spend(body.length, t);
    const rhide = toks[j].hide;
    const h2 = new Set(hide);
    if (rhide) { for (const x of rhide) h2.add(x); }
    // (only the hide set of an identifier, or of a ')' that may end an invocation, matters: other
    // tokens keep theirs, and the union is made once per hide set the body's tokens bring)
    const unions = new Map<ReadonlySet<string> | undefined, ReadonlySet<string>>();
    const union = (from: ReadonlySet<string> | undefined) => {
      let u = unions.get(from);
      if (!u) unions.set(from, u = from ? new Set([...from, ...h2]) : h2);
      return u;
    };
    const marked = body.map((b) =>
      withHide(b, b.k === "id" || b.v === ")" ? union(b.hide) : b.hide ?? h2, t.line, t.col)
    );
    if (marked[0]) marked[0] = { ...marked[0], ws: t.ws };
    toks = replaced(toks, i, j - i + 1, marked);
  }
  return out;
}

/** `toks` with `count` tokens from `at` replaced by `by` (a long `by` past a spread's limit). */
function replaced(toks: Token[], at: number, count: number, by: Token[]): Token[] {
  if (by.length < 0x4000) {
    toks.splice(at, count, ...by);
    return toks;
  }
  return [...toks.slice(0, at), ...by, ...toks.slice(at + count)];
}

function substitute(
  m: Macro,
  args: Token[][],
  macros: ReadonlyMap<string, Macro>,
  file: string,
  at: Token,
  budget: { left: number },
): Token[] {
  const params = m.params!;
  const out: Token[] = [];
  const body = m.body;
  const argIndex = (t: Token | undefined) => (t && t.k === "id" ? params.indexOf(t.v) : -1);
  const expandedArgs = new Map<number, Token[]>();
  const expandedArg = (k: number) => {
    let e = expandedArgs.get(k);
    if (!e) expandedArgs.set(k, e = expand(args[k], macros, file, budget));
    return e;
  };
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (t.v === "#" && argIndex(body[i + 1]) >= 0) {
      out.push({ ...stringify(args[argIndex(body[i + 1])], at), ws: t.ws });
      i++;
      continue;
    }
    if (t.v === "##" && out.length > 0 && body[i + 1]) {
      const next = body[i + 1];
      const k = argIndex(next);
      const rhs = k >= 0 ? args[k] : [next];
      i++;
      // GNU: , ## __VA_ARGS__ drops the comma when the arguments are empty.
      if (rhs.length === 0) {
        if (out[out.length - 1].v === "," && next.v === "__VA_ARGS__") out.pop();
        continue;
      }
      const left = out.pop()!;
      const pasted = tokenizeLine(left.v + rhs[0].v, at.line, at.col, file);
      if (pasted.length !== 1) {
        throw new CSyntaxError(
          `pasting "${left.v}" and "${rhs[0].v}" does not give a valid token`,
          file,
          at.line,
          at.col,
          "##",
        );
      }
      out.push({ ...pasted[0], ws: left.ws }, ...rhs.slice(1));
      continue;
    }
    const k = argIndex(t);
    if (k >= 0) {
      const pasteNext = body[i + 1]?.v === "##";
      const arg = pasteNext ? args[k] : expandedArg(k);
      arg.forEach((a, n) => out.push(n === 0 ? { ...a, ws: t.ws } : a));
      continue;
    }
    out.push(t);
  }
  return out;
}
