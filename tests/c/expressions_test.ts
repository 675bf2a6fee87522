// C expressions with known results on LP64 (x86_64) and ILP32 (i386): integer promotions,
// wrap-around, shifts, signed/unsigned comparison, pointer differences, casts.
import assert from "node:assert/strict";
import { runC } from "../../mod.ts";

function out(body: string, arch: "x86_64" | "i386" = "x86_64", globals = ""): string {
  const r = runC(
    `#include <stdio.h>\n#include <stdint.h>\n${globals}\nint main(void) {\n${body}\nreturn 0;\n}\n`,
    {
      arch,
    },
  );
  assert.equal(r.state, "exited", r.error?.message);
  return r.stdout;
}

Deno.test("casts of -1 to 64-bit unsigned types are exact: 0xffffffffffffffff", () => {
  assert.equal(
    out('printf("%llx %llu\\n", (unsigned long long)-1, (unsigned long long)-1);'),
    "ffffffffffffffff 18446744073709551615\n",
  );
  assert.equal(
    out('size_t x = (size_t)-1; printf("%zx %zu\\n", x, x);'),
    "ffffffffffffffff 18446744073709551615\n",
  );
  assert.equal(
    out('size_t x = (size_t)-1; printf("%zx %zu\\n", x, x);', "i386"),
    "ffffffff 4294967295\n",
  );
});

Deno.test("unsigned arithmetic wraps at the type's width", () => {
  assert.equal(out('unsigned int u = 0; u--; printf("%u\\n", u);'), "4294967295\n");
  assert.equal(out('unsigned long u = 0; u--; printf("%lu\\n", u);'), "18446744073709551615\n");
  assert.equal(out('unsigned long u = 0; u--; printf("%lu\\n", u);', "i386"), "4294967295\n");
  assert.equal(
    out('uint64_t a = 0xfffffffffffffff0ULL; a += 0x20; printf("%llx\\n", (unsigned long long)a);'),
    "10\n",
  );
  assert.equal(out('unsigned char c = 250; c += 10; printf("%d\\n", c);'), "4\n");
  assert.equal(out('int i = 2147483647; i++; printf("%d\\n", i);'), "-2147483648\n");
});

Deno.test("64-bit multiplication and xor are exact beyond 2^53", () => {
  assert.equal(
    out('uint64_t a = 0xdeadbeefcafebabeULL; printf("%llu\\n", (unsigned long long)(a * 3));'),
    "11243584806090190906\n",
  );
  assert.equal(
    out('long p = 0x55555555a2b0; printf("%lx\\n", p ^ (p >> 12));'),
    `${(0x55555555a2b0n ^ (0x55555555a2b0n >> 12n)).toString(16)}\n`,
  );
  assert.equal(
    out(
      'uint64_t x = 1ULL << 63; printf("%llx %llx\\n", (unsigned long long)x, (unsigned long long)(x >> 1));',
    ),
    "8000000000000000 4000000000000000\n",
  );
  assert.equal(
    out('int64_t x = -1LL << 63; printf("%lld\\n", (long long)x);'),
    "-9223372036854775808\n",
  );
});

Deno.test("shifts: arithmetic for signed, logical for unsigned", () => {
  assert.equal(
    out('int a = -16; unsigned b = 0xfffffff0u; printf("%d %u\\n", a >> 2, b >> 2);'),
    "-4 1073741820\n",
  );
  assert.equal(out('long a = -16; printf("%ld\\n", a >> 2);'), "-4\n");
  assert.equal(out('printf("%d\\n", 1 << 31);'), "-2147483648\n");
});

Deno.test("signed/unsigned comparison converts to unsigned", () => {
  assert.equal(out('int a = -1; unsigned b = 1; printf("%d\\n", a < b);'), "0\n");
  assert.equal(out('long a = -1; unsigned int b = 1; printf("%d\\n", a < b);'), "1\n");
  assert.equal(out('long a = -1; unsigned int b = 1; printf("%d\\n", a < b);', "i386"), "0\n");
  assert.equal(out('printf("%d\\n", -1 < sizeof(int));'), "0\n");
});

Deno.test("integer promotions: char and short arithmetic happens in int", () => {
  assert.equal(out('char c = 127; c = c + 1; printf("%d\\n", c);'), "-128\n");
  assert.equal(out('unsigned char a = 200, b = 100; printf("%d\\n", a + b);'), "300\n");
  assert.equal(out('short s = -1; unsigned short u = s; printf("%d %d\\n", s, u);'), "-1 65535\n");
});

Deno.test("pointer arithmetic scales by the pointee; differences divide by it", () => {
  assert.equal(
    out(
      'long a[8]; long *p = &a[1], *q = &a[6]; printf("%ld %ld\\n", q - p, (char *)q - (char *)p);',
    ),
    "5 40\n",
  );
  assert.equal(
    out(
      'long a[8]; long *p = &a[1], *q = &a[6]; printf("%d %d\\n", (int)(q - p), (int)((char *)q - (char *)p));',
      "i386",
    ),
    "5 20\n",
  );
  assert.equal(
    out('int a[4] = {1, 2, 3, 4}; int *p = a; p += 2; printf("%d %d\\n", *p, p[-1]);'),
    "3 2\n",
  );
  assert.equal(
    out('void *p = (void *)0x1000; p = (char *)p + 0x10; printf("%p\\n", p);'),
    "0x1010\n",
  );
});

Deno.test("sizeof follows the ABI", () => {
  const body =
    'printf("%zu %zu %zu %zu %zu\\n", sizeof(long), sizeof(void *), sizeof(long long), sizeof(size_t), sizeof(struct s));';
  const g = "struct s { char c; long long x; };";
  assert.equal(out(body, "x86_64", g), "8 8 8 8 16\n");
  assert.equal(out(body, "i386", g), "4 4 8 4 12\n");
});

Deno.test("division truncates toward zero; % takes the dividend's sign", () => {
  assert.equal(out('printf("%d %d %d %d\\n", -7 / 2, -7 % 2, 7 / -2, 7 % -2);'), "-3 -1 -3 1\n");
  assert.equal(out('long long a = -7; printf("%lld %lld\\n", a / 2, a % 2);'), "-3 -1\n");
});

Deno.test("casts between pointers and integers keep the bits", () => {
  assert.equal(
    out('char *p = (char *)0xdeadbeefcafebabe; printf("%p %lx\\n", p, (unsigned long)p);'),
    "0xdeadbeefcafebabe deadbeefcafebabe\n",
  );
  assert.equal(out('int x = (int)0x123456789aLL; printf("%x\\n", x);'), "3456789a\n");
  assert.equal(out('double d = 3.9; int i = (int)d; printf("%d %.2f\\n", i, d);'), "3 3.90\n");
});
