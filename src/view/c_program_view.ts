/**
 * A running C program for notebooks: the current line with the source around it (the line
 * marked), the output so far, and the locals of the current frame with their addresses and
 * values. As plain text it reads like a debugger's screen; as HTML it is a source listing and
 * two tables.
 *
 * @module
 */

import type { CProgram, CRunResult } from "../c/program.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { hex } from "./format.ts";
import { escapeHtml, htmlTable } from "./html.ts";
import { integerOption, objectOption, viewOptions } from "./options.ts";

/** Options of {@linkcode cProgramView}. */
export interface CProgramViewOptions {
  /** Lines of source shown above and below the current line (default 3). */
  readonly context?: number;
  /** The last result, for its state and stderr. */
  readonly result?: CRunResult;
}

/** What Deno's Jupyter kernel shows for a {@linkcode CProgramView}. */
export interface CProgramViewBundle {
  /** Source listing, output, locals. */
  "text/html": string;
  /** The same as text. */
  "text/plain": string;
}

/** A snapshot of a running C program. Build it with {@linkcode cProgramView}. */
export class CProgramView {
  /** Current line (1-based). */
  readonly line: number;
  /** The source lines shown, with their numbers. */
  readonly source: readonly { readonly n: number; readonly text: string }[];
  /** Output so far. */
  readonly stdout: string;
  /** stderr so far (from the result, if given). */
  readonly stderr: string;
  /** State of the last result, if given. */
  readonly state: string;
  /** Locals of the current frame. */
  readonly locals: readonly {
    readonly name: string;
    readonly type: string;
    readonly address: number;
    readonly value: string;
  }[];

  /** A view of `program` as it is now. */
  constructor(program: CProgram, options: CProgramViewOptions = {}) {
    objectOption("program", program, "a CProgram", (v) => "currentLine" in v);
    const o = viewOptions(options, ["context", "result"]);
    integerOption("context", o.context);
    objectOption("result", o.result, "a run result");
    const ctx = options.context ?? 3;
    this.line = program.currentLine();
    const lines = program.source.split("\n");
    const from = Math.max(1, this.line - ctx), to = Math.min(lines.length, this.line + ctx);
    const shown: { n: number; text: string }[] = [];
    for (let n = from; n <= to; n++) shown.push({ n, text: lines[n - 1] });
    this.source = shown;
    this.stdout = options.result?.stdout ?? program.stdout;
    this.stderr = options.result?.stderr ?? "";
    this.state = options.result?.state ?? (program.done ? "ended" : "running");
    this.locals = program.locals();
  }

  /** Plain text: the listing with `=>` at the current line, the output, the locals. */
  toString(): string {
    const width = String(this.source.at(-1)?.n ?? 1).length;
    const listing = this.source.map((l) =>
      `${l.n === this.line ? "=>" : "  "} ${String(l.n).padStart(width)}  ${l.text}`
    );
    const locals = this.locals.map((l) => `  ${l.type} ${l.name} @ ${hex(l.address)} = ${l.value}`);
    return [
      `${this.state} at line ${this.line}`,
      ...listing,
      "stdout:",
      ...this.stdout.split("\n").filter((_, i, a) => i < a.length - 1 || a[i] !== "").map((s) =>
        "  " + s
      ),
      ...(this.stderr
        ? ["stderr:", ...this.stderr.trimEnd().split("\n").map((s) => "  " + s)]
        : []),
      "locals:",
      ...locals,
    ].join("\n");
  }

  /** HTML: the source listing with the current line highlighted, the output, the locals. */
  toHtml(): string {
    const listing = this.source.map((l) => {
      const style = l.n === this.line ? ' style="background:#fff3c4;font-weight:bold"' : "";
      return `<div${style}>${String(l.n).padStart(4)}  ${escapeHtml(l.text)}</div>`;
    }).join("");
    const locals = htmlTable(
      ["name", "type", "address", "value"],
      this.locals.map((l) => ({
        cells: [l.name, l.type, hex(l.address), l.value],
      })),
      { caption: "locals" },
    );
    const err = this.stderr
      ? `<div>stderr</div><pre style="color:#b00">${escapeHtml(this.stderr)}</pre>`
      : "";
    return `<div><div>${escapeHtml(`${this.state} at line ${this.line}`)}</div>` +
      `<pre style="margin:4px 0">${listing}</pre>` +
      `<div>stdout</div><pre>${escapeHtml(this.stdout)}</pre>${err}${locals}</div>`;
  }

  /** Jupyter display bundle. */
  [JUPYTER_DISPLAY](): CProgramViewBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * A view of a running C program: current line and source around it, output so far, locals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "../c/program.ts";
 * import { cProgramView } from "./c_program_view.ts";
 *
 * const prog = new CProgram("int main(void) {\n  int x = 7;\n  getchar();\n  return x;\n}\n");
 * const result = prog.run();
 * const view = cProgramView(prog, { result });
 * assert.equal(view.line, 3);
 * assert.match(view.toString(), /=> 3 {4}getchar\(\);/);
 * assert.match(view.toString(), /int x @ 0x7fffffffe[0-9a-f]+ = 7/);
 * ```
 */
export function cProgramView(program: CProgram, options: CProgramViewOptions = {}): CProgramView {
  return new CProgramView(program, options);
}
