#!/usr/bin/env bash
# One table converted into every output format side by side: medians of ROUNDS
# runs each (the order of the formats rotates from round to round), peak memory,
# and each format's ratio to the zip. Every run must write every image.
#
#   benches/compare_outputs.sh ROUNDS INPUT [FORMAT...]    e.g.
#   benches/compare_outputs.sh 5 synth_50k.parquet
#   benches/compare_outputs.sh 5 synth_50k.parquet zip tar npy
#
# FORMATs: zip tar (shards of 10,000) npy lmdb dir [default: all five, zip first].
# Uses target/release/pixelprep (built here if missing) and all cores; each run
# writes a new output into a temporary folder (TMPDIR decides where).
set -euo pipefail
rounds=$1; input=$2; shift 2
formats=("$@")
[ "${#formats[@]}" -gt 0 ] || formats=(zip tar npy lmdb dir)
[ "${formats[0]}" = zip ] || { echo "the first format must be zip (the baseline)" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/target/release/pixelprep"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cat "$input" > /dev/null   # in the page cache
out_for() {
    case $1 in
        zip) echo "$tmp/out.zip" ;;
        tar) echo "$tmp/shards/train-%06d.tar" ;;
        npy) echo "$tmp/out.npy" ;;
        lmdb) echo "$tmp/out.lmdb" ;;
        dir) echo "$tmp/folder" ;;
        *) echo "unknown format $1" >&2; exit 2 ;;
    esac
}
n=${#formats[@]}
for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < n; k++)); do
        format=${formats[$(((k + r) % n))]}
        # A first conversion: no earlier output to replace (freeing its pages
        # would be timed too, and the array's are seven times the zip's).
        rm -rf "$tmp/out.zip" "$tmp/shards" "$tmp/out.npy" "$tmp/out.metadata.csv" "$tmp/out.lmdb" "$tmp/folder"
        /usr/bin/time -f "%e %M" -o "$tmp/time" \
            "$bin" convert "$input" -o "$(out_for "$format")" --force -q --json > "$tmp/summary"
        images=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"])' "$tmp/summary")
        echo "$format $(cat "$tmp/time") $images" >> "$tmp/runs"
    done
done
python3 - "$tmp/runs" "${formats[@]}" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, seconds, kb, images = line.split()
    runs.setdefault(name, []).append((float(seconds), int(kb), int(images)))
formats = sys.argv[2:]
counts = {i for r in runs.values() for _, _, i in r}
assert len(counts) == 1, f"runs wrote different image counts: {counts}"
base = statistics.median(s for s, _, _ in runs["zip"])
print(f"{'format':8} {'median s':>9} {'runs':>36} {'x zip':>6} {'peak GB':>8}")
for name in formats:
    seconds = [s for s, _, _ in runs[name]]
    median = statistics.median(seconds)
    peak = max(kb for _, kb, _ in runs[name]) * 1024 / 1e9
    print(f"{name:8} {median:9.2f} {', '.join(f'{s:.2f}' for s in seconds):>36} {median / base:6.2f} {peak:8.2f}")
print(f"images per run: {counts.pop()}")
PY
