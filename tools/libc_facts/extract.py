#!/usr/bin/env python3
"""Extracts the libc.so.6 facts heaplab's simulated libc is built from, for every Debian build
the oracle runs: symbol offsets (from Debian's libc6-dbg of the same package version), the TLS
offsets of malloc's thread variables, the layouts of struct malloc_state / malloc_par (DWARF,
through gdb), the program headers, the range glibc validates FILE vtables against, and the
function every word of the stdio vtables in it points to.

Usage: extract.py [--cache /tmp/oracle-cache] [--dbg /tmp/libc-dbg] [--src /tmp/gsrc] > tests/fixtures/libc/symbols.json

--dbg holds the unpacked libc6-dbg packages, one folder per .deb (libc6-dbg_<debver>_<arch>/),
downloaded with `apt-get $(debian-suite-apt.sh) download libc6-dbg:<arch>=<debver>` (the
script is /work/shared/tools/debian-suite-apt.sh; <debver> is the "package" of each build in
symbols.json) and unpacked with `dpkg-deb -x libc6-dbg_<debver>_<arch>.deb
libc6-dbg_<debver>_<arch>`.
"""
import argparse, glob, json, os, re, subprocess, sys

VERSIONS = ["2.31", "2.36", "2.41", "2.43", "2.44"]
ARCHS = {"amd64": "x86_64", "i386": "i386"}
SYMBOLS = [
    "main_arena", "mp_", "global_max_fast", "__malloc_hook", "__free_hook", "__realloc_hook",
    "__memalign_hook", "__after_morecore_hook", "__libc_single_threaded", "_IO_2_1_stdin_",
    "_IO_2_1_stdout_", "_IO_2_1_stderr_", "environ", "__environ", "system", "execve", "puts",
    "printf", "free", "malloc", "exit", "abort", "tcache_key", "perturb_byte", "narenas",
    "__malloc_initialized", "free_list", "_IO_list_all", "__libc_system", "__tcache_dummy",
    "malloc_hook_ini", "realloc_hook_ini", "memalign_hook_ini", "_IO_file_jumps",
    "_IO_wfile_jumps", "_IO_stdfile_0_lock", "_IO_stdfile_1_lock", "_IO_stdfile_2_lock",
    "_IO_wide_data_0", "_IO_wide_data_1", "_IO_wide_data_2", "stdin", "stdout", "stderr",
    "initial", "__exit_funcs", "__exit_funcs_done", "__new_exitfn_called", "__exit_funcs_lock",
    "on_exit", "__cxa_atexit",
]
# ld.so's symbols, from its own debug file in the same libc6-dbg package: _dl_fini, which
# __libc_start_main registers first in exit's list (csu/libc-start.c); _end, where its early
# calloc puts the main link_map; __pointer_chk_guard_local, rtld's copy of the pointer guard in
# its RELRO data (from 2.44 also exported as __pointer_chk_guard, which PTR_MANGLE reads)
LD_SYMBOLS = ["_dl_fini", "_end", "__pointer_chk_guard_local", "__pointer_chk_guard"]
# TLS variables: malloc's, errno, and tls_dtor_list (cxa_thread_atexit_impl.c: the head of the
# thread's TLS destructors, which __call_tls_dtors runs at exit and at a thread's end)
TLS = ["tcache", "thread_arena", "tcache_shutting_down", "errno", "tls_dtor_list"]


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def libc_of(root):
    for d in ("usr/lib", "lib"):
        for t in ("x86_64-linux-gnu", "i386-linux-gnu"):
            p = os.path.join(root, d, t, "libc.so.6")
            if os.path.exists(p):
                return p
    raise SystemExit(f"no libc.so.6 under {root}")


def ld_of(root):
    for d in ("usr/lib", "lib"):
        for t, name in (("x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
                        ("i386-linux-gnu", "ld-linux.so.2")):
            p = os.path.join(root, d, t, name)
            if os.path.exists(p):
                return p
    raise SystemExit(f"no ld.so under {root}")


def build_id(path):
    m = re.search(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", path))
    return m.group(1)


def nm_symbols(path, dynamic=False):
    """name -> (value, size, type letter); a versioned name is also stored bare."""
    out = {}
    args = ["nm", "-S"] + (["-D"] if dynamic else []) + [path]
    for line in run(*args).splitlines():
        f = line.split()
        if len(f) == 4:
            value, size, kind, name = f
        elif len(f) == 3 and len(f[0]) > 2:
            value, kind, name = f
            size = "0"
        else:
            continue
        bare = name.split("@")[0]
        entry = (int(value, 16), int(size, 16), kind)
        out.setdefault(name, entry)
        out.setdefault(bare, entry)
    return out


def nm_by_address(path):
    """address -> set of (name, type letter), every symbol as nm lists it (static ones of the
    same name in two files included)."""
    out = {}
    for line in run("nm", path).splitlines():
        f = line.split()
        if len(f) == 3:
            out.setdefault(int(f[0], 16), set()).add((f[2], f[1]))
    return out


def program_headers(path):
    rows = []
    for line in run("readelf", "-lW", path).splitlines():
        f = line.split()
        if f and f[0] in ("LOAD", "TLS", "GNU_RELRO", "DYNAMIC"):
            flags = " ".join(f[6:-1])
            rows.append({
                "type": f[0], "offset": int(f[1], 16), "vaddr": int(f[2], 16),
                "filesz": int(f[4], 16), "memsz": int(f[5], 16), "flags": flags,
                "align": int(f[-1], 16),
            })
    return rows


def struct_layout(debug, struct):
    out = run("gdb", "-batch", "-nx", "-ex", f"ptype/o struct {struct}", debug)
    fields, total = {}, None
    for line in out.splitlines():
        m = re.match(r"/\*\s+(\d+)\s+\|\s+(\d+) \*/\s+(.*?)(\w+)(\[\d+\])*;", line)
        if m:
            fields[m.group(4)] = {"offset": int(m.group(1)), "size": int(m.group(2))}
        m = re.search(r"total size \(bytes\):\s+(\d+)", line)
        if m:
            total = int(m.group(1))
    return {"fields": fields, "size": total}


def type_size(debug, expr):
    out = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"print sizeof({expr})", debug],
                         capture_output=True, text=True).stdout
    m = re.search(r"= (\d+)", out)
    return int(m.group(1)) if m else None


def io_vtables(path, local):
    """The range a FILE's vtable pointer must lie in, which glibc 2.24+ checks
    (IO_validate_vtable): up to 2.36 the ELF section __libc_IO_vtables (readelf -S; the debug
    file's __start_/__stop___libc_IO_vtables bound the same bytes), from 2.37 the array
    __io_vtables (a local symbol of the debug file; the section is gone)."""
    m = re.search(r"\]\s+__libc_IO_vtables\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)",
                  run("readelf", "-SW", path))
    if m:
        start = int(m.group(1), 16)
        end = start + int(m.group(2), 16)
        bounds = (local.get("__start___libc_IO_vtables"), local.get("__stop___libc_IO_vtables"))
        if None not in bounds and (bounds[0][0], bounds[1][0]) != (start, end):
            raise SystemExit(f"{path}: __libc_IO_vtables is not [__start_, __stop_)")
        return {"start": start, "end": end, "from": "section __libc_IO_vtables"}
    hit = local["__io_vtables"]
    return {"start": hit[0], "end": hit[0] + hit[1], "from": "symbol __io_vtables"}


def relocated_words(path, start, end, data, word):
    """The words of [start, end) the loader relocates to base + addend: the RELATIVE entries of
    .rela.dyn/.rel.dyn (RELA: the addend in the table; REL: the word in place) and the offsets
    packed in .relr.dyn (2.36+; the word in place). offset -> addend. Any other relocation there
    is an error: libc's vtables point only into libc."""
    words, relr = {}, False
    for line in run("readelf", "-rW", path).splitlines():
        if line.startswith("Relocation section"):
            relr = ".relr" in line
            continue
        f = line.split()
        if not f or not re.fullmatch(r"[0-9a-f]+", f[0]):
            continue
        off = int(f[0], 16)
        if not start <= off < end:
            continue
        in_place = int.from_bytes(data[off - start:off - start + word], "little")
        if relr:
            words[off] = in_place
        elif f[2].endswith("_RELATIVE") and not f[2].endswith("IRELATIVE"):
            words[off] = int(f[3], 16) if len(f) >= 4 else in_place
        else:
            raise SystemExit(f"{path}: {f[2]} at {off:#x} among the vtables")
    return words


def vtable_names(by_address, io, ver, count, src, stride):
    """offset -> name of each vtable in the section: up to 2.36 the debug file's data symbols
    inside it (one per vtable, but for glibc's aliases __GI_* and the section's bounds); from 2.37
    the entries of __io_vtables, named by libioP.h's enum (IO_FILE_JUMPS = 2, …) and its
    `#define _IO_file_jumps (__io_vtables[IO_FILE_JUMPS])`, the first value of each enum name
    being the one of a build with the GLIBC_2.0 compatibility vtables (i386)."""
    if io["from"] == "section __libc_IO_vtables":
        names = {}
        for value, group in by_address.items():
            group = {n for n, kind in group if kind in "bBdDrR" and "@" not in n
                     and not n.startswith(("__GI_", "__start_", "__stop_"))}
            if io["start"] <= value < io["end"] and group:
                if len(group) != 1:
                    raise SystemExit(f"{ver}: vtables {group} at {value:#x}")
                names[value] = group.pop()
        return names
    header = open(os.path.join(src, ver, "libio/libioP.h")).read()
    index = {}
    for name, value in re.findall(r"^\s*(IO_\w+JUMPS\w*)\s*=\s*(\d+)", header, re.M):
        index.setdefault(name, int(value))
    alias = dict(re.findall(r"#define\s+(_IO_\w+)\s+\(__io_vtables\[(IO_\w+)\]\)", header))
    named = {index[e]: n for n, e in alias.items() if index[e] < count}
    if sorted(named) != list(range(count)):
        raise SystemExit(f"{ver}: __io_vtables holds {count} vtables, libioP.h names {named}")
    return {io["start"] + i * stride: n for i, n in named.items()}


def io_vtable_contents(path, debug, local, io, headers, ver, arch, src):
    """Each vtable in libc's vtable section: its name, offset from libc's base, and the function
    each word of it points to once relocated (null for a zero word: the two dummies of `struct
    _IO_jump_t` and the padding between vtables). A function is named by the debug file's
    symbol at the address, less glibc's aliases (__GI_*, versioned names): `_IO_new_file_xsputn`,
    the name fileops.c defines, rather than `_IO_file_xsputn@@GLIBC_2.2.5`."""
    word = 8 if arch == "x86_64" else 4
    start, end = io["start"], io["end"]
    seg = next(h for h in headers if h["type"] == "LOAD" and "W" in h["flags"])
    raw = open(path, "rb").read()
    data = raw[start - seg["vaddr"] + seg["offset"]:end - seg["vaddr"] + seg["offset"]]
    relocated = relocated_words(path, start, end, data, word)
    by_address = nm_by_address(debug)
    functions = {v: {n for n, kind in g if kind in "tTWi" and "@" not in n
                     and not n.startswith("__GI_")} for v, g in by_address.items()}
    stride = 21 * word  # sizeof (struct _IO_jump_t): two dummies and 19 functions
    names = vtable_names(by_address, io, ver, (end - start) // stride, src, stride)
    if local["_IO_file_jumps"][0] not in names or names[local["_IO_file_jumps"][0]] != "_IO_file_jumps":
        raise SystemExit(f"{ver} {arch}: _IO_file_jumps is not where the vtables say")
    out, current = [], None
    for off in range(start, end, word):
        if off in names:
            current = {"name": names[off], "offset": off, "slots": []}
            out.append(current)
        target = relocated.get(off)
        if target is None:
            if any(data[off - start:off - start + word]):
                raise SystemExit(f"{ver} {arch}: an unrelocated word at {off:#x}")
            fn = None
        else:
            group = functions.get(target, set())
            if len(group) != 1:
                raise SystemExit(f"{ver} {arch}: {off:#x} -> {target:#x} names {group}")
            fn = next(iter(group))
        if current is None:
            raise SystemExit(f"{ver} {arch}: a word at {off:#x} before the first vtable")
        current["slots"].append(fn)
    for v in out:  # the padding after a vtable (up to 2.36 each is aligned to 32 bytes)
        while len(v["slots"]) > 21 and v["slots"][-1] is None:
            v["slots"].pop()
        if len(v["slots"]) != 21:
            raise SystemExit(f"{ver} {arch}: {v['name']} has {len(v['slots'])} words")
    return out


def data_window(path, headers, start, end):
    """The file's bytes for [start, end) of the writable segment, and the RELATIVE relocations
    in it (offset, addend): what the loader leaves there before main (base + addend)."""
    seg = next(h for h in headers if h["type"] == "LOAD" and "W" in h["flags"])
    raw = open(path, "rb").read()
    data = raw[start - seg["vaddr"] + seg["offset"]:end - seg["vaddr"] + seg["offset"]]
    relocs = []
    for line in run("readelf", "-rW", path).splitlines():
        f = line.split()
        if len(f) >= 3 and f[2] in ("R_X86_64_RELATIVE", "R_386_RELATIVE"):
            off = int(f[0], 16)
            if start <= off < end:
                if len(f) >= 4:  # RELA: the addend is in the table
                    addend = int(f[3], 16)
                else:  # REL: the addend is the word in place
                    addend = int.from_bytes(data[off - start:off - start + 4], "little")
                relocs.append([off, addend])
    return {"offset": start, "bytes": data.hex(), "relative": relocs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/tmp/oracle-cache")
    ap.add_argument("--dbg", default="/tmp/libc-dbg")
    ap.add_argument("--src", default="/tmp/gsrc", help="Debian's glibc sources, <version>/libio/")
    args = ap.parse_args()
    builds = []
    for ver in VERSIONS:
        for debarch, arch in ARCHS.items():
            root = os.path.join(args.cache, f"root-{ver}-{debarch}")
            libc = libc_of(root)
            bid = build_id(libc)
            dbgs = glob.glob(os.path.join(args.dbg, f"libc6-dbg_{ver}-*_{debarch}",
                                          "usr/lib/debug/.build-id", bid[:2], bid[2:] + ".debug"))
            if len(dbgs) != 1:
                raise SystemExit(f"{ver} {debarch}: no debug file for build id {bid}")
            debug = dbgs[0]
            debver = re.search(r"libc6-dbg_([^_]+)_", debug).group(1)
            local = nm_symbols(debug)
            dyn = nm_symbols(libc, dynamic=True)
            symbols = {}
            for name in SYMBOLS:
                hit = local.get(name) or dyn.get(name)
                if hit and hit[2] not in "Uu":
                    symbols[name] = {"offset": hit[0], "size": hit[1],
                                     "exported": name in dyn}
            tls = {}
            for name in TLS:
                hit = local.get(name)
                if hit:
                    tls[name] = {"offset": hit[0], "size": hit[1]}
            ld = ld_of(root)
            ld_bid = build_id(ld)
            ld_dbgs = glob.glob(os.path.join(args.dbg, f"libc6-dbg_{ver}-*_{debarch}",
                                             "usr/lib/debug/.build-id", ld_bid[:2],
                                             ld_bid[2:] + ".debug"))
            if len(ld_dbgs) != 1:
                raise SystemExit(f"{ver} {debarch}: no debug file for ld.so's build id {ld_bid}")
            ld_local = nm_symbols(ld_dbgs[0])
            ld_symbols = {n: {"offset": ld_local[n][0], "size": ld_local[n][1]}
                          for n in LD_SYMBOLS if n in ld_local}
            headers = program_headers(libc)
            arena = symbols["main_arena"]["offset"]
            builds.append({
                "version": ver,
                "arch": arch,
                "package": f"libc6_{debver}_{debarch}",
                "buildId": bid,
                "fileSize": os.path.getsize(libc),
                "symbols": symbols,
                "tls": tls,
                "ld": {"buildId": ld_bid, "symbols": ld_symbols,
                       "programHeaders": program_headers(ld)},
                "programHeaders": headers,
                "dataBeforeMainArena": data_window(libc, headers, arena - 0x100, arena),
                "malloc_state": struct_layout(debug, "malloc_state"),
                "malloc_par": struct_layout(debug, "malloc_par"),
                "sizeof": {
                    "global_max_fast": type_size(debug, "global_max_fast"),
                    "tcache_perthread_struct": type_size(debug, "struct tcache_perthread_struct"),
                    "heap_info": type_size(debug, "heap_info"),
                },
                # the count __cxa_thread_atexit_impl raises in the registering object's link_map
                # and __call_tls_dtors lowers after each call
                "link_map": {"l_tls_dtor_count":
                             struct_layout(debug, "link_map")["fields"]["l_tls_dtor_count"]},
                "ioVtables": io_vtables(libc, local),
                "ioVtableContents": io_vtable_contents(libc, debug, local, io_vtables(libc, local),
                                                       headers, ver, arch, args.src),
            })
            print(f"{ver} {arch}: {len(symbols)} symbols", file=sys.stderr)
    json.dump({"source": "tools/libc_facts/extract.py", "builds": builds}, sys.stdout, indent=1)
    print()


main()
