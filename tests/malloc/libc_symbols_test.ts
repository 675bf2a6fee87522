import assert from "node:assert/strict";
import { IO_VTABLE_FUNCTIONS, LIBC_BUILDS } from "../../src/malloc/libc_symbols.ts";
import { glibcProfile } from "../../src/malloc/profile.ts";

const FIX = new URL("../fixtures/libc/", import.meta.url);

interface RawBuild {
  version: string;
  arch: string;
  buildId: string;
  symbols: Record<string, { offset: number; size: number }>;
  tls: Record<string, { offset: number }>;
  malloc_state: { fields: Record<string, { offset: number }>; size: number };
  malloc_par: { fields: Record<string, { offset: number }>; size: number };
  ioVtables: { start: number; end: number };
  ioVtableContents: { name: string; offset: number; slots: (string | null)[] }[];
}

const raw: RawBuild[] = JSON.parse(Deno.readTextFileSync(new URL("symbols.json", FIX))).builds;

function probe(version: string, arch: string): { lines: string[]; facts: Map<string, number> } {
  let text: string;
  try {
    text = Deno.readTextFileSync(new URL(`probe-${version}-${arch}.txt`, FIX));
  } catch {
    return { lines: [], facts: new Map() };
  }
  const lines: string[] = [];
  const facts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const f = line.split(/\s+/);
    if (f[0] === "maps") lines.push(line.slice(5));
    else if (f.length === 2 && f[1].includes("0x")) {
      facts.set(f[0], f[1][0] === "-" ? -Number(f[1].slice(1)) : Number(f[1]));
    }
  }
  return { lines, facts };
}

const hex = (n: number) => "0x" + n.toString(16);

for (const build of LIBC_BUILDS) {
  const name = `${build.version} ${build.arch}`;
  const r = raw.find((b) => b.version === build.version && b.arch === build.arch)!;

  Deno.test(`libc ${name}: the module holds the extracted symbol offsets`, () => {
    assert.equal(build.buildId, r.buildId);
    for (const [sym, offset] of Object.entries(build.symbols)) {
      assert.equal(hex(offset), hex(r.symbols[sym].offset), sym);
    }
    assert.equal(build.tlsBlock.tcache, r.tls.tcache.offset);
    assert.equal(build.mallocParSize, r.malloc_par.size);
    assert.equal(build.mallocStateSize, r.malloc_state.size);
  });

  Deno.test(`libc ${name}: the stdio vtables lie in the range glibc validates FILE vtables against`, () => {
    assert.deepEqual(build.ioVtables, { start: r.ioVtables.start, end: r.ioVtables.end });
    for (const sym of ["_IO_file_jumps", "_IO_wfile_jumps"]) {
      assert.ok(sym in build.symbols, `${sym} missing`);
      const offset = build.symbols[sym];
      assert.equal(hex(offset), hex(r.symbols[sym].offset), sym);
      assert.ok(build.ioVtables.start <= offset, sym);
      assert.ok(offset + r.symbols[sym].size <= build.ioVtables.end, sym);
    }
  });

  Deno.test(`libc ${name}: the module holds each stdio vtable's functions as extracted`, () => {
    const list = build.ioVtableList.map(([offset, key]) => ({
      name: key.replace(/#\d+$/, ""),
      offset,
      slots: IO_VTABLE_FUNCTIONS[key],
    }));
    assert.deepEqual(list, r.ioVtableContents);
    const word = build.arch === "x86_64" ? 8 : 4, [first] = build.ioVtableList;
    assert.equal(first[0], build.ioVtables.start);
    for (const [offset, key] of build.ioVtableList) {
      assert.ok(offset + 21 * word <= build.ioVtables.end, key);
    }
    const at = (sym: string) => build.ioVtableList.find(([o]) => o === build.symbols[sym])?.[1];
    assert.equal(at("_IO_file_jumps"), "_IO_file_jumps");
    assert.equal(at("_IO_wfile_jumps"), "_IO_wfile_jumps");
  });

  const { lines, facts } = probe(build.version, build.arch);
  if (lines.length === 0) continue; // i386 builds: this machine runs no 32-bit programs

  Deno.test(`libc ${name}: the maps lines derived from its program headers are the real process's`, () => {
    const base = parseInt(lines[0], 16);
    const real = lines.map((l) => {
      const [range, perms, offset] = l.split(/\s+/);
      const [s, e] = range.split("-").map((x) => parseInt(x, 16) - base);
      return `${hex(s)}-${hex(e)} ${perms} ${hex(parseInt(offset, 16))}`;
    });
    const derived = build.segments.filter((s) => s[3] >= 0).map(([s, e, p, o]) =>
      `${hex(s)}-${hex(e)} ${p} ${hex(o)}`
    );
    assert.deepEqual(derived, real);
  });

  Deno.test(`libc ${name}: function and stdio addresses in the running process are the symbols'`, () => {
    for (
      const sym of [
        "system",
        "execve",
        "puts",
        "printf",
        "free",
        "malloc",
        "exit",
        "environ",
        "_IO_2_1_stdin_",
        "_IO_2_1_stdout_",
        "_IO_2_1_stderr_",
      ]
    ) {
      assert.equal(hex(facts.get(sym)!), hex(build.symbols[sym]), sym);
    }
  });

  Deno.test(`libc ${name}: a freed unsorted chunk's fd is main_arena's unsorted bin header`, () => {
    const sizeSz = build.arch === "x86_64" ? 8 : 4;
    const bins = r.malloc_state.fields.bins.offset;
    const leak = facts.get("unsorted_fd")!;
    assert.equal(hex(leak), hex(build.symbols.main_arena + bins - 2 * sizeSz));
    assert.equal(facts.get("unsorted_bk"), leak);
    if (["2.31", "2.36", "2.41"].includes(build.version)) {
      const profile = glibcProfile(build.version, build.arch);
      assert.equal(profile.arena.bins, bins);
      assert.equal(profile.arena.size, build.mallocStateSize);
    }
  });

  Deno.test(`libc ${name}: the TLS tcache variable sits below the thread pointer by libc's TLS block`, () => {
    const { size, align, tcache } = build.tlsBlock;
    const block = Math.ceil(size / align) * align;
    assert.equal(facts.get("tcache_var-tp"), tcache - block);
    assert.equal(build.tcacheFromThreadPointer, tcache - block);
  });
}

for (const build of LIBC_BUILDS) {
  const dir = new URL(
    `../fixtures/oracle/expected-raw/${build.version}-${build.arch}/`,
    import.meta.url,
  );
  let text: string;
  try {
    text = Deno.readTextFileSync(new URL("seed_sbrk.out", dir));
  } catch {
    continue; // the oracle has no raw output for this build
  }
  Deno.test(`libc ${build.version} ${build.arch}: the derived maps lines are those of the oracle's rawmaps`, () => {
    const first = text.indexOf(" rawmaps\n");
    const lines = text.slice(first).split("\n").filter((l) => /\/libc\.so\.6$/.test(l));
    const end = lines.findIndex((l, i) => i > 0 && / 00000000 /.test(l));
    const libc = lines.slice(0, end < 0 ? lines.length : end).map((l) => l.trim().split(/\s+/));
    const base = parseInt(libc[0][0], 16);
    const real = libc.map(([range, perms, offset]) => {
      const [s, e] = range.split("-").map((x) => parseInt(x, 16) - base);
      return `${hex(s)}-${hex(e)} ${perms} ${hex(parseInt(offset, 16))}`;
    });
    const derived = build.segments.filter((s) => s[3] >= 0).map(([s, e, p, o]) =>
      `${hex(s)}-${hex(e)} ${p} ${hex(o)}`
    );
    assert.deepEqual(derived, real);
  });
}

/** A library's lines of a rawmaps block as `start-end perms offset` from its first line's start. */
function relativeLines(lines: readonly string[]): string[] {
  const fields = lines.map((l) => l.trim().split(/\s+/));
  const base = parseInt(fields[0][0], 16);
  return fields.map(([range, perms, offset, , inode]) => {
    const [s, e] = range.split("-").map((x) => parseInt(x, 16) - base);
    return `${hex(s)}-${hex(e)} ${perms} ${hex(inode === "0" ? -1 : parseInt(offset, 16))}`;
  });
}

for (const build of LIBC_BUILDS) {
  const url = new URL(
    `../fixtures/oracle/expected-raw/${build.version}-${build.arch}/seed_sbrk.out`,
    import.meta.url,
  );
  let text: string;
  try {
    text = Deno.readTextFileSync(url);
  } catch {
    continue; // the oracle has no raw output for this build
  }
  Deno.test(`ld.so ${build.version} ${build.arch}: the maps lines derived from its program headers are those Linux mapped (the oracle's rawmaps)`, () => {
    const block = text.slice(text.indexOf(" rawmaps\n")).split("\n").slice(1);
    const first = block.findIndex((l) => /\/ld-linux[^/]*$/.test(l));
    // its lines, and the anonymous one of its .bss past the file, if any
    let end = first;
    while (/\/ld-linux[^/]*$/.test(block[end])) end++;
    const last = block[end - 1].trim().split(/\s+/)[0].split("-")[1];
    if (block[end].trim().startsWith(`${last}-`) && / 0\s*$/.test(block[end])) end++;
    const derived = build.ldSegments.map(([s, e, p, o]) => `${hex(s)}-${hex(e)} ${p} ${hex(o)}`);
    assert.deepEqual(derived, relativeLines(block.slice(first, end)));
  });
}
