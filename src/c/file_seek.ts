/**
 * fseek, rewind and ftell on a FILE fopen made, as glibc's file seek does them
 * (`_IO_new_file_seekoff`, `do_ftell`), on the FILE's fields: the cached file offset (`_offset`),
 * a target inside the buffer's fill only moving the read pointer, a seek to the target's block
 * of the buffer's size and a read up to it. A FILE that reads and writes (fopen's "+") first
 * writes what its put area holds (`_IO_switch_to_get_mode`). Checked against real runs:
 * tests/fixtures/c/descriptors/ (fseek_files.c; fopen_plus.c).
 *
 * Not modelled, refused by name: ftell of a FILE that reads and writes while it writes, a seek
 * whose write of the put area fails, and either on a FILE over /proc/self/maps (`proc_maps.ts`).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import { CURRENTLY_PUTTING, EOF_SEEN, type FileLayout, IN_BACKUP } from "./file_layout.ts";
import type { OpenFile } from "./open_files.ts";
import type { ReadingFile } from "./read_file.ts";

/** What a seek works with. */
export interface SeekHost {
  /** Where a FILE's fields lie. */
  readonly layout: FileLayout;
  /** The file the FILE's descriptor is open on. */
  readonly file: OpenFile;
  /** The program's memory (the FILE's buffer). */
  readonly mem: Memory;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

const SEEK_CUR = 1, SEEK_END = 2, SEEK_SET = 0, EOF = -1;

/** Refuses `call` on a FILE over a file the kernel makes at each read (/proc/self/maps). */
function generatedRefused(h: SeekHost, call: string): void {
  if (h.file.generated) {
    h.refuse(`${call} of a FILE on ${h.file.path} (not modelled: a /proc file)`);
  }
}

/**
 * fseek/rewind's `_IO_seekoff_unlocked` and `_IO_new_file_seekoff` on a FILE fopen made: the
 * new offset, or -errno. The backup area is freed and the buffer allocated if it is not; a
 * target inside what the buffer holds only moves the read pointer; else glibc seeks to the
 * target's block of the buffer's size and reads up to it (only up to it when the get area was
 * empty), or, reading too little, seeks the rest of the way.
 */
export function seekFile(h: SeekHost, r: ReadingFile, offset: number, whence: number): number {
  generatedRefused(h, "fseek or rewind");
  if (whence < 0 || whence > 2) return -Errno.EINVAL;
  const F = h.layout, file = h.file;
  r.checkVtable("__seekoff");
  const f = r.fields;
  // (whether the descriptor's offset must end exact: judged before a put area is written)
  const exact = f.pointer(F.readBase) === r.readEnd &&
    f.pointer(F.writeBase) === f.pointer(F.writePtr);
  // a FILE that reads and writes: what it wrote goes out first (_IO_switch_to_get_mode)
  if (f.pointer(F.writePtr) > f.pointer(F.writeBase) || (r.flags & CURRENTLY_PUTTING)) {
    if (r.switchToGetMode() === EOF) h.refuse("fseek of a FILE whose writes fail");
  }
  if (f.pointer(F.saveBase) !== 0) {
    if (whence === SEEK_CUR && (r.flags & IN_BACKUP)) offset -= r.readEnd - r.readPtr;
    r.freeBackupArea();
  }
  if (f.pointer(F.bufBase) === 0) {
    r.doAllocBuf();
    const base = f.pointer(F.bufBase);
    for (const field of [F.readBase, F.readPtr, F.readEnd, F.writeBase, F.writePtr, F.writeEnd]) {
      f.setPointer(field, base);
    }
  }
  const base = f.pointer(F.bufBase), size = f.pointer(F.bufEnd) - base;
  /** The get area over the buffer, the put area empty at its start, end of file cleared. */
  const area = (at: number, end: number) => {
    f.setPointer(F.readBase, base);
    f.setPointer(F.readPtr, base + at);
    f.setPointer(F.readEnd, base + end);
    for (const field of [F.writeBase, F.writePtr, F.writeEnd]) f.setPointer(field, base);
    r.flags &= ~EOF_SEEN;
  };
  let dir = whence;
  if (dir === SEEK_CUR) {
    offset -= r.readEnd - r.readPtr;
    if (r.offset !== -1) {
      offset += r.offset;
      if (offset < 0) return -Errno.EINVAL;
      dir = SEEK_SET;
    }
  } else if (dir === SEEK_END) {
    offset += file.bytes.length;
    dir = SEEK_SET;
  }
  if (dir === SEEK_SET) {
    const fill = r.readEnd - base, start = r.offset - fill;
    if (r.offset !== -1 && !(r.flags & IN_BACKUP) && offset >= start && offset < r.offset) {
      area(offset - start, fill);
      file.offset = r.offset; // glibc seeks the descriptor back to its cache
      return offset;
    }
    let block = Math.floor(offset / size) * size, delta = offset - block;
    if (delta > size) (block = offset), (delta = 0);
    if (block < 0) return -Errno.EINVAL;
    file.offset = block;
    const read = delta === 0 ? 0 : readInto(h, base, exact ? delta : size);
    if (read >= delta) {
      area(delta, read);
      r.offset = block + read;
      return offset;
    }
    offset = delta - read;
    dir = SEEK_CUR;
  }
  const result = (dir === SEEK_CUR ? file.offset : 0) + offset;
  if (result < 0) return -Errno.EINVAL;
  file.offset = r.offset = result;
  area(0, 0);
  return result;
}

/** ftell's `do_ftell`: the offset of the next byte a read returns, or -errno. */
export function tellFile(h: SeekHost, r: ReadingFile): number {
  generatedRefused(h, "ftell");
  const f = r.fields, F = h.layout;
  r.checkVtable("__seekoff"); // _IO_seekoff_unlocked (fp, 0, SEEK_CUR, 0)
  if (f.pointer(F.writePtr) > f.pointer(F.writeBase) || (r.flags & CURRENTLY_PUTTING)) {
    h.refuse("ftell of a FILE that reads and writes, while it writes");
  }
  const file = h.file;
  const ahead = f.pointer(F.bufBase) === 0 ? 0 : r.readEnd - r.readPtr;
  let result = (r.offset !== -1 ? r.offset : file.offset) - ahead;
  if (r.flags & IN_BACKUP) result -= f.pointer(F.saveEnd) - f.pointer(F.saveBase);
  return result < 0 ? -Errno.EINVAL : result;
}

/** read(2) of up to `count` bytes of the FILE's file into its buffer: the count. */
function readInto(h: SeekHost, buffer: number, count: number): number {
  const file = h.file, bytes = file.bytes.subarray(file.offset, file.offset + count);
  file.offset += bytes.length;
  h.mem.writeBytes(buffer, bytes);
  return bytes.length;
}
