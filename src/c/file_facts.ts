/**
 * What a file is to stat(2) and to a reader that is not a store of bytes: the facts stat reports
 * of a file heaplab keeps, and the interfaces between the descriptor table (`open_files.ts`) and
 * a file system whose files the kernel makes at each read (the /proc files, `proc_maps.ts`).
 *
 * @module
 */

/** What stat(2) reports of a regular file heaplab keeps (see `file_status.ts`). */
export interface FileFacts {
  /** A /proc file: procfs' device and inode, its st_blksize {@link PROC_BLOCK_SIZE}, no blocks. */
  readonly procfs?: boolean;
  /** The file's number among the run's files, from 1 (the base of its inode number). */
  readonly serial: number;
  /** Permission bits (undefined: made by open(O_CREAT) without a mode argument). */
  readonly permissions: number | undefined;
  /** Links to it: 1, or 0 once unlinked. */
  readonly links: number;
  readonly size: number;
  /** A hole was left in it. */
  readonly sparse: boolean;
}

/** st_blksize of a /proc file (procfs leaves the inode's i_blkbits at 10): stdio's buffer size. */
export const PROC_BLOCK_SIZE = 1024;

/**
 * A file whose text the kernel makes at each read (a /proc file, `proc_maps.ts`), behind an
 * {@link OpenFile}: its offset is the file's, its reads and seeks are the generator's.
 */
export interface GeneratedFile {
  /**
   * read(2) of up to `count` bytes at file offset `at`; `store(bytes, done)` copies bytes to
   * the program's buffer `done` bytes in and returns how many it could (fewer at a fault). The
   * count read, or -errno.
   */
  read(at: number, count: number, store: (bytes: Uint8Array, done: number) => number): number;
  /** lseek(2) from file offset `at`: the new offset, or -errno. */
  seek(at: number, offset: number, whence: number): number;
  /** What fstat(2) reports. */
  readonly facts: FileFacts;
}

/** A path heaplab does not model where Linux has a file: what it is, for the caller's refusal. */
export interface Unmodelled {
  readonly unmodelled: string;
}

/**
 * The /proc file system as far as heaplab models it (`proc_maps.ts`), given each path under
 * /proc (normalized, absolute) and whether a slash followed it.
 */
export interface ProcFileSystem {
  /** open(2): the file, or -errno, or a refusal. */
  open(name: string, flags: number, trailingSlash: boolean): GeneratedFile | number | Unmodelled;
  /** stat(2): the file's facts, or -errno, or a refusal. */
  status(name: string, trailingSlash: boolean): FileFacts | number | Unmodelled;
  /** unlink(2): -errno, or a refusal. */
  unlink(name: string): number | Unmodelled;
}

/** Whether the (normalized) `name` is under /proc. */
export function underProc(name: string): boolean {
  return name === "/proc" || name.startsWith("/proc/");
}
