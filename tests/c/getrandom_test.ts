/**
 * getrandom(): what it returns and sets errno to, request by request, as on real glibc 2.31 and
 * 2.36 (tests/fixtures/c/getrandom/, where it is the system call); from 2.41 glibc calls the
 * vDSO's getrandom instead, which heaplab does not model and refuses by name.
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { CUnsupportedError, runC } from "../../mod.ts";

const source = fixture("getrandom/getrandom.c");

for (const glibc of ["2.31", "2.36"]) {
  Deno.test(`getrandom()'s counts and errors are glibc ${glibc}'s system call's`, () => {
    const result = runC(source, {
      file: "getrandom.c",
      glibc,
      arch: "x86_64",
      explain: false,
      gccBuiltins: false, // make_outputs.sh builds with -fno-builtin
    });
    if (result.state === "error") throw result.error;
    assert.equal(result.stdout, fixture(`getrandom/${glibc}.out`));
  });
}

Deno.test("getrandom() through glibc 2.41's vDSO is refused by name, at its line", () => {
  const result = runC(source, { file: "getrandom.c", glibc: "2.41", explain: false });
  assert.ok(result.error instanceof CUnsupportedError);
  assert.match(result.error.message, /^getrandom\.c:20: unsupported: getrandom through the vDSO/);
});

Deno.test("getrandom()'s bytes come from the run's seed: the same program fills the same", () => {
  const program = `#include <stdio.h>
#include <sys/random.h>
int main(void) {
  unsigned char b[6];
  getrandom(b, sizeof b, 0);
  for (int i = 0; i < 6; i++) printf("%02x", b[i]);
  return 0;
}
`;
  const run = () => runC(program, { file: "prog.c", glibc: "2.31", explain: false }).stdout;
  const first = run();
  assert.match(first, /^[0-9a-f]{12}$/);
  assert.equal(run(), first);
});
