/**
 * FILEs a program opens with fopen, as glibc makes them: one malloc of its `locked_FILE` (the
 * FILE with its vtable pointer, its lock, its wide-character data: 0x1d8 bytes on x86_64, a
 * 0x1e0 chunk; 0x130 on i386, a 0x140 chunk), whose fields fopen writes — only those it writes: a recycled chunk keeps its
 * old bytes in the rest — and which it links at the head of `_IO_list_all` (through `_chain`,
 * and from 2.40 `_prevchain`, which un-linking uses). A path that opens nothing frees the
 * chunk again. Reads go through `stdin.ts` and glibc's fileops on the chunk's own fields
 * (`read_file.ts`: a 4 KiB buffer malloc'ed at the first), so a heap view, a leak or a use
 * after fclose sees what real glibc left, and a program's writes into the FILE steer its reads.
 * fseek, ftell and rewind work as glibc's file seek does (`file_seek.ts`). A FILE opened for
 * writing ("w", "a", with "x" for O_EXCL) keeps its fields in its chunk; libc runs glibc's
 * fileops on them (`output_file.ts`), reading them before each call and writing them back after
 * (`loadWriter`, `settleWriter`). One opened to read and write ("r+", "w+", "a+") is both: its
 * reads, after writes, first write what its put area holds (`_IO_switch_to_get_mode`), and its
 * writes, after reads, seek the descriptor back over what was read ahead (`new_do_write`).
 * fclose (after a writing FILE has written its buffer) frees the backup area, closes the
 * descriptor fopen opened, frees the buffer, then the FILE, after un-linking it.
 *
 * Version facts (the glibc profile's `file*`): `_prevchain` (2.40+), `_flags2` 24 bits
 * beside `_short_backupbuf` (2.41+), `_total_written` (2.42+), fclose's `_IO_FLAGS2_NOCLOSE`
 * (2.44+). Checked against real runs: tests/fixtures/c/descriptors/ (fopen_files.c: each FILE
 * printed word by word after each step, the first one in a chunk filled with 0xaa;
 * fseek_files.c: the pointers and the offset after each seek; write_stdio.c: a writing FILE's
 * fields after each call and the file's contents; fopen_plus.c: "w+", "r+" and "a+" switching
 * between writing and reading); on i386, the same programs' ports run on real i386 glibc under
 * qemu-i386: tests/fixtures/c/descriptors_i386/.
 *
 * Not modelled, refused by name (`CUnsupportedError`): `m` (glibc maps the file), `,ccs=`; glibc
 * before 2.24 (which mmap'ed the buffer) and builds without a libc's symbols
 * (their vtables' addresses); setvbuf and fflush of a FILE opened for reading (a write to it
 * fails as glibc's does, `wrong_direction.ts`; a read of one opened for writing only too);
 * seeking and setvbuf on a FILE opened for writing; close(2) of the descriptor a fopen'ed FILE
 * uses.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { CUnsupportedError } from "./errors.ts";
import type { OpenFiles } from "./open_files.ts";
import { type ReaderHost, ReadingFile } from "./read_file.ts";
import { seekFile, type SeekHost, tellFile } from "./file_seek.ts";
import type { Memory } from "../kernel/memory.ts";
import {
  CLOSED_FILEBUF,
  fieldsInMemory,
  type FileLayout,
  type FileMemory,
  type FileState,
  IS_APPENDING,
  IS_FILEBUF,
  LINKED,
  MAGIC,
  NO_READS,
  NO_WRITES,
  readFileState,
  TIED_PUT_GET,
  USER_BUF,
  wideLayout,
  writeFileState,
} from "./file_layout.ts";

/** What fopen and fclose work with. */
export interface FopenHost {
  readonly mem: {
    write8(address: number, value: number): void;
    write32(address: number, value: number): void;
  };
  writePointer(address: number, value: number): void;
  read32(address: number): number;
  readPointer(address: number): number;
  readonly profile: GlibcProfile;
  readonly openFiles: OpenFiles;
  /** Pointer size of the program. */
  readonly ptrSize: number;
  /** Where a libc symbol is (undefined: the build has none). */
  symbol(name: string): number | undefined;
  /** FILE* values of stdin, stdout, stderr. */
  readonly files: { readonly stdin: number; readonly stdout: number; readonly stderr: number };
  /** Where a FILE's fields lie. */
  readonly layout: FileLayout;
  /**
   * `_IO_new_file_overflow(fp, EOF)` of a FILE that reads and writes, on its fields as a
   * writer: what its put area holds written. 0, or EOF.
   */
  flushWriter(address: number): number;
  /** libc's malloc and free for the FILE. */
  malloc(size: number): number;
  free(pointer: number): void;
  /** What a reading FILE's fileops work with. */
  readonly reader: ReaderHost;
  /** The program's memory, where the FILEs' fields are. */
  readonly machine: {
    mem: Memory;
    readPointer(address: number): number;
    writePointer(address: number, value: number): void;
  };
}

/**
 * What follows the FILE in `locked_FILE`, and its size, by pointer size: the `_IO_lock_t` (an
 * int, a count and an owner: 16 bytes on x86_64, 12 on i386), then the `struct _IO_wide_data`
 * (11 pointers, state, conversion data, its vtable at `wideLayout`'s offset). i386's read from a
 * real run's dump (descriptors_i386/fopen_files.c) and libc6-dbg's debug info.
 */
function lockedFile(ptrSize: number) {
  const lock = ptrSize === 8 ? 0xe0 : 0x98, lockSize = ptrSize === 8 ? 16 : 12;
  const wide = ptrSize === 8 ? 0xf0 : 0xa4, wideVtable = wide + wideLayout(ptrSize).vtable;
  /** sizeof (locked_FILE). */
  const size = wideVtable + ptrSize;
  return { lock, lockSize, wide, wideVtable, size };
}

/** `_flags2` bits. */
const NOTCANCEL = 0x2, NOCLOSE = 0x20, CLOEXEC = 0x40;
const O_CLOEXEC = 0o2000000, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200;
const O_TRUNC = 0o1000, O_APPEND = 0o2000;

/** A FILE fopen made. */
interface Opened {
  readonly address: number;
  flags2: number;
}

/** A FILE fopen opened for reading: its fileops, and the descriptor fopen opened. */
interface Reading {
  readonly file: ReadingFile;
  readonly fd: number;
  readonly opened: Opened;
}

/** The FILEs one program opened with fopen, and libc's list of FILEs. */
export class FopenFiles {
  readonly #h: FopenHost;
  /** Where a FILE's fields lie. */
  readonly #field: FileLayout;
  /** Reads and writes them. */
  readonly #memory: FileMemory;
  readonly #open = new Map<number, Reading>();
  /** The FILEs open for writing, by address. */
  readonly #writers = new Map<number, { fd: number; opened: Opened; fields: FileState }>();
  /** The FILEs open for writing only, as a read sees them (its underflow fails: EBADF). */
  readonly #writeOnly = new Map<number, ReadingFile>();
  /** `_IO_list_all` and the `_chain`s after it: the FILEs from the head, the standard ones last. */
  readonly #list: number[];

  constructor(h: FopenHost) {
    this.#h = h;
    this.#field = h.layout;
    this.#memory = {
      read32: (address) => h.read32(address),
      readPointer: (address) => h.readPointer(address),
      write32: (address, value) => h.mem.write32(address, value),
      writePointer: (address, value) => h.writePointer(address, value),
    };
    this.#list = [h.files.stderr, h.files.stdout, h.files.stdin];
  }

  /** The reading FILE fopen returned at `address` and fclose has not closed. */
  stream = (address: number): ReadingFile | undefined => this.#open.get(address)?.file;
  /** The FILE fopen opened for writing only at `address`, as a read sees it (EBADF). */
  writeOnly = (address: number): ReadingFile | undefined => this.#writeOnly.get(address);
  /** The descriptor fopen opened for the reading FILE at `address`. */
  readerFd = (address: number): number | undefined => this.#open.get(address)?.fd;

  /** Whether a FILE fopen made uses descriptor `fd`. */
  uses(fd: number): boolean {
    for (const r of this.#open.values()) if (r.fd === fd) return true;
    for (const w of this.#writers.values()) if (w.fd === fd) return true;
    return false;
  }

  /**
   * fopen(path, mode): the FILE's address, or 0 with `errno` set (`-errno` returned as
   * `{ errno }`). `path` is undefined when its pointer cannot be read (open's EFAULT).
   */
  open(
    path: string | undefined,
    mode: string,
    file: string,
    line: number,
  ): { address: number } | { errno: number } {
    const h = this.#h,
      refuse = (what: string) => {
        throw new CUnsupportedError(what, file, line);
      };
    const jumps = h.symbol("_IO_file_jumps"), wideJumps = h.symbol("_IO_wfile_jumps");
    const listAll = h.symbol("_IO_list_all");
    if (h.profile.stdioBuffers !== "malloc") {
      refuse(`fopen on glibc ${h.profile.version} (its FILE's buffer is mmap'ed, not modelled)`);
    }
    if (jumps === undefined || wideJumps === undefined || listAll === undefined) {
      refuse(`fopen on glibc ${h.profile.version} (no real libc build to lay its FILE out from)`);
    }
    // glibc reads the first letter, then up to six more ('+' asks for reading and writing;
    // others it does not know, like a second 'w', it ignores)
    const letters = mode.slice(1, 7), both = letters.includes("+");
    if (mode.includes(",ccs=")) {
      refuse(`fopen(${JSON.stringify(path)}, ${JSON.stringify(mode)}): a wide character set`);
    }
    if (letters.includes("m")) refuse(`fopen mode ${JSON.stringify(mode)}: mmap'ed reads`);
    const address = h.malloc(lockedFile(h.ptrSize).size);
    if (address === 0) return { errno: Errno.ENOMEM };
    const opened: Opened = { address, flags2: 0 };
    this.#initialize(opened, jumps!, wideJumps!);
    this.#link(address);
    // _IO_file_fopen: the mode's letters after the first (at most six), then open(2)
    let oflags = (both ? O_RDWR : mode[0] === "r" ? 0 : O_WRONLY) |
      (mode[0] === "w" ? O_CREAT | O_TRUNC : mode[0] === "a" ? O_CREAT | O_APPEND : 0);
    for (const letter of letters) {
      if (letter === "c") opened.flags2 |= NOTCANCEL;
      if (letter === "e") (opened.flags2 |= CLOEXEC), (oflags |= O_CLOEXEC);
      if (letter === "x" && mode[0] !== "r") oflags |= O_EXCL;
    }
    this.#writeFlags2(opened);
    const fd = !"rwa".includes(mode[0] ?? "")
      ? -Errno.EINVAL
      : path === undefined
      ? -Errno.EFAULT
      : h.openFiles.open(path, oflags, 0o666); // _IO_file_open's mode
    if (fd === "directory") {
      throw new CUnsupportedError(`fopen(${JSON.stringify(path)}, "r"): a directory`, file, line);
    }
    if (typeof fd === "object") {
      throw new CUnsupportedError(`fopen of ${fd.unmodelled}`, file, line);
    }
    if (fd < 0) {
      this.#unlink(address);
      h.free(address);
      return { errno: -fd };
    }
    h.mem.write32(address + this.#field.fileno, fd);
    if (both) return this.#openBoth(opened, fd, mode[0] === "a");
    if (mode[0] !== "r") {
      // _IO_file_open: writing only (and at the end for "a"); stdio's fields from here on are
      // its output FILE's (`output_file.ts`)
      const flags = MAGIC | IS_FILEBUF | TIED_PUT_GET | LINKED | NO_READS |
        (mode[0] === "a" ? IS_APPENDING : 0);
      h.mem.write32(address + this.#field.flags, flags >>> 0);
      this.#writers.set(address, {
        fd,
        opened,
        fields: readFileState(this.#memory, this.#field, address),
      });
      const inMemory = fieldsInMemory(h.machine, address),
        shortbuf = address + this.#field.shortbuf;
      const reading = new ReadingFile(h.reader, inMemory, shortbuf, "a fopen'ed FILE");
      reading.flushPut = () => h.flushWriter(address);
      this.#writeOnly.set(address, reading);
      return { address };
    }
    const own = MAGIC | IS_FILEBUF | TIED_PUT_GET | LINKED | NO_WRITES;
    h.mem.write32(address + this.#field.flags, own >>> 0);
    const fields = fieldsInMemory(h.machine, address);
    // its vtable checked where libc's data (and so its vtables) is the build's
    const name = h.symbol("_IO_file_jumps") === undefined ? undefined : "a fopen'ed FILE";
    const reading = new ReadingFile(h.reader, fields, address + this.#field.shortbuf, name);
    this.#open.set(address, { file: reading, fd, opened });
    return { address };
  }

  /**
   * fdopen(fd, "w+") as perror makes it (`perror.ts`): a writer set up as fopen's, on `fd` (its
   * writes go where the caller sends them); 0 when the malloc failed.
   */
  fdopen(fd: number): number {
    const h = this.#h, jumps = h.symbol("_IO_file_jumps"), wide = h.symbol("_IO_wfile_jumps");
    if (jumps === undefined || wide === undefined || h.symbol("_IO_list_all") === undefined) {
      h.reader.refuse("fdopen where libc's data is not the build's");
    }
    const address = h.malloc(lockedFile(h.ptrSize).size), opened = { address, flags2: 0 };
    if (address === 0) return 0;
    this.#initialize(opened, jumps!, wide!);
    this.#link(address);
    h.mem.write32(address + this.#field.fileno, fd);
    h.mem.write32(address + this.#field.flags, (MAGIC | IS_FILEBUF | TIED_PUT_GET | LINKED) >>> 0);
    this.#writers.set(address, {
      fd,
      opened,
      fields: readFileState(this.#memory, this.#field, address),
    });
    return address;
  }

  /**
   * A FILE opened to read and write ("r+", "w+", "a+"): both a writer, whose fields calls that
   * write load and settle, and a reader on its fields in memory, which writes what the put area
   * holds (`flushWriter`) before it reads or seeks.
   */
  #openBoth(opened: Opened, fd: number, appending: boolean): { address: number } {
    const h = this.#h, address = opened.address;
    const flags = MAGIC | IS_FILEBUF | TIED_PUT_GET | LINKED | (appending ? IS_APPENDING : 0);
    h.mem.write32(address + this.#field.flags, flags >>> 0);
    const fields = readFileState(this.#memory, this.#field, address);
    this.#writers.set(address, { fd, opened, fields });
    const inMemory = fieldsInMemory(h.machine, address), shortbuf = address + this.#field.shortbuf;
    const reading = new ReadingFile(h.reader, inMemory, shortbuf, "a fopen'ed FILE");
    reading.flushPut = () => h.flushWriter(address);
    this.#open.set(address, { file: reading, fd, opened });
    return { address };
  }

  /** Whether the FILE at `address` reads and writes (fopen's "+"). */
  both(address: number): boolean {
    return this.#open.has(address) && this.#writers.has(address);
  }

  /** A FILE fopen opened for writing: its descriptor and its fields (see {@link loadWriter}). */
  writer(address: number): { fd: number; fields: FileState } | undefined {
    return this.#writers.get(address);
  }

  /** The FILEs open for writing, in `_IO_list_all`'s order (the newest first). */
  writers(): number[] {
    return this.#list.filter((address) => this.#writers.has(address));
  }

  /** Takes a writing FILE's fields from its chunk, where the program may have changed them. */
  loadWriter(address: number): FileState {
    const w = this.#writers.get(address)!;
    Object.assign(w.fields, readFileState(this.#memory, this.#field, address));
    return w.fields;
  }

  /** Writes a writing FILE's fields back to its chunk after a call. */
  settleWriter(address: number): void {
    writeFileState(this.#memory, this.#field, address, this.#writers.get(address)!.fields);
  }

  /**
   * fclose of a FILE fopen made: 0. A writing FILE's buffer must have been written first
   * (`output_file.ts`'s sync); its buffer is freed unless the program gave it.
   */
  close(address: number): number {
    const h = this.#h, writer = this.#writers.get(address);
    if (writer !== undefined) {
      const reader = this.#open.get(address)?.file;
      if (reader && reader.fields.pointer(this.#field.saveBase) !== 0) reader.freeBackupArea();
      h.openFiles.close(writer.fd);
      const f = writer.fields; // as fclose's write of the buffer left them
      if (f.bufBase !== 0 && !(f.flags & USER_BUF)) h.free(f.bufBase);
      this.#writers.delete(address);
      this.#writeOnly.delete(address);
      this.#open.delete(address);
      return this.#closed(address, writer.opened);
    }
    // _IO_new_file_close_it: the backup area freed, the descriptor closed, the buffer freed
    const { file: r, fd, opened } = this.#open.get(address)!;
    if (r.fields.pointer(this.#field.saveBase) !== 0) r.freeBackupArea();
    h.openFiles.close(fd);
    const buffer = r.fields.pointer(this.#field.bufBase);
    if (buffer !== 0 && !(r.flags & USER_BUF)) h.free(buffer);
    this.#open.delete(address);
    return this.#closed(address, opened);
  }

  /** The rest of fclose: the fields of a closed FILE, un-linked, freed. */
  #closed(address: number, opened: Opened): number {
    this.#clear(address);
    if (this.#h.profile.fcloseMarksNoClose) {
      opened.flags2 |= NOCLOSE;
      this.#writeFlags2(opened);
    }
    this.#h.free(address);
    return 0;
  }

  /**
   * The end of fclose of stdin, stdout or stderr, after its buffer was written and freed: the
   * fields of a closed FILE, un-linked — and not freed (`_IO_deallocate_file` keeps libc's own
   * three). Its `_chain` still points where it did.
   */
  closedStandard(address: number): void {
    this.#clear(address);
    if (!this.#h.profile.fcloseMarksNoClose) return;
    const at = address + this.#field.flags2, narrow = this.#h.profile.fileFlags2Narrow;
    const flags2 = this.#h.read32(at) & (narrow ? 0xffffff : 0xffffffff);
    this.#writeFlags2({ address, flags2: flags2 | NOCLOSE });
  }

  /** freopen of a standard FILE (`freopen.ts`): closed, un-linked unless `keepLinked`, reopened. */
  reopenedStandard(address: number, flags: number, fd: number, keepLinked: boolean): void {
    const h = this.#h, F = this.#field;
    this.#clear(address, !keepLinked); // then _IO_file_fopen's fields; linked at the head
    if (!this.#list.includes(address)) this.#link(address);
    h.mem.write32(address + F.flags, (flags | LINKED) >>> 0);
    h.mem.write32(address + F.fileno, fd);
    h.mem.write32(address + F.mode, 0);
  }

  /**
   * `_IO_new_file_close_it`'s last steps and `_IO_un_link`: the buffer, get and put pointers
   * cleared, the FILE out of the list, flagged closed, its descriptor -1, its offset unknown.
   */
  #clear(address: number, unlink = true): void {
    const h = this.#h;
    for (let at = this.#field.readPtr; at <= this.#field.bufEnd; at += h.ptrSize) {
      h.writePointer(address + at, 0);
    }
    if (unlink && this.#list.includes(address)) this.#unlink(address);
    h.mem.write32(address + this.#field.flags, (MAGIC | CLOSED_FILEBUF) >>> 0);
    h.mem.write32(address + this.#field.fileno, -1);
    this.#unknownOffset(address);
  }

  /** `_offset` (an `off64_t` on both ABIs): -1, not known. */
  #unknownOffset(address: number): void {
    const at = address + this.#field.offset;
    this.#h.mem.write32(at, 0xffffffff);
    this.#h.mem.write32(at + 4, 0xffffffff);
  }

  /** fseek/rewind on a FILE fopen made (`file_seek.ts`): the new offset, or -errno. */
  seek(address: number, offset: number, whence: number): number {
    const { file, fd } = this.#open.get(address)!;
    return seekFile(this.#seeker(fd), file, offset, whence);
  }

  /** ftell on a FILE fopen made (`file_seek.ts`): the offset, or -errno. */
  tell(address: number): number {
    const { file, fd } = this.#open.get(address)!;
    return tellFile(this.#seeker(fd), file);
  }

  /** What a seek on descriptor `fd` works with. */
  #seeker(fd: number): SeekHost {
    const h = this.#h;
    return {
      layout: this.#field,
      file: h.openFiles.file(fd)!,
      mem: h.machine.mem,
      refuse: (what) => h.reader.refuse(what),
    };
  }

  /** What `_IO_no_init`, `_IO_old_init`, the lock's init and `_IO_new_file_init_internal` write. */
  #initialize(opened: Opened, jumps: number, wideJumps: number): void {
    const h = this.#h, a = opened.address, p = h.profile, P = h.ptrSize;
    const locked = lockedFile(P);
    h.writePointer(a + this.#field.lock, a + locked.lock);
    h.mem.write32(a + this.#field.flags, (MAGIC | CLOSED_FILEBUF) >>> 0);
    for (let at = this.#field.readPtr; at <= this.#field.chain; at += P) h.writePointer(a + at, 0);
    h.mem.write8(a + this.#field.curColumn, 0);
    h.mem.write8(a + this.#field.curColumn + 1, 0);
    // `_vtable_offset`, after `_cur_column`: written only where libc keeps glibc 2.0's libio
    // (`_IO_JUMPS_OFFSET`: i386, not x86_64)
    if (P === 4) h.mem.write8(a + this.#field.curColumn + 2, 0);
    for (let at = 0; at < locked.lockSize; at += 4) h.mem.write32(a + locked.lock + at, 0);
    h.mem.write32(a + this.#field.mode, 0);
    h.writePointer(a + this.#field.wideData, a + locked.wide);
    for (let at = 0; at < 11 * P; at += P) h.writePointer(a + locked.wide + at, 0);
    h.writePointer(a + locked.wideVtable, wideJumps);
    h.writePointer(a + this.#field.freeresList, 0);
    if (p.fileTotalWritten) {
      h.mem.write32(a + this.#field.totalWritten, 0);
      h.mem.write32(a + this.#field.totalWritten + 4, 0);
    }
    h.writePointer(a + this.#field.vtable, jumps);
    this.#unknownOffset(a);
    h.mem.write32(a + this.#field.fileno, -1);
    this.#writeFlags2(opened);
  }

  /** `_flags2`: 32 bits, or 24 beside `_short_backupbuf` (2.41+). */
  #writeFlags2(opened: Opened): void {
    const h = this.#h, at = opened.address + this.#field.flags2;
    if (!h.profile.fileFlags2Narrow) return h.mem.write32(at, opened.flags2);
    for (let k = 0; k < 3; k++) h.mem.write8(at + k, (opened.flags2 >> (8 * k)) & 0xff);
  }

  /** `_IO_link_in`: the FILE at the head of `_IO_list_all`. */
  #link(address: number): void {
    const h = this.#h, head = this.#list[0], listAll = h.symbol("_IO_list_all")!;
    h.mem.write32(address + this.#field.flags, (MAGIC | CLOSED_FILEBUF | LINKED) >>> 0);
    h.writePointer(address + this.#field.chain, head);
    if (h.profile.filePrevChain) {
      h.writePointer(address + this.#field.prevchain, listAll);
      h.writePointer(head + this.#field.prevchain, address + this.#field.chain);
    }
    h.writePointer(listAll, address);
    this.#list.unshift(address);
  }

  /** `_IO_un_link`: the FILE out of the list (its own `_chain` is left as it was). */
  #unlink(address: number): void {
    const h = this.#h, list = this.#list, at = list.indexOf(address);
    const listAll = h.symbol("_IO_list_all")!, next = list[at + 1];
    const pointing = at === 0 ? listAll : list[at - 1] + this.#field.chain;
    h.mem.write32(address + this.#field.flags, (MAGIC | CLOSED_FILEBUF) >>> 0);
    h.writePointer(pointing, next);
    // (stdin, last, has no FILE after it)
    if (h.profile.filePrevChain && next !== undefined) {
      h.writePointer(next + this.#field.prevchain, pointing);
    }
    list.splice(at, 1);
  }
}
