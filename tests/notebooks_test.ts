/**
 * The notebooks are part of the product: each one in notebooks/ must run top to
 * bottom with Deno's Jupyter kernel, reproduce the text outputs committed with
 * it, show vega-lite v5 charts that compile, and (for the maps and arenas
 * stories, 02 and 03) show a maps table and a drawn chart in a real browser.
 * A tiny fixture notebook tests the executor itself first.
 */

import assert from "node:assert/strict";
import { basename, join } from "node:path";
import {
  ensurePrerequisites,
  executeNotebook,
  type ExecuteResult,
  listNotebooks,
  REPO_ROOT,
} from "../tools/notebooks.ts";
import {
  chartSvgs,
  codeCells,
  describeStale,
  dumpDom,
  findChromium,
  isMapsTable,
  joinText,
  type Notebook,
  readNotebook,
  screenshot,
  staleCells,
  tables,
  vegaLiteSpecs,
} from "./notebook_support.ts";
import { compileToVega } from "../src/view/chart.ts";

const VEGA_LITE_V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const FIXTURES = join(REPO_ROOT, "tests", "fixtures");
const FIXTURE = join(FIXTURES, "notebooks", "01_executor_fixture.ipynb");
const OUT = join(REPO_ROOT, "out");
const SCREENSHOTS = join(OUT, "screenshots");

let prerequisites: Promise<void> | undefined;
function prepare(): Promise<void> {
  prerequisites ??= ensurePrerequisites();
  return prerequisites;
}

const runs = new Map<string, Promise<ExecuteResult>>();
/** Executes a notebook once per test run; later callers share the result. */
function execute(path: string, outDir: string): Promise<ExecuteResult> {
  if (!runs.has(path)) {
    runs.set(path, prepare().then(() => executeNotebook(path, { outDir, quiet: true })));
  }
  return runs.get(path)!;
}

async function executed(path: string, outDir: string) {
  const result = await execute(path, outDir);
  assert.ok(result.ok, `${basename(path)} failed to execute:\n${result.log}`);
  return { result, notebook: await readNotebook(result.executed) };
}

async function assertChartsCompile(notebook: Notebook, name: string) {
  for (const { cell, spec } of vegaLiteSpecs(notebook)) {
    assert.equal(spec.$schema, VEGA_LITE_V5_SCHEMA, `${name} cell ${cell}: $schema`);
    const vega = await compileToVega(spec);
    const marks = vega.marks as unknown[] | undefined;
    assert.ok(marks && marks.length > 0, `${name} cell ${cell}: compiles to no marks`);
  }
}

async function assertBrowserShowsMapsAndChart(html: string, name: string) {
  const chromium = await findChromium();
  if (chromium === undefined) {
    console.log(`Skipping the browser check of ${name}: chromium is not installed`);
    return;
  }
  const dom = await dumpDom(chromium, html);
  assert.ok(tables(dom).some(isMapsTable), `${name}: the page shows no maps <table>`);
  assert.ok(chartSvgs(dom).length > 0, `${name}: the page shows no chart <svg> with marks`);
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const png = join(SCREENSHOTS, `${name}.png`);
  await screenshot(chromium, html, png);
  assert.ok((await Deno.stat(png)).size > 10_000, `${name}: the screenshot is blank`);
}

// --- The executor, on fixtures --------------------------------------------------------------

const FIXTURE_OUT = join(OUT, "test-fixtures");

Deno.test("the executor keeps every output, including displays published after the cell went idle", async () => {
  const { notebook } = await executed(FIXTURE, FIXTURE_OUT);
  const cells = codeCells(notebook);
  const texts = (i: number) =>
    cells[i].outputs!.map((o) =>
      o.output_type === "stream" ? joinText(o.text) : joinText(o.data?.["text/plain"])
    );

  assert.deepEqual(texts(1), ["first line\nsecond line\n"]);
  assert.deepEqual(texts(2), [0, 1, 2, 3, 4].map((i) => `awaited display ${i}`));
  assert.deepEqual(texts(3), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `late display ${i}`));
  assert.deepEqual(texts(4), ["printed 300 ms after the cell finished\n"]);
});

Deno.test("the executor records execute_result with its execution count", async () => {
  const { notebook } = await executed(FIXTURE, FIXTURE_OUT);
  const last = codeCells(notebook).at(-1)!;
  const result = last.outputs![0] as { output_type: string; execution_count?: number };
  assert.equal(result.output_type, "execute_result");
  assert.equal(result.execution_count, codeCells(notebook).length);
});

Deno.test("the executor fails and names the cell when a cell throws", async () => {
  await prepare();
  const path = join(FIXTURES, "bad_notebooks", "throws.ipynb");
  const result = await executeNotebook(path, { outDir: join(OUT, "test-bad"), quiet: true });
  assert.equal(result.ok, false);
  assert.match(result.log, /\[throws\] cell 2\/3 raised Error: boom from fixture/);
  assert.doesNotMatch(result.log, /cell 3\/3/);
});

Deno.test("the executor fails when a cell produces fewer outputs than it declares", async () => {
  await prepare();
  const path = join(FIXTURES, "bad_notebooks", "missing_output.ipynb");
  const result = await executeNotebook(path, { outDir: join(OUT, "test-bad"), quiet: true });
  assert.equal(result.ok, false);
  assert.match(result.log, /cell 1\/1 produced 1 outputs, expected at least 3/);
});

Deno.test("the executor fails and names the cell when the kernel dies", async () => {
  await prepare();
  const path = join(FIXTURES, "bad_notebooks", "kernel_dies.ipynb");
  const result = await executeNotebook(path, { outDir: join(OUT, "test-bad"), quiet: true });
  assert.equal(result.ok, false);
  assert.match(result.log, /\[kernel_dies\] cell 2\/3 failed: the kernel died/);
});

Deno.test("the executor stops a cell that runs past its metadata timeout", async () => {
  await prepare();
  const path = join(FIXTURES, "bad_notebooks", "slow_cell.ipynb");
  const result = await executeNotebook(path, { outDir: join(OUT, "test-bad"), quiet: true });
  assert.equal(result.ok, false);
  assert.match(result.log, /\[slow_cell\] cell 1\/1 failed: timed out after 2 s/);
});

Deno.test("the fixture's committed outputs match a fresh run, except its volatile cell", async () => {
  const { notebook } = await executed(FIXTURE, FIXTURE_OUT);
  const committed = await readNotebook(FIXTURE);
  const stale = staleCells(committed, notebook);
  assert.equal(stale.length, 0, describeStale(stale));
});

Deno.test("a notebook whose committed outputs are out of date is reported stale", async () => {
  const { notebook } = await executed(FIXTURE, FIXTURE_OUT);
  const committed = await readNotebook(FIXTURE);
  codeCells(committed)[1].outputs![0].text = "an old output\n";
  const stale = staleCells(committed, notebook);
  assert.deepEqual(stale.map((s) => s.cell), [2]);
});

Deno.test("the fixture's chart is vega-lite v5 that compiles", async () => {
  const { notebook } = await executed(FIXTURE, FIXTURE_OUT);
  assert.equal(vegaLiteSpecs(notebook).length, 1);
  await assertChartsCompile(notebook, "01_executor_fixture");
});

Deno.test("the fixture's HTML export shows its table and chart in headless Chromium", async () => {
  const { result } = await executed(FIXTURE, FIXTURE_OUT);
  await assertBrowserShowsMapsAndChart(result.html, "fixture_01_executor_fixture");
});

// --- The notebooks in notebooks/ --------------------------------------------------------------

const NOTEBOOKS = await listNotebooks(join(REPO_ROOT, "notebooks"));
const NOTEBOOK_OUT = join(OUT, "notebooks");

if (NOTEBOOKS.length === 0) {
  Deno.test({
    name: "notebooks/*.ipynb run and match their outputs (skipped: there are no notebooks yet)",
    ignore: true,
    fn() {},
  });
}

for (const path of NOTEBOOKS) {
  const name = basename(path, ".ipynb");

  Deno.test(`notebooks/${name} runs with the Deno kernel and matches its committed text outputs`, async () => {
    const { notebook } = await executed(path, NOTEBOOK_OUT);
    const stale = staleCells(await readNotebook(path), notebook);
    assert.equal(
      stale.length,
      0,
      `notebooks/${name}.ipynb is stale; refresh it with deno task notebooks --update --only ${name}\n${
        describeStale(stale)
      }`,
    );
  });

  Deno.test(`notebooks/${name} shows only vega-lite v5 charts that compile`, async () => {
    const { notebook } = await executed(path, NOTEBOOK_OUT);
    await assertChartsCompile(notebook, name);
  });

  if (/^0[23]_/.test(name)) {
    Deno.test(`notebooks/${name} shows a maps table and a drawn chart in headless Chromium`, async () => {
      const { result } = await executed(path, NOTEBOOK_OUT);
      await assertBrowserShowsMapsAndChart(result.html, name);
    });
  }
}
