/**
 * Calls through pointers a program can overwrite, and where they land: glibc's malloc hooks
 * (`__malloc_hook`, `__free_hook`, `__realloc_hook`, `__memalign_hook`, called by malloc.c up to
 * glibc 2.33; the symbols stay in later libcs but nothing calls them). The hook words are read
 * from libc's memory on every call. Up to 2.33 three of them start out at glibc's `*_hook_ini`
 * functions, which clear the hook, run `ptmalloc_init` and go on with the call.
 *
 * A call that lands on a libc function the simulator knows runs it as far as it means anything:
 * `system(cmd)` records a {@link ShellSpawned} event with the command, `puts(s)` records what it
 * prints, `exit(status)` ends the process in a {@link ProcessExit}. Anything else ends the
 * operation in a typed {@link ControlFlowHijack} that names the target, the arguments, the
 * pointer followed and the glibc call that followed it; when nothing executable is mapped at the
 * target, the CPU faults on the jump and the hijack is also the process's SIGSEGV (its `signal`),
 * as real glibc's process dies there (the oracle's driver prints `segv`).
 *
 * @module
 */

import { PROT_EXEC } from "../kernel/vma.ts";
import type { MallocContext } from "./context.ts";
import type { HookName } from "./libc_state.ts";

export type { ChildExited, LibcEvent, ProgramOutput, ShellSpawned } from "./libc_events.ts";

/**
 * A glibc call followed an overwritten pointer to code the simulator does not run: in the real
 * process the CPU jumps to `target` with `args` (a one-gadget, a ROP pivot, garbage).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ControlFlowHijack } from "./hooks.ts";
 * const e = new ControlFlowHijack(0x4141414141414141n, [24, 0], "__malloc_hook", "malloc");
 * assert.equal(e.message, "malloc followed __malloc_hook to 0x4141414141414141 (0x18, 0x0)");
 * ```
 */
export class ControlFlowHijack extends Error {
  /** Where the call goes: a bigint when the word does not fit a number exactly (above 2^53). */
  readonly target: number | bigint;
  /** Its arguments, in order. */
  readonly args: readonly number[];
  /** The pointer followed (`__free_hook`, `__malloc_hook`, …). */
  readonly via: string;
  /** The glibc call that followed it. */
  readonly call: string;
  /** The libc symbol at the target, if it is one. */
  readonly symbol: string | undefined;
  /**
   * `SIGSEGV` when no executable mapping holds the target: the jump itself faults. Undefined
   * when code is mapped there, which the simulator does not run.
   */
  readonly signal: "SIGSEGV" | undefined;

  /** A call of `call` through `via` to `target` with `args`. */
  constructor(
    target: number | bigint,
    args: readonly number[],
    via: string,
    call: string,
    symbol?: string,
    signal?: "SIGSEGV",
  ) {
    const shown = args.map((a) => "0x" + a.toString(16)).join(", ");
    super(
      `${call} followed ${via} to 0x${target.toString(16)}${symbol ? ` <${symbol}>` : ""} ` +
        `(${shown})`,
    );
    this.name = "ControlFlowHijack";
    this.target = target;
    this.args = args;
    this.via = via;
    this.call = call;
    this.symbol = symbol;
    this.signal = signal;
  }
}

/** The process called `exit(status)` (through a hijacked pointer). */
export class ProcessExit extends Error {
  /** The exit status. */
  readonly status: number;
  /** The pointer followed. */
  readonly via: string;

  /** exit(status) reached through `via`. */
  constructor(status: number, via: string) {
    super(`The process exited with status ${status} (exit reached through ${via})`);
    this.name = "ProcessExit";
    this.status = status;
    this.via = via;
  }
}

/** Reads a NUL-terminated string (at most 4096 bytes) from simulated memory. */
function readCString(m: MallocContext, addr: number, max = 4096): string {
  let s = "";
  for (let i = 0; i < max; i++) {
    const b = m.memory.read8(addr + i);
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

/**
 * Calls the function at `target` with `args` on behalf of glibc's `call`, having read it from
 * `via`: runs system/puts/exit, throws {@link ControlFlowHijack} for anything else. Returns
 * what the function returns. The hooks call it, and so does stdio's call through a FILE's wide
 * vtable (`src/c/wfile_overflow.ts`, House of Apple 2).
 */
export function callThrough(
  m: MallocContext,
  target: number | bigint,
  args: readonly number[],
  via: string,
  call: string,
): number {
  const libc = m.libc;
  // A word from 2^63 up (a negative number) is shown unsigned; like any word beyond 2^53, it is
  // no user-space address: the jump faults.
  if (typeof target === "number" && target < 0) target = m.words.toBigInt(target);
  if (typeof target === "bigint") {
    throw new ControlFlowHijack(target, args, via, call, undefined, "SIGSEGV");
  }
  const name = libc.symbolNamed(target);
  switch (name) {
    case "system": {
      const command = readCString(m, args[0]);
      m.events.push({ kind: "ShellSpawned", command, via, call, target });
      return 0;
    }
    case "puts": {
      const text = readCString(m, args[0]) + "\n";
      m.events.push({ kind: "ProgramOutput", text, via, call });
      return text.length;
    }
    case "exit":
      throw new ProcessExit(args[0] & 0xff, via);
  }
  const area = m.process.space.areaAt(target);
  const executable = area !== undefined && (area.prot & PROT_EXEC) !== 0;
  throw new ControlFlowHijack(target, args, via, call, name, executable ? undefined : "SIGSEGV");
}

/** What a hook check decided: go on with glibc's own code, or return the hook's result. */
export const NO_HOOK = -1;

/**
 * glibc's hook check at the top of a public call (2.33 and older): reads the hook word; a
 * `*_hook_ini` function clears its hook(s) and lets the call go on; any other non-zero value is
 * called with the call's arguments (`a`, and `b` unless it is NaN) and glibc's caller address
 * (0). Returns {@link NO_HOOK} to go on, else the hook's result (a word). Nothing is
 * allocated unless a hook is called.
 */
export function runHook(
  m: MallocContext,
  hook: HookName,
  call: string,
  a: number,
  b = NaN,
): number {
  const libc = m.libc;
  if (!libc.hooksActive) return NO_HOOK;
  const at = libc.hooks[hook];
  const target = m.chunks.word(at);
  if (target === 0) return NO_HOOK;
  const ini = libc.symbolNamed(target);
  if (ini === "malloc_hook_ini" && hook === "__malloc_hook") {
    m.chunks.setWord(at, 0);
    return NO_HOOK;
  }
  if (ini === "realloc_hook_ini" && hook === "__realloc_hook") {
    m.chunks.setWord(libc.hooks.__malloc_hook, 0);
    m.chunks.setWord(at, 0);
    return NO_HOOK;
  }
  if (ini === "memalign_hook_ini" && hook === "__memalign_hook") {
    m.chunks.setWord(at, 0);
    return NO_HOOK;
  }
  const args = Number.isNaN(b) ? [a, 0] : [a, b, 0];
  return callThrough(m, Number.isSafeInteger(target) ? target : exactWord(m, at), args, hook, call);
}

/** The 64-bit word at `at` exactly, as a bigint (a number above 2^53 has lost its low bits). */
function exactWord(m: MallocContext, at: number): bigint {
  const low = m.memory.read32(at);
  const high = m.memory.read32(at + 4);
  return (BigInt(high) << 32n) | BigInt(low);
}
