#!/usr/bin/env bash
# Build the pixelprep wheel: one file in dist/, CPython stable ABI (abi3, Python 3.9
# and newer), manylinux2014 (glibc 2.17), x86_64. It holds the `pixelprep` command,
# `python -m pixelprep` and the Python API (python/pixelprep/).
#
#   scripts/build-wheel.sh
#
# Tools: maturin and zig from PyPI, pinned in scripts/requirements-wheel.txt, into
# .venv-wheel (made again only when that file changes). maturin builds the crate's
# `python` feature with the release profile into target/wheel (so target/release is
# left alone) and links it with zig against glibc 2.17, then checks the manylinux
# tag. The last line printed is the wheel's path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-wheel"
REQUIREMENTS="$ROOT/scripts/requirements-wheel.txt"
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
    echo "build-wheel: this script builds on Linux x86_64 only" >&2
    exit 2
fi

. "$ROOT/scripts/venv.sh"
pinned_venv "$VENV" "$REQUIREMENTS"
export PATH="$VENV/bin:$PATH"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
rm -f dist/pixelprep-"$version"-*.whl
echo "== maturin build --release --zig (manylinux2014, abi3)"
CARGO_TARGET_DIR="$ROOT/target/wheel" maturin build --release --locked --zig \
    --compatibility manylinux2014 --target x86_64-unknown-linux-gnu --out dist </dev/null

wheels=(dist/pixelprep-"$version"-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "build-wheel: expected one wheel in dist/, found: ${wheels[*]}" >&2
    exit 1
fi
case "${wheels[0]}" in
    *-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl) ;;
    *-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl) ;;
    *) echo "build-wheel: unexpected wheel tags: ${wheels[0]}" >&2; exit 1 ;;
esac
echo "${wheels[0]}"
