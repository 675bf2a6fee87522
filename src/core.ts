/**
 * The simulator without its views: the simulated Linux process (`src/kernel/`), glibc's
 * allocator (`src/malloc/`) and the trace replay (`src/trace/`). It imports nothing that draws
 * (no vega), so that it bundles into one CommonJS file for Node-based kernels such as tslab
 * (`deno task bundle`).
 *
 * @module
 */

export * from "./kernel/mod.ts";
export * from "./malloc/mod.ts";
export * from "./trace/mod.ts";

// C programs run inside the simulated process.
export * from "./c/mod.ts";

// Time travel: snapshots, histories, diffs and what-ifs.
export * from "./history/mod.ts";
