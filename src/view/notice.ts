/**
 * A short message that displays as a boxed note in Jupyter and as its text elsewhere — what a
 * notebook cell shows when it has to skip (no C compiler on this machine) or wants to say one
 * thing plainly.
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import { escapeHtml } from "./html.ts";

/** What Deno's Jupyter kernel shows for a {@linkcode Notice}. */
export interface NoticeBundle {
  /** The boxed message. */
  "text/html": string;
  /** The message. */
  "text/plain": string;
}

/** How a notice looks: an information, or a skipped step. */
export type NoticeKind = "info" | "skipped";

/**
 * A message to show in a notebook.
 *
 * @example
 * ```ts
 * import { Notice } from "./notice.ts";
 * import assert from "node:assert/strict";
 *
 * const note = new Notice("gcc is not installed", "skipped");
 * assert.equal(note.toString(), "Skipped: gcc is not installed");
 * ```
 */
export class Notice {
  /** The message. */
  readonly message: string;
  /** Information or skipped. */
  readonly kind: NoticeKind;

  /**
   * Makes a notice.
   *
   * @param message The message, plain text.
   * @param kind `info` (default) or `skipped`.
   */
  constructor(message: string, kind: NoticeKind = "info") {
    this.message = message;
    this.kind = kind;
  }

  /** The message, prefixed with `Skipped: ` for a skipped step. */
  toString(): string {
    return this.kind === "skipped" ? `Skipped: ${this.message}` : this.message;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The boxed message and its text.
   */
  [JUPYTER_DISPLAY](): NoticeBundle {
    const color = this.kind === "skipped" ? "#9a6700" : "#0969da";
    const html = `<div class="heaplab-notice" style="border-left:4px solid ${color};` +
      `padding:4px 10px;font-family:sans-serif;font-size:13px">${
        escapeHtml(this.toString())
      }</div>`;
    return { "text/html": html, "text/plain": this.toString() };
  }
}
