/**
 * `deno task notebooks`: executes every `notebooks/*.ipynb` with Deno's Jupyter
 * kernel through `tools/nbexec.py`, writing each executed notebook and its HTML
 * export to `out/notebooks/`. It first makes sure the prerequisites are there:
 * Debian's Jupyter packages (installed when running as root) and the Deno
 * kernelspec (installed with `deno jupyter --install` when missing or stale).
 *
 * Then it executes `notebooks/tslab/*.ipynb` with tslab, the Node TypeScript
 * kernel, against the CommonJS bundle `dist/heaplab.cjs` (rebuilt first with
 * `deno task bundle`). tslab is installed with npm into `node_modules/.tslab/`
 * when missing; when it cannot be installed those notebooks are skipped with a
 * message (or fail, when HEAPLAB_REQUIRE_TSLAB=1, as in CI).
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

/** The tslab release the tslab notebooks run on. */
export const TSLAB_VERSION = "1.0.22";

/**
 * Where tslab is installed: an npm prefix of its own inside `node_modules/`, so that installing
 * it never prunes packages installed at the top level with `npm install --no-save` (CI's deno).
 * The install is nested (`--install-strategy=nested`) so that `@types/node` lands under
 * `tslab/node_modules/`, where tslab looks for it when the notebook's folder has none.
 */
export const TSLAB_PREFIX: string = join(REPO_ROOT, "node_modules", ".tslab");

/** The tslab command. */
export const TSLAB_BIN: string = join(TSLAB_PREFIX, "node_modules", ".bin", "tslab");

/** The npm command that installs tslab (run in {@linkcode REPO_ROOT}). */
export const TSLAB_NPM_COMMAND: string =
  `npm install --prefix node_modules/.tslab --install-strategy=nested --no-save ` +
  `--no-audit --no-fund tslab@${TSLAB_VERSION}`;

/**
 * The tslab kernelspec: its name, and the Jupyter data folder that holds it (put first on
 * JUPYTER_PATH when executing, so a developer's own `tslab` kernelspec is neither used nor
 * touched).
 */
export const TSLAB_KERNEL: { readonly name: string; readonly jupyterPath: string } = {
  name: "tslab",
  jupyterPath: join(TSLAB_PREFIX, "share", "jupyter"),
};

/** The CommonJS bundle of `src/core.ts` that tslab notebooks `import`. */
export const BUNDLE: string = join(REPO_ROOT, "dist", "heaplab.cjs");

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
  options: { quiet?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdout: options.quiet ? "piped" : "inherit",
      stderr: options.quiet ? "piped" : "inherit",
      stdin: "null",
      env: options.env,
      cwd: options.cwd,
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

async function installedTslabVersion(): Promise<string | undefined> {
  try {
    const manifest = join(TSLAB_PREFIX, "node_modules", "tslab", "package.json");
    return JSON.parse(await Deno.readTextFile(manifest)).version;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure tslab notebooks can run: tslab installed under {@linkcode TSLAB_PREFIX} (with npm,
 * when missing) and its kernelspec written under {@linkcode TSLAB_KERNEL}'s folder.
 *
 * The kernelspec is the `kernel.json` that `tslab install --prefix` writes; it is written here
 * because `tslab install` runs a Python script that imports IPython only for a temporary folder,
 * and IPython is not among the Debian packages notebooks need.
 *
 * @returns undefined when tslab is ready, else why it is not.
 */
export async function ensureTslab(): Promise<string | undefined> {
  if (!(await isExecutable(TSLAB_BIN)) || (await installedTslabVersion()) !== TSLAB_VERSION) {
    console.log(`Installing tslab ${TSLAB_VERSION} with npm (${TSLAB_NPM_COMMAND})`);
    const [command, ...args] = TSLAB_NPM_COMMAND.split(" ");
    const installed = await run(command, [...args, "--loglevel=error"], {
      quiet: true,
      cwd: REPO_ROOT,
    });
    if (!installed.ok || !(await isExecutable(TSLAB_BIN))) {
      const why = installed.stderr.trim().split("\n").slice(0, 3).join("\n");
      return `installing tslab failed: ${TSLAB_NPM_COMMAND}: ${why}`;
    }
  }
  const dir = join(TSLAB_KERNEL.jupyterPath, "kernels", TSLAB_KERNEL.name);
  await Deno.mkdir(dir, { recursive: true });
  const spec = {
    argv: [TSLAB_BIN, "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (tslab)",
    language: "typescript",
  };
  await Deno.writeTextFile(join(dir, "kernel.json"), JSON.stringify(spec, null, 1) + "\n");
  return undefined;
}

/**
 * Builds {@linkcode BUNDLE} with `deno task bundle`.
 *
 * @throws {Error} When the bundler fails.
 */
export async function buildBundle(): Promise<void> {
  const built = await run(Deno.execPath(), ["task", "bundle"], { quiet: true, cwd: REPO_ROOT });
  if (!built.ok) throw new Error(`deno task bundle failed: ${built.stderr.trim()}`);
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
  /** The kernelspec, and a Jupyter data folder to search first for it; {@linkcode KERNEL} unless given. */
  kernel?: { readonly name: string; readonly jupyterPath?: string };
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
 * Executes one notebook with the Deno kernel, or the given one (see `tools/nbexec.py`).
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
  const kernel = options.kernel ?? { name: KERNEL };
  const args = [NBEXEC, path, "--out", outDir, "--kernel", kernel.name];
  if (options.update) args.push("--update");
  if (options.timeout !== undefined) args.push("--timeout", String(options.timeout));
  let env: Record<string, string> | undefined;
  if (kernel.jupyterPath) {
    const rest = Deno.env.get("JUPYTER_PATH");
    env = { JUPYTER_PATH: rest ? `${kernel.jupyterPath}:${rest}` : kernel.jupyterPath };
  }
  const result = await run(PYTHON, args, { quiet: options.quiet, env });
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

/** True when a missing tslab must fail the run instead of skipping its notebooks (CI). */
export function tslabRequired(): boolean {
  return Deno.env.get("HEAPLAB_REQUIRE_TSLAB") === "1";
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const pick = (paths: string[]) =>
    args.only.length === 0 ? paths : paths.filter((path) => {
      const name = basename(path, ".ipynb");
      return args.only.some((only) => name === only || name.startsWith(only));
    });
  const all = await listNotebooks(args.dir);
  const allTslab = await listNotebooks(join(args.dir, "tslab"));
  const notebooks = pick(all);
  const tslabNotebooks = pick(allTslab);
  if (notebooks.length + tslabNotebooks.length === 0) {
    console.log(
      all.length + allTslab.length === 0
        ? `No notebooks in ${args.dir}`
        : `No notebook matches ${args.only}`,
    );
    return args.only.length === 0 ? 0 : 1;
  }
  await ensurePrerequisites();
  const failed: string[] = [];
  let count = 0;
  for (const path of notebooks) {
    const result = await executeNotebook(path, {
      outDir: args.out,
      update: args.update,
      timeout: args.timeout,
    });
    count++;
    if (!result.ok) failed.push(basename(path));
  }
  if (tslabNotebooks.length > 0) {
    const problem = await ensureTslab();
    if (problem !== undefined) {
      const names = tslabNotebooks.map((path) => `tslab/${basename(path)}`).join(", ");
      console.log(`Cannot run ${names} with tslab: ${problem}`);
      if (tslabRequired()) failed.push(names);
    } else {
      await buildBundle();
      for (const path of tslabNotebooks) {
        const result = await executeNotebook(path, {
          outDir: join(args.out, "tslab"),
          update: args.update,
          timeout: args.timeout,
          kernel: TSLAB_KERNEL,
        });
        count++;
        if (!result.ok) failed.push(`tslab/${basename(path)}`);
      }
    }
  }
  const verb = args.update ? "executed and updated" : "executed";
  if (failed.length > 0) {
    console.log(`Notebooks failed: ${failed.join(", ")} (${count} run)`);
    return 1;
  }
  console.log(`All ${count} notebooks ${verb}; output in ${args.out}`);
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
