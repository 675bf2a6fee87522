/**
 * The small HTML vocabulary every heaplab table shares: escaping, the inline styles of a compact
 * monospace table, and the colours that mark what changed (green new, amber grown or shrunk, red
 * removed). Styles are inline attributes, not a `<style>` block, so they survive JupyterLab's
 * output sanitizer and nbconvert's HTML export alike, and the markup is deterministic so
 * committed notebook outputs compare equal run after run.
 *
 * @module
 */

/**
 * Escapes text for use inside HTML elements and double-quoted attributes.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeHtml('<a href="x">&</a>'), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
 * ```
 *
 * @param text Any text.
 * @returns The text with `&`, `<`, `>` and `"` replaced by entities.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/**
 * How a table row is marked: unchanged, or one of the changes a diff reports (`absent`: red like
 * `removed`, but not struck through — a line one side of a comparison lacks).
 */
export type RowMark = "same" | "new" | "changed" | "removed" | "absent";

/** Background colours of marked rows (GitHub's diff palette, readable in light and dark). */
export const ROW_COLORS: Readonly<Record<RowMark, string>> = {
  same: "",
  new: "#dafbe1",
  changed: "#fff1c2",
  removed: "#ffebe9",
  absent: "#ffebe9",
};

/** The class every heaplab table carries; {@linkcode TABLE_CSS} styles it. */
export const TABLE_CLASS = "heaplab-table";

/**
 * The style sheet of heaplab tables: compact, monospace, left-aligned. Jupyter right-aligns table
 * cells with `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`, so the selectors repeat the
 * class to weigh more. Sent with every table; where a viewer strips `<style>` (an untrusted
 * notebook in JupyterLab), the table keeps Jupyter's own look and the inline row colours.
 */
export const TABLE_CSS: string = (() => {
  const t = `table.${TABLE_CLASS}.${TABLE_CLASS}`;
  return `${t}{border-collapse:collapse;margin:0 0 6px 0;` +
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}" +
    `${t} th,${t} td{padding:1px 8px;text-align:left;white-space:nowrap;` +
    "border-bottom:1px solid #d0d7de}" +
    `${t} td.num,${t} th.num{text-align:right}` +
    `${t} caption{caption-side:top;text-align:left;font-family:sans-serif;font-size:13px;` +
    "padding:2px 0 4px 0}";
})();

/** The inline style of a row with the given mark. */
export function rowStyle(mark: RowMark): string {
  const color = ROW_COLORS[mark];
  if (!color) return "";
  // A dark text colour too: on a light background, a dark theme's light text would not show.
  const red = mark === "removed" || mark === "absent";
  return `background:${color};color:${red ? "#82071e" : "#1f2328"}` +
    (mark === "removed" ? ";text-decoration:line-through" : "");
}

/** One cell: its text (escaped here) and, optionally, a title shown on hover and a style. */
export interface HtmlCell {
  /** The cell's text, plain (it is escaped). */
  readonly text: string;
  /** Shown on hover. */
  readonly title?: string;
  /** Extra inline style for this cell. */
  readonly style?: string;
  /** Cell markup given as is instead of `text` (already escaped by the caller). */
  readonly html?: string;
  /** Columns the cell spans (default 1). */
  readonly colspan?: number;
}

/** A row: its cells and its mark. */
export interface HtmlRow {
  /** The cells, plain strings or {@linkcode HtmlCell}s. */
  readonly cells: ReadonlyArray<string | HtmlCell>;
  /** How the row is marked (colour, strike-through); `same` unless given. */
  readonly mark?: RowMark;
}

/** Options of {@linkcode htmlTable}. */
export interface HtmlTableOptions {
  /** Caption above the table (plain text, escaped). */
  readonly caption?: string;
  /** A second, smaller caption line in monospace (plain text, escaped). */
  readonly captionNote?: string;
  /** Columns whose cells are right-aligned (numbers). */
  readonly rightAligned?: readonly number[];
  /** A `class` for the table element. */
  readonly className?: string;
}

function cellHtml(
  tag: "td" | "th",
  cell: string | HtmlCell,
  right: boolean,
  rowStyle = "",
): string {
  const c = typeof cell === "string" ? { text: cell } : cell;
  const cls = right ? ' class="num"' : "";
  const styles = [rowStyle, c.style].filter((s) => s);
  const style = styles.length ? ` style="${styles.join(";")}"` : "";
  const title = c.title ? ` title="${escapeHtml(c.title)}"` : "";
  const span = c.colspan !== undefined && c.colspan > 1 ? ` colspan="${c.colspan}"` : "";
  return `<${tag}${cls}${style}${title}${span}>${c.html ?? escapeHtml(c.text)}</${tag}>`;
}

/**
 * Builds a compact HTML table with inline styles.
 *
 * @example
 * ```ts
 * import { htmlTable } from "./html.ts";
 * import assert from "node:assert/strict";
 *
 * const html = htmlTable(["call", "result"], [{ cells: ["brk(0x804c000)", "0x804c000"] }]);
 * assert.match(html, /<td[^>]*>brk\(0x804c000\)<\/td>/);
 * ```
 *
 * @param header The column titles.
 * @param rows The rows.
 * @param options Caption, right-aligned columns, class.
 * @returns The `<table>` markup.
 */
export function htmlTable(
  header: readonly string[],
  rows: readonly HtmlRow[],
  options: HtmlTableOptions = {},
): string {
  const right = new Set(options.rightAligned ?? []);
  const cls = [TABLE_CLASS, ...(options.className ? [options.className] : [])].join(" ");
  const note = options.captionNote
    ? `<br><span style="font-family:ui-monospace,monospace;font-size:12px;color:#57606a">${
      escapeHtml(options.captionNote)
    }</span>`
    : "";
  const caption = options.caption || note
    ? `<caption>${escapeHtml(options.caption ?? "")}${note}</caption>`
    : "";
  const head = `<thead><tr>${
    header.map((h, i) => cellHtml("th", h, right.has(i))).join("")
  }</tr></thead>`;
  const body = rows.map((row) => {
    const style = rowStyle(row.mark ?? "same");
    const attr = style ? ` style="${style}"` : "";
    const mark = row.mark && row.mark !== "same" ? ` data-change="${row.mark}"` : "";
    // Struck through cell by cell: text-decoration on a <tr> does not reach every viewer's cells.
    const cellStyle = row.mark === "removed" ? "text-decoration:line-through" : "";
    return `<tr${attr}${mark}>${
      row.cells.map((c, i) => cellHtml("td", c, right.has(i), cellStyle)).join("")
    }</tr>`;
  }).join("\n");
  return `<style>${TABLE_CSS}</style><table class="${escapeHtml(cls)}">${caption}${head}` +
    `<tbody>\n${body}\n</tbody></table>`;
}
