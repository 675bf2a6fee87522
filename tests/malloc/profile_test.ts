import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  COMPARED_VERSIONS,
  GLIBC_FACTS,
  GLIBC_VERSIONS,
  glibcProfile,
  ORACLE_BUILDS,
  versionsWhere,
} from "../../src/malloc/profile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every .ts file under a folder of the repository. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(ROOT + dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sources(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Comparisons of a version-like string literal, or of something named `version`/`glibc`. */
const VERSION_COMPARE = new RegExp(
  [
    String.raw`(?:[=!]==?|[<>]=?)\s*["'\x60]2\.\d+["'\x60]`,
    String.raw`["'\x60]2\.\d+["'\x60]\s*(?:[=!]==?|[<>]=?)`,
    String.raw`\b(?:version|glibc)\s*(?:[=!]==?|[<>]=?)\s*["'\x60]\d`,
    String.raw`case\s+["'\x60]2\.\d+["'\x60]`,
    String.raw`(?:version|glibc)\.(?:startsWith|localeCompare|split)\(`,
    String.raw`\.split\(["'\x60]\.["'\x60]\)\.map\(Number\)`,
    String.raw`\[["'\x60]2\.\d+["'\x60](?:\s*,\s*["'\x60]2\.\d+["'\x60])+\]`,
  ].join("|"),
);

Deno.test("no module outside the glibc profile compares or lists glibc versions", () => {
  const offenders: string[] = [];
  for (const file of [...sources("src"), ...sources("tools")]) {
    if (file === "src/malloc/profile.ts") continue;
    const lines = Deno.readTextFileSync(ROOT + file).split("\n");
    lines.forEach((line, i) => {
      const code = line.replace(/^\s*\*.*$/, "").replace(/\/\/.*$/, "");
      if (VERSION_COMPARE.test(code)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the version-compare check catches the usual ways of comparing versions", () => {
  for (
    const code of [
      `if (glibc === "2.23") x();`,
      `const legacy = version < "2.27";`,
      `case "2.41":`,
      `const list = ["2.31", "2.36"];`,
      `profile.version.startsWith("2.4")`,
      `const [a, b] = v.split(".").map(Number);`,
    ]
  ) assert.ok(VERSION_COMPARE.test(code), code);
  assert.ok(!VERSION_COMPARE.test(`new Allocator(proc, { glibc: "2.36" })`));
  assert.ok(!VERSION_COMPARE.test(`if (typeof o.glibc !== "string") fail();`));
});

Deno.test("each fact of the table is read at every version into the profile", () => {
  for (const v of GLIBC_VERSIONS) {
    const p = glibcProfile(v, "x86_64") as unknown as Record<string, unknown>;
    for (const name of Object.keys(GLIBC_FACTS)) {
      if (name === "mmapFallbackSwapped" || name === "i386Align16") continue;
      assert.notEqual(p[name], undefined, `${v}: ${name}`);
    }
  }
});

Deno.test("version lists derive from the table: oracle builds, compared versions, facts", () => {
  assert.deepEqual(
    ORACLE_BUILDS.map((b) => `${b.glibc}-${b.arch}`).filter((n) => n < "2.42"),
    ["2.31-x86_64", "2.31-i386", "2.36-x86_64", "2.36-i386", "2.41-x86_64", "2.41-i386"],
  );
  assert.deepEqual(COMPARED_VERSIONS.slice(0, 5), ["2.23", "2.27", "2.31", "2.36", "2.41"]);
  assert.deepEqual(versionsWhere((p) => !p.tcache), ["2.23"]);
  assert.deepEqual(
    versionsWhere((p) => p.safeLinking).filter((v) => v < "2.42"),
    ["2.35", "2.36", "2.39", "2.41"],
  );
});

Deno.test("a fact changes at the release the table gives, not before", () => {
  assert.equal(glibcProfile("2.31", "x86_64").safeLinking, false);
  assert.equal(glibcProfile("2.35", "x86_64").safeLinking, true);
  assert.equal(glibcProfile("2.23", "x86_64").stackGuard, "rw-then-mprotect");
  assert.equal(glibcProfile("2.27", "x86_64").stackGuard, "none-then-mprotect");
  assert.equal(glibcProfile("2.23", "x86_64").stdioBuffers, "mmap");
  assert.equal(glibcProfile("2.27", "i386").stdioBuffers, "malloc");
});

Deno.test("2.42+ large tcache bins are named for the power-of-two size class they hold", async () => {
  const { BinIndex } = await import("../../src/malloc/bins.ts");
  const b = new BinIndex(glibcProfile("2.43", "x86_64"));
  assert.equal(b.tcacheName(63), "tcache 0x410");
  assert.equal(b.tcacheName(64), "tcache 0x420-0x7f0");
  assert.equal(b.tcacheName(65), "tcache 0x800-0xff0");
  assert.equal(b.tcacheName(75), "tcache 0x200000-0x3ffff0"); // up to 4 MiB
  // Past the 76 bins only a corrupted mp_.tcache_bins leads: sizes up to 2^64 still have a
  // range, an index past them a number (it read `tcache 0xInfinity-0xInfinity`).
  assert.equal(b.tcacheName(117), "tcache 0x8000000000000000-0xfffffffffffffff0");
  assert.equal(b.tcacheName(118), "tcache bin 118");
  assert.equal(b.tcacheName(1e9), "tcache bin 1000000000");
  assert.equal(new BinIndex(glibcProfile("2.43", "i386")).tcacheName(86), "tcache bin 86");
  const p = glibcProfile("2.43", "x86_64");
  assert.equal(p.tcacheStructSize, 76 * (2 + 8));
  assert.equal(p.nFastbins, 0);
  assert.equal(p.arena.size, 0x840); // no fastbinsY, no have_fastchunks
});
