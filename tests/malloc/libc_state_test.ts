import assert from "node:assert/strict";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { ControlFlowHijack } from "../../src/malloc/hooks.ts";
import { fatalSignalOf } from "../../src/kernel/signals.ts";
import { libcBuild } from "../../src/malloc/libc_state.ts";
import type { GlibcArch } from "../../src/malloc/profile.ts";

const FIX = new URL("../fixtures/libc/", import.meta.url);
const hex = (n: number) => "0x" + n.toString(16);

function lab(glibc: string, arch: GlibcArch = "x86_64") {
  const proc = new Process({ layout: arch });
  const heap = new Allocator(proc, { glibc });
  const sz = heap.profile.sizeSz;
  const read = (a: number) => sz === 8 ? proc.memory.read64(a) : proc.memory.read32(a);
  const write = (a: number, v: number) =>
    sz === 8 ? proc.memory.write64(a, v) : proc.memory.write32(a, v);
  return { proc, heap, sz, read, write, libc: heap.libc };
}

/** The probe's fact `name` for a real build (x86_64), or undefined. */
function probeFact(version: string, name: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(new URL(`probe-${version}-x86_64.txt`, FIX));
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    const v = line?.split(" ")[1];
    return v === undefined ? undefined : v[0] === "-" ? -Number(v.slice(1)) : Number(v);
  } catch {
    return undefined;
  }
}

for (const version of ["2.31", "2.36", "2.41"]) {
  for (const arch of ["x86_64", "i386"] as const) {
    Deno.test(`glibc ${version} ${arch}: /proc/PID/maps shows the real build's libc segments`, () => {
      const { proc, libc } = lab(version, arch);
      const lines = proc.regions().filter((r) => /libc\.so\.6$/.test(r.name)).map((r) =>
        `${hex(r.start - libc.base)}-${hex(r.end - libc.base)} ${r.perms} ${hex(r.offset)}`
      );
      const want = libcBuild(version, arch).facts.segments.filter((s) => s[3] >= 0).map((
        [s, e, p, o],
      ) => `${hex(s)}-${hex(e)} ${p} ${hex(o)}`);
      assert.deepEqual(lines, want);
    });

    Deno.test(`glibc ${version} ${arch}: an unsorted chunk's fd minus the real offset is libc's base`, () => {
      const { heap, read, sz, libc } = lab(version, arch);
      const facts = libcBuild(version, arch).facts;
      const p = heap.malloc(0x500);
      heap.malloc(0x20);
      heap.free(p);
      const leak = read(p);
      const offset = facts.symbols.main_arena + heap.profile.arena.bins - 2 * sz;
      assert.equal(read(p + sz), leak);
      assert.equal(hex(leak - offset), hex(libc.base));
      assert.equal(libc.mainArena, libc.base + facts.symbols.main_arena);
      const real = arch === "x86_64" ? probeFact(version, "unsorted_fd") : undefined;
      if (real !== undefined) assert.equal(hex(leak - libc.base), hex(real));
      assert.equal(libc.symbolAt(leak), `main_arena+${hex(offset - facts.symbols.main_arena)}`);
    });
  }
}

Deno.test("the TLS tcache pointer of the main thread is where the probe found it (2.36)", () => {
  const { proc, heap, read, libc } = lab("2.36");
  const p = heap.malloc(24);
  const tp = libc.threadPointer(proc.mainThread);
  assert.equal(tp - libc.base, probeFact("2.36", "tp-base"));
  assert.equal(libc.tcacheSlot(proc.mainThread) - tp, probeFact("2.36", "tcache_var-tp"));
  assert.equal(
    read(libc.tcacheSlot(proc.mainThread)) - p,
    probeFact("2.36", "tcache_value-first_chunk"),
  );
});

Deno.test("a larger global_max_fast written into libc makes a 0xb0 chunk fast", () => {
  const { heap, write, libc } = lab("2.31");
  const ps = Array.from({ length: 8 }, () => heap.malloc(0xa0));
  heap.malloc(0x20);
  for (let i = 0; i < 7; i++) heap.free(ps[i]); // fill the tcache bin
  write(libc.globalMaxFast, 0x1000);
  heap.free(ps[7]);
  assert.equal(heap.lastRecord?.served, "fastbin");
  assert.equal(heap.bins().fastbins.find((b) => b.chunks.length > 0)?.chunks[0], ps[7] - 16);
});

Deno.test("glibc 2.41's global_max_fast is one byte: a word written there only sets its low byte", () => {
  const { proc, heap, libc } = lab("2.41");
  heap.malloc(24);
  assert.equal(libc.globalMaxFastSize, 1);
  assert.equal(proc.memory.read8(libc.globalMaxFast), 0x80);
  proc.memory.write8(libc.globalMaxFast, 0xff);
  assert.equal(heap.context.globalMaxFast, 0xff);
});

Deno.test("a corrupted mp_.tcache_bins widens the tcache to a 0x510 chunk", () => {
  const { heap, write, read, libc } = lab("2.36");
  const facts = libcBuild("2.36", "x86_64").facts;
  const p = heap.malloc(0x500);
  heap.malloc(0x20);
  write(libc.mp + facts.mallocPar.tcacheBins, 0x100);
  assert.equal(heap.context.params.tcacheBins, 0x100);
  heap.free(p);
  assert.equal(heap.lastRecord?.served, "tcache");
  // tcache_put wrote entries[idx] far past the 64 real bins: a write relative to the tcache
  const tcache = read(libc.tcacheSlot(heap.process.mainThread));
  const idx = (0x510 - 0x11) >> 4;
  assert.equal(read(tcache + 2 * 64 + 8 * idx), p);
  assert.equal(heap.malloc(0x500), p);
});

Deno.test("a forged TLS tcache pointer moves the tcache: malloc serves from the fake struct", () => {
  const { proc, heap, write, libc } = lab("2.31");
  heap.free(heap.malloc(24));
  const fake = proc.sys.mmap(0, 0x2000, 3, 0x22);
  const target = fake + 0x1000;
  proc.memory.write16(fake, 1); // counts[0] = 1 (0x20 chunks)
  write(fake + 2 * 64, target); // entries[0]
  write(libc.tcacheSlot(proc.mainThread), fake);
  assert.equal(heap.malloc(24), target);
});

Deno.test("glibc 2.31: free() calls the __free_hook written in libc; system spawns a shell", () => {
  const { proc, heap, write, libc } = lab("2.31");
  const cmd = heap.malloc(24);
  proc.memory.writeBytes(cmd, new TextEncoder().encode("/bin/sh\0"));
  write(libc.symbol("__free_hook")!, libc.symbol("system")!);
  heap.free(cmd);
  assert.deepEqual(heap.events, [{
    kind: "ShellSpawned",
    command: "/bin/sh",
    via: "__free_hook",
    call: "free",
    target: libc.symbol("system"),
  }]);
});

Deno.test("glibc 2.31: malloc() follows __malloc_hook to an unknown address: ControlFlowHijack", () => {
  const { heap, write, libc } = lab("2.31");
  heap.malloc(24); // malloc_hook_ini has cleared the hook
  const gadget = libc.base + 0xe6c81;
  write(libc.symbol("__malloc_hook")!, gadget);
  assert.throws(() => heap.malloc(40), (e: unknown) => {
    assert.ok(e instanceof ControlFlowHijack);
    assert.equal(e.target, gadget);
    assert.deepEqual(e.args, [40, 0]);
    assert.equal(e.via, "__malloc_hook");
    assert.equal(e.call, "malloc");
    assert.equal(e.signal, undefined); // code is mapped there: what it does is not simulated
    return true;
  });
});

Deno.test("glibc 2.31: a hook aimed at memory nothing executes is also the process's SIGSEGV", () => {
  const { heap, write, libc } = lab("2.31");
  const chunk = heap.malloc(24);
  write(libc.symbol("__free_hook")!, chunk);
  assert.throws(() => heap.free(chunk), (e: unknown) => {
    assert.ok(e instanceof ControlFlowHijack);
    assert.equal(e.target, chunk);
    assert.equal(e.signal, "SIGSEGV");
    assert.equal(fatalSignalOf(e), "SIGSEGV");
    return true;
  });
});

Deno.test("glibc 2.31: a hook word beyond 2^53 is followed to its exact unsigned address", () => {
  // Above 2^53 (carried rounded) and from 2^63 up (carried negative): both no user address.
  for (const [high, low] of [[0x41414141, 0x41414141], [0xfff8_0000, 0x1000]]) {
    const { proc, heap, libc } = lab("2.31");
    heap.malloc(24);
    const hook = libc.symbol("__malloc_hook")!;
    proc.memory.write32(hook, low);
    proc.memory.write32(hook + 4, high);
    const target = (BigInt(high) << 32n) | BigInt(low);
    assert.throws(() => heap.malloc(40), (e: unknown) => {
      assert.ok(e instanceof ControlFlowHijack);
      assert.equal(e.target, target);
      assert.match(e.message, new RegExp(`to 0x${target.toString(16)} `));
      assert.equal(e.signal, "SIGSEGV");
      return true;
    });
  }
});

Deno.test("glibc 2.31: __malloc_hook starts at malloc_hook_ini, cleared by the first malloc", () => {
  const { heap, read, libc } = lab("2.31");
  const hook = libc.symbol("__malloc_hook")!;
  assert.equal(libc.symbolNamed(read(hook)), "malloc_hook_ini");
  assert.equal(libc.symbolNamed(read(libc.symbol("__realloc_hook")!)), "realloc_hook_ini");
  heap.malloc(1);
  assert.equal(read(hook), 0);
});

Deno.test("glibc 2.36 calls no hook: __free_hook = system changes nothing", () => {
  const { proc, heap, write, libc } = lab("2.36");
  const cmd = heap.malloc(24);
  proc.memory.writeBytes(cmd, new TextEncoder().encode("/bin/sh\0"));
  write(libc.symbol("__free_hook")!, libc.symbol("system")!);
  heap.free(cmd);
  assert.equal(heap.lastRecord?.served, "tcache");
  assert.deepEqual(heap.events, []);
});

Deno.test("modelled versions borrow the nearest real build and say so", () => {
  assert.deepEqual(
    ["2.23", "2.27", "2.35", "2.39"].map((v) => libcBuild(v, "x86_64").from),
    ["2.31", "2.31", "2.36", "2.41"],
  );
  assert.equal(libcBuild("2.36", "i386").modelled, false);
  assert.equal(lab("2.27").libc.build.modelled, true);
});

Deno.test("on the seed's libc 2.19 the state is packed into libc's data, and the hooks still work", () => {
  const proc = new Process({ layout: "seed-i386", program: "mthread" });
  const before = proc.maps();
  const heap = new Allocator(proc, { glibc: "2.23" });
  const libc = heap.libc;
  assert.equal(libc.placement, "packed");
  assert.equal(proc.maps(), before); // no mapping added or changed
  const cmd = heap.malloc(24);
  proc.memory.writeBytes(cmd, new TextEncoder().encode("id\0"));
  proc.memory.write32(libc.hooks.__free_hook, libc.symbol("system")!);
  heap.free(cmd);
  assert.deepEqual(heap.events.map((e) => e.kind === "ShellSpawned" && e.command), ["id"]);
});

Deno.test("a process without libc gets one page for glibc's state", () => {
  const maps = "# initial break 0x555555559000\n" +
    "555555554000-555555555000 r--p 00000000 fe:00 1 /prog\n" +
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";
  const proc = new Process({ initialMaps: maps });
  const heap = new Allocator(proc, { glibc: "2.36" });
  assert.equal(heap.libc.placement, "packed");
  const page = proc.regions().find((r) => r.start <= heap.mainArena && heap.mainArena < r.end)!;
  assert.equal(page.end - page.start, 0x1000);
  const p = heap.malloc(0x500);
  heap.malloc(0x20);
  heap.free(p);
  assert.equal(heap.readWord(p), heap.mainArena + heap.profile.arena.bins - 16);
});
