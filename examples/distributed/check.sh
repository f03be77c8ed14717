#!/usr/bin/env bash
# The distributed run against one CLI run: starts a local Dask cluster, converts
# FILE... with convert_dask.py (one zip per input, on the cluster's workers), then
# all of them with one `pixelprep convert` into one zip, and compares every image.
# The last line is `N identical of N`; the exit status is 0 only when all are.
#
#   examples/distributed/check.sh FILE... [-- GEOMETRY FLAGS]
#   examples/distributed/check.sh data-samples/bengali_sample.parquet
#
# Needs the wheel in dist/ (scripts/build-wheel.sh). Makes .venv-distributed at the
# repo root from requirements.txt (pinned) plus the wheel, installed offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/examples/distributed"
VENV="$ROOT/.venv-distributed"
files=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do files+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift; done
[ "${1:-}" = "--" ] && shift
geometry=("$@")
if [ "${#files[@]}" -eq 0 ]; then
    echo "usage: $0 FILE... [-- --height H --width W --size S --pad P]" >&2
    exit 2
fi
. "$ROOT/scripts/venv.sh"
venv_with_wheel "$VENV" "$HERE/requirements.txt"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
echo "== on a local Dask cluster: ${#files[@]} files, one zip each"
"$VENV/bin/python" "$HERE/convert_dask.py" "${files[@]}" --out "$TMP/cluster" --format zip \
    --workers 2 "${geometry[@]}"
echo "== one CLI run into one zip"
"$VENV/bin/pixelprep" convert "${files[@]}" -o "$TMP/one.zip" --quiet "${geometry[@]}"
"$VENV/bin/python" - "$TMP/one.zip" "$TMP/cluster" "${files[@]}" <<'PY'
import io, os, sys, zipfile
import numpy as np
from PIL import Image

one, cluster, files = sys.argv[1], sys.argv[2], sys.argv[3:]
def images(path):
    with zipfile.ZipFile(path) as z:
        return [(n, np.asarray(Image.open(io.BytesIO(z.read(n))))) for n in z.namelist() if n.endswith(".png")]
reference = images(one)
distributed = []
for f in files:
    name = os.path.splitext(os.path.basename(f))[0]
    distributed += images(os.path.join(cluster, name + ".zip"))
same = sum(1 for (a, x), (b, y) in zip(reference, distributed) if a == b and x.shape == y.shape and (x == y).all())
if len(reference) != len(distributed):
    print(f"the cluster wrote {len(distributed)} images, the CLI {len(reference)}")
print(f"{same} identical of {len(reference)}")
sys.exit(0 if same == len(reference) == len(distributed) and same > 0 else 1)
PY
