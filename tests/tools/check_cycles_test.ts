import assert from "node:assert/strict";
import { findCycles } from "../../tools/check_cycles.ts";

Deno.test("the cycle check finds modules that import each other, directly or around a ring", () => {
  const edges = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["e"]],
    ["e", []],
    ["f", ["f"]],
  ]);
  const cycles = findCycles(edges).map((c) => c.sort());
  assert.deepEqual(cycles.sort(), [["a", "b", "c"], ["f"]]);
});

Deno.test("the cycle check passes a graph without cycles", () => {
  assert.deepEqual(findCycles(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), []);
});

Deno.test("heaplab's own modules import each other in no cycle", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/check_cycles.ts", "mod.ts", "src/trace/cli.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
});
