/**
 * Where `CProgram.runTo` stops, given as a line number or as text on a line: the line checked
 * against the lines where the program can stop (those where a statement that takes a step
 * begins, `Machine.statementLines`), so that a run to a blank line, a comment or a bare
 * declaration fails at once instead of running the program to its end.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "../kernel/errors.ts";

/** What {@link targetLine} needs to know of the program. */
export interface TargetSource {
  /** The C source. */
  readonly source: string;
  /** The line the program is at (the search for text starts after it). */
  readonly currentLine: number;
  /** The lines where a step stops. */
  readonly statementLines: ReadonlySet<number>;
}

/**
 * The line a run to `target` stops at: the line itself, if a statement begins there; or the
 * first line after the current one that contains the text and where a statement begins,
 * wrapping around to the top of the file (as `History.seek` wraps).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetLine } from "./run_to.ts";
 * const program = {
 *   source: "int main(void) {\n  int x = 1;\n  x++;\n  return x;\n}",
 *   currentLine: 1,
 *   statementLines: new Set([2, 3, 4]),
 * };
 * assert.equal(targetLine("return", program), 4);
 * assert.equal(targetLine(3, program), 3);
 * assert.throws(() => targetLine(5, program), /line 5 holds no statement/);
 * ```
 *
 * @param target A line number (1-based) or text on a line.
 * @param program The source, the current line and the statement lines.
 * @returns The line.
 * @throws {ArgumentRangeError} No statement begins on that line, or on any line holding the text.
 */
export function targetLine(target: number | string, program: TargetSource): number {
  const lines = program.source.split("\n");
  if (typeof target === "number") {
    if (!Number.isSafeInteger(target) || target < 1 || target > lines.length) {
      throw new ArgumentRangeError("target", target, `a line of the source, 1 to ${lines.length}`);
    }
    if (!program.statementLines.has(target)) {
      const text = JSON.stringify(lines[target - 1].trim());
      throw new ArgumentRangeError(
        "target",
        target,
        `a line where a statement begins; line ${target} holds no statement: ${text}`,
      );
    }
    return target;
  }
  if (typeof target !== "string" || target === "") {
    throw new ArgumentTypeError("target", target, "a line number, text on a line, or a predicate");
  }
  const holding: number[] = [];
  for (let k = 1; k <= lines.length; k++) {
    const line = (program.currentLine + k - 1) % lines.length + 1;
    if (!lines[line - 1].includes(target)) continue;
    if (program.statementLines.has(line)) return line;
    holding.push(line);
  }
  throw new ArgumentRangeError(
    "target",
    target,
    holding.length === 0
      ? "text on a line of the source; no line holds it"
      : `text on a line where a statement begins; line${holding.length > 1 ? "s" : ""} ` +
        `${holding.sort((a, b) => a - b).join(", ")} hold${holding.length > 1 ? "" : "s"} it ` +
        "but no statement",
  );
}
