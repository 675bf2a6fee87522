/**
 * heaplab must be importable straight from a URL by a program with no
 * deno.json (no import map, no tasks): every import inside the library is a
 * relative path, a `node:` built-in or a versioned `npm:` specifier. This test
 * serves the repository over HTTP on 127.0.0.1 and imports mod.ts from a
 * fresh Deno cache in an empty folder.
 */

import assert from "node:assert/strict";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".tsx": "text/tsx; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/** Serves files under root, read-only, refusing paths that leave it. */
async function serveFile(root: string, request: Request): Promise<Response> {
  const path = normalize(decodeURIComponent(new URL(request.url).pathname));
  if (path.split("/").includes("..")) return new Response("Forbidden", { status: 403 });
  try {
    const body = await Deno.readFile(join(root, path));
    const type = CONTENT_TYPES[extname(path)] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type } });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      return new Response("Not found", { status: 404 });
    }
    throw error;
  }
}

Deno.test("mod.ts imports over HTTP into a program that has no deno.json", async () => {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    requested.push(new URL(request.url).pathname);
    return serveFile(REPO_ROOT, request);
  });
  const host = `127.0.0.1:${server.addr.port}`;
  const folder = await Deno.makeTempDir({ prefix: "heaplab-url-import-" });
  try {
    await Deno.writeTextFile(
      join(folder, "main.ts"),
      [
        `import * as heaplab from "http://${host}/mod.ts";`,
        `console.log(Object.keys(heaplab).length > 0 ? "ok" : "empty");`,
      ].join("\n") + "\n",
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--reload", `--allow-import=${host}`, "main.ts"],
      cwd: folder,
      env: { DENO_DIR: join(folder, "deno_dir"), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout).trim();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(stdout, "ok", `deno run printed ${JSON.stringify(stdout)}:\n${stderr}`);
    assert.ok(output.success, stderr);
    assert.ok(requested.includes("/mod.ts"), "main.ts did not fetch mod.ts from the server");
  } finally {
    await server.shutdown();
    await Deno.remove(folder, { recursive: true });
  }
});
