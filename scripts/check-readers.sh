#!/usr/bin/env bash
# pixelprep's outputs as their users read them: the zip with zipfile and PIL, tar shards
# with webdataset, the array with numpy, the store with lmdb, the folder with Hugging Face
# datasets (imagefolder), pixels, order and labels checked for each.
#
#   scripts/check-readers.sh [BINARY]
#
# Without BINARY, builds target/release/pixelprep (cargo build --release --locked).
# Makes .venv-readers from the pinned scripts/requirements-readers.txt (again only when
# that file changes) and runs scripts/readers_check.py, whose exit status it returns.
# Needs python3 (with venv and pip), and cargo when no BINARY is given. Nothing is written
# outside the repo and a temporary folder (Hugging Face's cache included, kept offline).
set -euo pipefail

if [ "$#" -gt 1 ] || [[ "${1:-}" == -* ]]; then
    echo "usage: $0 [BINARY]" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-readers"
REQUIREMENTS="$ROOT/scripts/requirements-readers.txt"
PY="$VENV/bin/python"

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# datasets would otherwise cache under ~/.cache/huggingface and ask the Hub about
# "imagefolder"; everything it needs is local.
export HF_HOME="$TMP/huggingface" HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1

# The binary first: a wrong path is an error before any install.
if [ "$#" -eq 1 ]; then
    if [ ! -f "$1" ] || [ ! -x "$1" ]; then
        echo "error: $1 is not an executable file" >&2
        exit 2
    fi
    # Absolute: the conversions run in a temporary folder.
    BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    echo "== cargo build --release --locked"
    (cd "$ROOT" && cargo build --release --locked </dev/null)
    BINARY="$ROOT/target/release/pixelprep"
fi

. "$ROOT/scripts/venv.sh"
pinned_venv "$VENV" "$REQUIREMENTS"

echo "== readers check of $BINARY"
status=0
"$PY" "$ROOT/scripts/readers_check.py" "$BINARY" </dev/null || status=$?
exit "$status"
