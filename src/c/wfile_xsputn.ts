/**
 * glibc's `_IO_wfile_xsputn(fp, data, n)` (wfileops.c), which `_IO_sputn` reaches when a FILE's
 * vtable is `_IO_wfile_jumps` — set by a program on a byte-oriented FILE such as stdout, whose
 * puts then hands it a `char *` that it takes for `n` wide characters (`wchar_t`, 4 bytes: it
 * reads 4n bytes from the string's address). What fits in the wide put area's room is copied in;
 * the rest goes through `_IO_wdefault_xsputn` (wgenops.c), which fills the room and calls
 * `__woverflow(fp, wch)` — the FILE's `__overflow`, `_IO_wfile_overflow` (`wfile_overflow.ts`) —
 * for each character without room, until one returns WEOF. The wide put area of a FILE that was
 * never wide is empty (NULL), so the first character sets it up: from 2.36 stdout's wide vtable's
 * `_IO_wfile_doallocate` mallocs a wide buffer and the characters go there, never written (a
 * narrow FILE's flush writes its narrow put area); on 2.31, which sets nothing up for a FILE
 * already putting, the character is stored at the NULL wide write pointer: SIGSEGV.
 *
 * Checked against real runs (tests/fixtures/c/fsop/wfile_puts.c). Refused by name: a
 * line-buffered FILE already putting (the newline search and `_IO_wdo_write`), a FILE not yet
 * oriented (`_IO_fwide(fp, 1)`), and an `__overflow` slot reaching another function.
 *
 * @module
 */

import { CURRENTLY_PUTTING, LINE_BUF, wideLayout } from "./file_layout.ts";
import type { Signal } from "./interpreter.ts";
import { vtableCall } from "./vtable_check.ts";
import { WEOF, wfileOverflow, type WideOverflowHost } from "./wfile_overflow.ts";

/**
 * `_IO_sputn(fp, s, n)` through a vtable whose `__xsputn` slot holds `fn`, one of
 * `_IO_wfile_overflow` (a shifted vtable: the call is `_IO_wfile_overflow(fp, wch)`, `wch` the
 * low 32 bits of `s`) and `_IO_wfile_xsputn`. What it returns, as the `size_t` puts compares.
 */
export function* wideSputn(
  h: WideOverflowHost,
  fp: number,
  fn: "_IO_wfile_overflow" | "_IO_wfile_xsputn",
  s: number,
  n: number,
): Generator<Signal, number> {
  if (fn === "_IO_wfile_overflow") return yield* wfileOverflow(h, fp, s % 2 ** 32);
  return yield* wfileXsputn(h, fp, s, n);
}

/** `_IO_wfile_xsputn`: the wide characters written into the FILE (`n`, or fewer on WEOF). */
export function* wfileXsputn(
  h: WideOverflowHost,
  fp: number,
  s: number,
  n: number,
): Generator<Signal, number> {
  if (n === 0) return 0;
  const F = h.layout, W = wideLayout(h.ptrSize), wide = h.readPointer(fp + F.wideData);
  const flags = h.read32(fp + F.flags);
  if ((flags & LINE_BUF) && (flags & CURRENTLY_PUTTING)) {
    h.refuse("_IO_wfile_xsputn on a line-buffered FILE already putting");
  }
  const room = h.readPointer(wide + W.writeEnd) - h.readPointer(wide + W.writePtr);
  if (room < 0 && !h.profile.wfileOverflowChecksWriteBase) {
    h.refuse("_IO_wfile_xsputn with a wide write end below its write pointer (a size_t room)");
  }
  const count = Math.min(Math.max(Math.floor(room / 4), 0), n);
  copy(h, fp, s, count);
  let toDo = n - count;
  if (toDo > 0) toDo -= yield* wdefaultXsputn(h, fp, s + 4 * count, toDo);
  return n - toDo;
}

/**
 * `_IO_wdefault_xsputn`: the room filled, then `__woverflow` for the next character, until all
 * are in or it returns WEOF. How many went in.
 */
function* wdefaultXsputn(
  h: WideOverflowHost,
  fp: number,
  s: number,
  n: number,
): Generator<Signal, number> {
  const F = h.layout, W = wideLayout(h.ptrSize);
  let more = n;
  for (;;) {
    const wide = h.readPointer(fp + F.wideData);
    const room = Math.floor(
      (h.readPointer(wide + W.writeEnd) - h.readPointer(wide + W.writePtr)) / 4,
    );
    if (room > 0) {
      const count = Math.min(room, more);
      copy(h, fp, s, count);
      s += 4 * count;
      more -= count;
    }
    if (more === 0) break;
    const wch = h.read32(s);
    s += 4;
    if ((yield* woverflow(h, fp, wch)) === WEOF) break;
    more--;
  }
  return n - more;
}

/** `__woverflow`: the FILE's `__overflow(fp, wch)` through its vtable. */
function* woverflow(h: WideOverflowHost, fp: number, wch: number): Generator<Signal, number> {
  if ((h.read32(fp + h.layout.mode) | 0) === 0) {
    h.refuse("__woverflow orienting a FILE (_IO_fwide)");
  }
  const vtable = h.readPointer(fp + h.layout.vtable);
  const call = vtableCall(h.libc, h.profile.vtableValidation, vtable, "__overflow");
  if (call !== "file" && call !== "invalid" && call.function === "_IO_wfile_overflow") {
    return yield* wfileOverflow(h, fp, wch);
  }
  const what = call === "file" || call === "invalid" ? call : `${call.vtable}: ${call.function}`;
  h.refuse(`__woverflow calling __overflow through a FILE's vtable (${what})`);
}

/** `count` wide characters from `s` to the wide write pointer, which moves past them. */
function copy(h: WideOverflowHost, fp: number, s: number, count: number): void {
  const W = wideLayout(h.ptrSize), wide = h.readPointer(fp + h.layout.wideData);
  const at = h.readPointer(wide + W.writePtr);
  for (let i = 0; i < count; i++) h.write32(at + 4 * i, h.read32(s + 4 * i));
  h.writePointer(wide + W.writePtr, at + 4 * count);
}
