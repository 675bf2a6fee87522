import assert from "node:assert/strict";
import { parseTraceLine, replayTrace, TraceError } from "../../mod.ts";
import { traceLimits } from "../../src/trace/parse.ts";

const L64 = traceLimits(64), L32 = traceLimits(32);

function errorOf(line: string, limits = L64): string {
  try {
    parseTraceLine(line, 1, limits);
  } catch (e) {
    assert.ok(e instanceof TraceError);
    return e.message;
  }
  return "no error";
}

Deno.test("comments, tabs and carriage returns are ignored as the oracle ignores them", () => {
  assert.equal(parseTraceLine("   # only a comment", 1, L64), undefined);
  assert.deepEqual(parseTraceLine("malloc\t3 0x20 # hi\r", 1, L64), {
    kind: "malloc",
    slot: 3,
    size: 32,
  });
});

Deno.test("malformed lines fail with the oracle driver's messages", () => {
  assert.equal(errorOf("frobnicate 1"), "unknown operation");
  assert.equal(errorOf("malloc 1"), "bad number");
  assert.equal(errorOf("malloc 65536 1"), "bad slot id");
  assert.equal(errorOf("malloc 1 2 3"), "trailing garbage");
  assert.equal(errorOf("malloc 1 0x"), "bad number");
  assert.equal(errorOf("malloc 1 12abc"), "bad number");
  assert.equal(errorOf("malloc 1 0x100000000", L32), "number does not fit in size_t");
  assert.equal(
    errorOf("mmap 1 4096 rw"),
    "bad protection (expected three characters like rw- or r-x)",
  );
  assert.equal(errorOf("sbrk 1 -0x8000000000000001"), "number does not fit in intptr_t");
  assert.equal(errorOf("mallopt M_FOO 1"), "unknown mallopt name");
  assert.equal(errorOf("thread 4096"), "thread id too large");
  assert.equal(errorOf("rawmaps now"), "trailing garbage");
});

Deno.test("a malformed line stops the replay with '<line> error <message>' and status 2", () => {
  const r = replayTrace("rawmaps\n\nmunmap 7 0 4096\nrawmaps\n", { arch: "x86_64" });
  assert.equal(r.status, 2);
  assert.ok(r.output.endsWith("3 error slot holds no mmap/sbrk address\n"));
  assert.ok(!r.output.includes("4 rawmaps"));
});

Deno.test("slot rules: free of an address slot and join of a thread not running are errors", () => {
  const r = replayTrace("rawmaps\nmmap 1 4096 rw-\nfree 1\n", {
    arch: "x86_64",
    allocator: () => ({
      malloc: () => 0,
      calloc: () => 0,
      realloc: () => 0,
      memalign: () => 0,
      free: () => {},
      mallocTrim: () => 0,
      mallopt: () => 0,
    }),
  });
  assert.ok(r.output.endsWith("3 error slot holds an mmap/sbrk address, not a chunk\n"));
  const j = replayTrace("rawmaps\njoin 3\n", { arch: "x86_64" });
  assert.ok(j.output.endsWith("2 error join of a thread that is not running\n"));
});

Deno.test("munmap and mprotect results carry errno names", () => {
  const r = replayTrace(
    "rawmaps\nmmap 0 8192 rw-\nmunmap 0 1 4096\nmprotect 0 -0x6000 4096 r--\n",
    {
      arch: "x86_64",
    },
  );
  assert.ok(r.output.includes("3 munmap 0 1 4096 -> -1 EINVAL\n"));
  assert.ok(r.output.includes("4 mprotect 0 -0x6000 4096 r-- -> -1 ENOMEM\n"));
});
