// AssemblyScript, not TypeScript (deno.json excludes this directory). A probe, not an allocator:
// a tcache-shaped toy over a simulated address space, its every load and store through a
// TLB as heaplab's Memory has one (tag = page address, base = the page's byte offset in the
// store), a miss filled by the host (`fill`). malloc takes a chunk from its size's tcache
// list (safe-linked next pointers, a count per size, the key cleared), else from its size's
// bin (a list per size in an arena, as a fastbin), else cuts one from a top; free puts a
// chunk on its tcache list while the list has fewer than 7, else on its bin. Used by
// bench/wasm_probe.ts to measure what such code costs per operation in a fresh process
// (bench/README.md, "What WebAssembly would cost per call"). Rebuild with
//   npx -y -p assemblyscript@0.27 asc bench/wasm_probe/tcache_probe.ts -O3 --runtime stub \
//     --noAssert --importMemory --initialMemory 4100 --maximumMemory 4100 \
//     -o bench/wasm_probe/tcache_probe.wasm
@external("env", "fill") declare function fill(page: u64): void;

const TLB_SIZE: u32 = 32768;
// In the store: TLB tags (u64) at [0, 256 KiB), bases (u32) at [256 KiB, 384 KiB).
const TAGS: usize = 0;
const BASES: usize = 262144;

@inline function slot(addr: u64): usize {
  return <usize>((<u32>(addr >> 12)) & (TLB_SIZE - 1));
}
@inline function at(addr: u64): usize {
  const k = slot(addr);
  if (load<u64>(TAGS + (k << 3)) != (addr & ~4095)) fill(addr);
  return <usize>load<u32>(BASES + (k << 2)) + <usize>(addr & 4095);
}
@inline function ld64(addr: u64): u64 { return load<u64>(at(addr)); }
@inline function st64(addr: u64, v: u64): void { store<u64>(at(addr), v); }
@inline function ld16(addr: u64): u32 { return load<u16>(at(addr)); }
@inline function st16(addr: u64, v: u32): void { store<u16>(at(addr), <u16>v); }

let tlsSlot: u64 = 0;
let mpBins: u64 = 0;
let top: u64 = 0;
let bins: u64 = 0;
const key: u64 = 0x1234567890abcdef;

export function setup(tls: f64, mp: f64, heapStart: f64, arena: f64): void {
  tlsSlot = <u64>tls;
  bins = <u64>arena;
  mpBins = <u64>mp;
  top = <u64>heapStart;
}

export function malloc(bytesF: f64): f64 {
  const bytes = <u64>bytesF;
  const nb: u64 = bytes + 8 + 15 < 32 ? 32 : (bytes + 8 + 15) & ~15;
  const idx = (nb - 17) >> 4;
  const tc = ld64(tlsSlot);
  if (idx < ld64(mpBins)) {
    const cnt = ld16(tc + (idx << 1));
    if (cnt > 0) {
      const entry = tc + 128 + (idx << 3);
      const e = ld64(entry);
      if ((e & 15) != 0) return 0.0;
      st64(entry, (e >> 12) ^ ld64(e));
      st16(tc + (idx << 1), cnt - 1);
      st64(e + 8, 0);
      return <f64>e;
    }
  }
  const bin = bins + (idx << 3);
  const b = ld64(bin);
  if (b != 0) {
    if ((ld64(b + 8) & ~7) != nb) return 0.0;
    st64(bin, ((b + 16) >> 12) ^ ld64(b + 16));
    return <f64>(b + 16);
  }
  const p = top;
  st64(p + 8, nb | 1);
  top += nb;
  return <f64>(p + 16);
}

export function free(memF: f64): i32 {
  const mem = <u64>memF;
  const p = mem - 16;
  const size = ld64(p + 8) & ~7;
  if (size < 32) return -1;
  const idx = (size - 17) >> 4;
  const tc = ld64(tlsSlot);
  if (ld64(mem + 8) == key) return -2;
  const cnt = ld16(tc + (idx << 1));
  if (cnt >= 7) {
    const bin = bins + (idx << 3);
    st64(mem, (mem >> 12) ^ ld64(bin));
    st64(bin, p);
    return 1;
  }
  const entry = tc + 128 + (idx << 3);
  st64(mem, (mem >> 12) ^ ld64(entry));
  st64(mem + 8, key);
  st64(entry, mem);
  st16(tc + (idx << 1), cnt + 1);
  return 0;
}
