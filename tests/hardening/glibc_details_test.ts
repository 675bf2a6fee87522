/**
 * glibc details: calloc clears what glibc's `clear_memory` clears. The trace of
 * tests/fixtures/glibc_facts/calloc_size0.trace (a tcache chunk whose size word is forged to 0)
 * is run here step by step and compared with what real glibc did (its `.out` files).
 */
import assert from "node:assert/strict";
import { Allocator, HeapAbort, Process } from "../../mod.ts";

const dir = new URL("../fixtures/glibc_facts/", import.meta.url);

/** Runs a v2 trace of malloc/calloc/free/write/read lines; returns its lines as the oracle does. */
function run(glibc: string, trace: string): string[] {
  const proc = new Process({ layout: "x86_64" });
  const libc = new Allocator(proc, { glibc });
  const slots = new Map<number, number>();
  const out: string[] = [];
  const lines = trace.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const [op, ...args] = line.split(/\s+/);
    const n = i + 1;
    try {
      if (op === "malloc") slots.set(+args[0], libc.malloc(+args[1]));
      else if (op === "calloc") slots.set(+args[0], libc.calloc(+args[1], +args[2]));
      else if (op === "free") libc.free(slots.get(+args[0])!);
      else if (op === "write") {
        proc.memory.writeBig64(slots.get(+args[0])! + +args[1], BigInt(args[3]));
      } else if (op === "read") {
        const v = proc.memory.readBig64(slots.get(+args[0])! + +args[1]);
        out.push(`${n} read ${args.join(" ")} -> 0x${v.toString(16)}`);
      }
    } catch (e) {
      if (e instanceof HeapAbort) out.push(`${n} abort ${e.glibcMessage}`);
      else if ((e as Error).name === "SegmentationFault") out.push(`${n} segv`);
      else throw e;
      break;
    }
  }
  return out;
}

/** The oracle's read, abort and segv lines for a trace on a version. */
function oracle(name: string, glibc: string): string[] {
  const text = Deno.readTextFileSync(new URL(`${name}.${glibc}-x86_64.out`, dir));
  return text.split("\n").filter((l) => / (read|abort|segv)( |$)/.test(l));
}

Deno.test("calloc of a chunk whose size word is 0 clears what real glibc clears", () => {
  // glibc 2.41 takes the chunk from the tcache, clearsize = (size_t) -8: x86_64's memset zeroes
  // 256 bytes at each end of the wrapped range and returns; 2.31 and 2.36 go through _int_malloc,
  // whose top chunk the trace's pattern corrupted: "malloc(): corrupted top size".
  const trace = Deno.readTextFileSync(new URL("calloc_size0.trace", dir));
  for (const glibc of ["2.31", "2.36", "2.41"]) {
    assert.deepEqual(run(glibc, trace), oracle("calloc_size0", glibc), glibc);
  }
});

Deno.test("calloc stores at least three words even when the chunk is smaller (clear_memory)", () => {
  // clearsize = chunksize - SIZE_SZ; glibc always stores d[0..2], then up to 9 words.
  const proc = new Process({ layout: "x86_64" });
  const libc = new Allocator(proc, { glibc: "2.41" });
  const a = libc.malloc(24), b = libc.malloc(24);
  proc.memory.write64(b - 8, 0x21); // b's size word, next to a's third word
  libc.free(a);
  proc.memory.write64(a - 8, 0x11); // a's size forged to 16: clearsize 8, one word
  for (let off = 0; off < 24; off += 8) proc.memory.write64(a + off + 8, 0x4141);
  const c = libc.calloc(1, 24);
  assert.equal(c, a);
  // Words 0..2 are zero, the third being b's prev_size field; b's size word is kept.
  assert.equal(proc.memory.read64(a), 0);
  assert.equal(proc.memory.read64(a + 8), 0);
  assert.equal(proc.memory.read64(a + 16), 0);
  assert.equal(proc.memory.read64(b - 8), 0x4141);
});
