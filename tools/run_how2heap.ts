// Runs how2heap's C programs through the interpreter and prints how each ends (no test: how2heap's
// files are not part of heaplab). Usage:
//   deno run -A tools/run_how2heap.ts DIR [glibc]    (DIR holds glibc_X.Y/*.c of shellphish/how2heap)
import { GLIBC_VERSIONS, runC } from "../mod.ts";

const dir = Deno.args[0] ?? "/tmp/h2h";
const only = Deno.args[1];
for (const v of GLIBC_VERSIONS) {
  if (only && v !== only) continue;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${dir}/${v}`)].sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    continue;
  }
  for (const e of entries) {
    if (!e.name.endsWith(".c")) continue;
    const src = Deno.readTextFileSync(`${dir}/${v}/${e.name}`);
    let line: string;
    try {
      const r = runC(src, { file: e.name, glibc: v, maxSteps: 5_000_000 });
      const why = r.abort?.glibcMessage ?? r.fault?.message ?? r.error?.message ?? "";
      line = `${r.state} ${r.exitStatus ?? ""} line ${r.line} ${why.split("\n")[0]}`;
    } catch (err) {
      line = `compile: ${(err as Error).message.split("\n")[0]}`;
    }
    console.log(`${v} ${e.name.padEnd(36)} ${line}`);
  }
}
