// The seed's per-thread arena program, verbatim, run on the seed's machine: at each getchar()
// its output and /proc/PID/maps equal the seed document's transcript.
import assert from "node:assert/strict";
import { Allocator, CProgram, Process } from "../../mod.ts";

const SOURCE = Deno.readTextFileSync(new URL("../fixtures/c/seed_mthread.c", import.meta.url));
const BINARY = [
  "08048000-08049000 r-xp 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
  "08049000-0804a000 r--p 00000000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
  "0804a000-0804b000 rw-p 00001000 08:01 539625     /home/sploitfun/ptmalloc.ppt/mthread/mthread",
];
const HEAP = "0804b000-0806c000 rw-p 00000000 00:00 0          [heap]";
const STDIO = "b7e05000-b7e07000 rw-p 00000000 00:00 0";
const ARENA = [
  "b7500000-b7521000 rw-p 00000000 00:00 0",
  "b7521000-b7600000 ---p 00000000 00:00 0",
];
const STACK = [
  "b7604000-b7605000 ---p 00000000 00:00 0",
  "b7605000-b7e07000 rw-p 00000000 00:00 0          [stack:6594]",
];
// The seed's transcript: what the terminal showed at each pause, and the maps lines printed.
const PAUSES: { stdout: string[]; maps: string[] }[] = [
  {
    stdout: ["Welcome to per thread arena example::6501", "Before malloc in main thread"],
    maps: [...BINARY, STDIO],
  },
  { stdout: ["After malloc and before free in main thread"], maps: [...BINARY, HEAP, STDIO] },
  { stdout: ["After free in main thread"], maps: [...BINARY, HEAP, STDIO] },
  { stdout: ["Before malloc in thread 1"], maps: [...BINARY, HEAP, ...STACK] },
  {
    stdout: ["After malloc and before free in thread 1"],
    maps: [...BINARY, HEAP, ...ARENA, ...STACK],
  },
  { stdout: ["After free in thread 1"], maps: [...BINARY, HEAP, ...ARENA, ...STACK] },
];

function start() {
  const process = new Process({ layout: "seed-i386", program: "mthread" });
  const allocator = new Allocator(process, { glibc: "2.23" });
  return new CProgram(SOURCE, {
    process,
    allocator,
    file: "mthread.c",
    programName: "./mthread",
    gccBuiltins: false, // the oracle's build.sh builds with -fno-builtin
  });
}

Deno.test("the seed's per-thread arena program pauses at each getchar() with the seed's output and maps", () => {
  const prog = start();
  assert.equal(prog.warnings.length, 5); // the five #include lines without a name
  let all = "";
  for (const [i, pause] of PAUSES.entries()) {
    const r = prog.run();
    assert.equal(r.state, "paused", `pause ${i + 1}`);
    assert.equal(r.newStdout, pause.stdout.map((l) => l + "\n").join(""), `pause ${i + 1}`);
    all += r.newStdout;
    assert.equal(r.stdout, all);
    const maps = prog.process.maps().split("\n").map((l) => l.trimEnd());
    assert.deepEqual(maps.slice(0, pause.maps.length), pause.maps, `pause ${i + 1}`);
    prog.feed("\n");
  }
  const end = prog.run();
  assert.equal(end.state, "exited");
  assert.equal(end.exitStatus, 0);
  assert.ok(prog.done);
});

Deno.test("the seed's program pauses in the thread at its getchar() lines", () => {
  const prog = start();
  const lines: number[] = [];
  while (!prog.done) {
    const r = prog.run();
    if (r.state === "paused") lines.push(r.line);
    prog.feed("\n");
  }
  assert.deepEqual(lines, [24, 27, 30, 9, 12, 15]);
});
