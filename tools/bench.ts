/**
 * `deno task bench`: how fast heaplab replays heap traces, next to real glibc, in one run.
 *
 * For each generated trace shape (small, mixed, threads; `bench/scale_trace.py`, 1M operation
 * lines, cached in `out/bench/`) it times, each in a fresh Deno process:
 *
 * - **replay**: the replay command (`src/trace/cli.ts`, glibc 2.36, x86_64) — the product:
 *   parsing, the allocator, and the oracle-format output (pointer classes, `maps`, heap scans),
 *   bundled into one file as `deno task bundle:replay` makes it, and from source as `deno task
 *   replay` runs it; and `replayTrace` timed inside its process;
 * - **parse**: `parseTraceLine` over every line, alone;
 * - **alloc**: the allocator alone on the pre-parsed heap operations (malloc, free, calloc,
 *   realloc, memalign, and thread create/switch/join), no output — what `native_replay` does;
 * - **heap lines**: the replay again on the trace's malloc, free, calloc, realloc and memalign
 *   lines alone (`<trace>.heap-lines.trace`), the lines `native_replay` runs, against
 *   `native_replay` on the same file: the work both sides do;
 *
 * then real glibc on the same trace: `bench/native_replay.c` built with `gcc -O2` (the heap
 * operations only, pre-parsed, on one thread; the fastest of five runs; on a trace with threads
 * also with them, `--tls-switch`, once it is seen to return what real hand-offs between threads
 * return, pointer for pointer), and the real-glibc oracle driver
 * (`$ORACLE_DIR/run.sh 2.36 x86_64`, default `../shared/oracle`; it needs its `build/`), which
 * reads `/proc/self/maps` after every operation and is therefore no speed reference, but prints
 * the same output as the replay: the two outputs are compared. Last, the peak memory of a
 * simulated process holding 1M live 32-byte chunks.
 *
 * Prints the machine, the versions, the load average before and after, and one Markdown table;
 * writes it to `out/bench/results.md` too.
 *
 * Usage: `deno task bench [--ops N] [--shapes small,mixed,threads] [--live N] [--no-oracle]`
 *
 * @module
 */

import { parseTraceLine, traceLimits, type TraceNumber } from "../src/trace/parse.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";
import { Process } from "../src/kernel/process.ts";
import type { Thread } from "../src/kernel/threads.ts";
import { Allocator } from "../src/malloc/allocator.ts";

// Paths are joined by hand, without node:path and node:url: loading Node's compatibility modules
// would add some 20 ms of CPU to every measuring child's start-up.

/** `parts` joined with `/`. */
function join(...parts: string[]): string {
  return parts.join("/");
}

/** The repository root. */
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
/** Where traces, the native binary and the results go. */
const OUT = join(ROOT, "out", "bench");
/** The glibc version and architecture the simulator replays with (the oracle's default build). */
const GLIBC = "2.36";
const ARCH = "x86_64";

// --- small helpers --------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A finished child process: its output, and its wall and CPU seconds from spawn to exit. */
interface Captured {
  ok: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
  cpuSeconds: number;
}

async function capture(
  command: string,
  args: string[],
  options: { stdout?: string; cwd?: string } = {},
): Promise<Captured> {
  const cpuBefore = childCpuSeconds();
  const started = performance.now();
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = childCpuSeconds() - cpuBefore;
    const decoder = new TextDecoder();
    const stderr = decoder.decode(output.stderr);
    if (options.stdout) {
      await Deno.writeFile(options.stdout, output.stdout);
      return { ok: output.success, stdout: "", stderr, seconds, cpuSeconds };
    }
    const stdout = decoder.decode(output.stdout);
    return { ok: output.success, stdout, stderr, seconds, cpuSeconds };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ok: false, stdout: "", stderr: `${command}: not found`, seconds: 0, cpuSeconds: 0 };
    }
    throw error;
  }
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

function cpuModel(): string {
  try {
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n")
      .find((l) => l.startsWith("model name"));
    return line ? line.split(":")[1].trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/** Peak resident set size (VmHWM) of this process, in bytes. */
function peakRss(): number {
  try {
    const line = Deno.readTextFileSync("/proc/self/status").split("\n")
      .find((l) => l.startsWith("VmHWM:"));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Fields of /proc/self/stat after the command name (0: state, 11: utime, 13: cutime). */
function statFields(): string[] {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user + system, all threads) of this process so far, in seconds. */
function cpuSeconds(): number {
  try {
    const fields = statFields();
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return NaN;
  }
}

/** CPU time of this process's waited-for children so far (cutime + cstime), in seconds. */
function childCpuSeconds(): number {
  try {
    const fields = statFields();
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

const toNumber = (v: TraceNumber) => Number(v);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

// --- measurements run in a child process -----------------------------------------------------

/** Operation codes of the pre-parsed heap operations (as `bench/native_replay.c` keeps them). */
const OP_MALLOC = 0, OP_FREE = 1, OP_CALLOC = 2, OP_REALLOC = 3, OP_MEMALIGN = 4;
const OP_THREAD = 5, OP_JOIN = 6;

/**
 * The heap operations of a trace, pre-parsed for the allocator-only run into flat typed arrays
 * (a struct of arrays, as native_replay's `Op[]`), so that the timed loop reads no objects.
 */
export interface HeapOps {
  /** Number of operations. */
  length: number;
  /** OP_* code. */
  code: Uint8Array;
  /** Slot, or thread id for OP_THREAD / OP_JOIN. */
  slot: Int32Array;
  /** realloc's old slot (-1 for NULL). */
  oldSlot: Int32Array;
  /** First number: size (malloc, realloc), count (calloc), alignment (memalign). */
  a: Float64Array;
  /** Second number: size (calloc, memalign). */
  b: Float64Array;
}

/** Pre-parses a trace's lines into {@link HeapOps} (the other lines are left out). */
export function parseAll(lines: string[]): HeapOps {
  const limits = traceLimits(64);
  const n = lines.length;
  const ops: HeapOps = {
    length: 0,
    code: new Uint8Array(n),
    slot: new Int32Array(n),
    oldSlot: new Int32Array(n),
    a: new Float64Array(n),
    b: new Float64Array(n),
  };
  const push = (code: number, slot: number, a = 0, b = 0, oldSlot = -1) => {
    const k = ops.length++;
    ops.code[k] = code;
    ops.slot[k] = slot;
    ops.a[k] = a;
    ops.b[k] = b;
    ops.oldSlot[k] = oldSlot;
  };
  for (let i = 0; i < lines.length; i++) {
    const op = parseTraceLine(lines[i], i + 1, limits);
    if (!op) continue;
    switch (op.kind) {
      case "malloc":
        push(OP_MALLOC, op.slot, toNumber(op.size));
        break;
      case "calloc":
        push(OP_CALLOC, op.slot, toNumber(op.count), toNumber(op.size));
        break;
      case "memalign":
        push(OP_MEMALIGN, op.slot, toNumber(op.alignment), toNumber(op.size));
        break;
      case "realloc":
        push(OP_REALLOC, op.slot, toNumber(op.size), 0, op.oldSlot);
        break;
      case "free":
        push(OP_FREE, op.slot);
        break;
      case "thread":
        push(OP_THREAD, op.tid);
        break;
      case "join":
        push(OP_JOIN, op.tid);
        break;
    }
  }
  return ops;
}

/** The simulator classes the allocator run uses: this checkout's, or another checkout's (`bench/ab_alloc.ts`). */
export interface SimulatorClasses {
  // deno-lint-ignore no-explicit-any
  Process: new (options: any) => Process;
  // deno-lint-ignore no-explicit-any
  Allocator: new (process: any, options: any) => Allocator;
}

/**
 * The allocator alone on pre-parsed operations, as `bench/native_replay.c` runs glibc, in a
 * fresh process; `explain` builds every call's explain record (the explain-on path).
 */
export function runAllocator(
  ops: HeapOps,
  explain: boolean,
  classes: SimulatorClasses = { Process, Allocator },
): { seconds: number; cpuSeconds: number } {
  const process = new classes.Process({ arch: ARCH, layout: ARCH });
  const heap = new classes.Allocator(process, { glibc: GLIBC, nprocs: 2, explain });
  const slots = new Float64Array(65536);
  const threads = new Map<number, Thread>();
  const { code, slot, oldSlot, a, b } = ops;
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  for (let k = 0; k < ops.length; k++) {
    const s = slot[k];
    switch (code[k]) {
      case OP_MALLOC:
        slots[s] = heap.malloc(a[k]);
        break;
      case OP_CALLOC:
        slots[s] = heap.calloc(a[k], b[k]);
        break;
      case OP_MEMALIGN:
        slots[s] = heap.memalign(a[k], b[k]);
        break;
      case OP_REALLOC: {
        const o = oldSlot[k];
        const p = heap.realloc(o >= 0 ? slots[o] : 0, a[k]);
        if (o >= 0 && o !== s && (p !== 0 || a[k] === 0)) slots[o] = 0;
        slots[s] = p;
        break;
      }
      case OP_FREE:
        heap.free(s >= 0 ? slots[s] : 0);
        if (s >= 0) slots[s] = 0;
        break;
      case OP_THREAD: {
        let t = s === 0 ? process.mainThread : threads.get(s);
        if (t === undefined) {
          process.switchTo(process.mainThread);
          t = process.pthreadCreate();
          threads.set(s, t);
        }
        process.switchTo(t);
        break;
      }
      case OP_JOIN: {
        process.switchTo(process.mainThread);
        process.pthreadJoin(threads.get(s)!);
        threads.delete(s);
        break;
      }
    }
  }
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSeconds() - cpuBefore,
  };
}

/** What the replay child measures on one trace. */
interface ReplayFigures {
  /** replayTrace alone (reading the trace included), inside the process: wall and CPU seconds. */
  seconds: number;
  cpuSeconds: number;
  status: number;
  peakRss: number;
}

/** What the allocator-only child measures on one trace. */
interface AllocFigures {
  heapOps: number;
  parseSeconds: number;
  /** Runs without explain records: the fastest wall time and the least CPU time. */
  allocSeconds: number;
  allocCpuSeconds: number;
  /** Fastest run building every explain record. */
  explainSeconds: number;
  explainCpuSeconds: number;
}

function measureReplay(trace: string, output: string): ReplayFigures {
  const file = Deno.openSync(output, { write: true, create: true, truncate: true });
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  // The trace is read in chunks as the replay goes, as the CLI reads it: reading it is timed.
  using input = Deno.openSync(trace);
  const result = replayTrace(input, {
    glibc: GLIBC,
    arch: ARCH,
    allocator: defaultAllocatorFactory,
    // Streamed to the file as the CLI streams it to stdout.
    writeBytes: (chunk) => {
      for (let done = 0; done < chunk.length;) done += file.writeSync(chunk.subarray(done));
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  file.close();
  return {
    seconds,
    cpuSeconds: cpu,
    status: result.status,
    peakRss: peakRss(),
  };
}

/** Allocator-only runs per trace and path; the fastest counts, as for native glibc. */
const ALLOC_RUNS = 5;
/** Fresh Deno processes of the allocator-alone child per trace; the fastest counts. */
const PROCESSES = 3;

async function measureAllocator(
  trace: string,
  runs: number,
  onlyOff = false,
): Promise<AllocFigures> {
  const lines = (await Deno.readTextFile(trace)).split("\n");
  if (lines.at(-1) === "") lines.pop();
  const started = performance.now();
  const ops = parseAll(lines);
  const parseSeconds = (performance.now() - started) / 1000;
  let heapOps = 0;
  for (let k = 0; k < ops.length; k++) if (ops.code[k] < OP_THREAD) heapOps++;
  const fastest = (explain: boolean) => {
    // The fastest wall time and, apart, the least CPU time of the runs: on a loaded machine
    // the run least slowed down by the others is not always the one that used the least CPU.
    const best = { seconds: Infinity, cpuSeconds: Infinity };
    for (let i = 0; i < runs; i++) {
      const run = runAllocator(ops, explain);
      best.seconds = Math.min(best.seconds, run.seconds);
      best.cpuSeconds = Math.min(best.cpuSeconds, run.cpuSeconds);
    }
    return best;
  };
  // An optional third argument, "off", skips the explain-on runs (for profiling one path).
  const off = fastest(false), on = onlyOff ? off : fastest(true);
  return {
    heapOps,
    parseSeconds,
    allocSeconds: off.seconds,
    allocCpuSeconds: off.cpuSeconds,
    explainSeconds: on.seconds,
    explainCpuSeconds: on.cpuSeconds,
  };
}

/** What the live-chunks child measures. */
interface MemoryFigures {
  chunks: number;
  rss: number;
  peakRss: number;
  heapUsed: number;
  external: number;
  baselineRss: number;
  residentPages: number;
  seconds: number;
}

function measureLiveChunks(count: number): MemoryFigures {
  const process = new Process({ arch: ARCH, layout: ARCH });
  const heap = new Allocator(process, { glibc: GLIBC, nprocs: 2, explain: false });
  const baselineRss = Deno.memoryUsage().rss;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (heap.malloc(32) === 0) throw new Error(`malloc failed at chunk ${i}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const usage = Deno.memoryUsage();
  return {
    chunks: count,
    rss: usage.rss,
    peakRss: peakRss(),
    heapUsed: usage.heapUsed,
    external: usage.external,
    baselineRss,
    residentPages: process.memory.residentPages,
    seconds,
  };
}

// --- the parent: traces, native and oracle runs, the table ------------------------------------

interface Args {
  ops: number;
  shapes: string[];
  live: number;
  oracle: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    ops: 1_000_000,
    shapes: ["small", "mixed", "threads"],
    live: 1_000_000,
    oracle: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`Missing value after ${flag}`);
      return next;
    };
    if (flag === "--ops") args.ops = Number(value());
    else if (flag === "--shapes") args.shapes = value().split(",");
    else if (flag === "--live") args.live = Number(value());
    else if (flag === "--no-oracle") args.oracle = false;
    else throw new Error(`Unknown argument: ${flag}`);
  }
  return args;
}

/**
 * The trace of a shape scaled to `ops` lines, generated once into `out/bench/`.
 *
 * @returns Its path.
 */
export async function ensureTrace(shape: string, ops: number): Promise<string> {
  await Deno.mkdir(OUT, { recursive: true });
  const path = join(OUT, `${shape}-${ops}.trace`);
  if (await exists(path)) return path;
  console.log(`generating ${path} (python3 bench/scale_trace.py)`);
  const script = join(ROOT, "bench", "scale_trace.py");
  const args = [script, "--shape", shape, "--ops", String(ops), "-o", `${path}.tmp`];
  const made = await capture("python3", args);
  if (!made.ok) throw new Error(`Cannot generate the ${shape} trace: ${made.stderr.trim()}`);
  await Deno.rename(`${path}.tmp`, path);
  return path;
}

/** The operations `bench/native_replay.c` runs; it skips every other line. */
const NATIVE_OPERATIONS = new Set(["malloc", "free", "calloc", "realloc", "memalign"]);

/**
 * The trace's heap lines alone — the lines `native_replay` runs (no `thread`, `join`, `maps`,
 * `brk`): the same work on both sides, where the whole trace has the simulated process also
 * create, switch and join threads (their arenas, stacks and `tcache_thread_shutdown`) and
 * print its `maps` and `brk` lines, which `native_replay` skips. Generated once next to it.
 *
 * @returns Its path.
 */
async function ensureHeapLinesTrace(trace: string): Promise<string> {
  const path = trace.replace(/\.trace$/, "") + ".heap-lines.trace";
  if (await exists(path)) return path;
  const kept = (await Deno.readTextFile(trace)).split("\n")
    .filter((line) => NATIVE_OPERATIONS.has(line.slice(0, line.indexOf(" "))));
  await Deno.writeTextFile(`${path}.tmp`, kept.join("\n") + "\n");
  await Deno.rename(`${path}.tmp`, path);
  return path;
}

async function buildNative(): Promise<string | undefined> {
  const binary = join(OUT, "native_replay");
  await Deno.mkdir(OUT, { recursive: true }); // a fresh clone has no out/bench yet
  const built = await capture("gcc", [
    "-O2",
    "-pthread",
    "-o",
    binary,
    join(ROOT, "bench", "native_replay.c"),
  ]);
  if (!built.ok) {
    console.log(`native glibc: n/a (gcc failed: ${built.stderr.trim().split("\n")[0]})`);
    return undefined;
  }
  return binary;
}

/**
 * Rounds per trace, each the whole-replay processes (bundled, on the heap lines, from source) and
 * the native runs (and, in the first {@link PROCESSES}, an allocator-alone process and a
 * `replayTrace`-in-process one); the fastest of each counts (a run of 0.05-4 s
 * is easily preempted here).
 */
const ROUNDS = 5;

/** The fastest native run: the allocator calls alone, and the whole process (parse included). */
interface NativeFigures {
  ops: number;
  /** Allocator calls alone: the fastest wall time and the least CPU time of the runs. */
  seconds: number;
  cpuSeconds: number;
  /** The whole process, parsing the trace included: fastest wall, least CPU time. */
  processSeconds: number;
  processCpuSeconds: number;
}

/**
 * One native run of `trace`; undefined when the binary failed or printed something else.
 * `flags`: `--tls-switch` runs the trace's threads (see `bench/native_replay.c`).
 */
async function runNativeOnce(
  binary: string,
  trace: string,
  flags: string[] = [],
): Promise<NativeFigures | undefined> {
  const run = await capture(binary, [...flags, trace]);
  const match = run.stdout.match(
    /^(\d+) ops, ([\d.]+) ns\/op, [\d.]+ Mops\/s, ([\d.]+) ns\/op CPU/,
  );
  if (!run.ok || !match) return undefined;
  const ops = Number(match[1]);
  return {
    ops,
    seconds: (ops * Number(match[2])) / 1e9,
    cpuSeconds: (ops * Number(match[3])) / 1e9,
    processSeconds: run.seconds,
    processCpuSeconds: run.cpuSeconds,
  };
}

/** Each figure of `keys` the least over `runs` (the fastest run of each kind). */
function leastOf<T extends Record<K, number>, K extends keyof T>(
  runs: T[],
  keys: readonly K[],
): Record<K, number> {
  const least = {} as Record<K, number>;
  for (const key of keys) least[key] = Math.min(...runs.map((r) => r[key]));
  return least;
}

/** The fastest of native runs: each figure the least of the runs (undefined if one failed). */
function fastestNative(runs: (NativeFigures | undefined)[]): NativeFigures | undefined {
  if (runs.length === 0 || runs.some((r) => r === undefined)) return undefined;
  const all = runs as NativeFigures[];
  return {
    ops: all[0].ops,
    ...leastOf(all, ["seconds", "cpuSeconds", "processSeconds", "processCpuSeconds"] as const),
  };
}

/** Allocator-alone processes' figures: the fastest of each, and the slowest process's best. */
interface FastestAlloc extends AllocFigures {
  /** The slowest process's fastest run, explain off and on. */
  slowestAlloc: number;
  slowestExplain: number;
}

/** The fastest of allocator-alone processes (each figure the least), and the slowest ones. */
function fastestAlloc(runs: AllocFigures[]): FastestAlloc {
  const timings = [
    "parseSeconds",
    "allocSeconds",
    "allocCpuSeconds",
    "explainSeconds",
    "explainCpuSeconds",
  ] as const;
  return {
    heapOps: runs[0].heapOps,
    ...leastOf(runs, timings),
    slowestAlloc: Math.max(...runs.map((a) => a.allocSeconds)),
    slowestExplain: Math.max(...runs.map((a) => a.explainSeconds)),
  };
}

async function oracleDir(): Promise<string | undefined> {
  const dir = decodeURIComponent(
    new URL(Deno.env.get("ORACLE_DIR") ?? "../shared/oracle", `file://${ROOT}/`).pathname,
  ).replace(/\/$/, "");
  const ready = await exists(join(dir, "run.sh")) &&
    await exists(join(dir, "build", `driver-${ARCH}`));
  return ready ? dir : undefined;
}

/**
 * Whether `native_replay --tls-switch` (each trace thread's stretches run on the main thread with
 * that thread's thread pointer) returns what real hand-offs between the threads return, pointer
 * for pointer, with ASLR off: that it does glibc's work of the trace's threads. A string says why
 * not.
 */
async function tlsSwitchIsFaithful(binary: string, trace: string): Promise<true | string> {
  const results = async (mode: string) => {
    const run = await capture("setarch", ["-R", binary, mode, "--print", trace]);
    return run.ok ? run.stdout.slice(run.stdout.indexOf("\n") + 1) : undefined;
  };
  const handOffs = await results("--threads");
  const switched = await results("--tls-switch");
  if (handOffs === undefined || switched === undefined) return "setarch -R or a mode failed";
  if (handOffs !== switched) return "its results differ from real hand-offs between threads";
  return true;
}

function child(args: string[]) {
  return capture(Deno.execPath(), ["run", "-A", join(ROOT, "tools", "bench.ts"), ...args]);
}

/** An allocator-alone child on `trace` (`offOnly`: explain off alone). */
async function allocatorChild(trace: string, offOnly = false): Promise<AllocFigures> {
  const args = ["--measure-alloc", trace, ...(offOnly ? [String(ALLOC_RUNS), "off"] : [])];
  const run = await child(args);
  if (!run.ok) throw new Error(`The allocator run on ${trace} failed: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as AllocFigures;
}

/** The replay command from source, as `deno task replay` runs it: its modules one by one. */
const CLI_SOURCE = join(ROOT, "src", "trace", "cli.ts");
/** The replay command as one file, `deno task bundle:replay`. */
const CLI_BUNDLE = join(ROOT, "dist", "replay.js");

/** Builds {@link CLI_BUNDLE} from the sources as they are now. */
async function bundleReplay(): Promise<void> {
  const built = await capture(Deno.execPath(), ["task", "bundle:replay"], { cwd: ROOT });
  if (!built.ok) throw new Error(`deno task bundle:replay failed: ${built.stderr.trim()}`);
}

/**
 * One process of the replay command (`script`: {@link CLI_SOURCE} or {@link CLI_BUNDLE}) on
 * `trace`, its output going to the file `output` as a shell redirection sends it: timed from
 * spawn to exit (the shell execs Deno).
 */
async function runReplayCommand(script: string, trace: string, output: string) {
  const run = await capture("sh", [
    "-c",
    'exec "$0" run -A "$1" --glibc "$2" --arch "$3" "$4" > "$5"',
    Deno.execPath(),
    script,
    GLIBC,
    ARCH,
    trace,
    output,
  ]);
  if (!run.ok) throw new Error(`The replay command ${script} failed on ${trace}: ${run.stderr}`);
  return run;
}

async function sameFiles(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

async function versions(): Promise<string[]> {
  const gcc = (await capture("gcc", ["--version"])).stdout.split("\n")[0] || "n/a";
  const glibc = (await capture("getconf", ["GNU_LIBC_VERSION"])).stdout.trim() || "n/a";
  const head = (await capture("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"])).stdout.trim();
  const dirty = (await capture("git", ["-C", ROOT, "status", "--porcelain", "src"])).stdout.trim();
  return [
    `machine: ${navigator.hardwareConcurrency} CPUs, ${cpuModel()}`,
    `deno ${Deno.version.deno}, V8 ${Deno.version.v8}; ${gcc}; native ${glibc}`,
    `heaplab ${head || "?"}${dirty ? " with uncommitted changes in src/" : ""}; ` +
    `simulated glibc ${GLIBC} ${ARCH}`,
  ];
}

/** The commit and the uncommitted changes to src/, to notice sources changing during a run. */
async function sourceState(): Promise<string> {
  const head = await capture("git", ["-C", ROOT, "rev-parse", "HEAD"]);
  const diff = await capture("git", ["-C", ROOT, "diff", "HEAD", "--", "src"]);
  const untracked = await capture("git", [
    "-C",
    ROOT,
    "ls-files",
    "--others",
    "--exclude-standard",
    "src",
  ]);
  return head.stdout + diff.stdout + untracked.stdout;
}

const fmt = (n: number, digits = 2) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";
const ratio = (a: number, b: number | undefined) =>
  b !== undefined && b > 0 ? `${(a / b).toFixed(a / b < 1 ? 2 : 1)}×` : "n/a";

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--measure-replay") {
    console.log(JSON.stringify(measureReplay(argv[1], argv[2])));
    return 0;
  }
  if (argv[0] === "--measure-alloc") {
    const runs = Number(argv[2] ?? ALLOC_RUNS);
    console.log(JSON.stringify(await measureAllocator(argv[1], runs, argv[3] === "off")));
    return 0;
  }
  if (argv[0] === "--measure-live") {
    console.log(JSON.stringify(measureLiveChunks(Number(argv[1]))));
    return 0;
  }
  const args = parseArgs(argv);
  const sourcesBefore = await sourceState();
  const header = await versions();
  const loadBefore = loadAverage();
  header.forEach((line) => console.log(line));
  console.log(`load average before: ${loadBefore}`);

  const native = await buildNative();
  // The replay command as `deno task bundle:replay` makes it, from the sources as they are.
  await bundleReplay();
  const oracle = args.oracle ? await oracleDir() : undefined;
  if (args.oracle && !oracle) console.log("oracle driver: n/a (oracle not built)");

  const rows: string[][] = [];
  const extras: string[][] = [];
  for (const shape of args.shapes) {
    const trace = await ensureTrace(shape, args.ops);
    const text = await Deno.readTextFile(trace);
    const lines = text.split("\n")
      .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#")).length;
    // A trace with threads is run natively with them too (`--tls-switch`), once that mode is
    // seen to return what real threads return; on one thread as well, as before.
    const threaded = /^thread /m.test(text);
    let tlsSwitch = false;
    if (native && threaded) {
      console.log(`${shape}: checking native_replay --tls-switch against real thread hand-offs…`);
      const faithful = await tlsSwitchIsFaithful(native, trace);
      tlsSwitch = faithful === true;
      if (!tlsSwitch) console.log(`native_replay --tls-switch on ${shape}: n/a (${faithful})`);
    }
    const simOut = join(OUT, `${shape}-${args.ops}.heaplab.out`);
    const heapTrace = await ensureHeapLinesTrace(trace);
    const heapLines = (await Deno.readTextFile(heapTrace)).split("\n").filter((l) => l !== "")
      .length;
    const heapOut = join(OUT, `${shape}-${args.ops}.heap-lines.heaplab.out`);
    const sourceOut = join(OUT, `${shape}-${args.ops}.source.heaplab.out`);
    const inProcessOut = join(OUT, `${shape}-${args.ops}.in-process.heaplab.out`);
    // Each measuring child is a fresh Deno process: V8 compiles the hot paths differently from
    // one process to the next (1 process in 3 got code some 60% slower on the small trace), so
    // the fastest process counts, as the fastest native run does, and the slowest is printed
    // beside it. The simulated and native runs take turns, so that a shared machine's slow
    // minutes fall on both sides alike instead of on whichever ran then.
    console.log(
      `${shape}: replay (${ROUNDS} processes), simulated allocator alone explain off and on ` +
        `(${ALLOC_RUNS} runs each, ${PROCESSES} processes) and native glibc (${ROUNDS} runs), ` +
        "taking turns…",
    );
    const replays: Captured[] = [];
    const sourceReplays: Captured[] = [];
    const sims: ReplayFigures[] = [];
    const heapReplays: Captured[] = [];
    const allocs: AllocFigures[] = [];
    // On a trace with threads, the allocator alone on its heap lines too: one thread both sides.
    const heapAllocs: AllocFigures[] = [];
    const natives: (NativeFigures | undefined)[] = [];
    const heapNatives: (NativeFigures | undefined)[] = [];
    const threadNatives: (NativeFigures | undefined)[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      replays.push(await runReplayCommand(CLI_BUNDLE, trace, simOut));
      if (native) natives.push(await runNativeOnce(native, trace));
      if (native && tlsSwitch) {
        threadNatives.push(await runNativeOnce(native, trace, ["--tls-switch"]));
      }
      heapReplays.push(await runReplayCommand(CLI_BUNDLE, heapTrace, heapOut));
      if (native) heapNatives.push(await runNativeOnce(native, heapTrace));
      sourceReplays.push(await runReplayCommand(CLI_SOURCE, trace, sourceOut));
      if (i < PROCESSES) {
        // replayTrace timed inside its process, and the process's peak RSS: the second table.
        const inProcess = await child(["--measure-replay", trace, inProcessOut]);
        if (!inProcess.ok) {
          throw new Error(`The ${shape} replay failed: ${inProcess.stderr.trim()}`);
        }
        sims.push(JSON.parse(inProcess.stdout) as ReplayFigures);
        allocs.push(await allocatorChild(trace));
        if (threaded) heapAllocs.push(await allocatorChild(heapTrace, true));
      }
    }
    const nat = fastestNative(natives);
    const heapNat = fastestNative(heapNatives);
    const threadNat = tlsSwitch ? fastestNative(threadNatives) : undefined;
    const fastest = (runs: Captured[]) => ({
      ...leastOf(runs, ["seconds", "cpuSeconds"] as const),
      slowest: Math.max(...runs.map((r) => r.seconds)),
    });
    const run = fastest(replays), fromSource = fastest(sourceReplays);
    const sim: ReplayFigures = {
      ...leastOf(sims, ["seconds", "cpuSeconds"] as const),
      status: sims[0].status,
      peakRss: Math.max(...sims.map((r) => r.peakRss)),
    };
    // The three ways of replaying print the same bytes, or no figure of theirs means anything.
    for (const other of [sourceOut, inProcessOut]) {
      if (!(await sameFiles(simOut, other))) {
        throw new Error(`${other} differs from ${simOut}: the bundle and the sources disagree`);
      }
    }
    const alone = fastestAlloc(allocs);
    let oracleSeconds: number | undefined;
    let same = "n/a";
    if (oracle) {
      console.log(`${shape}: oracle driver…`);
      const oracleOut = join(OUT, `${shape}-${args.ops}.oracle.out`);
      const ran = await capture("bash", [join(oracle, "run.sh"), GLIBC, ARCH, trace], {
        stdout: oracleOut,
      });
      if (ran.ok) {
        oracleSeconds = ran.seconds;
        same = (await sameFiles(simOut, oracleOut)) ? "yes" : "**no**";
      } else {
        console.log(`oracle driver failed on ${shape}: ${ran.stderr.trim().split("\n")[0]}`);
      }
    }
    const perOp = (seconds: number, ops: number) => fmt((seconds / ops) * 1e9, 0);
    const pair = (wall: number, cpu: number, digits = 2) =>
      `${fmt(wall, digits)} (${fmt(cpu, digits)})`;
    const row = (
      what: string,
      ops: number,
      wall: number,
      cpu: number,
      nativeText: string,
      nativeWall: number | undefined,
      nativeCpu: number | undefined,
      slowest: number,
    ) => [
      shape,
      what,
      String(ops),
      pair(wall, cpu),
      fmt(slowest),
      perOp(wall, ops),
      nativeText,
      ratio(wall, nativeWall),
      ratio(cpu, nativeCpu),
    ];
    const nativeText = (figures: NativeFigures | undefined) =>
      figures ? pair(figures.processSeconds, figures.processCpuSeconds) : "n/a";
    // The whole trace both sides: with its threads natively when the trace has any (the
    // trace's work: thread arenas and heaps, stacks, tcache_thread_shutdown), and on one thread.
    const whole = (what: string, figures: NativeFigures | undefined, replay = run) =>
      row(
        what,
        lines,
        replay.seconds,
        replay.cpuSeconds,
        nativeText(figures),
        figures?.processSeconds,
        figures?.processCpuSeconds,
        replay.slowest,
      );
    // The command from source is compared with glibc on the trace's own terms (with its threads
    // when it has any), as the bundle's first row is.
    const wholeRows = threaded
      ? [
        whole("whole replay (process); native: with the trace's threads", threadNat),
        whole("whole replay (process); native: on one thread", nat),
        whole(
          "whole replay, command from source (process); native: with threads",
          threadNat,
          fromSource,
        ),
      ]
      : [
        whole("whole replay (process)", nat),
        whole("whole replay, command from source (process)", nat, fromSource),
      ];
    // The allocator alone against glibc's calls alone: on a trace with threads, natively with
    // them too (`--tls-switch`: the calls timed with the trace's thread lines among them, as the
    // simulated run creates, switches and joins its threads), on one thread, and both sides on
    // the trace's heap lines alone (`sim`: those runs), the same work on one thread.
    const calls = (
      what: string,
      explain: boolean,
      figures: NativeFigures | undefined,
      sim: FastestAlloc = alone,
    ) =>
      row(
        what,
        sim.heapOps,
        explain ? sim.explainSeconds : sim.allocSeconds,
        explain ? sim.explainCpuSeconds : sim.allocCpuSeconds,
        figures ? pair(figures.seconds, figures.cpuSeconds, 3) : "n/a",
        figures?.seconds,
        figures?.cpuSeconds,
        explain ? sim.slowestExplain : sim.slowestAlloc,
      );
    const allocRows = threaded
      ? [
        calls("allocator, explain off; native: with the trace's threads", false, threadNat),
        calls("allocator, explain off; native: on one thread", false, nat),
        calls(
          "allocator, explain off, heap lines only (one thread both sides)",
          false,
          heapNat,
          fastestAlloc(heapAllocs),
        ),
        calls("allocator, explain on; native: with the trace's threads", true, threadNat),
        calls("allocator, explain on; native: on one thread", true, nat),
      ]
      : [calls("allocator, explain off", false, nat), calls("allocator, explain on", true, nat)];
    rows.push(
      ...allocRows,
      ...wholeRows,
      row(
        "whole replay, heap lines only (process)",
        heapLines,
        Math.min(...heapReplays.map((r) => r.seconds)),
        Math.min(...heapReplays.map((r) => r.cpuSeconds)),
        nativeText(heapNat),
        heapNat?.processSeconds,
        heapNat?.processCpuSeconds,
        Math.max(...heapReplays.map((r) => r.seconds)),
      ),
    );
    extras.push([
      shape,
      pair(sim.seconds, sim.cpuSeconds),
      fmt(alone.parseSeconds),
      oracleSeconds !== undefined
        ? fmt(oracleSeconds, 1)
        : args.oracle
        ? "n/a (oracle not built)"
        : "n/a (--no-oracle)",
      same,
      mib(sim.peakRss),
    ]);
  }

  console.log(`live chunks: ${args.live} × malloc(32)…`);
  const live = await child(["--measure-live", String(args.live)]);
  if (!live.ok) throw new Error(`The live-chunks run failed: ${live.stderr.trim()}`);
  const memory = JSON.parse(live.stdout) as MemoryFigures;
  const loadAfter = loadAverage();
  if ((await sourceState()) !== sourcesBefore) {
    header.push("WARNING: src/ changed during the run; the figures mix versions of the simulator");
  }

  const table = [
    "| trace | path | ops | simulated s (CPU s) | slowest process s | ns/op | native glibc s (CPU s) | wall ratio | CPU ratio |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    "| trace | replayTrace in process s (CPU s) | parse alone s | oracle driver s | output = oracle | replay peak RSS MiB |",
    "| --- | ---: | ---: | ---: | :---: | ---: |",
    ...extras.map((r) => `| ${r.join(" | ")} |`),
  ];
  const notes = [
    ...header,
    `load average: ${loadBefore} before, ${loadAfter} after (shared machine)`,
    "",
    ...table,
    "",
    "allocator: the simulated allocator alone on the trace's heap operations, pre-parsed into typed",
    "arrays, threads created, switched and joined as in the trace, each run on a fresh process, the",
    `fastest of ${ALLOC_RUNS} runs in each of ${PROCESSES} Deno processes (explain off: the replay's allocator; explain on:`,
    "every call's explain record built); against native glibc timed the same way around its calls",
    `(bench/native_replay.c, gcc -O2, fastest of ${ROUNDS} runs; on a trace with threads, with them and on`,
    "one thread, as below; and both on the trace's heap lines alone, on one thread). whole replay:",
    `the replay command bundled into one file (deno task bundle:replay: dist/replay.js), a fresh Deno`,
    `process (the fastest of ${ROUNDS}) that reads the trace, replays it and writes the output to a file,`,
    "from spawn to exit; command from source: the same command as `deno task replay` runs it, its",
    "modules loaded one by one; against native_replay's whole process (which parses the trace too; fastest",
    `of ${ROUNDS}; the simulated and native runs take turns). On a trace with threads, natively once with`,
    "the trace's threads (native_replay --tls-switch: each trace thread a real pthread, its stretches",
    "run with its thread pointer, so that glibc uses its tcache and arena; checked first to return",
    "what real hand-offs between the threads return, pointer for pointer, under setarch -R) and once",
    "on one thread (its thread and join lines skipped: one arena, no thread created). heap lines only:",
    "the same on the trace's malloc, free, calloc, realloc and memalign lines alone, on one thread on",
    "both sides (the simulated process then creates no thread and prints no maps either).",
    "CPU s: the least user + system time of the runs (the children's rusage for whole processes,",
    "CLOCK_PROCESS_CPUTIME_ID natively); on a loaded machine compare CPU ratios. replayTrace in process:",
    `the replay alone inside its process (fastest of ${PROCESSES}); parse alone: parseTraceLine over every line; oracle driver:`,
    "the real-glibc oracle's run.sh (it reads /proc/self/maps after every operation: no speed",
    "reference); output = oracle: the replay's output is byte-identical to the oracle driver's.",
    "slowest process: the best time of the slowest of those processes — V8 does not compile the hot",
    "paths the same way in every process, and this column shows how far apart that puts two runs.",
    "",
    `Memory: ${memory.chunks} live malloc(32) chunks: RSS ${mib(memory.rss)} MiB (peak ` +
    `${mib(memory.peakRss)} MiB, ${mib(memory.baselineRss)} MiB before the mallocs), V8 heap ` +
    `${mib(memory.heapUsed)} MiB, external ${mib(memory.external)} MiB; ` +
    `${memory.residentPages} simulated pages written (${mib(memory.residentPages * 4096)} MiB); ` +
    `${fmt(memory.seconds)} s to allocate.`,
  ];
  console.log("");
  notes.forEach((line) => console.log(line));
  await Deno.writeTextFile(join(OUT, "results.md"), notes.join("\n") + "\n");
  return 0;
}

if (import.meta.main) {
  try {
    // Deno.exit(), not a normal end: a measuring child skips the heap's teardown, as the replay
    // command does (see src/trace/cli.ts).
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
}
