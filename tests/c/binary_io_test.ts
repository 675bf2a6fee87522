/**
 * Bytes in and out of a C program, as an exploit script needs them: a leak written with
 * write(2) read back from `stdoutBytes` (the UTF-8 `stdout` cannot hold it), a payload with bytes
 * above 0x7f fed as a Uint8Array or as a string of bytes, and text beyond latin1 refused rather
 * than cut to its low byte.
 */

import assert from "node:assert/strict";
import { CProgram, runC } from "../../mod.ts";

/** The little-endian 64-bit value of eight bytes. */
function word(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

const LEAK = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
  char *p = malloc(0x420);
  malloc(0x18);
  free(p);
  write(1, p, 8);
  printf("%p\\n", *(void **)p);
  return 0;
}`;

Deno.test("a pointer written with write(2) is read back, byte for byte, from stdoutBytes", () => {
  const result = runC(LEAK, { glibc: "2.31" });
  assert.equal(result.state, "exited");
  const bytes = result.stdoutBytes;
  const printed = new TextDecoder().decode(bytes.subarray(8)).trim();
  assert.equal(word(bytes), BigInt(printed)); // main_arena's unsorted bin, 0x7fff…
  assert.ok(bytes.subarray(0, 8).some((b) => b >= 0x80));
  assert.ok(result.stdout.includes("\ufffd")); // what the UTF-8 text makes of it
});

const ECHO_POINTER = `#include <stdio.h>
#include <unistd.h>
int main(void) {
  void *target;
  printf("> ");
  fflush(stdout);
  read(0, &target, 8);
  printf("%p\\n", target);
  write(1, &target, 8);
  return 0;
}`;

Deno.test("bytes fed as a Uint8Array reach the program as they are, and come back in newStdoutBytes", () => {
  // stdin and stdout pipes, as an exploit script drives a process
  const program = new CProgram(ECHO_POINTER, { glibc: "2.36", stdout: "pipe" });
  const paused = program.run();
  assert.equal(paused.state, "paused");
  assert.equal(paused.newStdout, "> ");
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setBigUint64(0, 0x7ffff7e1c2e0n, true);
  program.feed(payload);
  const done = program.run();
  assert.equal(done.state, "exited");
  // write(2) went out at once; printf's line waited in the pipe's full buffer until exit
  assert.deepEqual(done.newStdoutBytes.subarray(0, 8), payload);
  assert.equal(done.newStdout.slice(-15), "0x7ffff7e1c2e0\n");
});

Deno.test("a string's characters are bytes: \\xe0 is 0xe0, and text beyond latin1 is refused", () => {
  const program = new CProgram(ECHO_POINTER, { glibc: "2.36", stdout: "pipe" });
  program.run();
  program.feed("\xe0\xc2\xe1\xf7\xff\x7f\x00\x00");
  assert.equal(program.run().newStdout.slice(-15), "0x7ffff7e1c2e0\n");
  assert.throws(() => new CProgram(ECHO_POINTER, { stdin: "€" }), {
    name: "ArgumentRangeError",
    message: /Argument stdin out of range: "€" \(expected bytes/,
  });
  assert.throws(() => program.feed("\u{1F600}"), { name: "ArgumentRangeError" });
});
