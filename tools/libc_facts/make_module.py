#!/usr/bin/env python3
"""Writes src/malloc/libc_symbols.ts from tests/fixtures/libc/symbols.json (extract.py) and the
probe fixtures (probe.sh): the facts of each real libc.so.6 build that heaplab's simulated libc
is laid out from. tests/malloc/libc_symbols_test.ts checks that the module agrees with both."""
import glob, json, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(REPO, "tests/fixtures/libc")
PAR = {
    "trim_threshold": "trimThreshold", "top_pad": "topPad", "mmap_threshold": "mmapThreshold",
    "arena_test": "arenaTest", "arena_max": "arenaMax", "thp_pagesize": "thpPagesize",
    "hp_pagesize": "hpPagesize", "hp_flags": "hpFlags", "n_mmaps": "nMmaps",
    "n_mmaps_max": "nMmapsMax", "max_n_mmaps": "maxNMmaps", "no_dyn_threshold": "noDynThreshold",
    "mmapped_mem": "mmappedMem", "max_mmapped_mem": "maxMmappedMem", "sbrk_base": "sbrkBase",
    "tcache_bins": "tcacheBins", "tcache_max_bytes": "tcacheMaxBytes",
    "tcache_count": "tcacheCount", "tcache_unsorted_limit": "tcacheUnsortedLimit",
    "tcache_small_bins": "tcacheSmallBins", "thp_mode": "thpMode",
}
SYMS = ["main_arena", "mp_", "global_max_fast", "__malloc_hook", "__free_hook", "__realloc_hook",
        "__memalign_hook", "__after_morecore_hook", "__libc_single_threaded", "_IO_2_1_stdin_",
        "_IO_2_1_stdout_", "_IO_2_1_stderr_", "_IO_list_all", "environ", "system", "execve",
        "puts", "printf", "free", "malloc", "exit", "abort", "tcache_key", "perturb_byte",
        "narenas", "free_list", "__malloc_initialized", "__tcache_dummy", "malloc_hook_ini",
        "realloc_hook_ini", "memalign_hook_ini", "_IO_file_jumps", "_IO_wfile_jumps",
        "_IO_stdfile_0_lock", "_IO_stdfile_1_lock", "_IO_stdfile_2_lock", "_IO_wide_data_0",
        "_IO_wide_data_1", "_IO_wide_data_2", "stdin", "stdout", "stderr", "initial",
        "__exit_funcs", "__exit_funcs_done", "__new_exitfn_called", "__exit_funcs_lock", "on_exit",
        "__cxa_atexit"]


def page_down(x):
    return x & ~0xfff


def page_up(x):
    return (x + 0xfff) & ~0xfff


def segments(headers, holes=True):
    """The lines /proc/PID/maps shows for a library once the loader is done: each PT_LOAD's file
    pages, its RELRO part made read-only, and the anonymous pages of .bss past the file. holes:
    whether a hole between two segments is a PROT_NONE line, as ld.so maps libc (it reserves the
    whole span first), or nothing, as Linux maps the program's interpreter, ld.so itself (it
    unmaps the span past the first segment and maps each next one there: the real maps of 2.31,
    whose ld.so has a hole, show none, tests/fixtures/c/program_image/images.json)."""
    relro = next((h for h in headers if h["type"] == "GNU_RELRO"), None)
    out = []
    prev_end = None
    for h in headers:
        if h["type"] != "LOAD":
            continue
        if holes and prev_end is not None and page_down(h["vaddr"]) > prev_end:
            out.append([prev_end, page_down(h["vaddr"]), "---p", prev_end])
        prev_end = page_up(h["vaddr"] + h["memsz"])
        perms = ("r" if "R" in h["flags"] else "-") + ("w" if "W" in h["flags"] else "-") + \
            ("x" if "E" in h["flags"] else "-") + "p"
        start, end = page_down(h["vaddr"]), page_up(h["vaddr"] + h["filesz"])
        off = page_down(h["offset"])
        if relro and "W" in h["flags"] and start <= relro["vaddr"] < end:
            rend = page_down(relro["vaddr"] + relro["memsz"])
            out.append([start, rend, "r--p", off])
            off += rend - start
            start = rend
        if end > start:
            out.append([start, end, perms, off])
        mend = page_up(h["vaddr"] + h["memsz"])
        if mend > end:
            out.append([end, mend, "rw-p", -1])
    return out


def probe(ver, arch):
    path = os.path.join(FIX, f"probe-{ver}-{arch}.txt")
    if not os.path.exists(path):
        return None
    facts = {}
    for line in open(path):
        f = line.split()
        if len(f) == 2 and not line.startswith("#"):
            facts[f[0]] = int(f[1], 16)
    return facts


def hexs(n):
    return ("-" if n < 0 else "") + hex(abs(n))


def vtable_keys(builds):
    """Each distinct vtable (name and functions) once: key -> functions, and per build the key of
    each of its vtables. A key is the vtable's name, `name#2` for a second content under it."""
    tables, per_build = {}, []
    for b in builds:
        keys = []
        for v in b["ioVtableContents"]:
            slots, n = tuple(v["slots"]), 1
            key = v["name"]
            while key in tables and tables[key] != slots:
                n += 1
                key = f"{v['name']}#{n}"
            tables[key] = slots
            keys.append((v["offset"], key))
        per_build.append(keys)
    return tables, per_build


def main():
    data = json.load(open(os.path.join(FIX, "symbols.json")))
    tables, vtable_lists = vtable_keys(data["builds"])
    rows = []
    for b, vtables in zip(data["builds"], vtable_lists):
        syms = b["symbols"]
        vts = ", ".join(f'[{hex(o)}, "{k}"]' for o, k in vtables)
        sym = ", ".join(f'"{s}": {hex(syms[s]["offset"])}' for s in SYMS if s in syms)
        par = b["malloc_par"]["fields"]
        pars = ", ".join(f"{PAR[k]}: {v['offset']}" for k, v in par.items())
        tls_seg = next(h for h in b["programHeaders"] if h["type"] == "TLS")
        tls = ", ".join(f"{k}: {v['offset']}" for k, v in
                        (("tcache", b["tls"]["tcache"]), ("threadArena", b["tls"]["thread_arena"]),
                         ("tlsDtorList", b["tls"]["tls_dtor_list"])))
        segs = ", ".join(f'[{hex(s)}, {hex(e)}, "{p}", {hexs(o)}]' for s, e, p, o in
                         segments(b["programHeaders"]))
        win = b["dataBeforeMainArena"]
        rel = ", ".join(f"[{hex(o)}, {hex(a)}]" for o, a in win["relative"])
        pr = probe(b["version"], b["arch"])
        ld = ", ".join(f'"{n}": {hex(v["offset"])}' for n, v in b["ld"]["symbols"].items())
        ld_segs = ", ".join(f'[{hex(s)}, {hex(e)}, "{p}", {hexs(o)}]' for s, e, p, o in
                            segments(b["ld"]["programHeaders"], holes=False))
        tp = hexs(pr["tp-base"]) if pr else "undefined"
        tcache_tp = hexs(pr["tcache_var-tp"]) if pr else "undefined"
        rows.append(f"""  {{
    version: "{b["version"]}",
    arch: "{b["arch"]}",
    package: "{b["package"]}",
    buildId: "{b["buildId"]}",
    segments: [{segs}],
    symbols: {{ {sym} }},
    ldSegments: [{ld_segs}],
    ldSymbols: {{ {ld} }},
    tlsBlock: {{ size: {tls_seg["memsz"]}, align: {tls_seg["align"]}, {tls} }},
    mainThreadPointer: {tp},
    tcacheFromThreadPointer: {tcache_tp},
    mallocPar: {{ {pars} }},
    mallocParSize: {b["malloc_par"]["size"]},
    mallocStateSize: {b["malloc_state"]["size"]},
    linkMapTlsDtorCount: {b["link_map"]["l_tls_dtor_count"]["offset"]},
    globalMaxFastSize: {b["sizeof"]["global_max_fast"] or 0},
    ioVtables: {{ start: {hex(b["ioVtables"]["start"])}, end: {hex(b["ioVtables"]["end"])} }},
    ioVtableList: [{vts}],
    dataBeforeMainArena: {{
      offset: {hex(win["offset"])},
      bytes: "{win["bytes"]}",
      relative: [{rel}],
    }},
  }},""")
    text = f"""/**
 * Facts of the real libc.so.6 builds the oracle runs (Debian's glibc 2.31, 2.36, 2.41, 2.43 and
 * 2.44 for i386 and x86_64): where glibc's allocator state and the functions exploits aim at lie
 * inside the library, how the loader maps it (and how Linux maps the loader, the same package's
 * ld.so), the layout of `struct malloc_par`, and what each word of libc's stdio vtables points
 * to (`IO_VTABLE_FUNCTIONS`). Extracted
 * from the libraries and Debian's libc6-dbg of the same package versions by
 * tools/libc_facts/extract.py and probe.sh (raw facts in tests/fixtures/libc/); this file is
 * generated from them by tools/libc_facts/make_module.py — do not edit it by hand.
 *
 * Over 500 lines: generated data, one record per build (five glibc versions for two
 * architectures), each listing its maps segments, symbol offsets, TLS offsets and `malloc_par`
 * layout, and the functions of some 25 distinct stdio vtables, a line each; only the types and
 * doc comments are written by hand in the generator.
 *
 * @module
 */

/** One line of a library (libc, ld.so) in /proc/PID/maps, relative to its base: start, end,
 * perms, file offset (-1 for the anonymous pages of .bss past the file). */
export type LibcSegment = readonly [number, number, string, number];

/** A real libc.so.6 build. */
export interface LibcBuildFacts {{
  /** glibc version. */
  readonly version: string;
  /** Architecture. */
  readonly arch: "i386" | "x86_64";
  /** The Debian package the library comes from. */
  readonly package: string;
  /** The library's GNU build id. */
  readonly buildId: string;
  /** What /proc/PID/maps shows of it, base-relative. */
  readonly segments: readonly LibcSegment[];
  /** Offsets of symbols from libc's base (those the build has). */
  readonly symbols: Readonly<Record<string, number>>;
  /**
   * What /proc/PID/maps shows of the same package's ld.so, base-relative, as Linux maps it for
   * a program that names it its interpreter (a hole between two segments is no line).
   */
  readonly ldSegments: readonly LibcSegment[];
  /**
   * Offsets of symbols of the same package's ld.so from ld.so's base: `_dl_fini`, which
   * `__libc_start_main` registers as the first entry of exit's list (`initial.fns[0]`); `_end`,
   * where its early calloc puts the main program's link_map; `__pointer_chk_guard_local`, its
   * copy of the pointer guard in its RELRO data, and from 2.44 `__pointer_chk_guard`, the same
   * word exported, which `PTR_MANGLE` reads.
   */
  readonly ldSymbols: Readonly<Record<string, number>>;
  /** libc's PT_TLS block and the offsets of malloc's thread variables inside it. */
  readonly tlsBlock: {{
    readonly size: number;
    readonly align: number;
    readonly tcache: number;
    readonly threadArena: number;
    /** `tls_dtor_list`, the head of the thread's TLS destructors (cxa_thread_atexit_impl.c). */
    readonly tlsDtorList: number;
  }};
  /** The main thread's thread pointer minus libc's base in the probe's process (x86_64 only). */
  readonly mainThreadPointer: number | undefined;
  /** Address of the TLS `tcache` variable minus the thread pointer (measured, x86_64 only). */
  readonly tcacheFromThreadPointer: number | undefined;
  /** Byte offsets of the fields of `struct malloc_par` (`mp_`). */
  readonly mallocPar: Readonly<Record<string, number>>;
  /** sizeof (struct malloc_par). */
  readonly mallocParSize: number;
  /** sizeof (struct malloc_state). */
  readonly mallocStateSize: number;
  /**
   * Offset of `l_tls_dtor_count` in `struct link_map`: what `__cxa_thread_atexit_impl` raises in
   * the registering object's map and `__call_tls_dtors` lowers after each destructor.
   */
  readonly linkMapTlsDtorCount: number;
  /** Bytes of `global_max_fast` (0: the build has none). */
  readonly globalMaxFastSize: number;
  /**
   * Where a FILE's vtable pointer must point for glibc's IO_validate_vtable (2.24+), [start, end)
   * from libc's base: the section `__libc_IO_vtables` up to 2.36, the array `__io_vtables` from
   * 2.37, which holds `_IO_file_jumps`, `_IO_wfile_jumps` and the other stdio vtables.
   */
  readonly ioVtables: {{ readonly start: number; readonly end: number }};
  /**
   * The vtables in that range, in order: each one's offset from libc's base and its key in
   * {{@link IO_VTABLE_FUNCTIONS}} (its name, `#2` added for a second content of the same name).
   */
  readonly ioVtableList: readonly (readonly [number, string])[];
  /**
   * The 256 bytes of libc's data right below `main_arena` as the loader leaves them (file bytes,
   * hex), and the RELATIVE relocations in them ([offset, addend]: the word is base + addend) —
   * up to 2.33 the hooks and the pointers an exploit's fake chunk sizes come from.
   */
  readonly dataBeforeMainArena: {{
    readonly offset: number;
    readonly bytes: string;
    readonly relative: readonly (readonly [number, number])[];
  }};
}}

/**
 * What each word of libc's stdio vtables points to once the loader has relocated it, by key
 * (see {{@link LibcBuildFacts.ioVtableList}}): the 21 words of a `struct _IO_jump_t` — null for a
 * zero word (`__dummy`, `__dummy2`), then the functions of `__finish`, `__overflow`,
 * `__underflow`, `__uflow`, `__pbackfail`, `__xsputn`, `__xsgetn`, `__seekoff`, `__seekpos`,
 * `__setbuf`, `__sync`, `__doallocate`, `__read`, `__write`, `__seek`, `__close`, `__stat`,
 * `__showmanyc`, `__imbue`, named as glibc's sources define them (`_IO_new_file_xsputn`, not its
 * versioned alias `_IO_file_xsputn`). Up to 2.36 each vtable is followed by zero words up to a
 * 32-byte boundary.
 */
export const IO_VTABLE_FUNCTIONS: Readonly<Record<string, readonly (string | null)[]>> = {{
{chr(10).join(f"  {json.dumps(k)}: [{', '.join(json.dumps(f) for f in v)}]," for k, v in tables.items())}
}};

/** Every real build, as extracted. */
export const LIBC_BUILDS: readonly LibcBuildFacts[] = [
{chr(10).join(rows)}
];
"""
    open(os.path.join(REPO, "src/malloc/libc_symbols.ts"), "w").write(text)


main()
