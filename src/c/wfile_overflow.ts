/**
 * glibc's `_IO_wfile_overflow(fp, WEOF)` as `_IO_flush_all` calls it on a FILE whose vtable is
 * `_IO_wfile_jumps` — the road of House of Apple 2, the FSOP that needs no hook (glibc 2.34+
 * has none): the FILE's vtable passes glibc's check, but the wide vtable it then calls through
 * (`fp->_wide_data->_wide_vtable`) is never checked.
 *
 * The stages, each reading the FILE and its wide data from memory as glibc does:
 * 1. `_IO_NO_WRITES` in the flags: `_IO_ERR_SEEN` is set and WEOF returned.
 * 2. A put area to set up — the FILE not `_IO_CURRENTLY_PUTTING`, or (2.36+, bug 28828) its
 *    wide write base NULL: with no wide write base, `_IO_wdoallocbuf`, which (no wide buffer,
 *    not `_IO_UNBUFFERED`) calls the wide vtable's `__doallocate(fp)` — a C function of the
 *    program runs, `system(fp)` spawns a shell with the FILE's first bytes as its command, any
 *    other address is a hijack or a fault (`hooks.ts`' `callThrough`); a result other than WEOF
 *    ends it, else the wide buffer becomes the wide `_shortbuf` (`_IO_wsetb`). Then the wide
 *    backup area is freed (`_IO_free_wbackup_area`); with no narrow write base, buffers are
 *    made through the FILE's own vtable (`_IO_doallocbuf` → `_IO_wfile_doallocate`: a narrow
 *    one as `_IO_file_doallocate` sizes it, then a wide one of as many `wchar_t`) and the narrow
 *    get area set to the narrow buffer; the wide get area is set to the wide buffer before that
 *    up to 2.40, after it from 2.41. Both put areas then start at their read pointers, and
 *    `_IO_CURRENTLY_PUTTING` is set.
 * 3. `_IO_do_flush`: for `_mode` ≤ 0, `_IO_do_write` of the narrow put area through the wfile
 *    vtable's write (`_IO_new_file_write`, the same as the file vtable's) — nothing when stage 2
 *    ran, as it left the write base at the write pointer.
 *
 * Checked against real runs (tests/fixtures/c/fsop/apple2_*.c). Refused by name: `_mode` > 0
 * (`_IO_wdo_write`'s conversion), and a FILE whose vtable the called function changed.
 *
 * @module
 */

import {
  CURRENTLY_PUTTING,
  ERR_SEEN,
  type FileLayout,
  FLAGS2_USER_WBUF,
  IN_BACKUP,
  LINE_BUF,
  NO_WRITES,
  UNBUFFERED,
  USER_BUF,
  wideLayout,
} from "./file_layout.ts";
import type { Signal } from "./interpreter.ts";

/** `WEOF` as `wint_t`. */
export const WEOF = 0xffffffff;

/** The slot of `__doallocate` in `struct _IO_jump_t` (after two dummies and ten functions). */
const DOALLOCATE_SLOT = 13;

/** What `_IO_wfile_overflow` works on. */
export interface WideOverflowHost {
  read32(address: number): number;
  readPointer(address: number): number;
  write32(address: number, value: number): void;
  writePointer(address: number, value: number): void;
  readonly layout: FileLayout;
  readonly ptrSize: number;
  readonly profile: {
    readonly wfileOverflowChecksWriteBase: boolean;
    readonly wfileOverflowSetsGetAreaLast: boolean;
  };
  /** libc's `_IO_wfile_jumps`. */
  readonly wfileJumps: number;
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
   * Calls the function whose address is at `slot` (the wide vtable's `__doallocate`) with the
   * FILE: what it returns.
   */
  callDoallocate(slot: number, fp: number): Generator<Signal, number>;
  /** `_IO_do_write` of the narrow put area (`_mode` ≤ 0): 0, or -1 (EOF). */
  doWrite(fp: number): number;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * `_IO_wfile_overflow(fp, WEOF)`: sets the FILE's put areas up if it must (calling its wide
 * vtable's `__doallocate`), then writes its narrow put area. 0, or WEOF.
 */
export function* wfileOverflowEof(h: WideOverflowHost, fp: number): Generator<Signal, number> {
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
  if ((h.read32(fp + F.mode) | 0) > 0) {
    h.refuse("_IO_wfile_overflow writing a wide put area (_IO_wdo_write)");
  }
  return h.doWrite(fp) === 0 ? 0 : WEOF;
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
    const result = yield* h.callDoallocate(table + DOALLOCATE_SLOT * h.ptrSize, fp);
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
    if (h.readPointer(fp + F.vtable) !== h.wfileJumps) {
      h.refuse("_IO_doallocbuf through a FILE's vtable that __doallocate changed");
    }
    if (wfileDoallocate(h, fp)) return;
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
  if (h.readPointer(fp + F.bufBase) === 0) {
    const { size, terminal } = h.fileBuffer(h.read32(fp + F.fileno) | 0);
    if (terminal) h.write32(fp + F.flags, (h.read32(fp + F.flags) | LINE_BUF) >>> 0);
    const buffer = h.malloc(size);
    if (buffer !== 0) setb(h, fp, buffer, buffer + size, true);
  }
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

/** `_IO_setb`: a new narrow buffer, the old one freed unless it was the program's. */
function setb(h: WideOverflowHost, fp: number, base: number, end: number, allocated: boolean) {
  const F = h.layout, flags = h.read32(fp + F.flags), old = h.readPointer(fp + F.bufBase);
  if (old !== 0 && !(flags & USER_BUF)) h.free(old);
  h.writePointer(fp + F.bufBase, base);
  h.writePointer(fp + F.bufEnd, end);
  h.write32(fp + F.flags, (allocated ? flags & ~USER_BUF : flags | USER_BUF) >>> 0);
}
