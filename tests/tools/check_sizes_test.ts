import assert from "node:assert/strict";
import { functionSpans, sizeProblems } from "../../tools/check_sizes.ts";

const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join("\n");

Deno.test("the size check measures functions, methods and arrow functions from declaration to closing brace", () => {
  const source = [
    "export function top(a: number): number {",
    body(3),
    "}",
    "class C {",
    "  method(",
    "    x: number,",
    "    at: { line: number },",
    "  ): { y: number } {",
    "  " + body(2),
    "  }",
    "  short() { return 1; }",
    "}",
    "const arrow = (x: number) => {",
    body(1),
    "};",
    "call(a, b);",
  ].join("\n");
  assert.deepEqual(functionSpans(source), [
    { name: "top", line: 1, lines: 5 },
    { name: "method", line: 7, lines: 7 },
    { name: "arrow", line: 16, lines: 3 },
  ]);
});

Deno.test("the size check names long functions, except glibc's longer routines", () => {
  const source = `function long() {\n${body(150)}\n}\nfunction sysmalloc() {\n${body(150)}\n}\n`;
  assert.deepEqual(sizeProblems("x.ts", source), ["x.ts:1: function long is 152 lines"]);
});

Deno.test("the size check names long files unless their module doc states why", () => {
  const lines = "const a = 1;\n".repeat(501);
  assert.deepEqual(sizeProblems("x.ts", `/** Models x. */\n${lines}`), [
    'x.ts: 502 lines, and no "Over 500 lines:" line in its module doc',
  ]);
  const why = `/**\n * Models x.\n *\n * Over 500 lines: one table.\n *\n * @module\n */\n${lines}`;
  assert.deepEqual(sizeProblems("x.ts", why), []);
});

Deno.test("heaplab's own src/ has no oversized file or function without its reason", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/check_sizes.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
});
