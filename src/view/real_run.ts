/**
 * Running the seed's example programs for real: compile `tests/fixtures/real_maps/NAME.c` (each
 * copies /proc/self/maps to stdout at every step, see `dump_maps.h`) with gcc, run it with
 * address space layout randomization off (`setarch $(uname -m) -R`), and split what it printed
 * into its own lines and the maps at each step. Everything here degrades to a clear "skipped"
 * when gcc or setarch is missing, so a notebook runs anywhere.
 *
 * @module
 */

import { JUPYTER_DISPLAY } from "./chart.ts";
import { escapeHtml } from "./html.ts";
import { Notice } from "./notice.ts";

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

/**
 * What this machine has for real runs; displays as one line saying so, or why the real runs
 * will be skipped.
 */
export class Toolchain implements ToolchainInfo {
  /** Path of gcc, if found. */
  readonly gcc?: string;
  /** gcc's first `--version` line. */
  readonly gccVersion?: string;
  /** Path of setarch, if found. */
  readonly setarch?: string;
  /** `uname -m`. */
  readonly machine?: string;
  /** The kernel release. */
  readonly kernel?: string;
  /** The C library's version, e.g. `2.36`. */
  readonly glibc?: string;

  /**
   * Records what was found.
   *
   * @param info What was found.
   */
  constructor(info: ToolchainInfo) {
    Object.assign(this, info);
  }

  /** True when programs can be compiled and run with ASLR off. */
  get ok(): boolean {
    return this.missing().length === 0;
  }

  /** What is missing, e.g. `["gcc"]`. */
  missing(): string[] {
    const missing: string[] = [];
    if (!this.gcc) missing.push("gcc");
    if (!this.setarch) missing.push("setarch");
    if (!this.machine) missing.push("uname");
    return missing;
  }

  /** Why real runs are skipped, or undefined when they are not. */
  skipReason(): string | undefined {
    const missing = this.missing();
    if (missing.length === 0) return undefined;
    const names = missing.length > 1
      ? `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`
      : missing[0];
    return `${names} ${missing.length > 1 ? "are" : "is"} not installed ` +
      "(Debian: apt-get install gcc util-linux), so the real programs cannot be built and run";
  }

  /** One line: what will be used, or why the real runs are skipped. */
  toString(): string {
    const reason = this.skipReason();
    if (reason) return `Skipped: ${reason}`;
    const libc = this.glibc ? `, glibc ${this.glibc}` : "";
    return `${this.gccVersion} at ${this.gcc}; running with ASLR off: setarch ${this.machine} -R ` +
      `(Linux ${this.kernel}, ${this.machine}${libc})`;
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The line as text and as a note.
   */
  [JUPYTER_DISPLAY](): { "text/html": string; "text/plain": string } {
    return new Notice(this.toString().replace(/^Skipped: /, ""), this.ok ? "info" : "skipped")
      [JUPYTER_DISPLAY]();
  }
}

/**
 * Looks for gcc, setarch and uname.
 *
 * @returns What was found.
 */
export async function findToolchain(): Promise<Toolchain> {
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
  return new Toolchain({ gcc, gccVersion: version, setarch, machine, kernel, glibc });
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

/** Options of {@linkcode runRealProgram}. */
export interface RealRunOptions {
  /** The tools (found with {@linkcode findToolchain} unless given). */
  readonly toolchain?: Toolchain;
  /** Build for `x86_64` (default) or `i386` (`gcc -m32`). */
  readonly arch?: "x86_64" | "i386";
  /** Folder (URL) holding `NAME.c` and `dump_maps.h` (default: tests/fixtures/real_maps). */
  readonly sourceDir?: URL;
}

/** A program that ran for real: what it printed and its maps at each step. */
export class RealRun {
  /** The program's name (`sbrk`, `mmap`, …). */
  readonly program: string;
  /** The architecture it was built for. */
  readonly arch: "x86_64" | "i386";
  /** The command line it ran with. */
  readonly command: string;
  /** Its lines, without the maps dumps. */
  readonly printed: readonly string[];
  /** Its maps at each step. */
  readonly dumps: readonly MapsDump[];

  /**
   * Reads a run from what the program wrote.
   *
   * @param program Its name.
   * @param arch What it was built for.
   * @param command How it was run.
   * @param stdout What it wrote.
   */
  constructor(program: string, arch: "x86_64" | "i386", command: string, stdout: string) {
    this.program = program;
    this.arch = arch;
    this.command = command;
    const parsed = parseRunOutput(stdout);
    this.printed = parsed.printed;
    this.dumps = parsed.dumps;
  }

  /** The command, the program's own lines, and the labels of its maps dumps. */
  toString(): string {
    return [
      `$ ${this.command}`,
      ...this.printed,
      `(${this.dumps.length} maps dumps: ${this.dumps.map((d) => d.label).join(" | ")})`,
    ].join("\n");
  }

  /**
   * The media bundle Deno's Jupyter kernel displays.
   *
   * @returns The run as preformatted text.
   */
  [JUPYTER_DISPLAY](): { "text/html": string; "text/plain": string } {
    const text = this.toString();
    return {
      "text/html": `<pre class="heaplab-real-run">${escapeHtml(text)}</pre>`,
      "text/plain": text,
    };
  }
}

/**
 * Compiles and runs one of the seed's example programs with ASLR off.
 *
 * @param program `sbrk`, `mmap` or `mthread`.
 * @param options Toolchain, architecture, where the sources are.
 * @returns The run, or a skipped {@linkcode Notice} saying why it could not happen.
 */
export async function runRealProgram(
  program: string,
  options: RealRunOptions = {},
): Promise<RealRun | Notice> {
  const tools = options.toolchain ?? await findToolchain();
  const reason = tools.skipReason();
  if (reason) return new Notice(reason, "skipped");
  const arch = options.arch ?? "x86_64";
  const sourceDir = options.sourceDir ??
    new URL("../../tests/fixtures/real_maps/", import.meta.url);
  const dir = await Deno.makeTempDir({ prefix: "heaplab-real-" });
  try {
    for (const file of [`${program}.c`, "dump_maps.h"]) {
      const response = await fetch(new URL(file, sourceDir));
      if (!response.ok) {
        return new Notice(`cannot read ${file} from ${sourceDir.href}`, "skipped");
      }
      await Deno.writeTextFile(`${dir}/${file}`, await response.text());
    }
    const flags = [...(arch === "i386" ? ["-m32"] : []), "-O0", "-pthread"];
    const build = await output(tools.gcc!, [...flags, "-o", program, `${program}.c`], { cwd: dir });
    if (!build.ok) {
      const hint = arch === "i386" ? " (32-bit builds need gcc-multilib)" : "";
      return new Notice(
        `gcc could not build ${program}.c for ${arch}${hint}: ${
          build.stderr.trim().split("\n")[0]
        }`,
        "skipped",
      );
    }
    const args = [tools.machine!, "-R", `./${program}`];
    const run = await output(tools.setarch!, args, { cwd: dir, timeoutMs: 30_000 });
    if (!run.ok) {
      return new Notice(
        `setarch ${args.join(" ")} failed: ${run.stderr.trim().split("\n")[0]}`,
        "skipped",
      );
    }
    return new RealRun(program, arch, `setarch ${args.join(" ")}`, run.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
