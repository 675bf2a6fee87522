/**
 * `deno run -A bench/tcache_tier_counts.ts TRACE… [--glibc 2.36]`: what the WebAssembly tcache
 * tier (src/malloc/tcache_tier.ts) did on each trace's replay — mallocs and frees it served (tcache
 * hits, tcache and fastbin puts), handed on to the arena and declined, hand-overs, and the entries of its TLB the memory dropped one by one or in sweeps
 * (the cost of keeping it coherent). Prints one JSON line per trace.
 *
 * @module
 */

import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";
import { collectTierTlbCounts, tcacheTierStats } from "../src/malloc/tcache_tier.ts";

const args = [...Deno.args];
const at = args.indexOf("--glibc");
const glibc = at >= 0 ? args.splice(at, 2)[1] : "2.36";
for (const path of args) {
  const before = { ...tcacheTierStats };
  const started = performance.now();
  const result = replayTrace(await Deno.readTextFile(path), {
    glibc,
    arch: "x86_64",
    allocator: defaultAllocatorFactory,
    write: () => {},
  });
  const ms = performance.now() - started;
  collectTierTlbCounts(result.process.space.memory);
  const counts = Object.fromEntries(
    Object.entries(tcacheTierStats).map(([k, v]) => [k, v - before[k as keyof typeof before]]),
  );
  console.log(JSON.stringify({ trace: path, glibc, ms: Math.round(ms), ...counts }));
}
