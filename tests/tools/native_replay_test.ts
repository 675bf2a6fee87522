// bench/native_replay.c is the bench's real-glibc side. Its --tls-switch mode runs a trace's
// threads without hand-offs between kernel threads (each trace thread's stretches on the main
// thread, with that thread's thread pointer), and the bench compares the whole threads replay
// with it: these tests check that it does what the trace's real threads do.
import assert from "node:assert/strict";
import { findToolchain } from "../../src/view/real_run.ts";

const ROOT = new URL("../../", import.meta.url);
const ORACLE = new URL("tests/fixtures/oracle/", ROOT);
// The oracle's threads traces. (On the others a memalign beyond a page can land elsewhere: where
// the break starts, and so its alignment, is the program's, and native_replay is not the driver.)
const TRACES = ["threads-1", "threads-2", "threads-3", "threads-4", "threads-5"];
/** x86_64 thread heaps are HEAP_MAX_SIZE (64 MiB) aligned: a place's offset is the rest. */
const HEAP_ALIGN = 2n ** 26n;

const toolchain = await findToolchain();

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

async function buildNative(dir: string): Promise<string> {
  const binary = `${dir}/native_replay`;
  await run("gcc", [
    "-O2",
    "-pthread",
    "-o",
    binary,
    new URL("bench/native_replay.c", ROOT).pathname,
  ]);
  return binary;
}

/** What `--print` wrote: each heap operation's pointer and size word, in the trace's order. */
async function results(binary: string, modes: string[], trace: string) {
  const text = await run("setarch", ["-R", binary, ...modes, "--print", trace]);
  return text.trimEnd().split("\n").slice(1).map((line) => {
    const [p, size] = line.split(" ");
    return [BigInt(p), BigInt(size)] as const;
  });
}

const HEAP_OPS = new Set(["malloc", "free", "calloc", "realloc", "memalign"]);

Deno.test({
  name: "native_replay --tls-switch does what the trace's real threads do",
  ignore: !toolchain.ok || Deno.build.arch !== "x86_64",
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "native_replay_" });
    try {
      const binary = await buildNative(dir);
      await t.step("it returns what real hand-offs between threads return", async () => {
        for (const name of TRACES) {
          const trace = new URL(`traces/gen/${name}.trace`, ORACLE).pathname;
          const switched = await results(binary, ["--tls-switch"], trace);
          assert.deepEqual(switched, await results(binary, ["--threads"], trace), name);
          // On one thread the same lines take other chunks: the threads were honoured.
          assert.notDeepEqual(switched, await results(binary, [], trace), name);
        }
      });
      await t.step("every chunk has the place and size word the oracle recorded", async () => {
        const glibc = (await run("getconf", ["GNU_LIBC_VERSION"])).trim().split(" ")[1];
        const expectedDir = new URL(`expected/${glibc}-x86_64/`, ORACLE);
        try {
          await Deno.stat(expectedDir);
        } catch {
          console.log(`Not checked: no oracle output recorded for this machine's glibc ${glibc}`);
          return;
        }
        for (const name of TRACES) {
          const trace = new URL(`traces/gen/${name}.trace`, ORACLE).pathname;
          const got = await results(binary, ["--tls-switch"], trace);
          const expected = new Map<number, string[]>();
          for (
            const line of (await Deno.readTextFile(new URL(`${name}.out`, expectedDir))).split("\n")
          ) {
            const fields = line.split(" ");
            if (/^\d+$/.test(fields[0])) expected.set(Number(fields[0]), fields.slice(1));
          }
          let k = 0, mainStart: bigint | undefined, checked = 0;
          const lines = (await Deno.readTextFile(trace)).split("\n");
          for (let n = 1; n <= lines.length; n++) {
            const [op, slot] = lines[n - 1].split(" ");
            // native_replay skips `free -`, free(NULL).
            if (!HEAP_OPS.has(op) || (op === "free" && slot === "-")) continue;
            const [p, size] = got[k++];
            const want = expected.get(n);
            assert.ok(want !== undefined && want[0] === op, `${name}:${n}: ${want}`);
            if (op === "free") continue;
            checked++;
            const [, , place, offset, sizeWord] = want;
            const where = `${name}:${n} ${want.join(" ")}: got ${p.toString(16)}`;
            if (place === "null") {
              assert.equal(p, 0n, where);
              continue;
            }
            const off = BigInt(offset);
            if (place === "main") {
              mainStart ??= p - off;
              assert.equal(p - off, mainStart, where);
            } else if (place.startsWith("heap")) {
              assert.equal(p % HEAP_ALIGN, off, where);
            } else {
              assert.equal(place, "mmap", where);
              assert.equal(p % 4096n, off % 4096n, where);
            }
            assert.equal(size, BigInt(sizeWord), where);
          }
          assert.equal(k, got.length, name);
          assert.ok(checked > 400, `${name}: ${checked} results checked`);
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
