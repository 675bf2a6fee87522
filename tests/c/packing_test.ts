// u64/u32 read leaked words out of output bytes, p64/p32 pack payload words (pwntools' names).
import assert from "node:assert/strict";
import { ArgumentRangeError, CProgram, p32, p64, ProgramTube, u32, u64 } from "../../mod.ts";

Deno.test("u64 reads a pointer leaked by write() out of stdoutBytes, at its offset", () => {
  const program = new CProgram(
    `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
  char *p = malloc(0x18);
  write(1, "p=", 2);
  write(1, &p, 8);
  printf("%p\\n", p);
  return 0;
}`,
    { stdout: "pipe" },
  );
  const r = program.run();
  const leaked = u64(r.stdoutBytes, 2);
  assert.equal(`0x${leaked.toString(16)}\n`, r.stdout.slice(10));
});

Deno.test("u64 reads a word a ProgramTube received, whose bytes are not their own buffer", () => {
  const program = new CProgram(
    `#include <unistd.h>
int main(void) { long x = 0x4142434445464748; write(1, "ab", 2); write(1, &x, 8); return 0; }`,
    { stdout: "pipe" },
  );
  const tube = new ProgramTube(program);
  tube.recvN(1);
  const received = tube.recvN(9).subarray(1);
  assert.equal(u64(received), 0x4142434445464748n);
});

Deno.test("p64 packs an address little-endian, negative values modulo 2^64; u64 reads it back", () => {
  assert.deepEqual([...p64(0x7ffff7dd1190n)], [0x90, 0x11, 0xdd, 0xf7, 0xff, 0x7f, 0, 0]);
  assert.deepEqual([...p64(0x4010)], [0x10, 0x40, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...p64(-1n)], Array(8).fill(0xff));
  assert.equal(u64(p64(0xdeadbeefcafebaben)), 0xdeadbeefcafebaben);
});

Deno.test("p32 and u32 pack and read 4-byte words, for i386", () => {
  assert.deepEqual([...p32(0x0804a010)], [0x10, 0xa0, 0x04, 0x08]);
  assert.deepEqual([...p32(-2)], [0xfe, 0xff, 0xff, 0xff]);
  assert.equal(u32(new Uint8Array([0, 0x10, 0xa0, 0x04, 0x08]), 1), 0x0804a010);
  assert.equal(u32(p32(0xffffffff)), 0xffffffff);
});

Deno.test("u64 refuses a short leak, naming how long the bytes are", () => {
  assert.throws(
    () => u64(new Uint8Array(6)),
    (e: Error) =>
      e instanceof ArgumentRangeError && /the bytes are 6 long; pad a short leak/.test(e.message),
  );
  assert.throws(() => u64(new Uint8Array(16), 9), /an offset with 8 bytes after it, 0 to 8/);
  assert.throws(() => u32(new Uint8Array(8), -1), ArgumentRangeError);
});

Deno.test("p64 and p32 refuse values that do not fit their words", () => {
  assert.throws(() => p64(1n << 64n), /a 64-bit integer/);
  assert.throws(() => p64(2 ** 60), /an integer \(a bigint beyond 2\^53\)/);
  assert.throws(() => p32(0x1_0000_0000), /a 32-bit integer/);
  assert.throws(() => p32(-(2 ** 31) - 1), /a 32-bit integer/);
});
