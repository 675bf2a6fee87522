/**
 * What notebooks show: /proc/PID/maps as tables that mark what changed, the system call log,
 * maps of the address space and of the program break as vega-lite charts, heap, bin and explain
 * views of the allocator, glibc versions compared, and real runs of the seed's example programs
 * compared with their simulated replays. Values that render implement
 * `[Symbol.for("Jupyter.display")]()`.
 *
 * May import: `src/kernel/`, `src/malloc/`, `src/trace/`, `src/host/` (real runs), the types
 * of `src/c/` and `src/history/` that its program, diff and history views render, `PTR_DEMANGLE`
 * of `src/c/exit_funcs.ts` (a leaf module: the one rotation exit's handlers are stored with), and
 * the vega packages. Only `mod.ts` imports the views; `src/history/` uses one data module of this folder,
 * `maps_diff.ts` (maps lines compared), which imports only formatting and option helpers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "../kernel/mod.ts";
 * import { mapsTable } from "./mod.ts";
 *
 * const proc = new Process({ layout: "x86_64" });
 * assert.equal(mapsTable(proc).toString(), proc.maps());
 * ```
 *
 * @module
 */

export {
  addressSpaceChart,
  type AddressSpaceChartOptions,
  addressSpaceData,
  type AddressSpaceDatum,
  REGION_COLORS,
} from "./address_space_chart.ts";
export { breakChart, type BreakChartOptions, type BreakStep, breakStep } from "./break_chart.ts";
export {
  Chart,
  chart,
  type ChartMediaBundle,
  compileToVega,
  JUPYTER_DISPLAY,
  renderSvg,
  toVegaLiteV5,
  VEGA_LITE_V5_MIME,
  VEGA_LITE_V5_SCHEMA,
  type VegaLiteSpec,
} from "./chart.ts";
export { type DataRow, DataTable, dataTable, type DataTableBundle } from "./data_table.ts";
export { libcStateTable, type LibcStateTableOptions } from "./libc_state_view.ts";
export { fileListTable, fileTable, type FileTableOptions } from "./file_table.ts";
export { exitHandlersTable, type ExitHandlersTableOptions } from "./exit_handlers_table.ts";
export {
  formatBytes,
  formatTable,
  type FormatTableOptions,
  heapBytes,
  hex,
  padEnd,
  padStart,
} from "./format.ts";
export {
  compareMaps,
  compareMapsLines,
  type CompareMapsOptions,
  type LineComparison,
  type LineStatus,
  MapsComparison,
  type MapsComparisonBundle,
} from "./maps_compare.ts";
export {
  diffMaps,
  formatDelta,
  type MapsChange,
  type MapsChangeKind,
  summarizeChanges,
} from "./maps_diff.ts";
export {
  type MapsSnapshot,
  snapshotFromText,
  snapshotMaps,
  type TextSnapshotOptions,
} from "./maps_snapshot.ts";
export { addressTable, type AddressTableOptions } from "./address_table.ts";
export { globalsTable, type GlobalsTableOptions } from "./globals_table.ts";
export { MapsTable, mapsTable, type MapsTableBundle, type MapsTableOptions } from "./maps_table.ts";
export { MapsWatch, watchMaps } from "./maps_watch.ts";
export { Notice, type NoticeBundle, type NoticeKind } from "./notice.ts";
export {
  findToolchain,
  RealRun,
  type RealRunOptions,
  runRealProgram,
  Toolchain,
} from "./real_run.ts";
export {
  type MapsDump,
  type ParsedRunOutput,
  parseRunOutput,
  type ToolchainInfo,
} from "../host/mod.ts";
export {
  type ComparedStep,
  RealVsSimulated,
  realVsSimulated,
  type RealVsSimulatedOptions,
  simulateFromMaps,
  type SimulateFromMapsOptions,
} from "./real_vs_simulated.ts";
export {
  describeRegions,
  type MapsRow,
  REGION_CATEGORIES,
  type RegionCategory,
  type RegionContext,
  type RegionKind,
} from "./region_kind.ts";
export {
  explainSyscall,
  mapFlagsText,
  protText,
  SyscallTable,
  syscallTable,
  type SyscallTableBundle,
  type SyscallTableOptions,
} from "./syscall_table.ts";
export {
  CHUNK_STATE_COLORS,
  HEAP_VIEW_MAX_ROWS,
  type HeapRow,
  type HeapRowState,
  HeapTable,
  heapView,
  type HeapViewBundle,
  type HeapViewOptions,
} from "./heap_view.ts";
export {
  arenaLabel,
  flagNames,
  peekBytes,
  peekWord,
  pointerText,
  singleLink,
  wordText,
} from "./heap_reading.ts";
export {
  type ArenaTop,
  type BinRow,
  BinsTable,
  binsTable,
  type BinsTableBundle,
  type BinsTableOptions,
  type StoredLink,
} from "./bins_view.ts";
export {
  explainCall,
  ExplainView,
  explainView,
  type ExplainViewBundle,
  type ExplainViewOptions,
  formatRecords,
} from "./explain_view.ts";
export {
  type ArenaStep,
  type HeapChartOptions,
  HeapLog,
  heapLog,
  type HeapStep,
  replayWithLog,
} from "./heap_charts.ts";
export {
  type ComparedRow,
  type CompareOptions,
  VersionComparison,
  type VersionComparisonBundle,
  type VersionOutcome,
} from "./version_comparison.ts";
export { compareTrace } from "./compare_trace.ts";
export { compareScenario, type ScenarioContext, type ScenarioStep } from "./compare_scenario.ts";
export { compareProgram } from "./compare_program.ts";
export { SeedCheck, seedCheck, type SeedCheckBundle, type SeedLine } from "./seed_check.ts";
export { StepView, stepView, type StepViewBundle, type StepViewOptions } from "./step_view.ts";
export { describeChunkChange, DiffView, diffView, type DiffViewBundle } from "./diff_view.ts";
export {
  CProgramView,
  cProgramView,
  type CProgramViewBundle,
  type CProgramViewOptions,
} from "./c_program_view.ts";
export {
  HistoryView,
  historyView,
  type HistoryViewBundle,
  type HistoryViewOptions,
} from "./history_view.ts";
