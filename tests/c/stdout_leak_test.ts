/**
 * The classic leak through stdout's FILE, against real runs (tests/fixtures/c/descriptors/
 * stdout_leak.c): a program that sets stdout's flags to _IO_MAGIC | _IO_IS_APPENDING |
 * _IO_CURRENTLY_PUTTING, clears its read pointers and the low byte of its write base gets, at
 * its next puts, the bytes of libc's data between the lowered write base and the write pointer
 * — as many as the real build's layout puts there, a pointer into libc among them. Pointers
 * into libc are compared as offsets from stdout's FILE (heaplab's libc lies at another base);
 * on a pipe and a file (a terminal would translate the leaked bytes).
 */

import assert from "node:assert/strict";
import { fixture } from "./c_support.ts";
import { type CStdoutKind, ORACLE_BUILDS, runC } from "../../mod.ts";

const FIXTURES = new URL("../fixtures/c/descriptors/", import.meta.url);

/** The real run's stdout: the version's own bytes where they differ from the first version's. */
function realOutput(kind: string, glibc: string): Uint8Array {
  try {
    return Deno.readFileSync(new URL(`stdout_leak.${kind}.${glibc}.out`, FIXTURES));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return Deno.readFileSync(new URL(`stdout_leak.${kind}.out`, FIXTURES));
  }
}

/**
 * The output with every 8 bytes that read as an address near stdout's FILE (little-endian)
 * written as `<stdout+offset>`, and the printed address as `<stdout>`: what is the same in
 * any process, whatever libc's base.
 */
function normalized(bytes: Uint8Array): string {
  const text = new TextDecoder("latin1").decode(bytes);
  const printed = /stdout 0x([0-9a-f]+)\n/.exec(text);
  assert.ok(printed, "the program prints stdout's address");
  const stdout = Number.parseInt(printed[1], 16);
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const word = i + 8 <= bytes.length
      ? new DataView(bytes.buffer, bytes.byteOffset + i, 8).getBigUint64(0, true)
      : -1n;
    const offset = Number(word) - stdout;
    if (word > 0n && Math.abs(offset) < 0x400000) {
      out += `<stdout${offset < 0 ? "-" : "+"}0x${Math.abs(offset).toString(16)}>`;
      i += 8;
    } else {
      out += text[i++];
    }
  }
  return out.replace(printed[0], "stdout <stdout>\n");
}

const SOURCE = fixture("descriptors/stdout_leak.c");
const BUILDS = ORACLE_BUILDS.filter((b) => b.arch === "x86_64");

for (const kind of ["pipe", "file"] as CStdoutKind[]) {
  for (const { glibc } of BUILDS) {
    Deno.test(`stdout's FILE leaks libc's bytes at the next puts, as on glibc ${glibc} (${kind})`, () => {
      const result = runC(SOURCE, { glibc, file: "stdout_leak.c", stdout: kind, stdin: "" });
      assert.equal(result.state, "exited", result.error?.message);
      assert.equal(normalized(result.stdoutBytes), normalized(realOutput(kind, glibc)));
    });
  }
}

Deno.test("the leak gives the real build's bytes: stdin's FILE address on 2.31, three zeros on 2.44", () => {
  const of = (kind: string, glibc: string) => normalized(realOutput(kind, glibc));
  const z = (n: number) => "\0".repeat(n);
  assert.ok(
    of("pipe", "2.31").startsWith(
      `hello\n${z(8)}<stdout-0xd20>\x01${z(7)}${"\xff".repeat(8)}${z(3)}after\n`,
    ),
  );
  assert.ok(of("pipe", "2.44").startsWith(`hello\n${z(3)}after\n`));
});
