/**
 * The replay command, as a user runs it: `deno task replay` (`src/trace/cli.ts`, from source) and
 * the same command bundled into one file by `deno task bundle:replay` (`dist/replay.js`, which
 * starts sooner and is what `deno task bench` times). Each is run as its own process on oracle
 * fixtures and must print, byte for byte, what real glibc's driver printed, and exit with the
 * driver's status: 0 after a whole trace, 134 after an abort, 2 for a malformed line or a bad
 * argument.
 */

import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const SOURCE = `${ROOT}src/trace/cli.ts`;
const BUNDLE = `${ROOT}dist/replay.js`;
const FIXTURES = `${ROOT}tests/fixtures`;

/** The oracle's traces and outputs these tests replay (glibc 2.36, x86_64), and the status. */
const CASES = [
  {
    trace: `${FIXTURES}/oracle/traces/gen/small-1.trace`,
    expected: `${FIXTURES}/oracle/expected/2.36-x86_64/small-1.out`,
    status: 0,
  },
  {
    trace: `${FIXTURES}/oracle-corrupt/traces/corrupt-1.trace`,
    expected: `${FIXTURES}/oracle-corrupt/expected/2.36-x86_64/corrupt-1.out`,
    status: 134,
  },
  {
    trace: `${FIXTURES}/oracle-corrupt/traces/v2-err-bad-width.trace`,
    expected: `${FIXTURES}/oracle-corrupt/expected/2.36-x86_64/v2-err-bad-width.out`,
    status: 2,
  },
];

/** Runs `script` (the command from source or bundled) with `args`: status, stdout, stderr. */
async function replay(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { status: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

let bundled: Promise<void> | undefined;
/** Builds dist/replay.js once for this file's tests, from the sources as they are now. */
function bundle(): Promise<void> {
  bundled ??= (async () => {
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["task", "bundle:replay"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(built.success, `deno task bundle:replay: ${new TextDecoder().decode(built.stderr)}`);
  })();
  return bundled;
}

for (const [name, script] of [["from source", SOURCE], ["bundled", BUNDLE]] as const) {
  Deno.test(`the replay command ${name} prints what real glibc printed and exits with its status`, async () => {
    if (script === BUNDLE) await bundle();
    for (const { trace, expected, status } of CASES) {
      const run = await replay(script, ["--glibc", "2.36", "--arch", "x86_64", trace]);
      assert.equal(run.stdout, await Deno.readTextFile(expected), trace);
      assert.equal(run.status, status, `${trace}: ${run.stderr}`);
    }
  });

  Deno.test(`the replay command ${name} refuses a bad argument with its usage and status 2`, async () => {
    if (script === BUNDLE) await bundle();
    const run = await replay(script, ["--glibc", "9.99", CASES[0].trace]);
    assert.equal(run.status, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^replay: unknown glibc: 9\.99 \(one of .*2\.36.*\)\nusage: /);
  });

  Deno.test(`the replay command ${name} names a trace it cannot read and goes on to the next`, async () => {
    if (script === BUNDLE) await bundle();
    const missing = `${FIXTURES}/no-such.trace`;
    const run = await replay(script, ["--glibc", "2.36", missing, CASES[0].trace]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^replay: cannot read .*no-such\.trace: /);
    assert.equal(run.stdout, await Deno.readTextFile(CASES[0].expected));
  });

  Deno.test(`the replay command ${name} reads the trace from stdin when given -`, async () => {
    if (script === BUNDLE) await bundle();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--glibc", "2.36", "--arch", "x86_64", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(await Deno.readFile(CASES[0].trace));
    await writer.close();
    const out = await child.output();
    assert.equal(new TextDecoder().decode(out.stdout), await Deno.readTextFile(CASES[0].expected));
    assert.equal(out.code, 0);
  });
}
