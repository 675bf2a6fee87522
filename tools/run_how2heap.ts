/**
 * Runs shellphish/how2heap's C programs through heaplab's C interpreter and prints how each
 * ends — no test: how2heap's files are not part of heaplab. Fetch how2heap and lay its
 * `glibc_X.Y/*.c` out as `DIR/X.Y/*.c`, then:
 *
 *   deno run -A tools/run_how2heap.ts DIR [X.Y]
 *       each program on the glibc it was written for (every folder DIR has for a modelled version)
 *   deno run -A tools/run_how2heap.ts DIR [X.Y] --native V
 *       also compiles each with gcc -O0, runs it under the host's glibc (version V) as
 *       `setarch -R env -i ./NAME`, and compares exit status, stdout (addresses masked) and
 *       stderr's last line (addresses masked) with the interpreter's run on glibc V
 *   deno run -A tools/run_how2heap.ts DIR [X.Y] --oracle V
 *       the same against the real glibc V of the oracle's build (`../shared/oracle/build.sh`):
 *       each program compiled against its 2.31 sysroot and started directly with V's loader and
 *       libc (tests/fixtures/c/real_glibc.sh's compile_prog and direct_prog; needs patchelf)
 *
 * @module
 */

import { GLIBC_VERSIONS, runC } from "../mod.ts";

const [dir = "/tmp/h2h", folder] = Deno.args;
const only = folder?.startsWith("--") ? undefined : folder;
const flagValue = (flag: string) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
};
const oracle = flagValue("--oracle");
const native = flagValue("--native") ?? oracle;
const REAL_GLIBC = new URL("../tests/fixtures/c/real_glibc.sh", import.meta.url).pathname;
const mask = (s: string) => s.replace(/0x[0-9a-f]+/g, "ADDR");
const last = (s: string) => s.trim().split("\n").at(-1) ?? "";
const tmp = native ? Deno.makeTempDirSync() : "";

for (const v of GLIBC_VERSIONS) {
  if (only && v !== only) continue;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${dir}/${v}`)].sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    continue;
  }
  // (a folder's own headers, for a program's `#include "x.h"`: gcc finds them beside it)
  const headers = Object.fromEntries(
    entries.filter((h) => h.name.endsWith(".h"))
      .map((h) => [h.name, Deno.readTextFileSync(`${dir}/${v}/${h.name}`)]),
  );
  for (const e of entries) {
    if (!e.name.endsWith(".c")) continue;
    const src = Deno.readTextFileSync(`${dir}/${v}/${e.name}`);
    const name = e.name.replace(/\.c$/, "");
    let line: string;
    try {
      const r = runC(src, {
        file: e.name,
        programName: `./${name}`,
        glibc: native ?? v,
        headers,
      });
      const why = r.abort?.glibcMessage ?? r.fault?.message ?? r.error?.message ?? "";
      line = `${r.state} ${r.exitStatus ?? ""} line ${r.line} ${why.split("\n")[0]}`;
      if (native) {
        const exe = `${tmp}/${name}`;
        const cc = oracle
          ? new Deno.Command("bash", {
            // glibc 2.31 keeps dlsym in libdl (house_of_roman).
            env: src.includes("dlsym") ? { LDLIBS: "-ldl" } : {},
            args: [
              "-c",
              '. "$0" && compile_prog "$1" "$2" "$3.built" builtins && direct_prog "$3.built" "$4" "$3"',
              REAL_GLIBC,
              `${dir}/${v}`,
              name,
              exe,
              oracle,
            ],
          }).outputSync()
          : new Deno.Command("gcc", {
            args: ["-O0", "-w", "-o", exe, e.name],
            cwd: `${dir}/${v}`,
          }).outputSync();
        if (!cc.success) {
          // (real_glibc.sh says why: no oracle build, no patchelf, a compile error.)
          const why = new TextDecoder().decode(cc.stderr).trim().split("\n").at(-1);
          line += ` | build failed: ${why}`;
        } else {
          const real = new Deno.Command("setarch", {
            args: ["-R", "env", "-i", `./${name}`],
            cwd: tmp,
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).outputSync();
          const status = real.signal === "SIGABRT"
            ? 134
            : real.signal === "SIGSEGV"
            ? 139
            : real.code;
          const out = new TextDecoder().decode(real.stdout);
          const err = new TextDecoder().decode(real.stderr);
          const same = status === r.exitStatus && mask(out) === mask(r.stdout) &&
            mask(last(err)) === mask(last(r.stderr));
          line += ` | real ${status} ${same ? "SAME" : `DIFFERENT: ${last(err)}`}`;
        }
      }
    } catch (err) {
      line = `compile: ${(err as Error).message.split("\n")[0]}`;
    }
    console.log(`${v} ${e.name.padEnd(36)} ${line}`);
  }
}
