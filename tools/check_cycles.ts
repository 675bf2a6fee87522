/**
 * `deno task check`'s import cycle check: builds the module graph of the given entry points
 * (`deno info --json`) and fails, naming the modules, when any of the repository's own modules
 * import each other in a cycle — each folder's modules are meant to read top to bottom, from
 * the ones that import nothing up to the entry point.
 *
 * Usage: `deno run -A tools/check_cycles.ts [ENTRY...]` (default: `mod.ts`).
 *
 * @module
 */

import { dirname, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "..");

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The repository's modules and what each imports, from `deno info --json`. */
async function graph(entry: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error(`deno info failed for ${entry}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const local = (s: string) => s.startsWith("file://");
  const edges = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!local(m.specifier)) continue;
    const deps = (m.dependencies ?? [])
      .flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((s): s is string => s !== undefined && local(s));
    edges.set(m.specifier, [...new Set(deps)]);
  }
  return edges;
}

/** The cycles of a graph (Tarjan's strongly connected components of more than one module). */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component);
    }
  };
  for (const v of edges.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

if (import.meta.main) {
  const entries = Deno.args.length > 0 ? Deno.args : ["mod.ts"];
  const edges = new Map<string, string[]>();
  for (const entry of entries) for (const [k, v] of await graph(entry)) edges.set(k, v);
  const cycles = findCycles(edges);
  for (const cycle of cycles) {
    const names = cycle.map((s) => relative(ROOT, fromFileUrl(s))).sort();
    console.error(`Import cycle: ${names.join(" <-> ")}`);
  }
  if (cycles.length > 0) Deno.exit(1);
  console.log(`No import cycles among ${edges.size} modules.`);
}
