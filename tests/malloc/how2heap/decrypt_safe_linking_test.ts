/**
 * decrypt_safe_linking: a safe-linked pointer stored in the same page region as the pointer
 * it hides can be decrypted without the key: the top 12 bits are stored in the clear, they
 * are the next 12 bits of the key, and so on down. A leaked tcache next pointer gives a heap
 * address (2.32+; before, the pointer is stored in the clear).
 */

import assert from "node:assert/strict";
import { type Lab, on, SAFE_LINKING_VERSIONS, technique } from "./support.ts";

/** Recovers `ptr` from `(pos >> 12) ^ ptr` when pos and ptr share their top bits. */
function decrypt(cipher: bigint, bits: bigint): bigint {
  let key = 0n, plain = 0n;
  for (let shift = bits - 12n;; shift -= 12n) {
    const keep = shift > 0n ? shift : 0n;
    plain = ((cipher ^ key) >> keep) << keep;
    key = plain >> 12n;
    if (keep === 0n) return plain;
  }
}

technique({
  name: "decrypt_safe_linking",
  claim: "a leaked tcache link decrypts to the next chunk without the key",
  outcomes: on(SAFE_LINKING_VERSIONS, "works"),
  run(lab: Lab) {
    const h = lab.heap, w = lab.words;
    const a = h.malloc(0x10), b = h.malloc(0x10);
    h.free(a);
    h.free(b);
    const leaked = lab.read(b); // b->next, read after free
    assert.notEqual(leaked, a, "the link is mangled");
    const plain = decrypt(w.toBigInt(leaked), BigInt(w.bits));
    assert.equal(plain, w.toBigInt(a));
  },
});
