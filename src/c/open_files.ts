/**
 * Files a C program can open: read-only regular files given by `runC`'s `files` option (a flag
 * file, a config), each opened on the lowest free descriptor from 3 up, with an offset that
 * read(2) moves and lseek(2) sets, as Linux keeps them. Paths are resolved as the program's
 * working directory would have them: `flag.txt`, `./flag.txt` and `dir/../flag.txt` name the
 * same file; an absolute path names the key written the same way.
 *
 * Not modelled, and refused with a `CUnsupportedError` where a program asks for it: opening for
 * writing or creating, and closing descriptors 0 to 2. fopen's FILEs read these files through
 * their descriptors: `fopen_files.ts`.
 * Checked against real runs: tests/fixtures/c/descriptors/ (open_files.c).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";

const { ENOENT, EBADF, EINVAL } = Errno;

/** open(2)'s access mode bits (O_ACCMODE) and the flags that create or change a file. */
const ACCESS_MODE = 3, WRITING_FLAGS = 0o100 | 0o1000 | 0o2000; // O_CREAT, O_TRUNC, O_APPEND

/** A file opened by the program. */
export interface OpenFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Where the next read starts. */
  offset: number;
}

/** `path` with `.` and `..` resolved and repeated slashes folded (relative stays relative). */
function normalPath(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!absolute) parts.push("..");
    } else parts.push(part);
  }
  return (absolute ? "/" : "") + parts.join("/");
}

/** The program's files and the descriptors open on them. */
export class OpenFiles {
  readonly #contents = new Map<string, Uint8Array>();
  readonly #open = new Map<number, OpenFile>();

  /** `files`: path → contents (a string's characters are bytes). */
  constructor(files: Readonly<Record<string, string | Uint8Array>> = {}) {
    for (const [path, contents] of Object.entries(files)) {
      const bytes = typeof contents === "string"
        ? Uint8Array.from(contents, (c) => c.charCodeAt(0))
        : contents;
      this.#contents.set(normalPath(path), bytes);
    }
  }

  /**
   * open(path, flags): the new descriptor, -ENOENT for a path that names no file, or
   * "writing" when the flags would write or create (the caller refuses it).
   */
  open(path: string, flags: number): number | "writing" {
    if ((flags & ACCESS_MODE) !== 0 || (flags & WRITING_FLAGS) !== 0) return "writing";
    const bytes = this.#contents.get(normalPath(path));
    if (bytes === undefined) return -ENOENT;
    let fd = 3;
    while (this.#open.has(fd)) fd++;
    this.#open.set(fd, { path, bytes, offset: 0 });
    return fd;
  }

  /** The file open on `fd`, if any. */
  file(fd: number): OpenFile | undefined {
    return this.#open.get(fd);
  }

  /** close(fd) of a file: 0, or -EBADF when `fd` is not open on one. */
  close(fd: number): number {
    return this.#open.delete(fd) ? 0 : -EBADF;
  }

  /** lseek(fd, offset, whence) on a file: the new offset, or -EINVAL / -EBADF. */
  seek(fd: number, offset: number, whence: number): number {
    const file = this.#open.get(fd);
    if (file === undefined) return -EBADF;
    const from = whence === 0
      ? 0
      : whence === 1
      ? file.offset
      : whence === 2
      ? file.bytes.length
      : NaN;
    const at = from + offset;
    if (!(at >= 0)) return -EINVAL;
    file.offset = at;
    return at;
  }
}
