import assert from "node:assert/strict";
import { wordHex, words32, words64 } from "../../mod.ts";

Deno.test("64-bit words add and subtract modulo 2^64 exactly near the top", () => {
  // A top chunk size of (size_t)-1 and a request that wraps the address space (house of force).
  const top = 0x555555559000;
  const target = 0x555555554000;
  const request = words64.sub(target, top);
  assert.equal(wordHex(words64, request), "ffffffffffffb000");
  assert.equal(words64.add(top, request), target);
  assert.ok(words64.lt(0x1000, request));
  assert.ok(words64.le(request, -1));
  assert.ok(!words64.lt(-1, request));
});

Deno.test("unsigned comparison puts (size_t)-1 above every other word", () => {
  assert.ok(words64.lt(0x7fffffffffff, -1));
  assert.ok(words32.lt(0x7fffffff, 0xffffffff));
});

Deno.test("xor and and work on all 64 bits (safe-linking needs them)", () => {
  const pos = 0x55555555a2c0, ptr = 0x55555555a2a0;
  const mangled = words64.xor(Math.floor(pos / 4096), ptr);
  assert.equal(mangled, 0x55500000f7fa);
  assert.equal(words64.xor(Math.floor(pos / 4096), mangled), ptr);
  assert.equal(words64.and(-1, 0xfff0), 0xfff0);
});

Deno.test("bigint conversions round-trip", () => {
  assert.equal(words64.fromBigInt(0xffffffffffffffffn), -1);
  assert.equal(words64.toBigInt(-16), 0xfffffffffffffff0n);
  assert.equal(words32.fromBigInt(-1n), 0xffffffff);
});
