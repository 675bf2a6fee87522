/**
 * Shared helpers for tests against the real-glibc oracle's recorded outputs in
 * `tests/fixtures/oracle/` (copied from the oracle; they are what real glibc printed).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type ReplayOptions, type ReplayResult, replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";
import { ORACLE_BUILDS } from "../src/malloc/profile.ts";

/** Folder of the oracle fixtures. */
export const ORACLE = fileURLToPath(new URL("./fixtures/oracle/", import.meta.url));

/** The real-glibc builds the oracle ran (from the glibc profile's release table). */
export const BUILDS: readonly { glibc: string; arch: "i386" | "x86_64"; name: string }[] =
  ORACLE_BUILDS.map(({ glibc, arch }) => ({ glibc, arch, name: `${glibc}-${arch}` }));

/** Names (without extension) of the trace files in a folder of the fixtures. */
export function traceNames(dir: string): string[] {
  return [...Deno.readDirSync(ORACLE + dir)]
    .filter((e) => e.isFile && e.name.endsWith(".trace"))
    .map((e) => e.name.slice(0, -".trace".length))
    .sort();
}

/**
 * The initial state of a kernel trace's expected output: its `# initial break` line and its
 * first rawmaps block, unindented — what `--initial-maps` takes.
 */
export function initialMapsOf(expected: string): string {
  const lines = expected.split("\n");
  const out = [lines[1]];
  let i = lines.findIndex((l) => / rawmaps$/.test(l));
  for (i++; i < lines.length && lines[i].startsWith("  "); i++) out.push(lines[i].slice(2));
  return out.join("\n") + "\n";
}

/**
 * The oracle driver's address space at its start on a build (the first rawmaps of a kernel
 * trace, as the real kernel printed it): the layout every trace of that build ran in.
 */
export function driverLayout(build: string): string {
  return initialMapsOf(Deno.readTextFileSync(`${ORACLE}expected-raw/${build}/seed_mthread.out`));
}

/** True when a trace has heap or thread operations (it needs the allocator). */
export function hasHeapOps(trace: string): boolean {
  return trace.split("\n").some((l) =>
    /^\s*(malloc|calloc|realloc|memalign|free|trim|mallopt|thread|join)\b/.test(l)
  );
}

/** Replays with the default allocator (when there is one). */
export function replay(text: string, options: ReplayOptions): ReplayResult {
  return replayTrace(text, { allocator: defaultAllocatorFactory, ...options });
}

/** A short unified-style description of the first difference between two texts. */
export function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n"), e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${
        JSON.stringify(a[i])
      }`;
    }
  }
  return "identical";
}
