/**
 * heaplab from Node: `deno task bundle` makes `dist/heaplab.cjs`, which plain Node can require,
 * and `notebooks/tslab/per_thread_arena.ipynb` runs with tslab (the Node TypeScript kernel) and
 * prints the seed's per-thread arena maps lines. tslab is installed with npm when missing; when it
 * cannot be, the notebook test is skipped with a message (it fails instead when
 * HEAPLAB_REQUIRE_TSLAB=1, as in CI).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildBundle,
  BUNDLE,
  ensurePrerequisites,
  ensureTslab,
  executeNotebook,
  REPO_ROOT,
  TSLAB_KERNEL,
  tslabRequired,
} from "../tools/notebooks.ts";
import {
  codeCells,
  describeStale,
  joinText,
  readNotebook,
  staleCells,
} from "./notebook_support.ts";

const NOTEBOOK = join(REPO_ROOT, "notebooks", "tslab", "per_thread_arena.ipynb");

/** The seed's lines for each step of the example, in the order the notebook prints them. */
const SEED_STEPS: [string, string[]][] = [
  ["Before malloc in main thread", ["b7e05000-b7e07000 rw-p 00000000 00:00 0"]],
  ["After malloc and before free in main thread", [
    "0804b000-0806c000 rw-p 00000000 00:00 0          [heap]",
  ]],
  ["Before malloc in thread 1", [
    "b7604000-b7605000 ---p 00000000 00:00 0",
    "b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]",
  ]],
  ["After malloc and before free in thread 1", [
    "b7500000-b7521000 rw-p 00000000 00:00 0",
    "b7521000-b7600000 ---p 00000000 00:00 0",
  ]],
];

let bundled: Promise<void> | undefined;
function bundle(): Promise<void> {
  bundled ??= buildBundle();
  return bundled;
}

Deno.test("deno task bundle makes a CommonJS file that plain Node runs the seed's example with", async () => {
  await bundle();
  const script = `
    const { Allocator, Process } = require(${JSON.stringify(BUNDLE)});
    const proc = new Process({ layout: "seed-i386", program: "mthread" });
    const heap = new Allocator(proc, { glibc: "2.23" });
    const thread = proc.pthreadCreate();
    proc.runOn(thread, () => heap.malloc(1000));
    process.stdout.write(proc.maps());`;
  let output;
  try {
    output = await new Deno.Command("node", { args: ["-e", script], stdout: "piped" }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log("Skipping the Node check of dist/heaplab.cjs: node is not installed");
    return;
  }
  assert.ok(output.success, "node could not run dist/heaplab.cjs");
  const lines = new TextDecoder().decode(output.stdout).split("\n").map((l) => l.trimEnd());
  assert.ok(lines.includes("b7500000-b7521000 rw-p 00000000 00:00 0"), lines.join("\n"));
});

Deno.test("the CommonJS bundle runs C programs in plain Node", async () => {
  await bundle();
  const script = `
    const { runC } = require(${JSON.stringify(BUNDLE)});
    const r = runC("#include <stdlib.h>\\n#include <stdio.h>\\nint main(void) { void *p = malloc(24); printf(\\"%p\\\\n\\", p); return 0; }");
    process.stdout.write(r.state + " " + r.stdout);`;
  let output;
  try {
    output = await new Deno.Command("node", { args: ["-e", script], stdout: "piped" }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log("Skipping the Node check of dist/heaplab.cjs: node is not installed");
    return;
  }
  assert.ok(output.success, "node could not run a C program through dist/heaplab.cjs");
  assert.equal(new TextDecoder().decode(output.stdout), "exited 0x5555555592a0\n");
});

Deno.test("notebooks/tslab/per_thread_arena runs with tslab, prints the seed's lines and matches its outputs", async () => {
  const problem = await ensureTslab();
  if (problem !== undefined) {
    assert.ok(!tslabRequired(), `HEAPLAB_REQUIRE_TSLAB=1 but tslab is unavailable: ${problem}`);
    console.log(`Skipping the tslab notebook: tslab cannot be installed: ${problem}`);
    return;
  }
  await ensurePrerequisites();
  await bundle();
  const outDir = join(REPO_ROOT, "out", "notebooks", "tslab");
  const result = await executeNotebook(NOTEBOOK, { outDir, quiet: true, kernel: TSLAB_KERNEL });
  assert.ok(result.ok, `per_thread_arena failed with tslab:\n${result.log}`);

  const executed = await readNotebook(result.executed);
  const printed = codeCells(executed).flatMap((cell) =>
    (cell.outputs ?? []).map((output) => joinText(output.text))
  ).join("");
  for (const [message, seedLines] of SEED_STEPS) {
    const start = printed.indexOf(`${message}\n`);
    assert.ok(start >= 0, `the notebook never prints "${message}"`);
    const step = printed.slice(start, printed.indexOf("\n...", start));
    const lines = step.split("\n").map((line) => line.trimEnd());
    for (const seed of seedLines) {
      assert.ok(lines.includes(seed), `"${message}" lacks the seed's line ${seed}:\n${step}`);
    }
  }

  const stale = staleCells(await readNotebook(NOTEBOOK), executed);
  assert.equal(
    stale.length,
    0,
    `notebooks/tslab/per_thread_arena.ipynb is stale; refresh it with deno task notebooks --update --only per_thread_arena\n${
      describeStale(stale)
    }`,
  );
});
