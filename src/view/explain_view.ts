/**
 * What one allocator call did, from its explain record ({@linkcode Allocator.lastRecord}): the
 * call and its result, the path that served it (tcache, fastbin, smallbin, top, sysmalloc,
 * mmap, …), every chunk that moved between bins, was split or merged, in glibc's order, and the
 * system calls it made. A call that ended in an abort (`HeapAbort`: a glibc integrity check) or
 * a fault shows the signal and glibc's exact message too.
 *
 * @module
 */

import { formatSyscall } from "../kernel/syscall_log.ts";
import type { Allocator } from "../malloc/allocator.ts";
import { callText, type ExplainStep, type OperationRecord } from "../malloc/explain.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { formatTable, hex } from "./format.ts";
import { escapeHtml, type HtmlRow, htmlTable } from "./html.ts";
import { arenaLabel } from "./heap_reading.ts";
import { functionArgument, objectOption, viewOptions } from "./options.ts";
import { explainSyscall } from "./syscall_table.ts";

/** Options of {@linkcode explainView}. */
export interface ExplainViewOptions {
  /** The error the call ended with (an abort or a fault), if any. */
  readonly error?: unknown;
  /** The allocator, to name arenas (given implicitly when the source is an allocator). */
  readonly allocator?: Allocator;
}

/** What Deno's Jupyter kernel shows for an {@linkcode ExplainView}. */
export interface ExplainViewBundle {
  /** The headline, the steps and the system calls as HTML. */
  "text/html": string;
  /** The same as text. */
  "text/plain": string;
}

/** The signal and message of an error that ends a simulated call like a signal ends a process. */
function signalOf(error: unknown): { signal: string; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const signal = (error as { signal?: string }).signal;
  return { signal: signal ?? error.name, message: error.message };
}

/**
 * One call explained. Build it with {@linkcode explainView} or {@linkcode explainCall}.
 *
 * @example
 * ```ts
 * import { Process } from "../kernel/process.ts";
 * import { Allocator } from "../malloc/allocator.ts";
 * import { explainCall, explainView } from "./explain_view.ts";
 * import assert from "node:assert/strict";
 *
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * const a = heap.malloc(24);
 * assert.match(explainView(heap).headline(), /^malloc\(24\) = 0x[0-9a-f]+ · served by /);
 * heap.free(a);
 * const abort = explainCall(heap, () => heap.free(a));
 * assert.equal(abort.signal?.message, "free(): double free detected in tcache 2");
 * ```
 */
export class ExplainView {
  /** The record of the call (undefined when the call reached no allocator function). */
  readonly record: OperationRecord | undefined;
  /** The signal the call ended with, and glibc's message, if it did not return. */
  readonly signal?: { readonly signal: string; readonly message: string };
  readonly #arena: (address: number) => string;

  /**
   * Explains a record.
   *
   * @param record The call's record.
   * @param options The error it ended with; the allocator, to name arenas.
   */
  constructor(record: OperationRecord | undefined, options: ExplainViewOptions = {}) {
    this.record = record;
    this.signal = signalOf(options.error);
    const allocator = options.allocator;
    this.#arena = (a) => (allocator ? arenaLabel(allocator, a) : `arena ${hex(a)}`);
  }

  /** The call as C: `malloc(1000) = 0x804b008`, `free(0x804b008)`. */
  call(): string {
    const r = this.record;
    if (!r) return "(no allocator call)";
    return callText(r, !this.signal);
  }

  /** One line: the call, the path that served it, the arena, the thread. */
  headline(): string {
    const r = this.record;
    const parts = [this.call()];
    if (r?.served) parts.push(`served by ${r.served}`);
    if (r && r.arena !== 0) parts.push(this.#arena(r.arena));
    if (r) parts.push(`tid ${r.tid}`);
    if (this.signal) parts.push(`${this.signal.signal}: ${this.signal.message}`);
    return parts.join(" · ");
  }

  /** A step in words. */
  describeStep(step: ExplainStep): string {
    const size = step.size ? ` (size ${hex(step.size)})` : "";
    const chunk = step.chunk ? `chunk ${hex(step.chunk)}${size}` : "";
    const repeats = step.note === `into ${step.to}` || step.note === step.to;
    const note = step.note && !repeats ? ` — ${step.note}` : "";
    switch (step.action) {
      case "take":
        return `take ${chunk} from ${step.from ?? "?"}${step.to ? ` to ${step.to}` : ""}${note}`;
      case "put":
        return `put ${chunk}${step.from ? ` from ${step.from}` : ""} into ${step.to ?? "?"}${note}`;
      case "split":
        return `split ${chunk}${step.from ? ` off ${step.from}` : ""}${
          step.to ? `, the rest to ${step.to}` : ""
        }${note}`;
      case "merge":
        return `merge ${chunk}${step.to ? ` into ${step.to}` : ""}${note}`;
      case "arena":
        return `${step.note ?? "arena"}${chunk ? ` at ${hex(step.chunk)}${size}` : ""}`;
    }
  }

  /** The steps and system calls as lines of text. */
  lines(): string[] {
    const r = this.record;
    const out = [this.headline()];
    if (!r) return out;
    r.steps.forEach((s, i) => out.push(`  ${i + 1}. ${this.describeStep(s)}`));
    if (r.steps.length === 0) out.push("  (no steps recorded)");
    for (const c of r.syscalls) out.push(`  syscall ${formatSyscall(c)}: ${explainSyscall(c)}`);
    return out;
  }

  /** The explanation as text. */
  toString(): string {
    return this.lines().join("\n");
  }

  /** The explanation as HTML: the headline, the steps, the system calls. */
  toHtml(): string {
    const r = this.record;
    const steps: HtmlRow[] = (r?.steps ?? []).map((s, i) => ({
      cells: [
        String(i + 1),
        s.action,
        s.chunk ? hex(s.chunk) : "",
        s.size ? hex(s.size) : "",
        s.from ?? "",
        s.to ?? "",
        s.note ?? "",
      ],
    }));
    const calls: HtmlRow[] = (r?.syscalls ?? []).map((c) => ({
      cells: ["", "syscall", formatSyscall(c), "", "", "", explainSyscall(c)],
    }));
    const table = htmlTable(["#", "action", "chunk", "size", "from", "to", "note"], [
      ...steps,
      ...calls,
    ], {
      caption: this.headline(),
      className: "heaplab-explain",
      rightAligned: [0, 3],
    });
    const abort = this.signal
      ? `<div style="border-left:4px solid #cf222e;background:#ffebe9;color:#82071e;` +
        `padding:4px 10px;font-family:ui-monospace,monospace;font-size:12px">${
          escapeHtml(`${this.signal.signal}: ${this.signal.message}`)
        }</div>`
      : "";
    return `<div class="heaplab-explain-view">${abort}${table}</div>`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The explanation as HTML and text.
   */
  [JUPYTER_DISPLAY](): ExplainViewBundle {
    return { "text/html": this.toHtml(), "text/plain": this.toString() };
  }
}

/**
 * Explains the last call of an allocator, or a given record.
 *
 * @param source An allocator (its {@linkcode Allocator.lastRecord}) or a record.
 * @param options The error the call ended with; the allocator, to name arenas.
 * @returns The view.
 */
export function explainView(
  source: Allocator | OperationRecord | undefined,
  options: ExplainViewOptions = {},
): ExplainView {
  objectOption("source", source, "an Allocator or an operation record");
  const o = viewOptions(options, ["error", "allocator"]);
  objectOption("allocator", o.allocator, "an Allocator", (v) => "lastRecord" in v);
  if (source && "lastRecord" in source) {
    return new ExplainView(source.lastRecord, { ...options, allocator: source });
  }
  return new ExplainView(source, options);
}

/**
 * Makes a call on an allocator and explains it; a call that aborts (a glibc integrity check) or
 * faults does not throw: the view shows the signal and the message, and the simulation stays as
 * the abort left it, for inspection. Other errors are thrown.
 *
 * @param allocator The allocator the call uses.
 * @param call The call, e.g. `() => heap.free(p)`.
 * @returns The view.
 */
export function explainCall(allocator: Allocator, call: () => unknown): ExplainView {
  objectOption("allocator", allocator, "an Allocator", (v) => "lastRecord" in v);
  functionArgument("call", call);
  const before = allocator.lastRecord;
  let error: unknown;
  try {
    call();
  } catch (e) {
    if (!signalOf(e) || !(e as { signal?: string }).signal) throw e;
    error = e;
  }
  const record = allocator.lastRecord === before ? undefined : allocator.lastRecord;
  return new ExplainView(record, { error, allocator });
}

/**
 * A text table of several records, one line each (call, path, steps, system calls): a log of a
 * sequence of calls.
 *
 * @param records The records, in order.
 * @returns The table as text.
 */
export function formatRecords(records: readonly OperationRecord[]): string {
  const rows = records.map((r) => {
    const v = new ExplainView(r);
    return [v.call(), r.served, String(r.steps.length), r.syscalls.map(formatSyscall).join("; ")];
  });
  return formatTable([["call", "served by", "steps", "system calls"], ...rows]);
}
