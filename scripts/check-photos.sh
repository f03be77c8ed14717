#!/usr/bin/env bash
# Real photographs of every format and mode through pixelprep and through Pillow
# and OpenCV themselves (scripts/photos_check.py), in a venv made from the pinned
# scripts/requirements-images.txt.
#   scripts/check-photos.sh BINARY [--count N]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ "$#" -ge 1 ] || { echo "usage: $0 BINARY [--count N]" >&2; exit 2; }
. "$ROOT/scripts/venv.sh"
VENV="${PHOTOS_VENV:-$ROOT/.venv-images}"
pinned_venv "$VENV" "$ROOT/scripts/requirements-images.txt"
"$VENV/bin/python" "$ROOT/scripts/photos_check.py" "$@" </dev/null
