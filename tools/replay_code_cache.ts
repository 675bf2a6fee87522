/**
 * `deno task bundle:replay`'s last step: imports the bundled replay command (`dist/replay.js`) in
 * a process that ends normally, so that Deno stores the bundle's V8 code cache.
 *
 * Deno writes a module's code cache only when a run's main module ends normally, and the replay
 * command never does: it ends with `Deno.exit()`, which skips tearing down the JavaScript heap
 * (30–45 ms after a 1M-line replay). So, left to itself, every run of the bundle would parse its
 * 214 KB again; importing it once here (its `main` does not run: the bundle is not the main
 * module) leaves the cache that every later `deno run -A dist/replay.js …` reads. What that is
 * worth, alternating fresh processes: bench/README.md ("The compiler's queue, and the bundle's
 * code cache").
 *
 * Usage, from the repository's root after `deno bundle … -o dist/replay.js`:
 * `deno run --allow-read=dist/replay.js tools/replay_code_cache.ts`.
 *
 * @module
 */

const bundle = new URL("../dist/replay.js", import.meta.url);
const { main } = await import(bundle.href);
if (typeof main !== "function") {
  throw new Error(`${bundle.pathname} exports no main: is it the bundled replay command?`);
}
