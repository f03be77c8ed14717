#!/usr/bin/env bash
# The wheel as a user installs it: a fresh virtual environment, the test
# dependencies from the pinned scripts/requirements-wheel-test.txt, then the wheel
# offline (`pip install --no-index`), and the tests of python/tests/ (pytest):
# the `pixelprep` command, `python -m pixelprep`, and the API against the golden
# outputs, through a path, a pyarrow Table and a polars DataFrame.
#
#   scripts/check-wheel.sh [WHEEL]      [default: the one in dist/]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$ROOT/scripts/requirements-wheel-test.txt"
if [ "$#" -gt 1 ] || [[ "${1:-}" == -* ]]; then
    echo "usage: $0 [WHEEL]" >&2
    exit 2
fi
. "$ROOT/scripts/venv.sh"
if [ "$#" -eq 1 ]; then
    WHEEL="$1"
else
    WHEEL="$(dist_wheel)"
fi
if [ ! -f "$WHEEL" ]; then
    echo "error: no wheel at $WHEEL; build it with scripts/build-wheel.sh" >&2
    exit 2
fi

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
VENV="$TMP/venv"
echo "== fresh venv with scripts/requirements-wheel-test.txt"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet -r "$REQUIREMENTS" </dev/null
echo "== pip install --no-index $(basename "$WHEEL")"
"$VENV/bin/python" -m pip install --quiet --no-index "$WHEEL" </dev/null
echo "== pytest python/tests"
# From the temporary folder, so that `import pixelprep` is the installed wheel,
# never the python/ source folder.
cd "$TMP"
PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/python/tests"
