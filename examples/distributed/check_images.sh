#!/usr/bin/env bash
# The distributed conversion of a folder of photos against one CLI run: splits
# FOLDER into chunks of CHUNK files on a local Dask cluster
# (convert_images_dask.py, one array part per task), then converts the folder
# with one `pixelprep convert`, and compares every image and the merged index's
# ids and labels. The last line is `N identical of N`; exit 0 only when all are.
#
#   examples/distributed/check_images.sh FOLDER [CHUNK]
#   examples/distributed/check_images.sh tests/fixtures/images/folder 10
#
# Needs the wheel in dist/ (scripts/build-wheel.sh); shares .venv-distributed
# with check.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/examples/distributed"
VENV="$ROOT/.venv-distributed"
[ "$#" -ge 1 ] || { echo "usage: $0 FOLDER [CHUNK]" >&2; exit 2; }
FOLDER="$(cd "$1" && pwd)"
CHUNK="${2:-10}"
. "$ROOT/scripts/venv.sh"
venv_with_wheel "$VENV" "$HERE/requirements.txt"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
echo "== on a local Dask cluster: $FOLDER in chunks of $CHUNK"
"$VENV/bin/python" "$HERE/convert_images_dask.py" "$FOLDER" --out "$TMP/parts" --chunk "$CHUNK" \
    --size 24x16 --workers 2
echo "== one CLI run into one array"
"$VENV/bin/pixelprep" convert "$FOLDER" -o "$TMP/one.npy" --size 24x16 --quiet >/dev/null
"$VENV/bin/python" - "$TMP/one.npy" "$TMP/parts" <<'PY'
import csv, os, sys
import numpy as np

one, parts = sys.argv[1], sys.argv[2]
reference = np.load(one)
with open(one[:-len(".npy")] + ".metadata.csv", newline="", encoding="utf-8") as f:
    ref_rows = list(csv.reader(f))
with open(os.path.join(parts, "index.csv"), newline="", encoding="utf-8") as f:
    index = list(csv.reader(f))
names = sorted(n for n in os.listdir(parts) if n.startswith("part-") and n.endswith(".npy"))
distributed = np.concatenate([np.load(os.path.join(parts, n)) for n in names])
problems = []
if distributed.shape != reference.shape:
    problems.append(f"shapes {distributed.shape} and {reference.shape}")
# The index: ids in order, and labels numbered over the whole folder, as the CLI does.
if [r[0] for r in index[1:]] != [r[0] for r in ref_rows[1:]]:
    problems.append("index ids differ from the CLI's metadata.csv")
if [r[3:] for r in index[1:]] != [r[1:] for r in ref_rows[1:]]:
    problems.append("index labels differ from the CLI's metadata.csv")
for r in index[1:]:
    part = np.load(os.path.join(parts, r[1]), mmap_mode="r")
    i = [x[0] for x in ref_rows[1:]].index(r[0])
    if not np.array_equal(part[int(r[2])], reference[i]):
        problems.append(f"{r[0]}: part {r[1]} row {r[2]} differs")
        break
same = sum(1 for a, b in zip(distributed, reference) if np.array_equal(a, b)) if not problems else 0
for p in problems:
    print(p)
print(f"{same} identical of {len(reference)}")
sys.exit(0 if same == len(reference) > 0 and not problems else 1)
PY
