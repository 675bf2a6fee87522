/**
 * One program on several glibc versions, side by side: a row per trace line (or per step of a
 * scripted scenario) with what each version returned, the rows where versions disagree marked,
 * and — the point of most such comparisons — which versions abort, where, and with which of
 * glibc's messages (`free(): double free detected in tcache 2`, `malloc(): corrupted top size`).
 *
 * Traces run through `replayTrace` with heaplab's allocator; scenarios are functions of an
 * allocator, for steps a trace cannot say (freeing twice, writing into a chunk, as an exploit
 * does), and {@linkcode compareProgram} writes such a scenario as lines of C.
 *
 * @module
 */

import { Process } from "../kernel/process.ts";
import { Allocator } from "../malloc/allocator.ts";
import { COMPARED_VERSIONS } from "../malloc/profile.ts";
import { replayTrace } from "../trace/replay.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable, hex } from "./format.ts";
import { type HtmlCell, type HtmlRow, htmlTable } from "./html.ts";

/** How one version's run ended. */
export interface VersionOutcome {
  /** glibc version. */
  readonly glibc: string;
  /** Exit status: 0, 134 after an abort (SIGABRT), 139 after a fault (SIGSEGV). */
  readonly status: number;
  /** The signal, if the run did not finish. */
  readonly signal?: string;
  /** glibc's message (or the fault), if the run did not finish. */
  readonly message?: string;
  /** The row (0-based) where it stopped, if it did. */
  readonly stoppedAt?: number;
}

/** One line of the trace (or step of the scenario) on every version. */
export interface ComparedRow {
  /** The trace line number or step number (1-based). */
  readonly line: number;
  /** The trace line or the step's label. */
  readonly source: string;
  /** What each version printed for it, by version; undefined where the run had stopped. */
  readonly results: Readonly<Record<string, string | undefined>>;
  /** Not every version printed the same. */
  readonly differs: boolean;
}

/** What Deno's Jupyter kernel shows for a {@linkcode VersionComparison}. */
export interface VersionComparisonBundle {
  /** The table. */
  "text/html": string;
  /** The table as text. */
  "text/plain": string;
}

/**
 * A program's results on several glibc versions. Build it with {@linkcode compareTrace} or
 * {@linkcode compareScenario}.
 *
 * @example
 * ```ts
 * import { compareTrace } from "./compare_view.ts";
 * import assert from "node:assert/strict";
 *
 * // glibc up to 2.34 refuses an mmap threshold above HEAP_MAX_SIZE / 2.
 * const c = compareTrace("mallopt M_MMAP_THRESHOLD 0x2000001\n", { versions: ["2.31", "2.36"] });
 * assert.deepEqual(c.rows[0].results, { "2.31": "0", "2.36": "1" });
 * assert.equal(c.differing().length, 1);
 * ```
 */
export class VersionComparison {
  /** The versions, in column order. */
  readonly versions: readonly string[];
  /** One row per line or step. */
  readonly rows: readonly ComparedRow[];
  /** How each version's run ended, in column order. */
  readonly outcomes: readonly VersionOutcome[];
  /** Caption. */
  readonly title: string;

  /**
   * Makes a comparison.
   *
   * @param versions The versions.
   * @param rows The rows.
   * @param outcomes How each run ended.
   * @param title Caption.
   */
  constructor(
    versions: readonly string[],
    rows: readonly ComparedRow[],
    outcomes: readonly VersionOutcome[],
    title: string,
  ) {
    this.versions = versions;
    this.rows = rows;
    this.outcomes = outcomes;
    this.title = title;
  }

  /** How a version's run ended. */
  outcome(glibc: string): VersionOutcome {
    const o = this.outcomes.find((x) => x.glibc === glibc);
    if (!o) throw new RangeError(`Not compared: glibc ${glibc}`);
    return o;
  }

  /** The rows where the versions disagree. */
  differing(): ComparedRow[] {
    return this.rows.filter((r) => r.differs);
  }

  /** The versions that aborted (or faulted), with their messages, as one line each. */
  summary(): string[] {
    return this.outcomes.map((o) =>
      o.status === 0
        ? `glibc ${o.glibc}: ran to the end`
        : `glibc ${o.glibc}: ${o.signal} at ${this.rows[o.stoppedAt ?? 0]?.source ?? "?"}: ${
          o.message ?? ""
        }`
    );
  }

  #cell(r: ComparedRow, v: string): string {
    const text = r.results[v];
    return text === undefined ? "·" : text;
  }

  #outcomeCell(o: VersionOutcome): string {
    return o.status === 0 ? "exit 0" : `${o.signal} (${o.status}): ${o.message ?? ""}`;
  }

  /** The table as text: a row per line, a `≠` where versions differ, the outcomes last. */
  toString(): string {
    const header = ["", "#", "line", ...this.versions.map((v) => `glibc ${v}`)];
    const rows = this.rows.map((r) => [
      r.differs ? "≠" : "",
      String(r.line),
      r.source,
      ...this.versions.map((v) => this.#cell(r, v)),
    ]);
    const end = ["", "", "outcome", ...this.outcomes.map((o) => this.#outcomeCell(o))];
    return `${this.title}\n${formatTable([header, ...rows, end])}`;
  }

  /** The table as HTML: differing rows amber, aborts red, lines not reached grey. */
  toHtml(): string {
    const abortStyle = "background:#ffebe9;color:#82071e;font-weight:bold";
    const rows: HtmlRow[] = this.rows.map((r, i) => ({
      mark: r.differs ? "changed" : "same",
      cells: [
        String(r.line),
        r.source,
        ...this.versions.map((v): HtmlCell => {
          const o = this.outcome(v);
          const text = this.#cell(r, v);
          if (o.stoppedAt === i) return { text, style: abortStyle };
          if (r.results[v] === undefined) return { text, style: "color:#8c959f" };
          return { text };
        }),
      ],
    }));
    rows.push({
      cells: [
        "",
        "outcome",
        ...this.outcomes.map((o): HtmlCell => ({
          text: this.#outcomeCell(o),
          style: o.status === 0 ? "font-weight:bold" : abortStyle,
        })),
      ],
    });
    const table = htmlTable(["#", "line", ...this.versions.map((v) => `glibc ${v}`)], rows, {
      caption: this.title,
      captionNote: "amber rows: the versions disagree · red: where a run aborted · · not reached",
      className: "heaplab-compare",
    });
    return `<div class="heaplab-compare-view">${table}</div>`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table as HTML and text.
   */
  [JUPYTER_DISPLAY](): VersionComparisonBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/** Options of {@linkcode compareTrace} and {@linkcode compareScenario}. */
export interface CompareOptions {
  /** The glibc versions (default {@linkcode COMPARED_VERSIONS}). */
  readonly versions?: readonly string[];
  /** Architecture (default x86_64). */
  readonly arch?: "i386" | "x86_64";
  /** Caption. */
  readonly title?: string;
}

const POINTER_OPS = new Set(["malloc", "calloc", "memalign", "realloc"]);

/** What one output line of the replay says, without its line number, operation and slot. */
function resultText(tokens: string[]): string {
  const op = tokens[1];
  if (POINTER_OPS.has(op)) return tokens.slice(3).join(" ");
  if (op === "free" || op === "thread" || op === "join") return "ok";
  const arrow = tokens.indexOf("->");
  if (arrow >= 0) return tokens.slice(arrow + 1).join(" ");
  return tokens.slice(2).join(" ");
}

function differs(results: Record<string, string | undefined>, versions: readonly string[]) {
  const reached = versions.map((v) => results[v]);
  return reached.some((r) => r !== reached[0]);
}

/**
 * Replays a heap trace (the oracle's format) on each version and compares the lines it prints.
 * Pointers print as the replay prints them: the arena (`main`, `heap1`, `mmap`), the offset
 * from the heap's start, and the chunk's size word.
 *
 * @param trace The trace text.
 * @param options Versions, architecture, caption.
 * @returns The comparison.
 */
export function compareTrace(trace: string, options: CompareOptions = {}): VersionComparison {
  const versions = options.versions ?? COMPARED_VERSIONS;
  const sources = trace.split("\n");
  const byLine = new Map<number, Record<string, string | undefined>>();
  const outcomes: VersionOutcome[] = [];
  const stops = new Map<string, number>();
  for (const glibc of versions) {
    const replay = replayTrace(trace, {
      glibc,
      arch: options.arch ?? "x86_64",
      allocator: (process, o) => new Allocator(process, { ...o, explain: false }),
    });
    let current: number | undefined;
    let stopLine: number | undefined;
    let message: string | undefined;
    for (const line of replay.output.split("\n")) {
      const m = /^(\d+) (\S+)/.exec(line);
      if (m) {
        current = Number(m[1]);
        const tokens = line.split(" ");
        const results = byLine.get(current) ?? {};
        if (m[2] === "abort" || m[2] === "segfault" || m[2] === "error") {
          message = tokens.slice(2).join(" ");
          results[glibc] = `${m[2]}: ${message}`;
          stopLine = current;
        } else {
          results[glibc] = resultText(tokens);
        }
        byLine.set(current, results);
      } else if (line.startsWith("  ") && current !== undefined) {
        const results = byLine.get(current)!;
        results[glibc] = `${results[glibc] ?? ""}\n${line.trim()}`.trim();
      }
    }
    if (stopLine !== undefined) stops.set(glibc, stopLine);
    const signal = replay.status === 134
      ? "SIGABRT"
      : replay.status === 139
      ? "SIGSEGV"
      : replay.status === 0
      ? undefined
      : "error";
    outcomes.push({ glibc, status: replay.status, signal, message: signal ? message : undefined });
  }
  const lines = [...byLine.keys()].sort((a, b) => a - b);
  const rows: ComparedRow[] = lines.map((line) => {
    const results = byLine.get(line)!;
    return {
      line,
      source: sources[line - 1]?.replace(/#.*/, "").trim() ?? "",
      results,
      differs: differs(results, versions),
    };
  });
  const withStops = outcomes.map((o) => {
    const at = stops.get(o.glibc);
    return at === undefined || o.status === 0
      ? o
      : { ...o, stoppedAt: rows.findIndex((r) => r.line === at) };
  });
  const arch = options.arch ?? "x86_64";
  return new VersionComparison(
    versions,
    rows,
    withStops,
    options.title ?? `One trace on glibc ${versions.join(", ")} (${arch})`,
  );
}

/** What a scenario's steps get: the allocator of the version being run, and shared names. */
export interface ScenarioContext {
  /** The allocator. */
  readonly heap: Allocator;
  /** Its process (memory, threads, maps). */
  readonly process: Process;
  /** Pointers the steps keep by name. */
  readonly ptr: Record<string, number>;
}

/** One step of a scenario: a label and what it does; a returned value is shown. */
export interface ScenarioStep {
  /** What the step does, in C (`a = malloc(24)`). */
  readonly label: string;
  /** The step; a number it returns shows as a pointer or a value, a string as is. */
  readonly run: (context: ScenarioContext) => number | string | void;
}

/** A number as a scenario shows it: NULL, an offset into the main heap, or hex. */
function valueText(heap: Allocator, value: number | string | void): string {
  if (value === undefined) return "ok";
  if (typeof value === "string") return value;
  if (value === 0) return "NULL";
  const base = heap.context.params.sbrkBase;
  const brk = heap.process.space.brk;
  if (base !== 0 && value >= base && value < brk) return `heap+${hex(value - base)}`;
  return value < 0 ? String(value) : hex(value);
}

/**
 * Runs a scenario — steps that call the allocator and may write memory — on each version, each
 * on a fresh process, and compares what the steps return. A step that aborts (or faults) stops
 * that version's run.
 *
 * @example
 * ```ts
 * import { compareScenario } from "./compare_view.ts";
 * import assert from "node:assert/strict";
 *
 * const c = compareScenario([
 *   { label: "a = malloc(24)", run: ({ heap, ptr }) => (ptr.a = heap.malloc(24)) },
 *   { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
 *   { label: "free(a)", run: ({ heap, ptr }) => heap.free(ptr.a) },
 * ], { versions: ["2.23", "2.36"] });
 * assert.equal(c.outcome("2.23").message, "double free or corruption (fasttop)");
 * assert.equal(c.outcome("2.36").message, "free(): double free detected in tcache 2");
 * ```
 *
 * @param steps The steps.
 * @param options Versions, architecture, caption.
 * @returns The comparison.
 */
export function compareScenario(
  steps: readonly ScenarioStep[],
  options: CompareOptions = {},
): VersionComparison {
  const versions = options.versions ?? COMPARED_VERSIONS;
  const arch = options.arch ?? "x86_64";
  const results = steps.map(() => ({} as Record<string, string | undefined>));
  const outcomes: VersionOutcome[] = [];
  for (const glibc of versions) {
    const process = new Process({ profile: arch });
    const heap = new Allocator(process, { glibc });
    const context: ScenarioContext = { heap, process, ptr: {} };
    let outcome: VersionOutcome = { glibc, status: 0 };
    for (let i = 0; i < steps.length; i++) {
      try {
        results[i][glibc] = valueText(heap, steps[i].run(context));
      } catch (e) {
        const signal = (e as { signal?: string }).signal;
        if (!(e instanceof Error) || (signal !== "SIGABRT" && signal !== "SIGSEGV")) throw e;
        results[i][glibc] = `${signal === "SIGABRT" ? "abort" : "segfault"}: ${e.message}`;
        outcome = {
          glibc,
          status: signal === "SIGABRT" ? 134 : 139,
          signal,
          message: e.message,
          stoppedAt: i,
        };
        break;
      }
    }
    outcomes.push(outcome);
  }
  const rows = steps.map((s, i) => ({
    line: i + 1,
    source: s.label,
    results: results[i],
    differs: differs(results[i], versions),
  }));
  return new VersionComparison(
    versions,
    rows,
    outcomes,
    options.title ?? `One program on glibc ${versions.join(", ")} (${arch})`,
  );
}

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
 * import { compareProgram } from "./compare_view.ts";
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
  const steps: ScenarioStep[] = source.split("\n")
    .map((l) => l.replace(/\/\/.*$/, "").trim())
    .filter((l) => l !== "")
    .map((line) => ({ label: line, run: (c: ScenarioContext) => runStatement(line, c) }));
  return compareScenario(steps, options);
}
