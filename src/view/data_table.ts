/**
 * A small table of facts for notebooks — one object per row, one key per column — that displays
 * as an HTML table in Jupyter and as aligned text elsewhere.
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable } from "./format.ts";
import { htmlTable } from "./html.ts";
import { arrayOption, objectOption, stringOption } from "./options.ts";

/** One row: column name to cell text (numbers are printed as they are). */
export type DataRow = Readonly<Record<string, string | number | boolean>>;

/** What Deno's Jupyter kernel shows for a {@linkcode DataTable}. */
export interface DataTableBundle {
  /** The table. */
  "text/html": string;
  /** The table as aligned text. */
  "text/plain": string;
}

/**
 * Rows of facts shown as a table.
 *
 * @example
 * ```ts
 * import { dataTable } from "./data_table.ts";
 * import assert from "node:assert/strict";
 *
 * const table = dataTable([{ machine: "seed-i386", break: "0x804b000" }]);
 * assert.equal(table.toString(), "machine    break\nseed-i386  0x804b000");
 * ```
 */
export class DataTable {
  /** The rows. */
  readonly rows: readonly DataRow[];
  /** The columns, in order (the keys of all rows, first seen first). */
  readonly columns: readonly string[];
  /** Caption above the table. */
  readonly title?: string;

  /**
   * Makes a table of the rows.
   *
   * @param rows The rows.
   * @param title Caption above the table.
   */
  constructor(rows: readonly DataRow[], title?: string) {
    arrayOption("rows", rows, "an array of row objects", (name, row) => {
      objectOption(name, row, "a row object", (v) => !Array.isArray(v));
    });
    stringOption("title", title);
    this.rows = rows;
    this.title = title;
    const columns: string[] = [];
    for (const row of rows) {
      for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
    }
    this.columns = columns;
  }

  #cells(row: DataRow): string[] {
    return this.columns.map((c) => (row[c] === undefined ? "" : String(row[c])));
  }

  /** The table as aligned text, the title first if there is one. */
  toString(): string {
    const text = formatTable([this.columns.slice(), ...this.rows.map((r) => this.#cells(r))]);
    return this.title ? `${this.title}\n${text}` : text;
  }

  /** The table as HTML. */
  toHtml(): string {
    return htmlTable(this.columns, this.rows.map((r) => ({ cells: this.#cells(r) })), {
      caption: this.title,
      className: "heaplab-data",
    });
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The table as HTML and as text.
   */
  [JUPYTER_DISPLAY](): DataTableBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * Builds a {@linkcode DataTable}.
 *
 * @param rows One object per row.
 * @param title Caption above the table.
 * @returns The table.
 */
export function dataTable(rows: readonly DataRow[], title?: string): DataTable {
  return new DataTable(rows, title);
}
