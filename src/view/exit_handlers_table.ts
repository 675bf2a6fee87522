/**
 * exit's handler lists as a C program's process holds them (`src/c/exit_funcs.ts` models them):
 * from libc's `__exit_funcs` along each `struct exit_function_list`'s `next`, every used entry in
 * the order exit will call it — the head list's last entry first — with its flavor, its function
 * pointer as memory stores it (`PTR_MANGLE`d) and demangled with the pointer guard, what that
 * address is (a libc symbol, ld.so's `_dl_fini`, a function the program named), its argument
 * (and the string there) and its `dso_handle`. An entry an exploit overwrote shows what exit
 * will make of it.
 *
 * The guard is read where glibc keeps it: up to 2.43 the main thread's TCB word `%fs:0x30`, from
 * 2.44 ld.so's read-only `__pointer_chk_guard` (where the build's ld.so is mapped; elsewhere
 * `%fs:0x30`, which 2.44 leaves 0).
 *
 * @module
 */

import type { CProgram } from "../c/program.ts";
import { demangle, EF_AT, EF_CXA, EF_FREE, EF_ON, EF_US } from "../c/exit_funcs.ts";
import { type DataRow, DataTable } from "./data_table.ts";
import { hex } from "./format.ts";
import { printedAddresses } from "./address_table.ts";
import { integerOption, objectOption, viewOptions } from "./options.ts";

/** Options of {@link exitHandlersTable}. */
export interface ExitHandlersTableOptions {
  /**
   * Names for addresses the view cannot name itself — the program's own functions: an object
   * of names to addresses, or the lines `name 0x…` the program printed.
   */
  readonly names?: Readonly<Record<string, number | bigint>> | string;
  /** At most this many entries, in exit's order (default all); a last row counts the rest. */
  readonly limit?: number;
}

/** The flavors' names (`enum` of stdlib/exit.h). */
const FLAVORS: Readonly<Record<number, string>> = {
  [EF_FREE]: "ef_free",
  [EF_US]: "ef_us",
  [EF_ON]: "ef_on",
  [EF_AT]: "ef_at",
  [EF_CXA]: "ef_cxa",
};
/** x86_64's `struct exit_function_list`: `next`, `idx`, then 32 entries of four words. */
const ENTRIES = 32, HEADER = 16, ENTRY = 32;
/** The TCB's pointer guard (x86_64's `tcbhead_t.pointer_guard`). */
const TCB_POINTER_GUARD = 0x30;

/**
 * exit's handlers as a table, one row per used entry in the order exit calls them: `entry`
 * (`initial.fns[0]`, or a heap list's address), `flavor`, `fn as stored`, `demangled`,
 * `points to`, `arg`, `dso_handle`. The title gives the lists from `__exit_funcs` (each with its
 * `idx`) and the guard used. A program without exit's list (i386, a packed libc) gets an empty
 * table saying so.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram } from "../c/program.ts";
 * import { exitHandlersTable } from "./exit_handlers_table.ts";
 *
 * const prog = new CProgram("int main(void) { return 0; }", { glibc: "2.36" });
 * prog.runTo("return 0");
 * const table = exitHandlersTable(prog);
 * assert.equal(table.rows.length, 1);
 * assert.equal(table.rows[0].entry, "initial.fns[0]");
 * assert.equal(table.rows[0]["points to"], "_dl_fini (ld.so)");
 * ```
 *
 * @param program The program.
 * @param options Names for the program's functions, and a limit on the rows.
 * @returns The table.
 */
export function exitHandlersTable(
  program: CProgram,
  options?: ExitHandlersTableOptions,
): DataTable {
  const o = viewOptions(options, ["names", "limit"]);
  integerOption("limit", o.limit, 0);
  if (typeof o.names !== "string") objectOption("names", o.names, "an object or printed lines");
  const libc = program.allocator.libc, memory = program.process.memory;
  const exitFuncs = libc.symbol("__exit_funcs"), initial = libc.symbol("initial");
  if (exitFuncs === undefined || initial === undefined || program.allocator.profile.sizeSz !== 8) {
    return new DataTable([], "no exit list here: modelled on x86_64 with libc's real data");
  }
  const word = (at: number): bigint | undefined => {
    try {
      return memory.readBig64(at);
    } catch {
      return undefined;
    }
  };
  const inLd = program.allocator.profile.pointerGuard === "tcb"
    ? undefined
    : libc.ldSymbol("__pointer_chk_guard");
  const guardAt = inLd ?? libc.threadPointer(program.process.mainThread) + TCB_POINTER_GUARD;
  const guard = word(guardAt) ?? 0n;
  const name = namer(program, o.names);
  const rows: DataRow[] = [];
  const chain: string[] = [];
  const seen = new Set<number>();
  let total = 0;
  for (let list = word(exitFuncs); list && !seen.has(Number(list)); list = word(Number(list))) {
    const at = Number(list), idx = word(at + 8);
    if (idx === undefined) break;
    seen.add(at);
    const label = at === initial ? "initial" : hex(at);
    chain.push(`${label} (idx ${idx})`);
    for (let i = Math.min(Number(idx), ENTRIES) - 1; i >= 0; i--, total++) {
      if (o.limit !== undefined && rows.length >= o.limit) continue;
      rows.push(entryRow(`${label}.fns[${i}]`, at + HEADER + i * ENTRY, word, guard, name));
    }
  }
  if (total > rows.length) rows.push({ entry: `… ${total - rows.length} more` });
  const title = `__exit_funcs → ${chain.join(" → ") || "NULL"}; pointer guard ${hex(guard)} (${
    inLd === undefined ? "%fs:0x30" : "ld.so's __pointer_chk_guard"
  })`;
  return new DataTable(rows, title);
}

/** One entry's row: its words, the function demangled and named, the argument's string. */
function entryRow(
  entry: string,
  at: number,
  word: (at: number) => bigint | undefined,
  guard: bigint,
  name: (address: bigint, string?: boolean) => string,
): DataRow {
  const [flavor, fn, arg, dso] = [0, 8, 16, 24].map((d) => word(at + d) ?? 0n);
  const calls = flavor === BigInt(EF_ON) || flavor === BigInt(EF_AT) ||
    flavor === BigInt(EF_CXA);
  const target = demangle(fn, guard);
  return {
    entry,
    flavor: FLAVORS[Number(flavor)] !== undefined && flavor < 8n
      ? `${flavor} ${FLAVORS[Number(flavor)]}`
      : hex(flavor),
    "fn as stored": hex(fn),
    demangled: calls ? hex(target) : "",
    "points to": calls ? name(target) : "",
    arg: arg === 0n ? "0" : `${hex(arg)}${name(arg, true)}`,
    dso_handle: dso === 0n ? "0" : `${hex(dso)} ${name(dso)}`.trimEnd(),
  };
}

/**
 * What an address is: a name given, ld.so's `_dl_fini`, the program's `__dso_handle`, a libc
 * symbol; with `string`, the C string there (quoted) when it is short and printable.
 */
function namer(
  program: CProgram,
  names: ExitHandlersTableOptions["names"],
): (address: bigint, string?: boolean) => string {
  const given = new Map<bigint, string>();
  const pairs = typeof names === "string" ? printedAddresses(names) : Object.entries(names ?? {});
  for (const [n, a] of pairs) given.set(BigInt(a), n);
  const libc = program.allocator.libc;
  const ld = program.process.space.areas().find((v) => /\/ld-linux[^/]*$/.test(v.file?.path ?? ""));
  const dlFini = libc.build.facts.ldSymbols._dl_fini;
  if (ld !== undefined && dlFini !== undefined) {
    given.set(BigInt(ld.start + dlFini), "_dl_fini (ld.so)");
  }
  const dso = program.globalsInfo().landmarks.find((l) => l.name === "__dso_handle");
  if (dso !== undefined) given.set(BigInt(dso.address), "<__dso_handle>");
  return (address, string = false) => {
    if (string) {
      const text = cString(program, address);
      return text === undefined ? "" : ` "${text}"`;
    }
    const known = given.get(address);
    if (known !== undefined) return known;
    if (address > BigInt(Number.MAX_SAFE_INTEGER)) return "";
    return libc.symbolAt(Number(address)) ?? "";
  };
}

/** The NUL-terminated printable string of at most 32 bytes at `address`, if there is one. */
function cString(program: CProgram, address: bigint): string | undefined {
  if (address > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  let text = "";
  for (let at = Number(address); text.length <= 32; at++) {
    let byte: number;
    try {
      byte = program.process.memory.read8(at);
    } catch {
      return undefined;
    }
    if (byte === 0) return text || undefined;
    if (byte < 0x20 || byte >= 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return undefined;
}
