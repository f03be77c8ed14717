#!/usr/bin/env bash
# Pixel parity of pixelprep against the reference kernel port.
#
#   scripts/parity.sh FILE.parquet...
#
# Creates .venv-reference (from scripts/requirements-reference.txt) if it is missing,
# builds pixelprep in release, runs scripts/reference_kernel.py (single mode, to a
# folder) and `pixelprep convert` (to a zip) on the same files, and compares the decoded
# images with scripts/compare_outputs.py. Exit status: that of the comparison.
#
# The reference reads each file with pandas: give it single-row-group files (a wide file
# with several row groups makes pandas need > 24 GB; see docs/benchmarks.md).
# Extra pixelprep options can be passed in PIXELPREP_ARGS, e.g. PIXELPREP_ARGS="--threads 2".
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 FILE.parquet..." >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/reference-venv.sh
. "$ROOT/scripts/reference-venv.sh"
PY="$REFERENCE_PY"

echo "== cargo build --release"
(cd "$ROOT" && cargo build --release --quiet)

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "== reference kernel"
"$PY" "$ROOT/scripts/reference_kernel.py" "$@" -o "$TMP/reference" --mode single

echo "== pixelprep"
# shellcheck disable=SC2086  # PIXELPREP_ARGS is meant to be split
"$ROOT/target/release/pixelprep" convert "$@" -o "$TMP/pixelprep.zip" ${PIXELPREP_ARGS:-}

echo "== compare"
"$PY" "$ROOT/scripts/compare_outputs.py" "$TMP/reference" "$TMP/pixelprep.zip"
