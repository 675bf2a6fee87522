/**
 * stdin's, stdout's and stderr's FILEs as the library's data holds them when a program starts
 * (glibc's stdfiles.c): `_IO_2_1_stdin_`, `_IO_2_1_stdout_` and `_IO_2_1_stderr_` at their
 * addresses in libc, each with its flags (reading only, writing only, writing unbuffered), its
 * descriptor, its lock and wide-character data (`_IO_stdfile_N_lock`, `_IO_wide_data_N`), the
 * vtable `_IO_file_jumps`, unknown offsets (`_IO_pos_BAD`), and the list `_IO_list_all` →
 * stderr → stdout → stdin (from 2.40 each also points back at what points at it,
 * `_prevchain`). Checked against real runs: tests/fixtures/c/descriptors/ (std_files.c, every
 * word of the three FILEs before the program's first output, on five builds; i386 follows by
 * construction).
 *
 * @module
 */

import type { GlibcProfile } from "../malloc/profile.ts";
import {
  type FileLayout,
  IS_FILEBUF,
  LINKED,
  MAGIC,
  NO_READS,
  NO_WRITES,
  UNBUFFERED,
} from "./file_layout.ts";

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
