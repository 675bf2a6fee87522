/**
 * Builds `notebooks/NN_name.ipynb` from `notebooks/src/NN_name.md`, so a notebook is written and
 * reviewed as plain Markdown:
 *
 * - every fenced block whose info string is `ts` becomes a code cell; JSON after the language is
 *   the cell's `heaplab` metadata, e.g. ```` ```ts {"volatile": true} ````;
 * - the Markdown between code cells becomes one Markdown cell, split further at lines that read
 *   `<!-- cell -->`; fenced blocks in other languages (C, shell, text) stay in the Markdown.
 *
 * Outputs are kept: a code cell whose source and metadata are unchanged keeps the outputs the
 * notebook already had, so rebuilding is a no-op until a source changes. Fill or refresh outputs
 * with `deno task notebooks --update --only NN`.
 *
 * Usage: `deno run -A tools/make_notebook.ts [--check] [NAME...]` (default: every source).
 * `--check` writes nothing and exits 1 when a notebook's cells differ from its source.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The `heaplab` metadata of a code cell. */
export interface CellMetadata {
  /** Outputs the cell must produce at least. */
  outputs?: number;
  /** Outputs depend on the machine: not compared with the committed ones. */
  volatile?: boolean;
  /** Seconds the cell may run. */
  timeout?: number;
}

/** One cell of a source, before it becomes nbformat JSON. */
export interface SourceCell {
  /** `markdown` or `code`. */
  readonly kind: "markdown" | "code";
  /** The cell's text. */
  readonly source: string;
  /** The `heaplab` metadata of a code cell. */
  readonly heaplab?: CellMetadata;
}

/**
 * Splits a Markdown source into cells.
 *
 * @example
 * ```ts
 * import { parseSource } from "./make_notebook.ts";
 * const cells = parseSource("# Title\n\n```ts\n1 + 1\n```\n");
 * // [{ kind: "markdown", source: "# Title" }, { kind: "code", source: "1 + 1" }]
 * ```
 *
 * @param text The Markdown source.
 * @returns The cells, in order.
 */
export function parseSource(text: string): SourceCell[] {
  const cells: SourceCell[] = [];
  let markdown: string[] = [];
  const flushMarkdown = () => {
    const md = markdown.join("\n").trim();
    if (md) cells.push({ kind: "markdown", source: md });
    markdown = [];
  };
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^(`{3,})\s*([\w-]*)\s*(.*)$/.exec(line);
    if (fence && fence[2] === "ts") {
      const close = fence[1];
      const opened = i + 1;
      const body: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== close) body.push(lines[i++]);
      if (i >= lines.length) throw new Error(`Unclosed code block opened at line ${opened}`);
      flushMarkdown();
      const meta = fence[3].trim();
      let heaplab: CellMetadata | undefined;
      if (meta) {
        try {
          heaplab = JSON.parse(meta);
        } catch {
          throw new Error(`Bad cell metadata (not JSON): ${meta}`);
        }
      }
      cells.push({ kind: "code", source: body.join("\n"), heaplab });
    } else if (fence && fence[1]) {
      // Another language: copy the whole block into the Markdown.
      const close = fence[1];
      markdown.push(line);
      i++;
      while (i < lines.length && lines[i] !== close) markdown.push(lines[i++]);
      if (i < lines.length) markdown.push(lines[i]);
    } else if (line.trim() === "<!-- cell -->") {
      flushMarkdown();
    } else {
      markdown.push(line);
    }
  }
  flushMarkdown();
  return cells;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** nbformat's multiline strings: lines with their newlines, the last without. */
function splitLines(text: string): string[] {
  const lines = text.split("\n").map((l) => l + "\n");
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function joinLines(source: unknown): string {
  return Array.isArray(source) ? source.join("") : String(source ?? "");
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, Json>)[k])]),
    );
  }
  return value;
}

/** The JSON text nbformat writes: sorted keys, one-space indent, a final newline. */
export function notebookJson(notebook: Json): string {
  return JSON.stringify(sortKeys(notebook), null, 1) + "\n";
}

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 4)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

interface NbCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata?: { heaplab?: CellMetadata };
  outputs?: Json[];
  execution_count?: number | null;
}

const NOTEBOOK_METADATA = {
  kernelspec: { display_name: "Deno", language: "typescript", name: "deno" },
  language_info: { file_extension: ".ts", mimetype: "text/x.typescript", name: "typescript" },
};

/**
 * Builds the notebook for a source, keeping the outputs of unchanged code cells of `previous`.
 *
 * @param cells The source's cells.
 * @param previous The notebook as it is now, if any.
 * @returns The notebook as JSON data.
 */
export async function buildNotebook(
  cells: readonly SourceCell[],
  previous?: { cells: NbCell[] },
): Promise<Json> {
  const old = (previous?.cells ?? []).filter((c) => c.cell_type === "code");
  const used = new Set<NbCell>();
  const seen = new Map<string, number>();
  const out: Json[] = [];
  for (const cell of cells) {
    const base = await shortHash(`${cell.kind}\n${cell.source}`);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const id = n === 0 ? base : `${base}-${n}`;
    const metadata: Record<string, Json> = cell.heaplab ? { heaplab: { ...cell.heaplab } } : {};
    if (cell.kind === "markdown") {
      out.push({ cell_type: "markdown", id, metadata, source: splitLines(cell.source) });
      continue;
    }
    const match = old.find((c) =>
      !used.has(c) && joinLines(c.source) === cell.source &&
      JSON.stringify(c.metadata?.heaplab ?? null) === JSON.stringify(cell.heaplab ?? null)
    );
    if (match) used.add(match);
    out.push({
      cell_type: "code",
      execution_count: match?.execution_count ?? null,
      id,
      metadata,
      outputs: match?.outputs ?? [],
      source: splitLines(cell.source),
    });
  }
  return { cells: out, metadata: NOTEBOOK_METADATA, nbformat: 4, nbformat_minor: 5 };
}

/** The cells of a notebook without outputs, for comparing a notebook with its source. */
function cellsOnly(notebook: { cells: NbCell[] }): string {
  return JSON.stringify(notebook.cells.map((c) => ({
    type: c.cell_type,
    source: joinLines(c.source),
    heaplab: c.metadata?.heaplab ?? null,
  })));
}

/**
 * Whether a notebook's cells (sources and heaplab metadata, not outputs) are those of its source.
 *
 * @param source The Markdown source.
 * @param notebookText The notebook file's text.
 * @returns True when they match.
 */
export function matchesSource(source: string, notebookText: string): boolean {
  const expected = parseSource(source).map((c) => ({
    type: c.kind,
    source: c.source,
    heaplab: c.heaplab ?? null,
  }));
  return JSON.stringify(expected) === cellsOnly(JSON.parse(notebookText));
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const names = args.filter((a) => !a.startsWith("--"));
  const srcDir = join(ROOT, "notebooks", "src");
  const sources: string[] = [];
  for await (const entry of Deno.readDir(srcDir)) {
    if (!entry.isFile || !entry.name.endsWith(".md")) continue;
    const name = basename(entry.name, ".md");
    if (names.length === 0 || names.some((n) => name === n || name.startsWith(n))) {
      sources.push(name);
    }
  }
  sources.sort();
  let stale = 0;
  for (const name of sources) {
    const source = await Deno.readTextFile(join(srcDir, `${name}.md`));
    const target = join(ROOT, "notebooks", `${name}.ipynb`);
    const current = await readOptional(target);
    if (check) {
      if (current === undefined || !matchesSource(source, current)) {
        console.log(`notebooks/${name}.ipynb does not match notebooks/src/${name}.md`);
        stale++;
      }
      continue;
    }
    const notebook = await buildNotebook(
      parseSource(source),
      current ? JSON.parse(current) : undefined,
    );
    const text = notebookJson(notebook);
    if (text !== current) {
      await Deno.writeTextFile(target, text);
      console.log(`wrote notebooks/${name}.ipynb`);
    } else {
      console.log(`notebooks/${name}.ipynb is up to date`);
    }
  }
  if (check && stale > 0) {
    console.log("Rebuild with: deno run -A tools/make_notebook.ts");
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
