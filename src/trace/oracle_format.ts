/**
 * The oracle's text (`docs/trace_format.md`): the header, then each {@link ReplayEvent} as the
 * line (and, for `maps` and `rawmaps`, the indented lines) the real-glibc driver prints for the
 * same operation — pointer results as `main` / `heapK` / `mmap` offsets with the raw size word,
 * the break, heap-related mappings, system call results with errno names — and the line that
 * ends a replay (`error`, `abort`, `segfault`).
 *
 * @module
 */

import { errnoName } from "../kernel/errors.ts";
import { wordHex, type WordOps } from "../kernel/word.ts";
import type { AddressPlace } from "./places.ts";
import type { ReadValue, ReplayEvent, SizeWordFields, TracePlace } from "./session.ts";

/** A number as the oracle prints it: lowercase hex with `0x`, a negative word unsigned. */
export function oracleHex(words: WordOps, x: number): string {
  return "0x" + (x < 0 ? wordHex(words, x) : x.toString(16));
}

/** An offset that may be negative (below the main heap start): `-0x…` then. */
function signedHex(words: WordOps, offset: number): string {
  return offset >= 0 ? oracleHex(words, offset) : "-" + oracleHex(words, -offset);
}

/** The header lines: glibc, architecture and CPUs, and a kernel trace's initial break. */
export function formatHeader(
  session: {
    readonly glibc: string;
    readonly arch: string;
    readonly nprocs: number;
    readonly kernelTrace: boolean;
    readonly mainStart: number;
  },
): string[] {
  const lines = [`# glibc ${session.glibc} ${session.arch} nprocs=${session.nprocs}`];
  if (session.kernelTrace) lines.push(`# initial break 0x${session.mainStart.toString(16)}`);
  return lines;
}

/** Where a pointer lies, as the output's `<where> <offset> <sizefield>` (`main 0x2a0 0x21`). */
export function formatPlace(words: WordOps, place: TracePlace): string {
  switch (place.kind) {
    case "null":
      return "null - -";
    case "mmap":
      return `mmap ${oracleHex(words, place.offset)} ${sizeWordHex(words, place)}`;
    case "heap": {
      const offset = oracleHex(words, place.offset);
      const where = place.heap === undefined ? `heap? ${offset}` : `heap${place.heap} ${offset}`;
      return `${where} ${sizeWordHex(words, place)}`;
    }
    case "main":
      return `main ${signedHex(words, place.offset)} ${sizeWordHex(words, place)}`;
    case "fake":
    case "slot":
    case "libc":
      return `${formatAddressPlace(words, place)} ${sizeWordHex(words, place)}`;
    case "unmapped":
      return `unmapped ${oracleHex(words, place.address)} -`;
  }
}

/** An exact unsigned value (a word beyond 2^53, a read) as the oracle prints it. */
export function hexOf(value: bigint): string {
  return "0x" + value.toString(16);
}

/** A result's size word in hex: exactly, also when a number carries it rounded. */
export function sizeWordHex(words: WordOps, place: SizeWordFields): string {
  return place.exactSizeWord !== undefined
    ? hexOf(place.exactSizeWord)
    : oracleHex(words, place.sizeWord);
}

/** (v2) An address's place: `fake1 0x10`, `main 0x2a0`, `heap2 0x8a0`, `slot3 -0x8`, `libc 0x1ecbe0`. */
export function formatAddressPlace(words: WordOps, place: AddressPlace): string {
  const offset = signedHex(words, place.offset);
  switch (place.kind) {
    case "fake":
      return `fake${place.area} ${offset}`;
    case "main":
      return `main ${offset}`;
    case "heap":
      return `heap${place.heap} ${offset}`;
    case "slot":
      return `slot${place.slot} ${offset}`;
    case "libc":
      return `libc ${offset}`;
  }
}

/** (v2) What a `read` read: `0x0`, a place, `mangled <place>`, `mangled 0x0`, `key` or hex. */
export function formatReadValue(words: WordOps, value: ReadValue): string {
  switch (value.kind) {
    case "number":
      return hexOf(value.value);
    case "place":
      return formatAddressPlace(words, value.place);
    case "mangled":
      return `mangled ${value.place ? formatAddressPlace(words, value.place) : "0x0"}`;
    case "key":
      return "key";
  }
}

/**
 * The result part of an operation's line — what follows `->` (`ok`, `MAP_FAILED ENOMEM`, `0`,
 * `-1 EINVAL`, a break offset, trim's and mallopt's return), or for pointer operations the
 * place; undefined for operations whose line only echoes their arguments.
 */
export function formatResult(words: WordOps, event: ReplayEvent): string | undefined {
  const op = event.op;
  switch (op.kind) {
    case "malloc":
    case "calloc":
    case "memalign":
    case "realloc":
      return formatPlace(words, event.place!);
    case "trim":
    case "mallopt":
      return String(event.result);
    case "sbrk":
      return event.breakOffset !== undefined
        ? signedHex(words, event.breakOffset)
        : `-1 ${errnoName(event.errno ?? 0)}`;
    case "mmap":
      return event.errno === undefined ? "ok" : `MAP_FAILED ${errnoName(event.errno)}`;
    case "munmap":
    case "mprotect":
      return event.errno === undefined ? "0" : `-1 ${errnoName(event.errno)}`;
    case "brk":
      return signedHex(words, event.breakOffset!);
    default:
      return undefined;
  }
}

/** The lines after an operation's own line: `maps`' mappings and `rawmaps`' whole text. */
export function formatDetails(words: WordOps, event: ReplayEvent): string[] {
  if (event.mappings) {
    return event.mappings.map((m) => {
      const size = m.exactSize === undefined ? oracleHex(words, m.size) : hexOf(m.exactSize);
      return `  ${m.label} ${m.perms} ${size}`;
    });
  }
  if (event.rawmaps !== undefined) {
    return event.rawmaps.slice(0, -1).split("\n").map((l) => `  ${l}`);
  }
  return [];
}

/**
 * Emits the lines the oracle prints for one event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { words64 } from "../kernel/word.ts";
 * import { formatEvent } from "./oracle_format.ts";
 *
 * const lines: string[] = [];
 * const op = { kind: "malloc", slot: 3, size: 24 } as const;
 * const place = { kind: "main", offset: 0x2a0, sizeWord: 0x21 } as const;
 * formatEvent(words64, { line: 7, op, result: 0, place, syscalls: [] }, (l) => lines.push(l));
 * assert.deepEqual(lines, ["7 malloc 3 main 0x2a0 0x21"]);
 * ```
 */
export function formatEvent(
  words: WordOps,
  event: ReplayEvent,
  emit: (line: string) => void,
): void {
  const op = event.op, line = event.line;
  switch (op.kind) {
    case "malloc":
    case "calloc":
    case "memalign":
    case "realloc":
      emit(`${line} ${op.kind} ${op.slot} ${formatPlace(words, event.place!)}`);
      return;
    case "free":
    case "thread":
    case "join":
    case "write":
      emit(`${line} ${op.kind} ${op.args}`);
      return;
    case "read":
      emit(`${line} read ${op.args} -> ${formatReadValue(words, event.value!)}`);
      return;
    case "fake":
      emit(`${line} fake ${op.args} -> fake${event.fakeArea}`);
      return;
    case "trim":
    case "mallopt":
    case "sbrk":
    case "mmap":
    case "munmap":
    case "mprotect":
      emit(`${line} ${op.kind} ${op.args} -> ${formatResult(words, event)}`);
      return;
    case "brk":
      emit(`${line} brk ${formatResult(words, event)}`);
      return;
    case "maps":
    case "rawmaps":
      emit(`${line} ${op.kind}`);
      for (const l of formatDetails(words, event)) emit(l);
      return;
  }
}

/** The line that ends a replay: `<line> error|abort|segfault <message>`. */
export function formatStop(stop: { line: number; kind: string; message: string }): string {
  // The driver's SIGSEGV/SIGBUS handler prints only `<line> segv` (the oracle's SPEC.md, v2).
  if (stop.kind === "segfault") return `${stop.line} segv`;
  if (stop.kind === "hang") return `${stop.line} hang`;
  return stop.message === ""
    ? `${stop.line} ${stop.kind}`
    : `${stop.line} ${stop.kind} ${stop.message}`;
}
