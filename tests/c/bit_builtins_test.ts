/**
 * gcc's bit builtins (clz, ctz, popcount, parity, ffs, clrsb in three widths, bswap16/32/64):
 * the expected output is what the same program printed compiled by gcc 12 -O0 on x86_64,
 * including clz(0) and ctz(0), which gcc leaves undefined (its bsr and tzcnt give 31/63 and 32).
 */

import assert from "node:assert/strict";
import { runC } from "../../mod.ts";

const SOURCE = `#include <stdio.h>
int main(void) {
  volatile unsigned z = 0; volatile unsigned long zl = 0;
  unsigned vals[] = {1, 2, 3, 0x80000000u, 0xffffffffu, 0x00f000f0u};
  for (int i = 0; i < 6; i++) {
    unsigned v = vals[i];
    printf("%x: clz %d ctz %d pop %d par %d ffs %d clrsb %d\\n", v, __builtin_clz(v), __builtin_ctz(v),
      __builtin_popcount(v), __builtin_parity(v), __builtin_ffs(v), __builtin_clrsb((int)v));
  }
  unsigned long long big = 0x0000100000000000ull;
  printf("%d %d %d %d %d %d\\n", __builtin_clzl(big), __builtin_ctzl(big), __builtin_clzll(big), __builtin_ctzll(big), __builtin_popcountl(~0ul), __builtin_popcountll(0xf0f0ull));
  printf("%d %d %d\\n", __builtin_ffsl(0), __builtin_ffsll(big), __builtin_parityll(7));
  printf("%x %x %llx\\n", __builtin_bswap16(0x1234), __builtin_bswap32(0x12345678), (unsigned long long)__builtin_bswap64(0x0102030405060708ull));
  printf("clz0 %d clzl0 %d ctz0 %d\\n", __builtin_clz(z), __builtin_clzl(zl), __builtin_ctz(z));
  printf("%d\\n", 1 << (32 - __builtin_clz(z - 0)));
  return 0;
}
`;

Deno.test("__builtin_clz, ctz, popcount, parity, ffs, clrsb and bswap give gcc's values", () => {
  const result = runC(SOURCE, { file: "bits.c", glibc: "2.31", explain: false });
  if (result.error) throw result.error;
  assert.equal(
    result.stdout,
    [
      "1: clz 31 ctz 0 pop 1 par 1 ffs 1 clrsb 30",
      "2: clz 30 ctz 1 pop 1 par 1 ffs 2 clrsb 29",
      "3: clz 30 ctz 0 pop 2 par 0 ffs 1 clrsb 29",
      "80000000: clz 0 ctz 31 pop 1 par 1 ffs 32 clrsb 0",
      "ffffffff: clz 0 ctz 0 pop 32 par 0 ffs 1 clrsb 31",
      "f000f0: clz 8 ctz 4 pop 8 par 0 ffs 5 clrsb 7",
      "19 44 19 44 64 8",
      "0 45 1",
      "3412 78563412 807060504030201",
      "clz0 31 clzl0 63 ctz0 32",
      "2",
      "",
    ].join("\n"),
  );
});
