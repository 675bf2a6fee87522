/**
 * `deno task notebooks`: executes every `notebooks/*.ipynb` with Deno's Jupyter
 * kernel through `tools/nbexec.py`, writing each executed notebook and its HTML
 * export to `out/notebooks/`. It first makes sure the prerequisites are there:
 * Debian's Jupyter packages (installed when running as root) and the Deno
 * kernelspec (installed with `deno jupyter --install` when missing or stale).
 *
 * The kernelspec is `deno` unless the HEAPLAB_KERNEL environment variable names
 * another (CI uses its own, so it never repoints a developer's `deno` kernel at a
 * clone that is deleted afterwards).
 *
 * Usage: `deno task notebooks [--update] [--only NAME]... [--dir DIR] [--out DIR]
 * [--timeout SECONDS]`. `--update` writes the executed outputs back into the
 * notebooks, so committed notebooks carry outputs; `--only` keeps notebooks
 * whose name equals or starts with NAME.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Python that has Debian's Jupyter packages (another python3 may be first on PATH). */
export const PYTHON = "/usr/bin/python3";

/** The repository root, found from this file's location. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The executor script run for each notebook. */
export const NBEXEC: string = join(REPO_ROOT, "tools", "nbexec.py");

/** The kernelspec notebooks run with: $HEAPLAB_KERNEL, or `deno`. */
export const KERNEL: string = Deno.env.get("HEAPLAB_KERNEL") || "deno";

/** Debian packages the executor needs. */
export const JUPYTER_PACKAGES: readonly string[] = [
  "jupyter-nbconvert",
  "python3-nbclient",
  "jupyter-client",
];

/** The command that installs {@linkcode JUPYTER_PACKAGES}. */
export const APT_COMMAND: string = `apt-get update && apt-get install -y ${
  JUPYTER_PACKAGES.join(" ")
}`;

async function run(
  command: string,
  args: string[],
  options: { quiet?: boolean; env?: Record<string, string> } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdout: options.quiet ? "piped" : "inherit",
      stderr: options.quiet ? "piped" : "inherit",
      stdin: "null",
      env: options.env,
    }).output();
    const decoder = new TextDecoder();
    return {
      ok: output.success,
      stdout: options.quiet ? decoder.decode(output.stdout) : "",
      stderr: options.quiet ? decoder.decode(output.stderr) : "",
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ok: false, stdout: "", stderr: `${command}: not found` };
    }
    throw error;
  }
}

async function pythonHasJupyter(): Promise<boolean> {
  const { ok } = await run(PYTHON, ["-c", "import jupyter_client, nbformat, nbconvert"], {
    quiet: true,
  });
  return ok;
}

/** Where the kernelspec's command points, or undefined when it is not installed. */
async function kernelCommand(): Promise<string | undefined> {
  const script = [
    "import sys",
    "from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel",
    "try: print(KernelSpecManager().get_kernel_spec(sys.argv[1]).argv[0])",
    "except NoSuchKernel: pass",
  ].join("\n");
  const { ok, stdout } = await run(PYTHON, ["-c", script, KERNEL], { quiet: true });
  const command = stdout.trim();
  return ok && command ? command : undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Makes sure notebooks can be executed: Jupyter's Python packages importable by
 * {@linkcode PYTHON} (installing the Debian packages when running as root) and
 * a {@linkcode KERNEL} kernelspec whose command exists.
 *
 * @throws {Error} When a prerequisite is missing and cannot be installed.
 */
export async function ensurePrerequisites(): Promise<void> {
  if (!(await pythonHasJupyter())) {
    console.log(`Jupyter's Python packages are missing; they install with:\n  ${APT_COMMAND}`);
    if (Deno.uid() !== 0) {
      throw new Error(`Cannot run notebooks: run as root: ${APT_COMMAND}`);
    }
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    await run("apt-get", ["update", "-qq"], { env });
    const installed = await run("apt-get", ["install", "-y", "-qq", ...JUPYTER_PACKAGES], { env });
    if (!installed.ok || !(await pythonHasJupyter())) {
      throw new Error(`Cannot run notebooks: installing Jupyter failed: ${APT_COMMAND}`);
    }
  }
  const kernel = await kernelCommand();
  if (kernel === undefined || !(await isExecutable(kernel))) {
    console.log(
      kernel === undefined
        ? `Installing the Deno Jupyter kernelspec ${KERNEL} (deno jupyter --install)`
        : `The ${KERNEL} kernelspec points to a missing ${kernel}; reinstalling it`,
    );
    const args = ["jupyter", "--install", "--force", "--name", KERNEL];
    if (KERNEL !== "deno") args.push("--display", `Deno (${KERNEL})`);
    const installed = await run(Deno.execPath(), args, { quiet: true });
    if (!installed.ok) {
      throw new Error(`Cannot install the Deno kernelspec: ${installed.stderr.trim()}`);
    }
  }
}

/** Options for {@linkcode executeNotebook}. */
export interface ExecuteOptions {
  /** Folder for the executed `.ipynb` and its `.html`; `out/notebooks` unless given. */
  outDir?: string;
  /** Write the executed outputs back into the notebook. */
  update?: boolean;
  /** Seconds one cell may run. */
  timeout?: number;
  /** Capture the executor's log instead of printing it. */
  quiet?: boolean;
}

/** What {@linkcode executeNotebook} reports. */
export interface ExecuteResult {
  /** True when every cell ran without error and produced its expected outputs. */
  ok: boolean;
  /** The executed notebook written to the output folder. */
  executed: string;
  /** Its HTML export. */
  html: string;
  /** The executor's log, when run with `quiet`. */
  log: string;
}

/**
 * Executes one notebook with the Deno kernel (see `tools/nbexec.py`).
 *
 * @param path The notebook to execute.
 * @param options Output folder, write-back, per-cell timeout.
 * @returns Whether it passed, and where the executed notebook and HTML are.
 */
export async function executeNotebook(
  path: string,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const outDir = resolve(options.outDir ?? join(REPO_ROOT, "out", "notebooks"));
  const args = [NBEXEC, path, "--out", outDir, "--kernel", KERNEL];
  if (options.update) args.push("--update");
  if (options.timeout !== undefined) args.push("--timeout", String(options.timeout));
  const result = await run(PYTHON, args, { quiet: options.quiet });
  const name = basename(path, ".ipynb");
  return {
    ok: result.ok,
    executed: join(outDir, `${name}.ipynb`),
    html: join(outDir, `${name}.html`),
    log: result.stdout + result.stderr,
  };
}

/**
 * Lists the notebooks in a folder, sorted by name.
 *
 * @param dir The folder to list.
 * @returns Paths of its `*.ipynb` files; empty when the folder does not exist.
 */
export async function listNotebooks(dir: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) paths.push(join(dir, entry.name));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return paths.sort();
}

interface Args {
  update: boolean;
  only: string[];
  dir: string;
  out: string;
  timeout?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    update: false,
    only: [],
    dir: join(REPO_ROOT, "notebooks"),
    out: join(REPO_ROOT, "out", "notebooks"),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`Missing value after ${flag}`);
      return next;
    };
    if (flag === "--update") args.update = true;
    else if (flag === "--only") args.only.push(value());
    else if (flag === "--dir") args.dir = resolve(value());
    else if (flag === "--out") args.out = resolve(value());
    else if (flag === "--timeout") args.timeout = Number(value());
    else throw new Error(`Unknown argument: ${flag}`);
  }
  return args;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const all = await listNotebooks(args.dir);
  const notebooks = args.only.length === 0 ? all : all.filter((path) => {
    const name = basename(path, ".ipynb");
    return args.only.some((only) => name === only || name.startsWith(only));
  });
  if (notebooks.length === 0) {
    console.log(
      all.length === 0 ? `No notebooks in ${args.dir}` : `No notebook matches ${args.only}`,
    );
    return args.only.length === 0 ? 0 : 1;
  }
  await ensurePrerequisites();
  const failed: string[] = [];
  for (const path of notebooks) {
    const result = await executeNotebook(path, {
      outDir: args.out,
      update: args.update,
      timeout: args.timeout,
    });
    if (!result.ok) failed.push(basename(path));
  }
  const verb = args.update ? "executed and updated" : "executed";
  if (failed.length > 0) {
    console.log(`Notebooks failed: ${failed.join(", ")} (${notebooks.length} run)`);
    return 1;
  }
  console.log(`All ${notebooks.length} notebooks ${verb}; output in ${args.out}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
}
