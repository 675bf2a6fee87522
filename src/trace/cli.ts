/**
 * `deno task replay`: replays heap traces on the simulator and prints the oracle's output format.
 *
 *     deno task replay [--glibc V] [--arch i386|x86_64] [--nprocs N]
 *                      [--initial-maps FILE] [--layout NAME] [--record] TRACE…
 *
 * `--record` replays while recording a history (a state per line, `recordReplay`) and
 * prints to stderr how many states it kept and the size of the memory's journal; the output is the
 * same.
 *
 * Exit status: 0, 2 for a malformed trace line or bad arguments, 134 after an abort, 139 after
 * a segmentation fault, 142 after a hang (the status of the first trace that failed), as the
 * oracle's driver exits.
 *
 * @module
 */

import { GLIBC_VERSIONS, isGlibcVersion } from "../malloc/profile.ts";
import { ReplayInterrupted, type ReplayOptions, replayTrace } from "./replay.ts";
import { defaultAllocatorFactory } from "./allocator_factory.ts";
import { recordReplay } from "../history/replay_record.ts";

const usage =
  "usage: deno task replay [--glibc V] [--arch i386|x86_64] [--nprocs N] [--initial-maps FILE] [--layout NAME] [--record] TRACE…";

function fail(message: string): never {
  console.error(`replay: ${message}`);
  console.error(usage);
  Deno.exit(2);
}

/** Runs the command line. */
export function main(args: string[]): number {
  const options: ReplayOptions = { allocator: defaultAllocatorFactory };
  const traces: string[] = [];
  let record = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => args[++i] ?? fail(`${a} needs a value`);
    switch (a) {
      case "--glibc": {
        const v = value();
        if (!isGlibcVersion(v)) fail(`unknown glibc: ${v} (one of ${GLIBC_VERSIONS.join(", ")})`);
        options.glibc = v;
        break;
      }
      case "--arch": {
        const v = value();
        if (v !== "i386" && v !== "x86_64") fail(`unknown arch: ${v}`);
        options.arch = v;
        break;
      }
      case "--nprocs": {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) fail("--nprocs takes a positive whole number");
        options.nprocs = v;
        break;
      }
      case "--initial-maps":
        try {
          options.initialMaps = Deno.readTextFileSync(value());
        } catch (e) {
          fail(`cannot read ${args[i]}: ${(e as Error).message}`);
        }
        break;
      case "--layout":
        options.layout = value();
        break;
      case "--record":
        record = true;
        break;
      case "-h":
      case "--help":
        console.log(usage);
        return 0;
      default:
        if (a.startsWith("--")) fail(`unknown option: ${a}`);
        traces.push(a);
    }
  }
  if (traces.length === 0) fail("no trace given");
  let status = 0;
  // The output streams to stdout as the replay writes it: bytes, a chunk of lines at a time.
  const encoder = new TextEncoder();
  for (const path of traces) {
    // A replay reads its trace in chunks as it goes; a recording keeps the text (its labels).
    let source: string | Deno.FsFile | typeof Deno.stdin;
    try {
      if (record) {
        source = path === "-"
          ? new TextDecoder().decode(readAllStdin())
          : Deno.readTextFileSync(path);
      } else source = path === "-" ? Deno.stdin : Deno.openSync(path);
    } catch (e) {
      console.error(`replay: cannot read ${path}: ${(e as Error).message}`);
      status ||= 2;
      continue;
    }
    let result;
    try {
      if (record) {
        const t0 = performance.now();
        const { allocator: _, ...recordOptions } = options;
        const recorded = recordReplay(source as string, { ...recordOptions, writeBytes: writeAll });
        result = recorded.result;
        const ms = performance.now() - t0;
        const bytes = result.process.memory.journalBytes;
        console.error(
          `replay: ${path}: recorded ${recorded.history.length} states in ${ms.toFixed(0)} ms; ` +
            `the memory's journal holds ${(bytes / 1048576).toFixed(1)} MiB`,
        );
        const full = recorded.history.full;
        if (full !== undefined) console.error(`replay: ${path}: the history stopped: ${full}`);
      } else result = replayTrace(source, { ...options, writeBytes: writeAll });
    } catch (e) {
      // What was printed before the line that broke off stays on stdout.
      if (e instanceof ReplayInterrupted) Deno.stdout.writeSync(encoder.encode(e.output));
      console.error(`replay: ${path}: ${(e as Error).message}`);
      status ||= 2;
      continue;
    } finally {
      if (source instanceof Deno.FsFile) source.close();
    }
    if (result.error) console.error(`replay: ${path}: ${result.error.message}`);
    status ||= result.status;
  }
  return status;
}

/** Writes all of `bytes` to stdout (a write to a pipe may take only part of them). */
function writeAll(bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
}

function readAllStdin(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = Deno.stdin.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// Deno.exit() rather than a normal end: it skips tearing down the JavaScript heap (30-45 ms
// after a 1M-line replay). Deno then stores no V8 code cache of the modules; the runs that end
// normally (tests, scripts) store it, and this one uses it (bench/README.md).
if (import.meta.main) Deno.exit(main(Deno.args));
