/**
 * A FILE written through glibc's file operations (libio's fileops) — stdout, and stderr — on the
 * FILE's own fields (the notes below say stdout; stderr starts unbuffered):
 * its flags and the pointers of its put area over its buffer — malloc'ed at the first output
 * (`_IO_file_doallocate`, line buffered on a terminal), the program's own array given to
 * setbuf/setvbuf (which frees a buffer stdio had malloc'ed), or the FILE's own byte when
 * unbuffered. The fields are those of `_IO_2_1_stdout_` in libc's memory: read before each
 * call and written after it (`std_files.ts`), so that a program that writes into stdout's FILE
 * — the classic leak sets `_IO_IS_APPENDING` and lowers `_IO_write_base` — gets what glibc
 * would give it: a flush writes whatever bytes lie between the write base and the write
 * pointer. The bytes put in the buffer are stored in the program's memory, and stay there after
 * a flush: a heap view shows them and a program can read them back.
 *
 * - `put` is `_IO_new_file_xsputn`. Line buffered: the text up to its last newline goes in and
 *   is written, what follows waits in the buffer. Fully buffered: what fits goes in; what does
 *   not, flushes the buffer, then whole multiples of the buffer's size are written past it (for
 *   a buffer of 128 bytes or more; all of it for a smaller one), and the rest waits in it.
 *   Unbuffered: written at once.
 * - `putc` is `_IO_putc_unlocked` (puts' newline, putchar, fputc): a byte into the room, or
 *   `__overflow` — which sets the put area up (allocating the buffer), writes a full buffer
 *   first, and for a line-buffered or unbuffered stream writes at a newline or at once.
 * - printf: up to 2.36 its literal runs and conversions go through `put` one by one, as
 *   vfprintf puts them (a conversion's padding with it, where glibc puts it apart);
 *   from 2.37 it is written into the buffer's room directly, the buffer written whenever full,
 *   and without room (line buffered, unbuffered, not set up) through `put` in 128-byte stages
 *   (`__printf_buffer_to_file`).
 * - Each call glibc makes through the FILE's vtable — `put` (`_IO_sputn`), a byte or printf's
 *   byte without room (`__overflow`), fflush (`_IO_SYNC`), setvbuf, the flush at exit — first
 *   checks the vtable pointer in memory and the function its slot holds (`checkVtable`): the
 *   model goes on only where that is the fileops function `_IO_file_jumps` has there; a byte or
 *   printf's text put into the buffer's room makes no call and no check.
 * - A write (`new_do_write`) first seeks the descriptor back over what the get area holds
 *   unless `_IO_IS_APPENDING` is set: a pipe or a terminal refuses that seek, and nothing is
 *   written. stdout written to a file and asked to seek is refused by name.
 *
 * Checked against real runs on a pipe, a file and a terminal: tests/fixtures/c/descriptors/
 * (stdio_buffers.c, stdio_state.c, unbuffered_state.c, stdout_leak.c, stderr_state.c) and
 * tests/fixtures/c/vtable/. Not modelled: glibc
 * before 2.24 mmap'ed the buffer, and a setvbuf that replaces it there unmaps it (the old buffer
 * stays mapped here).
 *
 * @module
 */

import {
  CURRENTLY_PUTTING,
  ERR_SEEN,
  IS_APPENDING,
  LINE_BUF,
  LINKED,
  NO_WRITES,
  UNBUFFERED,
  USER_BUF,
} from "./file_layout.ts";
import type { FileState } from "./file_layout.ts";
import { IOFBF, IOLBF, IONBF } from "./stdio.ts";
import type { JumpSlot } from "./vtable_check.ts";

/** What a FILE written through glibc's fileops works with (stdout's, stderr's). */
export interface OutputHost {
  /** The FILE's fields (libc's memory holds them: `std_files.ts`). */
  readonly file: FileState;
  /** Its descriptor is a regular file (a seek before a write is not refused). */
  readonly seekable: boolean;
  /** glibc's `_IO_file_doallocate`: the buffer's address (0: failed) and size. */
  allocate(): { address: number; size: number };
  /** Frees a buffer stdio allocated (setbuf/setvbuf replacing it). */
  release(address: number): void;
  /** Stores bytes (one char per byte) at an address of the program's memory. */
  store(address: number, text: string): void;
  /** write(2) of bytes a caller gave (one char per byte): the bytes written, -1 on error. */
  writeText(text: string): number;
  /** write(2) of `count` bytes of memory at `address`: the bytes written, -1 on error. */
  writeFrom(address: number, count: number): number;
  /** printf writes into the buffer's room directly (glibc 2.37+). */
  readonly printfIntoBuffer: boolean;
  /** The FILE's own byte (`_shortbuf`), the buffer when unbuffered. */
  readonly shortbuf: number;
  /** The descriptor is a terminal: a buffer `_IO_file_doallocate` makes comes line buffered. */
  readonly terminal: boolean;
  /**
   * glibc's check of the FILE's vtable pointer before a call through it (`slot`, as
   * `_IO_sputn`, `__overflow`, `_IO_SYNC`, … make): nothing for `_IO_file_jumps`, or a slot
   * holding the function `_IO_file_jumps` has there; a vtable outside libc's ends the process
   * (`vtable_check.ts`); another function is refused by name.
   */
  checkVtable(slot: JumpSlot): void;
  /**
   * A fopen'ed FILE's file offset, which `new_do_write` keeps: lseek(2) of the descriptor by
   * `delta` from where it is, the FILE's `_offset` set to the result (false: the seek failed);
   * `_offset` unknown (an appending FILE); moved past `count` bytes written, when known.
   */
  readonly offset?: {
    seek(delta: number): boolean;
    forget(): void;
    wrote(count: number): void;
  };
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** glibc's `__printf_buffer_to_file` stage, used when the buffer has no room. */
const PRINTF_STAGE = 128;
const EOF = -1;

/** `_IO_setb`: a new buffer, the old one freed unless it was the program's (`_IO_USER_BUF`). */
function setb(h: OutputHost, base: number, end: number, allocated: boolean): void {
  const f = h.file;
  if (f.bufBase !== 0 && !(f.flags & USER_BUF)) h.release(f.bufBase);
  f.bufBase = base;
  f.bufEnd = end;
  if (allocated) f.flags &= ~USER_BUF;
  else f.flags |= USER_BUF;
}

/** `_IO_file_doallocate`: a buffer of st_blksize, line buffered on a terminal. */
function doAllocate(h: OutputHost): boolean {
  const { address, size } = h.allocate();
  if (address === 0) return false;
  setb(h, address, address + size, true);
  if (h.terminal) h.file.flags |= LINE_BUF;
  return true;
}

/** `_IO_doallocbuf`: a buffer if there is none; the FILE's own byte when unbuffered. */
function doAllocBuf(h: OutputHost): void {
  const f = h.file;
  if (f.bufBase !== 0) return;
  if ((!(f.flags & UNBUFFERED) || f.mode > 0) && doAllocate(h)) return;
  setb(h, h.shortbuf, h.shortbuf + 1, false);
}

/** Where the room to fill ends after a write: none when line buffered or unbuffered. */
function roomEnd(f: FileState): number {
  return f.mode <= 0 && (f.flags & (LINE_BUF | UNBUFFERED)) ? f.bufBase : f.bufEnd;
}

/**
 * `new_do_write`: writes `data` (a text, or `count` bytes of memory at an address) and starts
 * the put area again at the buffer's start. The bytes written.
 */
function newDoWrite(h: OutputHost, data: string | number, count: number): number {
  const f = h.file;
  if (f.flags & IS_APPENDING) h.offset?.forget();
  else if (f.readEnd !== f.writeBase) {
    // lseek(fd, write_base - read_end, SEEK_CUR): back over what was read ahead (a pipe or a
    // terminal refuses it)
    if (h.offset) {
      if (!h.offset.seek(f.writeBase - f.readEnd)) return 0;
    } else if (!h.seekable) return 0;
    else {
      h.refuse(
        "a seek of a FILE's descriptor before a write (its read end moved off its write base)",
      );
    }
  }
  let written: number;
  if (typeof data === "string") written = h.writeText(data);
  else {
    // (write pointers a program set below the write base make a size_t count beyond any write)
    written = h.writeFrom(data, count < 0 ? count + 2 ** 64 : count);
  }
  // _IO_new_file_write: a failed write(2) sets the error indicator
  if (written < count) f.flags |= ERR_SEEN;
  if (written < 0) written = 0;
  h.offset?.wrote(written);
  f.readBase = f.readPtr = f.readEnd = f.bufBase;
  f.writeBase = f.writePtr = f.bufBase;
  f.writeEnd = roomEnd(f);
  return written;
}

/** `_IO_do_write`: 0, or EOF when not everything was written. */
function doWrite(h: OutputHost, address: number, count: number): number {
  return count === 0 || newDoWrite(h, address, count) === count ? 0 : EOF;
}

/** `_IO_do_flush`: writes what the put area holds. 0, or EOF. */
export function doFlush(h: OutputHost): number {
  const f = h.file;
  return doWrite(h, f.writeBase, f.writePtr - f.writeBase);
}

/** Stores bytes at the write pointer. */
function fill(h: OutputHost, text: string): void {
  const f = h.file;
  if (text.length === 0) return;
  h.store(f.writePtr, text);
  f.writePtr += text.length;
}

/**
 * `_IO_new_file_overflow(ch)`: sets the put area up if it is not (allocating the buffer), then
 * writes it (`ch` undefined, EOF), or puts `ch` (a one-byte string) after writing a full
 * buffer, writing it at once when unbuffered or at a line-buffered newline. EOF on failure.
 */
function overflow(h: OutputHost, ch: string | undefined): number {
  const f = h.file;
  if (f.flags & NO_WRITES) {
    f.flags |= ERR_SEEN;
    return EOF;
  }
  if (!(f.flags & CURRENTLY_PUTTING) || f.writeBase === 0) {
    if (f.writeBase === 0) {
      doAllocBuf(h);
      f.readBase = f.readPtr = f.readEnd = f.bufBase;
    }
    if (f.readPtr === f.bufEnd) f.readEnd = f.readPtr = f.bufBase;
    f.writePtr = f.writeBase = f.readPtr;
    f.writeEnd = f.bufEnd;
    f.readBase = f.readPtr = f.readEnd;
    f.flags |= CURRENTLY_PUTTING;
    if (f.mode <= 0 && (f.flags & (LINE_BUF | UNBUFFERED))) f.writeEnd = f.writePtr;
  }
  if (ch === undefined) return doWrite(h, f.writeBase, f.writePtr - f.writeBase);
  if (f.writePtr === f.bufEnd && doFlush(h) === EOF) return EOF;
  fill(h, ch);
  if ((f.flags & UNBUFFERED) || ((f.flags & LINE_BUF) && ch === "\n")) {
    if (doWrite(h, f.writeBase, f.writePtr - f.writeBase) === EOF) return EOF;
  }
  return ch.charCodeAt(0);
}

/** `_IO_default_xsputn`: into the room, the rest a byte at a time through `overflow`. */
function putInRoom(h: OutputHost, text: string): number {
  const f = h.file;
  let at = 0;
  for (;;) {
    if (f.writePtr < f.writeEnd) {
      const count = Math.min(f.writeEnd - f.writePtr, text.length - at);
      fill(h, text.slice(at, at + count));
      at += count;
    }
    if (at === text.length || overflow(h, text[at]) === EOF) return at;
    at++;
  }
}

/** `_IO_new_file_xsputn`: puts `text` (one char per byte) into the FILE. */
export function put(h: OutputHost, text: string): void {
  h.checkVtable("__xsputn"); // _IO_sputn
  const f = h.file, n = text.length;
  if (n === 0) return;
  let count = 0, mustFlush = false;
  if ((f.flags & LINE_BUF) && (f.flags & CURRENTLY_PUTTING)) {
    count = f.bufEnd - f.writePtr;
    if (count < 0) count = Infinity; // a size_t
    if (count >= n) {
      const newline = text.lastIndexOf("\n");
      if (newline >= 0) {
        count = newline + 1;
        mustFlush = true;
      }
    }
  } else if (f.writeEnd > f.writePtr) {
    count = f.writeEnd - f.writePtr;
  }
  count = Math.min(count, n);
  fill(h, text.slice(0, count));
  let toDo = n - count;
  if (toDo === 0 && !mustFlush) return;
  if (overflow(h, undefined) === EOF) return;
  const block = f.bufEnd - f.bufBase;
  const direct = toDo - (block >= 128 ? toDo % block : 0);
  if (direct > 0) {
    const written = newDoWrite(h, text.slice(count, count + direct), direct);
    toDo -= written;
    if (written < direct) return;
  }
  if (toDo > 0) putInRoom(h, text.slice(n - toDo));
}

/** `_IO_putc_unlocked`: one byte (`__overflow` orients the stream when it has no room). */
export function putc(h: OutputHost, ch: string): void {
  const f = h.file;
  if (f.writePtr < f.writeEnd) return fill(h, ch);
  if (f.mode === 0) f.mode = -1;
  h.checkVtable("__overflow");
  overflow(h, ch);
}

/**
 * printf's text into the FILE, as the version's printf writes it (see the module's notes):
 * `pieces`, where each literal run and conversion ends, are vfprintf's puts up to 2.36.
 */
export function putPrintf(h: OutputHost, text: string, pieces: readonly number[]): void {
  const f = h.file;
  if (!h.printfIntoBuffer) {
    let start = 0;
    for (const end of pieces) {
      put(h, text.slice(start, end));
      start = end;
    }
    return put(h, text.slice(start));
  }
  let at = 0;
  while (at < text.length) {
    const room = f.writeEnd - f.writePtr;
    if (room > 0) {
      // directly into the buffer; when it is full, the next byte goes through overflow
      const count = Math.min(room, text.length - at);
      fill(h, text.slice(at, at + count));
      at += count;
      if (at < text.length && f.writePtr === f.writeEnd) {
        h.checkVtable("__overflow");
        overflow(h, text[at++]);
      }
    } else {
      const stage = text.slice(at, at + PRINTF_STAGE);
      put(h, stage);
      at += stage.length;
    }
  }
}

/**
 * `_IO_new_file_setbuf`: after writing what the put area holds, the program's buffer (`base`,
 * `size`), or the FILE's own byte (unbuffered) when there is none; the areas empty at its
 * start. False when the write failed.
 */
function setBuf(h: OutputHost, base: number, size: number): boolean {
  const f = h.file;
  if (f.writePtr > f.writeBase && doFlush(h) === EOF) return false;
  if (base === 0 || size === 0) {
    f.flags |= UNBUFFERED;
    setb(h, h.shortbuf, h.shortbuf + 1, false);
  } else {
    f.flags &= ~UNBUFFERED;
    setb(h, base, base + size, false);
  }
  f.readBase = f.readPtr = f.readEnd = f.bufBase;
  f.writeBase = f.writePtr = f.writeEnd = f.bufBase;
  return true;
}

/**
 * setvbuf (`_IO_setvbuf`): 0, or EOF. Fully buffered without a buffer allocates one
 * now if there is none (and is not line buffered, even on a terminal); line buffered without
 * one changes the flags only; an unknown mode changes nothing.
 */
export function setvbuf(h: OutputHost, mode: number, base: number, size: number): number {
  const f = h.file;
  if (mode === IOFBF) {
    f.flags &= ~(LINE_BUF | UNBUFFERED);
    if (base === 0) {
      if (f.bufBase === 0) {
        h.checkVtable("__doallocate");
        if (!doAllocate(h)) return EOF;
        f.flags &= ~LINE_BUF;
      }
      return 0;
    }
  } else if (mode === IOLBF) {
    f.flags &= ~UNBUFFERED;
    f.flags |= LINE_BUF;
    if (base === 0) return 0;
  } else if (mode === IONBF) {
    f.flags &= ~LINE_BUF;
    f.flags |= UNBUFFERED;
    base = size = 0;
  } else {
    return EOF;
  }
  h.checkVtable("__setbuf");
  return setBuf(h, base, size) ? 0 : EOF;
}

/** setbuf/setbuffer (`_IO_setbuffer`): `base` of `size` bytes, or unbuffered. */
export function setbuffer(h: OutputHost, base: number, size: number): void {
  h.file.flags &= ~LINE_BUF;
  h.checkVtable("__setbuf");
  setBuf(h, base, base === 0 ? 0 : size);
}

/**
 * fflush of the FILE (`_IO_new_file_sync`): writes what the put area holds. 0, or EOF when that
 * write failed (the put area emptied all the same, as `new_do_write` leaves it).
 */
export function sync(h: OutputHost): number {
  h.checkVtable("__sync");
  const f = h.file;
  if (f.writePtr > f.writeBase && doFlush(h) === EOF) return EOF;
  if (h.offset === undefined) return 0;
  // a fopen'ed FILE: its descriptor sought back over what it read ahead, its offset forgotten
  if (f.readPtr !== f.readEnd && h.offset.seek(f.readPtr - f.readEnd)) f.readEnd = f.readPtr;
  h.offset.forget();
  return 0;
}

/**
 * What `_IO_flush_all` does to each FILE (exit, fflush(NULL), an old glibc's abort): `overflow`
 * when the put area holds bytes. 0, or EOF.
 */
export function flushAll(h: OutputHost): number {
  const f = h.file;
  if (f.mode > 0 || f.writePtr <= f.writeBase) return 0;
  h.checkVtable("__overflow");
  return overflow(h, undefined);
}

/**
 * What `_IO_new_file_underflow` does to stdout before a read of a line-buffered or unbuffered
 * FILE: stdout written (`overflow`) when it is linked, writable and line buffered.
 */
export function flushBeforeRead(h: OutputHost): void {
  const f = h.file;
  if ((f.flags & (LINKED | NO_WRITES | LINE_BUF)) === (LINKED | LINE_BUF)) {
    h.checkVtable("__overflow");
    overflow(h, undefined);
  }
}

/** A FILE's buffering mode, from its flags. */
export function modeOf(f: FileState): number {
  const flags = f.flags;
  return flags & UNBUFFERED ? IONBF : flags & LINE_BUF ? IOLBF : IOFBF;
}
