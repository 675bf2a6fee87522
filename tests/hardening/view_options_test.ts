/**
 * Bad view options are clear errors: every public view checks what a notebook passes it at its
 * entry — a wrong type, NaN, Infinity, a fraction or a negative count, an unknown option name, a
 * value outside a fixed set — and throws an ArgumentTypeError (a TypeError) or an
 * ArgumentRangeError (a RangeError) naming the option and showing the value. Good options still
 * render, with text/plain.
 */
import assert from "node:assert/strict";
import { CProgram } from "../../src/c/program.ts";
import { diff } from "../../src/history/diff.ts";
import { History } from "../../src/history/history.ts";
import { heapState } from "../../src/history/state.ts";
import { ArgumentRangeError, ArgumentTypeError } from "../../src/kernel/errors.ts";
import { Process } from "../../src/kernel/process.ts";
import { Allocator } from "../../src/malloc/allocator.ts";
import { addressSpaceChart, addressSpaceData } from "../../src/view/address_space_chart.ts";
import { binsTable } from "../../src/view/bins_view.ts";
import { breakChart, breakStep } from "../../src/view/break_chart.ts";
import { cProgramView } from "../../src/view/c_program_view.ts";
import { Chart, chart, JUPYTER_DISPLAY } from "../../src/view/chart.ts";
import { compareProgram } from "../../src/view/compare_program.ts";
import { compareScenario } from "../../src/view/compare_scenario.ts";
import { compareTrace } from "../../src/view/compare_trace.ts";
import { dataTable } from "../../src/view/data_table.ts";
import { diffView } from "../../src/view/diff_view.ts";
import { explainCall, explainView } from "../../src/view/explain_view.ts";
import { heapLog, replayWithLog } from "../../src/view/heap_charts.ts";
import { heapView } from "../../src/view/heap_view.ts";
import { historyView } from "../../src/view/history_view.ts";
import { libcStateTable } from "../../src/view/libc_state_view.ts";
import { compareMaps, compareMapsLines } from "../../src/view/maps_compare.ts";
import { diffMaps } from "../../src/view/maps_diff.ts";
import { snapshotFromText, snapshotMaps } from "../../src/view/maps_snapshot.ts";
import { mapsTable } from "../../src/view/maps_table.ts";
import { watchMaps } from "../../src/view/maps_watch.ts";
import { Notice } from "../../src/view/notice.ts";
import { RealVsSimulated, simulateFromMaps } from "../../src/view/real_vs_simulated.ts";
import { seedCheck } from "../../src/view/seed_check.ts";
import { stepView } from "../../src/view/step_view.ts";
import { syscallTable } from "../../src/view/syscall_table.ts";

function setup() {
  const proc = new Process({ layout: "x86_64" });
  const libc = new Allocator(proc, { glibc: "2.36" });
  const history = new History(libc);
  const before = heapState(libc, "before");
  const a = libc.malloc(24);
  libc.malloc(40);
  libc.free(a);
  return { proc, libc, history, change: diff(before, heapState(libc, "after")) };
}

const MAPS = "00400000-00401000 r-xp 00000000 08:01 1 /bin/prog\n";

/** One bad value: the call, the error class, and the option the error must name. */
type Probe = [string, () => unknown, typeof ArgumentTypeError | typeof ArgumentRangeError, string];

function probes(): Probe[] {
  const { proc, libc, history, change } = setup();
  const snap = snapshotMaps(proc, "now");
  const log = heapLog(libc);
  const watch = watchMaps(proc);
  const prog = new CProgram("int main(void) { return 0; }\n", { glibc: "2.36" });
  const step = breakStep(proc, "start", 0);
  const T = ArgumentTypeError, R = ArgumentRangeError;
  return [
    ["heapView options", () => heapView(libc, 5 as never), T, "options"],
    ["heapView unknown", () => heapView(libc, { byte: 8 } as never), R, "options.byte"],
    ["addressSpaceChart width NaN", () => addressSpaceChart(proc, { width: NaN }), R, "width"],
    [
      "addressSpaceChart gap string",
      () => addressSpaceChart(snap, { gap: "1" as never }),
      T,
      "gap",
    ],
    [
      "addressSpaceData minWidth",
      () => addressSpaceData(snap, { minWidth: Infinity }),
      R,
      "minWidth",
    ],
    [
      "addressSpaceChart unknown",
      () => addressSpaceChart(proc, { widht: 5 } as never),
      R,
      "options.widht",
    ],
    [
      "addressSpaceChart vsyscall",
      () => addressSpaceChart(proc, { includeVsyscall: 1 as never }),
      T,
      "includeVsyscall",
    ],
    ["binsTable arena", () => binsTable(libc, { arena: -1 }), R, "arena"],
    ["binsTable arena enum", () => binsTable(libc, { arena: "every" as never }), T, "arena"],
    ["binsTable threads", () => binsTable(libc, { threads: [1] as never }), T, "threads[0]"],
    ["binsTable showEmpty", () => binsTable(libc, { showEmpty: "yes" as never }), T, "showEmpty"],
    ["breakChart width fraction", () => breakChart([step], { width: 1.5 }), R, "width"],
    ["breakChart steps", () => breakChart("x" as never), T, "steps"],
    ["breakStep step", () => breakStep(proc, "x", -1), R, "step"],
    ["cProgramView context", () => cProgramView(prog, { context: -2 }), R, "context"],
    ["cProgramView program", () => cProgramView({} as never), T, "program"],
    ["chart spec", () => chart("bar" as never), T, "spec"],
    ["Chart spec", () => new Chart(null as never), T, "spec"],
    ["dataTable rows", () => dataTable({} as never), T, "rows"],
    ["dataTable row", () => dataTable([1] as never), T, "rows[0]"],
    ["dataTable title", () => dataTable([], 3 as never), T, "title"],
    ["diffView maxRows", () => diffView(change, { maxRows: Infinity }), R, "maxRows"],
    ["diffView diff", () => diffView(7 as never), T, "diff"],
    [
      "explainView unknown",
      () => explainView(libc, { alocator: libc } as never),
      R,
      "options.alocator",
    ],
    [
      "explainView allocator",
      () => explainView(undefined, { allocator: 1 as never }),
      T,
      "allocator",
    ],
    ["explainCall call", () => explainCall(libc, "free" as never), T, "call"],
    ["growthChart width", () => log.growthChart({ width: -1 }), R, "width"],
    ["usageChart labels", () => log.usageChart({ labels: "yes" as never }), T, "labels"],
    ["arenaChart title", () => log.arenaChart({ title: 5 as never }), T, "title"],
    ["heapLog record", () => log.record(5 as never), T, "label"],
    ["heapLog run", () => log.run("x", 5 as never), T, "call"],
    ["replayWithLog trace", () => replayWithLog(5 as never), T, "trace"],
    ["historyView step", () => historyView(history, { step: 99 }), R, "step"],
    ["historyView around", () => historyView(history, { around: NaN }), R, "around"],
    [
      "libcStateTable parts",
      () => libcStateTable(libc, { parts: ["heap"] as never }),
      R,
      "parts[0]",
    ],
    ["libcStateTable allBins", () => libcStateTable(libc, { allBins: 1 as never }), T, "allBins"],
    ["compareMaps labels", () => compareMaps(MAPS, MAPS, { labels: ["a"] as never }), R, "labels"],
    ["compareMaps right", () => compareMaps(MAPS, 5 as never), T, "right"],
    ["snapshotFromText brk", () => snapshotFromText(MAPS, { brk: 0.5 }), R, "brk"],
    [
      "snapshotFromText initial",
      () => snapshotFromText(MAPS, { initial: 5 as never }),
      T,
      "initial",
    ],
    ["snapshotMaps label", () => snapshotMaps(proc, 5 as never), T, "label"],
    ["mapsTable previous", () => mapsTable(proc, { previous: {} as never }), T, "previous"],
    ["mapsTable unknown", () => mapsTable(proc, { prev: snap } as never), R, "options.prev"],
    ["watchMaps label", () => watchMaps(proc, 5 as never), T, "label"],
    ["MapsWatch record", () => watch.record(undefined as never), T, "label"],
    ["MapsWatch breakChart", () => watch.breakChart({ width: 0 }), R, "width"],
    ["syscallTable since", () => syscallTable(proc, { since: -3 }), R, "since"],
    ["syscallTable title", () => syscallTable(proc, { title: 1 as never }), T, "title"],
    ["stepView heap", () => stepView(libc, { heap: { bytes: NaN } }), R, "bytes"],
    ["stepView bins", () => stepView(libc, { bins: { arena: 1.5 } }), R, "arena"],
    ["stepView explain", () => stepView(libc, { explain: {} as never }), T, "explain"],
    [
      "compareTrace versions",
      () => compareTrace("malloc 0 24\n", { versions: ["9.99"] }),
      R,
      "versions[0]",
    ],
    ["compareTrace arch", () => compareTrace("malloc 0 24\n", { arch: "arm" as never }), R, "arch"],
    [
      "compareProgram title",
      () => compareProgram("a = malloc(24)", { title: 1 as never }),
      T,
      "title",
    ],
    ["compareScenario steps", () => compareScenario([5] as never), T, "steps[0]"],
    ["seedCheck printed", () => seedCheck(MAPS, [1] as never), T, "printed[0]"],
    ["seedCheck label", () => seedCheck(proc, "x", 1 as never), T, "label"],
    ["simulateFromMaps arch", () => simulateFromMaps(MAPS, { arch: "x86" as never }), R, "arch"],
    [
      "RealVsSimulated step",
      () => new RealVsSimulated(new Notice("no")).step(1 as never),
      T,
      "calls",
    ],
    [
      "RealVsSimulated realTable",
      () => new RealVsSimulated(new Notice("no")).realTable(-1),
      R,
      "index",
    ],
    ["diffMaps before", () => diffMaps("x" as never, snap.rows), T, "before"],
    ["compareMapsLines left", () => compareMapsLines(null as never, MAPS), T, "left"],
    ["RealVsSimulated brk", () => new RealVsSimulated(new Notice("no"), { brk: -1 }), R, "brk"],
  ];
}

Deno.test("each bad view option is a typed error naming the option and showing the value", () => {
  for (const [what, call, kind, option] of probes()) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof kind, `${what}: ${e}`);
      assert.ok(e instanceof ArgumentTypeError || e instanceof ArgumentRangeError, what);
      assert.equal((e as ArgumentTypeError).argument, option, what);
      assert.ok((e as Error).message.includes(option), what);
      return true;
    }, what);
  }
});

/** A view's text/plain (charts display asynchronously, with an SVG drawn by vega). */
async function plainText(view: unknown): Promise<string> {
  const display = (view as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY];
  return (await display.call(view))["text/plain"];
}

Deno.test("good view options still render, with text/plain", async () => {
  const { proc, libc, history, change } = setup();
  const snap = snapshotMaps(proc, "now");
  const log = heapLog(libc, "start");
  log.run("malloc(100)", () => libc.malloc(100));
  const watch = watchMaps(proc, "start");
  watch.record("later");
  const prog = new CProgram("int main(void) { return 0; }\n", { glibc: "2.36" });
  const views: [string, unknown][] = [
    ["heapView", heapView(libc, { arena: "all", bytes: 8, mmapped: true, mark: [], title: "t" })],
    ["binsTable", binsTable(libc, { arena: "all", showEmpty: true, title: "t" })],
    ["addressSpaceChart", addressSpaceChart(snap, { gap: 1 << 20, minWidth: 0.01, width: 600 })],
    ["breakChart", breakChart([breakStep(proc, "start", 0)], { title: "t", width: 300 })],
    ["cProgramView", cProgramView(prog, { context: 2 })],
    ["dataTable", dataTable([{ a: 1, b: "x", c: true }], "t")],
    ["diffView", diffView(change, { maxRows: 4 })],
    ["explainView", explainView(libc, { error: undefined })],
    ["explainCall", explainCall(libc, () => libc.malloc(8))],
    ["growthChart", log.growthChart({ title: "t", width: 400, labels: false })],
    ["historyView", historyView(history, { step: 1, around: 2 })],
    ["libcStateTable", libcStateTable(libc, { parts: ["mp_"], allBins: false })],
    ["compareMaps", compareMaps(MAPS, MAPS, { labels: ["a", "b"], title: "t" })],
    ["snapshotFromText", mapsTable(snapshotFromText(MAPS, { label: "l", brk: 0 }))],
    ["mapsTable", mapsTable(proc, { previous: snap, label: "l", note: "n" })],
    ["watchMaps", watch],
    ["syscallTable", syscallTable(proc, { since: snap, title: "t" })],
    ["syscallTable seq", syscallTable(proc, { since: 0 })],
    ["stepView", stepView(libc, { heap: { bytes: 0 }, bins: { showEmpty: false } })],
    ["compareTrace", compareTrace("malloc 0 24\n", { versions: ["2.36"], arch: "i386" })],
    ["compareProgram", compareProgram("a = malloc(24)", { versions: ["2.31"], title: "t" })],
    ["seedCheck", seedCheck(MAPS, [MAPS.trim()], "l")],
    ["RealVsSimulated", new RealVsSimulated(new Notice("skipped here", "skipped"), { brk: 0 })],
  ];
  for (const [what, view] of views) {
    assert.equal(typeof (await plainText(view)), "string", what);
  }
  assert.ok(simulateFromMaps(MAPS, { arch: "x86_64", recreateHeap: false }));
  assert.ok(replayWithLog("malloc 0 24\n", { glibc: "2.36" }).log.steps.length > 1);
});
