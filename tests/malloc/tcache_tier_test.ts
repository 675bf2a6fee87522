// The WebAssembly tcache tier (src/malloc/tcache_tier.ts) changes nothing but speed: traces of
// the oracle generator's shapes (small, mixed, threads, trim) and its corruption traces, and
// corruptions made through the API (a double free, a poisoned tcache next pointer, a misaligned
// entry, a forged size), run with the tier on and off, must give the same result and error on
// every call and leave the same bytes in every page; and the tier must have served the calls
// it is for (its counters), declining the corrupted ones.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Allocator } from "../../src/malloc/allocator.ts";
import { Process } from "../../src/kernel/process.ts";
import { defaultAllocatorFactory } from "../../src/trace/allocator_factory.ts";
import { replayTrace } from "../../src/trace/replay.ts";
import { tcacheTierApplies, tcacheTierStats } from "../../src/malloc/tcache_tier.ts";
import { GLIBC_VERSIONS, glibcProfile } from "../../src/malloc/profile.ts";
import { driverLayout } from "../oracle_support.ts";
import { bothWays, pageDifference, pages, withTier } from "./tier_support.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const VERSIONS = ["2.31", "2.36", "2.41"];

function replayBothWays(text: string, glibc: string, layout: string | undefined): void {
  const options = {
    glibc,
    arch: "x86_64",
    initialMaps: layout,
    allocator: defaultAllocatorFactory,
  } as const;
  const on = withTier(true, () => replayTrace(text, options));
  const off = withTier(false, () => replayTrace(text, options));
  assert.equal(on.output, off.output);
  assert.equal(on.status, off.status);
  assert.equal(String(on.error), String(off.error));
  const difference = pageDifference(pages(on.process), pages(off.process));
  assert.equal(difference, undefined);
}

function traceFiles(dir: string): string[] {
  return [...Deno.readDirSync(FIXTURES + dir)].map((e) => e.name)
    .filter((n) => n.endsWith(".trace")).sort().map((n) => FIXTURES + dir + n);
}

Deno.test("the tier applies to x86_64 glibc 2.30 to 2.41 only", () => {
  const applies = GLIBC_VERSIONS.filter((v) => tcacheTierApplies(glibcProfile(v, "x86_64")));
  assert.ok(VERSIONS.every((v) => (applies as string[]).includes(v)));
  assert.ok(applies.every((v) => v >= "2.30" && v <= "2.41"), applies.join(" "));
  assert.ok(GLIBC_VERSIONS.every((v) => !tcacheTierApplies(glibcProfile(v, "i386"))));
});

Deno.test("generated traces of every shape replay the same with the tier on and off", async (t) => {
  const files = traceFiles("oracle/traces/gen/");
  for (const glibc of VERSIONS) {
    await t.step(glibc, () => {
      const layout = driverLayout(`${glibc}-x86_64`);
      const before = { ...tcacheTierStats };
      for (const file of files) replayBothWays(Deno.readTextFileSync(file), glibc, layout);
      // Most of the small traces' calls are tcache hits and puts: the tier served thousands.
      assert.ok(tcacheTierStats.mallocs - before.mallocs > 2000, JSON.stringify(tcacheTierStats));
      assert.ok(tcacheTierStats.frees - before.frees > 2000);
      // and on all shapes some hundreds of fastbin puts (a fastbin size, its tcache bin full)
      assert.ok(tcacheTierStats.freesToFastbin - before.freesToFastbin > 150);
    });
  }
});

Deno.test("corruption traces replay the same with the tier on and off", async (t) => {
  const files = traceFiles("oracle-corrupt/traces/");
  for (const glibc of VERSIONS) {
    await t.step(glibc, () => {
      const layout = driverLayout(`${glibc}-x86_64`);
      for (const file of files) replayBothWays(Deno.readTextFileSync(file), glibc, layout);
    });
  }
});

Deno.test("a double free is declined by the tier and aborts as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    const declined = tcacheTierStats.freesDeclined;
    const outcomes = bothWays(glibc, (heap, step) => {
      const p = heap.malloc(40);
      step(() => heap.free(p));
      step(() => heap.free(p));
    });
    assert.match(outcomes[1], /free\(\): double free detected in tcache 2/);
    assert.equal(tcacheTierStats.freesDeclined, declined + 1);
  }
});

Deno.test("a poisoned tcache next pointer is followed or declined as JavaScript does", () => {
  for (const glibc of VERSIONS) {
    for (const poison of [0x4141414141410, 0x41414141414141, -1, 2 ** 60, 0x10]) {
      bothWays(glibc, (heap, step) => {
        const a = heap.malloc(24), b = heap.malloc(24);
        step(() => heap.free(a));
        step(() => heap.free(b));
        heap.process.memory.writeBig64(b, BigInt.asUintN(64, BigInt(poison)));
        step(() => heap.malloc(24));
        step(() => heap.malloc(24));
        step(() => heap.malloc(24));
      });
    }
  }
});

Deno.test("a misaligned tcache entry is declined and ends as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    const outcomes = bothWays(glibc, (heap, step) => {
      const a = heap.malloc(24), b = heap.malloc(24);
      step(() => heap.free(a));
      step(() => heap.free(b));
      // b's next: a's address plus 8, mangled as the version mangles it
      const target = BigInt(a + 8);
      const mangled = glibc >= "2.32" ? (BigInt(b) >> 12n) ^ target : target;
      heap.process.memory.writeBig64(b, mangled);
      step(() => heap.malloc(24));
      step(() => heap.malloc(24));
      step(() => heap.malloc(24));
    });
    if (glibc >= "2.32") assert.match(outcomes.at(-1)!, /unaligned tcache chunk detected/);
  }
});

Deno.test("a forged size word is checked before the tcache as in JavaScript", () => {
  for (const glibc of VERSIONS) {
    for (const size of [0x0, 0x11, 0x18, 0x31, 0x33, 0x35, 0x411, 0x421, -0x100, 2 ** 55 + 0x21]) {
      bothWays(glibc, (heap, step) => {
        const a = heap.malloc(24);
        heap.malloc(24);
        heap.process.memory.writeBig64(a - 8, BigInt.asUintN(64, BigInt(size)));
        step(() => heap.free(a));
        step(() => heap.malloc(24));
        step(() => heap.malloc(size > 0 && size < 0x400 ? (size & ~15) - 8 : 24));
      });
    }
  }
});

Deno.test("the tier serves tcache hits, tcache puts and fastbin puts and nothing else", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), {
    glibc: "2.36",
    explain: false,
  });
  const before = { ...tcacheTierStats };
  const p = heap.malloc(24), q = heap.malloc(24); // before ptmalloc_init: not asked; a miss
  heap.free(p);
  heap.free(q);
  assert.equal(heap.malloc(24), q);
  assert.equal(heap.malloc(24), p);
  heap.free(heap.malloc(200_000)); // beyond tcache_bins: a miss; mmapped: the free declined
  const small = Array.from({ length: 8 }, () => heap.malloc(40));
  for (const s of small) heap.free(s); // seven into the bin, the eighth to its fastbin
  const large = Array.from({ length: 8 }, () => heap.malloc(200));
  for (const s of large) heap.free(s); // seven into the bin, the eighth to the arena
  const served = (k: keyof typeof tcacheTierStats) => tcacheTierStats[k] - before[k];
  assert.equal(served("mallocs"), 2);
  assert.equal(served("mallocMisses"), 2 + 8 + 8);
  assert.equal(served("mallocsDeclined"), 0);
  assert.equal(served("frees"), 2 + 7 + 7);
  assert.equal(served("freesToFastbin"), 1);
  assert.equal(served("freesToArena"), 1);
  assert.equal(served("freesDeclined"), 1);
});

Deno.test("with explain records or a history the tier is not asked", () => {
  const heap = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  const before = { ...tcacheTierStats };
  heap.free(heap.malloc(24));
  assert.equal(heap.malloc(24) > 0, true);
  assert.equal(heap.lastRecord?.served, "tcache");
  assert.deepEqual({ ...tcacheTierStats }, before);
});

Deno.test("requests beyond 2^31 and negative words are declined by the tier", () => {
  for (const glibc of VERSIONS) {
    bothWays(glibc, (heap, step) => {
      const a = heap.malloc(24);
      step(() => heap.free(a));
      for (const size of [-(2 ** 20), -1, 2 ** 31, 2 ** 40, 24]) step(() => heap.malloc(size));
      step(() => heap.free(-16));
      step(() => heap.free(2 ** 47));
    });
  }
});
