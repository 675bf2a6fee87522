#!/usr/bin/env python3
"""Extracts the libc.so.6 facts heaplab's simulated libc is built from, for every Debian build
the oracle runs: symbol offsets (from Debian's libc6-dbg of the same package version), the TLS
offsets of malloc's thread variables, the layouts of struct malloc_state / malloc_par (DWARF,
through gdb), the program headers, and the range glibc validates FILE vtables against.

Usage: extract.py [--cache /tmp/oracle-cache] [--dbg /tmp/libc-dbg] > tests/fixtures/libc/symbols.json

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
    "_IO_wide_data_0", "_IO_wide_data_1", "_IO_wide_data_2",
]
TLS = ["tcache", "thread_arena", "tcache_shutting_down", "errno"]


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def libc_of(root):
    for d in ("usr/lib", "lib"):
        for t in ("x86_64-linux-gnu", "i386-linux-gnu"):
            p = os.path.join(root, d, t, "libc.so.6")
            if os.path.exists(p):
                return p
    raise SystemExit(f"no libc.so.6 under {root}")


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
                "programHeaders": headers,
                "dataBeforeMainArena": data_window(libc, headers, arena - 0x100, arena),
                "malloc_state": struct_layout(debug, "malloc_state"),
                "malloc_par": struct_layout(debug, "malloc_par"),
                "sizeof": {
                    "global_max_fast": type_size(debug, "global_max_fast"),
                    "tcache_perthread_struct": type_size(debug, "struct tcache_perthread_struct"),
                    "heap_info": type_size(debug, "heap_info"),
                },
                "ioVtables": io_vtables(libc, local),
            })
            print(f"{ver} {arch}: {len(symbols)} symbols", file=sys.stderr)
    json.dump({"source": "tools/libc_facts/extract.py", "builds": builds}, sys.stdout, indent=1)
    print()


main()
