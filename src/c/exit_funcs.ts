/**
 * exit's handler list as x86_64 and i386 glibc keep and run it (stdlib/exit.h, cxa_atexit.c,
 * on_exit.c, atexit.c, exit.c): libc's static `initial` (a `struct exit_function_list` of 32
 * entries) reached from `__exit_funcs`, each entry four words — a flavor (`ef_free` 0, `ef_us` 1,
 * `ef_on` 2, `ef_at` 3, `ef_cxa` 4), a function pointer mangled with the pointer guard
 * (`PTR_MANGLE`: rotate left the pointer xor the guard, by 0x11 on x86_64, 9 on i386), its
 * argument and dso_handle.
 *
 * - At the program's start (ld.so and `__libc_start_main`): the stack guard (`%fs:0x28`, i386's
 *   `%gs:0x14`) is AT_RANDOM's first word with the low byte cleared, the pointer guard its next
 *   word — in the TCB (`%fs:0x30`, `%gs:0x18`) up to 2.43, from 2.44 in ld.so's read-only
 *   `__pointer_chk_guard` (the TCB's word 0, AT_RANDOM's bytes then overwritten by getrandom) —
 *   and `initial` holds one entry, `{ ef_cxa, PTR_MANGLE(_dl_fini), 0, 0 }`.
 * - `__cxa_atexit`, `on_exit` and `atexit` (= `__cxa_atexit(fn, NULL, __dso_handle)`) take an
 *   entry from `__new_exitfn`: the first list's first free slot above its last used one; when
 *   that list is full, a new list calloc'ed (0x410 bytes, a 0x420 chunk) becomes the head.
 *   After exit has run the lists, registration fails (-1).
 * - exit (and a return from main) takes the entries from the head down, each demangled with the
 *   guard as memory holds it then: `ef_on` calls fn(status, arg), `ef_at` fn(), `ef_cxa`
 *   (marked `ef_free` first) fn(arg, status). A handler that registered another makes exit start
 *   over at the head; a list emptied is freed unless it is the last (`initial`). A handler that
 *   calls exit again runs the rest of the list in that exit, whose status is the process's.
 *   Before the lists, `__call_tls_dtors` (`tls_dtors.ts`); after them, `_IO_cleanup`'s flush
 *   (`flush_all.ts`).
 *
 * Checked against real runs of 2.31, 2.36, 2.41, 2.43 and 2.44 (tests/fixtures/c/exit_handlers/).
 *
 * @module
 */

import type { Signal } from "./interpreter.ts";

/** The entry is free. */
export const EF_FREE = 0;
/** The entry is taken, its flavor not yet set. */
export const EF_US = 1;
/** `on_exit`: fn(status, arg). */
export const EF_ON = 2;
/** `atexit` of old binaries: fn(). */
export const EF_AT = 3;
/** `__cxa_atexit` (and `atexit`): fn(arg, status). */
export const EF_CXA = 4;

/** Entries of one `struct exit_function_list`. */
const ENTRIES = 32;

/**
 * sizeof (struct exit_function_list) — `next` and `idx`, then 32 entries of four words — for
 * words of `wordSize` bytes: what `__new_exitfn` callocs (0x410 bytes on x86_64, 0x208 on i386).
 */
export function exitListSize(wordSize: 4 | 8): number {
  return (2 + ENTRIES * 4) * wordSize;
}

/** `PTR_MANGLE`'s rotation: 0x11 on x86_64 (64-bit words), 9 on i386. */
function rotation(bits: 32 | 64): bigint {
  return bits === 64 ? 17n : 9n;
}

/** `PTR_MANGLE` of x86_64 (`bits` 64) or i386 (32): rotate left the pointer xor the guard. */
export function mangle(pointer: bigint, guard: bigint, bits: 32 | 64 = 64): bigint {
  const v = BigInt.asUintN(bits, pointer ^ guard), r = rotation(bits);
  return BigInt.asUintN(bits, (v << r) | (v >> (BigInt(bits) - r)));
}

/**
 * `PTR_DEMANGLE` of x86_64 (`bits` 64) or i386 (32): rotate right, then xor the guard.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demangle, mangle } from "./exit_funcs.ts";
 * assert.equal(mangle(1n, 0n), 0x20000n);
 * assert.equal(mangle(1n, 0n, 32), 0x200n);
 * assert.equal(demangle(mangle(0x401136n, 0x1234n), 0x1234n), 0x401136n);
 * ```
 */
export function demangle(word: bigint, guard: bigint, bits: 32 | 64 = 64): bigint {
  const v = BigInt.asUintN(bits, word), r = rotation(bits);
  return BigInt.asUintN(bits, (v >> r) | (v << (BigInt(bits) - r))) ^ guard;
}

/** What the list works on: libc's words, the heap, and where the guard is. */
export interface ExitListHost {
  /** Bytes of a word (`long`, a pointer, `size_t`): 8 on x86_64, 4 on i386. */
  readonly wordSize: 4 | 8;
  readWord(address: number): bigint;
  writeWord(address: number, value: bigint): void;
  /** `__new_exitfn_called` is a `uint64_t` on both. */
  read64(address: number): bigint;
  write64(address: number, value: bigint): void;
  read8(address: number): number;
  write8(address: number, value: number): void;
  /** `calloc(1, size)`: 0 when it fails. */
  calloc(size: number): number;
  free(pointer: number): void;
  /** The pointer guard as `PTR_DEMANGLE` reads it now (the TCB's word, or ld.so's). */
  pointerGuard(): bigint;
}

/** Where libc keeps the list's state (absolute addresses). */
export interface ExitListPlace {
  readonly initial: number;
  readonly exitFuncs: number;
  readonly newExitfnCalled: number;
  readonly exitFuncsDone: number;
}

/** A handler exit is about to call: the demangled pointer, its arguments, and what held it. */
export interface ExitCall {
  readonly target: bigint;
  readonly args: readonly number[];
  /** `initial.fns[0]`, or the heap list's address and entry. */
  readonly via: string;
}

/** A handler called exit again (`status`): the rest of the list runs in that exit. */
export class NestedExit {
  /** The new exit's status. */
  constructor(readonly status: number) {}
}

/**
 * libc's exit list in one process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EF_CXA, ExitList } from "./exit_funcs.ts";
 * const words = new Map<number, bigint>(), bytes = new Map<number, number>();
 * const list = new ExitList({
 *   wordSize: 8,
 *   readWord: (a) => words.get(a) ?? 0n,
 *   writeWord: (a, v) => void words.set(a, v),
 *   read64: (a) => words.get(a) ?? 0n,
 *   write64: (a, v) => void words.set(a, v),
 *   read8: (a) => bytes.get(a) ?? 0,
 *   write8: (a, v) => void bytes.set(a, v),
 *   calloc: () => 0,
 *   free: () => {},
 *   pointerGuard: () => 0x1234n,
 * }, { initial: 0x1000, exitFuncs: 0x2000, newExitfnCalled: 0x2008, exitFuncsDone: 0x2010 });
 * list.start(0x7000n);
 * assert.equal(list.register(EF_CXA, 0x401136n, 0, 0), 0);
 * assert.equal(words.get(0x1008), 2n); // initial.idx
 * ```
 */
export class ExitList {
  readonly #host: ExitListHost;
  readonly #place: ExitListPlace;

  /** The list of a process whose libc state lies at `place`. */
  constructor(host: ExitListHost, place: ExitListPlace) {
    this.#host = host;
    this.#place = place;
  }

  /**
   * What `__libc_start_main` leaves: `__exit_funcs` = &initial, and initial's one entry, ld.so's
   * `_dl_fini` registered by `__cxa_atexit(rtld_fini, NULL, NULL)`.
   */
  start(dlFini: bigint): void {
    const { initial, exitFuncs } = this.#place, h = this.#host;
    h.writeWord(exitFuncs, BigInt(initial));
    h.writeWord(initial, 0n);
    h.writeWord(initial + h.wordSize, 0n);
    this.register(EF_CXA, dlFini, 0, 0);
  }

  /**
   * `__internal_atexit` / `__on_exit`: an entry of `flavor` for `fn` (mangled) with `arg` and
   * (ef_cxa) `dso`. 0, or -1 when exit has already run the list (or calloc failed).
   */
  register(flavor: typeof EF_ON | typeof EF_CXA, fn: bigint, arg: number, dso: number): number {
    const h = this.#host, w = h.wordSize, entry = this.#newExitFn();
    if (entry === undefined) return -1;
    h.writeWord(entry + w, mangle(fn, h.pointerGuard(), this.#bits));
    h.writeWord(entry + 2 * w, BigInt(arg));
    h.writeWord(entry + 3 * w, BigInt(dso));
    h.writeWord(entry, BigInt(flavor));
    return 0;
  }

  /** `__new_exitfn`: the entry to fill (marked `ef_us`), or undefined. */
  #newExitFn(): number | undefined {
    const h = this.#host, place = this.#place, w = h.wordSize;
    if (h.read8(place.exitFuncsDone) !== 0) return undefined;
    let previous = 0, list = this.#word(place.exitFuncs), used = 0;
    // the first list with a used entry; lists found wholly free on the way are emptied
    for (; list !== 0; previous = list, list = this.#word(list)) {
      for (used = this.#word(list + w); used > 0; used--) {
        if (h.readWord(entryAt(list, used - 1, w)) !== BigInt(EF_FREE)) break;
      }
      if (used > 0) break;
      h.writeWord(list + w, 0n);
    }
    let entry: number | undefined;
    if (list === 0 || used === ENTRIES) {
      // full: the previous (wholly free) list's first entry, else a new list at the head
      if (previous === 0) {
        previous = h.calloc(exitListSize(w));
        if (previous !== 0) {
          h.writeWord(previous, BigInt(this.#word(place.exitFuncs)));
          h.writeWord(place.exitFuncs, BigInt(previous));
        }
      }
      if (previous !== 0) {
        entry = entryAt(previous, 0, w);
        h.writeWord(previous + w, 1n);
      }
    } else {
      entry = entryAt(list, used, w);
      h.writeWord(list + w, BigInt(used + 1));
    }
    if (entry !== undefined) {
      h.writeWord(entry, BigInt(EF_US));
      h.write64(place.newExitfnCalled, h.read64(place.newExitfnCalled) + 1n);
    }
    return entry;
  }

  /**
   * `__run_exit_handlers`' walk of the lists: each handler is given to `call`, which runs it (and
   * throws {@link NestedExit} for a handler that called exit). The status exit ends with.
   */
  *run(status: number, call: (c: ExitCall) => Generator<Signal, void>): Generator<Signal, number> {
    const h = this.#host, place = this.#place, w = h.wordSize;
    for (;;) {
      const list = this.#word(place.exitFuncs);
      if (list === 0) {
        h.write8(place.exitFuncsDone, 1);
        return status;
      }
      let restart = false;
      for (let idx = this.#word(list + w); idx > 0 && !restart; idx = this.#word(list + w)) {
        h.writeWord(list + w, BigInt(idx - 1));
        const before = h.read64(place.newExitfnCalled);
        const handler = this.#handler(list, idx - 1, status);
        if (handler) {
          try {
            yield* call(handler);
          } catch (e) {
            if (!(e instanceof NestedExit)) throw e;
            status = e.status; // that exit goes on with the list from here
          }
        }
        restart = h.read64(place.newExitfnCalled) !== before;
      }
      if (restart) continue;
      const next = this.#word(list);
      h.writeWord(place.exitFuncs, BigInt(next));
      if (next !== 0) h.free(list);
    }
  }

  /** The call entry `i` of `list` asks for (ef_cxa's is marked free first), or undefined. */
  #handler(list: number, i: number, status: number): ExitCall | undefined {
    const h = this.#host, w = h.wordSize, entry = entryAt(list, i, w), bits = this.#bits;
    const flavor = h.readWord(entry), fn = h.readWord(entry + w), arg = this.#word(entry + 2 * w);
    const via = `${list === this.#place.initial ? "initial" : `0x${list.toString(16)}`}.fns[${i}]`;
    switch (flavor) {
      case BigInt(EF_ON):
        return { target: demangle(fn, h.pointerGuard(), bits), args: [status, arg], via };
      case BigInt(EF_AT):
        return { target: demangle(fn, h.pointerGuard(), bits), args: [], via };
      case BigInt(EF_CXA):
        h.writeWord(entry, BigInt(EF_FREE));
        return { target: demangle(fn, h.pointerGuard(), bits), args: [arg, status], via };
      default: // ef_free, ef_us, and any other value: skipped
        return undefined;
    }
  }

  /** A word of the list read as an address (a word beyond 2^53 kept as its low bits' number). */
  #word(address: number): number {
    return Number(BigInt.asUintN(53, this.#host.readWord(address)));
  }

  /** Bits of a word. */
  get #bits(): 32 | 64 {
    return this.#host.wordSize === 8 ? 64 : 32;
  }
}

/** Entry `i` of `list`: past `next` and `idx`, four words an entry. */
function entryAt(list: number, i: number, wordSize: number): number {
  return list + (2 + 4 * i) * wordSize;
}
