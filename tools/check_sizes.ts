/**
 * `deno task check`'s size check (issue 7): fails, naming them, on every `.ts` file under `src/`
 * longer than 500 lines whose module doc (its first JSDoc comment) has no line beginning
 * `Over 500 lines:` followed by the reason, and on every function or method longer than 150 lines
 * except the glibc routine whose glibc original is longer still (`sysmalloc`).
 *
 * Functions are found by a scan of `deno fmt`-formatted source, not a parser: a function starts
 * at a line that declares one (`function name(`, a class method `name(...) {`, or
 * `const name = (...) => {`) and ends at the next line, at the same indentation, that begins with
 * `}`. The formatter guarantees that closing brace; comments and strings are skipped because they
 * never open a declaration line.
 *
 * Usage: `deno run -A tools/check_sizes.ts [DIR]` (default: `src`).
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "..");

/** Longest a file may be without a stated reason. */
export const MAX_FILE_LINES = 500;
/** Longest a function may be. */
export const MAX_FUNCTION_LINES = 150;
/** The marker, at the start of a module doc line, that states why a file is longer. */
export const REASON_MARKER = "Over 500 lines:";
/** Functions allowed to be longer: their glibc originals are longer still. */
export const LONG_FUNCTIONS: ReadonlySet<string> = new Set(["sysmalloc"]);

/** One function or method and its length in lines, from its declaration to its closing brace. */
export interface FunctionSpan {
  name: string;
  line: number;
  lines: number;
}

const DECLARATION = new RegExp(
  "^(\\s*)(?:" +
    // function name(  /  export async function* name<T>(
    "(?:export\\s+)?(?:default\\s+)?(?:async\\s+)?function\\s*\\*?\\s*([A-Za-z_$][\\w$]*)" +
    "|" +
    // const name = (...) => {  /  const name = async (x: T) => {
    "(?:export\\s+)?(?:const|let)\\s+([A-Za-z_$][\\w$]*)\\s*(?::[^=]+)?=\\s*(?:async\\s+)?(?:<[^>]*>)?\\(" +
    "|" +
    // class members: [modifiers] name(  /  get name(  /  #name(  /  *[Symbol.iterator](
    "(?:(?:public|private|protected|static|override|readonly|async|get|set)\\s+)*\\*?" +
    "(#?[A-Za-z_$][\\w$]*|\\[[^\\]]+\\])\\s*(?:<[^>]*>)?\\(" +
    ")",
);

const KEYWORDS = new Set([
  "if",
  "for",
  "while",
  "switch",
  "catch",
  "return",
  "function",
  "new",
  "super",
]);

/** The functions and methods of formatted TypeScript source, with their lengths. */
export function functionSpans(source: string): FunctionSpan[] {
  const lines = source.split("\n");
  const spans: FunctionSpan[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = DECLARATION.exec(lines[i]);
    if (!m) continue;
    const indent = m[1];
    const name = m[2] ?? m[3] ?? m[4];
    if (KEYWORDS.has(name)) continue;
    // The body opens on this line or on a later line of a wrapped signature; a line ending in
    // `;` or `}` first means no body here (an overload, a call, a one-line function).
    let open = -1;
    for (let j = i; j < lines.length && j < i + 30; j++) {
      const text = lines[j].trimEnd();
      if (text.endsWith("{")) {
        open = j;
        break;
      }
      if (text.endsWith(";") || j === i && /\},?$/.test(text)) break;
    }
    if (open < 0) continue;
    const close = lines.findIndex((l, k) => k > open && l.startsWith(indent + "}"));
    if (close < 0) continue;
    spans.push({ name, line: i + 1, lines: close - i + 1 });
  }
  return spans;
}

/** The first JSDoc comment of a source, or "" when it has none. */
export function moduleDoc(source: string): string {
  const start = source.indexOf("/**");
  if (start < 0) return "";
  const end = source.indexOf("*/", start);
  return end < 0 ? "" : source.slice(start, end + 2);
}

/** Whether a module doc states why its file is over the limit. */
export function statesReason(doc: string): boolean {
  return doc.split("\n").some((l) => l.replace(/^\s*\/?\*+\s?/, "").startsWith(REASON_MARKER));
}

/** What is wrong with one file's sizes, one message per problem (none when all is well). */
export function sizeProblems(path: string, source: string): string[] {
  const problems: string[] = [];
  const lineCount = source.endsWith("\n")
    ? source.split("\n").length - 1
    : source.split("\n").length;
  if (lineCount > MAX_FILE_LINES && !statesReason(moduleDoc(source))) {
    problems.push(`${path}: ${lineCount} lines, and no "${REASON_MARKER}" line in its module doc`);
  }
  for (const f of functionSpans(source)) {
    if (f.lines > MAX_FUNCTION_LINES && !LONG_FUNCTIONS.has(f.name)) {
      problems.push(`${path}:${f.line}: function ${f.name} is ${f.lines} lines`);
    }
  }
  return problems;
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const dir = resolve(ROOT, Deno.args[0] ?? "src");
  const problems: string[] = [];
  let files = 0;
  for (const path of tsFiles(dir)) {
    files++;
    problems.push(...sizeProblems(relative(ROOT, path), Deno.readTextFileSync(path)));
  }
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log(`No oversized files or functions among ${files} modules.`);
}
