// AssemblyScript, not TypeScript (deno.json excludes this directory): the source of the
// WebAssembly tcache tier (src/malloc/tcache_tier.ts runs it; tools/build_tcache_tier.ts builds
// it into src/malloc/tcache_tier_wasm.ts). It serves `__libc_malloc`'s tcache hit, and
// `_int_free`'s tcache put and `_int_free_chunk`'s fastbin put of x86_64 glibc 2.30–2.41
// (2-byte counts that count up), byte for byte as src/malloc/tcache.ts, libc_malloc.ts and
// free.ts do them, and declines (returns -1 or 0) before writing anything for whatever else it
// meets: a miss, a key match (a possible double free), a word a JavaScript number would carry
// rounded, a page it may not read or write in place, every check that would abort. The
// JavaScript allocator then runs the call (from its start, or where the tier stopped).
//
// Memory is the page store (one WebAssembly.Memory, src/kernel/page_pool.ts); the module's
// TLB lies in the store's reserved pages 1–12: 4096 entries of a read tag (i32: the page's
// address >> 24, its entry being (address >> 12) & 4095; -1 empty), a write tag (the same when
// the page may be written in place, else -1) and the page's byte offset in the store. A miss asks the host (`fill`), which answers as
// the Memory's own TLB would hold the page; the Memory drops entries as it drops its own.
@external("env", "fill") declare function hostFill(page: f64): i32;

const TLB_SIZE: u32 = 4096;
const TWO47: u64 = 0x8000_0000_0000;
const TWO53: i64 = 0x20_0000_0000_0000;
const TWO63: f64 = 9223372036854775808.0;
/** malloc declined: the JavaScript allocator runs the call from its start. */
const DECLINE: f64 = -1.0;
/** malloc's tcache bin has no chunk: the JavaScript allocator goes on in the arena. */
const MISS: f64 = -2.0;
/** free declined: the JavaScript allocator runs the call from its start. */
const FREE_DECLINED: i32 = 0;
/** free put the chunk into the tcache. */
const FREE_SERVED: i32 = 1;
/** free's checks passed and the chunk goes to no tcache bin: the arena takes it. */
const FREE_TO_ARENA: i32 = 2;
/** free put the chunk into its arena's fastbin. */
const FREE_FASTBIN: i32 = 3;

let readTags: usize = 0;
let writeTags: usize = 0;
let bases: usize = 0;
// The allocator's facts, set by `configure` when another allocator takes the tier.
let mpTcacheBins: u64 = 0;
let mpTcacheCount: u64 = 0;
let mallocHook: u64 = 0;
let freeHook: u64 = 0;
let keyMode: i32 = 0; // 0 none, 1 the tcache pointer (2.29–2.33), 2 the random key (2.34+)
let safeLinking: bool = false;
let indexBias: u64 = 17;
let heapMask: u64 = 0;
// The arenas' facts (`configureArena`); a `maxFastWidth` of 0 leaves the fastbin put to JavaScript.
let mainArena: u64 = 0;
let maxFastAt: u64 = 0;
let maxFastWidth: i32 = 0;
let haveFastchunksAt: u64 = 0;
let fastbinsAt: u64 = 0;
let systemMemAt: u64 = 0;

/** Where the TLB lies: `region` is its byte offset in the store. */
export function setup(region: u32): void {
  readTags = region;
  writeTags = region + (TLB_SIZE << 2);
  bases = region + (TLB_SIZE << 3);
}

/** The facts of the allocator that calls next (addresses as doubles). */
export function configure(
  bins: f64,
  count: f64,
  mHook: f64,
  fHook: f64,
  key: i32,
  linking: i32,
  bias: f64,
  heapMax: f64,
): void {
  mpTcacheBins = <u64>bins;
  mpTcacheCount = <u64>count;
  mallocHook = <u64>mHook;
  freeHook = <u64>fHook;
  keyMode = key;
  safeLinking = linking != 0;
  indexBias = <u64>bias;
  heapMask = ~(<u64>heapMax - 1);
}

/**
 * Where the arenas' words lie: `main_arena`, `global_max_fast` (`width` bytes: 8, or 1 from
 * 2.40; 0 when the tier leaves the fastbins alone) and the offsets in `struct malloc_state` of
 * `have_fastchunks`, `fastbinsY` and `system_mem`.
 */
export function configureArena(
  main: f64,
  maxFast: f64,
  width: i32,
  haveFastchunks: f64,
  fastbins: f64,
  systemMem: f64,
): void {
  mainArena = <u64>main;
  maxFastAt = <u64>maxFast;
  maxFastWidth = width;
  haveFastchunksAt = <u64>haveFastchunks;
  fastbinsAt = <u64>fastbins;
  systemMemAt = <u64>systemMem;
}

// --- the TLB ------------------------------------------------------------------------------

/** The TLB entry of the page of `addr`. */
@inline function slotOf(addr: u64): usize {
  return <usize>((<u32>(addr >> 12)) & (TLB_SIZE - 1));
}

/** The tag of the page of `addr` (below 2^47). */
@inline function tagOf(addr: u64): i32 {
  return <i32>(addr >> 24);
}

/** Asks the host for the page of `addr` into entry `k`; false when it may not be read here. */
function miss(addr: u64, k: usize): bool {
  const r = addr < TWO47 ? hostFill(<f64><i64>(addr & ~(<u64>4095))) : -1;
  if (r < 0) {
    store<i32>(readTags + (k << 2), -1);
    store<i32>(writeTags + (k << 2), -1);
    return false;
  }
  store<i32>(readTags + (k << 2), tagOf(addr));
  store<i32>(writeTags + (k << 2), (r & 1) != 0 ? tagOf(addr) : -1);
  store<u32>(bases + (k << 2), <u32>(r & ~1) << 2);
  return true;
}

/** The store offset of an aligned read of `width` bytes at `addr`, or -1. */
@inline function readAt(addr: u64, width: u64): i64 {
  if ((addr & (width - 1)) != 0 || addr >= TWO47) return -1;
  const k = slotOf(addr);
  if (load<i32>(readTags + (k << 2)) != tagOf(addr) && !miss(addr, k)) return -1;
  return <i64>(load<u32>(bases + (k << 2)) + <u32>(addr & 4095));
}

/** The store offset of an aligned write of `width` bytes at `addr`, or -1. */
@inline function writeAt(addr: u64, width: u64): i64 {
  if ((addr & (width - 1)) != 0 || addr >= TWO47) return -1;
  const k = slotOf(addr);
  if (load<i32>(writeTags + (k << 2)) != tagOf(addr)) {
    if (!miss(addr, k) || load<i32>(writeTags + (k << 2)) != tagOf(addr)) return -1;
  }
  return <i64>(load<u32>(bases + (k << 2)) + <u32>(addr & 4095));
}

/** A word from 0 to 2^53: a number carries it exactly and compares it as C's unsigned. */
@inline function small(w: i64): bool {
  return w >= 0 && w < TWO53;
}

/** A word as the JavaScript allocator's numbers carry it exactly (|w| < 2^53). */
@inline function exact(w: i64): bool {
  return w < TWO53 && w > -TWO53;
}

/** glibc PROTECT_PTR where the version has safe-linking. */
@inline function protect(pos: u64, ptr: u64): u64 {
  return safeLinking ? (pos >> 12) ^ ptr : ptr;
}

/** A hook's word is zero (or the version has none); false also when it cannot be read. */
function hookClear(hook: u64): bool {
  if (hook == 0) return true;
  const o = readAt(hook, 8);
  return o >= 0 && load<i64>(<usize>o) == 0;
}

// --- malloc: the tcache hit ---------------------------------------------------------------

/**
 * `__libc_malloc (bytes)` when its tcache bin has a chunk: the chunk's user pointer; -2 when
 * the bin has none (or the size is beyond `tcache_bins`), all read that tells so; or -1
 * (declined). `bytes` is an integer from 0 to 2^31; `tls` the address of the thread's `tcache`.
 */
export function malloc(bytesF: f64, tls: f64): f64 {
  if (!hookClear(mallocHook)) return DECLINE;
  const bytes = <u64>bytesF;
  const nb: u64 = bytes + 23 < 32 ? 32 : (bytes + 23) & ~(<u64>15);
  const idx = (nb - indexBias) >> 4;
  let o = readAt(<u64>tls, 8);
  if (o < 0) return DECLINE;
  const tcache = load<u64>(<usize>o);
  if (tcache == 0 || tcache >= TWO47) return DECLINE;
  o = readAt(mpTcacheBins, 8);
  if (o < 0) return DECLINE;
  if (!(<f64>idx < <f64>load<i64>(<usize>o))) return MISS;
  const countAt = tcache + (idx << 1);
  const co = readAt(countAt, 2);
  if (co < 0) return DECLINE;
  const count = <u32>load<u16>(<usize>co);
  if (count == 0) return MISS;
  const slot = tcache + 128 + (idx << 3);
  const so = readAt(slot, 8);
  if (so < 0) return DECLINE;
  const e = load<u64>(<usize>so);
  if ((e & 15) != 0 || e >= TWO47) return DECLINE;
  const eo = readAt(e, 8);
  if (eo < 0) return DECLINE;
  const w = load<i64>(<usize>eo);
  if (!exact(w)) return DECLINE;
  // Every page written below, before the first write.
  const sw = writeAt(slot, 8), cw = writeAt(countAt, 2);
  const kw = keyMode != 0 ? writeAt(e + 8, 8) : 0;
  if (sw < 0 || cw < 0 || kw < 0) return DECLINE;
  store<u64>(<usize>sw, protect(e, <u64>w));
  store<u16>(<usize>cw, <u16>(count - 1));
  if (keyMode != 0) store<u64>(<usize>kw, 0);
  return <f64>e;
}

// --- free: the tcache put -----------------------------------------------------------------

/**
 * `__libc_free (mem)` up to `_int_free`'s tcache put, and on to `_int_free_chunk`'s fastbin put
 * when the tcache takes no chunk of its size (beyond `tcache_bins`, or the bin full): 1 when the
 * chunk went into the tcache, 3 into a fastbin; 2 when every check up to `_int_free_chunk`
 * passed and the fastbin put is not the tier's to make, so that `_int_free_chunk` is next; 0
 * (declined) otherwise. `mem` is an
 * integer from 16 to 2^47, `tls` the address of the thread's `tcache`, `key` glibc's
 * `tcache_key` (2.34+) as the JavaScript number.
 */
export function free(memF: f64, tls: f64, keyF: f64): i32 {
  if (!hookClear(freeHook)) return FREE_DECLINED;
  const mem = <u64>memF;
  const p = mem - 16;
  let o = readAt(p + 8, 8);
  if (o < 0) return FREE_DECLINED;
  const raw = load<i64>(<usize>o);
  // Not mmapped; a size word a number carries exactly and not negative.
  if ((raw & 2) != 0 || raw < 0 || raw >= TWO53) return FREE_DECLINED;
  o = readAt(<u64>tls, 8);
  if (o < 0) return FREE_DECLINED;
  const tcache = load<u64>(<usize>o);
  if (tcache == 0 || tcache >= TWO47) return FREE_DECLINED;
  // arena_for_chunk: a thread heap's heap_info is read (its value is not needed here).
  if ((raw & 4) != 0 && readAt(p & heapMask, 8) < 0) return FREE_DECLINED;
  const size = <u64>raw & ~(<u64>7);
  // _int_free's checks: each failure aborts in JavaScript.
  if (0 - size < p || (mem & 15) != 0) return FREE_DECLINED;
  if (size < 32 || (size & 15) != 0) return FREE_DECLINED;
  const idx = (size - indexBias) >> 4;
  o = readAt(mpTcacheBins, 8);
  if (o < 0) return FREE_DECLINED;
  if (!(<f64>idx < <f64>load<i64>(<usize>o))) return fastbinPut(p, raw);
  let key: u64 = 0;
  if (keyMode != 0) {
    const keyValue: f64 = keyMode == 1 ? <f64>tcache : keyF;
    if (!(keyValue >= -TWO63 && keyValue < TWO63)) return FREE_DECLINED;
    key = <u64><i64>keyValue;
    const ko = readAt(mem + 8, 8);
    // The key matches (as the numbers compare): the JavaScript scans for a double free.
    if (ko < 0 || <f64>load<i64>(<usize>ko) == keyValue) return FREE_DECLINED;
  }
  const countAt = tcache + (idx << 1);
  const co = readAt(countAt, 2);
  if (co < 0) return FREE_DECLINED;
  const count = <u32>load<u16>(<usize>co);
  o = readAt(mpTcacheCount, 8);
  if (o < 0) return FREE_DECLINED;
  if (!(<f64>count < <f64>load<i64>(<usize>o))) return fastbinPut(p, raw);
  const slot = tcache + 128 + (idx << 3);
  // The head is read after the key is written: the same word only if they alias.
  if (keyMode != 0 && slot == mem + 8) return FREE_DECLINED;
  const so = readAt(slot, 8);
  if (so < 0) return FREE_DECLINED;
  const head = load<i64>(<usize>so);
  if (!exact(head)) return FREE_DECLINED;
  const ew = writeAt(mem, 8), sw = writeAt(slot, 8), cw = writeAt(countAt, 2);
  const kw = keyMode != 0 ? writeAt(mem + 8, 8) : 0;
  if (ew < 0 || sw < 0 || cw < 0 || kw < 0) return FREE_DECLINED;
  if (keyMode != 0) store<u64>(<usize>kw, key);
  store<u64>(<usize>ew, protect(mem, <u64>load<i64>(<usize>so)));
  store<u64>(<usize>sw, mem);
  store<u16>(<usize>cw, <u16>(count + 1));
  return FREE_SERVED;
}

// --- free: the fastbin put ----------------------------------------------------------------

/**
 * `_int_free_chunk (arena, p, size, have_lock = false)` as `__libc_free` reaches it, for chunk
 * `p` with size word `raw` (not mmapped, its checks made): 3 when the chunk went into its
 * arena's fastbin; 2 (nothing written) when the size is not a fastbin size or anything on the
 * way is not the plain case — a check that would abort ("free(): invalid next size (fast)",
 * "double free or corruption (fasttop)"), a word a number would carry rounded or compare signed,
 * a page it may not read or write in place — so that JavaScript's `_int_free_chunk` runs.
 */
function fastbinPut(p: u64, raw: i64): i32 {
  if (maxFastWidth == 0) return FREE_TO_ARENA;
  const size = <u64>raw & ~(<u64>7);
  // get_max_fast (): a size_t, or (2.40+) a uint8_t.
  let o = readAt(maxFastAt, <u64>maxFastWidth);
  if (o < 0) return FREE_TO_ARENA;
  const maxFast: u64 = maxFastWidth == 8 ? load<u64>(<usize>o) : <u64>load<u8>(<usize>o);
  // fastbin_index takes the size's low 32 bits: a size from 4 GiB (a global_max_fast a
  // corruption raised) may index below fastbinsY, into the word set first.
  if (size > maxFast || size > 0xffff_ffff) return FREE_TO_ARENA;
  // arena_for_chunk: the heap_info's ar_ptr for a thread heap's chunk.
  let arena = mainArena;
  if ((raw & 4) != 0) {
    o = readAt(p & heapMask, 8);
    if (o < 0) return FREE_TO_ARENA;
    arena = load<u64>(<usize>o);
    if (arena >= TWO47) return FREE_TO_ARENA;
  }
  // The next chunk's size word against CHUNK_HDR_SZ and the arena's system_mem; a failure
  // aborts (after glibc retakes the test under the arena's lock, with the same words).
  o = readAt(p + size + 8, 8);
  if (o < 0) return FREE_TO_ARENA;
  const nextField = load<i64>(<usize>o);
  if (!small(nextField) || nextField <= 16) return FREE_TO_ARENA;
  o = readAt(arena + systemMemAt, 8);
  if (o < 0) return FREE_TO_ARENA;
  const systemMem = load<i64>(<usize>o);
  if (!small(systemMem) || systemMem <= (nextField & ~(<i64>7))) return FREE_TO_ARENA;
  // have_fastchunks is set before the bin's head is read (they never share a word).
  const slot = arena + fastbinsAt + (((size >> 4) - 2) << 3);
  o = readAt(slot, 8);
  if (o < 0) return FREE_TO_ARENA;
  const old = load<i64>(<usize>o);
  if (!small(old) || <u64>old == p) return FREE_TO_ARENA;
  const hw = writeAt(arena + haveFastchunksAt, 4), fw = writeAt(p + 16, 8), sw = writeAt(slot, 8);
  if (hw < 0 || fw < 0 || sw < 0) return FREE_TO_ARENA;
  store<u32>(<usize>hw, 1);
  store<u64>(<usize>fw, protect(p + 16, <u64>old));
  store<u64>(<usize>sw, p);
  return FREE_FASTBIN;
}
