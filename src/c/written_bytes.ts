/**
 * What a C program wrote to its standard output or error (file descriptors 1 and 2), kept as
 * bytes in one growing buffer: a program's write(2) copies them there from its memory, and the
 * run's result decodes them once. (Kept as text before, a CTF menu loop's millions of small
 * writes made as many strings, each joined to the last: a third of such a run went to the
 * JavaScript garbage collector, half of that for this text.)
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";

const decoder = new TextDecoder();

/** Bytes written to an output stream, in order. */
export class WrittenBytes {
  #bytes = new Uint8Array(4096);
  #length = 0;

  /** How many bytes were written. */
  get length(): number {
    return this.#length;
  }

  /** Appends text whose characters are bytes. */
  appendText(text: string): void {
    const at = this.#reserve(text.length), bytes = this.#bytes;
    for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  }

  /** Appends the `count` bytes of memory at `addr` (which may all be read). */
  appendFrom(mem: Memory, addr: number, count: number): void {
    if (count === 0) return;
    const at = this.#reserve(count);
    mem.readInto(addr, this.#bytes.subarray(at, at + count));
  }

  /** Appends what `other` holds (a fork's child's output joining its parent's). */
  appendWritten(other: WrittenBytes): void {
    const count = other.#length;
    if (count === 0) return;
    const at = this.#reserve(count);
    this.#bytes.set(other.#bytes.subarray(0, count), at);
  }

  /** Forgets every byte (a fork's child drops what its re-run wrote before the fork). */
  clear(): void {
    this.#length = 0;
  }

  /** The bytes from `from` to `to` (a copy). */
  bytes(from = 0, to = this.#length): Uint8Array {
    return this.#bytes.slice(from, to);
  }

  /** The bytes from `from` to `to` decoded as UTF-8 (as `TextDecoder` decodes them). */
  utf8(from = 0, to = this.#length): string {
    return decoder.decode(this.#bytes.subarray(from, to));
  }

  /** Makes room for `count` more bytes; where they go. */
  #reserve(count: number): number {
    const at = this.#length, need = at + count;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
    }
    this.#length = need;
    return at;
  }
}
