/**
 * Support for the tests of C programs run by heaplab's interpreter (issue 8): `runC` from
 * mod.ts when the interpreter is there, and the fixtures of real runs the tests compare with.
 *
 * The interpreter lands on its own branch; until mod.ts exports `runC` these tests are
 * registered but ignored, so that the fixtures and their expectations can land first.
 */

/** The part of the interpreter's result these tests read (mod.ts's `CRunResult`). */
export interface CRunOutcome {
  readonly state: string;
  readonly exitStatus?: number;
  readonly line: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** The options these tests pass (mod.ts's `CRunOptions`). */
export interface CRunArgs {
  readonly file?: string;
  readonly programName?: string;
  readonly glibc?: string;
  readonly arch?: "x86_64" | "i386";
  readonly maxSteps?: number;
}

/** mod.ts's `runC`, or undefined while the interpreter has not landed. */
export const runC: ((source: string, options?: CRunArgs) => CRunOutcome) | undefined =
  await (async () => {
    const mod: Record<string, unknown> = await import("../../mod.ts");
    const f = mod["runC"];
    return typeof f === "function"
      ? f as (source: string, options?: CRunArgs) => CRunOutcome
      : undefined;
  })();

/** A fixture file's text. */
export function fixture(path: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/c/${path}`, import.meta.url));
}

/** The last line of a "\n"-terminated text ("" for none). */
export function lastLine(text: string): string {
  return text.replace(/\n$/, "").split("\n").at(-1) ?? "";
}

/** Output with every hexadecimal number replaced by `0x…`: addresses differ between the real
 * process (whose program the loader mapped) and the simulated one; everything else must not. */
export function maskAddresses(text: string): string {
  return text.replace(/0x[0-9a-f]+/g, "0x…");
}
