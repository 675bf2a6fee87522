import assert from "node:assert/strict";
import { CProgram, MAP_ANONYMOUS, MAP_PRIVATE, Process, PROT_READ, PROT_WRITE } from "../../mod.ts";
import { addressSpaceChart, addressSpaceData } from "../../src/view/address_space_chart.ts";
import { breakChart, breakStep } from "../../src/view/break_chart.ts";
import { compileToVega, JUPYTER_DISPLAY, VEGA_LITE_V5_SCHEMA } from "../../src/view/chart.ts";
import { snapshotMaps } from "../../src/view/maps_snapshot.ts";
import { watchMaps } from "../../src/view/maps_watch.ts";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function busyProcess(layout: string): Process {
  const proc = new Process({ layout });
  proc.sbrk(0x21000);
  proc.sys.mmap(0, 2 * 1024 * 1024, RW, ANON);
  proc.pthreadCreate();
  return proc;
}

Deno.test("the address-space chart is vega-lite v5 that compiles, on 32- and 64-bit layouts", async () => {
  for (const layout of ["x86_64", "i386", "seed-i386"]) {
    const chart = addressSpaceChart(busyProcess(layout));
    assert.equal(chart.spec.$schema, VEGA_LITE_V5_SCHEMA);
    const vega = await compileToVega(chart.spec);
    assert.ok((vega.marks as unknown[]).length > 0, layout);
  }
});

Deno.test("the address-space chart breaks the axis: binary, mmap area and stack in their own rows", () => {
  const data = addressSpaceData(snapshotMaps(busyProcess("x86_64")));
  const groups = [...new Set(data.map((d) => d.group))];
  assert.equal(groups.length, 3);
  assert.match(groups[0], /^0x555555554000–/);
  assert.match(groups[2], /–0x7ffffffff000 \(132 KiB\)$/);
  assert.ok(data.every((d) => d.name !== "[vsyscall]"));
  // A 4 KiB guard page next to an 8 MiB stack is still drawn a visible width.
  const guard = data.find((d) => d.category === "guard")!;
  assert.ok(guard.drawEnd > guard.end);
});

Deno.test("the address-space chart draws an SVG with one bar per region", async () => {
  const proc = busyProcess("seed-i386");
  const bundle = await addressSpaceChart(proc)[JUPYTER_DISPLAY]();
  const bars = bundle["image/svg+xml"].match(/aria-roledescription="bar"/g) ?? [];
  assert.equal(bars.length, proc.regions().length);
  assert.match(bundle["text/html"], /<svg/);
});

Deno.test("breakStep measures heap size from start_brk and mmapped bytes beyond startup", () => {
  const proc = new Process({ layout: "seed-i386", program: "mmap" });
  assert.deepEqual(breakStep(proc, "start", 0), {
    step: 0,
    label: "start",
    brk: 0x804b000,
    heapSize: 0,
    mmapBytes: 0,
  });
  proc.sbrk(0x21000);
  const addr = proc.sys.mmap(0, 132 * 1024, RW, ANON); // merges with a startup page
  assert.equal(breakStep(proc, "both", 1).heapSize, 0x21000);
  assert.equal(breakStep(proc, "both", 1).mmapBytes, 132 * 1024);
  proc.sys.munmap(addr, 132 * 1024);
  assert.equal(breakStep(proc, "unmapped", 2).mmapBytes, 0);
});

Deno.test("breakStep counts a large program's .bss as neither heap nor mmapped memory", () => {
  const prog = new CProgram("char buf[0x10000]; int main(void) { return buf[0]; }");
  prog.run();
  const step = breakStep(prog.process, "end", 0);
  assert.equal(step.heapSize, 0);
  assert.equal(step.mmapBytes, 0);
});

Deno.test("the program-break chart compiles and has a point per step and series", async () => {
  const proc = new Process({ layout: "x86_64" });
  const watch = watchMaps(proc);
  for (let i = 0; i < 3; i++) {
    proc.sbrk(0x21000);
    watch.record(`sbrk #${i + 1}`);
  }
  const chart = watch.breakChart();
  const values = (chart.spec.data as { values: { KiB: number }[] }).values;
  assert.equal(values.length, 2 * 4);
  assert.deepEqual(values.filter((_, i) => i % 2 === 0).map((v) => v.KiB), [0, 132, 264, 396]);
  const vega = await compileToVega(chart.spec);
  assert.ok((vega.marks as unknown[]).length > 0);
  const svg = await chart.toSvg();
  assert.match(svg, /^<svg/);
});

Deno.test("breakChart takes steps built by hand", async () => {
  const chart = breakChart([
    { step: 1, label: "a", brk: 0x1000, heapSize: 0, mmapBytes: 4096 },
    { step: 2, label: "b", brk: 0x2000, heapSize: 4096, mmapBytes: 0 },
  ], { title: "by hand" });
  assert.equal(chart.spec.title, "by hand");
  await compileToVega(chart.spec);
});
