/**
 * The replay's byte sink writes numbers as `String(n)` and `0x` + `n.toString(16)` would, text as
 * UTF-8, and hands its bytes on in chunks of whole lines.
 */

import assert from "node:assert/strict";
import {
  MAX_DECIMAL,
  MAX_HEX,
  OutputBuffer,
  putDecimal,
  putHex,
  putHex32,
} from "../../src/trace/output_buffer.ts";

function collect(): { out: OutputBuffer; text: () => string; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  const out = new OutputBuffer((chunk) => chunks.push(chunk.slice()));
  const decoder = new TextDecoder();
  return { out, chunks, text: () => chunks.map((c) => decoder.decode(c)).join("") };
}

Deno.test("numbers print in decimal and 0x-hex exactly, up to 2^53 - 1", () => {
  const values = [0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
  values.push(0x1_0000_0000, 0x12_3456_789a, 999_999_999_999_999, 1e15, 2 ** 53 - 1);
  // Every digit count's first and last number, in both bases (the writers count digits first).
  for (let p = 10; p <= 1e15; p *= 10) values.push(p - 1, p);
  for (let p = 16; p <= 2 ** 52; p *= 16) values.push(p - 1, p);
  // A spread of magnitudes, the same every run.
  for (let k = 0, x = 1; k < 200; k++, x = (x * 48271) % 2147483647) {
    values.push(Math.floor((x / 2147483647) * 2 ** (k % 53)));
  }
  const { out, text } = collect();
  let want = "";
  for (const v of values) {
    const bytes = out.room(MAX_DECIMAL + 2 * MAX_HEX + 3);
    let at = putDecimal(bytes, out.length, v);
    bytes[at++] = 32;
    at = putHex(bytes, at, v);
    if (v < 2 ** 32) {
      // The 32-bit writer the replay's usual pointer line uses: the same digits.
      bytes[at++] = 32;
      at = putHex32(bytes, at, v);
    }
    bytes[at++] = 10;
    out.endLineAt(at);
    want += `${v} 0x${v.toString(16)}${v < 2 ** 32 ? ` 0x${v.toString(16)}` : ""}\n`;
  }
  out.flush();
  assert.equal(text(), want);
});

Deno.test("text is written as UTF-8", () => {
  const { out, chunks } = collect();
  out.ascii("/tmp/h\u00e9ap \u2603 12");
  out.endLine();
  out.flush();
  assert.deepEqual(chunks, [new TextEncoder().encode("/tmp/h\u00e9ap \u2603 12\n")]);
});

Deno.test("chunks hold whole lines, and a line longer than a chunk grows the buffer", () => {
  const { out, chunks, text } = collect();
  const long = "x".repeat(300_000);
  let want = "";
  for (let i = 0; i < 20_000; i++) {
    const line = i === 777 ? long : `${i} free ${i}`;
    out.ascii(line);
    out.endLine();
    want += line + "\n";
  }
  out.flush();
  assert.ok(chunks.length > 2);
  for (const chunk of chunks) assert.equal(chunk[chunk.length - 1], 10);
  assert.equal(text(), want);
});

Deno.test("take() hands back what was not yet flushed, and drops it", () => {
  const { out, chunks } = collect();
  out.ascii("1 malloc 0 null - -");
  out.endLine();
  assert.equal(new TextDecoder().decode(out.take()), "1 malloc 0 null - -\n");
  out.flush();
  assert.equal(chunks.length, 0);
});
