#!/usr/bin/env bash
# The numba article's job side by side with pixelprep (benches/photos.py):
#   benches/compare_photos.sh [COUNT] [ROUNDS] [BINARY]
# makes COUNT JPEG photos (default 3000) into target/bench-photos once, then times
# the floor (decode only), the article's pool, the article in one process and
# pixelprep, alternating, ROUNDS rounds (default 3). BINARY defaults to the
# release build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
COUNT="${1:-3000}"
ROUNDS="${2:-3}"
BINARY="${3:-$ROOT/target/release/pixelprep}"
. "$ROOT/scripts/venv.sh"
VENV="$ROOT/.venv-images"
pinned_venv "$VENV" "$ROOT/scripts/requirements-images.txt"
PHOTOS="$ROOT/target/bench-photos-$COUNT"
if [ ! -d "$PHOTOS" ]; then
    "$VENV/bin/python" "$ROOT/benches/photos.py" make "$PHOTOS.partial" --count "$COUNT"
    mv "$PHOTOS.partial" "$PHOTOS"
fi
[ -x "$BINARY" ] || (cd "$ROOT" && cargo build --release --locked)
"$VENV/bin/python" "$ROOT/benches/photos.py" run "$PHOTOS" "$BINARY" --rounds "$ROUNDS"
