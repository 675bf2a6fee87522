#!/bin/bash
# Runs probe.c under every oracle root (the version's own loader, ASLR off, empty environment),
# compiled against the glibc 2.31 sysroot as the oracle's build.sh compiles its driver, and writes
# tests/fixtures/libc/probe-<version>-<arch>.txt. Needs /tmp/oracle-cache (oracle build.sh) and
# tests/fixtures/libc/symbols.json (extract.py) for the TLS offsets.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${ORACLE_CACHE:-/tmp/oracle-cache}
SYS="$CACHE/sysroot-2.31"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for arch in x86_64 i386; do
    if [ $arch = i386 ]; then M=-m32 T=i386-linux-gnu; else M=-m64 T=x86_64-linux-gnu; fi
    L="$SYS/usr/lib/$T"
    # -fPIC: no copy relocations, so &environ and stdout are libc's own objects
    gcc $M --sysroot="$SYS" -nostartfiles -L"$L" -L"$SYS/lib/$T" -O1 -fPIC -fno-builtin -Wall \
        -o "$OUT/probe-$arch" "$L/Scrt1.o" "$L/crti.o" "$(gcc $M -print-file-name=crtbeginS.o)" \
        "$HERE/probe.c" "$(gcc $M -print-file-name=crtendS.o)" "$L/crtn.o" -lc
done
for ver in 2.31 2.36 2.41 2.43 2.44; do
    for arch in x86_64 i386; do
        case $arch in
            x86_64) debarch=amd64 triple=x86_64-linux-gnu ld=ld-linux-x86-64.so.2 ;;
            i386) debarch=i386 triple=i386-linux-gnu ld=ld-linux.so.2 ;;
        esac
        root="$CACHE/root-$ver-$debarch"
        if [ $arch = i386 ] && ! grep -q "^CONFIG_IA32_EMULATION=y" "/boot/config-$(uname -r)" 2>/dev/null &&
            ! setarch -R "$OUT/probe-i386" 0 0 >/dev/null 2>&1; then
            echo "probe.sh: this kernel does not run 32-bit programs; skipping $ver i386" >&2
            continue
        fi
        lib="$root/lib/$triple"
        [ -e "$root/usr/lib/$triple/libc.so.6" ] && lib="$root/usr/lib/$triple"
        read -r errno_off tcache_off < <(python3 -c "
import json, sys
for b in json.load(open('$REPO/tests/fixtures/libc/symbols.json'))['builds']:
    if b['version'] == '$ver' and b['arch'] == '$arch':
        print(b['tls']['errno']['offset'], b['tls']['tcache']['offset'])")
        {
            echo "# glibc $ver $arch: tools/libc_facts/probe.sh (ASLR off, libc from the oracle root)"
            setarch "$(uname -m)" -R env -i "$lib/$ld" --library-path "$lib" "$OUT/probe-$arch" \
                "$errno_off" "$tcache_off" | sed "s#$lib/##"
        } >"$REPO/tests/fixtures/libc/probe-$ver-$arch.txt"
    done
done
