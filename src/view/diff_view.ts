/**
 * A heap diff ({@linkcode diff}) for people: the chunks that changed (with their bins before and
 * after), the arena fields, the bytes that changed inside chunks as a hex dump with the changed
 * bytes marked (`[..]` in text, highlighted in HTML), the maps lines and the system calls in
 * between.
 *
 * @module
 */

import { formatSyscall } from "../kernel/syscall_log.ts";
import type { ByteChange, ChunkChange, HeapDiff } from "../history/diff.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { hex } from "./format.ts";
import { escapeHtml, htmlTable } from "./html.ts";
import { integerOption, objectOption, viewOptions } from "./options.ts";

/** What Deno's Jupyter kernel shows for a {@linkcode DiffView}. */
export interface DiffViewBundle {
  /** Tables and the highlighted hex dump. */
  "text/html": string;
  /** The same as text. */
  "text/plain": string;
}

/** A chunk change in words: `0x5555555592a0 freed: in use → tcache 0x20 (tid 1)`. */
export function describeChunkChange(c: ChunkChange): string {
  const state = (s: string | undefined, bin: string | undefined, size: number) =>
    `${bin ?? s ?? "none"}${size ? ` (${hex(size)})` : ""}`;
  const before = state(c.stateBefore, c.binBefore, c.sizeBefore);
  const after = state(c.stateAfter, c.binAfter, c.sizeAfter);
  return `${hex(c.address)} ${c.kind}: ${before} → ${after}`;
}

/** 16-byte rows of a byte change: address, old bytes, new bytes, changed positions. */
function hexRows(
  b: ByteChange,
): { address: number; before: string[]; after: string[]; changed: boolean[] }[] {
  const rows = [];
  const first = b.address - (b.address % 16);
  for (let row = first; row < b.address + b.after.length; row += 16) {
    const before: string[] = [], after: string[] = [], changed: boolean[] = [];
    for (let a = row; a < row + 16; a++) {
      const i = a - b.address;
      if (i < 0 || i >= b.after.length) {
        before.push("  ");
        after.push("  ");
        changed.push(false);
        continue;
      }
      before.push(b.before[i].toString(16).padStart(2, "0"));
      after.push(b.after[i].toString(16).padStart(2, "0"));
      changed.push(b.before[i] !== b.after[i]);
    }
    rows.push({ address: row, before, after, changed });
  }
  return rows;
}

/**
 * A diff, rendered.
 *
 * @example
 * ```ts
 * import { Allocator, diff, diffView, heapState, Process } from "../../mod.ts";
 * import assert from "node:assert/strict";
 * const libc = new Allocator(new Process());
 * const p = libc.malloc(24);
 * const a = heapState(libc, "before");
 * libc.free(p);
 * const text = diffView(diff(a, heapState(libc, "after"))).toString();
 * assert.match(text, /freed: in use \(0x20\) → tcache 0x20/);
 * ```
 */
export class DiffView {
  /** The diff shown. */
  readonly diff: HeapDiff;
  readonly #maxRows: number;

  /** Shows `diff`, with at most `maxRows` rows of 16 bytes in its hex dumps (default 24). */
  constructor(diff: HeapDiff, options: { maxRows?: number } = {}) {
    objectOption("diff", diff, "a HeapDiff", (v) => "chunks" in v);
    integerOption("maxRows", viewOptions(options, ["maxRows"]).maxRows);
    this.diff = diff;
    this.#maxRows = options.maxRows ?? 24;
  }

  /** The diff as lines of text. */
  lines(): string[] {
    const d = this.diff;
    const out = [`diff ${d.from || "a"} → ${d.to || "b"}`];
    if (d.chunks.length) out.push("chunks:", ...d.chunks.map((c) => `  ${describeChunkChange(c)}`));
    if (d.arenas.length) {
      out.push("arena fields:");
      for (const f of d.arenas) {
        const v = (x: number | string) => typeof x === "number" ? hex(x) : x;
        out.push(`  ${hex(f.arena)} ${f.field}: ${v(f.before)} → ${v(f.after)}`);
      }
    }
    if (d.bytes.length) {
      out.push("bytes (changed ones in [..]):");
      let rows = 0, hidden = 0;
      for (const b of d.bytes) {
        out.push(`  ${b.where}:`);
        for (const r of hexRows(b)) {
          if (rows++ >= this.#maxRows) {
            hidden++;
            continue;
          }
          const mark = (xs: string[]) =>
            xs.map((x, i) => r.changed[i] ? `[${x}]` : ` ${x} `).join("").trimEnd();
          out.push(
            `    ${hex(r.address)} - ${mark(r.before)}`,
            `    ${hex(r.address)} + ${mark(r.after)}`,
          );
        }
      }
      if (hidden) out.push(`  … ${hidden} more rows of 16 bytes`);
    }
    if (d.maps.length) {
      out.push("maps:");
      for (const m of d.maps) {
        out.push(
          `  ${m.change} ${hex(m.row.start)}-${
            hex(m.row.end)
          } ${m.row.perms} ${m.row.name} ${m.note}`.trimEnd(),
        );
      }
    }
    if (d.syscalls.length) out.push("syscalls:", ...d.syscalls.map((s) => `  ${formatSyscall(s)}`));
    if (out.length === 1) out.push("  no changes");
    return out;
  }

  /** The diff as text. */
  toString(): string {
    return this.lines().join("\n");
  }

  /** The diff as HTML: tables, and the hex dump with changed bytes highlighted. */
  toHtml(): string {
    const d = this.diff;
    const parts = [
      `<div><b>diff ${escapeHtml(d.from || "a")} → ${escapeHtml(d.to || "b")}</b></div>`,
    ];
    if (d.chunks.length) {
      parts.push(htmlTable(
        ["chunk", "change", "before", "after"],
        d.chunks.map((c) => ({
          cells: [
            hex(c.address),
            c.kind,
            c.sizeBefore ? `${c.binBefore ?? c.stateBefore} (${hex(c.sizeBefore)})` : "",
            c.sizeAfter ? `${c.binAfter ?? c.stateAfter} (${hex(c.sizeAfter)})` : "",
          ],
          mark: c.kind === "created" || c.kind === "mmapped"
            ? "new"
            : c.kind === "gone" || c.kind === "munmapped"
            ? "removed"
            : "changed",
        })),
        { caption: "chunks" },
      ));
    }
    if (d.arenas.length) {
      const v = (x: number | string) => typeof x === "number" ? hex(x) : x;
      parts.push(htmlTable(
        ["arena", "field", "before", "after"],
        d.arenas.map((f) => ({ cells: [hex(f.arena), f.field, v(f.before), v(f.after)] })),
        { caption: "arena fields" },
      ));
    }
    if (d.bytes.length) {
      const cell = (x: string, changed: boolean) =>
        changed ? `<span style="background:#ffd33d;font-weight:bold">${x}</span>` : x;
      let budget = this.#maxRows;
      const dump = d.bytes.map((b) => {
        const all = hexRows(b);
        const shown = all.slice(0, Math.max(0, budget));
        budget -= shown.length;
        const rows = shown.map((r) =>
          `${hex(r.address)} - ${r.before.map((x, i) => cell(x, r.changed[i])).join(" ")}\n` +
          `${hex(r.address)} + ${r.after.map((x, i) => cell(x, r.changed[i])).join(" ")}`
        );
        const more = all.length > shown.length ? `\n… ${all.length - shown.length} more rows` : "";
        return `${escapeHtml(b.where)}\n${rows.join("\n")}${more}`;
      }).join("\n");
      parts.push(`<pre class="heaplab-bytes" style="font-size:12px">${dump}</pre>`);
    }
    if (d.maps.length) {
      parts.push(htmlTable(
        ["change", "range", "perms", "name", "note"],
        d.maps.map((m) => ({
          cells: [
            m.change,
            `${hex(m.row.start)}-${hex(m.row.end)}`,
            m.row.perms,
            m.row.name,
            m.note,
          ],
          mark: m.change === "new" ? "new" : m.change === "removed" ? "removed" : "changed",
        })),
        { caption: "maps" },
      ));
    }
    if (d.syscalls.length) {
      parts.push(`<pre>${escapeHtml(d.syscalls.map((s) => formatSyscall(s)).join("\n"))}</pre>`);
    }
    return parts.join("\n");
  }

  /** For Deno's Jupyter kernel. */
  [JUPYTER_DISPLAY](): DiffViewBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/** The view of a diff (at most `maxRows` rows of 16 bytes in its hex dumps, default 24). */
export function diffView(diff: HeapDiff, options: { maxRows?: number } = {}): DiffView {
  return new DiffView(diff, options);
}
