/**
 * Simulated memory accesses per heap operation: the allocator of one or more checkouts on a
 * trace's pre-parsed heap operations (`tools/bench.ts`'s allocator run, explain records off),
 * with every `read8` … `write64` of the simulated memory counted. Unlike a timing, the count does
 * not move with the load of a shared machine, so it shows at once whether a change made the
 * allocator read or write less.
 *
 *     deno run -A bench/access_counts.ts TRACE [CHECKOUT...]
 *
 * Each checkout (default: this one) runs in a fresh process; its `Memory` methods are wrapped
 * for the count (which makes the run much slower: do not time it).
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ACCESSES = ["read8", "read16", "read32", "read64", "write8", "write16", "write32", "write64"];

if (Deno.args[0] === "--child") {
  const [, dir, trace] = Deno.args;
  const { Memory } = await import(`file://${dir}/src/kernel/memory.ts`);
  const { parseAll, runAllocator } = await import(`file://${dir}/tools/bench.ts`);
  const counts: Record<string, number> = {};
  for (const name of ACCESSES) {
    const original = Memory.prototype[name];
    counts[name] = 0;
    Memory.prototype[name] = function (this: unknown, ...args: unknown[]) {
      counts[name]++;
      return original.apply(this, args);
    };
  }
  const ops = parseAll(Deno.readTextFileSync(trace).split("\n"));
  runAllocator(ops, false);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const per = (n: number) => (n / ops.length).toFixed(3);
  console.log(
    `${dir}: ${per(total)} accesses per operation (${ops.length} operations): ` +
      ACCESSES.map((name) => `${name} ${per(counts[name])}`).join(", "),
  );
} else {
  const [trace, ...dirs] = Deno.args;
  if (!trace) {
    console.error("usage: deno run -A bench/access_counts.ts TRACE [CHECKOUT...]");
    Deno.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  const here = resolve(self, "../..");
  for (const dir of dirs.length > 0 ? dirs : [here]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", self, "--child", resolve(dir), resolve(trace)],
      stdout: "inherit",
      stderr: "inherit",
    });
    const { code } = await child.output();
    if (code !== 0) Deno.exit(code);
  }
}
