/**
 * The program's descriptor table and the files it can open: the regular files given by `runC`'s
 * `files` option (a flag file, a config) and those it creates. Descriptors 0, 1 and 2 start on
 * what the run gives (stdin, stdout, stderr: `descriptors.ts` answers for them) until the
 * program closes one (close(2), or fclose of stdin, stdout or stderr: `std_fclose.ts`); each
 * open takes the lowest free descriptor, as Linux gives them — 2 after `fclose(stderr)` — and
 * what goes through that descriptor from then on is the file's: `write(2, …)`, a FILE whose
 * `_fileno` it is (stdout's after `close(1)`), glibc's own messages on 2. A file is opened for
 * reading, writing or both, with an offset that read(2) and write(2) move and lseek(2) sets, as
 * Linux keeps them: O_CREAT makes a missing file (in the working directory, or a directory another
 * file is in), O_EXCL refuses an existing one (EEXIST), O_TRUNC empties it, O_APPEND writes at
 * its end; a write past the end grows it; unlink(2) removes a name, and what is open on it stays
 * readable. Paths are resolved as the program's working directory would have them: `flag.txt`,
 * `./flag.txt` and `dir/../flag.txt` name the same file; an absolute path names the key written
 * the same way. A directory no given file is in is taken not to exist (ENOENT). fopen's FILEs
 * read and write these files through their descriptors: `fopen_files.ts`.
 *
 * dup(2), dup2(2) and dup3(2) give a second descriptor on the same open file description: a
 * file's (one {@link OpenFile}: one offset, one set of status flags, moved and read through
 * either) or one of the run's streams (a dup of 1 writes into the run's stdout, of 0 reads its
 * stdin); closing one leaves the other open. dup takes the lowest free descriptor; dup2 closes
 * the new descriptor first when it is open — 0, 1 or 2 too, so `dup2(fd, 1)` makes 1 the file
 * and what stdout's FILE writes lands there — and returns it untouched when it is the old one;
 * both are EBADF for an old descriptor not open or a new one outside 0 to
 * {@link OPEN_FILES_LIMIT}, dup EMFILE with none free. Checked against real runs:
 * tests/fixtures/c/dup/.
 *
 * open's errors, in Linux's order: a path of 4096 bytes or more is ENAMETOOLONG (getname); no
 * descriptor free below RLIMIT_NOFILE's soft limit, taken as 1024 — the usual default; a real
 * machine's may be higher — is EMFILE (0-2 count as any other); then the walk, one component
 * at a time: a name over 255 bytes is ENAMETOOLONG, a missing one ENOENT, a regular file with
 * more of the path after it (or a trailing slash) ENOTDIR, `..` the directory above; at the
 * end, a directory opened to write or with O_CREAT is EISDIR (EEXIST with O_EXCL), and a missing
 * name with a trailing slash and O_CREAT EISDIR too. The directories are the working directory,
 * those above it, and those a given file is in; any other is taken not to exist (ENOENT).
 * stat(2) walks a path the same way. A directory opened for reading is not modelled
 * ({@link OpenFiles.open} says `"directory"`; its callers refuse it by name).
 *
 * What stat(2) reports of a file (`file_status.ts`) is kept with its contents: its inode
 * number, its permissions — 0644 for a given file, open's mode argument less the umask (022)
 * for a created one, as fopen's 0666 becomes 0644 — whether a name still links it (unlink
 * leaves open descriptors on a file with no link), and whether a write past its end left a
 * hole. Checked against real runs: tests/fixtures/c/descriptors/ (open_files.c,
 * write_files.c), tests/fixtures/c/fd_reuse/ (a standard descriptor closed, then reused by open
 * and fopen), tests/fixtures/c/file_status/ (stat_files.c), tests/fixtures/c/stdio_errors/
 * (open_errors.c: the errors above, RLIMIT_NOFILE set to 1024).
 *
 * Paths under /proc are the proc file system's (`proc_maps.ts`: /proc/self/maps and
 * /proc/PID/maps, whose text the kernel makes at each read; any other /proc path is refused by
 * name, {@link Unmodelled}, rather than answered ENOENT where Linux has the file).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import {
  type FileFacts,
  type GeneratedFile,
  type ProcFileSystem,
  underProc,
  type Unmodelled,
} from "./file_facts.ts";

const { ENOENT, EBADF, EINVAL, EEXIST, EISDIR, EMFILE, ENAMETOOLONG, ENOTDIR } = Errno;

/** What a /proc path is without a /proc file system. */
const NO_PROC: Unmodelled = { unmodelled: "the /proc file system (not modelled here)" };

/** RLIMIT_NOFILE's soft limit, as most systems set it: descriptors 0 to 1023. */
export const OPEN_FILES_LIMIT = 1024;
/** PATH_MAX (a path with its NUL) and NAME_MAX (one component). */
const PATH_MAX = 4096, NAME_MAX = 255;

/** open(2)'s flags: the access mode (O_ACCMODE: read 0, write 1, both 2) and the others known. */
const ACCESS_MODE = 3, O_WRONLY = 1, O_RDWR = 2;
const O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000;

/** One of the streams the run gives: 0 stdin, 1 stdout, 2 stderr. */
export type StandardStream = 0 | 1 | 2;

/** A file's contents, which every descriptor open on it shares: `length` bytes of `store`. */
interface Inode {
  store: Uint8Array;
  length: number;
  /** Its number among the files of the run, from 1 in the order heaplab learnt of them. */
  readonly serial: number;
  /** Permission bits; undefined when open(O_CREAT) made it without a mode argument. */
  readonly permissions: number | undefined;
  /** A name links it (unlink(2) took it away). */
  linked: boolean;
  /** A write past its end left a hole, whose blocks a file system need not allocate. */
  sparse: boolean;
}

/** The permissions of a file the run was given (as `umask 022` and a 0666 creat make it). */
export const GIVEN_FILE_PERMISSIONS = 0o644;
/** The file-creation mask of the process (umask(2) is not modelled): the usual 022. */
export const UMASK = 0o022;

function factsOf(inode: Inode): FileFacts {
  return {
    serial: inode.serial,
    permissions: inode.permissions,
    links: inode.linked ? 1 : 0,
    size: inode.length,
    sparse: inode.sparse,
  };
}

/** The largest file a program may grow here (a file's bytes are kept in memory). */
export const FILE_SIZE_LIMIT = 64 * 1024 * 1024;

/** A file opened by the program. */
export class OpenFile {
  readonly path: string;
  readonly #inode: Inode;
  /** The kernel makes its text at each read (a /proc file); undefined for a file's bytes. */
  readonly generated: GeneratedFile | undefined;
  /** Where the next read or write starts. */
  offset = 0;
  /** Opened for reading, for writing; writes go to the end (O_APPEND). */
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;

  constructor(path: string, contents: Inode | GeneratedFile, flags: number) {
    this.path = path;
    const generated = "read" in contents;
    this.generated = generated ? contents : undefined;
    this.#inode = generated ? EMPTY_INODE : contents;
    // (an access mode of 3 opens for neither: a descriptor for ioctls)
    const access = flags & ACCESS_MODE;
    this.readable = access === 0 || access === O_RDWR;
    this.writable = access === O_WRONLY || access === O_RDWR;
    this.append = (flags & O_APPEND) !== 0;
  }

  /** The file's contents now. */
  get bytes(): Uint8Array {
    return this.#inode.store.subarray(0, this.#inode.length);
  }

  /** What fstat(2) reports of the file. */
  get facts(): FileFacts {
    return this.generated?.facts ?? factsOf(this.#inode);
  }

  /**
   * Writes `data` at the offset (at the end when appending), growing the file (a hole before the
   * offset reads as zeros); false, writing nothing, when the file would pass
   * {@link FILE_SIZE_LIMIT}.
   */
  write(data: Uint8Array): boolean {
    const inode = this.#inode;
    if (this.append) this.offset = inode.length;
    const end = this.offset + data.length;
    if (end > FILE_SIZE_LIMIT) return false;
    if (this.offset > inode.length) inode.sparse = true;
    if (end > inode.store.length) {
      const grown = new Uint8Array(
        Math.min(FILE_SIZE_LIMIT, Math.max(end, 2 * inode.store.length)),
      );
      grown.set(inode.store.subarray(0, inode.length));
      inode.store = grown;
    }
    inode.store.set(data, this.offset);
    inode.length = Math.max(inode.length, end);
    this.offset = end;
    return true;
  }
}

/** A generated file's stand-in for contents: none (its reads are the generator's). */
const EMPTY_INODE: Inode = {
  store: new Uint8Array(0),
  length: 0,
  serial: 0,
  permissions: 0o444,
  linked: true,
  sparse: false,
};

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

/** The program's files and its descriptors: the standard ones still open, and those on files. */
export class OpenFiles {
  /** The files by path, and the count of inode numbers given: one disk, a fork's child's too. */
  #disk = { contents: new Map<string, Inode>(), serials: 0 };
  #open = new Map<number, OpenFile>();
  /**
   * The descriptors on one of the run's streams, and which (0 stdin, 1 stdout, 2 stderr): 0, 1
   * and 2 until closed or reused, and their dups.
   */
  #standard = new Map<number, StandardStream>([[0, 0], [1, 1], [2, 2]]);
  #serials = 0;
  /** The /proc file system; undefined: every /proc path is refused. */
  readonly #proc: ProcFileSystem | undefined;

  /**
   * `files`: path → contents (a string's characters are bytes); `proc`: the /proc file system
   * of the process (`proc_maps.ts`).
   */
  constructor(files: Readonly<Record<string, string | Uint8Array>> = {}, proc?: ProcFileSystem) {
    this.#proc = proc;
    for (const [path, contents] of Object.entries(files)) {
      const bytes = typeof contents === "string"
        ? Uint8Array.from(contents, (c) => c.charCodeAt(0))
        : contents.slice(); // the program's writes must not reach the caller's bytes (or a rerun)
      this.#disk.contents.set(normalPath(path), this.#inode(bytes, GIVEN_FILE_PERMISSIONS));
    }
  }

  #inode(store: Uint8Array, permissions: number | undefined): Inode {
    const serial = ++this.#disk.serials;
    return { store, length: store.length, serial, permissions, linked: true, sparse: false };
  }

  /**
   * Takes the files and descriptors of `parent` as fork(2) gives them to a child: the same
   * files (what either writes, the other reads), and a copy of its descriptor table whose
   * descriptors are on the same open file descriptions — one offset, moved by both. What this
   * table had is dropped (a fork's child is a re-run of its parent: `fork.ts`).
   */
  adoptFork(parent: OpenFiles): void {
    this.#disk = parent.#disk;
    this.#open = new Map(parent.#open);
    this.#standard = new Map(parent.#standard);
  }

  /**
   * open(path, flags, mode): the new descriptor (the lowest free), or -errno (see the module's
   * notes); `"directory"` for a directory opened for reading, which is not modelled. A file it
   * creates gets `mode` less the {@link UMASK} (`mode` undefined: open was called without one,
   * and what it would get is unknown).
   */
  open(path: string, flags: number, mode?: number): number | "directory" | Unmodelled {
    if (path.length >= PATH_MAX) return -ENAMETOOLONG;
    const fd = this.lowestFree();
    if (fd < 0) return fd;
    const proc = this.#procPath(path);
    if (proc !== undefined) {
      const opened = this.#proc?.open(proc.name, flags, proc.trailingSlash) ?? NO_PROC;
      if (typeof opened === "number" || "unmodelled" in opened) return opened;
      this.#open.set(fd, new OpenFile(path, opened, flags));
      return fd;
    }
    const device = this.#device(path);
    if (device !== undefined) return device;
    const found = this.#walk(path);
    if (typeof found === "number") return found;
    const { name, trailingSlash } = found, create = (flags & O_CREAT) !== 0;
    let inode = this.#disk.contents.get(name);
    if (inode === undefined && this.#isDirectory(name)) {
      if (create && (flags & O_EXCL)) return -EEXIST;
      return create || (flags & ACCESS_MODE) !== 0 ? -EISDIR : "directory";
    }
    if (trailingSlash) return inode !== undefined ? -ENOTDIR : create ? -EISDIR : -ENOENT;
    if (inode !== undefined && create && (flags & O_EXCL)) return -EEXIST;
    if (inode === undefined) {
      if (!create) return -ENOENT;
      const permissions = mode === undefined ? undefined : mode & 0o7777 & ~UMASK;
      this.#disk.contents.set(name, inode = this.#inode(new Uint8Array(0), permissions));
    } else if (flags & O_TRUNC) {
      inode.store = new Uint8Array(0);
      inode.length = 0;
      inode.sparse = false;
    }
    this.#open.set(fd, new OpenFile(path, inode, flags));
    return fd;
  }

  /** An absolute path under /proc: its normalized name, and whether a slash followed it. */
  #procPath(path: string): { name: string; trailingSlash: boolean } | undefined {
    const name = normalPath(path);
    if (!path.startsWith("/") || !underProc(name)) return undefined;
    return { name, trailingSlash: /[^/]\/+$/.test(path) };
  }

  /**
   * A path under /dev that the run was not given as a file: Linux has device files there
   * (`/dev/urandom`, `/dev/null`, a tty), heaplab keeps none, so it is refused by name rather
   * than answered ENOENT. A file the run's `files` gave under /dev is that file.
   */
  #device(path: string): Unmodelled | undefined {
    const name = normalPath(path);
    if (!path.startsWith("/") || !(name === "/dev" || name.startsWith("/dev/"))) return undefined;
    if (this.#disk.contents.has(name)) return undefined;
    return { unmodelled: `the device file ${name} (heaplab keeps no device files)` };
  }

  /** A copy of the contents of the file `path` names, or undefined for none. */
  contents(path: string): Uint8Array | undefined {
    const inode = this.#disk.contents.get(normalPath(path));
    return inode?.store.slice(0, inode.length);
  }

  /**
   * The descriptor the next open (or dup) would get: the lowest one from `from` up neither open
   * on a file nor on one of the run's streams — 0, 1 or 2 too once closed —, or -EMFILE when
   * none is free below {@link OPEN_FILES_LIMIT}.
   */
  lowestFree(from = 0): number {
    let fd = from;
    while (this.#open.has(fd) || this.#standard.has(fd)) fd++;
    return fd < OPEN_FILES_LIMIT ? fd : -EMFILE;
  }

  /** Whether descriptor `fd` is open, on a file or on one of the run's streams. */
  #isOpen(fd: number): boolean {
    return this.#open.has(fd) || this.#standard.has(fd);
  }

  /** Makes `to` a descriptor on what `from` (open) is on. */
  #copy(from: number, to: number): void {
    const file = this.#open.get(from);
    if (file !== undefined) this.#open.set(to, file);
    else this.#standard.set(to, this.#standard.get(from)!);
  }

  /**
   * dup(fd): the lowest free descriptor (from `from` up: fcntl's F_DUPFD), on the same open file
   * description as `fd`; -EBADF when `fd` is not open, -EMFILE when no descriptor is free.
   */
  dup(fd: number, from = 0): number {
    if (!this.#isOpen(fd)) return -EBADF;
    const to = this.lowestFree(from);
    if (to >= 0) this.#copy(fd, to);
    return to;
  }

  /**
   * dup2(from, to): `to`, closed first if open, made a descriptor on what `from` is on; `to`
   * untouched when it is `from`; -EBADF when `from` is not open or `to` is outside 0 to
   * {@link OPEN_FILES_LIMIT} (dup3's own checks, its flags and EINVAL for equal descriptors, are
   * its caller's).
   */
  dup2(from: number, to: number): number {
    if (!this.#isOpen(from) || !(to >= 0 && to < OPEN_FILES_LIMIT)) return -EBADF;
    if (from === to) return to;
    this.close(to);
    this.#copy(from, to);
    return to;
  }

  /**
   * The path walk (link_path_walk): each component but the last looked up in the directory the
   * walk has reached; the last one's name, or -errno.
   */
  #walk(path: string): { name: string; trailingSlash: boolean } | number {
    const absolute = path.startsWith("/"), trailingSlash = /[^/]\/+$/.test(path);
    const parts = path.replace(/\/+$/, "").split("/"), last = parts.pop()!;
    let directory = absolute ? "/" : "";
    const join = (part: string) =>
      normalPath(directory === "" ? part : directory === "/" ? `/${part}` : `${directory}/${part}`);
    for (const part of parts) {
      if (part === "" || part === ".") continue;
      if (part.length > NAME_MAX) return -ENAMETOOLONG;
      const next = join(part);
      if (this.#disk.contents.has(next)) return -ENOTDIR;
      if (!this.#isDirectory(next)) return -ENOENT;
      directory = next;
    }
    if (last === "" && !absolute) return -ENOENT; // an empty path
    if (last.length > NAME_MAX) return -ENAMETOOLONG;
    return { name: last === "" ? directory : join(last), trailingSlash };
  }

  /** unlink(path): 0, or -ENOENT; what is open on the file stays open. */
  unlink(path: string): number | Unmodelled {
    const proc = this.#procPath(path);
    if (proc !== undefined) return this.#proc?.unlink(proc.name) ?? NO_PROC;
    const device = this.#device(path);
    if (device !== undefined) return device;
    const name = normalPath(path), inode = this.#disk.contents.get(name);
    if (inode === undefined) return -ENOENT;
    inode.linked = false;
    this.#disk.contents.delete(name);
    return 0;
  }

  /**
   * What stat(path) finds after open's walk: the file's facts, "directory" for the working
   * directory, one a known file is in or one above it (`..`), or -errno — ENOENT (nothing known
   * there, or an empty path), ENOTDIR (a file's name followed by a slash, or used as a
   * directory), ENAMETOOLONG.
   */
  status(path: string): FileFacts | "directory" | number | Unmodelled {
    if (path.length >= PATH_MAX) return -ENAMETOOLONG;
    const proc = this.#procPath(path);
    if (proc !== undefined) return this.#proc?.status(proc.name, proc.trailingSlash) ?? NO_PROC;
    const device = this.#device(path);
    if (device !== undefined) return device;
    const found = this.#walk(path);
    if (typeof found === "number") return found;
    const inode = this.#disk.contents.get(found.name);
    if (inode !== undefined) return found.trailingSlash ? -ENOTDIR : factsOf(inode);
    return this.#isDirectory(found.name) ? "directory" : -ENOENT;
  }

  /**
   * Whether `name` (normalized) is a directory: the working directory, one above it, the root,
   * or one a known file is in.
   */
  #isDirectory(name: string): boolean {
    if (name === "" || name === "/" || /^\.\.(\/\.\.)*$/.test(name)) return true;
    const prefix = name.endsWith("/") ? name : `${name}/`;
    for (const other of this.#disk.contents.keys()) {
      if (other.startsWith(prefix)) return true;
    }
    return false;
  }

  /**
   * Whether `fd` is on one of the run's streams: 0, 1 or 2 not closed nor reused, or a dup of
   * one ({@link OpenFiles.stream} says which).
   */
  standard(fd: number): boolean {
    return this.#standard.has(fd);
  }

  /** Which of the run's streams `fd` is on, if any (1 for stdout, and for a dup of it). */
  stream(fd: number): StandardStream | undefined {
    return this.#standard.get(fd);
  }

  /** Whether another descriptor is on the same open file as `fd` (a dup of it, or its original). */
  shared(fd: number): boolean {
    const file = this.#open.get(fd);
    if (file === undefined) return false;
    for (const [other, its] of this.#open) if (other !== fd && its === file) return true;
    return false;
  }

  /** The file open on `fd`, if any. */
  file(fd: number): OpenFile | undefined {
    return this.#open.get(fd);
  }

  /** close(fd): 0, or -EBADF when `fd` is not open. */
  close(fd: number): number {
    return this.#open.delete(fd) || this.#standard.delete(fd) ? 0 : -EBADF;
  }

  /** lseek(fd, offset, whence) on a file: the new offset, or -EINVAL / -EBADF. */
  seek(fd: number, offset: number, whence: number): number {
    const file = this.#open.get(fd);
    if (file === undefined) return -EBADF;
    if (file.generated) {
      const at = file.generated.seek(file.offset, offset, whence);
      if (at >= 0) file.offset = at;
      return at;
    }
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
