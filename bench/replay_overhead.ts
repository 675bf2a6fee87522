/**
 * What the replay costs beyond the allocator: `replayTrace` on a trace with a stub allocator that
 * hands out one chunk for every call and frees nothing, so what is timed is reading the lines, the
 * session (slots, places, heap scans, threads) and writing the output. With a second checkout
 * (`git archive <commit> | tar -x -C /tmp/base`) the two are run interleaved in one process, so
 * that both see the same load.
 *
 *     deno run -A bench/replay_overhead.ts TRACE [RUNS] [OTHER_CHECKOUT] [--glibc]
 *
 * Prints the first run's CPU seconds (JIT warm-up included; the checkout that runs first pays
 * for the process's own warm-up too) and the least and median of the others. To compare cold
 * replays, run it with RUNS 1 and no other checkout in fresh processes, alternating checkouts.
 * The stub's output is not the oracle's (every pointer is the same chunk): it is discarded. The
 * trace is given to `replayTrace` as its bytes, read once up front.
 *
 * With `--glibc` each checkout replays with its own default allocator (glibc 2.36) instead: the
 * whole replay, warm, in one process — where the session's and the allocator's memory compete for
 * the caches, which the stub hides.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Process as SimulatedProcess } from "../src/kernel/process.ts";

/** CPU seconds (user + system) of this process so far, to the microsecond (getrusage). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** An allocator whose every allocation is one 24-byte chunk at the start of the main heap. */
function stubAllocator(simulated: SimulatedProcess) {
  let chunk = 0;
  const allocate = () => {
    if (chunk === 0) {
      const start = simulated.sbrk(0);
      simulated.sbrk(4096);
      simulated.memory.write64(start + 0x298, 0x21);
      chunk = start + 0x2a0;
    }
    return chunk;
  };
  return {
    malloc: allocate,
    calloc: allocate,
    memalign: allocate,
    realloc: allocate,
    free() {},
    mallocTrim: () => 0,
    mallopt: () => 1,
  };
}

type Replay = (text: Uint8Array, options: Record<string, unknown>) => { status: number };
type Factory = typeof stubAllocator;

async function load(root: string, glibc: boolean): Promise<[Replay, Factory]> {
  const base = `file://${resolve(root)}/src/trace`;
  const replay = (await import(`${base}/replay.ts`)).replayTrace;
  if (!glibc) return [replay, stubAllocator];
  return [replay, (await import(`${base}/allocator_factory.ts`)).defaultAllocatorFactory];
}

const glibc = Deno.args.includes("--glibc");
const [trace, runsArg, other] = Deno.args.filter((a) => a !== "--glibc");
if (!trace) {
  console.error(
    "usage: deno run -A bench/replay_overhead.ts TRACE [RUNS] [OTHER_CHECKOUT] [--glibc]",
  );
  Deno.exit(2);
}
const text = Deno.readFileSync(trace);
const here = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sides: [string, Replay, Factory][] = [["this", ...await load(here, glibc)]];
if (other) sides.push([other, ...await load(other, glibc)]);
const cpu = new Map<string, number[]>(sides.map(([name]) => [name, []]));
for (let run = 0; run < Number(runsArg ?? 5); run++) {
  // Every other round the other checkout goes first, so that neither always runs on a heap the
  // other has just grown (or has just left to collect).
  for (const [name, replay, allocator] of run % 2 === 0 ? sides : [...sides].reverse()) {
    const before = cpuSeconds();
    let bytes = 0;
    replay(text, {
      allocator,
      write: (block: string) => (bytes += block.length),
      writeBytes: (chunk: Uint8Array) => (bytes += chunk.length),
    });
    cpu.get(name)!.push(cpuSeconds() - before);
  }
}
for (const [name, runs] of cpu) {
  const warm = runs.slice(1).sort((a, b) => a - b);
  console.log(
    `${name}: first ${runs[0].toFixed(3)} s CPU; then least ${warm[0]?.toFixed(3)}, ` +
      `median ${warm[warm.length >> 1]?.toFixed(3)}`,
  );
}
