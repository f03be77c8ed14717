#!/usr/bin/env bash
# End-to-end timing of pixelprep against the reference kernel, side by side in one run.
#
#   benches/compare_reference.sh FILE.parquet [REPEATS=3]
#
# Runs, REPEATS times in turn (so machine noise hits every mode alike):
#   the reference kernel (scripts/reference_kernel.py) single process -> zip and
#   pool of 2 -> zip, and pixelprep --threads 1 and --threads 2 -> zip;
# then prints the median seconds and peak memory of each mode and the ratios, and
# checks that pixelprep's archive is pixel-identical to the reference's.
# Give it a single-row-group file: pandas needs > 24 GB for wide multi-row-group files.
set -euo pipefail

if [ "$#" -lt 1 ]; then
    echo "usage: $0 FILE.parquet [REPEATS]" >&2
    exit 2
fi
FILE="$1"
REPEATS="${2:-3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/reference-venv.sh
. "$ROOT/scripts/reference-venv.sh"

echo "== cargo build --release" >&2
(cd "$ROOT" && cargo build --release --quiet)

exec "$REFERENCE_PY" "$ROOT/benches/compare_reference.py" "$FILE" "$REPEATS" \
    "$ROOT/target/release/pixelprep" "$ROOT/scripts/reference_kernel.py" \
    "$ROOT/scripts/compare_outputs.py"
