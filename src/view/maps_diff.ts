/**
 * What changed between two /proc/PID/maps listings, line by line: a region that is new, one that
 * grew or shrank (brk moving the heap's end, an mmap merging into its neighbour, a partial
 * munmap), one whose permissions changed (mprotect), and one that is gone.
 *
 * Each line of the newer listing is compared with the lines of the older one that overlap it;
 * the one it continues is the overlapping line with the same permissions and the largest overlap.
 *
 * @module
 */

import { formatBytes, hex } from "./format.ts";
import { arrayOption } from "./options.ts";
import type { MapsRow } from "./region_kind.ts";

/** How a line changed. */
export type MapsChangeKind = "same" | "new" | "grown" | "shrunk" | "changed" | "removed";

/** One line of a diff. */
export interface MapsChange {
  /** How the line changed. */
  readonly change: MapsChangeKind;
  /** The line now; for `removed`, the line that is gone. */
  readonly row: MapsRow;
  /** The older line this one continues (`grown`, `shrunk`, `changed`, `removed`). */
  readonly before?: MapsRow;
  /** Change of size in bytes: + for new and grown, − for shrunk and removed, else 0. */
  readonly delta: number;
  /** What happened, in words: `+128 KiB, grew down`, `perms ---p → rw-p`, … */
  readonly note: string;
}

function key(r: MapsRow): string {
  return `${r.start}-${r.end} ${r.perms} ${r.offset} ${r.dev} ${r.inode} ${r.name}`;
}

function size(r: MapsRow): number {
  return r.end - r.start;
}

function overlap(a: MapsRow, b: MapsRow): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

function range(r: MapsRow): string {
  return `${hex(r.start, 8).slice(2)}-${hex(r.end, 8).slice(2)}`;
}

/** `+128 KiB` or `−4 KiB`. */
export function formatDelta(delta: number): string {
  return (delta < 0 ? "−" : "+") + formatBytes(Math.abs(delta));
}

/**
 * Compares two listings.
 *
 * @example The seed's mmap: the new 128 KiB merge with the anonymous page above them
 * ```ts
 * import { diffMaps } from "./maps_diff.ts";
 * import assert from "node:assert/strict";
 *
 * const row = (start: number, end: number) =>
 *   ({ start, end, perms: "rw-p", offset: 0, dev: "00:00", inode: 0, name: "" });
 * const [change] = diffMaps([row(0xb7e21000, 0xb7e22000)], [row(0xb7e00000, 0xb7e22000)]);
 * assert.equal(change.change, "grown");
 * assert.equal(change.note, "+132 KiB, grew down");
 * ```
 *
 * @param before The older listing, in address order.
 * @param after The newer listing, in address order.
 * @returns One entry per line of `after`, plus the removed lines of `before`, in address order.
 */
export function diffMaps(before: readonly MapsRow[], after: readonly MapsRow[]): MapsChange[] {
  arrayOption("before", before, "an array of maps rows");
  arrayOption("after", after, "an array of maps rows");
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  const oldRows = before.filter((r) => !afterKeys.has(key(r)));
  const bases = new Map<MapsRow, MapsRow | undefined>();
  const useCount = new Map<MapsRow, number>();
  for (const row of after) {
    if (beforeKeys.has(key(row))) continue;
    let base: MapsRow | undefined;
    let best = -1;
    for (const old of oldRows) {
      const o = overlap(old, row);
      if (o === 0) continue;
      const score = o + (old.perms === row.perms ? 2 ** 60 : 0);
      if (score > best) [base, best] = [old, score];
    }
    bases.set(row, base);
    // A line split into pieces of its own permissions (a partial munmap) has several heirs.
    if (base && base.perms === row.perms) useCount.set(base, (useCount.get(base) ?? 0) + 1);
  }
  const changes: MapsChange[] = [];
  for (const row of after) {
    if (beforeKeys.has(key(row))) {
      changes.push({ change: "same", row, delta: 0, note: "" });
      continue;
    }
    const base = bases.get(row);
    if (!base) {
      changes.push({
        change: "new",
        row,
        delta: size(row),
        note: `new, ${formatBytes(size(row))}`,
      });
      continue;
    }
    const merged = oldRows.filter((o) => o !== base && overlap(o, row) > 0).length;
    const notes: string[] = [];
    if (base.perms !== row.perms) notes.push(`perms ${base.perms} → ${row.perms}`);
    if (base.perms === row.perms && (useCount.get(base) ?? 0) > 1) {
      notes.push(`split from ${range(base)}`);
      changes.push({ change: "changed", row, before: base, delta: 0, note: notes.join(", ") });
      continue;
    }
    const delta = base.perms === row.perms ? size(row) - size(base) : 0;
    if (delta !== 0) {
      const where: string[] = [];
      if (row.start !== base.start) {
        where.push(row.start < base.start ? "grew down" : "start moved up");
      }
      if (row.end !== base.end) where.push(row.end > base.end ? "grew up" : "end moved down");
      notes.unshift(formatDelta(delta), ...where);
    } else if (row.start !== base.start || row.end !== base.end) {
      notes.push(`was ${range(base)}`);
    }
    if (merged > 0) notes.push(`merged with ${merged} more`);
    if (base.name !== row.name) {
      notes.push(`name ${base.name || "(none)"} → ${row.name || "(none)"}`);
    }
    const change = delta > 0 ? "grown" : delta < 0 ? "shrunk" : "changed";
    changes.push({ change, row, before: base, delta, note: notes.join(", ") });
  }
  const used = new Set([...bases.values()].filter((b) => b !== undefined));
  const removed = oldRows.filter((o) => !used.has(o) && !after.some((a) => overlap(a, o) > 0));
  for (const row of removed) {
    const change: MapsChange = {
      change: "removed",
      row,
      before: row,
      delta: -size(row),
      note: `removed, ${formatBytes(size(row))}`,
    };
    const at = changes.findIndex((c) => c.row.start >= row.start);
    if (at < 0) changes.push(change);
    else changes.splice(at, 0, change);
  }
  return changes;
}

/**
 * Counts the changes of a diff in words.
 *
 * @example
 * ```ts
 * import { summarizeChanges } from "./maps_diff.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(summarizeChanges([]), "no changes");
 * ```
 *
 * @param changes A diff from {@linkcode diffMaps}.
 * @returns For example `1 new, 1 grown` or `no changes`.
 */
export function summarizeChanges(changes: readonly MapsChange[]): string {
  const order: MapsChangeKind[] = ["new", "grown", "shrunk", "changed", "removed"];
  const parts = order.map((kind) =>
    [kind, changes.filter((c) => c.change === kind).length] as const
  )
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return parts.length ? parts.join(", ") : "no changes";
}
