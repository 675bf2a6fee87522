/**
 * The persistent list under snapshots' threads: random changes and appends against a plain
 * array, every list made along the way still holding what it held when made.
 */

import assert from "node:assert/strict";
import { CHUNK, PersistentList } from "../../src/kernel/persistent_list.ts";
import { SeededRandom } from "../../src/kernel/random.ts";

Deno.test("a persistent list reads as an array model through random changes and appends", () => {
  const random = new SeededRandom(7);
  let list = PersistentList.of<number>([]);
  let model: number[] = [];
  const kept: [PersistentList<number>, number[]][] = [];
  for (let i = 0; i < 3000; i++) {
    if (model.length === 0 || random.int(3) === 0) {
      list = list.append(i);
      model = [...model, i];
    } else {
      const at = random.int(model.length);
      list = list.with(at, -i);
      model = model.with(at, -i);
    }
    list.check();
    if (i % 97 === 0) kept.push([list, model]);
  }
  assert.ok(model.length > 3 * CHUNK, "the lists span several chunks");
  for (const [old, its] of kept) {
    assert.deepEqual([...old], its);
    assert.deepEqual(old.toArray(), its);
    assert.equal(old.length, its.length);
    its.forEach((v, i) => assert.equal(old.at(i), v));
  }
});

Deno.test("a persistent list made from an array, and a change that changes nothing", () => {
  const items = Array.from({ length: 2 * CHUNK + 5 }, (_, i) => `t${i}`);
  const list = PersistentList.of(items);
  list.check();
  assert.deepEqual([...list], items);
  assert.equal(list.with(CHUNK + 1, `t${CHUNK + 1}`), list);
  assert.deepEqual(PersistentList.of([]).toArray(), []);
});

Deno.test("a persistent list refuses an index outside it", () => {
  const list = PersistentList.of([1, 2, 3]);
  assert.throws(() => list.at(3), RangeError);
  assert.throws(() => list.at(-1), RangeError);
  assert.throws(() => list.with(1.5, 0), RangeError);
});
