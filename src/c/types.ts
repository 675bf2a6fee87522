/**
 * C types with the sizes of the process's ABI: ILP32 on i386 (int, long and pointers 4 bytes,
 * `long long` 8, 8-byte scalars aligned to 4 inside structs) and LP64 on x86_64 (long and
 * pointers 8 bytes). Integer types are named by size and signedness; `char` is signed, as on
 * both ABIs.
 *
 * @module
 */

import { alignUp } from "../kernel/word.ts";

/** An integer type (char, short, int, long, long long, _Bool, enums). */
export interface IntType {
  readonly k: "int";
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  /** C spelling. */
  readonly name: string;
  /** `_Bool`: every store is 0 or 1. */
  readonly bool?: boolean;
}

/** float, double, long double. */
export interface FloatType {
  readonly k: "float";
  readonly size: 4 | 8 | 16;
  readonly name: string;
}

/** void. */
export interface VoidType {
  readonly k: "void";
}

/** A pointer. */
export interface PointerType {
  readonly k: "ptr";
  readonly to: CType;
}

/** An array (length undefined while incomplete). */
export interface ArrayType {
  readonly k: "array";
  readonly of: CType;
  readonly n: number | undefined;
}

/** A member of a struct or union. */
export interface Field {
  readonly name: string;
  readonly type: CType;
  readonly offset: number;
  /** Bit-field width and bit offset, when a bit-field. */
  readonly bits?: number;
  readonly bitOffset?: number;
}

/** A struct or union; complete once `fields` is set. */
export interface StructType {
  readonly k: "struct";
  readonly union: boolean;
  readonly tag: string;
  fields: Field[] | undefined;
  size: number;
  align: number;
}

/** A function type. */
export interface FunctionType {
  readonly k: "fn";
  readonly ret: CType;
  readonly params: readonly CType[];
  readonly variadic: boolean;
  /** Declared with an empty parameter list `()`: any arguments. */
  readonly unprototyped: boolean;
}

/** Any C type. */
export type CType =
  | IntType
  | FloatType
  | VoidType
  | PointerType
  | ArrayType
  | StructType
  | FunctionType;

/** The ABI of a process. */
export interface Abi {
  readonly arch: "i386" | "x86_64";
  /** Pointer (and long) size. */
  readonly ptrSize: 4 | 8;
  readonly types: AbiTypes;
}

/** The named types of an ABI. */
export interface AbiTypes {
  readonly void: VoidType;
  readonly bool: IntType;
  readonly char: IntType;
  readonly schar: IntType;
  readonly uchar: IntType;
  readonly short: IntType;
  readonly ushort: IntType;
  readonly int: IntType;
  readonly uint: IntType;
  readonly long: IntType;
  readonly ulong: IntType;
  readonly llong: IntType;
  readonly ullong: IntType;
  readonly float: FloatType;
  readonly double: FloatType;
  readonly ldouble: FloatType;
  /** size_t. */
  readonly size: IntType;
  /** ssize_t / ptrdiff_t / intptr_t. */
  readonly ssize: IntType;
}

function int(size: 1 | 2 | 4 | 8, signed: boolean, name: string): IntType {
  return { k: "int", size, signed, name };
}

function makeAbi(arch: "i386" | "x86_64"): Abi {
  const p = arch === "x86_64" ? 8 : 4;
  const long = int(p, true, "long");
  const ulong = int(p, false, "unsigned long");
  const types: AbiTypes = {
    void: { k: "void" },
    bool: { k: "int", size: 1, signed: false, name: "_Bool", bool: true },
    char: int(1, true, "char"),
    schar: int(1, true, "signed char"),
    uchar: int(1, false, "unsigned char"),
    short: int(2, true, "short"),
    ushort: int(2, false, "unsigned short"),
    int: int(4, true, "int"),
    uint: int(4, false, "unsigned int"),
    long,
    ulong,
    llong: int(8, true, "long long"),
    ullong: int(8, false, "unsigned long long"),
    float: { k: "float", size: 4, name: "float" },
    double: { k: "float", size: 8, name: "double" },
    ldouble: { k: "float", size: 16, name: "long double" },
    size: arch === "x86_64" ? ulong : int(4, false, "unsigned int"),
    ssize: arch === "x86_64" ? long : int(4, true, "int"),
  };
  return { arch, ptrSize: p, types };
}

/** LP64 (x86_64). */
export const LP64: Abi = makeAbi("x86_64");
/** ILP32 (i386). */
export const ILP32: Abi = makeAbi("i386");

/** The ABI of an architecture. */
export function abiOf(arch: "i386" | "x86_64"): Abi {
  return arch === "x86_64" ? LP64 : ILP32;
}

/** sizeof. Throws on incomplete types (the caller adds the line). */
export function sizeOf(t: CType, abi: Abi): number {
  switch (t.k) {
    case "int":
      return t.size;
    case "float":
      return t.size === 16 ? (abi.ptrSize === 8 ? 16 : 12) : t.size;
    case "void":
      return 1; // GNU: sizeof(void) == 1, and void* arithmetic steps by one.
    case "ptr":
      return abi.ptrSize;
    case "array":
      return (t.n ?? 0) * sizeOf(t.of, abi);
    case "struct":
      if (!t.fields) throw new Error(`incomplete type 'struct ${t.tag}'`);
      return t.size;
    case "fn":
      return 1;
  }
}

/** _Alignof. i386 aligns 8-byte scalars to 4 inside structs (and long double to 4). */
export function alignOf(t: CType, abi: Abi): number {
  switch (t.k) {
    case "int":
      return abi.ptrSize === 4 && t.size === 8 ? 4 : t.size;
    case "float":
      if (t.size === 16) return abi.ptrSize === 8 ? 16 : 4;
      return abi.ptrSize === 4 && t.size === 8 ? 4 : t.size;
    case "void":
    case "fn":
      return 1;
    case "ptr":
      return abi.ptrSize;
    case "array":
      return alignOf(t.of, abi);
    case "struct":
      return t.align;
  }
}

/** Lays out a struct or union's members (C11 6.7.2.1, the SysV ABI). */
export function layoutStruct(
  s: StructType,
  members: { name: string; type: CType; bits?: number; align?: number }[],
  abi: Abi,
  packed = false,
): void {
  let offset = 0;
  let align = 1;
  let size = 0;
  const fields: Field[] = [];
  let bitPos = 0; // bit position inside the current storage unit run
  for (const m of members) {
    const a = packed ? 1 : Math.max(m.align ?? 1, alignOf(m.type, abi));
    const sz = sizeOf(m.type, abi);
    if (m.bits !== undefined) {
      // Bit-fields: allocate within units of the declared type's size.
      const unitBits = sz * 8;
      if (s.union) {
        fields.push({ name: m.name, type: m.type, offset: 0, bits: m.bits, bitOffset: 0 });
        size = Math.max(size, sz);
      } else {
        let start = offset * 8 + bitPos;
        const unitStart = Math.floor(start / unitBits) * unitBits;
        if (m.bits === 0 || start + m.bits > unitStart + unitBits) {
          start = alignUp(start, unitBits);
        }
        if (m.bits > 0) {
          const unitOffset = Math.floor(start / unitBits) * (unitBits / 8);
          fields.push({
            name: m.name,
            type: m.type,
            offset: unitOffset,
            bits: m.bits,
            bitOffset: start - unitOffset * 8,
          });
        }
        const end = start + m.bits;
        offset = Math.floor(end / 8);
        bitPos = end % 8;
        size = Math.max(size, Math.ceil(end / 8));
      }
      align = Math.max(align, a);
      continue;
    }
    if (bitPos) {
      offset++;
      bitPos = 0;
    }
    if (s.union) {
      fields.push({ name: m.name, type: m.type, offset: 0 });
      size = Math.max(size, sz);
    } else {
      offset = alignUp(offset, a);
      fields.push({ name: m.name, type: m.type, offset });
      offset += sz;
      size = offset;
    }
    align = Math.max(align, a);
  }
  if (bitPos) size = Math.max(size, offset + 1);
  s.fields = fields;
  s.align = align;
  s.size = alignUp(size, align);
}

/** The C spelling of a type, with an optional declarator name (`int *p`, `char buf[16]`). */
export function typeName(t: CType, name = ""): string {
  const sp = (s: string) => (s === "" ? "" : s.startsWith("*") || s.startsWith("(") ? s : s);
  switch (t.k) {
    case "int":
    case "float":
      return name ? `${t.name} ${name}` : t.name;
    case "void":
      return name ? `void ${name}` : "void";
    case "struct": {
      const base = `${t.union ? "union" : "struct"} ${t.tag}`;
      return name ? `${base} ${name}` : base;
    }
    case "ptr": {
      const inner = t.to.k === "array" || t.to.k === "fn" ? `(*${name})` : `*${name}`;
      return typeName(t.to, sp(inner));
    }
    case "array":
      return typeName(t.of, `${name}[${t.n ?? ""}]`);
    case "fn": {
      const ps = t.params.map((p) => typeName(p)).join(", ") +
        (t.variadic ? ", ..." : "");
      return typeName(t.ret, `${name}(${ps || (t.unprototyped ? "" : "void")})`);
    }
  }
}

/** True for integer and floating types. */
export function isArithmetic(t: CType): boolean {
  return t.k === "int" || t.k === "float";
}

/** True for arithmetic and pointer types. */
export function isScalar(t: CType): boolean {
  return t.k === "int" || t.k === "float" || t.k === "ptr";
}

/** Integer promotion (C11 6.3.1.1): everything narrower than int becomes int. */
export function promote(t: CType, abi: Abi): CType {
  if (t.k === "int" && t.size < 4) return abi.types.int;
  return t;
}

/** The usual arithmetic conversions (C11 6.3.1.8) of two arithmetic types. */
export function commonType(a: CType, b: CType, abi: Abi): CType {
  if (a.k === "float" || b.k === "float") {
    const fa = a.k === "float" ? a.size : 0, fb = b.k === "float" ? b.size : 0;
    return fa >= fb ? a : b;
  }
  const x = promote(a, abi) as IntType, y = promote(b, abi) as IntType;
  if (x.size === y.size) {
    if (x.signed === y.signed) return rank(x) >= rank(y) ? x : y;
    return x.signed ? y : x;
  }
  // Different sizes: the wider one wins (it can represent every value of the narrower).
  return x.size > y.size ? x : y;
}

function rank(t: IntType): number {
  // long long above long even when both are 8 bytes (its name shows in messages only).
  return t.size * 2 + (t.name.includes("long long") ? 1 : 0);
}
