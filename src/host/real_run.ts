/**
 * Running the seed's example programs for real on the machine heaplab runs on: find gcc and
 * setarch, compile `tests/fixtures/real_maps/NAME.c` (each copies /proc/self/maps to stdout at
 * every step, see `dump_maps.h`), run it with address space layout randomization off
 * (`setarch $(uname -m) -R`), and split what it printed into its own lines and the maps at each
 * step. Nothing here throws for a missing tool: every failure is a reason, so a notebook runs
 * anywhere (the views in `src/view/real_run.ts` show it as "skipped").
 *
 * @module
 */

/** The tools a real run needs, as found on this machine. */
export interface ToolchainInfo {
  /** Path of gcc, if found. */
  readonly gcc?: string;
  /** gcc's first `--version` line. */
  readonly gccVersion?: string;
  /** Path of setarch, if found. */
  readonly setarch?: string;
  /** `uname -m`. */
  readonly machine?: string;
  /** The kernel release (`uname -r`). */
  readonly kernel?: string;
  /** The C library's version, e.g. `2.36` (`getconf GNU_LIBC_VERSION`). */
  readonly glibc?: string;
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const path = `${dir}/${name}`;
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function output(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { ok: out.success, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } catch (error) {
    return {
      ok: false,
      stdout: "",
      stderr: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The tools a real run needs that this machine lacks, e.g. `["gcc"]`. */
export function missingTools(info: ToolchainInfo): string[] {
  const missing: string[] = [];
  if (!info.gcc) missing.push("gcc");
  if (!info.setarch) missing.push("setarch");
  if (!info.machine) missing.push("uname");
  return missing;
}

/** Why real runs cannot happen on this machine, or undefined when they can. */
export function toolchainSkipReason(info: ToolchainInfo): string | undefined {
  const missing = missingTools(info);
  if (missing.length === 0) return undefined;
  const names = missing.length > 1
    ? `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`
    : missing[0];
  return `${names} ${missing.length > 1 ? "are" : "is"} not installed ` +
    "(Debian: apt-get install gcc util-linux), so the real programs cannot be built and run";
}

/**
 * Looks for gcc, setarch and uname (and the C library's version).
 *
 * @returns What was found.
 */
export async function findToolchainInfo(): Promise<ToolchainInfo> {
  const [gcc, setarch, uname] = await Promise.all([
    which("gcc"),
    which("setarch"),
    which("uname"),
  ]);
  const version = gcc ? (await output(gcc, ["--version"])).stdout.split("\n")[0] : undefined;
  const machine = uname ? (await output(uname, ["-m"])).stdout.trim() || undefined : undefined;
  const kernel = uname ? (await output(uname, ["-r"])).stdout.trim() || undefined : undefined;
  const getconf = await which("getconf");
  const libc = getconf ? (await output(getconf, ["GNU_LIBC_VERSION"])).stdout : "";
  const glibc = /^glibc (\S+)/.exec(libc)?.[1];
  return { gcc, gccVersion: version, setarch, machine, kernel, glibc };
}

/** The maps a program printed at one step. */
export interface MapsDump {
  /** The step's label, from `----- /proc/self/maps: LABEL -----`. */
  readonly label: string;
  /** The maps text, each line ending in a newline. */
  readonly maps: string;
}

/** A program's output, split. */
export interface ParsedRunOutput {
  /** The lines the program printed itself (not part of a maps dump). */
  readonly printed: string[];
  /** The maps dumps, in order. */
  readonly dumps: MapsDump[];
}

/**
 * Splits the output of a `tests/fixtures/real_maps` program into its own lines and its maps
 * dumps.
 *
 * @example
 * ```ts
 * import { parseRunOutput } from "./real_run.ts";
 * import assert from "node:assert/strict";
 *
 * const out = parseRunOutput("hello\n----- /proc/self/maps: Before -----\n1000-2000 r--p 00000000 00:00 0 \n-----\n");
 * assert.deepEqual(out.printed, ["hello"]);
 * assert.deepEqual(out.dumps, [{ label: "Before", maps: "1000-2000 r--p 00000000 00:00 0 \n" }]);
 * ```
 *
 * @param stdout What the program wrote.
 * @returns The program's lines and the dumps.
 */
export function parseRunOutput(stdout: string): ParsedRunOutput {
  const printed: string[] = [];
  const dumps: MapsDump[] = [];
  let current: { label: string; lines: string[] } | undefined;
  const all = stdout.split("\n");
  if (all.at(-1) === "") all.pop();
  for (const line of all) {
    const start = /^----- \/proc\/self\/maps: (.*) -----$/.exec(line);
    if (start) {
      current = { label: start[1], lines: [] };
    } else if (current && line === "-----") {
      dumps.push({ label: current.label, maps: current.lines.map((l) => l + "\n").join("") });
      current = undefined;
    } else if (current) {
      current.lines.push(line);
    } else {
      printed.push(line);
    }
  }
  return { printed, dumps };
}

/** Where and how to build a program for {@linkcode runProgram}. */
export interface ProgramRunOptions {
  /** Build for `x86_64` (default) or `i386` (`gcc -m32`). */
  readonly arch?: "x86_64" | "i386";
  /** Folder (URL) holding `NAME.c` and `dump_maps.h` (default: tests/fixtures/real_maps). */
  readonly sourceDir?: URL;
}

/** A program's real run: what it wrote and the command, or why it could not run. */
export type ProgramRun =
  | { readonly ok: true; readonly command: string; readonly stdout: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Compiles and runs one of the seed's example programs with ASLR off.
 *
 * @param program `sbrk`, `mmap` or `mthread`.
 * @param tools What this machine has (from {@linkcode findToolchainInfo}).
 * @param options Architecture, where the sources are.
 * @returns What the program wrote, or why it could not run.
 */
export async function runProgram(
  program: string,
  tools: ToolchainInfo,
  options: ProgramRunOptions = {},
): Promise<ProgramRun> {
  const reason = toolchainSkipReason(tools);
  if (reason) return { ok: false, reason };
  const arch = options.arch ?? "x86_64";
  const sourceDir = options.sourceDir ??
    new URL("../../tests/fixtures/real_maps/", import.meta.url);
  const dir = await Deno.makeTempDir({ prefix: "heaplab-real-" });
  try {
    for (const file of [`${program}.c`, "dump_maps.h"]) {
      const response = await fetch(new URL(file, sourceDir));
      if (!response.ok) return { ok: false, reason: `cannot read ${file} from ${sourceDir.href}` };
      await Deno.writeTextFile(`${dir}/${file}`, await response.text());
    }
    const flags = [...(arch === "i386" ? ["-m32"] : []), "-O0", "-pthread"];
    const build = await output(tools.gcc!, [...flags, "-o", program, `${program}.c`], { cwd: dir });
    if (!build.ok) {
      const hint = arch === "i386" ? " (32-bit builds need gcc-multilib)" : "";
      return {
        ok: false,
        reason: `gcc could not build ${program}.c for ${arch}${hint}: ${
          build.stderr.trim().split("\n")[0]
        }`,
      };
    }
    const args = [tools.machine!, "-R", `./${program}`];
    const run = await output(tools.setarch!, args, { cwd: dir, timeoutMs: 30_000 });
    if (!run.ok) {
      return {
        ok: false,
        reason: `setarch ${args.join(" ")} failed: ${run.stderr.trim().split("\n")[0]}`,
      };
    }
    return { ok: true, command: `setarch ${args.join(" ")}`, stdout: run.stdout };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
