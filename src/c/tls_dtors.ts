/**
 * TLS destructors as x86_64 glibc registers and runs them (stdlib/cxa_thread_atexit_impl.c):
 * what C++'s `thread_local` registers, and C programs calling `__cxa_thread_atexit_impl`
 * themselves.
 *
 * - `__cxa_thread_atexit_impl(func, obj, dso_symbol)` callocs a `struct dtor_list` — four words,
 *   `{ PTR_MANGLE(func), obj, link_map, next }`, 32 bytes: a 0x30 chunk of the calling thread's
 *   arena — and pushes it on the thread's `tls_dtor_list`, a TLS variable of libc at a fixed
 *   offset below the thread pointer. The link_map is the object holding `dso_symbol` (the
 *   program's: the main map, which ld.so's early calloc put in the page after its data); its
 *   `l_tls_dtor_count` goes up by one.
 * - `__call_tls_dtors` (exit's first step, and a thread's end, on that thread) takes the head:
 *   demangles its func with the pointer guard as memory holds it then, unlinks it, calls
 *   func(obj), lowers `map->l_tls_dtor_count` (a fault where map is no mapped address) and
 *   frees the node; until the list is empty. A destructor that registers another runs it next.
 *
 * So a forged `tls_dtor_list` (one TLS write) pointing at `{ PTR_MANGLE(system), "/bin/sh", map,
 * NULL }` runs system("/bin/sh") at exit. Checked against real runs of 2.31, 2.36, 2.41, 2.43
 * and 2.44 (tests/fixtures/c/exit_handlers/: tls_dtors.c, tls_exploit.c).
 *
 * @module
 */

import { demangle, mangle } from "./exit_funcs.ts";
import type { Signal } from "./interpreter.ts";

/** x86_64's `struct dtor_list`: func, obj, map, next. */
const FUNC = 0, OBJ = 8, MAP = 16, NEXT = 24;
/** sizeof (struct dtor_list) on x86_64: what `__cxa_thread_atexit_impl` callocs. */
export const DTOR_NODE_SIZE = 32;

/**
 * Where ld.so's early calloc put the main program's `struct link_map` in the page after its data,
 * by version (the page offset a real run prints: tests/fixtures/c/exit_handlers/tls_dtors/).
 */
export const MAIN_LINK_MAP_PAGE_OFFSET: Readonly<Record<string, number>> = {
  "2.31": 0x180,
  "2.36": 0x2e0,
  "2.41": 0x5f0,
  "2.43": 0x2e0,
  "2.44": 0x3c0,
};

/** What the destructors work on: memory, the thread's arena, the running thread's TLS. */
export interface TlsDtorsHost {
  read64(address: number): bigint;
  write64(address: number, value: bigint): void;
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
 *   read64: (a: number) => words.get(a) ?? 0n,
 *   write64: (a: number, v: bigint) => void words.set(a, v),
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
  const node = host.calloc(DTOR_NODE_SIZE);
  if (node === 0) return undefined;
  const slot = host.listSlot();
  host.write64(node + FUNC, mangle(BigInt(func), host.pointerGuard()));
  host.write64(node + OBJ, BigInt(obj));
  host.write64(node + NEXT, host.read64(slot));
  host.write64(slot, BigInt(node));
  const count = linkMap + host.countOffset;
  host.write64(count, BigInt.asUintN(64, host.read64(count) + 1n));
  host.write64(node + MAP, BigInt(linkMap));
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
  const slot = host.listSlot();
  for (let node = word(host, slot); node !== 0; node = word(host, slot)) {
    const func = demangle(host.read64(node + FUNC), host.pointerGuard());
    host.write64(slot, host.read64(node + NEXT));
    try {
      yield* host.call(func, [word(host, node + OBJ)], "tls_dtor_list->func (TLS destructor)");
    } catch (e) {
      if (nested(e)) continue;
      throw e;
    }
    const count = word(host, node + MAP) + host.countOffset;
    host.write64(count, BigInt.asUintN(64, host.read64(count) - 1n));
    host.free(node);
  }
}

/** A word read as an address (a word beyond 2^53 kept as its low bits' number). */
function word(host: TlsDtorsHost, address: number): number {
  return Number(BigInt.asUintN(53, host.read64(address)));
}
