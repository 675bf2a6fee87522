/**
 * stdin's, stdout's and stderr's FILEs as the library's data holds them when a program starts
 * (glibc's stdfiles.c): `_IO_2_1_stdin_`, `_IO_2_1_stdout_` and `_IO_2_1_stderr_` at their
 * addresses in libc, each with its flags (reading only, writing only, writing unbuffered), its
 * descriptor, its lock and wide-character data (`_IO_stdfile_N_lock`, `_IO_wide_data_N`), the
 * vtable `_IO_file_jumps`, unknown offsets (`_IO_pos_BAD`), and the list `_IO_list_all` →
 * stderr → stdout → stdin (from 2.40 each also points back at what points at it,
 * `_prevchain`). Then, around each stdio call ({@link StandardFiles}): stdout's and stderr's
 * fields — flags, the get, put and buffer pointers, `_mode` — are their state, read from memory
 * when the call first uses them (a program may have written them) and written back after it
 * (`output_file.ts` runs glibc's fileops on them); stdin's are read and written in place by each
 * read (`read_file.ts`). Checked against real runs: tests/fixtures/c/descriptors/ (std_files.c,
 * every word of the three FILEs before the first output; stdio_state.c, unbuffered_state.c and
 * stderr_state.c, the FILEs after each kind of output, input and setvbuf; stdout_leak.c, a
 * program's writes into stdout's FILE; five builds) and, on i386, tests/fixtures/c/descriptors_i386/
 * (std_files.c and std_fclose.c run on real i386 glibc under qemu-i386).
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import {
  FILE_STATE_FIELDS,
  type FileLayout,
  type FileMemory,
  type FileState,
  IS_FILEBUF,
  LINKED,
  MAGIC,
  NO_READS,
  NO_WRITES,
  UNBUFFERED,
  wideLayout,
} from "./file_layout.ts";
import type { Streams } from "./stdio.ts";

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
    h.writePointer(
      address(`_IO_wide_data_${fd}`) + wideLayout(P).vtable,
      address("_IO_wfile_jumps"),
    );
  }
  h.writePointer(listAll, files[2]);
  return true;
}

/** What {@link StandardFiles} writes from. */
export interface StandardFilesHost extends FileMemory {
  readonly layout: FileLayout;
  readonly streams: Streams;
  /** FILE* values of stdin, stdout and stderr. */
  readonly files: { readonly stdin: number; readonly stdout: number; readonly stderr: number };
}

/** The fields {@link StandardFiles} keeps, in this order; `_flags` and `_mode` are 4 bytes. */
const KEPT = FILE_STATE_FIELDS;
const FLAGS = 0, MODE = 9;

/** stdout's and stderr's FILEs kept as glibc keeps them, written when a call changed them. */
export class StandardFiles {
  readonly #h: StandardFilesHost;
  /** Each kept field's offset in a FILE, in {@link KEPT}'s order. */
  readonly #offsets: number[];
  /** What each FILE's fields held when last read or written (stdout's, stderr's). */
  readonly #known = [0, 1].map(() => new Float64Array(KEPT.length).fill(NaN));
  /** stdout's and stderr's fields were read from memory in this call (else it did not use them). */
  readonly #read = [true, true];
  /** A FILE's fields as the last call left them (scratch). */
  readonly #values = new Float64Array(KEPT.length);
  /** The readers {@link load} hands stdout and stderr. */
  readonly #readers: ((f: FileState) => void)[];

  constructor(h: StandardFilesHost) {
    this.#h = h;
    this.#offsets = KEPT.map((name) => h.layout[name]);
    this.#readers = [0, 1].map((k) => (f: FileState) => this.#readFields(k, f));
  }

  /**
   * Has stdout's and stderr's fields taken from memory, where the program may have changed them,
   * when the call about to run first uses them.
   */
  load(): void {
    this.#read[0] = this.#read[1] = false;
    this.#h.streams.refreshStdout(this.#readers[0]);
    this.#h.streams.refreshStderr(this.#readers[1]);
  }

  /** Writes the fields the last stdio call changed. */
  settle(): void {
    const h = this.#h;
    if (this.#read[0]) this.#writeFields(0, h.streams.stdout, h.files.stdout);
    if (this.#read[1]) this.#writeFields(1, h.streams.stderr, h.files.stderr);
  }

  /** Writing FILE `k`'s (0 stdout, 1 stderr) fields from memory, into `f`. */
  #readFields(k: number, f: FileState): void {
    const h = this.#h, file = k === 0 ? h.files.stdout : h.files.stderr;
    const known = this.#known[k];
    for (let i = 0; i < KEPT.length; i++) {
      const at = file + this.#offsets[i];
      known[i] = i === FLAGS || i === MODE ? h.read32(at) : h.readPointer(at);
    }
    f.flags = known[FLAGS];
    f.readPtr = known[1];
    f.readEnd = known[2];
    f.readBase = known[3];
    f.writeBase = known[4];
    f.writePtr = known[5];
    f.writeEnd = known[6];
    f.bufBase = known[7];
    f.bufEnd = known[8];
    f.mode = known[MODE] | 0;
    this.#read[k] = true;
  }

  #writeFields(which: number, f: FileState, file: number): void {
    const v = this.#values;
    v[FLAGS] = f.flags;
    v[1] = f.readPtr;
    v[2] = f.readEnd;
    v[3] = f.readBase;
    v[4] = f.writeBase;
    v[5] = f.writePtr;
    v[6] = f.writeEnd;
    v[7] = f.bufBase;
    v[8] = f.bufEnd;
    v[MODE] = f.mode;
    this.#write(which, file, v);
  }

  /** Writes the fields of FILE `which` (0 stdout, 1 stderr) that differ from memory's. */
  #write(which: number, file: number, values: Float64Array): void {
    const h = this.#h, known = this.#known[which];
    for (let k = 0; k < KEPT.length; k++) {
      const value = k === FLAGS || k === MODE ? values[k] >>> 0 : values[k];
      if (known[k] === value) continue;
      known[k] = value;
      if (k === FLAGS || k === MODE) h.write32(file + this.#offsets[k], value);
      else h.writePointer(file + this.#offsets[k], value);
    }
  }
}
