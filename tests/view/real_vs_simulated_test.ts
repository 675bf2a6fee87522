import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, type Process, PROT_READ, PROT_WRITE } from "../../mod.ts";
import type { Allocator } from "../../src/malloc/allocator.ts";
import { Notice } from "../../src/view/notice.ts";
import { parseRunOutput } from "../../src/host/real_run.ts";
import { findToolchain, RealRun, runRealProgram, Toolchain } from "../../src/view/real_run.ts";
import { RealVsSimulated, simulateFromMaps } from "../../src/view/real_vs_simulated.ts";

const FIXTURES = new URL("../fixtures/real_maps/", import.meta.url);

/** The recorded runs of one program: one per build and ASLR setting. */
function recordedRuns(arch: "x86_64" | "i386", program: string): Map<string, RealRun> {
  const text = Deno.readTextFileSync(new URL(`${arch}/${program}.txt`, FIXTURES));
  const runs = new Map<string, RealRun>();
  for (const section of text.split(/^########## /m).slice(1)) {
    const [head, ...rest] = section.split("\n");
    // Sections are separated by a blank line, which is not part of the program's output.
    runs.set(head, new RealRun(program, arch, head, rest.join("\n").replace(/\n+$/, "\n")));
  }
  return runs;
}

const SBRK_STEPS = [
  (p: Process) => p.sbrk(0),
  (p: Process) => p.sys.brk(p.sbrk(0) + 4096),
  (p: Process) => p.sys.brk(p.sbrk(0) - 4096),
];

function mmapSteps() {
  let addr = 0;
  return [
    () => {},
    (p: Process) => {
      addr = p.sys.mmap(0, 132 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    },
    (p: Process) => p.sys.munmap(addr, 132 * 1024),
  ];
}

Deno.test("parseRunOutput splits a program's own lines from its maps dumps", () => {
  const run = recordedRuns("x86_64", "sbrk").get("build=pie ASLR=off")!;
  assert.deepEqual(run.printed, [
    "Welcome to sbrk example:31916",
    "Program Break Location1:0x55555557a000",
    "Program break Location2:0x55555557b000",
    "Program Break Location3:0x55555557a000",
  ]);
  assert.deepEqual(run.dumps.map((d) => d.label), [
    "Program Break Location1",
    "Program break Location2 (after brk(+4096))",
    "Program Break Location3 (after brk back)",
  ]);
  assert.equal(run.dumps[0].maps.split("\n").length, 25);
  assert.deepEqual(parseRunOutput("no dumps\n"), { printed: ["no dumps"], dumps: [] });
});

Deno.test("simulateFromMaps re-creates the stdio [heap] with brk, so brk can grow it", () => {
  const run = recordedRuns("x86_64", "sbrk").get("build=pie ASLR=off")!;
  const proc = simulateFromMaps(run.dumps[0].maps);
  assert.equal(proc.maps(), run.dumps[0].maps);
  assert.equal(proc.sbrk(0), 0x55555557a000);
  assert.equal(proc.space.startBrk, 0x555555559000);
  assert.deepEqual(proc.syscalls.all().map((r) => r.name), ["brk"]);
});

for (const arch of ["x86_64", "i386"] as const) {
  for (const build of ["pie", "nopie"]) {
    Deno.test(`the recorded ${arch} ${build} runs (ASLR off) replay identically, step by step`, () => {
      for (const [program, steps] of [["sbrk", SBRK_STEPS], ["mmap", mmapSteps()]] as const) {
        const run = recordedRuns(arch, program).get(`build=${build} ASLR=off`)!;
        const pair = new RealVsSimulated(run);
        for (const step of steps) {
          const cmp = pair.step(step);
          assert.ok(!(cmp instanceof Notice), String(cmp));
          assert.ok(cmp.identical, `${program}:\n${cmp}`);
        }
        const extra = pair.step(() => {});
        assert.ok(extra instanceof Notice);
        assert.equal(extra.toString(), "Skipped: the real program printed only 3 maps");
      }
    });
  }
}

Deno.test("without gcc every step is skipped with the reason, and nothing throws", async () => {
  const none = new Toolchain({ machine: "x86_64" });
  assert.equal(
    none.toString(),
    "Skipped: gcc and setarch are not installed (Debian: apt-get install gcc util-linux), " +
      "so the real programs cannot be built and run",
  );
  const run = await runRealProgram("sbrk", { toolchain: none });
  assert.ok(run instanceof Notice);
  const pair = new RealVsSimulated(run);
  assert.equal(pair.simulated, undefined);
  assert.ok(pair.step(() => assert.fail("must not run")) instanceof Notice);
  assert.ok(pair.summary() instanceof Notice);
});

Deno.test({
  name: "a real run of the sbrk example (when gcc and setarch work here) replays identically",
  ignore: !(await findToolchain()).ok,
  async fn() {
    const run = await runRealProgram("sbrk");
    if (run instanceof Notice) {
      console.log(`Not checked: ${run}`);
      return;
    }
    const pair = new RealVsSimulated(run);
    for (const step of SBRK_STEPS) {
      const cmp = pair.step(step);
      assert.ok(!(cmp instanceof Notice) && cmp.identical, String(cmp));
    }
  },
});

Deno.test("the real run's maps show as tables marked with each step's changes, and as a chart", async () => {
  const run = recordedRuns("x86_64", "mmap").get("build=pie ASLR=off")!;
  const pair = new RealVsSimulated(run);
  const table = pair.realTable(1);
  assert.ok(!(table instanceof Notice));
  assert.equal(table.toString(), run.dumps[1].maps);
  const grown = table.changes.filter((c) => c.change !== "same");
  assert.deepEqual(grown.map((c) => [c.change, c.row.start, c.delta]), [[
    "grown",
    0x7ffff7db0000,
    132 * 1024,
  ]]);
  assert.ok(pair.realTable(3) instanceof Notice);
  const chart = pair.realChart(1);
  assert.ok(!(chart instanceof Notice));
  await chart.toSvg();
  assert.equal(pair.printedLine("mmap returned"), "mmap returned 0x7ffff7db0000 (132 KiB)");
  assert.equal(pair.printedLine("nothing like this"), '(no line "nothing like this…")');
});

for (const arch of ["x86_64", "i386"] as const) {
  Deno.test(`the recorded ${arch} mthread run replays identically with the simulated glibc 2.36`, () => {
    const run = recordedRuns(arch, "mthread").get("build=pie ASLR=off")!;
    const pair = new RealVsSimulated(run, { glibc: "2.36" });
    const threads: ReturnType<Process["pthreadCreate"]>[] = [];
    let main = 0, other = 0;
    const steps = [
      () => {},
      (_: Process, heap: Allocator) => {
        main = heap.malloc(1000);
      },
      (_: Process, heap: Allocator) => heap.free(main),
      (p: Process) => threads.push(p.pthreadCreate()),
      (p: Process, heap: Allocator) =>
        p.runOn(threads[0], () => {
          other = heap.malloc(1000);
        }),
      (p: Process, heap: Allocator) => p.runOn(threads[0], () => heap.free(other)),
    ];
    for (const step of steps) {
      const cmp = pair.step(step);
      assert.ok(!(cmp instanceof Notice) && cmp.identical, String(cmp));
    }
    const printed = run.printed.join("\n");
    assert.ok(printed.includes(`malloc(1000) = 0x${main.toString(16)}, sbrk(0)`), printed);
    assert.ok(printed.includes(`malloc(1000) = 0x${other.toString(16)})`), printed);
  });
}

Deno.test("a glibc version heaplab does not simulate skips the replay with the reason", () => {
  const run = recordedRuns("x86_64", "mthread").get("build=pie ASLR=off")!;
  const pair = new RealVsSimulated(run, { glibc: "1.0" });
  const skipped = pair.step(() => assert.fail("must not run"));
  assert.ok(skipped instanceof Notice);
  assert.match(String(skipped), /^Skipped: this machine's glibc is not simulated: Unknown glibc/);
});

Deno.test("a pair made without glibc says so when a step uses the allocator", () => {
  const run = recordedRuns("x86_64", "sbrk").get("build=pie ASLR=off")!;
  const pair = new RealVsSimulated(run);
  assert.throws(() => pair.step((_, heap) => heap.malloc(1)), /make it with \{ glibc \}/);
});
