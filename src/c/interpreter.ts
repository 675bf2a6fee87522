// deno-lint-ignore-file require-yield
/**
 * The evaluator: a translation unit compiled into JavaScript closures that run against the
 * simulated process. Every C object lives in the process's memory — globals in the binary's
 * `.data`/`.bss`, string literals in its read-only data, locals in frames on the running
 * thread's stack (with a return address and saved frame pointer above them, as gcc -O0 lays a
 * frame out) — and every load and store goes through `Memory`, checked against the pages'
 * protections.
 *
 * Statements compile to generator functions so that a program can stop anywhere (a read of
 * empty standard input, a step, a thread switch) and continue later; expressions compile to
 * plain closures unless they contain a call that may stop (a user function, `getchar`,
 * `pthread_join`, …), in which case they compile to generators too. A generator yields a
 * {@link Signal} to the scheduler (`scheduler.ts`). A statement of a bounded number of steps with
 * no loop and no such call also compiles to a plain function, which loops and blocks run
 * instead of its generator whenever all its steps fit before the next stop (see
 * `CompiledStmt`): a loop's iterations then make no generator each, and stop where they would.
 *
 * Over 500 lines: the `Compiler` class (about 1,400 lines) is one compiler whose statement,
 * declaration, lvalue, expression, conversion and call methods recurse into each other through
 * `this` and share its scope chain, frame layout and type state. Moving a group of them to its own
 * module first needs that state made an explicit object passed between modules; until then they
 * stay one class. No method is over 150 lines (`tools/check_sizes.ts`).
 *
 * @module
 */

import {
  childStatements,
  type Designator,
  type Expr,
  type FunctionDef,
  type Init,
  type Stmt,
  type TranslationUnit,
  type VarDecl,
} from "./ast.ts";
import {
  type Constant,
  ConstantFolder,
  convertConstant,
  minusOneDivision,
} from "./constant_folding.ts";
import { CRuntimeError, CSyntaxError, CUnsupportedError, refuseStackOverflow } from "./errors.ts";
import {
  constantStrings,
  emittedCall,
  FOLDABLE_CALLS,
  foldedCall,
  isPromotedInt,
  literalArgument,
} from "./gcc_folding.ts";
import {
  add64,
  and64,
  convertInt,
  div64,
  floatToInt,
  type Int,
  intToFloat,
  mod64,
  mul64,
  neg64,
  not64,
  or64,
  shl64,
  shr64,
  sub64,
  xor64,
} from "./integer.ts";
import { type Load, loader, type Store, storer, type Value } from "./values.ts";
import {
  type Abi,
  alignOf,
  commonType,
  type CType,
  type Field,
  type FunctionType,
  type IntType,
  isArithmetic,
  isScalar,
  promote,
  sizeOf,
  type StructType,
} from "./types.ts";
import type { Memory } from "../kernel/memory.ts";
import { GLOBALS_LIMIT } from "./program_image.ts";
import { SegmentationFault } from "../kernel/errors.ts";
import { alignUp } from "../kernel/word.ts";
import { byteText, loadCString, storeText } from "./byte_text.ts";
import { type JumpSite, LongJump, SETJMP_NAMES } from "./setjmp.ts";

/** What a generator yields to the scheduler. */
export const enum Signal {
  /** A statement boundary where the step budget ran out (or stepping is on). */
  Step = 0,
  /** A read of empty standard input: the program pauses. */
  Input = 1,
  /** A thread was created: run it now. */
  Spawn = 2,
  /** The thread blocks (pthread_join of a running thread). */
  Block = 3,
  /**
   * A call of a user function: its body's generator waits in the scheduler, which runs it on its
   * own stack of generators (`Scheduler.run`) rather than nested in the caller's, so that C
   * recursion is bounded by the simulated stack, not by JavaScript's.
   */
  Call = 4,
}

/**
 * Statements that take no step where they begin: a block, an empty statement, `break`,
 * `continue`, a label (its statement does), a declaration (only with an initializer), `do` (at
 * its condition).
 */
const NO_STEP_HERE: ReadonlySet<Stmt["k"]> = new Set([
  "block",
  "empty",
  "break",
  "continue",
  "label",
  "decl",
  "do",
  "case",
  "default",
]);

/** Completion of a statement. */
const NORMAL = 0, BREAK = 1, CONTINUE = 2, RETURN = 3, GOTO = 4;

/**
 * A compiled statement: a generator that runs it and may stop at each of its steps (a statement
 * boundary, where `m.steps` reaches `m.yieldAt`), and, for a statement that takes a bounded number
 * of steps and contains no loop and no call that may stop, the same run as a plain function
 * (`plain`, at most `steps` steps). A loop or a block runs a child plainly when all of its steps
 * fit before the next stop (`m.steps + steps < m.yieldAt`): then the generator would not have
 * stopped either, and the run is the same — the same steps counted, lines noted, loads and stores
 * made — without a generator made for every statement of every iteration.
 */
type CompiledStmt = ((f: Frame) => Generator<Signal, number>) & {
  plain?: (f: Frame) => number;
  steps?: number;
};

/** `run` with its plain form (see {@link CompiledStmt}). */
function withPlain(
  run: (f: Frame) => Generator<Signal, number>,
  plain: (f: Frame) => number,
  steps: number,
): CompiledStmt {
  return Object.assign(run, { plain, steps });
}

/**
 * A statement of one step and then `act` (a plain action, returning the completion): the line
 * noted and the step counted, a stop there when the budget says so, then the action.
 */
function stepThen(m: Machine, line: number, act: (f: Frame) => number): CompiledStmt {
  return withPlain(
    function* (f) {
      f.line = line;
      if (++m.steps >= m.yieldAt) yield Signal.Step;
      return act(f);
    },
    (f) => {
      f.line = line;
      ++m.steps;
      return act(f);
    },
    1,
  );
}

/** A statement that takes no step and completes with `code` (an empty statement, `break`, …). */
function completesWith(code: number): CompiledStmt {
  return withPlain(
    function* () {
      return code;
    },
    () => code,
    0,
  );
}

/** A running C function's frame. */
export interface Frame {
  /** Frame pointer: saved frame pointer here, return address above, locals below. */
  fp: number;
  /** Line being run. */
  line: number;
  /** The function. */
  readonly fn: CFunction;
  /** The return value (set by `return`). */
  ret: Value;
  /** Arguments beyond the parameters of a variadic function, with their promoted types. */
  varargs?: { values: Value[]; types: CType[] };
  /**
   * The stack is 8 bytes off the ABI's 16-byte alignment in this function and in the calls it
   * makes: it was entered through an overwritten return address (`misaligned_stack.ts`).
   */
  misaligned?: boolean;
  /** The blocks with a setjmp call running in this frame, innermost last (`setjmp.ts`). */
  jumpSites?: JumpSite[];
  /** A longjmp's value for the next setjmp call on its jmp_buf (`setjmp.ts`). */
  resume?: { readonly env: number; readonly value: number };
}

/** A `va_list` in flight: the variadic arguments and the next one's index. */
export interface VaList {
  readonly values: Value[];
  readonly types: CType[];
  next: number;
}

/** A local variable of a function, for views. */
export interface LocalInfo {
  readonly name: string;
  readonly type: CType;
  /** Offset from the frame pointer (negative). */
  readonly offset: number;
  /** Line of the declaration; the variable is shown from there on. */
  readonly line: number;
  /** Last line of the enclosing block. */
  readonly endLine: number;
}

/** A compiled user function. */
export interface CFunction {
  readonly name: string;
  readonly type: FunctionType;
  /** Its address in the binary's text. */
  readonly address: number;
  readonly line: number;
  frameSize: number;
  readonly locals: LocalInfo[];
  readonly params: { offset: number; store: Store; type: CType }[];
  body?: (f: Frame) => Generator<Signal, number>;
}

/** Arguments of a library function: values (converted to its parameter types) and types. */
export interface BuiltinCall {
  readonly args: Value[];
  /** Types of the arguments after default promotions (for variadic ones). */
  readonly types: CType[];
  readonly line: number;
  readonly frame: Frame;
}

/** A library function the interpreter provides. */
export interface Builtin {
  readonly name: string;
  readonly type: FunctionType;
  readonly address: number;
  /** Plain implementation. */
  readonly fn?: (call: BuiltinCall) => Value;
  /** Implementation that may stop (read of stdin, thread operations). */
  readonly gen?: (call: BuiltinCall) => Generator<Signal, Value>;
}

/** An expression compiled: its type and either a plain or a generator evaluator. */
export interface E {
  readonly t: CType;
  readonly ev?: (f: Frame) => Value;
  readonly g?: (f: Frame) => Generator<Signal, Value>;
  /** The value gcc folds the expression to at compile time (`constant_folding.ts`). */
  readonly constant?: Constant;
}

/** A user function's machine-level state, provided by the scheduler. */
export interface Runtime {
  /** Calls a function (user or builtin) by address. */
  callAddress(
    addr: Int,
    args: Value[],
    types: CType[],
    line: number,
    f: Frame,
  ): Generator<Signal, Value>;
  /** Calls a user function. */
  callFunction(fn: CFunction, args: Value[], types?: CType[]): Generator<Signal, Value>;
}

/** Program exits (exit(), return from main). */
export class ProgramExit {
  constructor(readonly status: number, readonly flush: boolean) {}
}

/** Program aborts (abort(), assert). Its message is already on stderr. */
export class ProgramAbort {
  constructor(readonly reason: string) {}
}

/** Control reached an address that is not a function: the program is hijacked or crashes. */
export class ControlHijack {
  constructor(readonly address: Int, readonly how: string) {}
}

const MAX = Number.MAX_SAFE_INTEGER;

/** Where the program's parts live in the process. */
export interface ProgramPlacement {
  /** Next free address in .rodata. */
  rodata: number;
  rodataEnd: number;
  /** Further read-only ranges for literals, in order. */
  more: [number, number][];
  /** Where the linker puts each global the program defines (`program_image.ts`). */
  planned: ReadonlyMap<VarDecl, number>;
  /** Where the linker puts the string literals gcc emits, by their text (`byteText`). */
  plannedLiterals: ReadonlyMap<string, number>;
  /** Next free address for heaplab's own globals. */
  data: number;
  /** The most the globals may reach (the image may grow up to it: `program_image.ts`). */
  dataLimit: number;
  /** Text addresses of functions. */
  text: number;
}

/** The compiled program: functions, globals, literals. */
export class Machine {
  readonly abi: Abi;
  readonly mem: Memory;
  readonly file: string;
  readonly functions = new Map<string, CFunction>();
  readonly byAddress = new Map<number, CFunction | Builtin>();
  readonly globals = new Map<string, { type: CType; addr: number }>();
  readonly builtins: Map<string, Builtin>;
  readonly literals = new Map<string, number>();
  readonly place: ProgramPlacement;
  /** Built with gcc's builtins on: stdio calls run as gcc rewrites them (`gcc_folding.ts`). */
  readonly gccBuiltins: boolean;
  rt!: Runtime;
  /**
   * The lines of the program where a step stops (a statement that takes a step begins there):
   * where `CProgram.runTo` can arrive.
   */
  readonly statementLines = new Set<number>();
  /** Statements executed. */
  steps = 0;
  /** Yield a Step signal when `steps` reaches this. */
  yieldAt = 0;
  /** Label sought by a goto in flight. */
  gotoLabel = "";
  /** `va_list`s by handle (the value stored in the program's va_list variable). */
  readonly vaLists = new Map<number, VaList>();
  /** Initializers of globals, run once before main. */
  readonly inits: ((f: Frame) => void)[] = [];
  readonly #writeReadOnly: (addr: number, bytes: Uint8Array) => void;

  constructor(options: {
    abi: Abi;
    mem: Memory;
    file: string;
    builtins: Map<string, Builtin>;
    place: ProgramPlacement;
    writeReadOnly: (addr: number, bytes: Uint8Array) => void;
    /** Built with gcc's builtins on, as by default (`gcc_folding.ts`); false: `-fno-builtin`. */
    gccBuiltins?: boolean;
  }) {
    this.abi = options.abi;
    this.gccBuiltins = options.gccBuiltins ?? true;
    this.mem = options.mem;
    this.file = options.file;
    this.builtins = options.builtins;
    this.place = options.place;
    this.#writeReadOnly = options.writeReadOnly;
    for (const b of this.builtins.values()) this.byAddress.set(b.address, b);
  }

  /** The pointer-sized word at `addr` (as `word.ts` reads a 64-bit one). */
  readPointer(addr: number): number {
    return this.abi.ptrSize === 8 ? this.mem.read64(addr) : this.mem.read32(addr);
  }

  /** Writes a pointer-sized word at `addr`. */
  writePointer(addr: number, value: number): void {
    if (this.abi.ptrSize === 8) this.mem.write64(addr, value);
    else this.mem.write32(addr, value);
  }

  /** Writes text whose characters are bytes (latin1) at `addr`. */
  writeText(addr: number, text: string): void {
    storeText(this.mem, addr, text);
  }

  /** The address of a string literal in .rodata (identical literals share one). */
  literal(bytes: readonly number[], line: number): number {
    const key = byteText(bytes);
    const have = this.literals.get(key);
    if (have !== undefined) return have;
    const n = bytes.length + 1;
    const planned = this.place.plannedLiterals.get(key);
    if (planned !== undefined) {
      const data = new Uint8Array(n);
      data.set(bytes);
      this.#writeReadOnly(planned, data);
      this.literals.set(key, planned);
      return planned;
    }
    // Past the binary's read-only data page, literals go on in its other read-only pages.
    while (this.place.rodata + n > this.place.rodataEnd && this.place.more.length) {
      const [start, end] = this.place.more.shift()!;
      this.place.rodata = start;
      this.place.rodataEnd = end;
    }
    const addr = this.place.rodata;
    if (addr + n > this.place.rodataEnd) {
      throw new CUnsupportedError(
        "string literals beyond the binary's read-only pages",
        this.file,
        line,
      );
    }
    const data = new Uint8Array(n);
    data.set(bytes);
    this.#writeReadOnly(addr, data);
    this.place.rodata += n;
    this.literals.set(key, addr);
    return addr;
  }

  /**
   * The address of a global: where the linker puts it (`place.planned`) for one the program
   * defines (`decl`), else the next free address of heaplab's own globals.
   */
  allocateGlobal(type: CType, align: number, line: number, decl?: VarDecl): number {
    const planned = decl && this.place.planned.get(decl);
    if (planned !== undefined) return planned;
    const size = Math.max(1, sizeOf(type, this.abi));
    const addr = alignUp(this.place.data, align);
    if (addr + size > this.place.dataLimit) {
      const limit = `${GLOBALS_LIMIT / 1024 / 1024} MiB`;
      throw new CUnsupportedError(
        `globals of more than ${limit} (heaplab lays out at most ${limit} of them)`,
        this.file,
        line,
      );
    }
    this.place.data = addr + size;
    return addr;
  }

  /** A NUL-terminated string at an address, as latin1 text. */
  cString(addr: Int, limit = Infinity): string {
    return loadCString(this.mem, Number(addr), limit);
  }

  error(what: string, line: number, signal?: string): CRuntimeError {
    return new CRuntimeError(what, this.file, line, signal);
  }
}

interface Scope {
  vars: Map<string, { type: CType; offset: number } | { type: CType; addr: number }>;
}

/** Compiles a translation unit into a machine. */
export function compileUnit(unit: TranslationUnit, m: Machine): void {
  const compiler = new Compiler(m);
  try {
    compiler.unit(unit);
  } catch (e) {
    throw refuseStackOverflow(e, "compiler", m.file, compiler.line);
  }
}

function isLvalueKind(e: Expr): boolean {
  return e.k === "id" || e.k === "index" || e.k === "member" ||
    (e.k === "un" && e.op === "*") || e.k === "str" || e.k === "compound";
}

class Compiler {
  readonly m: Machine;
  readonly abi: Abi;
  readonly T: Abi["types"];
  #scopes: Scope[] = [];
  /** File-scope const strings gcc reads when it rewrites a call (`gcc_folding.ts`). */
  #constantStrings = new Map<string, readonly number[]>();
  #fn: CFunction | undefined;
  #frameCursor = 0;
  #blockEnd: number[] = [];
  /** Blocks with a setjmp call compiled so far (each one's number). */
  #jumpBlocks = 0;
  readonly #planned = new Map<VarDecl, number>();
  readonly #loadCache = new Map<CType, Load>();
  readonly #storeCache = new Map<CType, Store>();
  /** gcc's folding of constant expressions (`constant_folding.ts`). */
  readonly #folder: ConstantFolder;
  /** The line of the statement being compiled. */
  line = 0;

  constructor(m: Machine) {
    this.m = m;
    this.abi = m.abi;
    this.T = m.abi.types;
    this.#folder = new ConstantFolder(m.abi, (e) => this.measure(e));
  }

  load(t: CType): Load {
    let l = this.#loadCache.get(t);
    if (!l) this.#loadCache.set(t, l = loader(t, this.m.mem, this.abi));
    return l;
  }

  store(t: CType): Store {
    let s = this.#storeCache.get(t);
    if (!s) this.#storeCache.set(t, s = storer(t, this.m.mem, this.abi));
    return s;
  }

  size(t: CType, line: number): number {
    try {
      return sizeOf(t, this.abi);
    } catch (e) {
      throw new CSyntaxError((e as Error).message, this.m.file, line, 1, "");
    }
  }

  fail(what: string, p: { line: number; col: number }, token = ""): never {
    throw new CSyntaxError(what, this.m.file, p.line, p.col, token);
  }

  // --- the unit ---------------------------------------------------------------------------

  unit(u: TranslationUnit): void {
    const m = this.m;
    // Function addresses first, so that globals and bodies can take them.
    const defined = new Set(u.functions.map((f) => f.name));
    let text = m.place.text;
    for (const def of u.functions) {
      const fn: CFunction = {
        name: def.name,
        type: def.type,
        address: text,
        line: def.line,
        frameSize: 0,
        locals: [],
        params: [],
      };
      text += 0x40;
      m.functions.set(def.name, fn);
      m.byAddress.set(fn.address, fn);
    }
    // libc's objects the program sees (stdin, stdout, stderr, errno) are globals already.
    this.#scopes = [{ vars: new Map([...m.globals].map(([k, v]) => [k, { ...v }])) }];
    for (const g of u.globals) this.global(g, defined);
    this.#constantStrings = constantStrings(u.globals);
    for (const def of u.functions) this.func(def);
  }

  global(g: VarDecl, defined: Set<string>): void {
    if (g.storage === "typedef") return;
    if (g.type.k === "fn") return; // a prototype
    const scope = this.#scopes[0].vars;
    const have = scope.get(g.name);
    if (g.storage === "extern" && !g.init) {
      if (!have && !this.m.builtins.has(g.name)) {
        // An extern object the program does not define: only libc's are known.
        scope.set(g.name, { type: g.type, addr: -1 });
      }
      return;
    }
    if (defined.has(g.name)) this.fail(`'${g.name}' redeclared as a different kind of symbol`, g);
    let addr: number;
    if (have && "addr" in have && have.addr >= 0) addr = have.addr;
    else {
      addr = this.m.allocateGlobal(
        g.type,
        Math.max(g.align ?? 1, this.globalAlign(g.type)),
        g.line,
        g,
      );
    }
    scope.set(g.name, { type: g.type, addr });
    this.m.globals.set(g.name, { type: g.type, addr });
    if (g.init) {
      const stores = this.initializer(g.type, g.init, g);
      this.m.inits.push((f) => {
        for (const s of stores) s(f, addr);
      });
    }
  }

  globalAlign(t: CType): number {
    const a = alignOf(t, this.abi);
    // The SysV ABI aligns arrays of 16 bytes or more to 16 on x86_64.
    if (t.k === "array" && this.abi.ptrSize === 8 && sizeOf(t, this.abi) >= 16) {
      return Math.max(a, 16);
    }
    return a;
  }

  func(def: FunctionDef): void {
    this.line = def.line;
    const fn = this.m.functions.get(def.name)!;
    this.#fn = fn;
    this.#frameCursor = 0;
    this.#scopes.push({ vars: new Map() });
    this.#blockEnd = [def.body.end];
    // The frame as Debian's gcc 12 at -O0 lays it out (no stack protector by default): the
    // locals below the saved frame pointer scope by scope in declaration order, each at its
    // natural alignment (arrays of 16 bytes or more at 16), the spilled parameters lowest.
    // Scalars whose address is never taken (gimple registers) get their slots first, then the
    // rest (address-taken scalars, arrays, structs).
    const decls: VarDecl[] = [];
    collectLocals(def.body, decls);
    const taken = new Set<string>();
    addressTaken(def.body, taken);
    const inMemory = (d: VarDecl) =>
      taken.has(d.name) || d.type.k === "array" || d.type.k === "struct";
    this.#planned.clear();
    for (const d of [...decls.filter((d) => !inMemory(d)), ...decls.filter(inMemory)]) {
      const align = Math.max(d.align ?? 1, alignOf(d.type, this.abi));
      this.#planned.set(d, this.allocLocal(d.type, align, d.line));
    }
    // The parameters' spill slots start at a 16-byte boundary below the locals.
    this.#frameCursor = Math.floor(this.#frameCursor / 16) * 16;
    def.type.params.forEach((pt, i) => {
      const name = def.params[i];
      const offset = this.allocLocal(pt, alignOf(pt, this.abi), def.line);
      fn.params.push({ offset, store: this.store(pt), type: pt });
      if (name) {
        this.#scopes[this.#scopes.length - 1].vars.set(name, { type: pt, offset });
        fn.locals.push({ name, type: pt, offset, line: def.line, endLine: def.body.end });
      }
    });
    const body = this.block(def.body, false);
    this.#scopes.pop();
    fn.frameSize = alignUp(-this.#frameCursor, 16);
    const isMain = def.name === "main";
    const retType = def.type.ret;
    const zero: Value = retType.k === "float" ? 0 : 0;
    const m = this.m;
    fn.body = function* (f) {
      const c = body.plain !== undefined && m.steps + body.steps! < m.yieldAt
        ? body.plain(f)
        : yield* body(f);
      if (c === GOTO) throw new CSyntaxError(`label '${fn.name}' not found`, "", fn.line, 1, "");
      if (c !== RETURN) f.ret = isMain ? 0 : zero;
      return c;
    };
    this.#fn = undefined;
  }

  allocLocal(t: CType, align: number, line: number): number {
    const size = Math.max(1, this.size(t, line));
    let a = align;
    if (t.k === "array" && size >= 16) a = Math.max(a, 16);
    this.#frameCursor = Math.floor((this.#frameCursor - size) / a) * a;
    return this.#frameCursor;
  }

  // --- names ------------------------------------------------------------------------------

  lookup(
    name: string,
  ): { type: CType; offset: number } | { type: CType; addr: number } | undefined {
    for (let s = this.#scopes.length - 1; s >= 0; s--) {
      const v = this.#scopes[s].vars.get(name);
      if (v) return v;
    }
    return undefined;
  }

  // --- statements -------------------------------------------------------------------------

  block(b: Stmt & { k: "block" }, scope = true): CompiledStmt {
    if (scope) this.#scopes.push({ vars: new Map() });
    this.#blockEnd.push(b.end);
    const labels = new Map<string, number>();
    const stmts: CompiledStmt[] = [];
    for (const s of b.body) {
      let x = s;
      while (x.k === "label") {
        labels.set(x.label, stmts.length);
        x = x.stmt;
      }
      stmts.push(this.stmt(x));
    }
    this.#blockEnd.pop();
    if (scope) this.#scopes.pop();
    const m = this.m;
    const n = stmts.length;
    if (b.body.some(callsSetjmp)) return this.jumpBlock(stmts, labels);
    if (labels.size === 0) {
      if (n === 1) return stmts[0];
      const run = function* (f: Frame) {
        for (let i = 0; i < n; i++) {
          const s = stmts[i];
          const c = s.plain !== undefined && m.steps + s.steps! < m.yieldAt
            ? s.plain(f)
            : yield* s(f);
          if (c !== NORMAL) return c;
        }
        return NORMAL;
      };
      if (!stmts.every((s) => s.plain !== undefined)) return run;
      const plains = stmts.map((s) => s.plain!);
      return withPlain(run, (f) => {
        for (let i = 0; i < n; i++) {
          const c = plains[i](f);
          if (c !== NORMAL) return c;
        }
        return NORMAL;
      }, stmts.reduce((sum, s) => sum + s.steps!, 0));
    }
    return function* (f) {
      let i = 0;
      while (i < n) {
        const s = stmts[i];
        const c = s.plain !== undefined && m.steps + s.steps! < m.yieldAt
          ? s.plain(f)
          : yield* s(f);
        if (c === NORMAL) {
          i++;
          continue;
        }
        if (c === GOTO) {
          const at = labels.get(m.gotoLabel);
          if (at !== undefined) {
            i = at;
            continue;
          }
        }
        return c;
      }
      return NORMAL;
    };
  }

  /**
   * A block with a setjmp call (`setjmp.ts`): it notes its running statement on the frame, and
   * a longjmp to a setjmp of one of its statements runs that statement again. Never plain, so
   * that a longjmp always meets its catch. Gotos to its labels as in any block.
   */
  jumpBlock(stmts: CompiledStmt[], labels: Map<string, number>): CompiledStmt {
    const m = this.m, n = stmts.length, block = ++this.#jumpBlocks;
    return function* (f) {
      const site: JumpSite = { block, index: 0 };
      (f.jumpSites ??= []).push(site);
      try {
        for (;;) {
          try {
            while (site.index < n) {
              const s = stmts[site.index];
              const c = s.plain !== undefined && m.steps + s.steps! < m.yieldAt
                ? s.plain(f)
                : yield* s(f);
              if (c === NORMAL) {
                site.index++;
                continue;
              }
              const at = c === GOTO ? labels.get(m.gotoLabel) : undefined;
              if (at === undefined) return c;
              site.index = at;
            }
            return NORMAL;
          } catch (e) {
            const at = e instanceof LongJump ? e.landsIn(f, block) : undefined;
            if (at === undefined) throw e;
            const jump = e as LongJump;
            jump.unwind();
            f.jumpSites!.length = f.jumpSites!.indexOf(site) + 1;
            f.resume = { env: jump.env, value: jump.value };
            site.index = at;
          }
        }
      } finally {
        const sites = f.jumpSites!;
        const i = sites.indexOf(site);
        if (i >= 0) sites.length = i;
      }
    };
  }

  stmt(s: Stmt): CompiledStmt {
    const m = this.m;
    const line = s.line;
    this.line = line;
    // (a declaration takes a step only with an initializer, a `do` at its condition: below)
    if (!NO_STEP_HERE.has(s.k)) m.statementLines.add(line);
    switch (s.k) {
      case "expr": {
        const e = this.discarded(s.e);
        const ev = e.ev, g = e.g;
        if (ev) {
          return stepThen(m, line, (f) => {
            ev(f);
            return NORMAL;
          });
        }
        return function* (f) {
          f.line = line;
          if (++m.steps >= m.yieldAt) yield Signal.Step;
          yield* g!(f);
          return NORMAL;
        };
      }
      case "decl":
        return this.declStmt(s);
      case "block":
        return this.block(s);
      case "empty":
        return completesWith(NORMAL);
      case "unsupported": {
        const what = s.what;
        return stepThen(m, line, () => {
          throw new CUnsupportedError(what, m.file, line);
        });
      }
      case "if": {
        const c = this.cond(s.c);
        const t = this.stmt(s.t);
        const e = s.e ? this.stmt(s.e) : undefined;
        const run = function* (f: Frame) {
          f.line = line;
          if (++m.steps >= m.yieldAt) yield Signal.Step;
          const v = c.ev ? c.ev(f) : yield* c.g!(f);
          if (v) return yield* t(f);
          if (e) return yield* e(f);
          return NORMAL;
        };
        const cv = c.ev, tp = t.plain, ep = e?.plain;
        if (cv === undefined || tp === undefined || (e !== undefined && ep === undefined)) {
          return run;
        }
        return withPlain(run, (f) => {
          f.line = line;
          ++m.steps;
          if (cv(f)) return tp(f);
          return ep !== undefined ? ep(f) : NORMAL;
        }, 1 + Math.max(t.steps!, e?.steps ?? 0));
      }
      case "while":
      case "do":
      case "for":
        return this.loopStmt(s);
      case "switch":
        return this.switchStmt(s);
      case "case":
      case "default":
        this.fail(`'${s.k}' label not within a switch statement`, s, s.k);
        break;
      case "break":
        return completesWith(BREAK);
      case "continue":
        return completesWith(CONTINUE);
      case "return": {
        const fn = this.#fn!;
        if (!s.e) {
          return stepThen(m, line, (f) => {
            f.ret = 0;
            return RETURN;
          });
        }
        const e = this.convert(this.expr(s.e), fn.type.ret, s.e);
        const ev = e.ev, g = e.g;
        if (ev) {
          return stepThen(m, line, (f) => {
            f.ret = ev(f);
            return RETURN;
          });
        }
        return function* (f: Frame) {
          f.line = line;
          if (++m.steps >= m.yieldAt) yield Signal.Step;
          f.ret = yield* g!(f);
          return RETURN;
        };
      }
      case "goto": {
        const label = s.label;
        return stepThen(m, line, () => {
          m.gotoLabel = label;
          return GOTO;
        });
      }
      case "label":
        return this.stmt(s.stmt);
    }
    throw new CUnsupportedError(`statement '${(s as Stmt).k}'`, m.file, line);
  }

  /**
   * A `while`, `do` or `for` loop: a generator (a loop can run without end), whose body runs
   * plainly in each iteration where its steps fit before the next stop.
   */
  loopStmt(s: Stmt & { k: "while" | "do" | "for" }): CompiledStmt {
    const m = this.m;
    const line = s.line;
    switch (s.k) {
      case "while": {
        const c = this.cond(s.c);
        const body = this.stmt(s.body);
        return function* (f) {
          for (;;) {
            f.line = line;
            if (++m.steps >= m.yieldAt) yield Signal.Step;
            const v = c.ev ? c.ev(f) : yield* c.g!(f);
            if (!v) return NORMAL;
            const r = body.plain !== undefined && m.steps + body.steps! < m.yieldAt
              ? body.plain(f)
              : yield* body(f);
            if (r === BREAK) return NORMAL;
            if (r !== NORMAL && r !== CONTINUE) return r;
          }
        };
      }
      case "do": {
        const c = this.cond(s.c);
        const body = this.stmt(s.body);
        const cline = s.c.line;
        m.statementLines.add(cline);
        return function* (f) {
          for (;;) {
            const r = body.plain !== undefined && m.steps + body.steps! < m.yieldAt
              ? body.plain(f)
              : yield* body(f);
            if (r === BREAK) return NORMAL;
            if (r !== NORMAL && r !== CONTINUE) return r;
            f.line = cline;
            if (++m.steps >= m.yieldAt) yield Signal.Step;
            const v = c.ev ? c.ev(f) : yield* c.g!(f);
            if (!v) return NORMAL;
          }
        };
      }
      case "for": {
        this.#scopes.push({ vars: new Map() });
        const init = s.init ? this.stmt(s.init) : undefined;
        const c = s.c ? this.cond(s.c) : undefined;
        const step = s.step ? this.discarded(s.step) : undefined;
        const body = this.stmt(s.body);
        this.#scopes.pop();
        return function* (f) {
          if (init) yield* init(f);
          for (;;) {
            f.line = line;
            if (++m.steps >= m.yieldAt) yield Signal.Step;
            if (c) {
              const v = c.ev ? c.ev(f) : yield* c.g!(f);
              if (!v) return NORMAL;
            }
            const r = body.plain !== undefined && m.steps + body.steps! < m.yieldAt
              ? body.plain(f)
              : yield* body(f);
            if (r === BREAK) return NORMAL;
            if (r !== NORMAL && r !== CONTINUE) return r;
            if (step) {
              if (step.ev) step.ev(f);
              else yield* step.g!(f);
            }
          }
        };
      }
    }
  }

  switchStmt(s: Stmt & { k: "switch" }): CompiledStmt {
    const m = this.m;
    const line = s.line;
    const e = this.expr(s.e);
    const pt = promote(e.t, this.abi);
    const ce = this.convert(e, pt, s.e);
    const body = s.body.k === "block" ? s.body.body : [s.body];
    this.#scopes.push({ vars: new Map() });
    const cases: { lo: Int; hi: Int; at: number }[] = [];
    let dflt = -1;
    const stmts: CompiledStmt[] = [];
    const labels = new Map<string, number>();
    for (let x of body) {
      for (;;) {
        if (x.k === "case") {
          const lo = this.constInt(x.value, pt);
          const hi = x.high ? this.constInt(x.high, pt) : lo;
          cases.push({ lo, hi, at: stmts.length });
          x = x.stmt;
        } else if (x.k === "default") {
          dflt = stmts.length;
          x = x.stmt;
        } else if (x.k === "label") {
          labels.set(x.label, stmts.length);
          x = x.stmt;
        } else break;
      }
      stmts.push(this.stmt(x));
    }
    this.#scopes.pop();
    const n = stmts.length;
    return function* (f) {
      f.line = line;
      if (++m.steps >= m.yieldAt) yield Signal.Step;
      const v = ce.ev ? ce.ev(f) : yield* ce.g!(f);
      let i = dflt;
      for (const c of cases) {
        if ((v as Int) >= c.lo && (v as Int) <= c.hi) {
          i = c.at;
          break;
        }
      }
      if (i < 0) return NORMAL;
      while (i < n) {
        const s = stmts[i];
        const r = s.plain !== undefined && m.steps + s.steps! < m.yieldAt
          ? s.plain(f)
          : yield* s(f);
        if (r === NORMAL) {
          i++;
          continue;
        }
        if (r === BREAK) return NORMAL;
        if (r === GOTO && labels.has(m.gotoLabel)) {
          i = labels.get(m.gotoLabel)!;
          continue;
        }
        return r;
      }
      return NORMAL;
    };
  }

  constInt(e: Expr, t: CType): Int {
    const c = this.expr(e);
    if (!c.ev) this.fail("case label does not reduce to an integer constant", e);
    const v = this.convert(c, t, e).ev!({ fp: 0, line: 0, fn: undefined!, ret: 0 });
    return v as Int;
  }

  declStmt(s: Stmt & { k: "decl" }): CompiledStmt {
    const m = this.m;
    this.line = s.line;
    const scope = this.#scopes[this.#scopes.length - 1].vars;
    const inits: { offset: number; stores: InitStore[]; line: number; gen: boolean }[] = [];
    for (const d of s.decls) {
      if (d.storage === "typedef") continue;
      if (d.type.k === "fn") continue;
      if (d.storage === "extern") {
        scope.set(d.name, { type: d.type, addr: this.m.globals.get(d.name)?.addr ?? -1 });
        continue;
      }
      if (d.storage === "static") {
        const addr = m.allocateGlobal(
          d.type,
          Math.max(d.align ?? 1, this.globalAlign(d.type)),
          d.line,
          d,
        );
        scope.set(d.name, { type: d.type, addr });
        if (d.init) {
          const stores = this.initializer(d.type, d.init, d);
          m.inits.push((f) => {
            for (const st of stores) st(f, addr);
          });
        }
        continue;
      }
      const offset = this.#planned.get(d) ?? this.allocLocal(
        d.type,
        Math.max(d.align ?? 1, alignOf(d.type, this.abi)),
        d.line,
      );
      // The name is visible in its own initializer (int x = sizeof x;), as in C.
      scope.set(d.name, { type: d.type, offset });
      this.#fn!.locals.push({
        name: d.name,
        type: d.type,
        offset,
        line: d.line,
        endLine: this.#blockEnd[this.#blockEnd.length - 1] ?? d.line,
      });
      if (d.init) {
        const stores = this.initializer(d.type, d.init, d);
        inits.push({ offset, stores, line: d.line, gen: stores.some((x) => x.gen) });
      }
    }
    const line = s.line;
    const bound = s.decls.find((d) => d.boundTo !== undefined);
    if (bound !== undefined) {
      // (declared above, so that the statements using it compile: the program runs until here)
      m.statementLines.add(line);
      const what = `a register variable bound to a register (${bound.boundTo})`;
      return stepThen(m, line, () => {
        throw new CUnsupportedError(what, m.file, line);
      });
    }
    if (inits.length === 0) {
      return completesWith(NORMAL);
    }
    m.statementLines.add(line);
    if (!inits.some((i) => i.gen)) {
      return stepThen(m, line, (f) => {
        for (const i of inits) {
          const addr = f.fp + i.offset;
          for (const st of i.stores) st(f, addr);
        }
        return NORMAL;
      });
    }
    return function* (f: Frame) {
      f.line = line;
      if (++m.steps >= m.yieldAt) yield Signal.Step;
      for (const i of inits) {
        const addr = f.fp + i.offset;
        for (const st of i.stores) {
          if (st.gen) yield* st.gen(f, addr);
          else st(f, addr);
        }
      }
      return NORMAL;
    };
  }

  // --- initializers ------------------------------------------------------------------------

  /** Stores that initialize an object of `type` at a base address. */
  initializer(type: CType, init: Init, at: { line: number; col: number }): InitStore[] {
    const out: InitStore[] = [];
    const size = this.size(type, at.line);
    const mem = this.m.mem;
    if (init.k === "list" || (type.k === "array" && init.k === "expr" && init.e.k === "str")) {
      // Aggregates are zero-filled first, then the listed members stored.
      out.push(
        Object.assign((_f: Frame, base: number) => mem.fill(base, size, 0), { gen: undefined }),
      );
    }
    this.initInto(type, init, 0, out, at);
    return out;
  }

  initInto(
    type: CType,
    init: Init,
    offset: number,
    out: InitStore[],
    at: { line: number; col: number },
  ): void {
    const mem = this.m.mem;
    if (init.k === "expr") {
      if (type.k === "array" && init.e.k === "str") {
        const bytes = new Uint8Array(Math.min(this.size(type, at.line), init.e.bytes.length + 1));
        bytes.set(init.e.bytes.slice(0, bytes.length));
        out.push(Object.assign((_f: Frame, base: number) => mem.writeBytes(base + offset, bytes), {
          gen: undefined,
        }));
        return;
      }
      if (type.k === "array") this.fail("array initialized from a non-array expression", init.e);
      const e = this.convert(this.expr(init.e), type, init.e);
      const st = this.store(type);
      if (e.ev) {
        const ev = e.ev;
        out.push(
          Object.assign((f: Frame, base: number) => st(base + offset, ev(f)), { gen: undefined }),
        );
      } else {
        const g = e.g!;
        const fnGen = function* (f: Frame, base: number): Generator<Signal, void> {
          st(base + offset, yield* g(f));
        };
        out.push(Object.assign(() => {}, { gen: fnGen }));
      }
      return;
    }
    // A string in braces initializes a char array as the bare string does (C11 6.7.9p14).
    const only = init.items.length === 1 ? init.items[0] : undefined;
    if (
      type.k === "array" && type.of.k === "int" && type.of.size === 1 && only &&
      !only.designators.length && only.init.k === "expr" && only.init.e.k === "str"
    ) {
      this.initInto(type, only.init, offset, out, at);
      return;
    }
    // A brace list.
    if (type.k === "array" || type.k === "struct") {
      this.initMembers(type, init.items, 0, offset, out, at, true);
      return;
    }
    // A scalar in braces.
    if (init.items[0]) this.initInto(type, init.items[0].init, offset, out, at);
  }

  /**
   * Initializes the members of an aggregate from `items`, starting at `pos`; returns the
   * position after the last item used. With `braced`, the items are the aggregate's own brace
   * list: designators choose the member, and items past the end are ignored (gcc: "excess
   * elements", a warning). Otherwise the aggregate's braces were elided (C11 6.7.9p20): its
   * members take the enclosing list's items in order, and it ends at its last member or at a
   * designator, which names a member of the enclosing aggregate.
   */
  initMembers(
    type: CType & { k: "array" | "struct" },
    items: readonly InitItem[],
    pos: number,
    offset: number,
    out: InitStore[],
    at: { line: number; col: number },
    braced: boolean,
  ): number {
    const fields = type.k === "struct" ? type.fields ?? [] : [];
    const count = type.k === "array" ? type.n ?? Infinity : type.union ? 1 : fields.length;
    let i = 0;
    // an elided aggregate's first item is the one whose designator, if any, chose it
    const first = braced ? -1 : pos;
    while (pos < items.length) {
      const item = items[pos], d = pos === first ? undefined : item.designators[0];
      if (d && !braced) break;
      if (d) i = this.designated(type, d, count, at);
      else if (i >= count) {
        if (!braced) break;
        pos++;
        continue;
      }
      const [member, memberAt] = type.k === "array"
        ? [type.of, offset + i * this.size(type.of, at.line)]
        : [fields[i].type, offset + fields[i].offset];
      const bitField = type.k === "struct" && fields[i].bits !== undefined ? fields[i] : undefined;
      if (d && item.designators.length > 1) {
        // `.a.b = x`, `[2].c = x`: the rest of the designation names a member of this member
        const rest = [{ designators: item.designators.slice(1), init: item.init }];
        this.initMembers(asAggregate(member, this, at), rest, 0, memberAt, out, at, true);
        pos++;
      } else if (bitField) {
        this.initBitField(bitField, item.init, memberAt, out, at);
        pos++;
      } else pos = this.initMember(member, items, pos, memberAt, out, at);
      i = type.k === "struct" && type.union ? count : i + 1;
    }
    return pos;
  }

  /**
   * Initializes a bit-field from `init` (an expression, or one in braces): the value converted
   * to the field's type and stored into its bits of the unit at `offset`, as an assignment to it
   * stores — not the whole unit, which holds its neighbours too.
   */
  initBitField(
    field: Field,
    init: Init,
    offset: number,
    out: InitStore[],
    at: { line: number; col: number },
  ): void {
    const only = init.k === "list" ? init.items[0]?.init : init;
    if (only === undefined) return; // `{}`: the zero fill stands
    if (only.k !== "expr") this.fail("braces around scalar initializer", at);
    const e = this.convert(this.expr(only.e), field.type, only.e);
    const st = this.bitStore(field);
    if (e.ev) {
      const ev = e.ev;
      out.push(Object.assign((f: Frame, base: number) => {
        st(base + offset, ev(f));
      }, { gen: undefined }));
      return;
    }
    const g = e.g!;
    const fnGen = function* (f: Frame, base: number): Generator<Signal, void> {
      st(base + offset, yield* g(f));
    };
    out.push(Object.assign(() => {}, { gen: fnGen }));
  }

  /** The index of the member a designator names (`[i]` within the array, `.name` a field). */
  designated(
    type: CType & { k: "array" | "struct" },
    d: Designator,
    count: number,
    at: { line: number; col: number },
  ): number {
    if ("index" in d) {
      if (type.k !== "array") this.fail("array index in non-array initializer", d.index);
      const i = Number(this.constInt(d.index, this.T.long));
      if (i < 0 || i >= count) {
        this.fail("array index in initializer exceeds array bounds", d.index);
      }
      return i;
    }
    if (type.k !== "struct") this.fail(`field name not in record or union initializer`, at);
    const i = (type.fields ?? []).findIndex((f) => f.name === d.field);
    if (i < 0) this.fail(`no member named '${d.field}'`, at);
    return i;
  }

  /**
   * Initializes one member from `items[pos]`: a brace list, a scalar's expression, a string for
   * an array of char, a struct's value — or, for an aggregate given none of these, the first of
   * the items its elided braces would have held.
   */
  initMember(
    type: CType,
    items: readonly InitItem[],
    pos: number,
    offset: number,
    out: InitStore[],
    at: { line: number; col: number },
  ): number {
    const init = items[pos].init;
    if (init.k === "list" || (type.k !== "array" && type.k !== "struct")) {
      this.initInto(type, init, offset, out, at);
      return pos + 1;
    }
    const e = init.e;
    const whole = type.k === "array"
      ? e.k === "str" && type.of.k === "int" && type.of.size === 1
      : e.k !== "num" && e.k !== "str" && this.typeOf(e).k === "struct";
    if (whole) {
      this.initInto(type, init, offset, out, at);
      return pos + 1;
    }
    return this.initMembers(type, items, pos, offset, out, at, false);
  }

  // --- expressions: helpers ------------------------------------------------------------------

  /** Makes a compound expression from its operands, plain when they all are. */
  combine(t: CType, kids: E[], fn: (...v: Value[]) => Value): E {
    if (kids.every((k) => k.ev)) {
      if (kids.length === 1) {
        const a = kids[0].ev!;
        return { t, ev: (f) => fn(a(f)) };
      }
      if (kids.length === 2) {
        const a = kids[0].ev!, b = kids[1].ev!;
        return { t, ev: (f) => fn(a(f), b(f)) };
      }
      const evs = kids.map((k) => k.ev!);
      return { t, ev: (f) => fn(...evs.map((e) => e(f))) };
    }
    const gs = kids.map((k) => k.g), plains = kids.map((k) => k.g ? undefined : k.ev!);
    const argCount = kids.length;
    return {
      t,
      g: function* (f) {
        const vals: Value[] = [];
        for (let i = 0; i < argCount; i++) {
          const g = gs[i];
          vals.push(g !== undefined ? yield* g(f) : plains[i]!(f));
        }
        return fn(...vals);
      },
    };
  }

  /** Condition: an int-like truth value. */
  cond(e: Expr): { ev?: (f: Frame) => boolean; g?: (f: Frame) => Generator<Signal, boolean> } {
    const c = this.rvalue(e);
    if (!isScalar(c.t)) this.fail("used a value where a scalar is required", e);
    if (c.ev) {
      const ev = c.ev;
      return { ev: (f) => ev(f) !== 0 };
    }
    const g = c.g!;
    return {
      g: function* (f) {
        return (yield* g(f)) !== 0;
      },
    };
  }

  /** Converts an expression's value to a type (C's implicit and explicit conversions). */
  convert(e: E, to: CType, at: { line: number; col: number }): E {
    const folded = e.constant && convertConstant(e.constant, to);
    if (folded) return constantExpr(folded);
    const from = e.t;
    const fn = this.converter(from, to, at);
    if (!fn) {
      const { constant: _, ...value } = e; // (not a conversion gcc folds: a pointer's)
      return { ...value, t: to };
    }
    return this.combine(to, [e], fn);
  }

  converter(
    from: CType,
    to: CType,
    at: { line: number; col: number },
  ): ((v: Value) => Value) | undefined {
    const P = this.abi.ptrSize;
    if (to.k === "void") return () => 0;
    if (to.k === "struct") {
      if (from !== to) this.fail("incompatible types in struct conversion", at);
      return undefined;
    }
    const fromInt = from.k === "int"
      ? from
      : from.k === "ptr" || from.k === "fn" || from.k === "array"
      ? { size: P, signed: false, bool: false }
      : undefined;
    if (to.k === "int" && to.bool) {
      if (from.k === "float") return (v) => (v !== 0 ? 1 : 0);
      return (v) => (v !== 0 ? 1 : 0);
    }
    const toInt = to.k === "int" ? to : to.k === "ptr" ? { size: P, signed: false } : undefined;
    if (toInt) {
      if (from.k === "float") {
        const size = toInt.size, signed = toInt.signed, x87 = P === 4;
        return (v) => floatToInt(v as number, size, signed, x87);
      }
      if (!fromInt) this.fail("invalid conversion", at);
      if (fromInt.size === toInt.size && fromInt.signed === toInt.signed) return undefined;
      const size = toInt.size, signed = toInt.signed;
      if (fromInt.size < toInt.size && (fromInt.signed === signed || !fromInt.signed)) {
        return undefined; // widening that keeps the value
      }
      return (v) => convertInt(v as Int, size, signed);
    }
    if (to.k === "float") {
      if (from.k === "float") {
        if (to.size === 4 && from.size !== 4) return (v) => Math.fround(v as number);
        return undefined;
      }
      if (to.size === 4) return (v) => Math.fround(intToFloat(v as Int));
      return (v) => intToFloat(v as Int);
    }
    if (to.k === "array" || to.k === "fn") return undefined;
    this.fail("invalid conversion", at);
  }

  // --- lvalues -------------------------------------------------------------------------------

  /** The address of an lvalue, and the object's type. */
  lvalue(e: Expr): E {
    const m = this.m;
    switch (e.k) {
      case "id": {
        const v = this.lookup(e.name);
        if (v) {
          if ("offset" in v) {
            const off = v.offset;
            return { t: v.type, ev: (f) => f.fp + off };
          }
          if (v.addr < 0) {
            throw new CUnsupportedError(`external variable '${e.name}'`, m.file, e.line);
          }
          const addr = v.addr;
          return { t: v.type, ev: () => addr };
        }
        const fn = m.functions.get(e.name);
        if (fn) {
          const a = fn.address;
          return { t: fn.type, ev: () => a };
        }
        const b = m.builtins.get(e.name);
        if (b) {
          const a = b.address;
          return { t: b.type, ev: () => a };
        }
        if (
          e.name === "__func__" || e.name === "__FUNCTION__" || e.name === "__PRETTY_FUNCTION__"
        ) {
          const bytes = [...(this.#fn?.name ?? "")].map((c) => c.charCodeAt(0));
          const a = m.literal(bytes, e.line);
          return { t: { k: "array", of: this.T.char, n: bytes.length + 1 }, ev: () => a };
        }
        return this.fail(`'${e.name}' undeclared`, e, e.name);
      }
      case "str": {
        const a = m.literal(e.bytes, e.line);
        return { t: { k: "array", of: this.T.char, n: e.bytes.length + 1 }, ev: () => a };
      }
      case "un": {
        if (e.op !== "*") break;
        const p = this.rvalue(e.e);
        if (p.t.k !== "ptr") this.fail("invalid type argument of unary '*'", e, "*");
        return { ...this.toAddress(p), t: p.t.to };
      }
      case "index": {
        let a = this.rvalue(e.a), i = this.rvalue(e.i);
        if (a.t.k !== "ptr") [a, i] = [i, a];
        if (a.t.k !== "ptr" || i.t.k !== "int") {
          this.fail("subscripted value is neither array nor pointer", e, "[");
        }
        const elem = a.t.to;
        return { ...this.toAddress(this.pointerAdd(a, i, 1, e)), t: elem };
      }
      case "member": {
        let base: E;
        let st: CType;
        if (e.arrow) {
          const p = this.rvalue(e.e);
          if (p.t.k !== "ptr") this.fail(`invalid type argument of '->'`, e, "->");
          st = p.t.to;
          base = this.toAddress(p);
        } else {
          base = this.lvalue(e.e);
          st = base.t;
        }
        if (st.k !== "struct") {
          this.fail(
            `request for member '${e.name}' in something not a structure or union`,
            e,
            e.name,
          );
        }
        const found = findField(st, e.name);
        if (!found) this.fail(`'${typeLabel(st)}' has no member named '${e.name}'`, e, e.name);
        const off = found.offset;
        const fld = found.field;
        const r = off === 0
          ? { ...base }
          : this.combine(fld.type, [base], (a) => (a as number) + off);
        return { ...r, t: fld.type, bitfield: fld.bits !== undefined ? fld : undefined } as E;
      }
      case "compound": {
        if (!this.#fn) this.fail("compound literal at file scope", e);
        const offset = this.allocLocal(e.type, alignOf(e.type, this.abi), e.line);
        const stores = this.initializer(e.type, e.init, e);
        const t = e.type;
        if (stores.every((s) => !s.gen)) {
          return {
            t,
            ev: (f) => {
              const a = f.fp + offset;
              for (const s of stores) s(f, a);
              return a;
            },
          };
        }
        return {
          t,
          g: function* (f) {
            const a = f.fp + offset;
            for (const s of stores) {
              if (s.gen) yield* s.gen(f, a);
              else s(f, a);
            }
            return a;
          },
        };
      }
    }
    return this.fail("lvalue required", e);
  }

  /** A pointer value used as an address (a number: user space fits in a double exactly). */
  toAddress(p: E): E {
    return this.combine(p.t, [p], checkAddress);
  }

  pointerAdd(p: E, i: E, sign: 1 | -1, at: { line: number; col: number }): E {
    const pt = p.t as CType & { k: "ptr" };
    const esz = pt.to.k === "void" || pt.to.k === "fn" ? 1 : this.size(pt.to, at.line);
    const P = this.abi.ptrSize;
    const it = i.t as IntType;
    if (P === 8) {
      const signed = it.signed || it.size < 8;
      return this.combine(pt, [p, i], (a, b) => {
        if (typeof a === "number" && typeof b === "number") {
          const r = a + sign * b * esz;
          if (r >= 0 && r <= MAX) return r;
        }
        let off: Int = mul64(b as Int, esz, signed);
        if (sign < 0) off = neg64(off, true);
        return add64(a as Int, off, false);
      });
    }
    return this.combine(pt, [p, i], (a, b) => {
      const r = (a as number) + sign * (b as number) * esz;
      return r >= 0 && r < 4294967296 ? r : convertInt(
        Number.isSafeInteger(r)
          ? r
          : BigInt(a as number) + BigInt(sign * esz) * BigInt(b as number),
        4,
        false,
      );
    });
  }

  // --- rvalues -------------------------------------------------------------------------------

  /** An expression's value, arrays and functions decayed to pointers. */
  rvalue(e: Expr): E {
    const x = this.expr(e);
    return x;
  }

  /** The type of an expression without decay (for sizeof). */
  typeOf(e: Expr): CType {
    if (isLvalueKind(e)) return this.lvalue(e).t;
    return this.expr(e).t;
  }

  expr(e: Expr): E {
    const m = this.m;
    const T = this.T;
    if (e.k === "bin" || e.k === "un" || e.k === "cast" || e.k === "cond" || e.k === "comma") {
      const c = this.#folder.fold(e);
      if (c) return constantExpr(c);
    }
    switch (e.k) {
      case "num":
        return constantExpr({ t: e.type, value: e.value });
      case "str":
      case "id":
      case "index":
      case "member":
      case "compound": {
        const lv = this.lvalue(e);
        return this.loadFrom(lv);
      }
      case "un":
        return this.unary(e);
      case "cast": {
        if (e.type.k === "void") return this.combine(T.void, [this.discarded(e.e)], () => 0);
        return this.convert(this.expr(e.e), e.type, e);
      }
      case "sizeof":
      case "alignof":
      case "offsetof":
        return constantExpr(this.#folder.fold(e) ?? this.measure(e));
      case "comma": {
        const l = this.discarded(e.l), r = this.expr(e.r);
        return this.combine(r.t, [l, r], (_a, b) => b);
      }
      case "cond":
        return this.conditional(e);
      case "bin":
        return this.binary(e);
      case "assign":
        return this.assign(e);
      case "call":
        return this.call(e);
      case "vaarg": {
        const ap = this.expr(e.ap);
        const t = e.type;
        const line = e.line;
        const convs = new Map<CType, ((v: Value) => Value) | undefined>();
        return this.combine(t, [ap], (h) => {
          const list = m.vaLists.get(Number(h));
          if (!list) throw m.error("va_arg on a va_list that va_start did not set", line);
          const i = list.next++;
          if (i >= list.values.length) return 0; // reads past the arguments: garbage in C
          const from = list.types[i];
          if (!convs.has(from)) convs.set(from, this.converter(from, t, e));
          const conv = convs.get(from);
          return conv ? conv(list.values[i]) : list.values[i];
        });
      }
    }
    throw new CUnsupportedError(`expression '${(e as Expr).k}'`, m.file, (e as Expr).line);
  }

  /** The value of a `sizeof`, `_Alignof` or `offsetof` expression (a `size_t`). */
  measure(e: Expr & { k: "sizeof" | "alignof" | "offsetof" }): Constant {
    let n = 0;
    if (e.k === "sizeof") n = this.size(e.type ?? this.typeOf(e.e!), e.line);
    else if (e.k === "alignof") n = alignOf(e.type, this.abi);
    else {
      let t: CType = e.type;
      for (const name of e.path) {
        if (t.k !== "struct") this.fail("offsetof of a non-struct", e);
        const f = findField(t, name);
        if (!f) this.fail(`no member named '${name}'`, e);
        n += f.offset;
        t = f.field.type;
      }
    }
    return { t: this.T.size, value: n };
  }

  /** Loads an lvalue (arrays and functions decay to their address). */
  loadFrom(lv: E): E {
    const t = lv.t;
    if (t.k === "array") return { ...lv, t: { k: "ptr", to: t.of } };
    if (t.k === "fn") return { ...lv, t: { k: "ptr", to: t } };
    const bf = (lv as { bitfield?: Field }).bitfield;
    if (bf) {
      // A bit-field of int's size or less whose values all fit in an int reads as an int
      // (C11 6.3.1.1): for `unsigned a : 3`, `a - 2` is negative, as gcc computes it.
      const int = this.abi.types.int;
      const narrow = t.k === "int" && t.size <= int.size && bf.bits! < int.size * 8;
      return this.combine(narrow ? int : t, [lv], this.bitLoad(bf));
    }
    const ld = this.load(t);
    if (lv.ev) {
      const a = lv.ev;
      return { t, ev: (f) => ld(a(f) as number) };
    }
    return this.combine(t, [lv], (a) => ld(a as number));
  }

  bitLoad(bf: Field): (a: Value) => Value {
    const ld = this.load(bf.type);
    const it = bf.type as IntType;
    const bits = bf.bits!, off = bf.bitOffset!;
    return (a) => {
      const raw = BigInt.asUintN(it.size * 8, BigInt(ld(a as number) as Int));
      let v = (raw >> BigInt(off)) & ((1n << BigInt(bits)) - 1n);
      if (it.signed && bits > 0 && (v >> BigInt(bits - 1)) & 1n) v -= 1n << BigInt(bits);
      return convertInt(v, it.size, it.signed);
    };
  }

  bitStore(bf: Field): (a: number, v: Value) => Value {
    const ld = this.load(bf.type), st = this.store(bf.type);
    const it = bf.type as IntType;
    const bits = BigInt(bf.bits!), off = BigInt(bf.bitOffset!);
    const mask = ((1n << bits) - 1n) << off;
    return (a, v) => {
      const raw = BigInt.asUintN(it.size * 8, BigInt(ld(a) as Int));
      const nv = (raw & ~mask) | ((BigInt(v as Int) << off) & mask);
      st(a, convertInt(nv, it.size, it.signed));
      return this.bitLoad(bf)(a);
    };
  }

  conditional(e: Expr & { k: "cond" }): E {
    const c = this.cond(e.c);
    let a = this.expr(e.a), b = this.expr(e.b);
    let t: CType;
    if (isArithmetic(a.t) && isArithmetic(b.t)) {
      t = commonType(a.t, b.t, this.abi);
      a = this.convert(a, t, e.a);
      b = this.convert(b, t, e.b);
    } else if (a.t.k === "ptr") t = a.t;
    else if (b.t.k === "ptr") t = b.t;
    else t = a.t;
    if (c.ev && a.ev && b.ev) {
      const cv = c.ev, av = a.ev, bv = b.ev;
      return { t, ev: (f) => (cv(f) ? av(f) : bv(f)) };
    }
    const cg = c.g ?? function* (f: Frame) {
      return c.ev!(f);
    };
    const ag = toGen(a), bg = toGen(b);
    return {
      t,
      g: function* (f) {
        return (yield* cg(f)) ? yield* ag(f) : yield* bg(f);
      },
    };
  }

  unary(e: Expr & { k: "un" }): E {
    const T = this.T;
    switch (e.op) {
      case "&": {
        if (e.e.k === "un" && e.e.op === "*") {
          const p = this.expr(e.e.e);
          return p;
        }
        const lv = this.lvalue(e.e);
        return { ...lv, t: { k: "ptr", to: lv.t } };
      }
      case "*": {
        const lv = this.lvalue(e);
        return this.loadFrom(lv);
      }
      case "+":
      case "-":
      case "~": {
        const x = this.expr(e.e);
        if (!isArithmetic(x.t)) this.fail(`wrong type argument to unary '${e.op}'`, e, e.op);
        const t = promote(x.t, this.abi);
        const c = this.convert(x, t, e);
        if (e.op === "+") return c;
        if (t.k === "float") return this.combine(t, [c], (v) => -(v as number));
        const it = t as IntType;
        if (it.size === 8) {
          const s = it.signed;
          return this.combine(
            t,
            [c],
            e.op === "-" ? (v) => neg64(v as Int, s) : (v) => not64(v as Int, s),
          );
        }
        if (e.op === "-") {
          return this.combine(
            t,
            [c],
            it.signed ? (v) => -(v as number) | 0 : (v) => (-(v as number)) >>> 0,
          );
        }
        return this.combine(
          t,
          [c],
          it.signed ? (v) => ~(v as number) : (v) => ~(v as number) >>> 0,
        );
      }
      case "!": {
        const c = this.cond(e.e);
        if (c.ev) {
          const ev = c.ev;
          return { t: T.int, ev: (f) => (ev(f) ? 0 : 1) };
        }
        const g = c.g!;
        return {
          t: T.int,
          g: function* (f) {
            return (yield* g(f)) ? 0 : 1;
          },
        };
      }
      case "pre++":
      case "pre--":
      case "post++":
      case "post--": {
        const lv = this.lvalue(e.e);
        const t = lv.t;
        const one: Expr = { k: "num", value: 1, type: T.int, line: e.line, col: e.col };
        const op = e.op.includes("++") ? "+" : "-";
        const post = e.op.startsWith("post");
        const compute = this.arith(op, { t, ev: () => 0 }, this.expr(one), e);
        const ld = this.load(t);
        const bf = (lv as { bitfield?: Field }).bitfield;
        const st = bf ? this.bitStore(bf) : this.store(t);
        const ldx = bf ? this.bitLoad(bf) : (a: Value) => ld(a as number);
        const apply = compute.apply;
        const conv = this.converter(compute.t, t, e);
        return this.combine(t, [lv], (a) => {
          const old = ldx(a);
          let nv = apply(old, 1);
          if (conv) nv = conv(nv);
          st(a as number, nv);
          return post ? old : nv;
        });
      }
    }
    throw new CUnsupportedError(`unary operator '${e.op}'`, this.m.file, e.line);
  }

  /** Arithmetic of a binary operator: result type and the function of the two values. */
  arith(
    op: string,
    l: E,
    r: E,
    at: { line: number; col: number },
  ): { t: CType; lt: CType; rt: CType; apply: (a: Value, b: Value) => Value } {
    const m = this.m;
    const T = this.T;
    const lt = l.t, rt = r.t;
    // Pointer arithmetic.
    if ((op === "+" || op === "-") && (lt.k === "ptr" || rt.k === "ptr")) {
      return this.pointerArith(op, lt, rt, at);
    }
    const cmp = op === "<" || op === ">" || op === "<=" || op === ">=" || op === "==" ||
      op === "!=";
    if (cmp && (lt.k === "ptr" || rt.k === "ptr")) {
      const ct: CType = lt.k === "ptr" ? lt : rt;
      const f = compare(op);
      // A pointer compared with an integer (0, or a cast) compares as pointer-sized unsigned.
      return { t: T.int, lt: ct, rt: ct, apply: f };
    }
    if (!isArithmetic(lt) || !isArithmetic(rt)) {
      this.fail(`invalid operands to binary ${op}`, at, op);
    }
    if (op === "<<" || op === ">>") {
      const t = promote(lt, this.abi) as IntType;
      const rp = promote(rt, this.abi);
      const bits = t.size * 8;
      const s = t.signed;
      let apply: (a: Value, b: Value) => Value;
      if (t.size === 8) {
        apply = op === "<<"
          ? (a, b) => shl64(a as Int, Number(b) & 63, s)
          : (a, b) => shr64(a as Int, Number(b) & 63, s);
      } else if (op === "<<") {
        apply = s
          ? (a, b) => (a as number) << (Number(b) & 31)
          : (a, b) => ((a as number) << (Number(b) & 31)) >>> 0;
      } else {
        apply = s
          ? (a, b) => (a as number) >> (Number(b) & 31)
          : (a, b) => (a as number) >>> (Number(b) & 31);
      }
      void bits;
      return { t, lt: t, rt: rp, apply };
    }
    const ct = commonType(lt, rt, this.abi);
    if (cmp) return { t: T.int, lt: ct, rt: ct, apply: compare(op) };
    if (ct.k === "float") {
      const fr = ct.size === 4 ? Math.fround : (x: number) => x;
      const fop: Record<string, (a: number, b: number) => number> = {
        "+": (a, b) => fr(a + b),
        "-": (a, b) => fr(a - b),
        "*": (a, b) => fr(a * b),
        "/": (a, b) => fr(a / b),
      };
      const f = fop[op];
      if (!f) this.fail(`invalid operands to binary ${op}`, at, op);
      return { t: ct, lt: ct, rt: ct, apply: f as (a: Value, b: Value) => Value };
    }
    const it = ct as IntType;
    const line = at.line;
    const divZero = () => m.error("division by zero (Floating point exception)", line, "SIGFPE");
    const apply = integerOp(op, it, divZero);
    if (!apply) this.fail(`invalid operator ${op}`, at, op);
    return { t: ct, lt: ct, rt: ct, apply };
  }

  /** Pointer `+` and `-`: a pointer moved by whole elements, or the elements between two. */
  pointerArith(
    op: string,
    lt: CType,
    rt: CType,
    at: { line: number; col: number },
  ): { t: CType; lt: CType; rt: CType; apply: (a: Value, b: Value) => Value } {
    const T = this.T;
    const P = this.abi.ptrSize;
    if (lt.k === "ptr" && rt.k === "ptr" && op === "-") {
      const esz = lt.to.k === "void" ? 1 : this.size(lt.to, at.line);
      const ssize = T.ssize;
      return {
        t: ssize,
        lt,
        rt,
        apply: (a, b) => {
          const d = P === 8
            ? sub64(a as Int, b as Int, true)
            : convertInt((a as number) - (b as number), 4, true);
          return esz === 1
            ? d
            : P === 8
            ? div64(d, esz, true)
            : Math.trunc((d as number) / esz) | 0;
        },
      };
    }
    const ptrLeft = lt.k === "ptr";
    const pt = (ptrLeft ? lt : rt) as CType & { k: "ptr" };
    const other = ptrLeft ? rt : lt;
    if (other.k !== "int") this.fail(`invalid operands to binary ${op}`, at, op);
    const esz = pt.to.k === "void" || pt.to.k === "fn" ? 1 : this.size(pt.to, at.line);
    const sign = op === "-" ? -1 : 1;
    const signed = (other as IntType).signed || (other as IntType).size < 8;
    const add = (p: Value, i: Value): Value => {
      if (typeof p === "number" && typeof i === "number") {
        const x = p + sign * i * esz;
        if (x >= 0 && (P === 8 ? x <= MAX : x < 4294967296)) return x;
      }
      if (P === 4) {
        return convertInt(BigInt(p as Int) + BigInt(sign * esz) * BigInt(i as Int), 4, false);
      }
      let off: Int = mul64(i as Int, esz, signed);
      if (sign < 0) off = neg64(off, true);
      return add64(p as Int, off, false);
    };
    return {
      t: pt,
      lt,
      rt,
      apply: ptrLeft ? add : (a, b) => add(b, a),
    };
  }

  binary(e: Expr & { k: "bin" }): E {
    const T = this.T;
    if (e.op === "&&" || e.op === "||") {
      const a = this.cond(e.l), b = this.cond(e.r);
      const and = e.op === "&&";
      if (a.ev && b.ev) {
        const av = a.ev, bv = b.ev;
        return and
          ? { t: T.int, ev: (f) => (av(f) && bv(f) ? 1 : 0) }
          : { t: T.int, ev: (f) => (av(f) || bv(f) ? 1 : 0) };
      }
      const ag = a.g ?? function* (f: Frame) {
        return a.ev!(f);
      };
      const bg = b.g ?? function* (f: Frame) {
        return b.ev!(f);
      };
      return {
        t: T.int,
        g: function* (f) {
          const x = yield* ag(f);
          if (and ? !x : x) return and ? 0 : 1;
          return (yield* bg(f)) ? 1 : 0;
        },
      };
    }
    const l = this.expr(e.l), r = this.expr(e.r);
    const a = this.arith(e.op, l, r, e);
    const lc = this.convertOperand(l, a.lt, e.l), rc = this.convertOperand(r, a.rt, e.r);
    const apply = minusOneDivision(e.op, a.t, r.constant) ?? a.apply;
    if (lc.ev && rc.ev) {
      const x = lc.ev, y = rc.ev;
      return { t: a.t, ev: (f) => apply(x(f), y(f)) };
    }
    return this.combine(a.t, [lc, rc], apply);
  }

  convertOperand(x: E, to: CType, at: Expr): E {
    if (x.t.k === "ptr" || to.k === "ptr") {
      if (x.t.k === "ptr" && to.k === "ptr") return x;
      // An integer compared with a pointer: converted to the pointer's width.
      return this.convert(x, x.t.k === "ptr" ? x.t : { k: "ptr", to: this.T.void }, at);
    }
    return this.convert(x, to, at);
  }

  assign(e: Expr & { k: "assign" }): E {
    const lv = this.lvalue(e.l);
    const t = lv.t;
    if (t.k === "array") this.fail("assignment to expression with array type", e, "=");
    const bf = (lv as { bitfield?: Field }).bitfield;
    const st = bf ? this.bitStore(bf) : this.store(t);
    const r = this.expr(e.r);
    if (e.op === "=") {
      if (t.k === "struct") {
        if (r.t !== t) this.fail("incompatible types when assigning to a struct", e, "=");
      }
      const rc = this.convert(r, t, e.r);
      if (lv.ev && rc.ev && !bf) {
        const a = lv.ev, v = rc.ev;
        return {
          t,
          ev: (f) => {
            const addr = a(f) as number;
            const x = v(f);
            st(addr, x);
            return x;
          },
        };
      }
      return this.combine(t, [lv, rc], (a, v) => {
        const res: unknown = st(a as number, v);
        return bf ? res as Value : v;
      });
    }
    const op = e.op.slice(0, -1);
    const ld = this.load(t);
    const ldx = bf ? this.bitLoad(bf) : (a: Value) => ld(a as number);
    const a = this.arith(op, { t, ev: () => 0 }, r, e);
    const lconv = t.k === "ptr" ? undefined : this.converter(t, a.lt, e);
    const rconv = a.rt.k === "ptr" && r.t.k === "ptr" ? undefined : this.converter(r.t, a.rt, e);
    const back = this.converter(a.t, t, e);
    const apply = minusOneDivision(op, a.t, r.constant) ?? a.apply;
    return this.combine(t, [lv, r], (addr, v) => {
      let old = ldx(addr);
      if (lconv) old = lconv(old);
      const nv0 = apply(old, rconv ? rconv(v) : v);
      const nv = back ? back(nv0) : nv0;
      st(addr as number, nv);
      return nv;
    });
  }

  // --- calls ---------------------------------------------------------------------------------

  /**
   * An expression whose value the program discards (an expression statement, a `(void)` cast, a
   * comma's left operand, a `for` step): a library call in it may be one gcc rewrites.
   */
  discarded(e: Expr): E {
    if (e.k === "call") return this.call(e, { valueUsed: false });
    if (e.k === "comma") {
      const l = this.discarded(e.l), r = this.discarded(e.r);
      return this.combine(r.t, [l, r], (_a, b) => b);
    }
    if (e.k === "cast" && e.type.k === "void") {
      return this.combine(this.T.void, [this.discarded(e.e)], () => 0);
    }
    return this.expr(e);
  }

  /**
   * The call gcc emits for a library call whose value is discarded, when it rewrites it
   * (`gcc_folding.ts`): a call of another function, or only the arguments' evaluation. Each
   * argument is compiled once (`compiled`), whatever call it ends up in: a compound literal's
   * slot in the frame is made once.
   */
  folded(e: Expr & { k: "call" }, compiled: Map<Expr, E>): E | undefined {
    if (!this.m.gccBuiltins || e.f.k !== "id" || this.lookup(e.f.name)) return undefined;
    const name = e.f.name;
    if (this.m.functions.has(name) || !this.m.builtins.has(name)) return undefined;
    if (!FOLDABLE_CALLS.has(name)) return undefined;
    const known = e.args.map((a) => {
      if (a.k === "str") return literalArgument(a.bytes);
      const constant = a.k === "id" && this.lookup(a.name) === this.#scopes[0].vars.get(a.name)
        ? this.#constantStrings.get(a.name)
        : undefined;
      if (constant) return literalArgument(constant);
      const x = this.expr(a), t = x.t;
      compiled.set(a, x);
      return { pointer: t.k === "ptr" || t.k === "array", int: isPromotedInt(t) };
    });
    const fold = foldedCall(name, known, false);
    if (!fold) return undefined;
    const call = emittedCall(e, fold, this.T);
    if (call) return this.call(call, { compiled });
    // none: only the arguments
    const args = e.args.map((a) => compiled.get(a) ?? this.expr(a));
    return this.combine(this.T.int, args, () => 0);
  }

  /**
   * A call. `valueUsed` false: the program discards its value, and gcc may have rewritten it
   * (`folded`); `compiled`: arguments already compiled.
   */
  call(
    e: Expr & { k: "call" },
    { valueUsed = true, compiled = new Map<Expr, E>() }: {
      valueUsed?: boolean;
      compiled?: Map<Expr, E>;
    } = {},
  ): E {
    const m = this.m;
    const line = e.line;
    const folded = valueUsed ? undefined : this.folded(e, compiled);
    if (folded) return folded;
    // A direct call by name.
    let ftype: FunctionType | undefined;
    let target: { fn?: CFunction; b?: Builtin; ptr?: E } = {};
    if (e.f.k === "id" && !this.lookup(e.f.name)) {
      const name = e.f.name;
      const fn = m.functions.get(name);
      const b = m.builtins.get(name);
      if (fn) target = { fn };
      else if (b) target = { b };
      else {
        // Not a function the program defines nor one the interpreter models.
        const args = e.args.map((a) => this.expr(a));
        const t = this.T.int;
        return this.combine(t, args, () => {
          throw new CUnsupportedError(`function '${name}'`, m.file, line);
        });
      }
      ftype = (fn ?? b)!.type;
    } else {
      const p = this.expr(e.f);
      const pt = p.t.k === "ptr" ? p.t.to : p.t;
      if (pt.k !== "fn") this.fail("called object is not a function or function pointer", e, "(");
      ftype = pt;
      target = { ptr: p };
    }
    const args: E[] = [];
    const types: CType[] = [];
    e.args.forEach((a, i) => {
      let x = compiled.get(a) ?? this.expr(a);
      const pt = ftype!.params[i];
      if (pt) x = this.convert(x, pt, a);
      else {
        // Default argument promotions.
        if (x.t.k === "float" && x.t.size === 4) x = this.convert(x, this.T.double, a);
        else if (x.t.k === "int" && x.t.size < 4) x = this.convert(x, this.T.int, a);
      }
      args.push(x);
      types.push(x.t);
    });
    if (!ftype.variadic && !ftype.unprototyped && args.length !== ftype.params.length) {
      this.fail(
        `${args.length < ftype.params.length ? "too few" : "too many"} arguments to function`,
        e,
        "(",
      );
    }
    const ret = ftype.ret;
    const rt = ret.k === "void" ? this.T.void : ret;
    if (target.b && target.b.fn && args.every((a) => a.ev)) {
      const impl = target.b.fn;
      const evs = args.map((a) => a.ev!);
      const n = evs.length;
      if (n === 1) {
        const a0 = evs[0];
        return { t: rt, ev: (f) => impl({ args: [a0(f)], types, line, frame: f }) };
      }
      return {
        t: rt,
        ev: (f) => {
          const vals: Value[] = new Array(n);
          for (let i = 0; i < n; i++) vals[i] = evs[i](f);
          return impl({ args: vals, types, line, frame: f });
        },
      };
    }
    // Each argument's generator, or undefined where its plain closure runs without one.
    const gs = args.map((a) => a.g), plains = args.map((a) => a.g ? undefined : a.ev!);
    const argCount = args.length;
    const rtm = () => m.rt;
    if (target.b) {
      const b = target.b;
      return {
        t: rt,
        g: function* (f) {
          const vals: Value[] = [];
          for (let i = 0; i < argCount; i++) {
            const g = gs[i];
            vals.push(g !== undefined ? yield* g(f) : plains[i]!(f));
          }
          const call = { args: vals, types, line, frame: f };
          return b.gen ? yield* b.gen(call) : b.fn!(call);
        },
      };
    }
    if (target.fn) {
      const fn = target.fn;
      return {
        t: rt,
        g: function* (f) {
          const vals: Value[] = [];
          for (let i = 0; i < argCount; i++) {
            const g = gs[i];
            vals.push(g !== undefined ? yield* g(f) : plains[i]!(f));
          }
          return yield* rtm().callFunction(fn, vals, types);
        },
      };
    }
    const pg = toGen(target.ptr!);
    return {
      t: rt,
      g: function* (f) {
        const addr = yield* pg(f);
        const vals: Value[] = [];
        for (let i = 0; i < argCount; i++) {
          const g = gs[i];
          vals.push(g !== undefined ? yield* g(f) : plains[i]!(f));
        }
        return yield* rtm().callAddress(addr as Int, vals, types, line, f);
      },
    };
  }
}

/**
 * The automatic variables of a function body in the order gcc -O0 gives them stack slots: a
 * scope's own variables in declaration order, then its inner scopes, one after the other.
 */
/** The function of an integer binary operator `+ - * / % & | ^` in type `it` (C's wraparound). */
function integerOp(
  op: string,
  it: IntType,
  divZero: () => unknown,
): ((a: Value, b: Value) => Value) | undefined {
  const s = it.signed;
  if (it.size === 8) {
    const minus = -(2n ** 63n);
    const ops: Record<string, (a: Value, b: Value) => Value> = {
      "+": (a, b) => add64(a as Int, b as Int, s),
      "-": (a, b) => sub64(a as Int, b as Int, s),
      "*": (a, b) => mul64(a as Int, b as Int, s),
      "/": (a, b) => {
        if (b === 0) throw divZero();
        if (s && a === minus && b === -1) throw divZero();
        return div64(a as Int, b as Int, s);
      },
      "%": (a, b) => {
        if (b === 0) throw divZero();
        if (s && a === minus && b === -1) throw divZero();
        return mod64(a as Int, b as Int, s);
      },
      "&": (a, b) => and64(a as Int, b as Int, s),
      "|": (a, b) => or64(a as Int, b as Int, s),
      "^": (a, b) => xor64(a as Int, b as Int, s),
    };
    return ops[op];
  } else {
    const w = s ? (x: number) => x | 0 : (x: number) => x >>> 0;
    const ops: Record<string, (a: Value, b: Value) => Value> = {
      "+": s
        ? (a, b) => ((a as number) + (b as number)) | 0
        : (a, b) => ((a as number) + (b as number)) >>> 0,
      "-": s
        ? (a, b) => ((a as number) - (b as number)) | 0
        : (a, b) => ((a as number) - (b as number)) >>> 0,
      "*": s
        ? (a, b) => Math.imul(a as number, b as number)
        : (a, b) => Math.imul(a as number, b as number) >>> 0,
      "/": (a, b) => {
        if (b === 0) throw divZero();
        if (s && a === -2147483648 && b === -1) throw divZero();
        return w(Math.trunc((a as number) / (b as number)));
      },
      "%": (a, b) => {
        if (b === 0) throw divZero();
        if (s && a === -2147483648 && b === -1) throw divZero();
        return w((a as number) % (b as number));
      },
      "&": (a, b) => w((a as number) & (b as number)),
      "|": (a, b) => w((a as number) | (b as number)),
      "^": (a, b) => w((a as number) ^ (b as number)),
    };
    return ops[op];
  }
}

/** A compiled expression whose value gcc knows at compile time. */
function constantExpr(c: Constant): E {
  const v = c.value;
  return { t: c.t, ev: () => v, constant: c };
}

function collectLocals(s: Stmt, out: VarDecl[]): void {
  const own = (x: Stmt): Stmt => {
    while (x.k === "label" || x.k === "case" || x.k === "default") x = x.stmt;
    return x;
  };
  const declsOf = (x: Stmt) => {
    if (x.k !== "decl") return;
    for (const d of x.decls) if (d.storage === "auto" && d.type.k !== "fn") out.push(d);
  };
  switch (s.k) {
    case "decl":
      declsOf(s);
      break;
    case "block": {
      const body = s.body.map(own);
      for (const x of body) declsOf(x);
      for (const x of body) if (x.k !== "decl") collectLocals(x, out);
      break;
    }
    default:
      for (const x of childStatements(s)) collectLocals(x, out);
  }
}

/** Names whose address a function body takes (`&x`, `&x.f`, `&x[i]`). */
function addressTaken(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) addressTaken(x, out);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Record<string, unknown>;
  if (n.k === "un" && n.op === "&") {
    let e = n.e as Expr;
    while (e.k === "member" && !e.arrow || e.k === "index") e = e.k === "member" ? e.e : e.a;
    if (e.k === "id") out.add(e.name);
  }
  for (const [key, value] of Object.entries(n)) {
    if (key !== "type" && typeof value === "object") addressTaken(value, out);
  }
}

/** A store of part of an initializer at a base address; `gen` when it may stop. */
type InitStore = ((f: Frame, base: number) => void) & {
  gen?: (f: Frame, base: number) => Generator<Signal, void>;
};

/** Whether a statement calls setjmp by name, anywhere inside it. */
function callsSetjmp(node: unknown): boolean {
  if (!node || typeof node !== "object") return false;
  const n = node as Record<string, unknown>;
  if (n.k === "call") {
    const f = n.f as Expr;
    if (f.k === "id" && SETJMP_NAMES.has(f.name)) return true;
  }
  for (const [key, value] of Object.entries(n)) {
    if (key !== "type" && typeof value === "object" && callsSetjmp(value)) return true;
  }
  return false;
}

/** One item of a brace-enclosed initializer list: its designators and its initializer. */
type InitItem = (Init & { k: "list" })["items"][number];

/** A designated member's type as the aggregate the rest of its designation walks into. */
function asAggregate(
  t: CType,
  c: Compiler,
  at: { line: number; col: number },
): CType & { k: "array" | "struct" } {
  if (t.k === "array" || t.k === "struct") return t;
  return c.fail("designator for a member that is neither an array nor a struct", at);
}

/** A pointer beyond 2^53 is never mapped (user space ends at 2^47): it faults. */
function checkAddress(a: Value): Value {
  if (typeof a === "number") return a;
  const u = BigInt.asUintN(64, a as bigint);
  throw new SegmentationFault(Number(u), "read", "SEGV_MAPERR", `0x${u.toString(16)}`);
}

function toGen(e: E): (f: Frame) => Generator<Signal, Value> {
  if (e.g) return e.g;
  const ev = e.ev!;
  return function* (f) {
    return ev(f);
  };
}

function compare(op: string): (a: Value, b: Value) => Value {
  switch (op) {
    case "<":
      return (a, b) => (a < b ? 1 : 0);
    case ">":
      return (a, b) => (a > b ? 1 : 0);
    case "<=":
      return (a, b) => (a <= b ? 1 : 0);
    case ">=":
      return (a, b) => (a >= b ? 1 : 0);
    case "==":
      return (a, b) => (a === b ? 1 : 0);
    default:
      return (a, b) => (a !== b ? 1 : 0);
  }
}

/** A member of a struct (searching anonymous members), with its offset from the struct. */
function findField(s: StructType, name: string): { field: Field; offset: number } | undefined {
  for (const f of s.fields ?? []) {
    if (f.name === name) return { field: f, offset: f.offset };
    if (f.name === "" && f.type.k === "struct") {
      const inner = findField(f.type, name);
      if (inner) return { field: inner.field, offset: f.offset + inner.offset };
    }
  }
  return undefined;
}

function typeLabel(s: StructType): string {
  return `${s.union ? "union" : "struct"} ${s.tag}`;
}
