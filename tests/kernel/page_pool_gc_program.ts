/**
 * Run by `page_pool_test.ts` with V8's `--expose-gc`: pages that nothing holds any more come
 * back to their store (by its `FinalizationRegistry`), zeroed, once the collector found them
 * and the event loop turned. Prints what it saw as JSON.
 */

import { PageStore } from "../../src/kernel/page_pool.ts";

const collect = (globalThis as unknown as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("run with --v8-flags=--expose-gc");

/** Collects and yields until `done()` or 20 rounds passed; returns the rounds it took. */
async function collectUntil(done: () => boolean): Promise<number> {
  let rounds = 0;
  for (; rounds < 20 && !done(); rounds++) {
    collect!();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return rounds;
}

// A store of the zero page and two more, both handed out; one is dropped.
const store = new PageStore(3);
const kept = store.take()!;
const offsets = new Set<number>();
(() => {
  const dropped = store.take()!;
  dropped.fill(0xdead);
  offsets.add(dropped.byteOffset);
})();
const fullAtFirst = store.full;
const rounds = await collectUntil(() => !store.full);
const again = store.take();

console.log(JSON.stringify({
  fullAtFirst,
  cameBack: again !== undefined,
  rounds,
  sameBytes: again !== undefined && offsets.has(again.byteOffset),
  zeroed: again !== undefined && again.every((w) => w === 0),
  heldPageNotReissued: kept.byteOffset !== again?.byteOffset,
}));
