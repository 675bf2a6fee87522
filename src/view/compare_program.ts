/**
 * A program written as lines of C-like statements (`a = malloc(24)`, `free(a)`,
 * `*(a + 8) = 0`, `a == b`, `for i in 0..6: free(p{i})`), run as a scenario on several glibc
 * versions: a small interpreter of exactly these statements, for notebooks.
 *
 * @module
 */

import {
  compareScenario,
  type ScenarioContext,
  type ScenarioStep,
  valueText,
} from "./compare_scenario.ts";
import { textArgument } from "./options.ts";
import {
  checkCompareOptions,
  type CompareOptions,
  type VersionComparison,
} from "./version_comparison.ts";

/** A program line's statement: an assignment from an allocator call, a free, a write, a value. */
const CALL = /^(\w+)\s*=\s*(malloc|calloc|realloc|memalign)\((.*)\)$/;
const FREE = /^free\((.*)\)$/;
const WRITE = /^\*\((.*)\)\s*=\s*(.+)$/;
const LOOP = /^for\s+(\w+)\s+in\s+(\d+)\.\.(\d+):\s*(.+)$/;

/** Splits call arguments at top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((a) => a.trim()).filter((a) => a !== "");
}

/** Evaluates `a + b - 0x10`, names, `main_arena`, `top` (main_arena's top chunk), `x == y`. */
function evaluate(text: string, c: ScenarioContext): number {
  const eq = text.split("==");
  if (eq.length === 2) return evaluate(eq[0], c) === evaluate(eq[1], c) ? 1 : 0;
  const tokens = text.replace(/\s+/g, "").match(/[+-]|[^+-]+/g) ?? [];
  let total = 0, sign = 1;
  for (const t of tokens) {
    if (t === "+" || t === "-") {
      sign = t === "-" ? -sign : sign;
      continue;
    }
    let value: number;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) value = Number(t);
    else if (t === "main_arena" || t === "&main_arena") value = c.heap.mainArena;
    else if (t === "top") value = c.heap.arenas()[0]?.top ?? 0;
    else if (t in c.ptr) value = c.ptr[t];
    else throw new SyntaxError(`Unknown name in a program line: ${t}`);
    total += sign * value;
    sign = 1;
  }
  return total;
}

/** Runs one statement; returns what it shows. */
function runStatement(line: string, c: ScenarioContext): string {
  const loop = LOOP.exec(line);
  if (loop) {
    const [, name, from, to, body] = loop;
    const shown: string[] = [];
    for (let i = Number(from); i <= Number(to); i++) {
      shown.push(runStatement(body.replaceAll(`{${name}}`, String(i)), c));
    }
    if (shown.every((s) => s === "ok")) return "ok";
    return shown.length <= 3
      ? shown.join(", ")
      : `${shown[0]}, ${shown[1]}, …, ${shown[shown.length - 1]} (${shown.length})`;
  }
  const call = CALL.exec(line);
  if (call) {
    const [, name, fn, argText] = call;
    const args = splitArgs(argText).map((a) => evaluate(a, c));
    const h = c.heap;
    const value = fn === "malloc"
      ? h.malloc(args[0])
      : fn === "calloc"
      ? h.calloc(args[0], args[1])
      : fn === "realloc"
      ? h.realloc(args[0], args[1])
      : h.memalign(args[0], args[1]);
    c.ptr[name] = value;
    return valueText(h, value);
  }
  const free = FREE.exec(line);
  if (free) {
    c.heap.free(evaluate(free[1], c));
    return "ok";
  }
  const write = WRITE.exec(line);
  if (write) {
    const address = evaluate(write[1], c), value = evaluate(write[2], c);
    if (c.heap.profile.sizeSz === 8) c.process.memory.write64(address, value);
    else c.process.memory.write32(address, value >>> 0);
    return "ok";
  }
  if (line.includes("==")) return evaluate(line, c) ? "true" : "false";
  return valueText(c.heap, evaluate(line, c));
}

/**
 * Runs a program written as lines of C on each version (see {@linkcode compareScenario}): one
 * statement a line, `//` comments. Statements: `p = malloc(n)` (also `calloc`, `realloc`,
 * `memalign`), `free(p)`, `*(p + 24) = -1` (writes a word), an expression to show (`p`, `a == b`),
 * and `for i in 0..6: free(p{i})`. Expressions add and subtract numbers, names, `main_arena` and
 * `top` (main_arena's top chunk).
 *
 * @example
 * ```ts
 * import { compareProgram } from "./compare_program.ts";
 * import assert from "node:assert/strict";
 *
 * const c = compareProgram(`
 *   a = malloc(24)
 *   free(a)
 *   free(a)          // double free
 *   b = malloc(24)
 *   c = malloc(24)
 *   b == c`, { versions: ["2.27", "2.31"] });
 * assert.equal(c.rows[5].results["2.27"], "true"); // the same chunk, twice
 * assert.equal(c.outcome("2.31").message, "free(): double free detected in tcache 2");
 * ```
 *
 * @param source The program.
 * @param options Versions, architecture, caption.
 * @returns The comparison.
 */
export function compareProgram(source: string, options: CompareOptions = {}): VersionComparison {
  textArgument("source", source, "program text");
  checkCompareOptions(options);
  const steps: ScenarioStep[] = source.split("\n")
    .map((l) => l.replace(/\/\/.*$/, "").trim())
    .filter((l) => l !== "")
    .map((line) => ({ label: line, run: (c: ScenarioContext) => runStatement(line, c) }));
  return compareScenario(steps, options);
}
