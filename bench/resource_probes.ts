/**
 * Resource probes: what Linux does cheaply must be cheap here too. Each probe runs in a fresh
 * Deno process and reports its wall time and the process's peak RSS (VmHWM):
 *
 * - `reserve-1TiB`: one 1 TiB PROT_NONE MAP_NORESERVE mapping, then one page of it touched;
 * - `mmap-1GiB-until-ENOMEM`: 1 GiB read-write mappings until mmap fails (131,071 on x86_64);
 * - `malloc-1TiB`: `malloc(1 << 40)` under the overcommit heuristic (NULL, ENOMEM);
 * - `vmas-N`: N one-page mappings of alternating protection (N areas; vm.max_map_count raised
 *   above N), then 100,000 lookups.
 *
 * Wall time, CPU time (user + system of the probe's process) and peak RSS of each.
 *
 * Usage: `deno task bench:resources [--vmas N]` (default 70000). Prints a Markdown table.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { Allocator, Process } from "../mod.ts";

const ANON = 0x22, RW = 3;

/** The probes, by name; each returns a note for the table. */
const probes: Record<string, (arg: number) => string> = {
  "reserve-1TiB": () => {
    const p = new Process();
    const a = p.sys.mmap(0, 2 ** 40, 0, ANON | 0x4000);
    p.sys.mprotect(a + 2 ** 39, 4096, RW);
    p.memory.write8(a + 2 ** 39, 1);
    return `at 0x${a.toString(16)}, ${p.memory.residentPages} page resident`;
  },
  "mmap-1GiB-until-ENOMEM": () => {
    const p = new Process();
    let n = 0, r = 0;
    while ((r = p.sys.mmap(0, 2 ** 30, RW, ANON)) > 0) n++;
    return `${n} mappings, then errno ${-r}`;
  },
  "malloc-1TiB": () => {
    const p = new Process();
    const r = new Allocator(p).malloc(2 ** 40);
    return `returned ${r}, errno ${p.currentThread.errno}`;
  },
  vmas: (n) => {
    const p = new Process();
    p.space.maxMapCount = n + 1000; // sysctl vm.max_map_count, as one would on Linux
    for (let i = 0; i < n; i++) p.sys.mmap(0, 4096, i & 1 ? 1 : RW, ANON);
    let found = 0;
    for (let i = 0; i < 100_000; i++) {
      if (p.space.areaAt(p.space.mmapBase - 4096 - (i % n) * 4096)) found++;
    }
    return `${p.space.mapCount} areas, ${found} of 100000 lookups hit`;
  },
};

function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

if (Deno.args[0] === "--probe") {
  // Child: run one probe, print one JSON line.
  const [name, arg] = [Deno.args[1], Number(Deno.args[2] ?? 0)];
  const t = performance.now(), cpu = cpuUsage();
  const note = probes[name](arg);
  const ms = performance.now() - t;
  const used = cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(JSON.stringify({ ms, cpuMs, rss: peakRssMiB(), note }));
} else {
  const i = Deno.args.indexOf("--vmas");
  const vmas = i >= 0 ? Number(Deno.args[i + 1]) : 70_000;
  const runs: [string, string, number][] = [
    ["reserve-1TiB", "reserve-1TiB", 0],
    ["mmap-1GiB-until-ENOMEM", "mmap-1GiB-until-ENOMEM", 0],
    ["malloc-1TiB", "malloc-1TiB", 0],
    [`vmas-${vmas}`, "vmas", vmas],
  ];
  const self = new URL(import.meta.url).pathname;
  console.log("| probe | time (CPU) | peak RSS | result |");
  console.log("| ----- | ---------: | -------: | ------ |");
  for (const [label, name, arg] of runs) {
    const out = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", self, "--probe", name, String(arg)],
      stderr: "inherit",
    }).outputSync();
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim());
    console.log(
      `| ${label} | ${(r.ms / 1000).toFixed(2)} s (${(r.cpuMs / 1000).toFixed(2)} s) | ${
        r.rss.toFixed(0)
      } MiB | ${r.note} |`,
    );
  }
}
