/**
 * stdout's FILE as glibc's file operations run it (libio's fileops): a put area over its buffer
 * — malloc'ed at the first output (`_IO_file_doallocate`), or the program's own array given to
 * setbuf/setvbuf, which frees a buffer stdio had malloc'ed — with a write pointer and an end of
 * the room to fill. The bytes put in the buffer are stored in the program's memory, and stay
 * there after a flush (only the write pointer goes back to the start): a heap view shows them
 * and a program can read them back.
 *
 * - `put` is `_IO_new_file_xsputn`. Line buffered (a terminal): the text up to its last newline
 *   goes in and is written, what follows waits in the buffer. Fully buffered: what fits goes in;
 *   what does not, flushes the buffer, then whole multiples of the buffer's size are written
 *   past it (for a buffer of 128 bytes or more; all of it for a smaller one), and the rest waits
 *   in it. Unbuffered: written at once.
 * - `putc` is `_IO_putc_unlocked` (puts' newline, putchar, fputc): a byte into the room, or
 *   `overflow` — which sets the put area up (allocating the buffer), writes a full buffer
 *   first, and for a line-buffered stream writes at a newline.
 * - printf: up to 2.36 its literal runs and conversions go through `put` one by one, as
 *   vfprintf puts them (a conversion's padding with it, where glibc puts it apart);
 *   from 2.37 it is written into the buffer's room directly, the buffer written whenever full,
 *   and without room (line buffered, unbuffered, not set up) through `put` in 128-byte stages
 *   (`__printf_buffer_to_file`).
 *
 * Checked against real runs on a pipe, a file and a terminal: tests/fixtures/c/descriptors/
 * (stdio_buffers.c). Not modelled: glibc before 2.24 mmap'ed the buffer, and a setvbuf that
 * replaces it there unmaps it (the old buffer stays mapped here).
 *
 * @module
 */

import { IOFBF, IOLBF, IONBF, type Streams } from "./stdio.ts";

/** What stdout's FILE works with. */
export interface StdoutHost {
  readonly streams: Streams;
  /** glibc's `_IO_file_doallocate` for stdout: the buffer's address and size. */
  allocate(): { address: number; size: number };
  /** Frees a buffer stdio allocated (setbuf/setvbuf replacing it). */
  release(address: number): void;
  /** Stores bytes (one char per byte) at an address of the program's memory. */
  store(address: number, text: string): void;
  /** printf writes into the buffer's room directly (glibc 2.37+). */
  readonly printfIntoBuffer: boolean;
  /** The FILE's own byte (`_shortbuf`), the buffer when unbuffered (0: not in memory). */
  readonly shortbuf: number;
}

/** glibc's `__printf_buffer_to_file` stage, used when the buffer has no room. */
const PRINTF_STAGE = 128;

/** Copies bytes into the buffer at the write pointer. */
function fill(h: StdoutHost, text: string): void {
  const s = h.streams;
  if (text.length === 0) return;
  const buffer = s.buffer !== 0 ? s.buffer : h.shortbuf;
  if (buffer !== 0) h.store(buffer + s.pending.length, text);
  s.pending += text;
}

/** Sets the put area up if it is not (allocating the buffer), as `_IO_new_file_overflow` does. */
function setUp(h: StdoutHost): void {
  const s = h.streams;
  if (s.putting && s.bufferSize > 0) return;
  if (s.bufferSize === 0) {
    if (s.mode === IONBF) {
      s.bufferSize = 1; // the FILE's own one-byte _shortbuf
    } else {
      const { address, size } = h.allocate();
      s.buffer = address;
      s.bufferSize = size;
    }
  }
  s.startPutArea();
  s.putting = true;
}

/** `_IO_new_file_overflow(ch)`: `ch` (a one-byte string) after the put area is set up. */
function overflow(h: StdoutHost, ch: string | undefined): void {
  const s = h.streams;
  s.oriented = true; // __overflow orients a stream that is not yet
  setUp(h);
  if (ch === undefined) return s.flush();
  if (s.pending.length === s.bufferSize) s.flush();
  fill(h, ch);
  if (s.mode === IONBF || (s.mode === IOLBF && ch === "\n")) s.flush();
}

/** `_IO_default_xsputn`: into the room, the rest a byte at a time through `overflow`. */
function putInRoom(h: StdoutHost, text: string): void {
  const s = h.streams;
  let at = 0;
  for (;;) {
    const room = s.writeEnd - s.pending.length;
    if (room > 0) {
      const count = Math.min(room, text.length - at);
      fill(h, text.slice(at, at + count));
      at += count;
    }
    if (at === text.length) return;
    overflow(h, text[at++]);
  }
}

/** `_IO_new_file_xsputn`: puts `text` (one char per byte) into stdout. */
export function put(h: StdoutHost, text: string): void {
  const s = h.streams;
  if (text.length === 0) return;
  let count = 0, flushAfter = false;
  if (s.mode === IOLBF && s.putting) {
    count = s.bufferSize - s.pending.length;
    if (count >= text.length) {
      const newline = text.lastIndexOf("\n");
      if (newline >= 0) {
        count = newline + 1;
        flushAfter = true;
      }
    }
  } else if (s.writeEnd > s.pending.length) {
    count = s.writeEnd - s.pending.length;
  }
  count = Math.min(count, text.length);
  fill(h, text.slice(0, count));
  const rest = text.length - count;
  if (rest === 0 && !flushAfter) return;
  overflow(h, undefined);
  const blocks = s.bufferSize >= 128 ? rest - rest % s.bufferSize : rest;
  if (blocks > 0) s.writeOut(text.slice(count, count + blocks));
  if (rest > blocks) putInRoom(h, text.slice(count + blocks));
}

/** `_IO_putc_unlocked`: one byte. */
export function putc(h: StdoutHost, ch: string): void {
  const s = h.streams;
  if (s.pending.length < s.writeEnd) fill(h, ch);
  else overflow(h, ch);
}

/**
 * printf's text into stdout, as the version's printf writes it (see the module's notes):
 * `pieces`, where each literal run and conversion ends, are vfprintf's puts up to 2.36.
 */
export function putPrintf(h: StdoutHost, text: string, pieces: readonly number[]): void {
  const s = h.streams;
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
    const room = s.writeEnd - s.pending.length;
    if (room > 0) {
      // directly into the buffer; when it is full, the next byte goes through overflow
      const count = Math.min(room, text.length - at);
      fill(h, text.slice(at, at + count));
      at += count;
      if (at < text.length && s.pending.length === s.writeEnd) overflow(h, text[at++]);
    } else {
      const stage = text.slice(at, at + PRINTF_STAGE);
      put(h, stage);
      at += stage.length;
    }
  }
}

/**
 * setbuf/setvbuf on stdout (`_IO_setvbuf`): the mode, and the program's buffer (`address`,
 * `size`; 0 for none). Fully buffered without a buffer allocates one now if there is none;
 * line buffered without one changes the mode only. A new buffer, or the FILE's own byte when
 * unbuffered, replaces the old after a flush — freed if stdio malloc'ed it — with no room
 * until the next write.
 */
export function setBuffer(h: StdoutHost, mode: number, address: number, size: number): void {
  const s = h.streams;
  s.mode = mode;
  s.modeChosen = true;
  if (mode !== IONBF && address === 0) {
    if (mode === IOFBF && s.bufferSize === 0) {
      const made = h.allocate();
      s.buffer = made.address;
      s.bufferSize = made.size;
    }
    return;
  }
  s.flush();
  if (s.buffer !== 0 && !s.userBuffer) h.release(s.buffer);
  const own = mode === IONBF || size === 0;
  if (own) s.mode = IONBF;
  s.buffer = own ? 0 : address;
  s.bufferSize = own ? 1 : size;
  s.userBuffer = !own;
  s.pending = "";
  s.writeEnd = 0;
}
