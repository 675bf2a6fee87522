/**
 * Arguments: every public function checks its arguments once, at its entry. What C can pass is
 * converted as C converts it (`(size_t) -1` is the largest word, on i386 whether written -1 or
 * 0xffffffff) and gives what glibc gives; what C cannot pass (NaN, fractions, strings, values
 * wider than the word) is an ArgumentTypeError or ArgumentRangeError naming argument and value.
 */
import assert from "node:assert/strict";
import {
  Allocator,
  ArgumentRangeError,
  ArgumentTypeError,
  Errno,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  Process,
  PROT_READ,
  PROT_WRITE,
} from "../../mod.ts";

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const builds = [
  ["i386", "2.23"],
  ["i386", "2.36"],
  ["x86_64", "2.27"],
  ["x86_64", "2.41"],
] as const;

/** Values C cannot pass as an integer argument, and the error each is. */
const notIntegers: [unknown, string][] = [
  [NaN, "ArgumentRangeError"],
  [Infinity, "ArgumentRangeError"],
  [-Infinity, "ArgumentRangeError"],
  [1.5, "ArgumentRangeError"],
  [2 ** 70, "ArgumentRangeError"],
  ["12", "ArgumentTypeError"],
  [null, "ArgumentTypeError"],
  [undefined, "ArgumentTypeError"],
  [{}, "ArgumentTypeError"],
];

function fresh(arch: "i386" | "x86_64", glibc: string) {
  const proc = new Process({ layout: arch });
  return { proc, libc: new Allocator(proc, { glibc }) };
}

Deno.test("size_t arguments that C cannot pass are typed errors naming the argument", () => {
  for (const [arch, glibc] of builds) {
    const { libc } = fresh(arch, glibc);
    const calls: [string, (v: number) => unknown][] = [
      ["size", (v) => libc.malloc(v)],
      ["ptr", (v) => libc.free(v)],
      ["count", (v) => libc.calloc(v, 1)],
      ["size", (v) => libc.realloc(0, v)],
      ["alignment", (v) => libc.memalign(v, 16)],
      ["alignment", (v) => libc.posixMemalign(v, 16)],
      ["size", (v) => libc.alignedAlloc(16, v)],
      ["size", (v) => libc.valloc(v)],
      ["size", (v) => libc.pvalloc(v)],
      ["ptr", (v) => libc.usableSize(v)],
      ["pad", (v) => libc.mallocTrim(v)],
      ["value", (v) => libc.mallopt(1, v)],
    ];
    for (const [argument, call] of calls) {
      for (const [value, name] of notIntegers) {
        assert.throws(() => call(value as number), (e: Error) => {
          assert.equal(e.name, name, `${argument}=${String(value)}`);
          assert.ok(e instanceof (name === "ArgumentTypeError" ? TypeError : RangeError));
          assert.equal((e as ArgumentTypeError).argument, argument);
          return true;
        });
      }
    }
    libc.checkArena();
    // A bigint is a word too.
    const p = libc.malloc(24n as unknown as number);
    assert.ok(p > 0);
    libc.free(BigInt(p) as unknown as number);
    libc.checkArena();
  }
});

Deno.test("(size_t) -1 gives NULL with ENOMEM on every build, as -1 and as the unsigned word", () => {
  // glibc: a request above PTRDIFF_MAX fails with ENOMEM before any chunk is carved.
  for (const [arch, glibc] of builds) {
    const { proc, libc } = fresh(arch, glibc);
    const max = arch === "i386" ? 0xffff_ffff : -1;
    for (const size of [-1, max, -16, arch === "i386" ? 0xffff_fff0 : 2 ** 63]) {
      proc.currentThread.errno = 0;
      assert.equal(libc.malloc(size), 0, `${arch} ${glibc} malloc(${size})`);
      assert.equal(proc.currentThread.errno, Errno.ENOMEM);
      assert.equal(libc.calloc(size, 1), 0);
      assert.equal(libc.realloc(0, size), 0);
      assert.equal(libc.valloc(size), 0);
      assert.equal(libc.pvalloc(size), 0);
    }
    // calloc's product overflows the word: NULL, ENOMEM.
    const half = arch === "i386" ? 0x10000 : 2 ** 32;
    assert.equal(libc.calloc(half, half), 0);
    // An alignment of (size_t) -1 is EINVAL.
    proc.currentThread.errno = 0;
    assert.equal(libc.memalign(-1, 16), 0);
    assert.equal(proc.currentThread.errno, Errno.EINVAL);
    assert.deepEqual(libc.posixMemalign(3, 16), { error: Errno.EINVAL, pointer: 0 });
    libc.checkArena();
  }
});

Deno.test("malloc_trim with a NaN pad is refused before it touches the arena", () => {
  const { libc } = fresh("x86_64", "2.36");
  libc.free(libc.malloc(200000));
  assert.throws(() => libc.mallocTrim(NaN), ArgumentRangeError);
  libc.checkArena();
  assert.equal(libc.mallocTrim(-1), 0); // pad (size_t) -1: nothing can be trimmed
  libc.checkArena();
});

Deno.test("system call arguments are words: NaN and strings are typed errors, -1 is the top word", () => {
  for (const arch of ["i386", "x86_64"] as const) {
    const p = new Process({ layout: arch });
    const maps = p.maps();
    for (const [value, name] of notIntegers) {
      const v = value as number;
      assert.throws(() => p.sys.brk(v), { name });
      assert.throws(() => p.sys.mmap(0, v, RW, ANON), { name });
      assert.throws(() => p.sys.mmap(v, 4096, RW, ANON), { name });
      assert.throws(() => p.sys.munmap(v, 4096), { name });
      assert.throws(() => p.sys.mprotect(0x10000, 4096, v), { name });
      assert.throws(() => p.sys.mremap(0x10000, 4096, v, 0), { name });
      assert.throws(() => p.sbrk(v), { name });
    }
    assert.equal(p.maps(), maps, "no failed call changed the address space");
    assert.equal(p.syscalls.lastSeq, 0, "no failed call was logged");
    // C's conversions: brk(-1) is the top word, far above TASK_SIZE: the break stays.
    const brk = p.space.brk;
    assert.equal(p.sys.brk(-1), brk);
    assert.equal(p.sys.mmap(0, -1, RW, ANON), -Errno.ENOMEM);
    assert.equal(p.sys.munmap(-4096, 4096), -Errno.EINVAL);
    assert.equal(p.sys.mprotect(-4096, 4096, RW), -Errno.ENOMEM);
    assert.equal(p.sbrk(arch === "i386" ? -0x8000_0000 : -(2 ** 50)), p.words.max);
    assert.equal(p.currentThread.errno, Errno.ENOMEM);
    assert.ok(p.sys.mmap(-4096, 4096, RW, ANON) > 0, "a hint above TASK_SIZE is ignored");
  }
});

Deno.test("process and allocator options are checked with typed errors", () => {
  const bad: [Record<string, unknown>, string, string][] = [
    [{ layout: 64 }, "layout", "ArgumentTypeError"],
    [{ pid: 0 }, "pid", "ArgumentRangeError"],
    [{ pid: NaN }, "pid", "ArgumentRangeError"],
    [{ pid: "7" }, "pid", "ArgumentTypeError"],
    [{ threadIds: [5, 5] }, "threadIds[1]", "ArgumentRangeError"],
    [{ threadIds: [NaN] }, "threadIds[0]", "ArgumentRangeError"],
    [{ threadIds: 5 }, "threadIds", "ArgumentTypeError"],
    [{ stackLimit: -1 }, "stackLimit", "ArgumentRangeError"],
    [{ aslr: "yes" }, "aslr", "ArgumentTypeError"],
    [{ seed: 0.5 }, "seed", "ArgumentRangeError"],
    [{ arch: "arm" }, "arch", "ArgumentRangeError"],
    [{ maxMapCount: -5 }, "maxMapCount", "ArgumentRangeError"],
  ];
  for (const [options, argument, name] of bad) {
    assert.throws(() => new Process(options), { name, argument }, JSON.stringify(options));
  }
  assert.throws(() => new Process({ layout: "x86-64" }), { name: "LayoutError" });
  const proc = new Process();
  const badAlloc: [Record<string, unknown>, string, string][] = [
    [{ nprocs: 0 }, "nprocs", "ArgumentRangeError"],
    [{ nprocs: NaN }, "nprocs", "ArgumentRangeError"],
    [{ nprocs: 2.5 }, "nprocs", "ArgumentRangeError"],
    [{ glibc: 2.36 }, "glibc", "ArgumentTypeError"],
    [{ explain: 1 }, "explain", "ArgumentTypeError"],
    [{ stdioBuffers: "heap" }, "stdioBuffers", "ArgumentRangeError"],
    [{ mainArena: -8 }, "mainArena", "ArgumentRangeError"],
  ];
  for (const [options, argument, name] of badAlloc) {
    assert.throws(() => new Allocator(proc, options), { name, argument }, JSON.stringify(options));
  }
  assert.throws(() => new Allocator({} as Process), { name: "ArgumentTypeError" });
});

Deno.test("thread ids: a duplicate tid is refused, threads of another process are not ours", () => {
  const p = new Process();
  const t = p.pthreadCreate({ tid: 5000 });
  assert.throws(() => p.pthreadCreate({ tid: 5000 }), { name: "ArgumentRangeError" });
  assert.throws(() => p.pthreadCreate({ tid: NaN }), { name: "ArgumentRangeError" });
  assert.ok(!p.maps().includes("NaN"));
  const other = new Process();
  const u = other.pthreadCreate();
  // glibc cannot tell a foreign descriptor from a stale one: ESRCH.
  assert.equal(p.pthreadJoin(u), Errno.ESRCH);
  assert.throws(() => p.runOn(u, () => 0), { name: "ArgumentTypeError" });
  assert.equal(p.pthreadJoin(t), 0);
  // After the join the id is free again.
  assert.equal(p.pthreadCreate({ tid: 5000 }).tid, 5000);
});

Deno.test("chunkWalks takes an array of arena addresses, anything else a typed error", () => {
  const libc = new Allocator(new Process(), { glibc: "2.36" });
  libc.malloc(24);
  for (const bad of ["x", 5, [1.5], [Number.NaN], {}]) {
    assert.throws(() => libc.chunkWalks(bad as never), ArgumentTypeError, String(bad));
  }
  assert.equal(libc.chunkWalks().length, 1);
  assert.equal(libc.chunkWalks([libc.mainArena])[0].arena, libc.mainArena);
});
