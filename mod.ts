/**
 * heaplab: how a Linux process gets its memory, simulated byte for byte — the kernel side
 * (brk, sbrk, mmap, munmap, mprotect, thread stacks, /proc/PID/maps) and glibc's ptmalloc2 on
 * top of it, checked against real glibc 2.31, 2.36 and 2.41 on i386 and x86_64.
 *
 * @example The seed's mmap/munmap example on the seed material's 32-bit machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "./mod.ts";
 *
 * const proc = new Process({ layout: "seed-i386", program: "mmap" });
 * const addr = proc.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
 * assert.equal(proc.maps().split("\n")[3], "b7e00000-b7e22000 rw-p 00000000 00:00 0 ");
 * assert.equal(proc.sys.munmap(addr, 132 * 1024), 0);
 * ```
 *
 * @example Replaying a heap trace in the oracle's format
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayTrace } from "./mod.ts";
 * const { output } = replayTrace("rawmaps\nsbrk 0 +4096\nrawmaps\n", { arch: "x86_64" });
 * assert.ok(output.includes("\n2 sbrk 0 +4096 -> 0x0\n"));
 * ```
 *
 * @module
 */

export * from "./src/core.ts";
export * from "./src/view/mod.ts";
