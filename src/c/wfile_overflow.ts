/**
 * glibc's `_IO_wfile_overflow(fp, wch)`, reached through any call whose vtable slot holds it
 * (`vtable_check.ts`): `_IO_flush_all`'s `__overflow(fp, EOF)` on a FILE whose vtable is
 * `_IO_wfile_jumps` (or `_IO_wfile_jumps_mmap`…), puts' `__xsputn(fp, s, n)` through a vtable
 * shifted so that the slot is `_IO_wfile_jumps`' `__overflow` (`wch` is then the low 32 bits of
 * `s`), `_IO_wdefault_xsputn`'s `__woverflow` — the road of House of Apple 2, the FSOP that needs
 * no hook (glibc 2.34+ has none): the FILE's vtable passes glibc's check, but the wide vtable it
 * then calls through (`fp->_wide_data->_wide_vtable`) is never checked.
 *
 * The stages, each reading the FILE and its wide data from memory as glibc does:
 * 1. `_IO_NO_WRITES` in the flags: `_IO_ERR_SEEN` is set and WEOF returned.
 * 2. A put area to set up — the FILE not `_IO_CURRENTLY_PUTTING`, or (2.36+, bug 28828) its
 *    wide write base NULL: with no wide write base, `_IO_wdoallocbuf`, which (no wide buffer,
 *    not `_IO_UNBUFFERED`) calls the wide vtable's `__doallocate(fp)` — a C function of the
 *    program runs, `system(fp)` spawns a shell with the FILE's first bytes as its command, a
 *    word of libc's own vtables runs the function it holds (`_IO_wfile_doallocate`, as stdout's
 *    own wide vtable has it; another is refused by name), any other address is a hijack or a
 *    fault (`hooks.ts`' `callThrough`); a result other than WEOF ends it, else the wide buffer
 *    becomes the wide `_shortbuf` (`_IO_wsetb`). Then the wide backup area is freed
 *    (`_IO_free_wbackup_area`); with no narrow write base, buffers are made through the FILE's
 *    own vtable's `__doallocate` (`_IO_wfile_doallocate`: a narrow one as `_IO_file_doallocate`
 *    sizes it, then a wide one of as many `wchar_t`; `_IO_file_doallocate`: the narrow one) and
 *    the narrow get area set to the narrow buffer; the wide get area is set to the wide buffer
 *    before that up to 2.40, after it from 2.41. Both put areas then start at their read
 *    pointers, and `_IO_CURRENTLY_PUTTING` is set.
 * 3. WEOF: `_IO_do_flush` — for `_mode` ≤ 0, `_IO_do_write` of the narrow put area through the
 *    FILE's vtable's `__write` (`_IO_new_file_write` for `_IO_wfile_jumps`) — nothing when stage
 *    2 ran, as it left the write base at the write pointer.
 * 4. Another `wch`: a full wide put area (its write pointer at the wide buffer's end, both NULL
 *    when `__doallocate` made none) is flushed first (`_IO_do_flush`), then `wch` is stored at
 *    the wide write pointer — a NULL one faults (SIGSEGV) — and flushed at once when unbuffered,
 *    or line buffered and `wch` is L'\n'; `wch` is returned.
 *
 * Checked against real runs (tests/fixtures/c/fsop/apple2_*.c). Refused by name: `_mode` > 0
 * (`_IO_wdo_write`'s conversion), and a call through the FILE's vtable (`__doallocate`,
 * `__write`) reaching another function than those above.
 *
 * @module
 */

import {
  CURRENTLY_PUTTING,
  ERR_SEEN,
  type FileLayout,
  type FileMemory,
  FLAGS2_USER_WBUF,
  IN_BACKUP,
  LINE_BUF,
  NO_WRITES,
  UNBUFFERED,
  USER_BUF,
  wideLayout,
} from "./file_layout.ts";
import type { Signal } from "./interpreter.ts";
import type { LibcState } from "../malloc/libc_state.ts";
import { type JumpSlot, libcVtableWord, vtableCall } from "./vtable_check.ts";

/** `WEOF` as `wint_t`. */
export const WEOF = 0xffffffff;

/** The slot of `__doallocate` in `struct _IO_jump_t` (after two dummies and ten functions). */
const DOALLOCATE_SLOT = 13;

/** What `_IO_wfile_overflow` works on. */
export interface WideOverflowHost extends FileMemory {
  readonly layout: FileLayout;
  readonly ptrSize: number;
  readonly profile: {
    readonly wfileOverflowChecksWriteBase: boolean;
    readonly wfileOverflowSetsGetAreaLast: boolean;
    readonly vtableValidation: boolean;
  };
  /** The process's libc: its vtables, as calls through them reach functions. */
  readonly libc: LibcState;
  /** glibc's malloc(): the address, 0 when it fails. */
  malloc(size: number): number;
  /** glibc's free(). */
  free(pointer: number): void;
  /**
   * What `_IO_file_doallocate` makes of descriptor `fd` (fstat): the buffer's size (st_blksize
   * below BUFSIZ, else BUFSIZ; BUFSIZ when fstat fails) and whether it is a terminal.
   */
  fileBuffer(fd: number): { size: number; terminal: boolean };
  /**
   * Calls the function whose address is at `slot` (the wide vtable's `__doallocate`, outside
   * libc's vtables) with the FILE: what it returns.
   */
  callDoallocate(slot: number, fp: number): Generator<Signal, number>;
  /** `_IO_do_write` of the narrow put area (`_mode` ≤ 0): 0, or -1 (EOF). */
  doWrite(fp: number): number;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * `_IO_wfile_overflow(fp, wch)`: sets the FILE's put areas up if it must (calling its wide
 * vtable's `__doallocate`), then writes its narrow put area (`wch` WEOF) or puts `wch` in its
 * wide one. What it returns: 0 or WEOF for WEOF, else `wch` or WEOF.
 */
export function* wfileOverflow(
  h: WideOverflowHost,
  fp: number,
  wch: number,
): Generator<Signal, number> {
  const F = h.layout, W = wideLayout(h.ptrSize);
  const flags = h.read32(fp + F.flags);
  if (flags & NO_WRITES) {
    h.write32(fp + F.flags, (flags | ERR_SEEN) >>> 0);
    return WEOF;
  }
  const wide = () => h.readPointer(fp + F.wideData);
  const checksBase = h.profile.wfileOverflowChecksWriteBase;
  const getAreaLast = h.profile.wfileOverflowSetsGetAreaLast;
  if (!(flags & CURRENTLY_PUTTING) || (checksBase && h.readPointer(wide() + W.writeBase) === 0)) {
    if (h.readPointer(wide() + W.writeBase) === 0) {
      yield* wdoallocbuf(h, fp);
      freeWbackupArea(h, fp);
      if (!getAreaLast) wsetg(h, wide());
      if (h.readPointer(fp + F.writeBase) === 0) {
        doallocbuf(h, fp);
        const base = h.readPointer(fp + F.bufBase);
        for (const at of [F.readBase, F.readPtr, F.readEnd]) h.writePointer(fp + at, base);
      }
      if (getAreaLast) wsetg(h, wide());
    } else if (h.readPointer(wide() + W.readPtr) === h.readPointer(wide() + W.bufEnd)) {
      const base = h.readPointer(fp + F.bufBase), wideBase = h.readPointer(wide() + W.bufBase);
      h.writePointer(fp + F.readEnd, base);
      h.writePointer(fp + F.readPtr, base);
      h.writePointer(wide() + W.readEnd, wideBase);
      h.writePointer(wide() + W.readPtr, wideBase);
    }
    startPutting(h, fp);
  }
  if (wch === WEOF) return doFlush(h, fp) === 0 ? 0 : WEOF;
  if (h.readPointer(wide() + W.writePtr) === h.readPointer(wide() + W.bufEnd)) {
    if (doFlush(h, fp) !== 0) return WEOF;
  }
  const at = h.readPointer(wide() + W.writePtr);
  h.write32(at, wch); // wchar_t: a NULL write pointer faults here
  h.writePointer(wide() + W.writePtr, at + 4);
  const now = h.read32(fp + F.flags);
  if ((now & UNBUFFERED) || ((now & LINE_BUF) && wch === 0x0a)) {
    if (doFlush(h, fp) !== 0) return WEOF;
  }
  return wch;
}

/**
 * `_IO_do_flush`: for `_mode` ≤ 0, `_IO_do_write` of the narrow put area — its `__write`
 * through the FILE's vtable when there are bytes to write. 0, or -1 (EOF).
 */
function doFlush(h: WideOverflowHost, fp: number): number {
  const F = h.layout;
  if ((h.read32(fp + F.mode) | 0) > 0) {
    h.refuse("_IO_wfile_overflow writing a wide put area (_IO_wdo_write)");
  }
  if (h.readPointer(fp + F.writePtr) !== h.readPointer(fp + F.writeBase)) {
    fileCall(h, fp, "__write", "file"); // _IO_new_file_write
  }
  return h.doWrite(fp);
}

/**
 * The function a call through `slot` of the FILE's vtable reaches, which must be one of
 * `modelled` (`"file"`: the one `_IO_file_jumps` has there); any other is refused by name.
 */
function fileCall(h: WideOverflowHost, fp: number, slot: JumpSlot, ...modelled: string[]): string {
  const vtable = h.readPointer(fp + h.layout.vtable);
  const call = vtableCall(h.libc, h.profile.vtableValidation, vtable, slot);
  if (call === "file" && modelled.includes("file")) return "file";
  if (call !== "file" && call !== "invalid" && modelled.includes(call.function ?? "")) {
    return call.function!;
  }
  const where = call === "file"
    ? "_IO_file_jumps"
    : call === "invalid"
    ? "outside libc's vtables (changed by the call)"
    : `${call.vtable} reaches ${call.function ?? "a NULL or unknown word"}`;
  h.refuse(`_IO_wfile_overflow calling ${slot} through a FILE's vtable ${where}`);
}

/** Both put areas start at their read pointers; the FILE is `_IO_CURRENTLY_PUTTING`. */
function startPutting(h: WideOverflowHost, fp: number): void {
  const F = h.layout, W = wideLayout(h.ptrSize), wide = h.readPointer(fp + F.wideData);
  const start = (
    base: number,
    [readPtr, readEnd, readBase, writeBase, writePtr, writeEnd, bufEnd]: number[],
  ) => {
    h.writePointer(base + writePtr, h.readPointer(base + readPtr));
    h.writePointer(base + writeBase, h.readPointer(base + writePtr));
    h.writePointer(base + writeEnd, h.readPointer(base + bufEnd));
    const end = h.readPointer(base + readEnd);
    h.writePointer(base + readBase, end);
    h.writePointer(base + readPtr, end);
  };
  start(wide, [W.readPtr, W.readEnd, W.readBase, W.writeBase, W.writePtr, W.writeEnd, W.bufEnd]);
  start(fp, [F.readPtr, F.readEnd, F.readBase, F.writeBase, F.writePtr, F.writeEnd, F.bufEnd]);
  const flags = (h.read32(fp + F.flags) | CURRENTLY_PUTTING) >>> 0;
  h.write32(fp + F.flags, flags);
  if (flags & (LINE_BUF | UNBUFFERED)) {
    h.writePointer(wide + W.writeEnd, h.readPointer(wide + W.writePtr));
  }
}

/**
 * `_IO_wdoallocbuf`: nothing when there is a wide buffer; else, unless unbuffered, the wide
 * vtable's `__doallocate(fp)` — unchecked —, which ends it unless it returns WEOF; else the wide
 * `_shortbuf` becomes the buffer.
 */
function* wdoallocbuf(h: WideOverflowHost, fp: number): Generator<Signal, void> {
  const F = h.layout, W = wideLayout(h.ptrSize);
  if (h.readPointer(h.readPointer(fp + F.wideData) + W.bufBase) !== 0) return;
  if (!(h.read32(fp + F.flags) & UNBUFFERED)) {
    const table = h.readPointer(h.readPointer(fp + F.wideData) + W.vtable);
    const slot = table + DOALLOCATE_SLOT * h.ptrSize, fn = libcVtableWord(h.libc, slot);
    let result: number;
    if (fn === "_IO_wfile_doallocate") result = wfileDoallocate(h, fp) ? 1 : WEOF;
    else if (fn !== undefined) {
      const name = h.libc.symbolAt(table) ?? `0x${table.toString(16)}`;
      h.refuse(`_IO_wdoallocbuf calling __doallocate through a wide vtable ${name}: ${fn}`);
    } else result = yield* h.callDoallocate(slot, fp);
    if ((result % 2 ** 32) >>> 0 !== WEOF) return;
  }
  const wide = h.readPointer(fp + F.wideData), shortbuf = wide + W.shortbuf;
  // _IO_wsetb(fp, shortbuf, shortbuf + 1, 0): the old buffer freed unless it is the program's
  const flags2 = h.read32(fp + F.flags2), old = h.readPointer(wide + W.bufBase);
  if (old !== 0 && !(flags2 & FLAGS2_USER_WBUF)) h.free(old);
  h.writePointer(wide + W.bufBase, shortbuf);
  h.writePointer(wide + W.bufEnd, shortbuf + 4);
  h.write32(fp + F.flags2, (h.read32(fp + F.flags2) | FLAGS2_USER_WBUF) >>> 0);
}

/**
 * `_IO_free_wbackup_area`: back to the main wide get area if in the backup one
 * (`_IO_switch_to_main_wget_area`), then the wide save area freed and forgotten.
 */
function freeWbackupArea(h: WideOverflowHost, fp: number): void {
  const F = h.layout, W = wideLayout(h.ptrSize), wide = h.readPointer(fp + F.wideData);
  const flags = h.read32(fp + F.flags);
  if (flags & IN_BACKUP) {
    h.write32(fp + F.flags, (flags & ~IN_BACKUP) >>> 0);
    const swap = (a: number, b: number) => {
      const t = h.readPointer(wide + a);
      h.writePointer(wide + a, h.readPointer(wide + b));
      h.writePointer(wide + b, t);
    };
    swap(W.readEnd, W.saveEnd);
    swap(W.readBase, W.saveBase);
    h.writePointer(wide + W.readPtr, h.readPointer(wide + W.readBase));
  }
  h.free(h.readPointer(wide + W.saveBase));
  for (const at of [W.saveBase, W.saveEnd, W.backupBase]) h.writePointer(wide + at, 0);
}

/** `_IO_wsetg(fp, b, b, b)` with the wide buffer's base: the wide get area empty at it. */
function wsetg(h: WideOverflowHost, wide: number): void {
  const W = wideLayout(h.ptrSize), base = h.readPointer(wide + W.bufBase);
  for (const at of [W.readBase, W.readPtr, W.readEnd]) h.writePointer(wide + at, base);
}

/**
 * `_IO_doallocbuf`: nothing when the FILE has a buffer; else, unless unbuffered (and narrow), its
 * vtable's `__doallocate` — `_IO_wfile_doallocate` — and, should that fail, the FILE's own
 * `_shortbuf` (`_IO_setb`).
 */
function doallocbuf(h: WideOverflowHost, fp: number): void {
  const F = h.layout;
  if (h.readPointer(fp + F.bufBase) !== 0) return;
  const flags = h.read32(fp + F.flags);
  if (!(flags & UNBUFFERED) || (h.read32(fp + F.mode) | 0) > 0) {
    const fn = fileCall(h, fp, "__doallocate", "_IO_wfile_doallocate", "file");
    if (fn === "file" ? fileDoallocate(h, fp) : wfileDoallocate(h, fp)) return;
  }
  setb(h, fp, fp + F.shortbuf, fp + F.shortbuf + 1, false);
}

/**
 * `_IO_wfile_doallocate`: a narrow buffer if there is none (`_IO_file_doallocate`: malloc of the
 * descriptor's size, line buffered on a terminal), then a wide one of as many `wchar_t` as the
 * narrow one has bytes (rounded up for the program's own buffer). False when malloc failed.
 */
function wfileDoallocate(h: WideOverflowHost, fp: number): boolean {
  const F = h.layout, W = wideLayout(h.ptrSize);
  if (h.readPointer(fp + F.bufBase) === 0) fileDoallocate(h, fp);
  let size = h.readPointer(fp + F.bufEnd) - h.readPointer(fp + F.bufBase);
  if (h.read32(fp + F.flags) & USER_BUF) size = Math.ceil(size / 4);
  const wide = h.malloc(size * 4);
  if (wide === 0) return false;
  // _IO_wsetb(fp, wide, wide + size, 1)
  const data = h.readPointer(fp + F.wideData), old = h.readPointer(data + W.bufBase);
  if (old !== 0 && !(h.read32(fp + F.flags2) & FLAGS2_USER_WBUF)) h.free(old);
  h.writePointer(data + W.bufBase, wide);
  h.writePointer(data + W.bufEnd, wide + size * 4);
  h.write32(fp + F.flags2, (h.read32(fp + F.flags2) & ~FLAGS2_USER_WBUF) >>> 0);
  return true;
}

/**
 * `_IO_file_doallocate`: a narrow buffer of the descriptor's size, line buffered on a terminal.
 * False when malloc failed.
 */
function fileDoallocate(h: WideOverflowHost, fp: number): boolean {
  const F = h.layout, { size, terminal } = h.fileBuffer(h.read32(fp + F.fileno) | 0);
  if (terminal) h.write32(fp + F.flags, (h.read32(fp + F.flags) | LINE_BUF) >>> 0);
  const buffer = h.malloc(size);
  if (buffer !== 0) setb(h, fp, buffer, buffer + size, true);
  return buffer !== 0;
}

/** `_IO_setb`: a new narrow buffer, the old one freed unless it was the program's. */
function setb(h: WideOverflowHost, fp: number, base: number, end: number, allocated: boolean) {
  const F = h.layout, flags = h.read32(fp + F.flags), old = h.readPointer(fp + F.bufBase);
  if (old !== 0 && !(flags & USER_BUF)) h.free(old);
  h.writePointer(fp + F.bufBase, base);
  h.writePointer(fp + F.bufEnd, end);
  h.write32(fp + F.flags, (allocated ? flags & ~USER_BUF : flags | USER_BUF) >>> 0);
}
