# Sourced by scripts that run the reference kernel: creates .venv-reference from the
# pinned scripts/requirements-reference.txt if it is missing, and sets REFERENCE_PY.
# shellcheck shell=bash
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
REFERENCE_VENV="$ROOT/.venv-reference"
REFERENCE_PY="$REFERENCE_VENV/bin/python"
if [ ! -x "$REFERENCE_PY" ]; then
    echo "== creating $REFERENCE_VENV" >&2
    python3 -m venv "$REFERENCE_VENV"
    "$REFERENCE_VENV/bin/pip" install --quiet -r "$ROOT/scripts/requirements-reference.txt"
fi
export REFERENCE_PY
