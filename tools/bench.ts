/**
 * `deno task bench`: how fast heaplab replays heap traces, next to real glibc, in one run.
 *
 * For each generated trace shape (small, mixed, threads; `bench/scale_trace.py`, 1M operation
 * lines, cached in `out/bench/`) it times, each in a fresh Deno process:
 *
 * - **replay**: `replayTrace` with the default allocator (glibc 2.36, x86_64) — the product:
 *   parsing, the allocator, and the oracle-format output (pointer classes, `maps`, heap scans);
 * - **parse**: `parseTraceLine` over every line, alone;
 * - **alloc**: the allocator alone on the pre-parsed heap operations (malloc, free, calloc,
 *   realloc, memalign, and thread create/switch/join), no output — what `native_replay` does;
 *
 * then real glibc on the same trace: `bench/native_replay.c` built with `gcc -O2` (the heap
 * operations only, pre-parsed, on one thread; the fastest of five runs), and the real-glibc oracle driver
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

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTraceLine, traceLimits, type TraceNumber } from "../src/trace/parse.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";
import { Process } from "../src/kernel/process.ts";
import type { Thread } from "../src/kernel/threads.ts";
import { Allocator } from "../src/malloc/allocator.ts";

/** The repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
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

async function capture(
  command: string,
  args: string[],
  options: { stdout?: string } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  try {
    const output = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    const decoder = new TextDecoder();
    if (options.stdout) {
      await Deno.writeFile(options.stdout, output.stdout);
      return { ok: output.success, stdout: "", stderr: decoder.decode(output.stderr), seconds };
    }
    return {
      ok: output.success,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      seconds,
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ok: false, stdout: "", stderr: `${command}: not found`, seconds: 0 };
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

/** CPU time (user + system, all threads) of this process so far, in seconds. */
function cpuSeconds(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return NaN;
  }
}

const toNumber = (v: TraceNumber) => Number(v);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

// --- measurements run in a child process -----------------------------------------------------

/** A heap operation, pre-parsed for the allocator-only run. */
type HeapOp =
  | { kind: "malloc"; slot: number; size: number }
  | { kind: "calloc"; slot: number; count: number; size: number }
  | { kind: "memalign"; slot: number; alignment: number; size: number }
  | { kind: "realloc"; slot: number; oldSlot: number; size: number }
  | { kind: "free"; slot: number }
  | { kind: "thread"; tid: number }
  | { kind: "join"; tid: number };

/** What the replay child measures on one trace. */
interface ReplayFigures {
  lines: number;
  seconds: number;
  cpuSeconds: number;
  status: number;
  peakRss: number;
}

/** What the allocator-only child measures on one trace. */
interface AllocFigures {
  heapOps: number;
  parseSeconds: number;
  allocSeconds: number;
}

function parseAll(lines: string[]): HeapOp[] {
  const limits = traceLimits(64);
  const ops: HeapOp[] = [];
  for (let i = 0; i < lines.length; i++) {
    const op = parseTraceLine(lines[i], i + 1, limits);
    if (!op) continue;
    switch (op.kind) {
      case "malloc":
        ops.push({ kind: "malloc", slot: op.slot, size: toNumber(op.size) });
        break;
      case "calloc":
        ops.push({
          kind: "calloc",
          slot: op.slot,
          count: toNumber(op.count),
          size: toNumber(op.size),
        });
        break;
      case "memalign":
        ops.push({
          kind: "memalign",
          slot: op.slot,
          alignment: toNumber(op.alignment),
          size: toNumber(op.size),
        });
        break;
      case "realloc":
        ops.push({ kind: "realloc", slot: op.slot, oldSlot: op.oldSlot, size: toNumber(op.size) });
        break;
      case "free":
        ops.push({ kind: "free", slot: op.slot });
        break;
      case "thread":
        ops.push({ kind: "thread", tid: op.tid });
        break;
      case "join":
        ops.push({ kind: "join", tid: op.tid });
        break;
    }
  }
  return ops;
}

/** The allocator alone on pre-parsed operations, as `bench/native_replay.c` runs glibc. */
function runAllocator(ops: HeapOp[]): number {
  const process = new Process({ arch: ARCH, layout: ARCH });
  const heap = new Allocator(process, { glibc: GLIBC, nprocs: 2, explain: false });
  const slots = new Float64Array(65536);
  const threads = new Map<number, Thread>();
  let thread = process.mainThread;
  const started = performance.now();
  for (const op of ops) {
    switch (op.kind) {
      case "malloc":
        slots[op.slot] = process.runOn(thread, () => heap.malloc(op.size));
        break;
      case "calloc":
        slots[op.slot] = process.runOn(thread, () => heap.calloc(op.count, op.size));
        break;
      case "memalign":
        slots[op.slot] = process.runOn(thread, () => heap.memalign(op.alignment, op.size));
        break;
      case "realloc": {
        const old = op.oldSlot >= 0 ? slots[op.oldSlot] : 0;
        const p = process.runOn(thread, () => heap.realloc(old, op.size));
        if (op.oldSlot >= 0 && op.oldSlot !== op.slot && (p !== 0 || op.size === 0)) {
          slots[op.oldSlot] = 0;
        }
        slots[op.slot] = p;
        break;
      }
      case "free": {
        const p = op.slot >= 0 ? slots[op.slot] : 0;
        process.runOn(thread, () => heap.free(p));
        if (op.slot >= 0) slots[op.slot] = 0;
        break;
      }
      case "thread": {
        let t = op.tid === 0 ? process.mainThread : threads.get(op.tid);
        if (t === undefined) {
          t = process.runOn(process.mainThread, () => process.pthreadCreate());
          threads.set(op.tid, t);
        }
        thread = t;
        break;
      }
      case "join": {
        const t = threads.get(op.tid)!;
        process.runOn(process.mainThread, () => process.pthreadJoin(t));
        threads.delete(op.tid);
        thread = process.mainThread;
        break;
      }
    }
  }
  return (performance.now() - started) / 1000;
}

async function measureReplay(trace: string, output: string): Promise<ReplayFigures> {
  const text = await Deno.readTextFile(trace);
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const result = replayTrace(text, {
    glibc: GLIBC,
    arch: ARCH,
    allocator: defaultAllocatorFactory,
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  await Deno.writeTextFile(output, result.output);
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  return {
    lines: lines.length,
    seconds,
    cpuSeconds: cpu,
    status: result.status,
    peakRss: peakRss(),
  };
}

async function measureAllocator(trace: string): Promise<AllocFigures> {
  const lines = (await Deno.readTextFile(trace)).split("\n");
  if (lines.at(-1) === "") lines.pop();
  const started = performance.now();
  const ops = parseAll(lines);
  const parseSeconds = (performance.now() - started) / 1000;
  return {
    heapOps: ops.filter((op) => op.kind !== "thread" && op.kind !== "join").length,
    parseSeconds,
    allocSeconds: runAllocator(ops),
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

async function buildNative(): Promise<string | undefined> {
  const binary = join(OUT, "native_replay");
  const built = await capture("gcc", ["-O2", "-o", binary, join(ROOT, "bench", "native_replay.c")]);
  if (!built.ok) {
    console.log(`native glibc: n/a (gcc failed: ${built.stderr.trim().split("\n")[0]})`);
    return undefined;
  }
  return binary;
}

/** Native runs per trace; the fastest counts (a run of 0.05-4 s is easily preempted here). */
const NATIVE_RUNS = 5;

async function runNative(binary: string, trace: string) {
  let best: { ops: number; seconds: number } | undefined;
  for (let i = 0; i < NATIVE_RUNS; i++) {
    const run = await capture(binary, [trace]);
    const match = run.stdout.match(/^(\d+) ops, ([\d.]+) ns\/op/);
    if (!run.ok || !match) return undefined;
    const ops = Number(match[1]), seconds = (ops * Number(match[2])) / 1e9;
    if (best === undefined || seconds < best.seconds) best = { ops, seconds };
  }
  return best;
}

async function oracleDir(): Promise<string | undefined> {
  const dir = resolve(ROOT, Deno.env.get("ORACLE_DIR") ?? "../shared/oracle");
  const ready = await exists(join(dir, "run.sh")) &&
    await exists(join(dir, "build", `driver-${ARCH}`));
  return ready ? dir : undefined;
}

function child(args: string[]) {
  return capture(Deno.execPath(), ["run", "-A", fileURLToPath(import.meta.url), ...args]);
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
    console.log(JSON.stringify(await measureReplay(argv[1], argv[2])));
    return 0;
  }
  if (argv[0] === "--measure-alloc") {
    console.log(JSON.stringify(await measureAllocator(argv[1])));
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
  const oracle = args.oracle ? await oracleDir() : undefined;
  if (args.oracle && !oracle) console.log("oracle driver: n/a (oracle not built)");

  const rows: string[][] = [];
  for (const shape of args.shapes) {
    const trace = await ensureTrace(shape, args.ops);
    const simOut = join(OUT, `${shape}-${args.ops}.heaplab.out`);
    console.log(`${shape}: simulator…`);
    const run = await child(["--measure-replay", trace, simOut]);
    if (!run.ok) throw new Error(`The ${shape} replay failed: ${run.stderr.trim()}`);
    const sim = JSON.parse(run.stdout) as ReplayFigures;
    console.log(`${shape}: simulated allocator alone…`);
    const runAlloc = await child(["--measure-alloc", trace]);
    if (!runAlloc.ok) {
      throw new Error(`The ${shape} allocator run failed: ${runAlloc.stderr.trim()}`);
    }
    const alone = JSON.parse(runAlloc.stdout) as AllocFigures;
    console.log(`${shape}: native glibc…`);
    const nat = native ? await runNative(native, trace) : undefined;
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
    rows.push([
      shape,
      String(sim.lines),
      `${fmt(sim.seconds)} (${fmt(sim.cpuSeconds, 1)})`,
      `${(sim.lines / sim.seconds / 1000).toFixed(0)} k`,
      fmt((sim.seconds / sim.lines) * 1e6, 1),
      fmt(alone.parseSeconds),
      fmt(alone.allocSeconds),
      nat ? `${fmt(nat.seconds, 3)} (${fmt((nat.seconds / nat.ops) * 1e9, 0)} ns/op)` : "n/a",
      oracleSeconds !== undefined
        ? fmt(oracleSeconds, 1)
        : args.oracle
        ? "n/a (oracle not built)"
        : "n/a (--no-oracle)",
      ratio(sim.seconds, nat?.seconds),
      ratio(alone.allocSeconds, nat?.seconds),
      ratio(sim.seconds, oracleSeconds),
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
    "| trace | op lines | replay s (CPU s) | replay ops/s | µs/op | parse s | alloc s | native glibc s | oracle driver s | replay / native | alloc / native | replay / oracle | output = oracle | replay peak RSS MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
  const notes = [
    ...header,
    `load average: ${loadBefore} before, ${loadAfter} after (shared machine)`,
    "",
    ...table,
    "",
    "replay: replayTrace, the whole product (parse, allocator, oracle-format output), wall time",
    "(CPU time of the process, GC threads included); parse: parseTraceLine alone; alloc: the simulated",
    "allocator alone on the pre-parsed heap operations, threads created, switched and joined as in",
    "the trace — each in a fresh Deno process. native glibc: bench/native_replay.c (gcc -O2), only the",
    "malloc/free/calloc/realloc/memalign lines, pre-parsed, timed around the calls, all on one thread",
    `(the threads trace too), the fastest of ${NATIVE_RUNS} runs. oracle driver: the real-glibc`,
    "oracle's run.sh, whole process; it reads /proc/self/maps after every operation and is no speed",
    "reference. output = oracle: the replay's output is byte-identical to the oracle driver's.",
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
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
}
