import assert from "node:assert/strict";
import {
  Chart,
  chart,
  JUPYTER_DISPLAY,
  renderSvg,
  toVegaLiteV5,
  VEGA_LITE_V5_MIME,
  VEGA_LITE_V5_SCHEMA,
  type VegaLiteSpec,
} from "../../src/view/chart.ts";

const BINS: VegaLiteSpec = {
  title: "Free chunks per bin",
  data: {
    values: [
      { bin: "tcache", chunks: 7 },
      { bin: "fastbin", chunks: 3 },
      { bin: "unsorted", chunks: 1 },
    ],
  },
  mark: "bar",
  encoding: {
    x: { field: "bin", type: "nominal" },
    y: { field: "chunks", type: "quantitative" },
  },
};

Deno.test("a chart's spec always carries the vega-lite v5 $schema JupyterLab renders", () => {
  assert.equal(new Chart(BINS).spec.$schema, VEGA_LITE_V5_SCHEMA);
  const fromV6 = chart({ ...BINS, $schema: "https://vega.github.io/schema/vega-lite/v6.json" });
  assert.equal(fromV6.spec.$schema, VEGA_LITE_V5_SCHEMA);
});

Deno.test("toVegaLiteV5() copies the spec and leaves the caller's object alone", () => {
  const spec = { ...BINS, $schema: "https://vega.github.io/schema/vega-lite/v4.json" };
  const v5 = toVegaLiteV5(spec);
  assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v4.json");
  assert.equal(v5.$schema, VEGA_LITE_V5_SCHEMA);
  assert.deepEqual(v5.encoding, BINS.encoding);
});

Deno.test("a plain vega (not vega-lite) spec is refused with a clear error", () => {
  assert.throws(
    () => chart({ $schema: "https://vega.github.io/schema/vega/v5.json" }),
    /not vega-lite/,
  );
});

Deno.test("renderSvg() draws one bar per data row without a browser", async () => {
  const svg = await renderSvg(BINS);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const bars = svg.match(/<path[^>]*aria-roledescription="bar"/g) ?? [];
  assert.equal(bars.length, 3);
  assert.match(svg, /Free chunks per bin/);
});

Deno.test("a chart displays in Jupyter as vega-lite v5, SVG, HTML-wrapped SVG and text", async () => {
  const bundle = await chart(BINS)[JUPYTER_DISPLAY]();
  assert.deepEqual(
    Object.keys(bundle).sort(),
    [
      VEGA_LITE_V5_MIME,
      "image/svg+xml",
      "text/html",
      "text/plain",
    ].sort(),
  );
  assert.equal(bundle[VEGA_LITE_V5_MIME].$schema, VEGA_LITE_V5_SCHEMA);
  assert.match(bundle["image/svg+xml"], /^<svg/);
  assert.equal(bundle["text/html"], `<div class="heaplab-chart">${bundle["image/svg+xml"]}</div>`);
  assert.equal(
    bundle["text/plain"],
    'Chart: bar chart "Free chunks per bin", 3 rows, x: bin, y: chunks',
  );
});

Deno.test("JUPYTER_DISPLAY is the symbol Deno's kernel looks up", () => {
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
});

Deno.test("a chart renders its SVG once and reuses it", async () => {
  const c = chart(BINS);
  const first = await c.toSvg();
  assert.equal(await c.toSvg(), first);
});

Deno.test("the text summary names layered charts and copes with no inline data", () => {
  const layered = chart({ layer: [{ mark: "line" }, { mark: "point" }] });
  assert.equal(layered.toString(), "Chart: layered chart");
  const objectMark = chart({ mark: { type: "area" }, encoding: { x: { field: "t" } } });
  assert.equal(objectMark.toString(), "Chart: area chart, x: t");
});
