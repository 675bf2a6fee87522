/**
 * What the replay costs beyond the allocator: `replayTrace` on a trace with a stub allocator that
 * hands out one chunk for every call and frees nothing, so what is timed is reading the lines, the
 * session (slots, places, heap scans, threads) and writing the output. With a second checkout
 * (`git archive <commit> | tar -x -C /tmp/base`) the two are run interleaved in one process, so
 * that both see the same load.
 *
 *     deno run -A bench/replay_overhead.ts TRACE [RUNS] [OTHER_CHECKOUT]
 *
 * Prints the first run's CPU seconds (JIT warm-up included) and the least and median of the
 * others. The stub's output is not the oracle's (every pointer is the same chunk): it is
 * discarded.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Process } from "../src/kernel/process.ts";

/** CPU seconds (user + system) of this process so far. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** An allocator whose every allocation is one 24-byte chunk at the start of the main heap. */
function stubAllocator(process: Process) {
  let chunk = 0;
  const allocate = () => {
    if (chunk === 0) {
      const start = process.sbrk(0);
      process.sbrk(4096);
      process.memory.write64(start + 0x298, 0x21);
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

type Replay = (text: string, options: Record<string, unknown>) => { status: number };

async function load(root: string): Promise<Replay> {
  return (await import(`file://${resolve(root)}/src/trace/replay.ts`)).replayTrace;
}

const [trace, runsArg, other] = Deno.args;
if (!trace) {
  console.error("usage: deno run -A bench/replay_overhead.ts TRACE [RUNS] [OTHER_CHECKOUT]");
  Deno.exit(2);
}
const text = Deno.readTextFileSync(trace);
const here = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sides: [string, Replay][] = [["this", await load(here)]];
if (other) sides.push([other, await load(other)]);
const cpu = new Map<string, number[]>(sides.map(([name]) => [name, []]));
for (let run = 0; run < Number(runsArg ?? 5); run++) {
  for (const [name, replay] of sides) {
    const before = cpuSeconds();
    let bytes = 0;
    replay(text, {
      allocator: stubAllocator,
      write: (block: string) => (bytes += block.length),
      writeBytes: (chunk: Uint8Array) => (bytes += chunk.length),
    });
    cpu.get(name)!.push(cpuSeconds() - before);
  }
}
for (const [name, runs] of cpu) {
  const warm = runs.slice(1).sort((a, b) => a - b);
  console.log(
    `${name}: first ${runs[0].toFixed(2)} s CPU; then least ${warm[0]?.toFixed(2)}, ` +
      `median ${warm[warm.length >> 1]?.toFixed(2)}`,
  );
}
