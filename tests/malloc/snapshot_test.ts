/**
 * glibc's JavaScript-side state in snapshots (`src/malloc/snapshot.ts`): a capture is shared
 * while nothing changed and new when any state field changed, and the context's fields are
 * fixed when it is made (the capture's comparison reads the names listed at its first capture).
 */

import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { captureMallocState } from "../../src/malloc/snapshot.ts";
import { randomProgram, step, type Vars } from "../kernel/random_program.ts";

Deno.test("a malloc context keeps the fields it was made with through threads, mmaps and aborts", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const libc = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
    const fields = Object.keys(libc.context).join();
    const vars: Vars = { ptrs: [], maps: [] };
    for (const op of randomProgram(seed * 104729, 300, seed % 2 === 0)) {
      if (step(libc, vars, op).startsWith("stop")) break;
    }
    assert.equal(Object.keys(libc.context).join(), fields, `seed ${seed}`);
  }
});

Deno.test("a malloc state capture is the last one until a state field changes", () => {
  const libc = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  libc.free(libc.malloc(5000));
  libc.malloc(24);
  const m = libc.context as unknown as Record<string, unknown>;
  const first = captureMallocState(libc.context);
  assert.equal(captureMallocState(libc.context), first, "nothing changed");
  // Each scalar field changed alone makes a new capture, and putting it back another.
  const scalars = Object.keys(first.scalars);
  assert.ok(scalars.includes("narenas") && scalars.includes("freeList"), scalars.join());
  for (const k of scalars) {
    const was = m[k];
    m[k] = typeof was === "number"
      ? (was === 0 ? 1 : -was)
      : typeof was === "boolean"
      ? !was
      : `${was}x`;
    const changed = captureMallocState(libc.context);
    assert.notEqual(changed, first, `${k} changed`);
    assert.notEqual(changed.scalars[k], first.scalars[k]);
    m[k] = was;
    assert.deepEqual(captureMallocState(libc.context).scalars, first.scalars, `${k} back`);
  }
  // Inside the object fields: a record's field, an array's length, a set's members.
  const heaps = libc.context.heaps;
  heaps.push({ start: 0x7fff_f000_0000, arena: 1, alive: true, number: heaps.length + 1 });
  const grown = captureMallocState(libc.context);
  assert.equal((grown.objects.heaps as unknown[]).length, heaps.length);
  heaps[heaps.length - 1].alive = false;
  assert.notEqual(captureMallocState(libc.context), grown, "a heap record's field");
  libc.context.mmappedChunks.add(0x7fff_e000_0000);
  assert.ok((captureMallocState(libc.context).objects.mmappedChunks as Set<number>).size > 0);
});

Deno.test("an _int_malloc pass's unsorted count is not state: no new capture for it", () => {
  const libc = new Allocator(new Process({ layout: "x86_64" }), { glibc: "2.36" });
  libc.malloc(24);
  const before = captureMallocState(libc.context);
  libc.context.tcacheUnsortedCount += 3;
  assert.equal(captureMallocState(libc.context), before);
  assert.equal("tcacheUnsortedCount" in before.scalars, false);
});
