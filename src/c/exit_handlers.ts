/**
 * A C program's view of exit's handlers (`exit_funcs.ts` models the list, `tls_dtors.ts` the TLS
 * destructors): what ld.so and `__libc_start_main` leave before main — AT_RANDOM's 16 bytes on
 * the stack, the stack and pointer guards derived from them (`_dl_setup_stack_chk_guard`,
 * `_dl_setup_pointer_guard`), `initial` with ld.so's `_dl_fini` — then `atexit`, `on_exit`,
 * `__cxa_atexit`, `__cxa_thread_atexit_impl` and `getauxval(AT_RANDOM / AT_BASE)`, and exit's
 * calls: the running thread's TLS destructors, then the handlers. A function of the program
 * runs; `_dl_fini` runs the program's destructors (`init_fini.ts`: `.fini_array` last to first,
 * so that a hijack of that entry skips them, as real); `system`, `puts` and `exit` of libc are as the hooks' calls are
 * (`system("/bin/sh")` records a ShellSpawned event and returns 0); anything else is a hijack
 * (SIGSEGV where nothing executable is there).
 *
 * Threads: `pthread_create` copies its caller's stack guard (`%fs:0x28`, `%gs:0x14`) into the new
 * thread's TCB, and up to 2.43 its pointer guard (`%fs:0x30`, `%gs:0x18`; 2.44 leaves that word as the stack held
 * it, a cached stack its last thread's value). `PTR_MANGLE` and `PTR_DEMANGLE` read the running
 * thread's guard (up to 2.43), so a handler registered by a thread that overwrote its own is
 * demangled wrongly by main's exit. A thread's end runs its TLS destructors on it.
 *
 * ld.so keeps a copy of the pointer guard in its RELRO data, `__pointer_chk_guard_local` (from
 * 2.44 also exported as `__pointer_chk_guard`, the guard `PTR_MANGLE` reads): written where the
 * build's ld.so is mapped, read-only from then on (a program that reads it at AT_BASE + its offset
 * gets the guard on every version; a write faults).
 *
 * Modelled with libc's real data, x86_64's (the built-in layout started as exec starts it) and
 * i386's (`%gs:0x14` and `%gs:0x18`, 4-byte words; AT_RANDOM's bytes past the strings of heaplab's
 * own start stack): checked against real runs, i386's under qemu-i386. Layouts without libc's
 * real data are refused by name, and so is `__cxa_thread_atexit_impl` where ld.so is not the
 * build's (the main link_map is at its `_end`).
 *
 * @module
 */

import { SeededRandom } from "../kernel/random.ts";
import type { LibcState } from "../malloc/libc_state.ts";
import type { GlibcProfile } from "../malloc/profile.ts";
import { ProcessExit } from "../malloc/hooks.ts";
import { EF_CXA, EF_ON, type ExitCall, ExitList, NestedExit } from "./exit_funcs.ts";
import { ProgramExit, type Signal } from "./interpreter.ts";
import { callTlsDtors, mainLinkMapAt, registerTlsDtor, type TlsDtorsHost } from "./tls_dtors.ts";
import { runDestructors } from "./init_fini.ts";

/** getauxval's types heaplab answers. */
const AT_BASE = 7, AT_RANDOM = 25;
/** The TCB's stack guard and pointer guard (`tcbhead_t`): `%fs:0x28`/`0x30`, `%gs:0x14`/`0x18`. */
const TCB_GUARDS = { x86_64: [0x28, 0x30], i386: [0x14, 0x18] } as const;
/** Mixed into the process's seed for AT_RANDOM's bytes (the tcache key's source stays apart). */
const AT_RANDOM_SALT = 0x41545f52;

/** What the handlers work with in the program's process. */
export interface ExitHandlersHost {
  readonly libc: LibcState;
  readonly profile: GlibcProfile;
  read8(address: number): number;
  write8(address: number, value: number): void;
  read32(address: number): number;
  write32(address: number, value: number): void;
  /** The main thread's thread pointer (`%fs` base). */
  readonly threadPointer: number;
  /** The running thread's thread pointer. */
  currentThreadPointer(): number;
  /** ld.so's base (its first mapping), or undefined. */
  readonly ldBase: number | undefined;
  /** Whether `address` lies in writable memory. */
  isWritable(address: number): boolean;
  /** A 4-byte write into ld.so's RELRO data before it is made read-only (the loader's). */
  writeRelro32(address: number, value: number): void;
  /** Whether `address` lies in a mapping of libc or ld.so. */
  inLibrary(address: number): boolean;
  /** The simulation's seed state (AT_RANDOM's bytes are drawn from it, apart). */
  readonly seed: number;
  calloc(size: number): number;
  free(pointer: number): void;
  /**
   * Calls what exit demangled on the running thread: a function of the program (it may throw
   * its own exit), else libc's function at that address as a hijacked pointer's call is made.
   */
  call(target: bigint, args: readonly number[], via: string): Generator<Signal, void>;
  refuse(what: string): never;
  /** The program's `.fini_array`: its destructors' addresses, which `_dl_fini` calls. */
  readonly finiArray: readonly number[];
}

/** exit's handlers and the guards of one program (x86_64 or i386, libc's real data). */
export class ExitHandlers {
  readonly #host: ExitHandlersHost;
  readonly #list: ExitList;
  readonly #atRandom: number;
  readonly #ldGuard: bigint;
  /** Bytes of a word (8 on x86_64, 4 on i386), and the TCB's guards' offsets. */
  readonly #wordSize: 4 | 8;
  readonly #stackGuardAt: number;
  readonly #pointerGuardAt: number;
  readonly #dsoHandle: number;
  readonly #tlsDtors: TlsDtorsHost;
  /** The main link_map, where ld.so's data is followed by its page; else why not. */
  readonly #mainLinkMap: number | string;

  /**
   * ld.so's and `__libc_start_main`'s work, AT_RANDOM's bytes being at `atRandom`, the program's
   * `__dso_handle` (what its `atexit` passes) at `dsoHandle`.
   */
  constructor(host: ExitHandlersHost, atRandom: number, dsoHandle: number) {
    this.#host = host;
    this.#dsoHandle = dsoHandle;
    this.#atRandom = atRandom;
    const random = new SeededRandom(host.seed ^ AT_RANDOM_SALT), h = host;
    const bytes = (at: number) => {
      for (let i = 0; i < 16; i += 4) h.write32(at + i, random.nextUint32());
    };
    bytes(atRandom);
    const arch = host.libc.build.facts.arch, w = arch === "x86_64" ? 8 : 4;
    this.#wordSize = w;
    [this.#stackGuardAt, this.#pointerGuardAt] = TCB_GUARDS[arch];
    const tp = h.threadPointer, word = (a: number) => this.#readWord(a);
    const stackGuard = word(atRandom) & ~0xffn, pointerGuard = word(atRandom + w);
    this.#writeWord(tp + this.#stackGuardAt, stackGuard);
    const inTcb = host.profile.pointerGuard === "tcb";
    this.#writeWord(tp + this.#pointerGuardAt, inTcb ? pointerGuard : 0n);
    this.#ldGuard = pointerGuard;
    const libc = host.libc, at = (name: string) => libc.symbol(name)!;
    // ld.so's copy in its RELRO data, where the build's ld.so is mapped
    const copy = libc.ldSymbol("__pointer_chk_guard_local");
    if (copy !== undefined) {
      h.writeRelro32(copy, Number(pointerGuard & 0xffffffffn));
      if (w === 8) h.writeRelro32(copy + 4, Number(pointerGuard >> 32n));
    }
    if (!inTcb) bytes(atRandom); // ld.so's getrandom over AT_RANDOM once both guards are set
    // PTR_MANGLE's guard: the running thread's TCB word (up to 2.43), or ld.so's (2.44), read
    // where it is mapped
    const inLd = libc.ldSymbol("__pointer_chk_guard");
    const guard = () =>
      inTcb
        ? word(h.currentThreadPointer() + this.#pointerGuardAt)
        : inLd !== undefined
        ? word(inLd)
        : this.#ldGuard;
    this.#list = new ExitList({
      wordSize: w,
      readWord: word,
      writeWord: (a, v) => this.#writeWord(a, v),
      read64: (a) => this.#read64(a),
      write64: (a, v) => this.#write64(a, v),
      read8: (a) => h.read8(a),
      write8: (a, v) => h.write8(a, v),
      calloc: (size) => h.calloc(size),
      free: (p) => h.free(p),
      pointerGuard: guard,
    }, {
      initial: at("initial"),
      exitFuncs: at("__exit_funcs"),
      newExitfnCalled: at("__new_exitfn_called"),
      exitFuncsDone: at("__exit_funcs_done"),
    });
    this.#list.start(BigInt(this.#dlFini ?? 0));
    // libc's TLS block ends at the thread pointer, rounded up to its alignment
    const f = libc.build.facts, tls = f.tlsBlock;
    const block = Math.ceil(tls.size / tls.align) * tls.align;
    this.#tlsDtors = {
      wordSize: w,
      readWord: word,
      writeWord: (a, v) => this.#writeWord(a, v),
      calloc: (size) => h.calloc(size),
      free: (p) => h.free(p),
      pointerGuard: guard,
      listSlot: () => h.currentThreadPointer() + tls.tlsDtorList - block,
      countOffset: f.linkMapTlsDtorCount,
      call: (target, args, via) => h.call(target, args, via),
    };
    this.#mainLinkMap = mainLinkMap(host);
  }

  /** ld.so's `_dl_fini`, where ld.so is mapped. */
  get #dlFini(): number | undefined {
    const ld = this.#host.ldBase, offset = this.#host.libc.build.facts.ldSymbols._dl_fini;
    return ld === undefined || offset === undefined ? undefined : ld + offset;
  }

  #read64(address: number): bigint {
    return (BigInt(this.#host.read32(address + 4)) << 32n) | BigInt(this.#host.read32(address));
  }

  #write64(address: number, value: bigint): void {
    this.#host.write32(address, Number(value & 0xffffffffn));
    this.#host.write32(address + 4, Number((value >> 32n) & 0xffffffffn));
  }

  /** A word of libc's (8 bytes on x86_64, 4 on i386). */
  #readWord(address: number): bigint {
    return this.#wordSize === 8 ? this.#read64(address) : BigInt(this.#host.read32(address));
  }

  #writeWord(address: number, value: bigint): void {
    if (this.#wordSize === 8) this.#write64(address, value);
    else this.#host.write32(address, Number(BigInt.asUintN(32, value)));
  }

  /** `__cxa_atexit(fn, arg, dso)`: 0 or -1. */
  cxaAtexit(fn: number, arg: number, dso: number): number {
    return this.#list.register(EF_CXA, BigInt(fn), arg, dso);
  }

  /** `atexit(fn)` (libc_nonshared's): `__cxa_atexit(fn, NULL, __dso_handle)`. */
  atexit(fn: number): number {
    return this.cxaAtexit(fn, 0, this.#dsoHandle);
  }

  /** `on_exit(fn, arg)`: 0 or -1. */
  onExit(fn: number, arg: number): number {
    return this.#list.register(EF_ON, BigInt(fn), arg, 0);
  }

  /** `getauxval(type)` for AT_RANDOM and AT_BASE; the others are refused by name. */
  auxval(type: number): number {
    if (type === AT_RANDOM) return this.#atRandom;
    if (type === AT_BASE) return this.#host.ldBase ?? 0;
    this.#host.refuse(`getauxval(${type}): only AT_BASE (7) and AT_RANDOM (25) are modelled`);
  }

  /**
   * `__cxa_thread_atexit_impl(func, obj, dso_symbol)`: 0. The link_map is the main program's
   * for an address of the program; NULL (the thread's last one, none at first: a fault in
   * glibc) and libraries' addresses (their own link_maps) are refused by name.
   */
  cxaThreadAtexit(func: number, obj: number, dsoSymbol: number): number {
    const what = "__cxa_thread_atexit_impl";
    if (dsoSymbol === 0) this.#host.refuse(`${what} with a NULL dso_symbol (no link_map cached)`);
    if (this.#host.inLibrary(dsoSymbol)) {
      this.#host.refuse(`${what} with a dso_symbol in libc or ld.so (their link_maps)`);
    }
    const map = this.#mainLinkMap;
    if (typeof map === "string") this.#host.refuse(`${what} ${map}`);
    return registerTlsDtor(this.#tlsDtors, func, obj, map) ??
      this.#host.refuse(`${what} with calloc failing (glibc's fatal error)`);
  }

  /**
   * `pthread_create`'s copies into the new TCB at `threadPointer` from the creating thread's:
   * the stack guard, and up to 2.43 the pointer guard.
   */
  threadCreated(threadPointer: number): void {
    const from = this.#host.currentThreadPointer();
    const copy = (offset: number) =>
      this.#writeWord(threadPointer + offset, this.#readWord(from + offset));
    copy(this.#stackGuardAt);
    if (this.#host.profile.pointerGuard === "tcb") copy(this.#pointerGuardAt);
  }

  /** A thread's `body`, then its end's `__call_tls_dtors` on it. */
  *threadBody<T>(body: Generator<Signal, T>): Generator<Signal, T> {
    const value = yield* body;
    yield* callTlsDtors(this.#tlsDtors);
    return value;
  }

  /**
   * exit's run of the running thread's TLS destructors, then of the handlers; the status it ends
   * with (a handler's exit's).
   */
  *run(status: number): Generator<Signal, number> {
    yield* this.#exitTlsDtors((s) => status = s);
    const dlFini = this.#dlFini;
    return yield* this.#list.run(status, (c: ExitCall) => this.#call(c, dlFini));
  }

  /** exit's `__call_tls_dtors`; a destructor's exit gives its status to `nested`. */
  *#exitTlsDtors(nested: (status: number) => void): Generator<Signal, void> {
    yield* callTlsDtors(
      { ...this.#tlsDtors, call: (t, a, via) => this.#nestable(t, a, via) },
      (e) => {
        if (!(e instanceof NestedExit)) return false;
        nested(e.status); // that exit goes on with the destructors from here
        return true;
      },
    );
  }

  *#call(c: ExitCall, dlFini: number | undefined): Generator<Signal, void> {
    if (dlFini !== undefined && c.target === BigInt(dlFini)) {
      // ld.so's _dl_fini: the program's destructors, .fini_array last to first (init_fini.ts)
      const via = (i: number) => `_dl_fini's .fini_array[${i}] (destructor)`;
      const call = (at: number, i: number) => this.#nestable(BigInt(at), [], via(i));
      return yield* runDestructors(this.#host.finiArray, call);
    }
    yield* this.#nestable(c.target, c.args, `${c.via}.fn (exit handler)`);
  }

  /** A call during exit: a call of exit in it is a {@link NestedExit}. */
  *#nestable(target: bigint, args: readonly number[], via: string): Generator<Signal, void> {
    try {
      yield* this.#host.call(target, args, via);
    } catch (e) {
      if ((e instanceof ProgramExit && e.flush) || e instanceof ProcessExit) {
        throw new NestedExit(e.status);
      }
      throw e;
    }
  }
}

/**
 * The main program's `struct link_map`, at the build's ld.so `_end` (aligned), where ld.so is the
 * build's and that is writable; else what stops it, for the refusal.
 */
function mainLinkMap(host: ExitHandlersHost): number | string {
  const end = host.libc.ldSymbol("_end");
  if (end === undefined) return "without the build's ld.so (the main link_map is at its _end)";
  const at = mainLinkMapAt(end);
  return host.isWritable(at) ? at : "without ld.so's page for the main link_map";
}

/** Thrown by a handler's call for a handler that called exit(status) again. */
export { NestedExit };
