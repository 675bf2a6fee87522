/**
 * Physical memory of the simulated process: sparse 4 KiB pages created on the first write,
 * read and written little-endian, every access checked against the protection of the area that
 * holds it. An untouched page reads as zeros without being created, as the kernel's zero page.
 *
 * A fast path serves accesses that stay inside the last page and the last area used; everything
 * else (page-crossing accesses, faults, the first write to a page) takes the slow path. A bad
 * access throws a {@link SegmentationFault}, never a JavaScript error.
 *
 * @module
 */

import { type AccessKind, SegmentationFault } from "./errors.ts";
import { PAGE_SIZE, PROT_WRITE, type Vma } from "./vma.ts";
import { joinWord64, splitWord64 } from "./word.ts";

/** What memory needs from the address space: the area that holds an address. */
export interface AreaLookup {
  /** The area containing `addr`, if any. */
  areaAt(addr: number): Vma | undefined;
  /** Called on the first write to a page of `vma` that has no anon_vma yet. */
  firstWrite(vma: Vma): void;
  /** Text of an address for fault messages. */
  addressText(addr: number): string;
}

/**
 * Page-granular sparse memory.
 *
 * @example
 * ```ts
 * import { Process } from "../../mod.ts";
 * const proc = new Process({ profile: "x86_64" });
 * const addr = proc.sys.mmap(0, 4096, 3, 0x22);
 * proc.memory.write64(addr, 0x1234);
 * proc.memory.read64(addr); // 0x1234
 * ```
 */
export class Memory {
  #pages = new Map<number, DataView>();
  #areas: AreaLookup;
  // Cache of the last area: [lo, hi) readable, writable.
  #lo = 0;
  #hi = 0;
  #writable = false;
  // Cache of the last page.
  #pageNo = -1;
  #page: DataView | undefined = undefined;

  /** Memory whose protections `areas` decides. */
  constructor(areas: AreaLookup) {
    this.#areas = areas;
  }

  /** Forgets the cached area; the address space calls this on every change of its areas. */
  invalidate(): void {
    this.#lo = 0;
    this.#hi = 0;
    this.#writable = false;
  }

  /** Number of pages that hold data (written at least once). */
  get residentPages(): number {
    return this.#pages.size;
  }

  /** Drops the pages of `[start, end)` (munmap, MADV_DONTNEED): they read as zeros again. */
  discard(start: number, end: number): void {
    const first = Math.floor(start / PAGE_SIZE), last = Math.ceil(end / PAGE_SIZE);
    if (last - first < this.#pages.size) {
      for (let p = first; p < last; p++) this.#pages.delete(p);
    } else {
      for (const p of this.#pages.keys()) if (p >= first && p < last) this.#pages.delete(p);
    }
    this.#pageNo = -1;
    this.#page = undefined;
  }

  /** Moves the pages of `[from, from + length)` to `to` (mremap). */
  move(from: number, to: number, length: number): void {
    const first = Math.floor(from / PAGE_SIZE), n = Math.ceil(length / PAGE_SIZE);
    const shift = Math.floor(to / PAGE_SIZE) - first;
    const moved: [number, DataView][] = [];
    for (let p = first; p < first + n; p++) {
      const page = this.#pages.get(p);
      if (page) {
        moved.push([p + shift, page]);
        this.#pages.delete(p);
      }
    }
    for (const [p, page] of moved) this.#pages.set(p, page);
    this.#pageNo = -1;
    this.#page = undefined;
  }

  #check(addr: number, size: number, access: AccessKind): void {
    if (addr >= this.#lo && addr + size <= this.#hi && (access === "read" || this.#writable)) {
      return;
    }
    // Walk every area the access touches.
    let a = addr;
    const end = addr + size;
    while (a < end) {
      const vma = this.#areas.areaAt(a);
      if (vma === undefined) {
        throw new SegmentationFault(a, access, "SEGV_MAPERR", this.#areas.addressText(a));
      }
      if (vma.prot === 0 || (access === "write" && !(vma.prot & PROT_WRITE))) {
        throw new SegmentationFault(a, access, "SEGV_ACCERR", this.#areas.addressText(a));
      }
      if (access === "write" && vma.anon === 0) this.#areas.firstWrite(vma);
      if (vma.start <= addr && end <= vma.end) {
        this.#lo = vma.start;
        this.#hi = vma.end;
        // Writes take the fast path only once the area has its anon_vma.
        this.#writable = (vma.prot & PROT_WRITE) !== 0 && vma.anon !== 0;
      }
      a = vma.end;
    }
  }

  #pageFor(no: number, create: boolean): DataView | undefined {
    if (no === this.#pageNo) return this.#page;
    let page = this.#pages.get(no);
    if (page === undefined) {
      if (!create) return undefined;
      page = new DataView(new ArrayBuffer(PAGE_SIZE));
      this.#pages.set(no, page);
    }
    this.#pageNo = no;
    this.#page = page;
    return page;
  }

  /** Reads one byte. */
  read8(addr: number): number {
    this.#check(addr, 1, "read");
    const no = Math.floor(addr / PAGE_SIZE);
    const page = this.#pageFor(no, false);
    return page ? page.getUint8(addr - no * PAGE_SIZE) : 0;
  }

  /** Reads a little-endian 16-bit value. */
  read16(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    if (off > PAGE_SIZE - 2) return this.read8(addr) | (this.read8(addr + 1) << 8);
    this.#check(addr, 2, "read");
    const page = this.#pageFor(no, false);
    return page ? page.getUint16(off, true) : 0;
  }

  /** Reads a little-endian unsigned 32-bit value. */
  read32(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    if (off > PAGE_SIZE - 4) return (this.read16(addr) | (this.read16(addr + 2) << 16)) >>> 0;
    this.#check(addr, 4, "read");
    const page = this.#pageFor(no, false);
    return page ? page.getUint32(off, true) : 0;
  }

  /** Reads a little-endian 64-bit word (see `word.ts` for its representation). */
  read64(addr: number): number {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    if (off > PAGE_SIZE - 8) return joinWord64(this.read32(addr + 4), this.read32(addr));
    this.#check(addr, 8, "read");
    const page = this.#pageFor(no, false);
    return page ? joinWord64(page.getUint32(off + 4, true), page.getUint32(off, true)) : 0;
  }

  /** Writes one byte. */
  write8(addr: number, value: number): void {
    this.#check(addr, 1, "write");
    const no = Math.floor(addr / PAGE_SIZE);
    this.#pageFor(no, true)!.setUint8(addr - no * PAGE_SIZE, value & 0xff);
  }

  /** Writes a little-endian 16-bit value. */
  write16(addr: number, value: number): void {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    if (off > PAGE_SIZE - 2) {
      this.#check(addr, 2, "write");
      this.write8(addr, value);
      this.write8(addr + 1, value >>> 8);
      return;
    }
    this.#check(addr, 2, "write");
    this.#pageFor(no, true)!.setUint16(off, value & 0xffff, true);
  }

  /** Writes a little-endian 32-bit value (taken modulo 2^32). */
  write32(addr: number, value: number): void {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    const v = value >>> 0 === value ? value : Number(BigInt.asUintN(32, BigInt(Math.trunc(value))));
    if (off > PAGE_SIZE - 4) {
      this.#check(addr, 4, "write");
      this.write16(addr, v & 0xffff);
      this.write16(addr + 2, v >>> 16);
      return;
    }
    this.#check(addr, 4, "write");
    this.#pageFor(no, true)!.setUint32(off, v, true);
  }

  /** Writes a little-endian 64-bit word (see `word.ts` for its representation). */
  write64(addr: number, value: number): void {
    const no = Math.floor(addr / PAGE_SIZE), off = addr - no * PAGE_SIZE;
    const [hi, lo] = splitWord64(value);
    if (off > PAGE_SIZE - 8) {
      this.#check(addr, 8, "write");
      this.write32(addr, lo);
      this.write32(addr + 4, hi);
      return;
    }
    this.#check(addr, 8, "write");
    const page = this.#pageFor(no, true)!;
    page.setUint32(off, lo, true);
    page.setUint32(off + 4, hi, true);
  }

  /** Reads `length` bytes. */
  readBytes(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (length === 0) return out;
    this.#check(addr, length, "read");
    let done = 0;
    while (done < length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const page = this.#pages.get(no);
      if (page) out.set(new Uint8Array(page.buffer, off, n), done);
      done += n;
    }
    return out;
  }

  /** Writes bytes. */
  writeBytes(addr: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#check(addr, bytes.length, "write");
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      new Uint8Array(this.#pageFor(no, true)!.buffer, off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }

  /** Sets `length` bytes to `value` (memset). Untouched pages set to zero stay untouched. */
  fill(addr: number, length: number, value: number): void {
    if (length === 0) return;
    this.#check(addr, length, "write");
    let done = 0;
    while (done < length) {
      const a = addr + done;
      const no = Math.floor(a / PAGE_SIZE), off = a - no * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const page = this.#pageFor(no, value !== 0);
      if (page) new Uint8Array(page.buffer, off, n).fill(value & 0xff);
      done += n;
    }
  }

  /** Copies `length` bytes from `src` to `dst` (memmove). */
  copy(dst: number, src: number, length: number): void {
    this.writeBytes(dst, this.readBytes(src, length));
  }
}
