/**
 * Helpers for tests/notebooks_test.ts: reading .ipynb files, extracting the
 * text outputs that must match between a committed notebook and a fresh run,
 * finding vega-lite outputs, and driving headless Chromium against the HTML
 * export the way a reader's browser would open it.
 *
 * @module
 */

/** One output of a code cell, as nbformat v4 stores it. */
export interface NotebookOutput {
  /** `stream`, `display_data`, `execute_result` or `error`. */
  output_type: string;
  /** Stream name (`stdout`, `stderr`) for streams. */
  name?: string;
  /** Stream text, a string or a list of lines. */
  text?: string | string[];
  /** MIME bundle for display_data and execute_result. */
  data?: Record<string, unknown>;
  /** Error name, for errors. */
  ename?: string;
  /** Error message, for errors. */
  evalue?: string;
}

/** A notebook cell, as nbformat v4 stores it. */
export interface NotebookCell {
  /** `code`, `markdown` or `raw`. */
  cell_type: string;
  /** Source text, a string or a list of lines. */
  source: string | string[];
  /** Cell metadata; heaplab reads `metadata.heaplab`. */
  metadata?: { heaplab?: { outputs?: number; volatile?: boolean } };
  /** Outputs of a code cell. */
  outputs?: NotebookOutput[];
}

/** A notebook file (nbformat v4). */
export interface Notebook {
  /** The cells, in order. */
  cells: NotebookCell[];
}

/** Reads and parses a notebook file. */
export async function readNotebook(path: string): Promise<Notebook> {
  return JSON.parse(await Deno.readTextFile(path)) as Notebook;
}

/** The code cells of a notebook, in order. */
export function codeCells(notebook: Notebook): NotebookCell[] {
  return notebook.cells.filter((cell) => cell.cell_type === "code");
}

/** Joins nbformat's multiline strings (a string or a list of lines). */
export function joinText(text: unknown): string {
  return Array.isArray(text) ? text.join("") : String(text ?? "");
}

/** Drops trailing whitespace from each line and from the end: the only normalization allowed. */
export function trimTrailing(text: string): string {
  return text.split("\n").map((line) => line.trimEnd()).join("\n").trimEnd();
}

const VEGA_LITE_V5 = "application/vnd.vegalite.v5+json";

/**
 * The text a reader sees from a cell, one entry per output: stream text,
 * `text/plain`, `text/html` (tables; skipped for charts, whose SVG is checked
 * by rendering instead) and errors. Adjacent streams of one name are merged,
 * as every Jupyter front end does.
 */
export function textOutputs(cell: NotebookCell): string[] {
  const texts: string[] = [];
  let lastStream: string | undefined;
  for (const output of cell.outputs ?? []) {
    if (output.output_type === "stream") {
      const text = joinText(output.text);
      if (lastStream === output.name) texts[texts.length - 1] += text;
      else texts.push(text);
      lastStream = output.name;
      continue;
    }
    lastStream = undefined;
    if (output.output_type === "error") {
      texts.push(`error ${output.ename}: ${output.evalue}`);
      continue;
    }
    const data = output.data ?? {};
    const parts: string[] = [];
    if ("text/plain" in data) parts.push(`text/plain: ${joinText(data["text/plain"])}`);
    const isChart = VEGA_LITE_V5 in data || "image/svg+xml" in data;
    if ("text/html" in data && !isChart) parts.push(`text/html: ${joinText(data["text/html"])}`);
    texts.push(parts.join("\n"));
  }
  return texts.map(trimTrailing);
}

/** One difference between a committed notebook and its fresh execution. */
export interface StaleCell {
  /** 1-based position among code cells. */
  cell: number;
  /** The first line of the cell's source. */
  source: string;
  /** Text outputs on disk. */
  committed: string[];
  /** Text outputs from the fresh run. */
  executed: string[];
}

/**
 * Compares the text outputs of every non-volatile code cell; returns the cells
 * whose committed outputs differ from the fresh run (a stale notebook).
 */
export function staleCells(committed: Notebook, executed: Notebook): StaleCell[] {
  const before = codeCells(committed);
  const after = codeCells(executed);
  const stale: StaleCell[] = [];
  before.forEach((cell, i) => {
    if (cell.metadata?.heaplab?.volatile) return;
    const old = textOutputs(cell);
    const fresh = after[i] ? textOutputs(after[i]) : [];
    if (JSON.stringify(old) !== JSON.stringify(fresh)) {
      const source = joinText(cell.source).split("\n")[0];
      stale.push({ cell: i + 1, source, committed: old, executed: fresh });
    }
  });
  return stale;
}

/** Describes stale cells for an assertion message. */
export function describeStale(stale: StaleCell[]): string {
  return stale.map((s) =>
    `code cell ${s.cell} (${s.source}):\n  committed: ${
      JSON.stringify(s.committed)
    }\n  executed:  ${JSON.stringify(s.executed)}`
  ).join("\n");
}

/** Every vega-lite v5 spec a notebook displays, with the 1-based code cell it came from. */
export function vegaLiteSpecs(
  notebook: Notebook,
): { cell: number; spec: Record<string, unknown> }[] {
  const specs: { cell: number; spec: Record<string, unknown> }[] = [];
  codeCells(notebook).forEach((cell, i) => {
    for (const output of cell.outputs ?? []) {
      const spec = output.data?.[VEGA_LITE_V5];
      if (spec) specs.push({ cell: i + 1, spec: spec as Record<string, unknown> });
    }
  });
  return specs;
}

/** The first Chromium-like browser on PATH, or undefined. */
export async function findChromium(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      const path = `${dir}/${name}`;
      try {
        if ((await Deno.stat(path)).isFile) return path;
      } catch {
        // not in this folder
      }
    }
  }
  return undefined;
}

/** Flags that keep headless Chromium from waiting on the (absent) network. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
];

async function runChromium(chromium: string, args: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "heaplab-chromium-" });
  try {
    const output = await new Deno.Command(chromium, {
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: AbortSignal.timeout(90_000),
    }).output();
    if (!output.success) {
      throw new Error(`Chromium failed: ${new TextDecoder().decode(output.stderr).slice(-2000)}`);
    }
    return new TextDecoder().decode(output.stdout);
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

/** Opens a local HTML file in headless Chromium and returns the DOM after load. */
export function dumpDom(chromium: string, htmlPath: string): Promise<string> {
  return runChromium(chromium, ["--dump-dom", `file://${htmlPath}`]);
}

/** Opens a local HTML file in headless Chromium and saves a PNG screenshot. */
export async function screenshot(
  chromium: string,
  htmlPath: string,
  pngPath: string,
  size = { width: 1200, height: 3000 },
): Promise<void> {
  await runChromium(chromium, [
    `--screenshot=${pngPath}`,
    `--window-size=${size.width},${size.height}`,
    `file://${htmlPath}`,
  ]);
}

/** The `<table>` elements of a DOM dump. */
export function tables(dom: string): string[] {
  return dom.match(/<table[\s\S]*?<\/table>/g) ?? [];
}

/**
 * Whether a table looks like a /proc/PID/maps listing: a hex address and a
 * permission string such as `rw-p`.
 */
export function isMapsTable(table: string): boolean {
  return /(0x)?[0-9a-f]{8,}/.test(table) && /\b[r-][w-][x-][ps]\b/.test(table);
}

/** The `<svg>` elements of a DOM dump that contain vega marks drawn as `<path>` or `<rect>`. */
export function chartSvgs(dom: string): string[] {
  return (dom.match(/<svg[\s\S]*?<\/svg>/g) ?? []).filter((svg) =>
    /class="[^"]*\bmark-/.test(svg) && /<(path|rect)\b/.test(svg)
  );
}
