/**
 * A persistent map from page number to page bytes: what a snapshot of the simulated memory holds.
 * It is a radix trie of six levels of 64 entries (page numbers below 2^36, addresses below 2^48);
 * a change copies only the path to the changed page, so two maps that differ in a few pages share
 * everything else, and {@link diffPageMaps} skips every shared subtree.
 *
 * Invariant: a map is never modified once returned — {@link editPageMap} copies the nodes it
 * changes (it mutates only nodes it created itself in the same call), and the page arrays it
 * holds are frozen by their owner (the memory copies a page before writing to it again).
 *
 * @module
 */

const BITS = 6;
const FANOUT = 1 << BITS;
const LEVELS = 6;
const MASK = FANOUT - 1;

/** One node of the trie: 64 children (inner levels) or 64 pages (the last level). */
export type PageNode = (PageNode | Uint32Array | undefined)[];

/** A persistent page map; `undefined` is the empty map. */
export type PageMap = PageNode | undefined;

/** Bytes of one trie node as V8 stores it (64 pointers and an array header), for estimates. */
export const PAGE_NODE_BYTES: number = 64 * 8 + 32;

/** The largest page number a map can hold, plus one. */
const PAGE_MAP_LIMIT: number = 2 ** (BITS * LEVELS);

function digit(no: number, level: number): number {
  // level 0 is the root: the highest six bits.
  return Math.floor(no / 2 ** (BITS * (LEVELS - 1 - level))) & MASK;
}

/** The page `no` of `map`, or undefined. */
export function pageAt(map: PageMap, no: number): Uint32Array | undefined {
  let node: PageNode | undefined = map;
  for (let level = 0; node !== undefined && level < LEVELS - 1; level++) {
    node = node[digit(no, level)] as PageNode | undefined;
  }
  return node?.[no & MASK] as Uint32Array | undefined;
}

/**
 * A new map: `map` with each page number of `changes` bound to its page (undefined: removed).
 * Costs one path of at most six 64-entry nodes per changed page, shared between neighbours;
 * `stats.nodes` counts the nodes it creates.
 *
 * @example
 * ```ts
 * import { editPageMap, pageAt } from "./page_map.ts";
 * const page = new Uint32Array(1024);
 * const a = editPageMap(undefined, [[0x7ffff7fde, page]]);
 * const b = editPageMap(a, [[0x7ffff7fde, undefined]]);
 * pageAt(a, 0x7ffff7fde) === page && pageAt(b, 0x7ffff7fde) === undefined; // true
 * ```
 */
export function editPageMap(
  map: PageMap,
  changes: Iterable<readonly [number, Uint32Array | undefined]>,
  stats?: { nodes: number },
): PageMap {
  const fresh = new Set<PageNode>();
  const own = (node: PageNode | undefined): PageNode => {
    if (node !== undefined && fresh.has(node)) return node;
    const copy: PageNode = node === undefined ? new Array(FANOUT).fill(undefined) : node.slice();
    fresh.add(copy);
    if (stats) stats.nodes++;
    return copy;
  };
  let root = map;
  for (const [no, page] of changes) {
    if (!(no >= 0 && no < PAGE_MAP_LIMIT)) throw new RangeError(`Page number out of range: ${no}`);
    if (pageAt(root, no) === page) continue;
    root = own(root);
    let node = root;
    for (let level = 0; level < LEVELS - 1; level++) {
      const d = digit(no, level);
      const child = own(node[d] as PageNode | undefined);
      node[d] = child;
      node = child;
    }
    node[no & MASK] = page;
  }
  return root;
}

/**
 * Calls `fn(no, pageInA, pageInB)` for every page number bound differently in `a` and `b`, in
 * increasing order, skipping the subtrees the two maps share.
 */
export function diffPageMaps(
  a: PageMap,
  b: PageMap,
  fn: (no: number, pageA: Uint32Array | undefined, pageB: Uint32Array | undefined) => void,
): void {
  const walk = (x: PageNode | undefined, y: PageNode | undefined, level: number, base: number) => {
    if (x === y) return;
    const span = 2 ** (BITS * (LEVELS - 1 - level));
    for (let i = 0; i < FANOUT; i++) {
      const cx = x?.[i], cy = y?.[i];
      if (cx === cy) continue;
      if (level === LEVELS - 1) {
        fn(base + i, cx as Uint32Array | undefined, cy as Uint32Array | undefined);
      } else {walk(
          cx as PageNode | undefined,
          cy as PageNode | undefined,
          level + 1,
          base + i * span,
        );}
    }
  };
  walk(a, b, 0, 0);
}

/** Every page of `map`, in increasing page order. */
export function forEachPage(map: PageMap, fn: (no: number, page: Uint32Array) => void): void {
  diffPageMaps(undefined, map, (no, _a, page) => fn(no, page!));
}
