/**
 * glibc's check of a FILE's vtable pointer (`IO_validate_vtable`, libioP.h; 2.24+), made on
 * every call through it (`_IO_sputn`, `__overflow`, `_IO_SYNC`, …): a pointer outside libc's
 * vtables (the section `__libc_IO_vtables`, from 2.37 the array `__io_vtables`) ends the process
 * — `__libc_fatal` writes "Fatal error: glibc detected an invalid stdio handle" to stderr and
 * aborts (SIGABRT), leaving what stdio buffered unwritten. Which vtable a pointer is, for the
 * simulator to go on: `_IO_file_jumps` (stdio's own, modelled), `_IO_wfile_jumps` (House of
 * Apple 2's, modelled where `_IO_flush_all` calls it), or another, named.
 *
 * Checked against real runs: tests/fixtures/c/fsop/ (fsop.c, at exit's flush) and
 * tests/fixtures/c/vtable/ (a call through stdout's, stderr's, stdin's and a fopen'ed FILE's:
 * writes, reads, ungetc, fclose, ftell).
 *
 * @module
 */

import type { LibcState } from "../malloc/libc_state.ts";

/** What glibc prints before it aborts for a vtable outside libc's. */
export const INVALID_STDIO_HANDLE = "Fatal error: glibc detected an invalid stdio handle\n";

/** A FILE's vtable as glibc's check and the simulator see it. */
export type VtableKind =
  /** `_IO_file_jumps`. */
  | "file"
  /** `_IO_wfile_jumps`. */
  | "wfile"
  /** Outside libc's vtables, where the build checks them: the process ends. */
  | "invalid"
  /** Another vtable — libc's, or anywhere on a build before 2.24 — by name or address. */
  | { readonly other: string };

/**
 * The kind of the vtable at `vtable` on `libc`, which checks vtables when `validates`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator, Process } from "../../mod.ts";
 * import { vtableKind } from "./vtable_check.ts";
 * const libc = new Allocator(new Process()).libc;
 * assert.equal(vtableKind(libc, true, libc.symbol("_IO_file_jumps")!), "file");
 * assert.equal(vtableKind(libc, true, 0x4141), "invalid");
 * const inside = libc.symbol("_IO_wfile_jumps")! + 0x18; // a vtable among libc's, not modelled
 * assert.deepEqual(vtableKind(libc, true, inside), { other: "_IO_wfile_jumps+0x18" });
 * ```
 */
export function vtableKind(libc: LibcState, validates: boolean, vtable: number): VtableKind {
  if (vtable === libc.symbol("_IO_file_jumps")) return "file";
  if (vtable === libc.symbol("_IO_wfile_jumps")) return "wfile";
  const section = libc.build.facts.ioVtables;
  const inLibc = vtable >= libc.base + section.start && vtable < libc.base + section.end;
  if (!inLibc && validates) return "invalid";
  return { other: libc.symbolAt(vtable) ?? `0x${vtable.toString(16)}` };
}
