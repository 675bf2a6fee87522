/**
 * memory.ts's fast paths (read16 … write64) are each a TLB test and a call of an in-page helper,
 * small enough in bytecode that V8 inlines both into every caller without counting them against
 * the caller's inlining budget: an optimized function inlines at most 920 bytes of callees'
 * bytecode, but a callee with a HeapNumber argument (an x86_64 address is one) up to 75 bytes
 * long is inlined apart from that budget. At 117 bytes, read64 used up the budgets of the
 * allocator's paths, which then called out with boxed addresses (bench/README.md). This reads
 * the limit from the V8 that runs the tests and the bytecode V8 made for each fast path. (write16's
 * helper, setHalf16At, with its two 16-bit masks, is larger: it is inlined within the budget.)
 */

import assert from "node:assert/strict";

/** The fast paths and their in-page helpers. */
const FUNCTIONS = [
  "read16",
  "half16At",
  "read32",
  "word32At",
  "read64",
  "word64At",
  "write16",
  "write32",
  "setWord32At",
  "write64",
  "setWord64At",
];

const deno = Deno.execPath();
const program = new URL("./memory_inlining_program.ts", import.meta.url).pathname;

async function v8(flags: string): Promise<string> {
  const { stdout, stderr } = await new Deno.Command(deno, {
    args: ["run", "-A", `--v8-flags=${flags}`, program],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return decoder.decode(stdout) + decoder.decode(stderr);
}

Deno.test("the memory's fast paths stay within V8's inlining size for calls with a HeapNumber", async () => {
  const help = await v8("--help");
  const limit = (flag: string) => {
    const m = new RegExp(`default: --${flag}=(\\d+)`).exec(help);
    assert.ok(m, `V8 has --${flag}`);
    return Number(m[1]);
  };
  const max = Math.min(
    limit("max-inlined-bytecode-size-small-with-heapnum-in-out"),
    limit("max-maglev-inlined-bytecode-size-small-with-heapnum-in-out"),
  );
  for (const name of FUNCTIONS) {
    const out = await v8(`--print-bytecode,--print-bytecode-filter=${name}`);
    const length = Number(/Bytecode length: (\d+)/.exec(out)?.[1]);
    assert.ok(length > 0, `${name} was compiled`);
    assert.ok(length <= max, `${name}: ${length} bytes of bytecode, more than ${max}`);
  }
});
