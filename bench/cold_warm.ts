/**
 * A process's first replay against its later ones: `replayTrace` with the default allocator
 * (glibc 2.36, x86_64) on the same trace file several times in one process, each run timed and
 * its page faults counted on the main thread (`/proc/self/task/<pid>/stat`: minor faults, user
 * and system time in clock ticks). The first run is what `deno task bench` times in a fresh
 * process; the later ones are what a notebook's kernel or a test that replays again pays. What
 * the first run pays more is V8's compilation of the hot paths (the code runs in the lower
 * tiers meanwhile) and memory touched for the first time: the simulated pages (in the page
 * store, `src/kernel/page_pool.ts`), V8's heap as it grows, each a host page fault.
 *
 *     deno run -A bench/cold_warm.ts TRACE [RUNS]
 *
 * Prints one line per run. Linux only (it reads `/proc`); the output is discarded. To compare
 * two checkouts' warm replays in one process, use `replay_overhead.ts --glibc`.
 *
 * @module
 */

import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";

/** The main thread's minor faults and its user and system time (ms) so far. */
function mainThread(): { faults: number; userMs: number; systemMs: number } {
  const stat = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/stat`);
  // The fields after the command name, which ends with the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 10; // ms: USER_HZ is 100 on Linux
  return {
    faults: Number(fields[7]),
    userMs: Number(fields[11]) * tick,
    systemMs: Number(fields[12]) * tick,
  };
}

function main(args: string[]): number {
  const [trace, runsText = "4"] = args;
  const runs = Number(runsText);
  if (trace === undefined || !Number.isInteger(runs) || runs < 1) {
    console.error("usage: deno run -A bench/cold_warm.ts TRACE [RUNS]");
    return 2;
  }
  for (let run = 1; run <= runs; run++) {
    const before = mainThread();
    const started = performance.now();
    using input = Deno.openSync(trace);
    replayTrace(input, {
      glibc: "2.36",
      arch: "x86_64",
      allocator: defaultAllocatorFactory,
      writeBytes: () => {},
    });
    const ms = performance.now() - started;
    const after = mainThread();
    console.log(
      `run ${run}: ${ms.toFixed(0)} ms; main thread: ${
        after.faults - before.faults
      } page faults, ` +
        `user ${after.userMs - before.userMs} ms, system ${after.systemMs - before.systemMs} ms`,
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
