/**
 * A trace reader for tests: hands out a text's bytes at most `size` at a time, as a pipe or a
 * file read in small pieces would, so a test can break the lines anywhere.
 *
 * @module
 */

import type { TraceReader } from "../../src/trace/trace_input.ts";

/** A reader of `text` that hands out at most `size` bytes a call. */
export function chunkedReader(text: string, size: number): TraceReader {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return {
    readSync(buffer: Uint8Array): number | null {
      if (at >= bytes.length) return null;
      const n = Math.min(size, buffer.length, bytes.length - at);
      buffer.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    },
  };
}
