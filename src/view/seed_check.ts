/**
 * Checks a simulated /proc/PID/maps against lines a document printed: the seed material shows
 * the first lines of each listing and then `...`, so its lines must be, character for character
 * (trailing spaces aside), the first lines of the simulated listing. The check displays as a
 * table of both sides, line by line, and can assert.
 *
 * @module
 */

import type { Process } from "../kernel/process.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable } from "./format.ts";
import { type HtmlRow, htmlTable } from "./html.ts";
import { arrayOption, objectOption, stringOption, textArgument } from "./options.ts";

/** One printed line next to the simulated line at the same place. */
export interface SeedLine {
  /** The line as printed. */
  readonly printed: string;
  /** The simulated line at the same position (empty when the listing is shorter). */
  readonly simulated: string;
  /** The two are the same, trailing spaces aside. */
  readonly same: boolean;
}

/** What Deno's Jupyter kernel shows for a {@linkcode SeedCheck}. */
export interface SeedCheckBundle {
  /** The table. */
  "text/html": string;
  /** The verdict and the lines as text. */
  "text/plain": string;
}

/** Splits printed text into its lines, without blank lines, `...` and trailing spaces. */
function printedLines(text: string | readonly string[]): string[] {
  const lines = typeof text === "string" ? text.split("\n") : [...text];
  return lines.map((l) => l.trimEnd()).filter((l) => l !== "" && l.trim() !== "...");
}

/**
 * Printed maps lines compared with a simulated listing. Build it with {@linkcode seedCheck}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { seedCheck } from "./seed_check.ts";
 * import assert from "node:assert/strict";
 *
 * const proc = new Process({ layout: "seed-i386", program: "mmap" });
 * const check = seedCheck(proc, `
 * 08048000-08049000 r-xp 00000000 08:01 539691     /home/sploitfun/ptmalloc.ppt/syscalls/mmap
 * ...`);
 * assert.equal(check.ok, true);
 * ```
 */
export class SeedCheck {
  /** What the listing is. */
  readonly label: string;
  /** The lines, printed and simulated. */
  readonly lines: readonly SeedLine[];

  /**
   * Compares printed lines with a listing.
   *
   * @param printed The printed lines.
   * @param simulated The simulated listing's text.
   * @param label What the listing is.
   */
  constructor(printed: string | readonly string[], simulated: string, label = "") {
    if (typeof printed !== "string") {
      arrayOption("printed", printed, "the printed text or an array of lines", textArgument);
    }
    textArgument("simulated", simulated, "maps text");
    stringOption("label", label);
    const ours = simulated.split("\n").map((l) => l.trimEnd());
    this.label = label;
    this.lines = printedLines(printed).map((line, i) => ({
      printed: line,
      simulated: ours[i] ?? "",
      same: ours[i] === line,
    }));
  }

  /** Every printed line is the simulated line at its place. */
  get ok(): boolean {
    return this.lines.every((l) => l.same);
  }

  /** One line: how many printed lines the simulation reproduces. */
  verdict(): string {
    const same = this.lines.filter((l) => l.same).length;
    const what = this.label ? `${this.label}: ` : "";
    return this.ok
      ? `${what}all ${same} printed lines are the simulated listing's first lines, exactly`
      : `${what}${this.lines.length - same} of ${this.lines.length} printed lines differ`;
  }

  /**
   * Throws when a printed line differs from the simulated one.
   *
   * @returns The check, for display.
   */
  assert(): this {
    if (!this.ok) {
      const bad = this.lines.find((l) => !l.same)!;
      throw new Error(
        `${this.verdict()}: printed "${bad.printed}", simulated "${bad.simulated}"`,
      );
    }
    return this;
  }

  /** The verdict and the lines as text. */
  toString(): string {
    const rows = this.lines.map((l) => [l.same ? "=" : "≠", l.printed]);
    return `${this.verdict()}\n${formatTable(rows)}`;
  }

  /** The verdict as caption and the lines side by side as HTML. */
  toHtml(): string {
    const rows: HtmlRow[] = this.lines.map((l) => ({
      mark: l.same ? "same" : "changed",
      cells: [l.same ? "=" : "≠", l.printed, l.same ? "(same)" : l.simulated],
    }));
    return htmlTable(["", "printed in the seed", "simulated"], rows, {
      caption: this.verdict(),
      className: "heaplab-seed-check",
    });
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table and its text.
   */
  [JUPYTER_DISPLAY](): SeedCheckBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * Compares lines a document printed (the first lines of a maps listing, `...` ignored) with a
 * process's maps now.
 *
 * @param source The process, or a maps text.
 * @param printed The printed lines, as one text or a list.
 * @param label What the listing is.
 * @returns The check.
 */
export function seedCheck(
  source: Process | string,
  printed: string | readonly string[],
  label?: string,
): SeedCheck {
  if (typeof source !== "string") {
    objectOption("source", source, "a Process or maps text", (v) => "maps" in v);
  }
  return new SeedCheck(printed, typeof source === "string" ? source : source.maps(), label);
}
