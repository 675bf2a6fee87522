/**
 * TLS destructors as x86_64 and i386 glibc register and run them
 * (stdlib/cxa_thread_atexit_impl.c): what C++'s `thread_local` registers, and C programs calling
 * `__cxa_thread_atexit_impl` themselves.
 *
 * - `__cxa_thread_atexit_impl(func, obj, dso_symbol)` callocs a `struct dtor_list` — four words,
 *   `{ PTR_MANGLE(func), obj, link_map, next }`, 32 bytes on x86_64 (a 0x30 chunk of the calling
 *   thread's arena), 16 on i386 (a 0x20 chunk) — and pushes it on the thread's `tls_dtor_list`, a
 *   TLS variable of libc at a fixed offset below the thread pointer. The link_map is the object
 *   holding `dso_symbol` (the program's: the main map, the first block of ld.so's early calloc,
 *   at its `_end`); its `l_tls_dtor_count` goes up by one.
 * - `__call_tls_dtors` (exit's first step, and a thread's end, on that thread) takes the head:
 *   demangles its func with the pointer guard as memory holds it then, unlinks it, calls
 *   func(obj), lowers `map->l_tls_dtor_count` (a fault where map is no mapped address) and
 *   frees the node; until the list is empty. A destructor that registers another runs it next.
 *
 * So a forged `tls_dtor_list` (one TLS write) pointing at `{ PTR_MANGLE(system), "/bin/sh", map,
 * NULL }` runs system("/bin/sh") at exit. Checked against real runs of 2.31, 2.36, 2.41, 2.43
 * and 2.44, x86_64's and i386's under qemu-i386 (tests/fixtures/c/exit_handlers/: tls_dtors.c,
 * tls_exploit.c).
 *
 * @module
 */

import { demangle, mangle } from "./exit_funcs.ts";
import type { Signal } from "./interpreter.ts";

/** `struct dtor_list`'s words, in order: func, obj, map, next (each a word: 8 or 4 bytes). */
const FUNC = 0, OBJ = 1, MAP = 2, NEXT = 3;

/** sizeof (struct dtor_list), what `__cxa_thread_atexit_impl` callocs: four words. */
export function dtorNodeSize(wordSize: 4 | 8): number {
  return 4 * wordSize;
}

/**
 * Where ld.so's early calloc put the main program's `struct link_map`: its first block, at its
 * `_end` aligned up to 16 (the minimal malloc's MALLOC_ALIGNMENT, i386's too) — the address a
 * real x86_64 run prints, and its distance from AT_BASE under qemu-i386
 * (tests/fixtures/c/exit_handlers/tls_dtors/, tls_dtors_i386/).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mainLinkMapAt } from "./tls_dtors.ts";
 * assert.equal(mainLinkMapAt(0x7ffff7ffe178), 0x7ffff7ffe180); // 2.31 x86_64's _end
 * assert.equal(mainLinkMapAt(0xf7ffd980), 0xf7ffd980); // 2.31 i386's, already aligned
 * ```
 */
export function mainLinkMapAt(ldEnd: number): number {
  return Math.ceil(ldEnd / 16) * 16;
}

/** What the destructors work on: memory, the thread's arena, the running thread's TLS. */
export interface TlsDtorsHost {
  /** Bytes of a word: 8 on x86_64, 4 on i386. */
  readonly wordSize: 4 | 8;
  readWord(address: number): bigint;
  writeWord(address: number, value: bigint): void;
  /** `calloc(1, size)` in the running thread's arena: 0 when it fails. */
  calloc(size: number): number;
  free(pointer: number): void;
  /** The pointer guard as the running thread's `PTR_MANGLE` reads it now. */
  pointerGuard(): bigint;
  /** The running thread's `tls_dtor_list`. */
  listSlot(): number;
  /** `l_tls_dtor_count`'s offset in `struct link_map`. */
  readonly countOffset: number;
  /** Calls what `__call_tls_dtors` demangled, with `obj`. */
  call(target: bigint, args: readonly number[], via: string): Generator<Signal, void>;
}

/**
 * `__cxa_thread_atexit_impl`'s work once the link_map is known: the node calloc'ed and pushed,
 * the map's count raised. 0, or undefined when calloc failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerTlsDtor } from "./tls_dtors.ts";
 * const words = new Map<number, bigint>();
 * const host = {
 *   wordSize: 8 as const,
 *   readWord: (a: number) => words.get(a) ?? 0n,
 *   writeWord: (a: number, v: bigint) => void words.set(a, v),
 *   calloc: () => 0x5000,
 *   free: () => {},
 *   pointerGuard: () => 0n,
 *   listSlot: () => 0x100,
 *   countOffset: 0x460,
 *   *call() {},
 * };
 * assert.equal(registerTlsDtor(host, 0x401136, 0x402004, 0x7000), 0);
 * assert.equal(words.get(0x100), 0x5000n); // tls_dtor_list
 * assert.equal(words.get(0x7460), 1n); // the map's l_tls_dtor_count
 * ```
 */
export function registerTlsDtor(
  host: TlsDtorsHost,
  func: number,
  obj: number,
  linkMap: number,
): number | undefined {
  const w = host.wordSize, bits = w === 8 ? 64 : 32;
  const node = host.calloc(dtorNodeSize(w));
  if (node === 0) return undefined;
  const slot = host.listSlot();
  host.writeWord(node + FUNC * w, mangle(BigInt(func), host.pointerGuard(), bits));
  host.writeWord(node + OBJ * w, BigInt(obj));
  host.writeWord(node + NEXT * w, host.readWord(slot));
  host.writeWord(slot, BigInt(node));
  const count = linkMap + host.countOffset;
  host.writeWord(count, BigInt.asUintN(bits, host.readWord(count) + 1n));
  host.writeWord(node + MAP * w, BigInt(linkMap));
  return 0;
}

/**
 * `__call_tls_dtors` on the running thread. `nested` is given the error a destructor's call
 * threw: true when that call never returns to finish its node (it called exit, which goes on
 * with the list itself), false to rethrow.
 */
export function* callTlsDtors(
  host: TlsDtorsHost,
  nested: (e: unknown) => boolean = () => false,
): Generator<Signal, void> {
  const slot = host.listSlot(), w = host.wordSize, bits = w === 8 ? 64 : 32;
  for (let node = word(host, slot); node !== 0; node = word(host, slot)) {
    const func = demangle(host.readWord(node + FUNC * w), host.pointerGuard(), bits);
    host.writeWord(slot, host.readWord(node + NEXT * w));
    try {
      yield* host.call(func, [word(host, node + OBJ * w)], "tls_dtor_list->func (TLS destructor)");
    } catch (e) {
      if (nested(e)) continue;
      throw e;
    }
    const count = word(host, node + MAP * w) + host.countOffset;
    host.writeWord(count, BigInt.asUintN(bits, host.readWord(count) - 1n));
    host.free(node);
  }
}

/** A word read as an address (a word beyond 2^53 kept as its low bits' number). */
function word(host: TlsDtorsHost, address: number): number {
  return Number(BigInt.asUintN(53, host.readWord(address)));
}
