/**
 * Memory: addresses and lengths are validated; an address no process can map faults the way
 * the real x86 CPU and Linux fault it (tests/fixtures/kernel_facts/noncanon.c): a non-canonical
 * x86_64 address is a general protection fault (SIGSEGV, SI_KERNEL, si_addr 0), a kernel-half
 * address SEGV_MAPERR at its exact address; 64-bit words are read and written exactly as bigints.
 */
import assert from "node:assert/strict";
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  Process,
  PROT_READ,
  PROT_WRITE,
  SegmentationFault,
} from "../../mod.ts";
import { facts } from "./support.ts";

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;

/** What the real program printed for a read at `addr`: [si_code, si_addr]. */
function realFault(addr: bigint): [number, bigint] {
  const line = facts("noncanon").find((l) => l.startsWith(`read 0x${addr.toString(16)}:`))!;
  const m = /code (\d+) addr (\S+)$/.exec(line)!;
  return [Number(m[1]), m[2] === "(nil)" ? 0n : BigInt(m[2])];
}

const SI_CODES: Record<string, number> = { SEGV_MAPERR: 1, SEGV_ACCERR: 2, SI_KERNEL: 128 };

Deno.test("reads at non-canonical, kernel and unmapped addresses fault as on x86_64 Linux", () => {
  const p = new Process();
  const cases = [
    0x800000000000n,
    0x20000000000000n,
    0xffff800000000000n,
    0x7ffffffff000n,
    0x10n,
    0xfffffffffffffff8n,
  ];
  for (const addr of cases) {
    const [code, siAddr] = realFault(addr);
    assert.throws(() => p.memory.readBig64(addr), (e: SegmentationFault) => {
      assert.ok(e instanceof SegmentationFault);
      assert.equal(SI_CODES[e.code], code, `si_code at 0x${addr.toString(16)}`);
      assert.equal(e.siAddr, siAddr);
      assert.equal(e.exactAddress, addr);
      assert.ok(e.message.includes(`0x${addr.toString(16)}`), e.message);
      return true;
    });
    // The same address as a number (exact or not) faults the same way.
    assert.throws(() => p.memory.read64(Number(BigInt.asIntN(64, addr))), {
      name: "SegmentationFault",
    });
  }
});

Deno.test("i386 faults print 32-bit addresses, whatever number reached them", () => {
  const p = new Process({ layout: "i386" });
  for (const [addr, text] of [[-16, "0xfffffff0"], [0xfffffffc, "0xfffffffc"]] as const) {
    assert.throws(() => p.memory.read32(addr), (e: SegmentationFault) => {
      assert.equal(e.code, "SEGV_MAPERR");
      assert.ok(e.message.endsWith(text), e.message);
      assert.equal(e.exactAddress, BigInt(text));
      return true;
    });
  }
});

Deno.test("fractional and NaN addresses are argument errors, not faults or silent reads", () => {
  const p = new Process();
  const a = p.sys.mmap(0, 4096, RW, ANON);
  for (const bad of [NaN, a + 0.5, Infinity, -Infinity]) {
    for (const access of [() => p.memory.read8(bad), () => p.memory.write32(bad, 1)]) {
      assert.throws(access, { name: "ArgumentRangeError", argument: "address" });
    }
  }
  assert.throws(() => p.memory.readBytes(a, -1), {
    name: "ArgumentRangeError",
    argument: "length",
  });
  assert.throws(() => p.memory.fill(a, NaN, 0), { name: "ArgumentRangeError", argument: "length" });
  assert.throws(() => p.memory.readBytes(a, 2 ** 40), { name: "SegmentationFault" });
  assert.equal(p.memory.residentPages, 0);
});

Deno.test("every call through process.memory is checked, not only a method's first", () => {
  const p = new Process();
  const a = p.sys.mmap(0, 4096, RW, ANON);
  for (let i = 0; i < 3; i++) {
    p.memory.write64(a, 7 + i);
    assert.equal(p.memory.read64(a), 7 + i);
    assert.throws(() => p.memory.write64(a, 1.5), {
      name: "ArgumentRangeError",
      argument: "value",
    });
    assert.throws(() => p.memory.write8(a, NaN), { name: "ArgumentRangeError", argument: "value" });
    assert.throws(() => p.memory.copy(a, a + 0.5, 8), {
      name: "ArgumentRangeError",
      argument: "src",
    });
    // A bigint address or value (from JavaScript, beyond the types) goes to the exact methods.
    const exact = p.memory as unknown as {
      read64(addr: bigint): bigint;
      write64(addr: bigint, value: bigint): void;
    };
    exact.write64(BigInt(a), (1n << 63n) + 1n);
    assert.equal(exact.read64(BigInt(a)), (1n << 63n) + 1n);
  }
  assert.equal(p.memory.read64, p.memory.read64, "one wrapper per method");
});

Deno.test("64-bit words above 2^53 round-trip exactly as bigints", () => {
  const p = new Process();
  const a = p.sys.mmap(0, 8192, RW, ANON);
  p.sys.mprotect(a + 4096, 4096, PROT_READ);
  for (const v of [0xdeadbeefcafebabdn, (1n << 63n) + 1n, (1n << 53n) + 1n, 0n, (1n << 64n) - 1n]) {
    p.memory.writeBig64(a + 8, v);
    assert.equal(p.memory.readBig64(a + 8), v);
    assert.equal(p.memory.readBig64(BigInt(a + 8)), v);
  }
  p.memory.writeBig64(a, -1n);
  assert.equal(p.memory.readBig64(a), (1n << 64n) - 1n);
  assert.equal(p.memory.read64(a), -1);
  assert.throws(() => p.memory.writeBig64(a, 1n << 64n), { name: "ArgumentRangeError" });
  // A write crossing into a read-only page faults before writing its first half.
  p.memory.writeBig64(a + 4088, 0n);
  assert.throws(() => p.memory.writeBig64(a + 4092, 0x1111111122222222n), {
    name: "SegmentationFault",
    code: "SEGV_ACCERR",
    address: a + 4096,
  });
  assert.equal(p.memory.read32(a + 4092), 0);
});
