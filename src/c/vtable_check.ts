/**
 * glibc's calls through a FILE's vtable (`_IO_JUMPS_FUNC`, libioP.h): the vtable pointer is
 * checked (`IO_validate_vtable`, 2.24+), then the function pointer in the called slot is called.
 * A pointer outside libc's vtables (the section `__libc_IO_vtables`, from 2.37 the array
 * `__io_vtables`) ends the process — `__libc_fatal` writes "Fatal error: glibc detected an
 * invalid stdio handle" to stderr and aborts (SIGABRT), leaving what stdio buffered unwritten.
 * Any pointer inside them passes, even one a few slots off a vtable's start: what runs is the
 * function the word at pointer + slot holds (libc's facts, `IO_VTABLE_FUNCTIONS`), which is how
 * shifted-vtable FSOP (House of Kiwi, Emma, Cat, Apple) turns a puts or an exit into a call of
 * `_IO_wfile_overflow`, `_IO_str_overflow`, `_IO_cookie_write`…
 *
 * The simulator dispatches by that function: `_IO_file_jumps` itself is the fast path (one
 * compare); another vtable whose slot holds the function `_IO_file_jumps` has there runs the same
 * fileops model; `_IO_wfile_overflow` runs House of Apple 2's model where its callers are
 * modelled (`wfile_overflow.ts`); any other function is refused by name.
 *
 * Checked against real runs: tests/fixtures/c/fsop/ (exit's flush, puts through a shifted
 * vtable) and tests/fixtures/c/vtable/ (a call through stdout's, stderr's, stdin's and a fopen'ed
 * FILE's: writes, reads, ungetc, fclose, ftell).
 *
 * @module
 */

import type { LibcState } from "../malloc/libc_state.ts";
import { IO_VTABLE_FUNCTIONS } from "../malloc/libc_symbols.ts";

/** What glibc prints before it aborts for a vtable outside libc's. */
export const INVALID_STDIO_HANDLE = "Fatal error: glibc detected an invalid stdio handle\n";

/** The words of `struct _IO_jump_t` (libioP.h), in order: two dummies, then its functions. */
export const JUMP_SLOTS = [
  "__dummy",
  "__dummy2",
  "__finish",
  "__overflow",
  "__underflow",
  "__uflow",
  "__pbackfail",
  "__xsputn",
  "__xsgetn",
  "__seekoff",
  "__seekpos",
  "__setbuf",
  "__sync",
  "__doallocate",
  "__read",
  "__write",
  "__seek",
  "__close",
  "__stat",
  "__showmanyc",
  "__imbue",
] as const;

/** A slot of a stdio vtable, by glibc's field name. */
export type JumpSlot = (typeof JUMP_SLOTS)[number];

/** What a call through a slot of a FILE's vtable reaches. */
export type VtableCall =
  /** `_IO_file_jumps`, or a vtable whose slot holds the function `_IO_file_jumps` has there. */
  | "file"
  /** Outside libc's vtables, where the build checks them: the process ends. */
  | "invalid"
  /**
   * Another function: the vtable (`name+0xoff`, or the address) and what its slot holds — a
   * function's name, null for a zero word, undefined where libc's facts do not say (a slot past
   * libc's vtables, a pointer between two words).
   */
  | { readonly vtable: string; readonly function: string | null | undefined };

/**
 * What a call through `slot` of the vtable at `vtable` reaches on `libc`, which checks vtables
 * when `validates`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator, Process } from "../../mod.ts";
 * import { vtableCall } from "./vtable_check.ts";
 * const libc = new Allocator(new Process(), { glibc: "2.41" }).libc;
 * const wfile = libc.symbol("_IO_wfile_jumps")!;
 * assert.equal(vtableCall(libc, true, libc.symbol("_IO_file_jumps")!, "__xsputn"), "file");
 * assert.equal(vtableCall(libc, true, 0x4141, "__xsputn"), "invalid");
 * assert.equal(vtableCall(libc, true, wfile, "__write"), "file"); // _IO_new_file_write
 * // 0x20 below _IO_wfile_jumps, __xsputn is its __overflow
 * assert.deepEqual(vtableCall(libc, true, wfile - 0x20, "__xsputn"), {
 *   vtable: "_IO_file_jumps_maybe_mmap+0x88",
 *   function: "_IO_wfile_overflow",
 * });
 * ```
 */
export function vtableCall(
  libc: LibcState,
  validates: boolean,
  vtable: number,
  slot: JumpSlot,
): VtableCall {
  if (vtable === libc.symbol("_IO_file_jumps")) return "file";
  const section = libc.build.facts.ioVtables;
  const inLibc = vtable >= libc.base + section.start && vtable < libc.base + section.end;
  if (!inLibc && validates) return "invalid";
  const index = JUMP_SLOTS.indexOf(slot);
  const fn = libcVtableWord(libc, vtable + index * wordSize(libc));
  if (fn && fn === IO_VTABLE_FUNCTIONS._IO_file_jumps[index]) return "file";
  return { vtable: vtableName(libc, vtable), function: fn };
}

/**
 * The function the word at `address` in libc's vtables points to: its name, null for a zero
 * word, undefined outside them or between two words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator, Process } from "../../mod.ts";
 * import { libcVtableWord } from "./vtable_check.ts";
 * const libc = new Allocator(new Process(), { glibc: "2.31" }).libc;
 * const wfile = libc.symbol("_IO_wfile_jumps")!;
 * assert.equal(libcVtableWord(libc, wfile + 13 * 8), "_IO_wfile_doallocate");
 * assert.equal(libcVtableWord(libc, wfile), null); // __dummy
 * assert.equal(libcVtableWord(libc, wfile + 4), undefined);
 * ```
 */
export function libcVtableWord(libc: LibcState, address: number): string | null | undefined {
  const facts = libc.build.facts, word = wordSize(libc), offset = address - libc.base;
  if (offset < facts.ioVtables.start || offset >= facts.ioVtables.end) return undefined;
  const table = containing(libc, offset);
  if (table === undefined || (offset - table[0]) % word !== 0) return undefined;
  // past a vtable's 21 words, up to the next: the zero words that align it (up to 2.36)
  return IO_VTABLE_FUNCTIONS[table[1]][(offset - table[0]) / word] ?? null;
}

/** `name+0xoff` of libc's vtable holding `address`, or the address. */
function vtableName(libc: LibcState, address: number): string {
  const table = containing(libc, address - libc.base);
  if (table === undefined) return libc.symbolAt(address) ?? `0x${address.toString(16)}`;
  const name = table[1].replace(/#\d+$/, ""), d = address - libc.base - table[0];
  return d === 0 ? name : `${name}+0x${d.toString(16)}`;
}

/** libc's vtable at or below `offset` (from libc's base) inside its vtables. */
function containing(libc: LibcState, offset: number): readonly [number, string] | undefined {
  const facts = libc.build.facts;
  if (offset < facts.ioVtables.start || offset >= facts.ioVtables.end) return undefined;
  let best: readonly [number, string] | undefined;
  for (const entry of facts.ioVtableList) if (entry[0] <= offset) best = entry;
  return best;
}

function wordSize(libc: LibcState): number {
  return libc.build.facts.arch === "x86_64" ? 8 : 4;
}
