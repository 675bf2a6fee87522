/**
 * `deno bench -A bench/word_access_bench.ts`: what one simulated 64-bit load costs, against a
 * plain typed-array load — the floor under every simulated malloc and free.
 *
 * Each case follows a chain of pointers (every word holds the address of the next word to read,
 * in random order) through four resident pages, so each load waits for the one before, as the
 * allocator's loads do (a chunk's size, then the next chunk's header; a tcache entry, then its
 * `next`). Four pages stay in the host's L1/L2 cache: the figures are latency, not cache misses.
 *
 * - `Memory.read64`, user-space addresses of x86_64 (`0x7fff…`, above 2^31): a JavaScript
 *   number that V8 holds as a double, truncated to an integer for the TLB index and the offset,
 *   and a result put together from two 32-bit halves by a multiplication and an addition;
 * - `Memory.read64`, addresses below 2^31 (an i386 process's): the same code, all integers;
 * - a `Float64Array` chain: what a load costs in JavaScript without simulated memory.
 *
 * On the machine of issue #13 (2-CPU AMD EPYC, Deno 2.9) the three were about 16, 10 and 4 ns a
 * load: the x86_64 simulator pays some 6 ns a dependent load for its addresses being doubles,
 * which is why its allocator stays several times slower than glibc's however few loads it makes
 * (bench/README.md, "Where the time goes").
 *
 * @module
 */

import { Process } from "../src/kernel/process.ts";
import type { Memory } from "../src/kernel/memory.ts";

const PAGES = 4;
const WORDS = PAGES * 512;
const STEPS = 100_000;
const PROT_RW = 3, MAP_PRIVATE_ANONYMOUS = 0x22, MAP_FIXED = 0x10;

/** A random cyclic order of the word indexes 0 … n-1 (the same in every run: a fixed seed). */
function cycle(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % i;
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const ORDER = cycle(WORDS);

/** Memory and the first address of a pointer chain written at `base` (0: where mmap puts it). */
function chainInMemory(base: number): { memory: Memory; start: number } {
  const process = new Process({ layout: "x86_64" });
  const flags = base === 0 ? MAP_PRIVATE_ANONYMOUS : MAP_PRIVATE_ANONYMOUS | MAP_FIXED;
  const at = process.sys.mmap(base, PAGES * 4096, PROT_RW, flags);
  if (at < 0) throw new Error(`mmap failed: ${at}`);
  // The allocator's memory: proc.space.memory, not the address-checking proxy proc.memory.
  const memory = process.space.memory;
  for (let i = 0; i < WORDS; i++) {
    memory.write64(at + ORDER[i] * 8, at + ORDER[(i + 1) % WORDS] * 8);
  }
  return { memory, start: at + ORDER[0] * 8 };
}

function follow(memory: Memory, address: number, steps: number): number {
  for (let s = 0; s < steps; s++) address = memory.read64(address);
  return address;
}

function followArray(words: Float64Array, index: number, steps: number): number {
  for (let s = 0; s < steps; s++) index = words[index];
  return index;
}

const high = chainInMemory(0);
const low = chainInMemory(0x1000_0000);
const plain = new Float64Array(WORDS);
for (let i = 0; i < WORDS; i++) plain[ORDER[i]] = ORDER[(i + 1) % WORDS];

Deno.bench({
  name: `Memory.read64 chain, x86_64 user addresses (${STEPS / 1000}k dependent loads)`,
  group: "dependent 64-bit loads",
  baseline: true,
  fn() {
    follow(high.memory, high.start, STEPS);
  },
});

Deno.bench({
  name: `Memory.read64 chain, addresses below 2^31 (${STEPS / 1000}k dependent loads)`,
  group: "dependent 64-bit loads",
  fn() {
    follow(low.memory, low.start, STEPS);
  },
});

Deno.bench({
  name: `Float64Array chain, no simulated memory (${STEPS / 1000}k dependent loads)`,
  group: "dependent 64-bit loads",
  fn() {
    followArray(plain, ORDER[0], STEPS);
  },
});
