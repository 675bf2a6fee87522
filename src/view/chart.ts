/**
 * Charts for notebooks: a {@linkcode Chart} wraps a vega-lite spec and shows
 * in Jupyter both as an interactive vega-lite view and as a static SVG that
 * Deno renders itself with vega, so exported HTML and plain viewers still show
 * the picture. The spec's `$schema` is always vega-lite v5, the version
 * JupyterLab renders.
 *
 * vega and vega-lite load on first render (a dynamic import), so importing
 * this module costs nothing until a chart is drawn.
 *
 * @module
 */

import { objectOption } from "./options.ts";

/** The vega-lite `$schema` that JupyterLab's renderer accepts. */
export const VEGA_LITE_V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/**
 * The key Deno's Jupyter kernel looks up to display a value,
 * `Symbol.for("Jupyter.display")`, typed so that `value[JUPYTER_DISPLAY]()` type-checks.
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** The MIME type JupyterLab renders vega-lite v5 specs from. */
export const VEGA_LITE_V5_MIME = "application/vnd.vegalite.v5+json";

/**
 * A vega-lite spec as a plain JSON object, for example
 * `{ mark: "bar", data: { values }, encoding: { x: …, y: … } }`.
 * Any `$schema` is replaced by {@linkcode VEGA_LITE_V5_SCHEMA}.
 */
export interface VegaLiteSpec {
  /** The schema URL; set to vega-lite v5 by {@linkcode Chart}. */
  $schema?: string;
  /** Any other vega-lite property. */
  [property: string]: unknown;
}

/** What a {@linkcode Chart} hands to Jupyter: one entry per MIME type. */
export interface ChartMediaBundle {
  /** The spec, for JupyterLab's interactive renderer. */
  "application/vnd.vegalite.v5+json": VegaLiteSpec;
  /** The chart drawn as SVG. */
  "image/svg+xml": string;
  /** The same SVG in a div, for HTML exports that drop `image/svg+xml`. */
  "text/html": string;
  /** A one-line description, for consoles and text diffs. */
  "text/plain": string;
}

type VegaModules = [typeof import("npm:vega@5.33.1"), typeof import("npm:vega-lite@5.23.0")];
let modules: Promise<VegaModules> | undefined;

/** Loads vega and vega-lite once, hiding a Node deprecation warning they trigger. */
function loadVega(): Promise<VegaModules> {
  modules ??= (async () => {
    const { default: nodeProcess } = await import("node:process");
    // `noDeprecation` is a documented Node flag missing from the bundled typings.
    const process = nodeProcess as typeof nodeProcess & { noDeprecation?: boolean };
    const quiet = process.noDeprecation;
    process.noDeprecation = true; // vega-loader's node-fetch requires `punycode`
    try {
      return await Promise.all([import("npm:vega@5.33.1"), import("npm:vega-lite@5.23.0")]);
    } finally {
      process.noDeprecation = quiet;
    }
  })();
  return modules;
}

/**
 * Returns a copy of a vega-lite spec whose `$schema` is vega-lite v5.
 *
 * @example
 * ```ts
 * import { toVegaLiteV5, VEGA_LITE_V5_SCHEMA } from "./chart.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = toVegaLiteV5({ $schema: "https://vega.github.io/schema/vega-lite/v6.json" });
 * assert.equal(spec.$schema, VEGA_LITE_V5_SCHEMA);
 * ```
 *
 * @param spec A vega-lite spec, with or without `$schema`.
 * @returns The spec with the v5 schema; the input is not changed.
 */
export function toVegaLiteV5(spec: VegaLiteSpec): VegaLiteSpec {
  if (spec.$schema !== undefined && !spec.$schema.includes("/vega-lite/")) {
    throw new TypeError(`Cannot chart a spec that is not vega-lite: $schema is ${spec.$schema}`);
  }
  const { $schema: _, ...rest } = spec;
  return { $schema: VEGA_LITE_V5_SCHEMA, ...rest };
}

/**
 * Compiles a vega-lite spec to a vega spec with vega-lite 5, as JupyterLab's
 * renderer would; throws when the spec is invalid.
 *
 * @example
 * ```ts
 * import { compileToVega } from "./chart.ts";
 * import assert from "node:assert/strict";
 *
 * const vega = await compileToVega({ mark: "point", data: { values: [{ x: 1 }] } });
 * assert.equal(vega.$schema, "https://vega.github.io/schema/vega/v5.json");
 * ```
 *
 * @param spec A vega-lite spec.
 * @returns The compiled vega spec as a JSON object.
 */
export async function compileToVega(spec: VegaLiteSpec): Promise<Record<string, unknown>> {
  const [, vegaLite] = await loadVega();
  // deno-lint-ignore no-explicit-any -- vega-lite's TopLevelSpec is stricter than plain JSON
  return vegaLite.compile(toVegaLiteV5(spec) as any).spec as Record<string, unknown>;
}

/**
 * Compiles a vega-lite spec with vega-lite 5 and draws it as an SVG string,
 * without a browser.
 *
 * @example
 * ```ts
 * import { renderSvg } from "./chart.ts";
 * import assert from "node:assert/strict";
 *
 * const svg = await renderSvg({
 *   data: { values: [{ arena: "main", bytes: 132 }, { arena: "thread 1", bytes: 64 }] },
 *   mark: "bar",
 *   encoding: { x: { field: "arena" }, y: { field: "bytes", type: "quantitative" } },
 * });
 * assert.match(svg, /^<svg/);
 * ```
 *
 * @param spec A vega-lite spec whose data is inline (`data.values`).
 * @returns The SVG markup.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega] = await loadVega();
  const compiled = await compileToVega(spec);
  // deno-lint-ignore no-explicit-any -- compiled above by vega-lite, so a valid vega spec
  const view = new vega.View(vega.parse(compiled as any), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function describe(spec: VegaLiteSpec): string {
  const parts: string[] = [];
  const mark = spec.mark;
  const markType = typeof mark === "string"
    ? mark
    : (mark as { type?: string } | undefined)?.type ??
      (spec.layer
        ? "layered"
        : spec.facet
        ? "faceted"
        : spec.hconcat || spec.vconcat || spec.concat
        ? "concat"
        : "chart");
  const title = typeof spec.title === "string" ? ` "${spec.title}"` : "";
  parts.push(`${markType} chart${title}`);
  const values = (spec.data as { values?: unknown } | undefined)?.values;
  if (Array.isArray(values)) parts.push(`${values.length} rows`);
  const encoding = spec.encoding as Record<string, { field?: unknown }> | undefined;
  if (encoding) {
    const fields = Object.entries(encoding)
      .filter(([, def]) => typeof def?.field === "string")
      .map(([channel, def]) => `${channel}: ${def.field}`);
    if (fields.length > 0) parts.push(fields.join(", "));
  }
  return parts.join(", ");
}

/**
 * A vega-lite chart that displays itself in Jupyter (Deno kernel) as the
 * vega-lite v5 spec, an SVG rendered in Deno, the SVG as HTML, and a text
 * summary. Deno's kernel awaits the async `Symbol.for("Jupyter.display")`
 * method, so a chart can be a cell's last expression or be passed to
 * `await Deno.jupyter.display(chart)`.
 *
 * @example In a notebook cell
 * ```ts
 * import { Chart, JUPYTER_DISPLAY } from "./chart.ts";
 * import assert from "node:assert/strict";
 *
 * const chart = new Chart({
 *   title: "Heap size",
 *   data: { values: [{ step: 1, bytes: 135168 }, { step: 2, bytes: 270336 }] },
 *   mark: "line",
 *   encoding: {
 *     x: { field: "step", type: "ordinal" },
 *     y: { field: "bytes", type: "quantitative" },
 *   },
 * });
 * assert.equal(chart.toString(), 'Chart: line chart "Heap size", 2 rows, x: step, y: bytes');
 * const bundle = await chart[JUPYTER_DISPLAY]();
 * assert.match(bundle["image/svg+xml"], /^<svg/);
 * ```
 */
export class Chart {
  /** The vega-lite spec, with `$schema` set to vega-lite v5. */
  readonly spec: VegaLiteSpec;
  #svg: string | undefined;

  /**
   * Wraps a vega-lite spec; nothing is rendered until displayed.
   *
   * @param spec A vega-lite spec whose data is inline (`data.values`).
   */
  constructor(spec: VegaLiteSpec) {
    objectOption("spec", spec, "a vega-lite spec object", (v) => !Array.isArray(v));
    this.spec = toVegaLiteV5(spec);
  }

  /**
   * Draws the chart as SVG (once; later calls reuse it).
   *
   * @returns The SVG markup.
   */
  async toSvg(): Promise<string> {
    this.#svg ??= await renderSvg(this.spec);
    return this.#svg;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns One entry per MIME type, see {@linkcode ChartMediaBundle}.
   */
  async [JUPYTER_DISPLAY](): Promise<ChartMediaBundle> {
    const svg = await this.toSvg();
    return {
      [VEGA_LITE_V5_MIME]: this.spec,
      "image/svg+xml": svg,
      "text/html": `<div class="heaplab-chart">${svg}</div>`,
      "text/plain": this.toString(),
    } as ChartMediaBundle;
  }

  /**
   * A one-line summary: mark, title, row count and encoded fields.
   *
   * @returns For example `Chart: bar chart, 4 rows, x: arena, y: bytes`.
   */
  toString(): string {
    return `Chart: ${describe(this.spec)}`;
  }
}

/**
 * Builds a {@linkcode Chart} from a vega-lite spec; shorthand for `new Chart(spec)`.
 *
 * @example
 * ```ts
 * import { chart } from "./chart.ts";
 * import assert from "node:assert/strict";
 *
 * const c = chart({ mark: "point", data: { values: [] } });
 * assert.equal(c.spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
 * ```
 *
 * @param spec A vega-lite spec whose data is inline (`data.values`).
 * @returns The chart, ready to display.
 */
export function chart(spec: VegaLiteSpec): Chart {
  return new Chart(spec);
}
