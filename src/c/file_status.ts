/**
 * stat(2), lstat(2), fstat(2) and fstatat(2) as a program built against glibc calls them
 * (`<sys/stat.h>`'s `struct stat`), on what heaplab knows: the files given to the run and those
 * it creates (`open_files.ts`), and the standard descriptors as the run's stdout kind makes them
 * — on a terminal all three are the terminal (a character device, st_blksize 1024); otherwise
 * stdin is a pipe, and stdout and stderr both pipes or both regular files (st_blksize 4096, the
 * buffer size stdio takes from it: `STDOUT_BLKSIZE`). There are no symbolic links, so lstat is
 * stat.
 *
 * - The fields a program can rely on, as the real runs show them: st_mode (S_IFREG and the
 *   file's permissions, S_IFIFO|0600 for a pipe), st_nlink (1, and 0 for a file unlinked while
 *   open), st_size (the file's length; what was written to stdout or stderr when it is a file;
 *   0 for a pipe or a terminal), st_blksize, st_blocks (512-byte units of whole 4 KiB blocks, as
 *   ext4 allocates a file written without holes: a file with a hole is refused, its blocks
 *   depending on the file system).
 * - Fields of the machine, given fixed values here that no test claims to be a real run's:
 *   st_uid and st_gid 1000 (a terminal's group 5, tty), st_dev 0x801 (8:1) for files, st_ino
 *   1000 plus the file's number among the run's files (the same file, the same number), the
 *   times all the simulated clock's 0 (`clock.ts`: no time passes); a pipe's st_dev 0xf and
 *   inode 2000 + fd; a terminal /dev/pts/0: mode 0620, st_dev 0x1a, inode 3, st_rdev 136:0.
 * - Errors, the kernel's: ENOENT (no such file, or an empty path), ENOTDIR (a file's name used
 *   as a directory, or followed by a slash), EFAULT (a path it cannot read), EBADF (no such
 *   descriptor), EINVAL (fstatat flags beyond AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT,
 *   AT_EMPTY_PATH and AT_STATX_SYNC_TYPE). A directory is not modelled: its stat is refused.
 * - The copy. On x86_64 glibc's struct stat is the kernel's, which copies it whole (padding and
 *   reserved words zero) up to the first byte it may not write, and fails with EFAULT there. On
 *   i386 glibc asks the kernel for a struct stat64 on its own stack and converts it field by
 *   field, leaving the padding after `__pad1` and `__pad2` as it was; a buffer it cannot write
 *   faults (SIGSEGV) at the first field that does not fit.
 *
 * Checked against real runs: tests/fixtures/c/file_status/ (stat_files.c on x86_64 and i386,
 * glibc 2.31 to 2.44, stdout a pipe, a file and a terminal).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { Memory } from "../kernel/memory.ts";
import { STDOUT_BLKSIZE } from "../malloc/stdio.ts";
import { outsideUserSpace } from "./descriptors.ts";
import { CLOCK_SECONDS } from "./clock.ts";
import { type FileFacts, PROC_BLOCK_SIZE } from "./file_facts.ts";
import type { OpenFiles } from "./open_files.ts";
import type { Streams } from "./stdio.ts";

const { EBADF, EINVAL, EFAULT } = Errno;

/** File type bits of st_mode. */
const S_IFREG = 0o100000, S_IFCHR = 0o20000, S_IFIFO = 0o10000;
/** fstatat's flags. */
const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_NO_AUTOMOUNT = 0x800;
const AT_EMPTY_PATH = 0x1000, AT_STATX_SYNC_TYPE = 0x6000;
/** The owner of every file (the first user of a Debian system), and a terminal's group (tty). */
const OWNER = 1000, TTY_GROUP = 5;
/** Regular files' device (8:1) and inode numbers: 1000 + the file's number in the run. */
const FILE_DEVICE = 0x801, FILE_INODES = 1000;
/** stdout's and stderr's files, when they are files: their own inode numbers. */
const OUTPUT_FILE_INODES = 900;
/** Pipes' device (pipefs) and inode numbers: 2000 + the descriptor. */
const PIPE_DEVICE = 0xf, PIPE_INODES = 2000;
/** The terminal: /dev/pts/0 (devpts' device, its inode, character device 136:0). */
const TERMINAL_DEVICE = 0x1a, TERMINAL_INODE = 3, TERMINAL_RDEV = 136 << 8;
/** procfs' device (0:21 on the machine of the real runs) and the maps file's inode number. */
const PROC_DEVICE = 0x15, PROC_INODE = 4000;
/** A regular file's blocks: 4 KiB, counted in 512-byte units. */
const BLOCK_SIZE = 4096, BLOCK_UNITS = 8;

/** What a stat call reports: struct stat's fields (its three times are all {@link CLOCK_SECONDS}). */
export interface FileStatus {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
}

/** What the stat calls work on. */
export interface FileStatusHost {
  readonly mem: Memory;
  /** 4 (i386) or 8 (x86_64). */
  readonly ptrSize: number;
  readonly streams: Streams;
  readonly openFiles: OpenFiles;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** A regular file's status. */
function regular(h: FileStatusHost, name: string, facts: FileFacts): FileStatus {
  if (facts.procfs) {
    // a /proc file: its mode's, owned by the process's user, no size, no blocks
    const mode = S_IFREG | (facts.permissions ?? 0);
    const owner = { uid: OWNER, gid: OWNER, rdev: 0, nlink: facts.links };
    return {
      ...owner,
      dev: PROC_DEVICE,
      ino: PROC_INODE,
      mode,
      size: 0,
      blksize: PROC_BLOCK_SIZE,
      blocks: 0,
    };
  }
  if (facts.sparse) {
    h.refuse(`stat of ${name}, a file with a hole (its st_blocks is the file system's)`);
  }
  if (facts.permissions === undefined) {
    h.refuse(`stat of ${name}, created by open(O_CREAT) without a mode argument`);
  }
  return {
    dev: FILE_DEVICE,
    ino: FILE_INODES + facts.serial,
    mode: S_IFREG | facts.permissions,
    nlink: facts.links,
    uid: OWNER,
    gid: OWNER,
    rdev: 0,
    size: facts.size,
    blksize: STDOUT_BLKSIZE.file,
    blocks: Math.ceil(facts.size / BLOCK_SIZE) * BLOCK_UNITS,
  };
}

/** The status of `fd`, on one of the run's streams (0-2 or a dup of one), or -EBADF. */
function standard(h: FileStatusHost, fd: number): FileStatus | number {
  const s = h.streams, stream = h.openFiles.stream(fd);
  if (stream === undefined) return -EBADF;
  const base = { uid: OWNER, gid: OWNER, rdev: 0, size: 0, blocks: 0, nlink: 1 };
  if (s.kind === "tty") {
    return {
      ...base,
      dev: TERMINAL_DEVICE,
      ino: TERMINAL_INODE,
      mode: S_IFCHR | 0o620,
      gid: TTY_GROUP,
      blksize: STDOUT_BLKSIZE.tty,
      rdev: TERMINAL_RDEV,
    };
  }
  if (stream === 0 || s.kind === "pipe") {
    return {
      ...base,
      dev: PIPE_DEVICE,
      ino: PIPE_INODES + stream,
      mode: S_IFIFO | 0o600,
      blksize: STDOUT_BLKSIZE.pipe,
    };
  }
  const size = (stream === 1 ? s.stdoutBytes : s.stderrBytes).length;
  return {
    ...base,
    dev: FILE_DEVICE,
    ino: OUTPUT_FILE_INODES + stream,
    mode: S_IFREG | 0o644,
    size,
    blksize: STDOUT_BLKSIZE.file,
    blocks: Math.ceil(size / BLOCK_SIZE) * BLOCK_UNITS,
  };
}

/** The status of what `path` names (`path` undefined: its pointer could not be read), or -errno. */
function pathStatus(h: FileStatusHost, path: string | undefined): FileStatus | number {
  if (path === undefined) return -EFAULT;
  const found = h.openFiles.status(path);
  if (found === "directory") {
    h.refuse(`stat of ${JSON.stringify(path)}, a directory (not modelled)`);
  }
  if (typeof found === "object" && "unmodelled" in found) h.refuse(`stat of ${found.unmodelled}`);
  return typeof found === "number" ? found : regular(h, JSON.stringify(path), found);
}

/** The status of descriptor `fd`, or -EBADF. */
function descriptorStatus(h: FileStatusHost, fd: number): FileStatus | number {
  const file = h.openFiles.file(fd);
  if (file !== undefined) return regular(h, JSON.stringify(file.path), file.facts);
  return standard(h, fd);
}

/**
 * stat(path, buf) (and lstat: there are no symbolic links): 0 with `*buf` filled, or -errno.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/process.ts";
 * import { OpenFiles } from "./open_files.ts";
 * import { Streams } from "./stdio.ts";
 * import { statPath } from "./file_status.ts";
 * const p = new Process();
 * const buf = p.sys.mmap(0, 4096, 3, 0x22);
 * const host = {
 *   mem: p.memory, ptrSize: 8, streams: new Streams("pipe"),
 *   openFiles: new OpenFiles({ "data.bin": "x".repeat(1234) }),
 *   refuse: (what: string): never => { throw new Error(what); },
 * };
 * assert.equal(statPath(host, "data.bin", buf), 0);
 * assert.equal(p.memory.read32(buf + 24), 0o100644); // st_mode
 * assert.equal(p.memory.read64(buf + 48), 1234); // st_size
 * assert.equal(p.memory.read64(buf + 64), 8); // st_blocks
 * assert.equal(statPath(host, "missing", buf), -2); // ENOENT
 * ```
 */
export function statPath(h: FileStatusHost, path: string | undefined, buf: number): number {
  return store(h, pathStatus(h, path), buf);
}

/** fstat(fd, buf): 0 with `*buf` filled, or -errno. */
export function statDescriptor(h: FileStatusHost, fd: number, buf: number): number {
  return store(h, descriptorStatus(h, fd), buf);
}

/**
 * fstatat(dirfd, path, buf, flags): a path from the working directory (AT_FDCWD) or absolute,
 * or with AT_EMPTY_PATH and an empty path `dirfd` itself; 0 or -errno. A relative path from
 * another descriptor is EBADF when it is not open and ENOTDIR when it is (no directory can be
 * opened here).
 */
export function statAt(
  h: FileStatusHost,
  dirfd: number,
  path: string | undefined,
  buf: number,
  flags: number,
): number {
  if (path === undefined) return -EFAULT; // getname comes first
  const known = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE;
  if (flags & ~known) return -EINVAL;
  if (flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) {
    h.refuse(`fstatat flags ${flags.toString(16)}: automount and sync flags`);
  }
  if (path === "" && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) pathStatus(h, "."); // the working directory: refused
    return statDescriptor(h, dirfd, buf);
  }
  if (path.startsWith("/") || dirfd === AT_FDCWD) {
    return statPath(h, path, buf);
  }
  return descriptorStatus(h, dirfd) === -EBADF ? -EBADF : -Errno.ENOTDIR;
}

/** Writes `status` into the program's struct stat at `buf` as its ABI's glibc does; 0 or -errno. */
function store(h: FileStatusHost, status: FileStatus | number, buf: number): number {
  if (typeof status === "number") return status;
  return h.ptrSize === 8 ? copyKernelStat(h, status, buf) : convertStat64(h.mem, status, buf);
}

/** x86_64 struct stat's size (glibc's is the kernel's). */
const STAT_SIZE_X86_64 = 144;

/**
 * x86_64: the kernel's cp_new_stat copies the whole struct, up to the first byte it cannot write
 * (then EFAULT).
 */
function copyKernelStat(h: FileStatusHost, st: FileStatus, buf: number): number {
  if (outsideUserSpace(buf, STAT_SIZE_X86_64, 8)) return -EFAULT;
  const bytes = new Uint8Array(STAT_SIZE_X86_64), view = new DataView(bytes.buffer);
  const u64 = (at: number, v: number) => view.setBigUint64(at, BigInt(v), true);
  u64(0, st.dev);
  u64(8, st.ino);
  u64(16, st.nlink);
  view.setUint32(24, st.mode, true);
  view.setUint32(28, st.uid, true);
  view.setUint32(32, st.gid, true);
  u64(40, st.rdev);
  u64(48, st.size);
  u64(56, st.blksize);
  u64(64, st.blocks);
  for (let at = 72; at < 120; at += 16) u64(at, CLOCK_SECONDS); // st_atim, st_mtim, st_ctim
  const fits = h.mem.accessibleLength(buf, bytes.length, "write");
  h.mem.writeBytes(buf, bytes.subarray(0, fits));
  return fits === bytes.length ? 0 : -EFAULT;
}

/**
 * i386: glibc's `__xstat32_conv`, field by field in their order (a fault at the first that does
 * not fit); the two bytes after each of `__pad1` and `__pad2` are left as they were.
 */
function convertStat64(mem: Memory, st: FileStatus, buf: number): number {
  const u32 = (at: number, v: number) => mem.write32(buf + at, v >>> 0);
  u32(0, st.dev), u32(4, 0); // st_dev (a 64-bit dev_t)
  mem.write16(buf + 8, 0); // __pad1
  u32(12, st.ino), u32(16, st.mode), u32(20, st.nlink), u32(24, st.uid), u32(28, st.gid);
  u32(32, st.rdev), u32(36, 0);
  mem.write16(buf + 40, 0); // __pad2
  u32(44, st.size), u32(48, st.blksize), u32(52, st.blocks);
  for (let at = 56; at < 80; at += 8) u32(at, CLOCK_SECONDS), u32(at + 4, 0); // the times
  u32(80, 0), u32(84, 0); // __glibc_reserved4, __glibc_reserved5
  return 0;
}
