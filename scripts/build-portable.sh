#!/usr/bin/env bash
# Build a portable Linux x86_64 release binary of pixelprep, one that runs on glibc 2.17
# and newer (older Kaggle/Colab/CentOS 7 images), and check it.
#
#   scripts/build-portable.sh
#
# Output: dist/pixelprep-x86_64-linux-glibc2.17 (path printed on the last line).
#
# How: cargo-zigbuild links against the glibc 2.17 symbol versions that zig ships, with
# `cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17`. Only the host's own
# Rust target (x86_64-unknown-linux-gnu) is used: no rustup download. Both tools come from
# PyPI, pinned, into .venv-zig at the repo root (created once, reused while the pins
# match): the `cargo-zigbuild` wheel (a static binary) and the `ziglang` wheel (zig).
# Set PIXELPREP_ZIGBUILD_FROM=crates to compile cargo-zigbuild from crates.io instead
# (`cargo install --locked`, ~3 min on 2 cores) into target/portable-tools.
#
# The build uses the project's release profile (fat LTO) in its own target dir,
# target/portable, so it does not invalidate the normal target/release build.
#
# Environment knobs:
#   PORTABLE_GLIBC        glibc version to target and check against  [2.17]
#   PORTABLE_TARGET_DIR   cargo target dir                            [target/portable]
#   ZIG_VENV              venv holding cargo-zigbuild and zig         [.venv-zig]
#   PIXELPREP_ZIGBUILD_FROM  pypi | crates                            [pypi]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Pinned tool versions (bump together; both are on PyPI, cargo-zigbuild also on crates.io).
CARGO_ZIGBUILD_VERSION=0.24.0
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_CRATE_VERSION=0.24.1

GLIBC="${PORTABLE_GLIBC:-2.17}"
HOST_TARGET=x86_64-unknown-linux-gnu
VENV="${ZIG_VENV:-$ROOT/.venv-zig}"
TARGET_DIR="${PORTABLE_TARGET_DIR:-$ROOT/target/portable}"
FROM="${PIXELPREP_ZIGBUILD_FROM:-pypi}"
OUT="$ROOT/dist/pixelprep-x86_64-linux-glibc$GLIBC"

if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
    echo "build-portable: this script builds on Linux x86_64 only (got $(uname -s)/$(uname -m))" >&2
    exit 2
fi

now() { date +%s; }
t_start=$(now)

# --- tools: cargo-zigbuild + zig, from PyPI into $VENV --------------------------------
want="cargo-zigbuild==$CARGO_ZIGBUILD_VERSION ziglang==$ZIGLANG_VERSION"
[ "$FROM" = crates ] && want="ziglang==$ZIGLANG_VERSION"
stamp="$VENV/.pixelprep-tools"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== installing $want into $VENV (PyPI)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # shellcheck disable=SC2086  # $want is a list of requirement specs
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $want
    echo "$want" >"$stamp"
else
    echo "== tools already in $VENV ($want)"
fi

export PATH="$VENV/bin:$PATH"
# cargo-zigbuild looks for `python3 -m ziglang` first, then `zig`: make it use ours.
export CARGO_ZIGBUILD_PYTHON_PATH="$VENV/bin/python"

if [ "$FROM" = crates ]; then
    tools="$ROOT/target/portable-tools"
    if [ "$("$tools/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild $CARGO_ZIGBUILD_CRATE_VERSION" ]; then
        echo "== cargo install cargo-zigbuild $CARGO_ZIGBUILD_CRATE_VERSION (crates.io)"
        cargo install --locked --quiet --root "$tools" --version "$CARGO_ZIGBUILD_CRATE_VERSION" cargo-zigbuild
    fi
    export PATH="$tools/bin:$PATH"
elif [ "$FROM" != pypi ]; then
    echo "build-portable: PIXELPREP_ZIGBUILD_FROM must be pypi or crates, not '$FROM'" >&2
    exit 2
fi

echo "== $(cargo-zigbuild --version), zig $("$VENV/bin/python" -m ziglang version)"
t_tools=$(now)

# --- build ---------------------------------------------------------------------------
echo "== cargo zigbuild --release --locked --target $HOST_TARGET.$GLIBC (target dir ${TARGET_DIR#"$ROOT"/})"
CARGO_TARGET_DIR="$TARGET_DIR" cargo zigbuild --release --locked --bin pixelprep \
    --target "$HOST_TARGET.$GLIBC"
t_build=$(now)

built="$TARGET_DIR/$HOST_TARGET/release/pixelprep"
mkdir -p "$(dirname "$OUT")"
cp -f "$built" "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"

# --- check ---------------------------------------------------------------------------
echo "== checking $OUT"
"$ROOT/scripts/check-glibc.sh" "$OUT" "$GLIBC"

# A real conversion, to show the binary works, not just starts.
sample="$ROOT/data-samples/bengali_sample.parquet"
if [ -f "$sample" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    "$OUT" convert "$sample" -o "$tmp/sample.zip" --quiet
    echo "smoke test:  converted $(basename "$sample") -> zip of $(stat -c %s "$tmp/sample.zip") bytes"
fi

size=$(stat -c %s "$OUT")
echo "== tools $((t_tools - t_start)) s, build $((t_build - t_tools)) s, total $(($(now) - t_start)) s"
echo "built: $OUT ($size bytes, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }') MiB)"
