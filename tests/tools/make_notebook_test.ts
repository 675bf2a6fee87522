import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildNotebook,
  matchesSource,
  notebookJson,
  parseSource,
} from "../../tools/make_notebook.ts";
import { REPO_ROOT } from "../../tools/notebooks.ts";

Deno.test("parseSource makes ts blocks code cells and keeps other blocks in the markdown", () => {
  const cells = parseSource([
    "# Title",
    "",
    "```c",
    "brk(curr_brk + 4096);",
    "```",
    "",
    '```ts {"volatile": true}',
    "1 + 1;",
    "```",
    "After.",
    "<!-- cell -->",
    "Next cell.",
  ].join("\n"));
  assert.deepEqual(cells, [
    { kind: "markdown", source: "# Title\n\n```c\nbrk(curr_brk + 4096);\n```" },
    { kind: "code", source: "1 + 1;", heaplab: { volatile: true } },
    { kind: "markdown", source: "After." },
    { kind: "markdown", source: "Next cell." },
  ]);
});

Deno.test("a rebuilt notebook keeps the outputs of unchanged code cells only", async () => {
  const before = await buildNotebook(parseSource("```ts\na;\n```\n\n```ts\nb;\n```\n"));
  const cells = (before as { cells: { outputs: unknown[] }[] }).cells;
  cells[0].outputs = [{ output_type: "stream", name: "stdout", text: ["a\n"] }];
  cells[1].outputs = [{ output_type: "stream", name: "stdout", text: ["b\n"] }];
  const after = await buildNotebook(
    parseSource("```ts\na;\n```\n\n```ts\nb2;\n```\n"),
    before as never,
  );
  const outputs = (after as { cells: { outputs: unknown[] }[] }).cells.map((c) => c.outputs);
  assert.equal(outputs[0].length, 1);
  assert.equal(outputs[1].length, 0);
  assert.match(notebookJson(after), /^\{\n "cells": \[/);
});

Deno.test("every notebook built from notebooks/src matches its source", async () => {
  const dir = join(REPO_ROOT, "notebooks", "src");
  let checked = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".md")) continue;
    const name = entry.name.slice(0, -3);
    const source = await Deno.readTextFile(join(dir, entry.name));
    const notebook = await Deno.readTextFile(join(REPO_ROOT, "notebooks", `${name}.ipynb`));
    assert.ok(
      matchesSource(source, notebook),
      `notebooks/${name}.ipynb is not built from its source: deno run -A tools/make_notebook.ts ${name}`,
    );
    checked++;
  }
  assert.ok(checked > 0);
});
