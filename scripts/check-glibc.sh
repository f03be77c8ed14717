#!/usr/bin/env bash
# Check that a Linux binary runs on an old glibc.
#
#   scripts/check-glibc.sh BINARY [MAX_VERSION]      (MAX_VERSION defaults to 2.17)
#
# Prints the highest GLIBC_x.y symbol version BINARY needs, taken from its version-needs
# section (.gnu.version_r: the table the dynamic loader checks at start-up, for every
# library it needs: libc, libm, libpthread, libdl...), and the symbols that need more than
# MAX_VERSION. A statically linked binary needs none and passes. Then runs
# `BINARY --version` to show that it starts here (skip with CHECK_GLIBC_RUN=0).
#
# Exit status: 0 = x86_64 ELF needing at most GLIBC_MAX_VERSION (and it starts);
#              1 = it needs a newer glibc, or it does not start;
#              2 = usage error, or BINARY is not an x86_64 ELF file.
#
# Needs readelf (binutils, which the Rust toolchain's linker setup already pulls in);
# installs binutils with apt-get when it is missing and we are root.
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: $0 BINARY [MAX_VERSION=2.17]" >&2
    exit 2
fi
BIN="$1"
MAX="${2:-2.17}"

if ! [[ "$MAX" =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
    echo "check-glibc: MAX_VERSION must look like 2.17, not '$MAX'" >&2
    exit 2
fi
if [ ! -f "$BIN" ]; then
    echo "check-glibc: $BIN: no such file" >&2
    exit 2
fi

# --- ELF header, read with od (coreutils) so it needs nothing else -------------------
# e_ident: 7f 'E' 'L' 'F', EI_CLASS=2 (64-bit), EI_DATA=1 (little endian);
# e_machine (offset 18, 2 bytes LE) = 0x3e (EM_X86_64).
hdr="$(od -An -tx1 -N20 -v "$BIN" | tr -s ' \n' ' ')"
read -r -a b <<<"$hdr"
if [ "${#b[@]}" -lt 20 ] || [ "${b[0]}${b[1]}${b[2]}${b[3]}" != "7f454c46" ]; then
    echo "check-glibc: $BIN is not an ELF file" >&2
    exit 2
fi
if [ "${b[4]}" != "02" ] || [ "${b[5]}" != "01" ] || [ "${b[18]}${b[19]}" != "3e00" ]; then
    echo "check-glibc: $BIN is not an x86_64 (64-bit little-endian, EM_X86_64) ELF file" \
        "(class=${b[4]} data=${b[5]} machine=0x${b[19]}${b[18]})" >&2
    exit 2
fi

# --- readelf -------------------------------------------------------------------------
if ! command -v readelf >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "check-glibc: readelf missing, installing binutils" >&2
        apt-get install -y -qq binutils >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq binutils >/dev/null; }
    fi
    command -v readelf >/dev/null 2>&1 || {
        echo "check-glibc: readelf (binutils) is needed" >&2
        exit 2
    }
fi

# --- version needs -------------------------------------------------------------------
# readelf -V prints, under "Version needs section '.gnu.version_r'":
#   0x0010: Version: 1  File: libc.so.6  Cnt: 9
#   0x0050:   Name: GLIBC_2.2.5  Flags: none  Version: 2
needs="$(LC_ALL=C readelf -V -W "$BIN" | awk '
    /^Version needs section/ { inneed = 1; next }
    /^Version (symbols|definition) section/ { inneed = 0 }
    inneed && /File:/ { for (i = 1; i < NF; i++) if ($i == "File:") file = $(i + 1) }
    inneed && /Name: GLIBC_[0-9]/ {
        for (i = 1; i < NF; i++) if ($i == "Name:") { v = $(i + 1); sub(/^GLIBC_/, "", v); print v, file }
    }')"

interp="$(LC_ALL=C readelf -l -W "$BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')"
libs="$(LC_ALL=C readelf -d -W "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"

echo "binary:      $BIN"
if [ -z "$interp" ]; then
    echo "linking:     static (no program interpreter)"
else
    echo "linking:     dynamic, interpreter $interp"
    echo "needs libs:  ${libs:-none}"
fi

status=0
if [ -z "$needs" ]; then
    echo "max GLIBC:   none (no GLIBC_* symbol versions needed)"
else
    highest="$(cut -d' ' -f1 <<<"$needs" | sort -u -V | tail -n1)"
    echo "max GLIBC:   GLIBC_$highest"
    echo "versions:    $(cut -d' ' -f1 <<<"$needs" | sort -u -V | sed 's/^/GLIBC_/' | tr '\n' ' ')"
    top="$(printf '%s\n%s\n' "$MAX" "$highest" | sort -V | tail -n1)"
    if [ "$top" != "$MAX" ]; then
        status=1
        echo "FAIL: needs GLIBC_$highest > GLIBC_$MAX; symbols above GLIBC_$MAX:" >&2
        # readelf --dyn-syms -W names them like pthread_create@GLIBC_2.34 (3)
        LC_ALL=C readelf --dyn-syms -W "$BIN" |
            grep -oE '[A-Za-z0-9_.]+@{1,2}GLIBC_[0-9.]+' | sort -u |
            while IFS= read -r sym; do
                v="${sym##*GLIBC_}"
                if [ "$(printf '%s\n%s\n' "$MAX" "$v" | sort -V | tail -n1)" != "$MAX" ]; then
                    echo "$v $sym"
                fi
            done | sort -V | sed 's/^[^ ]* /  /' >&2 || true
    else
        echo "OK: needs at most GLIBC_$MAX"
    fi
fi

# --- does it start? ------------------------------------------------------------------
if [ "${CHECK_GLIBC_RUN:-1}" != 0 ]; then
    if out="$("$BIN" --version 2>&1)"; then
        echo "runs here:   $BIN --version -> $(head -n1 <<<"$out")"
    else
        echo "FAIL: $BIN --version did not run: $(head -n3 <<<"$out")" >&2
        status=1
    fi
fi

exit "$status"
