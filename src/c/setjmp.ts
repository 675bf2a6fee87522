/**
 * setjmp(3) and longjmp(3) (`<setjmp.h>`: `setjmp`, `_setjmp`, `longjmp`, `_longjmp`) for the
 * interpreter, whose statements are generators and cannot be re-entered in the middle of an
 * expression. A block that contains a setjmp call notes, while it runs, which of its statements
 * is running (a {@link JumpSite} on the frame); setjmp(env) remembers that statement, the frame
 * and the thread's stack pointer under the jmp_buf's address and returns 0. longjmp(env, v)
 * throws a {@link LongJump}, which unwinds the calls in between (their frames dropped, the stack
 * pointer back where setjmp saw it, alloca's memory since then freed) up to that block, which runs
 * the statement again from its start, its setjmp call returning v (1 for 0). Locals keep the
 * values they have in memory, as under gcc -O0.
 *
 * That is setjmp's return as C allows it to be used (C11 7.13.1.1: the whole expression
 * statement, or the controlling expression of an if, switch or loop, maybe compared with a
 * constant or negated); what the statement computes before its setjmp call is computed again.
 * Not modelled, and refused by name: a longjmp to a jmp_buf that no setjmp of a running
 * function and block filled (a copied buffer, or one whose function returned), and across threads.
 * The jmp_buf's own bytes (the registers, mangled with the pointer guard) are not written.
 * Checked against gcc and glibc 2.31: tests/c/setjmp_test.ts.
 *
 * @module
 */

/** The names whose calls make a block note its running statement. */
export const SETJMP_NAMES: ReadonlySet<string> = new Set(["setjmp", "_setjmp"]);

/** A block that contains a setjmp call, and the index of its statement that is running. */
export interface JumpSite {
  /** The block (one number per compiled block). */
  readonly block: number;
  /** The statement of the block that is running. */
  index: number;
}

/** The frame fields setjmp and its blocks use. */
export interface JumpFrame {
  /** The blocks with a setjmp call that are running in this frame, innermost last. */
  jumpSites?: JumpSite[];
  /** A longjmp's value for the setjmp call on this jmp_buf that runs next. */
  resume?: { readonly env: number; readonly value: number };
}

/** The thread state longjmp unwinds. */
export interface JumpThread {
  sp: number;
  readonly frames: JumpFrame[];
}

/** Where a setjmp call returns again. */
interface JumpTarget {
  readonly frame: JumpFrame;
  readonly block: number;
  readonly index: number;
  readonly sp: number;
  readonly depth: number;
  readonly thread: JumpThread;
}

/** A longjmp on its way to the block of its setjmp. */
export class LongJump {
  constructor(
    readonly env: number,
    readonly value: number,
    private readonly target: JumpTarget,
  ) {}

  /** Whether `block` running in `frame` is where this jump lands; the statement's index if so. */
  landsIn(frame: JumpFrame, block: number): number | undefined {
    const t = this.target;
    return t.frame === frame && t.block === block ? t.index : undefined;
  }

  /** Drops the frames the jump left and restores setjmp's stack pointer. */
  unwind(): void {
    const t = this.target;
    t.thread.frames.length = t.depth + 1;
    t.thread.sp = t.sp;
  }
}

/** The setjmp calls made, by jmp_buf address (one table per program). */
export class JumpBuffers {
  readonly #byEnv = new Map<number, JumpTarget>();

  /**
   * setjmp(env) called from `frame` on `thread`: 0, or the value of the longjmp that brought the
   * program back to this call. `refuse` throws for a call outside a block that notes its sites.
   */
  setjmp(env: number, frame: JumpFrame, thread: JumpThread, refuse: Refuse): number {
    const resume = frame.resume;
    if (resume && resume.env === env) {
      frame.resume = undefined;
      return resume.value;
    }
    const site = frame.jumpSites?.at(-1);
    if (!site) return refuse("setjmp called through a pointer (not by its name)");
    this.#byEnv.set(env, {
      frame,
      block: site.block,
      index: site.index,
      sp: thread.sp,
      depth: thread.frames.indexOf(frame),
      thread,
    });
    return 0;
  }

  /** longjmp(env, value): throws the {@link LongJump}, or refuses a jump it cannot make. */
  longjmp(env: number, value: number, thread: JumpThread, refuse: Refuse): never {
    const t = this.#byEnv.get(env);
    if (!t) return refuse("longjmp to a jmp_buf that no setjmp filled (or a copy of one)");
    if (t.thread !== thread) return refuse("longjmp to a jmp_buf another thread's setjmp filled");
    const frame = t.frame;
    const live = thread.frames[t.depth] === frame &&
      (frame.jumpSites ?? []).some((s) => s.block === t.block);
    if (!live) return refuse("longjmp to a setjmp whose function or block has been left");
    throw new LongJump(env, value | 0 || 1, t);
  }
}

type Refuse = (what: string) => never;
