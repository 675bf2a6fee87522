/**
 * A FILE read through glibc's file operations (libio's fileops and genops), on the FILE's own
 * fields — stdin's in libc's memory, a fopen'ed FILE's in its heap chunk: every call takes its
 * pointers from the FILE as the program left them, copies bytes out of the get area wherever
 * `_IO_read_ptr`..`_IO_read_end` point, and when that area is empty refills it with one read(2)
 * on `_fileno` into `_IO_buf_base`, for `_IO_buf_end - _IO_buf_base` bytes. So a program that
 * writes into stdin's FILE steers its reads, as under glibc: the classic exploit points
 * `_IO_buf_base` and `_IO_buf_end` at a target, empties the get area, and the next refill's
 * read(2) writes the input there (a target that is the FILE itself — its `_IO_buf_base`'s low
 * byte lowered — has the read overwrite the pointers the refill goes on to use).
 *
 * - `underflow` is `_IO_new_file_underflow`: end of file is sticky (2.28+); a FILE with
 *   `_IO_NO_READS` fails with EBADF and the error indicator; no buffer: the backup area freed,
 *   `_IO_doallocbuf` (`_IO_file_doallocate`: st_blksize, line buffered on a terminal; the FILE's
 *   own byte, `_shortbuf`, when unbuffered); a line-buffered or unbuffered FILE first has stdout
 *   written; the areas start at the buffer before the read; a read of 0 sets the end-of-file
 *   indicator and forgets the cached offset, a failed one (EFAULT: the buffer unmapped) the
 *   error indicator; `_IO_read_end` grows by the count *after* the read, read from the FILE.
 * - `uflow`/`underflowGeneric` are `__uflow`/`__underflow`: a wide-oriented FILE reads nothing,
 *   the FILE is oriented to bytes, a putting FILE switched to getting, the backup area left for
 *   the main one, then freed; `getc` is `_IO_getc_unlocked`.
 * - `xsgetn` is `_IO_file_xsgetn` (fread): what the get area holds, then refills while less than
 *   a buffer is wanted, else read(2) straight into the destination in whole buffers.
 * - `getline` is `_IO_getline_info` (fgets, gets); `sputbackc` is `_IO_sputbackc` with
 *   `_IO_default_pbackfail` (ungetc, scanf): the byte just read is unread, any other goes into
 *   the backup area (`_IO_save_base`..`_IO_save_end`, malloc'ed 128 bytes, doubled when full),
 *   whose pointers swap with the get area's while it is read (`_IO_IN_BACKUP`).
 *
 * Not modelled, refused by name: stream markers (`_markers`), a FILE in put mode whose writes
 * are allowed and that was not given how to write them (`flushPut`: fopen's "+"). The vtable
 * pointer is checked before each call glibc makes through it (`checkVtable`: `_IO_UFLOW`,
 * `_IO_UNDERFLOW`, `_IO_XSGETN`, `_IO_PBACKFAIL`, `_IO_OVERFLOW`; fclose's and fseek's by their
 * callers): one outside libc's vtables ends the process as glibc does; a slot holding another
 * function than `_IO_file_jumps`' there is refused by name. Not modelled, silently: the FILE's
 * lock (`_lock`) is not taken. Wide reads (`_mode` > 0) read nothing, as `__uflow` returns EOF.
 * Checked against real runs on a pipe, a file and a terminal: tests/fixtures/c/descriptors/
 * (stdin_functions.c, stdio_state.c, unbuffered_state.c, fopen_files.c, fseek_files.c,
 * fopen_plus.c; stdin_fread.c: whole buffers read into fread's destination; stdin_fileno.c: a
 * rewritten `_fileno`; stdin_buf_base.c: `_IO_buf_base` at a global, a heap chunk, nothing
 * mapped (EFAULT), a fopen'ed FILE's backup area; stdin_short_buf.c: an unbuffered stdin's
 * `_IO_buf_base` low byte cleared, the refill rewriting stdin's own fields).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import {
  CURRENTLY_PUTTING,
  EOF_SEEN,
  ERR_SEEN,
  type FileFields,
  type FileLayout,
  IN_BACKUP,
  LINE_BUF,
  NO_READS,
  NO_WRITES,
  UNBUFFERED,
  USER_BUF,
} from "./file_layout.ts";
import type { Signal } from "./interpreter.ts";
import type { JumpSlot } from "./vtable_check.ts";

const EOF = -1;
/** `_IO_pos_BAD`. */
const POS_BAD = -1;
/** The backup area's first size (`_IO_default_pbackfail`). */
const BACKUP_SIZE = 128;

/** What a reading FILE works with besides its fields. */
export interface ReaderHost {
  readonly mem: Memory;
  readonly layout: FileLayout;
  /** read(2): the count, or -errno; pauses while stdin waits for input. */
  read(fd: number, buf: number, count: number): Generator<Signal, number>;
  /** Sets `errno`. */
  setErrno(errno: number): void;
  /** fstat of a descriptor for `_IO_file_doallocate`: st_blksize and whether it is a terminal. */
  stat(fd: number): { blksize: number; terminal: boolean } | undefined;
  /** The buffer `_IO_file_doallocate` makes (malloc, or an old glibc's mapping): 0 on failure. */
  allocateBuffer(size: number): number;
  malloc(size: number): number;
  free(pointer: number): void;
  /** `_IO_OVERFLOW (stdout, EOF)` when stdout is linked, writable and line buffered. */
  flushStdout(): void;
  /** End of file is sticky (glibc 2.28+). */
  readonly eofSticky: boolean;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
  /**
   * glibc's vtable check (`vtable_check.ts`) of the vtable pointer `pointer` of the FILE named
   * `file`, before a call through its `slot`: returns for `_IO_file_jumps` (or a slot holding
   * its function), ends the process for a pointer outside libc's vtables, refuses any other.
   */
  checkVtable(pointer: number, slot: JumpSlot, file: string): void;
}

/** One FILE read through glibc's fileops, on its fields. */
export class ReadingFile {
  readonly #h: ReaderHost;
  readonly #F: FileLayout;
  /** The FILE's fields. */
  readonly fields: FileFields;
  /** The FILE's own byte (`_shortbuf`), its buffer when unbuffered. */
  readonly shortbuf: number;
  /** The FILE's name in messages; undefined when its fields are not in memory (no vtable). */
  readonly #name: string | undefined;

  /** A FILE that also writes (fopen's "+"): writes what its put area holds, 0 or EOF. */
  flushPut: (() => number) | undefined;

  /**
   * The FILE with `fields`; `name` ("stdin", "a fopen'ed FILE") when they lie in the program's
   * memory, where its vtable pointer is checked before each call glibc makes through it.
   */
  constructor(h: ReaderHost, fields: FileFields, shortbuf: number, name?: string) {
    this.#h = h;
    this.#F = h.layout;
    this.fields = fields;
    this.shortbuf = shortbuf;
    this.#name = name;
  }

  /** glibc's check of the FILE's vtable pointer before a call through its `slot`. */
  checkVtable(slot: JumpSlot): void {
    if (this.#name === undefined) return;
    this.#h.checkVtable(this.fields.pointer(this.#F.vtable), slot, this.#name);
  }

  get flags(): number {
    return this.fields.word(this.#F.flags);
  }

  set flags(value: number) {
    this.fields.setWord(this.#F.flags, value);
  }

  /** The get area's pointer and end. */
  get readPtr(): number {
    return this.fields.pointer(this.#F.readPtr);
  }

  set readPtr(value: number) {
    this.fields.setPointer(this.#F.readPtr, value);
  }

  get readEnd(): number {
    return this.fields.pointer(this.#F.readEnd);
  }

  /** `_IO_fwide (fp, -1)` on a FILE not yet oriented: bytes (`_mode` -1). */
  orient(): void {
    if ((this.fields.word(this.#F.mode) | 0) === 0) this.fields.setWord(this.#F.mode, -1);
  }

  /** `_IO_getc_unlocked`: the next byte, or EOF. */
  *getc(): Generator<Signal, number> {
    const f = this.fields, F = this.#F, ptr = f.pointer(F.readPtr);
    if (ptr < f.pointer(F.readEnd)) {
      f.setPointer(F.readPtr, ptr + 1);
      return this.#h.mem.read8(ptr);
    }
    return yield* this.uflow();
  }

  /** `__uflow`, then `_IO_default_uflow`: the next byte, taken, or EOF. */
  *uflow(): Generator<Signal, number> {
    const ready = this.#beforeUnderflow();
    if (ready !== undefined) return ready < 0 ? EOF : this.#take();
    this.checkVtable("__uflow");
    if ((yield* this.underflow()) === EOF) return EOF;
    return this.#take();
  }

  /** `__underflow`: the next byte, left in the get area, or EOF. */
  *underflowGeneric(): Generator<Signal, number> {
    const ready = this.#beforeUnderflow();
    if (ready !== undefined) return ready < 0 ? EOF : this.#h.mem.read8(this.readPtr);
    this.checkVtable("__underflow");
    return yield* this.underflow();
  }

  /** The byte at the read pointer, taken. */
  #take(): number {
    const ptr = this.readPtr;
    this.readPtr = ptr + 1;
    return this.#h.mem.read8(ptr);
  }

  /**
   * What `__uflow` and `__underflow` do before the FILE's underflow: -1 (EOF), 1 (the get area,
   * or the main one after the backup area, holds a byte) or undefined (underflow).
   */
  #beforeUnderflow(): number | undefined {
    const f = this.fields, F = this.#F;
    if ((f.word(F.mode) | 0) > 0) return -1;
    this.orient();
    if ((this.flags & CURRENTLY_PUTTING) && this.switchToGetMode() === EOF) return -1;
    if (this.readPtr < this.readEnd) return 1;
    if (this.flags & IN_BACKUP) {
      this.#swapAreas(false);
      if (this.readPtr < this.readEnd) return 1;
    }
    if (f.pointer(F.markers) !== 0) this.#h.refuse("a FILE with stream markers (_markers)");
    if (f.pointer(F.saveBase) !== 0) this.freeBackupArea();
    return undefined;
  }

  /** `_IO_new_file_underflow`: refills the get area; its first byte, or EOF. */
  *underflow(): Generator<Signal, number> {
    const h = this.#h, f = this.fields, F = this.#F;
    if (h.eofSticky && (this.flags & EOF_SEEN)) return EOF;
    if (this.flags & NO_READS) {
      this.flags |= ERR_SEEN;
      h.setErrno(Errno.EBADF);
      return EOF;
    }
    if (this.readPtr < this.readEnd) return h.mem.read8(this.readPtr);
    this.#bufferIfNone();
    if (this.flags & (LINE_BUF | UNBUFFERED)) h.flushStdout();
    this.switchToGetMode();
    // the areas start again at the buffer before the read, which may wait for input
    const base = f.pointer(F.bufBase);
    for (const at of [F.readBase, F.readPtr, F.readEnd, F.writeBase, F.writePtr, F.writeEnd]) {
      f.setPointer(at, base);
    }
    const size = f.pointer(F.bufEnd) - base;
    let count = yield* h.read(f.word(F.fileno) | 0, base, size < 0 ? size + 2 ** 64 : size);
    if (count <= 0) {
      if (count === 0) this.flags |= EOF_SEEN;
      else {
        h.setErrno(-count);
        this.flags |= ERR_SEEN;
        count = 0;
      }
    }
    // (the read may have written over the FILE's own fields: glibc reads them again)
    f.setPointer(F.readEnd, f.pointer(F.readEnd) + count);
    if (count === 0) {
      this.#setOffset(POS_BAD);
      return EOF;
    }
    this.#adjustOffset(count);
    return h.mem.read8(this.readPtr);
  }

  /** The cached file offset (`_offset`, an off64_t; -1 `_IO_pos_BAD`: not known). */
  get offset(): number {
    const f = this.fields, F = this.#F;
    return (f.word(F.offset + 4) | 0) * 2 ** 32 + f.word(F.offset);
  }

  set offset(value: number) {
    this.#setOffset(value);
  }

  #setOffset(value: number): void {
    const f = this.fields, F = this.#F, low = ((value % 2 ** 32) + 2 ** 32) % 2 ** 32;
    f.setWord(F.offset, low);
    f.setWord(F.offset + 4, Math.floor((value - low) / 2 ** 32) >>> 0);
  }

  /** `_IO_pos_adjust`: the cached offset moved past `count` bytes read, when it is known. */
  #adjustOffset(count: number): void {
    const offset = this.offset;
    if (offset !== POS_BAD) this.#setOffset(offset + count);
  }

  /**
   * What underflow and fread do first on a FILE with no buffer: a backup area ungetc left is
   * freed (the pointer alone: its fields stay), then `_IO_doallocbuf`.
   */
  #bufferIfNone(): void {
    const f = this.fields, F = this.#F;
    if (f.pointer(F.bufBase) !== 0) return;
    const save = f.pointer(F.saveBase);
    if (save !== 0) {
      this.#h.free(save);
      this.flags &= ~IN_BACKUP;
    }
    this.doAllocBuf();
  }

  /** `_IO_switch_to_get_mode`: EOF when what the put area holds could not be written. */
  switchToGetMode(): number {
    const f = this.fields, F = this.#F;
    if (f.pointer(F.writePtr) > f.pointer(F.writeBase)) {
      // _IO_new_file_overflow(fp, EOF): a FILE that writes too writes its put area out
      if (this.flushPut && !(this.flags & NO_WRITES)) {
        if (this.flushPut() === EOF) return EOF;
      } else {
        // one that may not write: the error indicator, EBADF
        this.checkVtable("__overflow");
        if (!(this.flags & NO_WRITES)) this.#h.refuse("a reading FILE whose put area holds bytes");
        this.flags |= ERR_SEEN;
        this.#h.setErrno(Errno.EBADF);
        return EOF;
      }
    }
    const writePtr = f.pointer(F.writePtr);
    if (this.flags & IN_BACKUP) f.setPointer(F.readBase, f.pointer(F.backupBase));
    else {
      f.setPointer(F.readBase, f.pointer(F.bufBase));
      if (writePtr > this.readEnd) f.setPointer(F.readEnd, writePtr);
    }
    for (const at of [F.readPtr, F.writeBase, F.writePtr, F.writeEnd]) f.setPointer(at, writePtr);
    this.flags &= ~CURRENTLY_PUTTING;
    return 0;
  }

  /** `_IO_doallocbuf`: a buffer if there is none, the FILE's own byte when unbuffered. */
  doAllocBuf(): void {
    const f = this.fields, F = this.#F;
    if (f.pointer(F.bufBase) !== 0) return;
    if (!(this.flags & UNBUFFERED) || (f.word(F.mode) | 0) > 0) {
      // _IO_file_doallocate: st_blksize (BUFSIZ when fstat fails), line buffered on a terminal
      const st = this.#h.stat(f.word(F.fileno) | 0);
      if (st?.terminal) this.flags |= LINE_BUF;
      const size = st && st.blksize > 0 && st.blksize < 8192 ? st.blksize : 8192;
      const buffer = this.#h.allocateBuffer(size);
      if (buffer !== 0) return this.setb(buffer, buffer + size, true);
    }
    this.setb(this.shortbuf, this.shortbuf + 1, false);
  }

  /** `_IO_setb`: a new buffer, the old one freed unless it was the program's (`_IO_USER_BUF`). */
  setb(base: number, end: number, allocated: boolean): void {
    const f = this.fields, F = this.#F, old = f.pointer(F.bufBase);
    if (old !== 0 && !(this.flags & USER_BUF)) this.#h.free(old);
    f.setPointer(F.bufBase, base);
    f.setPointer(F.bufEnd, end);
    this.flags = allocated ? this.flags & ~USER_BUF : this.flags | USER_BUF;
  }

  /**
   * `_IO_switch_to_backup_area` (`backup` true) or `_IO_switch_to_main_get_area`: the get area's
   * base and end swap with the save area's; the read pointer at the backup area's end, or the
   * main area's start.
   */
  #swapAreas(backup: boolean): void {
    const f = this.fields, F = this.#F;
    this.flags = backup ? this.flags | IN_BACKUP : this.flags & ~IN_BACKUP;
    const end = f.pointer(F.readEnd), base = f.pointer(F.readBase);
    f.setPointer(F.readEnd, f.pointer(F.saveEnd));
    f.setPointer(F.saveEnd, end);
    f.setPointer(F.readBase, f.pointer(F.saveBase));
    f.setPointer(F.saveBase, base);
    f.setPointer(F.readPtr, backup ? f.pointer(F.readEnd) : f.pointer(F.readBase));
  }

  /** `_IO_free_backup_area`. */
  freeBackupArea(): void {
    const f = this.fields, F = this.#F;
    if (this.flags & IN_BACKUP) this.#swapAreas(false);
    this.#h.free(f.pointer(F.saveBase));
    for (const at of [F.saveBase, F.saveEnd, F.backupBase]) f.setPointer(at, 0);
  }

  /** `_IO_sputbackc`: `byte` back in front of the FILE; the byte, or EOF. */
  sputbackc(byte: number): number {
    const ptr = this.readPtr, F = this.#F;
    let result: number;
    if (ptr > this.fields.pointer(F.readBase) && this.#h.mem.read8(ptr - 1) === byte) {
      this.readPtr = ptr - 1;
      result = byte;
    } else {
      this.checkVtable("__pbackfail");
      result = this.#pbackfail(byte);
    }
    if (result !== EOF) this.flags &= ~EOF_SEEN;
    return result;
  }

  /**
   * `_IO_default_pbackfail`: into the backup area, which is malloc'ed (128 bytes) at the first
   * such byte and doubled (malloc, copy, free) when full.
   */
  #pbackfail(byte: number): number {
    const f = this.fields, F = this.#F, h = this.#h;
    const ptr = this.readPtr, base = f.pointer(F.readBase);
    if (ptr > base && !(this.flags & IN_BACKUP) && h.mem.read8(ptr - 1) === byte) {
      this.readPtr = ptr - 1;
      return byte;
    }
    if (!(this.flags & IN_BACKUP)) {
      const save = f.pointer(F.saveBase);
      if (ptr > base && save !== 0) {
        // save_for_backup without markers: nothing kept, the backup starts at its end
        if (f.pointer(F.markers) !== 0) h.refuse("a FILE with stream markers (_markers)");
        f.setPointer(F.backupBase, f.pointer(F.saveEnd));
      } else if (save === 0) {
        const buffer = h.malloc(BACKUP_SIZE);
        if (buffer === 0) return EOF;
        f.setPointer(F.saveBase, buffer);
        f.setPointer(F.saveEnd, buffer + BACKUP_SIZE);
        f.setPointer(F.backupBase, buffer + BACKUP_SIZE);
      }
      f.setPointer(F.readBase, ptr);
      this.#swapAreas(true);
    } else if (ptr <= base) {
      const oldSize = this.readEnd - base, size = 2 * oldSize, grown = h.malloc(size);
      if (grown === 0) return EOF;
      h.mem.copy(grown + size - oldSize, base, oldSize);
      h.free(base);
      f.setPointer(F.readBase, grown);
      f.setPointer(F.readPtr, grown + size - oldSize);
      f.setPointer(F.readEnd, grown + size);
      f.setPointer(F.backupBase, grown + size - oldSize);
    }
    const at = this.readPtr - 1;
    this.readPtr = at;
    h.mem.write8(at, byte);
    return byte;
  }

  /**
   * `_IO_getline_info` (`extract` 1 keeps the delimiter, 0 drops it, -1 puts it back): at most
   * `max` bytes through `delimiter` stored at `dst`; their count.
   */
  *getline(dst: number, max: number, delimiter: number, extract: number) {
    const mem = this.#h.mem;
    this.orient();
    let at = dst;
    while (max > 0) {
      const ptr = this.readPtr;
      let length = this.readEnd - ptr;
      if (length <= 0) {
        const c = yield* this.uflow();
        if (c === EOF) break;
        if (c === delimiter) {
          if (extract > 0) mem.write8(at++, c);
          else if (extract < 0) this.sputbackc(c);
          return at - dst;
        }
        mem.write8(at++, c);
        max--;
        continue;
      }
      if (length >= max) length = max;
      const bytes = mem.readBytes(ptr, length), found = bytes.indexOf(delimiter);
      if (found >= 0) {
        const count = found + (extract > 0 ? 1 : 0);
        mem.writeBytes(at, bytes.subarray(0, count));
        this.readPtr = ptr + found + (extract >= 0 ? 1 : 0);
        return at + count - dst;
      }
      mem.writeBytes(at, bytes);
      this.readPtr = ptr + length;
      at += length;
      max -= length;
    }
    return at - dst;
  }

  /** `_IO_file_xsgetn` (fread): up to `wanted` bytes stored at `dst`; their count. */
  *xsgetn(dst: number, wanted: number): Generator<Signal, number> {
    const f = this.fields, F = this.#F, h = this.#h, total = wanted;
    this.checkVtable("__xsgetn"); // _IO_sgetn
    this.#bufferIfNone();
    while (wanted > 0) {
      const ptr = this.readPtr, have = this.readEnd - ptr;
      if (wanted <= have) {
        h.mem.copy(dst, ptr, wanted);
        this.readPtr = ptr + wanted;
        wanted = 0;
        break;
      }
      if (have > 0) {
        h.mem.copy(dst, ptr, have);
        dst += have;
        wanted -= have;
        this.readPtr = ptr + have;
      }
      if (this.flags & IN_BACKUP) {
        this.#swapAreas(false);
        continue;
      }
      const base = f.pointer(F.bufBase), block = f.pointer(F.bufEnd) - base;
      if (base !== 0 && wanted < block) {
        if ((yield* this.underflowGeneric()) === EOF) break;
        continue;
      }
      // straight into the destination, in whole buffers
      for (const at of [F.readBase, F.readPtr, F.readEnd, F.writeBase, F.writePtr, F.writeEnd]) {
        f.setPointer(at, base);
      }
      const count = base !== 0 && block >= 128 ? wanted - wanted % block : wanted;
      const read = yield* h.read(f.word(F.fileno) | 0, dst, count);
      if (read <= 0) {
        if (read === 0) this.flags |= EOF_SEEN;
        else (this.flags |= ERR_SEEN), h.setErrno(-read);
        break;
      }
      dst += read;
      wanted -= read;
      this.#adjustOffset(read);
    }
    return total - wanted;
  }
}
