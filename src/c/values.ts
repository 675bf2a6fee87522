/**
 * Loads and stores of C objects in the simulated memory, by type: integers of 1, 2, 4 and 8
 * bytes (8-byte values exact, see `integer.ts`), pointers, float and double (their IEEE bits in
 * memory), and structs as byte copies. Every access goes through the process's `Memory`, so it
 * is checked against page protections and faults as the kernel's `SegmentationFault`.
 *
 * @module
 */

import type { Memory } from "../kernel/memory.ts";
import { fromHalves, halves, type Int } from "./integer.ts";
import { type Abi, type CType, sizeOf } from "./types.ts";

/** A C value: an integer or pointer (`Int`), a floating value (number), a struct's bytes. */
export type Value = Int | Uint8Array;

/** Reads an object of a type at an address. */
export type Load = (addr: number) => Value;
/** Writes an object of a type at an address. */
export type Store = (addr: number, v: Value) => void;

const MAX = Number.MAX_SAFE_INTEGER;
const TWO64 = 2n ** 64n;
const f32 = new Float32Array(1);
const u32f = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u32d = new Uint32Array(f64.buffer);

/** The load function of a type. */
export function loader(t: CType, mem: Memory, abi: Abi): Load {
  switch (t.k) {
    case "int":
      switch (t.size) {
        case 1:
          return t.signed ? (a) => (mem.read8(a) << 24) >> 24 : (a) => mem.read8(a);
        case 2:
          return t.signed ? (a) => (mem.read16(a) << 16) >> 16 : (a) => mem.read16(a);
        case 4:
          return t.signed ? (a) => mem.read32(a) | 0 : (a) => mem.read32(a);
        default:
          return load64(mem, t.signed);
      }
    case "ptr":
      return abi.ptrSize === 8 ? load64(mem, false) : (a) => mem.read32(a);
    case "float":
      if (t.size === 4) {
        return (a) => {
          u32f[0] = mem.read32(a);
          return f32[0];
        };
      }
      return (a) => {
        u32d[0] = mem.read32(a);
        u32d[1] = mem.read32(a + 4);
        return f64[0];
      };
    case "struct":
    case "array": {
      const n = sizeOf(t, abi);
      return (a) => mem.readBytes(a, n);
    }
    default:
      return () => 0;
  }
}

function load64(mem: Memory, signed: boolean): Load {
  return (a) => {
    const x = mem.read64(a);
    if (x >= 0) {
      if (x <= MAX) return x;
    } else if (x >= -MAX) return signed ? x : BigInt(x) + TWO64;
    return fromHalves(mem.read32(a + 4), mem.read32(a), signed);
  };
}

/** The store function of a type. */
export function storer(t: CType, mem: Memory, abi: Abi): Store {
  switch (t.k) {
    case "int":
      switch (t.size) {
        case 1:
          return (a, v) => mem.write8(a, (v as number) & 0xff);
        case 2:
          return (a, v) => mem.write16(a, (v as number) & 0xffff);
        case 4:
          return (a, v) => mem.write32(a, v as number);
        default:
          return store64(mem);
      }
    case "ptr":
      return abi.ptrSize === 8 ? store64(mem) : (a, v) => mem.write32(a, v as number);
    case "float":
      if (t.size === 4) {
        return (a, v) => {
          f32[0] = v as number;
          mem.write32(a, u32f[0]);
        };
      }
      return (a, v) => {
        f64[0] = v as number;
        mem.checkAccess(a, 8, "write");
        mem.write32(a, u32d[0]);
        mem.write32(a + 4, u32d[1]);
      };
    case "struct":
    case "array":
      return (a, v) => mem.writeBytes(a, v as Uint8Array);
    default:
      return () => {};
  }
}

function store64(mem: Memory): Store {
  return (a, v) => {
    if (typeof v === "number") mem.write64(a, v);
    else {
      const [hi, lo] = halves(v as bigint);
      mem.checkAccess(a, 8, "write");
      mem.write32(a, lo);
      mem.write32(a + 4, hi);
    }
  };
}

/** A value as a JavaScript number: a 64-bit integer read as signed (a pointer, a size, an int). */
export function numberOf(v: Value): number {
  return typeof v === "number" ? v : Number(BigInt.asIntN(64, v as bigint));
}
