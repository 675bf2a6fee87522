/**
 * glibc's `_IO_flush_all` (genops.c), as exit (`_IO_cleanup`), fflush(NULL) and an abort of
 * glibc before 2.27 run it: it walks `_IO_list_all` as libc's memory holds it and, for each FILE
 * in turn, calls its vtable's `__overflow(fp, EOF)` when its put area holds bytes (`_mode` ≤ 0:
 * the narrow one; `_mode` > 0 and no `_vtable_offset`: the wide one). heaplab's own FILEs
 * (stdout, stderr, fopen's) are flushed through their fileops (`output_file.ts`); a FILE the
 * program forged and linked in — FSOP — is worked on in memory, stage by stage:
 *
 * 1. The lock (`_IO_flockfile`, unless `_IO_USER_LOCK`): fflush(NULL) always takes it, exit from
 *    2.38 (profile `exitFlushLocks`) — `*fp->_lock` is read, so a NULL `_lock` faults there.
 * 2. From 2.44 a FILE being closed (`_IO_FLAGS2_NOCLOSE`) is skipped.
 * 3. The call of `__overflow` through the FILE's vtable (`vtable_check.ts`): outside libc's
 *    vtables, glibc's fatal message and SIGABRT (the walk's result: true). A slot holding
 *    `_IO_new_file_overflow` (`_IO_file_jumps`…) runs it on the FILE's fields; one holding
 *    `_IO_wfile_overflow` (`_IO_wfile_jumps`, `_IO_wfile_jumps_mmap`, a shifted vtable) runs it
 *    (`wfile_overflow.ts`: House of Apple 2, whose unchecked wide vtable calls a program's
 *    function, system, or garbage); another function is refused by name.
 * 4. From 2.42, a FILE whose get area holds unread bytes is synced (`_IO_SYNC`): checked as in
 *    3, then refused by name.
 *
 * A C function reached this way runs on the calling thread (the walk is a generator).
 * Checked against real runs: tests/fixtures/c/fsop/ (fsop.c, apple2_*.c).
 *
 * @module
 */

import type { LibcState } from "../malloc/libc_state.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import {
  type FileLayout,
  type FileMemory,
  FLAGS2_NOCLOSE,
  USER_LOCK,
  wideLayout,
} from "./file_layout.ts";
import type { Signal } from "./interpreter.ts";
import { INVALID_STDIO_HANDLE, type JumpSlot, vtableCall } from "./vtable_check.ts";
import { WEOF, wfileOverflow, type WideOverflowHost } from "./wfile_overflow.ts";

const EOF = -1;

/** What `_IO_flush_all` works with. */
export interface FlushAllHost extends FileMemory {
  readonly layout: FileLayout;
  readonly ptrSize: number;
  readonly libc: LibcState;
  readonly profile: GlibcProfile;
  /** The FILEs to walk, in `_IO_list_all`'s order. */
  files(): number[];
  /**
   * Flushes `fp` if it is one of heaplab's own FILEs (0, or EOF when a write failed), else
   * undefined.
   */
  flushOwn(fp: number): number | undefined;
  /**
   * `_IO_new_file_overflow(fp, EOF)` on a forged FILE's own fields, or (`write`) `_IO_do_write`
   * of its put area: 0 or -1 (EOF).
   */
  fileOverflow(fp: number, only: "overflow" | "write"): number;
  /** glibc's malloc() of a stdio buffer: the address, 0 when it fails. */
  malloc(size: number): number;
  /** glibc's free(). */
  free(pointer: number): void;
  /** What `_IO_file_doallocate` makes of descriptor `fd`: its buffer's size, a terminal or not. */
  fileBuffer(fd: number): { size: number; terminal: boolean };
  /**
   * Calls the function whose address is at `slot` with `args`, glibc having read it from `via`
   * in the program's `call`: what it returns.
   */
  callAt(slot: number, args: number[], via: string, call: string): Generator<Signal, number>;
  /** The calling thread's descriptor (`THREAD_SELF`), a lock's owner. */
  threadSelf(): number;
  /** Writes glibc's fatal message to stderr (descriptor 2). */
  fatal(message: string): void;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/** Who runs `_IO_flush_all`: exit, fflush(NULL), or abort (glibc before 2.27). */
export type FlushAllCall = "exit" | "fflush" | "abort";

/**
 * What `_IO_flush_all` returns — 0, or EOF when a FILE's overflow failed — or "aborted" when a
 * vtable check ended the process (its message written).
 */
export type FlushAllResult = number | "aborted";

/** `_IO_flush_all` over the FILEs the host lists, as `call` runs it. */
export function* flushAllFiles(
  h: FlushAllHost,
  call: FlushAllCall,
): Generator<Signal, FlushAllResult> {
  const locking = call === "fflush" || (call === "exit" && h.profile.exitFlushLocks);
  let result = 0;
  for (const fp of h.files()) {
    let flushed: FlushAllResult | undefined = h.flushOwn(fp);
    if (flushed === undefined) {
      const unlock = locking ? lockFile(h, fp) : undefined;
      flushed = yield* flushForged(h, fp, call);
      if (flushed === "aborted") return flushed;
      unlock?.();
    }
    if ((flushed | 0) === EOF) result = EOF; // WEOF too, as the int glibc compares
  }
  return result;
}

/** One forged FILE's turn (stages 2 to 4): its overflow's result (0, EOF, WEOF), or "aborted". */
function* flushForged(
  h: FlushAllHost,
  fp: number,
  call: string,
): Generator<Signal, FlushAllResult> {
  const F = h.layout, W = wideLayout(h.ptrSize);
  if (h.profile.fcloseMarksNoClose && h.read32(fp + F.flags2) & FLAGS2_NOCLOSE) return 0;
  const mode = h.read32(fp + F.mode) | 0;
  // `_IO_vtable_offset (fp) == 0`: the byte before `_shortbuf`
  const wide = () => mode > 0 && (h.read32(fp + F.shortbuf - 1) & 0xff) === 0;
  const wideData = () => h.readPointer(fp + F.wideData);
  const writes = mode <= 0
    ? h.readPointer(fp + F.writePtr) > h.readPointer(fp + F.writeBase)
    : wide() && h.readPointer(wideData() + W.writePtr) > h.readPointer(wideData() + W.writeBase);
  let result = 0;
  if (writes) {
    const fn = reached(h, fp, "__overflow");
    if (fn === "invalid") return fatal(h);
    if (fn === "file") result = h.fileOverflow(fp, "overflow");
    else if (fn === "_IO_wfile_overflow") {
      result = yield* wfileOverflow(wideOverflowHost(h, call), fp, WEOF);
    } else h.refuse(`_IO_flush_all calling __overflow through a FILE's vtable ${fn.refused}`);
  }
  const reads = mode <= 0
    ? h.readPointer(fp + F.readPtr) < h.readPointer(fp + F.readEnd)
    : wide() && h.readPointer(wideData() + W.readPtr) < h.readPointer(wideData() + W.readEnd);
  if (h.profile.flushAllSyncsReaders && (h.read32(fp + F.fileno) | 0) >= 0 && reads) {
    const fn = reached(h, fp, "__sync", true);
    if (fn === "invalid") return fatal(h);
    h.refuse(`_IO_flush_all calling __sync through a FILE's vtable ${(fn as Refused).refused}`);
  }
  return result;
}

/** A call the walk does not model: the vtable and the function its slot holds. */
type Refused = { readonly refused: string };

/**
 * What a call through `slot` of the FILE's vtable reaches: "file" (fileops', unless `refuseAll`),
 * "invalid" (glibc's check fails), `_IO_wfile_overflow`, or what is refused.
 */
function reached(
  h: FlushAllHost,
  fp: number,
  slot: JumpSlot,
  refuseAll = false,
): "file" | "invalid" | "_IO_wfile_overflow" | Refused {
  const pointer = h.readPointer(fp + h.layout.vtable);
  const call = vtableCall(h.libc, h.profile.vtableValidation, pointer, slot);
  if (call === "invalid" || (call === "file" && !refuseAll)) return call;
  if (call === "file") {
    return { refused: h.libc.symbolAt(pointer) ?? `0x${pointer.toString(16)}` };
  }
  if (call.function === "_IO_wfile_overflow" && !refuseAll) return call.function;
  return { refused: `${call.vtable} reaching ${call.function ?? "a NULL or unknown word"}` };
}

/**
 * `_IO_wfile_overflow`'s view of a FILE in the process of `h`, whose wide vtable's
 * `__doallocate` it calls from `call` (exit, fflush, puts…).
 */
export function wideOverflowHost(h: FlushAllHost, call: string): WideOverflowHost {
  return {
    ...h,
    callDoallocate: (slot, file) =>
      h.callAt(slot, [file], "_wide_data->_wide_vtable->__doallocate", call),
    doWrite: (file) => h.fileOverflow(file, "write"),
  };
}

/** glibc's `__libc_fatal` for a vtable outside libc's. */
function fatal(h: FlushAllHost): "aborted" {
  h.fatal(INVALID_STDIO_HANDLE);
  return "aborted";
}

/**
 * `_IO_flockfile` on a forged FILE (nothing with `_IO_USER_LOCK`): its `_IO_lock_t` — `int lock`,
 * `int cnt`, `void *owner` — taken as the calling thread's, recursively; a NULL or unmapped
 * `_lock` faults; one another thread holds would be waited on forever (refused). Returns
 * `_IO_funlockfile`.
 */
function lockFile(h: FlushAllHost, fp: number): (() => void) | undefined {
  const F = h.layout;
  if (h.read32(fp + F.flags) & USER_LOCK) return undefined;
  const lock = h.readPointer(fp + F.lock), self = h.threadSelf(), owner = lock + 8;
  if (h.readPointer(owner) !== self) {
    if (h.read32(lock) !== 0) {
      h.refuse("_IO_flush_all waiting for a FILE's lock another thread holds");
    }
    h.write32(lock, 1);
    h.writePointer(owner, self);
  }
  h.write32(lock + 4, h.read32(lock + 4) + 1);
  return () => {
    const count = (h.read32(lock + 4) - 1) | 0;
    h.write32(lock + 4, count);
    if (count !== 0) return;
    h.writePointer(owner, 0);
    h.write32(lock, 0);
  };
}
