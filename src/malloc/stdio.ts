/**
 * The one allocation stdio makes on its own: the stdout buffer, at a process's first printf
 * (glibc `_IO_file_doallocate`). Its size is the output's st_blksize when that is below BUFSIZ
 * (8192): 4096 for a regular file or a pipe, 1024 for a terminal. glibc 2.23 and later malloc
 * it; older glibc (the seed material's 2.19) mapped it (ALLOC_BUF, one anonymous page).
 *
 * Invariant: the buffer is allocated once per process, by the thread that prints first.
 *
 * @module
 */

import { isSyscallError } from "../kernel/errors.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../kernel/vma.ts";
import type { MallocContext } from "./context.ts";
import { libcMalloc } from "./libc_malloc.ts";

/** glibc `BUFSIZ`. */
export const BUFSIZ = 8192;

/** Where stdout goes. */
export type StdoutKind = "file" | "pipe" | "tty";

/** st_blksize of each kind of output on Linux (a regular file's, a pipe's, a terminal's). */
export const STDOUT_BLKSIZE: Readonly<Record<StdoutKind, number>> = {
  file: 4096,
  pipe: 4096,
  tty: 1024,
};

/** The stdout buffer size glibc picks (`_IO_file_doallocate`). */
export function stdoutBufferSize(kind: StdoutKind): number {
  const blksize = STDOUT_BLKSIZE[kind];
  return blksize > 0 && blksize < BUFSIZ ? blksize : BUFSIZ;
}

/**
 * Allocates stdout's buffer as glibc does at the first printf: malloc of the buffer size, or
 * (old glibc) an anonymous mapping. Returns the buffer's address (0 if allocation failed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Allocator } from "./allocator.ts";
 * import { Process } from "../kernel/process.ts";
 * const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
 * heap.printf(); // the 0x1010 chunk after the tcache
 * assert.equal(heap.printf(), 0); // the buffer exists already
 * ```
 */
export function allocateStdoutBuffer(
  m: MallocContext,
  kind: StdoutKind,
  how: "malloc" | "mmap" = m.profile.stdioBuffers,
): number {
  const size = stdoutBufferSize(kind);
  if (how === "malloc") return libcMalloc(m, size);
  const length = Math.ceil(size / m.profile.pageSize) * m.profile.pageSize;
  const r = m.process.sys.mmap(
    0,
    length,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    undefined,
    "stdio buffer",
  );
  return isSyscallError(r) ? 0 : r;
}
