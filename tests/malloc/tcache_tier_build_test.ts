// The WebAssembly tcache tier's committed bytes (src/malloc/tcache_tier_wasm.ts) are what its
// committed AssemblyScript source builds to, and instantiating them writes nothing into the page
// store they share with every process (no data segment, no start function).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { TCACHE_TIER_WASM } from "../../src/malloc/tcache_tier_wasm.ts";

Deno.test("the committed tier module is what tools/build_tcache_tier.ts builds from its source", async () => {
  const tool = fileURLToPath(new URL("../../tools/build_tcache_tier.ts", import.meta.url));
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", tool, "--check"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(run.success, new TextDecoder().decode(run.stderr));
});

Deno.test("the tier module has no data segment and no start function", () => {
  const bytes = Uint8Array.from(atob(TCACHE_TIER_WASM), (c) => c.charCodeAt(0));
  const sections: number[] = [];
  let at = 8;
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    sections.push(id);
    at += size;
  }
  assert.equal(at, bytes.length);
  assert.ok(!sections.includes(11), "a data section"); // data
  assert.ok(!sections.includes(8), "a start section"); // start
  const module = new WebAssembly.Module(bytes);
  assert.deepEqual(
    WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`),
    ["env.fill:function", "env.memory:memory"],
  );
});
