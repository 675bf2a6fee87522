/**
 * Real runs of the seed's example programs as notebooks show them: the toolchain found (or why
 * real runs are skipped) and a run's output. Finding gcc and running the programs is
 * `src/host/real_run.ts`; everything here degrades to a clear "skipped" notice when gcc or
 * setarch is missing, so a notebook runs anywhere.
 *
 * @module
 */

import {
  findToolchainInfo,
  type MapsDump,
  missingTools,
  parseRunOutput,
  runProgram,
  type ToolchainInfo,
  toolchainSkipReason,
} from "../host/real_run.ts";
import { JUPYTER_DISPLAY } from "./chart.ts";
import { escapeHtml } from "./html.ts";
import { Notice } from "./notice.ts";

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
    return missingTools(this);
  }

  /** Why real runs are skipped, or undefined when they are not. */
  skipReason(): string | undefined {
    return toolchainSkipReason(this);
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
    return new Notice(this.skipReason() ?? this.toString(), this.ok ? "info" : "skipped")
      [JUPYTER_DISPLAY]();
  }
}

/**
 * Looks for gcc, setarch and uname.
 *
 * @returns What was found.
 */
export async function findToolchain(): Promise<Toolchain> {
  return new Toolchain(await findToolchainInfo());
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
  const arch = options.arch ?? "x86_64";
  const run = await runProgram(program, tools, { arch, sourceDir: options.sourceDir });
  if (!run.ok) return new Notice(run.reason, "skipped");
  return new RealRun(program, arch, run.command, run.stdout);
}
