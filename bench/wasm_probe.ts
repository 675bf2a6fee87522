/**
 * `deno run -A bench/wasm_probe.ts TRACE [wasm|stub]`: what WebAssembly code shaped like the
 * allocator's tcache paths costs per heap operation in a fresh process — the number the
 * decision on a WebAssembly allocator (issue #13) turns on. Not heaplab's allocator: the probe
 * (`wasm_probe/tcache_probe.ts`, AssemblyScript, built into `tcache_probe.wasm`) keeps a
 * tcache-shaped toy in a simulated address space, every access through a TLB in the module's
 * memory whose misses the host fills, as heaplab's `Memory` does. The trace's `malloc` and
 * `free` lines (slots kept in a typed array, parsed before the clock starts) run through it:
 * `wasm` times the loop calling the module (compiled by Liftoff when instantiated, tiered up
 * in the background), `stub` the same loop calling JavaScript functions that do nothing but
 * hand out addresses — the loop's own share. Add `--v8-flags=--liftoff-only` to see Liftoff's
 * code alone. Prints one JSON line.
 *
 * @module
 */

const [tracePath, mode = "wasm"] = Deno.args;
if (!tracePath || (mode !== "wasm" && mode !== "stub")) {
  console.error("usage: deno run -A bench/wasm_probe.ts TRACE [wasm|stub]");
  Deno.exit(2);
}

/** The trace's malloc (1) and free (2) lines: operation, slot, size. */
function parseHeapLines(text: string) {
  const lines = text.split("\n");
  const ops = new Uint8Array(lines.length), slots = new Int32Array(lines.length);
  const sizes = new Float64Array(lines.length);
  let count = 0, maxSlot = 0;
  for (const line of lines) {
    const f = line.split(" ");
    if (f[0] !== "malloc" && f[0] !== "free") continue;
    ops[count] = f[0] === "malloc" ? 1 : 2;
    slots[count] = Number(f[1]);
    sizes[count] = f[0] === "malloc" ? Number(f[2]) : 0;
    maxSlot = Math.max(maxSlot, slots[count]);
    count++;
  }
  return { ops, slots, sizes, count, maxSlot };
}

const PAGE = 4096, TLB_SIZE = 32768, BASES = 262144, FIRST_PAGE = 1 << 20;
/** The store: 4,100 WebAssembly pages (256 MiB and a bit), as heaplab's page store. */
const memory = new WebAssembly.Memory({ initial: 4100, maximum: 4100 });
const bytes = new Uint8Array(memory.buffer), view = new DataView(memory.buffer);
// Host pages written once before the clock starts (heaplab's page pool does the same).
for (let i = 0; i < 16_000; i++) bytes[FIRST_PAGE + i * PAGE] = 0;
const pages = new Map<number, number>();
let nextPage = FIRST_PAGE;

/** The TLB miss: the page of `address` gets a store page (zero) and a TLB entry. */
function fill(address: bigint): void {
  const page = Number(address) - Number(address) % PAGE;
  let base = pages.get(page);
  if (base === undefined) pages.set(page, base = (nextPage += PAGE) - PAGE);
  const k = (page / PAGE) & (TLB_SIZE - 1);
  view.setBigUint64(k * 8, BigInt(page), true);
  view.setUint32(BASES + k * 4, base, true);
}

function poke(address: number, value: bigint): void {
  fill(BigInt(address));
  const k = (address / PAGE) & (TLB_SIZE - 1);
  view.setBigUint64(view.getUint32(BASES + k * 4, true) + address % PAGE, value, true);
}

interface Probe {
  malloc(bytes: number): number;
  free(address: number): number;
}

const trace = parseHeapLines(await Deno.readTextFile(tracePath));
const started = performance.now();
let probe: Probe;
if (mode === "wasm") {
  const module = await Deno.readFile(new URL("./wasm_probe/tcache_probe.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(module, {
    env: {
      memory,
      fill,
      abort: () => {
        throw new Error("probe aborted");
      },
    },
  });
  const exports = instance.exports as unknown as Probe & {
    setup(tls: number, mp: number, heap: number, arena: number): void;
  };
  // The TLS tcache pointer, mp_.tcache_bins and main_arena at their 2.36 x86_64 places, the
  // heap after the tcache_perthread_struct.
  poke(0x7ffff7d8a6f8, 0x555555559010n);
  poke(0x7ffff7fa8390, 64n);
  exports.setup(0x7ffff7d8a6f8, 0x7ffff7fa8390, 0x555555559290, 0x7ffff7fa6c80);
  probe = exports;
} else {
  let top = 0x555555559290;
  probe = { malloc: (n) => (top += (n + 23) & ~15) - 16, free: () => 0 };
}
const ready = performance.now();
const live = new Float64Array(trace.maxSlot + 1);
let checksum = 0;
for (let i = 0; i < trace.count; i++) {
  if (trace.ops[i] === 1) live[trace.slots[i]] = probe.malloc(trace.sizes[i]);
  else checksum += probe.free(live[trace.slots[i]]);
}
const done = performance.now();
console.log(JSON.stringify({
  mode,
  heapOps: trace.count,
  setupMs: +(ready - started).toFixed(1),
  loopMs: +(done - ready).toFixed(1),
  nsPerOp: +((done - ready) * 1e6 / trace.count).toFixed(1),
  pages: pages.size,
  checksum,
}));
