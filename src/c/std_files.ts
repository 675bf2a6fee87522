/**
 * stdin's, stdout's and stderr's FILEs as the library's data holds them when a program starts
 * (glibc's stdfiles.c): `_IO_2_1_stdin_`, `_IO_2_1_stdout_` and `_IO_2_1_stderr_` at their
 * addresses in libc, each with its flags (reading only, writing only, writing unbuffered), its
 * descriptor, its lock and wide-character data (`_IO_stdfile_N_lock`, `_IO_wide_data_N`), the
 * vtable `_IO_file_jumps`, unknown offsets (`_IO_pos_BAD`), and the list `_IO_list_all` →
 * stderr → stdout → stdin (from 2.40 each also points back at what points at it,
 * `_prevchain`). Then, after each stdio call, stdout's and stdin's fields as glibc leaves them
 * (`StandardFiles.settle`, from the state `stdio.ts` and `stdin.ts` keep): flags, the get and
 * put areas' pointers over the buffer (or the FILE's own byte, `_shortbuf`, when unbuffered),
 * `_mode`. Checked against real runs: tests/fixtures/c/descriptors/ (std_files.c, every word of
 * the three FILEs before the program's first output; stdio_state.c, stdout's and stdin's fields
 * after each kind of output, input and setvbuf; five builds; i386 follows by construction).
 * Not written: stdin's pointers while it reads ungetc's backup area, and stderr's fields after
 * its first output.
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import { stdoutBufferSize } from "../malloc/stdio.ts";
import {
  EOF_SEEN,
  ERR_SEEN,
  type FileLayout,
  IS_FILEBUF,
  LINE_BUF,
  LINKED,
  MAGIC,
  NO_READS,
  NO_WRITES,
  UNBUFFERED,
  USER_BUF,
} from "./file_layout.ts";
import { IOLBF, IONBF, type Streams } from "./stdio.ts";

/** Where the FILEs are written. */
export interface StdFilesHost {
  write32(address: number, value: number): void;
  writePointer(address: number, value: number): void;
  /** Where a libc symbol is (undefined: the build has none). */
  symbol(name: string): number | undefined;
  readonly layout: FileLayout;
  readonly profile: GlibcProfile;
  /** sizeof (void *). */
  readonly ptrSize: number;
}

/** Each FILE's flags besides the magic number, `_IO_LINKED` and `_IO_IS_FILEBUF`. */
const OWN_FLAGS = [NO_WRITES, NO_READS, NO_READS | UNBUFFERED];

/** Lays the three FILEs and `_IO_list_all` out in libc's memory; false when the build lacks one. */
export function writeStandardFiles(h: StdFilesHost): boolean {
  const names = ["_IO_2_1_stdin_", "_IO_2_1_stdout_", "_IO_2_1_stderr_", "_IO_list_all"];
  for (let fd = 0; fd < 3; fd++) names.push(`_IO_stdfile_${fd}_lock`, `_IO_wide_data_${fd}`);
  names.push("_IO_file_jumps", "_IO_wfile_jumps");
  const at = new Map(names.map((name) => [name, h.symbol(name)]));
  if ([...at.values()].some((address) => address === undefined)) return false;
  const F = h.layout, P = h.ptrSize, address = (name: string) => at.get(name)!;
  const files = ["_IO_2_1_stdin_", "_IO_2_1_stdout_", "_IO_2_1_stderr_"].map(address);
  const listAll = address("_IO_list_all");
  for (let fd = 0; fd < 3; fd++) {
    const file = files[fd];
    h.write32(file + F.flags, (MAGIC | LINKED | IS_FILEBUF | OWN_FLAGS[fd]) >>> 0);
    h.writePointer(file + F.chain, fd === 0 ? 0 : files[fd - 1]);
    h.write32(file + F.fileno, fd);
    h.writePointer(file + F.oldOffset, -1);
    h.writePointer(file + F.lock, address(`_IO_stdfile_${fd}_lock`));
    h.writePointer(file + F.offset, -1);
    if (P === 4) h.writePointer(file + F.offset + 4, -1); // a 64-bit offset
    h.writePointer(file + F.wideData, address(`_IO_wide_data_${fd}`));
    if (h.profile.filePrevChain) {
      h.writePointer(file + F.prevchain, fd === 2 ? listAll : files[fd + 1] + F.chain);
    }
    h.writePointer(file + F.vtable, address("_IO_file_jumps"));
    // struct _IO_wide_data: its vtable after 11 pointers, two mbstate_t, the conversion data
    h.writePointer(address(`_IO_wide_data_${fd}`) + WIDE_VTABLE[P], address("_IO_wfile_jumps"));
  }
  h.writePointer(listAll, files[2]);
  return true;
}

/**
 * Where `struct _IO_wide_data` keeps its vtable pointer, by pointer size (`ptype /o` of the
 * real builds' debug information: 224 on x86_64, 136 on i386, at 2.31 and 2.44 alike).
 */
const WIDE_VTABLE: Record<number, number> = { 8: 0xe0, 4: 0x88 };

/** What {@link StandardFiles} writes from. */
export interface StandardFilesHost {
  write32(address: number, value: number): void;
  writePointer(address: number, value: number): void;
  read32(address: number): number;
  readPointer(address: number): number;
  readonly layout: FileLayout;
  readonly streams: Streams;
  /** FILE* values of stdin and stdout. */
  readonly files: { readonly stdin: number; readonly stdout: number };
}

/** stdout's and stdin's FILEs kept as glibc keeps them, written when a call changed them. */
export class StandardFiles {
  readonly #h: StandardFilesHost;
  /** The value last written at each address. */
  readonly #written = new Map<number, number>();

  constructor(h: StandardFilesHost) {
    this.#h = h;
  }

  /** Writes the fields the last stdio call changed. */
  settle(): void {
    this.#stdout();
    this.#stdin();
  }

  #set(address: number, value: number, size: 4 | 8): void {
    if (size === 4) value = value >>> 0;
    if (this.#written.get(address) === value) return;
    this.#written.set(address, value);
    if (size === 4) this.#h.write32(address, value);
    else this.#h.writePointer(address, value);
  }

  /** The get and put areas over `base` (0: none) and `size` bytes; `read`/`end` the get area's. */
  #areas(file: number, base: number, size: number, read: number, end: number, put: number[]) {
    const F = this.#h.layout;
    const at = base === 0 ? [0, 0, 0, 0, 0, 0, 0, 0] : [
      base,
      base + read,
      base + end,
      base + put[0],
      base + put[1],
      base + put[2],
      base,
      base + size,
    ];
    const fields = [
      F.readBase,
      F.readPtr,
      F.readEnd,
      F.writeBase,
      F.writePtr,
      F.writeEnd,
      F.bufBase,
      F.bufEnd,
    ];
    for (let k = 0; k < 8; k++) this.#set(file + fields[k], at[k], 8);
  }

  /** Takes stdout's fields from memory, where the program may have changed them. */
  load(): void {
    const h = this.#h, F = h.layout, f = h.streams.stdout, file = h.files.stdout;
    const get = (at: number, size: 4 | 8) => {
      const value = size === 4 ? h.read32(file + at) : h.readPointer(file + at);
      this.#written.set(file + at, value);
      return value;
    };
    f.flags = get(F.flags, 4);
    f.readPtr = get(F.readPtr, 8);
    f.readEnd = get(F.readEnd, 8);
    f.readBase = get(F.readBase, 8);
    f.writeBase = get(F.writeBase, 8);
    f.writePtr = get(F.writePtr, 8);
    f.writeEnd = get(F.writeEnd, 8);
    f.bufBase = get(F.bufBase, 8);
    f.bufEnd = get(F.bufEnd, 8);
    f.mode = get(F.mode, 4) | 0;
  }

  #stdout(): void {
    const h = this.#h, F = h.layout, f = h.streams.stdout, file = h.files.stdout;
    this.#set(file + F.flags, f.flags >>> 0, 4);
    this.#set(file + F.readPtr, f.readPtr, 8);
    this.#set(file + F.readEnd, f.readEnd, 8);
    this.#set(file + F.readBase, f.readBase, 8);
    this.#set(file + F.writeBase, f.writeBase, 8);
    this.#set(file + F.writePtr, f.writePtr, 8);
    this.#set(file + F.writeEnd, f.writeEnd, 8);
    this.#set(file + F.bufBase, f.bufBase, 8);
    this.#set(file + F.bufEnd, f.bufEnd, 8);
    this.#set(file + F.mode, f.mode, 4);
  }

  #stdin(): void {
    const h = this.#h, F = h.layout, r = h.streams.stdin, file = h.files.stdin;
    const unbuffered = r.mode === IONBF;
    let flags = MAGIC | IS_FILEBUF | LINKED | NO_WRITES;
    if (r.eof) flags |= EOF_SEEN;
    if (r.error) flags |= ERR_SEEN;
    if (unbuffered) flags |= UNBUFFERED | USER_BUF;
    else if (r.modeChosen && r.buffer !== 0) flags |= USER_BUF;
    const tty = h.streams.kind === "tty";
    if (r.mode === IOLBF && (r.modeChosen || (tty && r.buffered))) flags |= LINE_BUF;
    this.#set(file + F.flags, flags >>> 0, 4);
    if (!r.inBackup) {
      const hasArea = unbuffered ? r.modeChosen || r.buffered : r.buffered;
      const base = !hasArea ? 0 : unbuffered ? file + F.shortbuf : r.buffer;
      const size = unbuffered ? 1 : r.bufferSize || stdoutBufferSize(h.streams.kind);
      const read = r.consumed.length;
      this.#areas(file, base, size, read, read + r.unread.length, [0, 0, 0]);
    }
    this.#set(file + F.mode, r.oriented ? -1 : 0, 4);
  }
}
