/**
 * Threads of a C program and their schedule. Each thread is a simulated thread of the process
 * (`Process.pthreadCreate`: its stack mapping, its DTV) running a generator of the interpreter.
 * The schedule is deterministic and cooperative:
 *
 * - the main thread runs first;
 * - `pthread_create` switches to the new thread at once, and it runs until it pauses, blocks
 *   or exits; its creator waits on a stack of runnable threads;
 * - a thread that blocks (`pthread_join` of a thread still running) lets the most recently
 *   suspended runnable thread run (last in, first out);
 * - a thread that exits wakes the thread joining it, which runs next; a detached one gives its
 *   stack back to the stack cache (`pthread_detach.ts`);
 * - a pause (a read of empty standard input) in any thread pauses the whole program, and the
 *   same thread continues when the program is resumed.
 *
 * So the seed's two-thread example prints exactly as it did on the terminal: the thread runs to
 * its end, pausing at each `getchar()`, while main waits in `pthread_join`.
 *
 * Calls: a frame is laid out as gcc -O0 does — the return address, then the saved frame
 * pointer, then the locals below — on the thread's own stack. A return address overwritten by
 * the program is noticed when the function returns: control is hijacked. The body of a called
 * function runs nested in its caller's generator (`yield*`), except at every 32nd level of a
 * thread's calls: there the caller yields `Signal.Call` and {@link Scheduler.run} keeps the
 * bodies on a stack of its own, so a C recursion a million calls deep costs JavaScript's stack
 * no more than 32 calls — it ends as the real one does, in a SIGSEGV once its frames pass the
 * stack's limit.
 *
 * @module
 */

import type { Thread } from "../kernel/threads.ts";
import { type Process, ThreadCreateError } from "../kernel/process.ts";
import { Errno } from "../kernel/errors.ts";
import type { ThreadAttributes } from "./pthread_attr.ts";
import type { Int } from "./integer.ts";
import {
  type Builtin,
  type CFunction,
  ControlHijack,
  type Frame,
  type Machine,
  type Runtime,
  Signal,
} from "./interpreter.ts";
import type { CType } from "./types.ts";
import type { Value } from "./values.ts";
import { CRuntimeError } from "./errors.ts";
import { SegmentationFault } from "../kernel/errors.ts";

/** The default attribute's: the default stack, a guard page, joinable. */
const DEFAULT_ATTR: ThreadAttributes = { guardSize: 4096, detached: false };

/** A thread of the C program. */
export interface CThread {
  /** The simulated thread. */
  readonly thread: Thread;
  /** Its generator (undefined before it starts). */
  gen: Generator<Signal, Value>;
  /** Stack pointer. */
  sp: number;
  /** Frames, outermost first. */
  readonly frames: Frame[];
  /** `pthread_t` value. */
  readonly handle: number;
  done: boolean;
  /** The value it returned or passed to pthread_exit. */
  result: Value;
  /** Threads waiting in pthread_join for it. */
  joiners: CThread[];
  /** Where its first function returns to (main: into libc's start code), if known. */
  firstReturn?: number;
  /** Joined already (its descriptor freed by pthread_join, or by pthread_detach from 2.43). */
  joined: boolean;
  /** Detached: pthread_join refuses it, and its end frees its descriptor (`pthread_detach.ts`). */
  detached: boolean;
}

/**
 * How many nested C calls run inside one another's generators (`yield*`) before one is run on
 * {@link Scheduler.run}'s own stack: deep enough that most programs never trampoline, shallow
 * enough that JavaScript's stack never holds more than this many C calls (1000 overflowed it).
 */
const TRAMPOLINE_DEPTH = 32;

/** Runs the threads of a machine. */
export class Scheduler implements Runtime {
  readonly m: Machine;
  readonly process: Process;
  readonly threads: CThread[] = [];
  /** The thread running. */
  current!: CThread;
  /** Runnable threads waiting, the next to run last. */
  readonly runnable: CThread[] = [];
  /** Line of the last frame that returned (where the program ended after main returned). */
  lastLine = 0;
  /** A thread just created (taken by the Spawn signal). */
  spawned: CThread | undefined;

  constructor(m: Machine, process: Process) {
    this.m = m;
    this.process = process;
    m.rt = this;
  }

  /**
   * The main thread, running `start` (`__libc_start_main`'s calls of the constructors and main,
   * `init_fini.ts`) with the stack pointer at `sp` (default the thread's), the return address of
   * its calls `returnTo` (default an address just below the program's code).
   */
  startMain(
    start: Generator<Signal, Value>,
    sp = this.process.mainThread.sp,
    returnTo?: number,
  ): CThread {
    const t = this.#newThread(this.process.mainThread, sp, 0);
    t.firstReturn = returnTo;
    t.gen = this.run(start);
    this.current = t;
    return t;
  }

  #newThread(thread: Thread, sp: number, handle: number): CThread {
    const t: CThread = {
      thread,
      gen: undefined!,
      sp: Math.floor(sp / 16) * 16,
      frames: [],
      handle,
      done: false,
      result: 0,
      joiners: [],
      joined: false,
      detached: false,
    };
    this.threads.push(t);
    return t;
  }

  /**
   * `pthread_create`: a new simulated thread that will call `fn(arg)`, its stack as `attr`
   * asks (default: the default attribute's), created detached if it says so; or the errno
   * pthread_create returns when its stack cannot be had (EAGAIN for a mapping that fails for
   * want of memory).
   */
  create(
    fnAddr: Int,
    arg: Value,
    line: number,
    attr: ThreadAttributes = DEFAULT_ATTR,
  ): CThread | number {
    const target = this.m.byAddress.get(Number(fnAddr));
    if (!target || !("body" in target)) {
      throw new CRuntimeError(
        `pthread_create: start routine 0x${fnAddr.toString(16)} is not a function of the program`,
        this.m.file,
        line,
      );
    }
    let thread: Thread;
    try {
      thread = this.process.pthreadCreate({ stackSize: attr.stackSize, guardSize: attr.guardSize });
    } catch (e) {
      if (!(e instanceof ThreadCreateError)) throw e;
      return e.errno === Errno.ENOMEM ? Errno.EAGAIN : e.errno;
    }
    const stackTop = thread.stack ? thread.stack.base + thread.stack.size : thread.sp;
    // glibc puts the thread descriptor (struct pthread) and static TLS at the top of the stack;
    // the start routine's frame begins below them.
    const handle = stackTop - (this.m.abi.ptrSize === 8 ? 0x900 : 0x4c0);
    const t = this.#newThread(thread, thread.sp - 0x100, handle);
    t.detached = attr.detached;
    t.gen = this.run(this.callFunction(target, [arg], undefined, t));
    this.spawned = t;
    return t;
  }

  /**
   * Runs `root` with the bodies of the user functions it calls (`Signal.Call`) on a stack of
   * generators, each resumed with its callee's result or thrown its callee's exception as
   * `yield*` would, and passes every other signal on: the JavaScript stack stays as deep as one
   * C function's expression, however deep the C calls go.
   */
  *run<T>(root: Generator<Signal, T>): Generator<Signal, T> {
    const stack: Generator<Signal, unknown>[] = [root];
    let sent: unknown = undefined;
    let thrown: { error: unknown } | undefined;
    for (;;) {
      const top = stack[stack.length - 1];
      let r: IteratorResult<Signal, unknown>;
      try {
        if (thrown) {
          const { error } = thrown;
          thrown = undefined;
          r = top.throw(error);
        } else r = top.next(sent);
      } catch (error) {
        stack.pop();
        if (stack.length === 0) throw error;
        thrown = { error };
        continue;
      }
      sent = undefined;
      if (r.done) {
        stack.pop();
        if (stack.length === 0) return r.value as T;
        sent = r.value;
      } else if (r.value === Signal.Call) {
        stack.push(this.#called!);
        this.#called = undefined;
      } else sent = yield r.value;
    }
  }

  /** The body a `Signal.Call` just yielded asks {@link run} to run. */
  #called: Generator<Signal, number> | undefined;

  /** Switches the process to a thread. */
  switchTo(t: CThread): void {
    this.current = t;
    if (t.thread.state === "running") this.process.switchTo(t.thread);
  }

  /**
   * The thread of a `pthread_t`: the latest one created with it (a thread created after another
   * ended and was freed takes its stack, and so its `pthread_t`).
   */
  byHandle(handle: Int): CThread | undefined {
    return this.threads.findLast((t) => t.handle === Number(handle) && t.handle !== 0);
  }

  /** Calls a user function on the current thread (or on `t`). */
  *callFunction(
    fn: CFunction,
    args: Value[],
    types?: CType[],
    t?: CThread,
    misaligned?: boolean,
  ): Generator<Signal, Value> {
    const th = t ?? this.current;
    const m = this.m;
    const P = m.abi.ptrSize;
    const mem = m.mem;
    // call pushes the return address, the prologue the frame pointer.
    const fp = th.sp - 2 * P;
    const retAddr = th.frames.length
      ? th.frames[th.frames.length - 1].fn.address + 0x20
      : th.firstReturn ?? m.place.text - 0x100;
    const savedFp = th.frames.length ? th.frames[th.frames.length - 1].fp : 0;
    if (P === 8) {
      mem.write64(fp + 8, retAddr);
      mem.write64(fp, savedFp);
    } else {
      mem.write32(fp + 4, retAddr);
      mem.write32(fp, savedFp);
    }
    const frame: Frame = { fp, line: fn.line, fn, ret: 0 };
    // A call keeps the caller's alignment; a hijacked return passes the other one.
    if (misaligned ?? th.frames.at(-1)?.misaligned) frame.misaligned = true;
    if (fn.type.variadic && types) {
      const k = fn.params.length;
      frame.varargs = { values: args.slice(k), types: types.slice(k) };
    }
    const savedSp = th.sp;
    th.sp = Math.floor((fp - fn.frameSize) / 16) * 16;
    th.frames.push(frame);
    for (let i = 0; i < fn.params.length && i < args.length; i++) {
      const p = fn.params[i];
      p.store(fp + p.offset, args[i]);
    }
    // Every TRAMPOLINE_DEPTH-th level runs on run()'s stack; those between nest in their caller
    // (`yield*`, a third faster), so JavaScript's stack holds at most that many C calls.
    if (th.frames.length % TRAMPOLINE_DEPTH === 0) {
      this.#called = fn.body!(frame);
      yield Signal.Call;
    } else yield* fn.body!(frame);
    const now = P === 8 ? mem.read64(fp + 8) : mem.read32(fp + 4);
    this.lastLine = frame.line;
    if (now !== retAddr) {
      // The program overwrote the return address: it "returns" there. Into a function of the
      // program, that function runs (as how2heap's house_of_lore jumps to its jackpot), entered
      // by a return instead of a call: on x86_64 its stack is 8 bytes off the ABI's alignment,
      // or back on it when the function returning was entered that way itself.
      const target = this.m.byAddress.get(now);
      th.frames.pop();
      th.sp = savedSp + P;
      if (target && "body" in target) {
        const misaligned = P === 8 && !frame.misaligned;
        return yield* this.callFunction(target, [], undefined, undefined, misaligned);
      }
      throw new ControlHijack(
        P === 8 ? readExact64(mem, fp + 8) : now,
        `${fn.name}() returned to an overwritten return address`,
      );
    }
    th.frames.pop();
    th.sp = savedSp;
    return frame.ret;
  }

  /** Calls through a function pointer. */
  *callAddress(
    addr: Int,
    args: Value[],
    types: CType[],
    line: number,
    f: Frame,
  ): Generator<Signal, Value> {
    const target = typeof addr === "number" ? this.m.byAddress.get(addr) : undefined;
    if (target && "body" in target) return yield* this.callFunction(target, args, types);
    if (target) {
      const b = target as Builtin;
      const call = { args, types, line, frame: f };
      return b.gen ? yield* b.gen(call) : b.fn!(call);
    }
    // Not a function: an executable mapping means control flow is hijacked; else SIGSEGV.
    const a = typeof addr === "number" ? addr : Number(addr);
    const area = typeof addr === "number" ? this.process.space.areaAt(a) : undefined;
    if (area && area.prot & 4) {
      throw new ControlHijack(addr, `call through a pointer to 0x${addr.toString(16)}`);
    }
    throw new SegmentationFault(
      a,
      "read",
      area ? "SEGV_ACCERR" : "SEGV_MAPERR",
      `0x${BigInt.asUintN(64, BigInt(addr)).toString(16)}`,
    );
  }
}

function readExact64(mem: Machine["mem"], a: number): Int {
  const lo = mem.read32(a), hi = mem.read32(a + 4);
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export { Signal };
