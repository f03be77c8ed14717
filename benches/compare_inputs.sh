#!/usr/bin/env bash
# The same table in several containers, converted side by side: medians of
# ROUNDS runs each (the inputs alternate within a round), peak memory, and each
# input's ratio to the first one. Every archive must be byte-identical.
#
#   benches/compare_inputs.sh ROUNDS BASELINE OTHER...    e.g.
#   benches/compare_inputs.sh 5 synth_50k.parquet synth_zstd.parquet synth_lz4.feather
#
# The inputs come from `pixelprep synth` and benches/rewrite_table.py. Uses
# target/release/pixelprep (built here if missing) and all cores.
set -euo pipefail
rounds=$1; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/target/release/pixelprep"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for input in "$@"; do cat "$input" > /dev/null; done   # every input in the page cache
for ((r = 1; r <= rounds; r++)); do
    for input in "$@"; do
        name=$(basename "$input")
        /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" convert "$input" -o "$tmp/$name.zip" --force -q > /dev/null
        echo "$name $(cat "$tmp/time")" >> "$tmp/runs"
    done
done
first=$(basename "$1")
for input in "$@"; do
    cmp -s "$tmp/$first.zip" "$tmp/$(basename "$input").zip" || { echo "archives differ: $input" >&2; exit 1; }
done
python3 - "$tmp/runs" "$@" <<'PY'
import statistics, sys, os
runs = {}
for line in open(sys.argv[1]):
    name, seconds, kb = line.split()
    runs.setdefault(name, []).append((float(seconds), int(kb)))
names = [os.path.basename(p) for p in sys.argv[2:]]
base = statistics.median(s for s, _ in runs[names[0]])
print(f"{'input':28} {'median s':>9} {'runs':>30} {'ratio':>6} {'peak GB':>8}")
for name in names:
    seconds = [s for s, _ in runs[name]]
    median = statistics.median(seconds)
    peak = max(kb for _, kb in runs[name]) * 1024 / 1e9
    print(f"{name:28} {median:9.2f} {', '.join(f'{s:.2f}' for s in seconds):>30} {median / base:6.2f} {peak:8.2f}")
print("archives byte-identical: yes")
PY
