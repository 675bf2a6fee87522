/**
 * glibc's FILE as it lies in memory: the offsets of `struct _IO_FILE`'s fields for the
 * program's ABI — the layout C programs see through `FILE` (`headers.ts`), with the vtable
 * pointer of `struct _IO_FILE_plus` right after it —, the offsets of its wide data (`struct
 * _IO_wide_data`) and the bits of `_flags` and `_flags2` (libio.h); and a FILE's fields by offset,
 * in memory or kept aside ({@link FileFields}). `output_file.ts`, `read_file.ts`, `std_files.ts`,
 * `fopen_files.ts` and `wfile_overflow.ts` read and write FILEs through it; {@link readFileFields}
 * reads every field of one for a view.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";
import { headerTags } from "./headers.ts";
import { type Abi, sizeOf } from "./types.ts";

/** Buffering modes (glibc `_IOFBF`, `_IOLBF`, `_IONBF`). */
export const IOFBF = 0, IOLBF = 1, IONBF = 2;

/** `_flags`: the magic number in the high half, the state bits in the low one. */
export const MAGIC = 0xfbad0000, USER_BUF = 0x1, UNBUFFERED = 0x2, NO_READS = 0x4;
export const NO_WRITES = 0x8, EOF_SEEN = 0x10, ERR_SEEN = 0x20, LINKED = 0x80;
/** `_IO_IN_BACKUP`: the get area is the backup area ungetc filled. */
export const IN_BACKUP = 0x100;
export const LINE_BUF = 0x200, TIED_PUT_GET = 0x400, CURRENTLY_PUTTING = 0x800;
export const IS_APPENDING = 0x1000, IS_FILEBUF = 0x2000, USER_LOCK = 0x8000;
/** `_flags2`: the wide buffer is not stdio's to free; the FILE is being closed (libio.h). */
export const FLAGS2_USER_WBUF = 0x8, FLAGS2_NOCLOSE = 0x20;
/** What a FILE closed or not yet opened has (`CLOSED_FILEBUF_FLAGS`). */
export const CLOSED_FILEBUF = IS_FILEBUF | NO_READS | NO_WRITES | TIED_PUT_GET;

/** Byte offsets of a FILE's fields. */
export interface FileLayout {
  readonly flags: number;
  readonly readPtr: number;
  readonly readEnd: number;
  readonly readBase: number;
  readonly writeBase: number;
  readonly writePtr: number;
  readonly writeEnd: number;
  readonly bufBase: number;
  readonly bufEnd: number;
  readonly saveBase: number;
  readonly backupBase: number;
  readonly saveEnd: number;
  readonly markers: number;
  readonly chain: number;
  readonly fileno: number;
  readonly flags2: number;
  readonly oldOffset: number;
  readonly curColumn: number;
  readonly shortbuf: number;
  readonly lock: number;
  readonly offset: number;
  readonly codecvt: number;
  readonly wideData: number;
  readonly freeresList: number;
  readonly freeresBuf: number;
  /** `__pad5`, `_prevchain` from 2.40. */
  readonly prevchain: number;
  readonly mode: number;
  /** `_total_written` (2.42+), in what was `_unused2`. */
  readonly totalWritten: number;
  /** The vtable pointer of `struct _IO_FILE_plus`, after the FILE. */
  readonly vtable: number;
  /** sizeof (struct _IO_FILE_plus). */
  readonly plusSize: number;
}

const layouts = new Map<string, FileLayout>();

/** The FILE's layout for `abi`. */
export function fileLayout(abi: Abi): FileLayout {
  const have = layouts.get(abi.arch);
  if (have) return have;
  const file = headerTags(abi).get("_IO_FILE")!, P = abi.ptrSize;
  const at = (name: string) => file.fields!.find((f) => f.name === name)!.offset;
  const layout: FileLayout = {
    flags: at("_flags"),
    readPtr: at("_IO_read_ptr"),
    readEnd: at("_IO_read_end"),
    readBase: at("_IO_read_base"),
    writeBase: at("_IO_write_base"),
    writePtr: at("_IO_write_ptr"),
    writeEnd: at("_IO_write_end"),
    bufBase: at("_IO_buf_base"),
    bufEnd: at("_IO_buf_end"),
    saveBase: at("_IO_save_base"),
    backupBase: at("_IO_backup_base"),
    saveEnd: at("_IO_save_end"),
    markers: at("_markers"),
    chain: at("_chain"),
    fileno: at("_fileno"),
    flags2: at("_flags2"),
    oldOffset: at("_old_offset"),
    curColumn: at("_cur_column"),
    shortbuf: at("_shortbuf"),
    lock: at("_lock"),
    offset: at("_offset"),
    codecvt: at("_codecvt"),
    wideData: at("_wide_data"),
    freeresList: at("_freeres_list"),
    freeresBuf: at("_freeres_buf"),
    prevchain: at("__pad5"),
    mode: at("_mode"),
    // a 64-bit count: on x86_64 after _mode and an int of padding, on i386 right after _mode
    totalWritten: at("_mode") + (P === 8 ? 8 : 4),
    vtable: file.size,
    plusSize: file.size + P,
  };
  layouts.set(abi.arch, layout);
  return layout;
}

/**
 * A FILE's flags, the pointers of its get and put areas and of its buffer (addresses; 0: none)
 * and its orientation (`_mode`), as glibc keeps them.
 */
export interface FileState {
  flags: number;
  readBase: number;
  readPtr: number;
  readEnd: number;
  writeBase: number;
  writePtr: number;
  writeEnd: number;
  bufBase: number;
  bufEnd: number;
  mode: number;
}

/**
 * The fields of {@link FileState}, each once, in the order `std_files.ts` keeps their words
 * (`_flags` first and `_mode` last: the two 4-byte ones).
 */
export const FILE_STATE_FIELDS = [
  "flags",
  "readPtr",
  "readEnd",
  "readBase",
  "writeBase",
  "writePtr",
  "writeEnd",
  "bufBase",
  "bufEnd",
  "mode",
] as const satisfies readonly (keyof FileState)[];

/** What reads and writes a FILE's fields in memory. */
export interface FileMemory {
  read32(address: number): number;
  readPointer(address: number): number;
  write32(address: number, value: number): void;
  writePointer(address: number, value: number): void;
}

/** The fields of the FILE at `address` that stdio's fileops work on, as memory holds them. */
export function readFileState(m: FileMemory, F: FileLayout, address: number): FileState {
  const pointer = (at: number) => m.readPointer(address + at);
  return {
    flags: m.read32(address + F.flags),
    readPtr: pointer(F.readPtr),
    readEnd: pointer(F.readEnd),
    readBase: pointer(F.readBase),
    writeBase: pointer(F.writeBase),
    writePtr: pointer(F.writePtr),
    writeEnd: pointer(F.writeEnd),
    bufBase: pointer(F.bufBase),
    bufEnd: pointer(F.bufEnd),
    mode: m.read32(address + F.mode) | 0,
  };
}

/** Writes those fields back to the FILE at `address`. */
export function writeFileState(m: FileMemory, F: FileLayout, address: number, f: FileState): void {
  m.write32(address + F.flags, f.flags >>> 0);
  const pointers: [number, number][] = [
    [F.readPtr, f.readPtr],
    [F.readEnd, f.readEnd],
    [F.readBase, f.readBase],
    [F.writeBase, f.writeBase],
    [F.writePtr, f.writePtr],
    [F.writeEnd, f.writeEnd],
    [F.bufBase, f.bufBase],
    [F.bufEnd, f.bufEnd],
  ];
  for (const [at, value] of pointers) m.writePointer(address + at, value);
  m.write32(address + F.mode, f.mode);
}

/**
 * Byte offsets of the fields of `struct _IO_wide_data` that stdio's wide operations use: eleven
 * `wchar_t *` in the order of a FILE's (read, write, buffer, backup), then, past the conversion
 * state, its one-`wchar_t` `_shortbuf` and its `_wide_vtable` (`ptype /o` of the real builds'
 * debug information: the vtable at 224 on x86_64, 136 on i386, at 2.31 and 2.44 alike).
 */
export interface WideLayout {
  readonly readPtr: number;
  readonly readEnd: number;
  readonly readBase: number;
  readonly writeBase: number;
  readonly writePtr: number;
  readonly writeEnd: number;
  readonly bufBase: number;
  readonly bufEnd: number;
  readonly saveBase: number;
  readonly backupBase: number;
  readonly saveEnd: number;
  readonly shortbuf: number;
  readonly vtable: number;
}

/** The wide data's layout for pointers of `ptrSize` bytes. */
export function wideLayout(ptrSize: number): WideLayout {
  const P = ptrSize, vtable = P === 8 ? 0xe0 : 0x88;
  return {
    readPtr: 0,
    readEnd: P,
    readBase: 2 * P,
    writeBase: 3 * P,
    writePtr: 4 * P,
    writeEnd: 5 * P,
    bufBase: 6 * P,
    bufEnd: 7 * P,
    saveBase: 8 * P,
    backupBase: 9 * P,
    saveEnd: 10 * P,
    // a wchar_t right after the conversion data, which ends pointer-aligned
    shortbuf: vtable - P,
    vtable,
  };
}

/** A FILE's fields by their offset (`FileLayout`): in memory, or kept aside. */
export interface FileFields {
  word(at: number): number;
  setWord(at: number, value: number): void;
  pointer(at: number): number;
  setPointer(at: number, value: number): void;
}

/** The fields of the FILE at `address` in the program's memory. */
export function fieldsInMemory(
  m: { mem: Memory; readPointer(a: number): number; writePointer(a: number, v: number): void },
  address: number,
): FileFields {
  const mem = m.mem;
  return {
    word: (at) => mem.read32(address + at),
    setWord: (at, value) => mem.write32(address + at, value >>> 0),
    pointer: (at) => m.readPointer(address + at),
    setPointer: (at, value) => m.writePointer(address + at, value),
  };
}

/**
 * The fields of stdin's FILE where libc's data is not the build's (a layout's packed libc, which
 * has other data where the FILE would be): kept here, as glibc lays stdin out at start.
 */
export function fieldsAside(layout: FileLayout): FileFields {
  const values = new Map<number, number>([
    [layout.flags, (MAGIC | LINKED | NO_WRITES | IS_FILEBUF) >>> 0],
    [layout.offset, 0xffffffff], // _IO_pos_BAD
    [layout.offset + 4, 0xffffffff],
  ]);
  return {
    word: (at) => values.get(at) ?? 0,
    setWord: (at, value) => void values.set(at, value >>> 0),
    pointer: (at) => values.get(at) ?? 0,
    setPointer: (at, value) => void values.set(at, value),
  };
}

/**
 * The fields of stdout's or stderr's FILE where libc's data is not the build's: those heaplab
 * keeps of it (`state`: the flags, the get, put and buffer pointers, `_mode`) read and written
 * there, `_fileno` the standard descriptor `fileno`, any other kept aside (0 at first).
 */
export function fieldsKept(
  layout: FileLayout,
  state: () => FileState,
  fileno: number,
): FileFields {
  const kept = new Map<number, keyof FileState>(
    FILE_STATE_FIELDS.map((name) => [layout[name], name]),
  );
  const aside = new Map<number, number>([[layout.fileno, fileno]]);
  const get = (at: number) => {
    const name = kept.get(at);
    return name === undefined ? aside.get(at) ?? 0 : state()[name];
  };
  const set = (at: number, value: number) => {
    const name = kept.get(at);
    if (name === undefined) aside.set(at, value);
    else state()[name] = name === "mode" ? value | 0 : value;
  };
  return {
    word: (at) => get(at) >>> 0,
    setWord: (at, value) => set(at, at === layout.mode ? value : value >>> 0),
    pointer: get,
    setPointer: set,
  };
}

/** glibc's names of `_flags`' state bits (libio.h), lowest first. */
const FLAG_NAMES: readonly [number, string][] = [
  [USER_BUF, "_IO_USER_BUF"],
  [UNBUFFERED, "_IO_UNBUFFERED"],
  [NO_READS, "_IO_NO_READS"],
  [NO_WRITES, "_IO_NO_WRITES"],
  [EOF_SEEN, "_IO_EOF_SEEN"],
  [ERR_SEEN, "_IO_ERR_SEEN"],
  [0x40, "_IO_DELETE_DONT_CLOSE"],
  [LINKED, "_IO_LINKED"],
  [IN_BACKUP, "_IO_IN_BACKUP"],
  [LINE_BUF, "_IO_LINE_BUF"],
  [TIED_PUT_GET, "_IO_TIED_PUT_GET"],
  [CURRENTLY_PUTTING, "_IO_CURRENTLY_PUTTING"],
  [IS_APPENDING, "_IO_IS_APPENDING"],
  [IS_FILEBUF, "_IO_IS_FILEBUF"],
  [0x4000, "_IO_BAD_SEEN"],
  [USER_LOCK, "_IO_USER_LOCK"],
];

/**
 * A FILE's `_flags` by glibc's names: `_IO_MAGIC` when the high half is 0xfbad (else that half
 * in hex: a forged FILE's flags need not have it), then the state bits set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileFlagNames } from "./file_layout.ts";
 * assert.deepEqual(fileFlagNames(0xfbad1800), [
 *   "_IO_MAGIC",
 *   "_IO_CURRENTLY_PUTTING",
 *   "_IO_IS_APPENDING",
 * ]);
 * ```
 */
export function fileFlagNames(flags: number): string[] {
  const high = Math.floor((flags >>> 0) / 0x10000);
  const names = [high === MAGIC / 0x10000 ? "_IO_MAGIC" : `0x${high.toString(16)}0000`];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names;
}

/** A FILE as memory holds it: where it is and every field ({@link readFileFields}). */
export interface FileInfo {
  /** The FILE's address. */
  readonly address: number;
  /** Its fields, by offset, the vtable pointer last. */
  readonly fields: readonly FileFieldInfo[];
}

/** One field of a FILE as memory holds it ({@link readFileFields}). */
export interface FileFieldInfo {
  /** glibc's name (`_IO_write_base`); `vtable` for `struct _IO_FILE_plus`'s pointer. */
  readonly field: string;
  /** Byte offset in the FILE. */
  readonly offset: number;
  /** Bytes. */
  readonly size: number;
  /** A pointer (else an integer or bytes). */
  readonly pointer: boolean;
  /** The bytes as an unsigned little-endian number; undefined where memory is unreadable. */
  readonly value: bigint | undefined;
  /** Of `_flags`: its bits by name ({@link fileFlagNames}), joined with " | ". */
  readonly meaning?: string;
}

/**
 * Every field of the FILE at `address` (`struct _IO_FILE_plus`: `struct _IO_FILE`'s fields for
 * the program's ABI, then the vtable pointer), read from memory now: what a program or an
 * exploit has written into it shows as it is.
 *
 * @param mem The process's memory.
 * @param abi The program's ABI.
 * @param address The FILE.
 * @returns The fields, by offset.
 */
export function readFileFields(mem: Memory, abi: Abi, address: number): FileFieldInfo[] {
  const file = headerTags(abi).get("_IO_FILE")!;
  const fields = file.fields!.map((f) => ({
    field: f.name,
    offset: f.offset,
    size: sizeOf(f.type, abi),
    pointer: f.type.k === "ptr",
  }));
  fields.push({ field: "vtable", offset: file.size!, size: abi.ptrSize, pointer: true });
  return fields.map(({ field, offset, size, pointer }) => {
    let value: bigint | undefined;
    try {
      const bytes = mem.readBytes(address + offset, size);
      value = bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
    } catch {
      value = undefined;
    }
    const meaning = field === "_flags" && value !== undefined
      ? fileFlagNames(Number(value)).join(" | ")
      : undefined;
    return meaning === undefined
      ? { field, offset, size, pointer, value }
      : { field, offset, size, pointer, value, meaning };
  });
}
