#!/usr/bin/env bash
# pixelprep as notebook users run it: `!pixelprep` cells in a real ipykernel, and the
# README's PyTorch Dataset read from forked DataLoader-style workers.
#
#   scripts/check-notebook.sh [BINARY]
#
# Without BINARY, builds target/release/pixelprep (cargo build --release --locked).
# Makes .venv-notebook from the pinned scripts/requirements-notebook.txt (again only when
# that file changes), installs the venv's kernelspec inside the venv, and runs
# scripts/notebook_check.py, whose exit status it returns. Needs python3 (with venv and
# pip), and cargo when no BINARY is given. Nothing is written outside the repo and a
# temporary folder.
set -euo pipefail

if [ "$#" -gt 1 ] || [[ "${1:-}" == -* ]]; then
    echo "usage: $0 [BINARY]" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-notebook"
REQUIREMENTS="$ROOT/scripts/requirements-notebook.txt"
PY="$VENV/bin/python"
KERNEL=pixelprep-notebook

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 JUPYTER_PLATFORM_DIRS=1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# `ipykernel install` imports IPython, which would otherwise create ~/.ipython.
export IPYTHONDIR="$TMP/ipython"

# The binary first: a wrong path is an error before any install.
if [ "$#" -eq 1 ]; then
    if [ ! -f "$1" ] || [ ! -x "$1" ]; then
        echo "error: $1 is not an executable file" >&2
        exit 2
    fi
    # Absolute: the notebook runs in a temporary folder.
    BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    echo "== cargo build --release --locked"
    (cd "$ROOT" && cargo build --release --locked </dev/null)
    BINARY="$ROOT/target/release/pixelprep"
fi

. "$ROOT/scripts/venv.sh"
pinned_venv "$VENV" "$REQUIREMENTS"

# The kernelspec lives in the venv (share/jupyter/kernels), where notebook_check.py
# looks first; re-installing it each run keeps it pointing at this venv's python.
"$PY" -m ipykernel install --prefix "$VENV" --name "$KERNEL" \
    --display-name "Python 3 (pixelprep notebook check)" >/dev/null </dev/null

echo "== notebook check of $BINARY"
status=0
"$PY" "$ROOT/scripts/notebook_check.py" --binary "$BINARY" --kernel "$KERNEL" </dev/null || status=$?
exit "$status"
