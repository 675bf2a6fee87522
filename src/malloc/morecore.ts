/**
 * The main arena's program break: glibc's MORECORE (`sbrk`) and `systrim`, which gives the
 * unused pages at the top of the main heap back with a negative sbrk when the break is still
 * where malloc left it.
 *
 * Invariant: after systrim the top chunk still ends at the break, with PREV_INUSE set, and
 * `system_mem` is lowered by exactly what the kernel released.
 *
 * @module
 */

import { signedWord } from "../kernel/word.ts";
import { PREV_INUSE } from "./chunk.ts";
import type { MallocContext } from "./context.ts";

/** glibc's MORECORE: sbrk(delta), 0 on failure (glibc `__glibc_morecore`). */
export function morecore(m: MallocContext, delta: number): number {
  const r = m.process.sbrk(delta);
  return r === m.words.max ? 0 : r;
}

/**
 * glibc `systrim (pad, arena)`: gives the main arena's unused top memory above `pad` back with
 * a negative sbrk, when the break is still where malloc left it. 1 if memory was released.
 */
export function systrim(m: MallocContext, pad: number, arena: number): number {
  const c = m.chunks, a = m.arenas, p = m.profile, words = m.words;
  const top = a.top(arena);
  const topSize = c.size(top);
  const topArea = words.sub(topSize, p.minSize + 1);
  if (m.le(topArea, pad)) return 0;
  const diff = signedWord(m.words, words.sub(topArea, pad));
  const extra = diff - (((diff % p.pageSize) + p.pageSize) % p.pageSize);
  if (extra === 0) return 0;
  const currentBrk = morecore(m, 0);
  if (currentBrk === c.at(top, topSize)) {
    morecore(m, -extra);
    const newBrk = morecore(m, 0);
    if (newBrk !== 0) {
      const released = currentBrk - newBrk;
      if (released !== 0) {
        a.setSystemMem(arena, a.systemMem(arena) - released);
        c.setHead(top, topSize - released + PREV_INUSE);
        if (m.explain.enabled) {
          m.explain.arenaStep(top, topSize - released, `systrim ${released}`);
        }
        return 1;
      }
    }
  }
  return 0;
}
