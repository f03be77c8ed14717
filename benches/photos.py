"""The numba article's job, timed side by side: a folder of JPEG photographs to
(N, 64, 64, 3) arrays, by the article's code (PIL open/convert/resize in a
ProcessPoolExecutor, batches of 1,000), by the same in one process, by OpenCV's
way (cv2.imread + INTER_AREA in the same pool), by pixelprep (Pillow's recipe,
with --draft, on one thread, and OpenCV's recipe), and the floors: the same files
only decoded by libjpeg-turbo (PIL `load()`) in a process pool, and only
decoded at --draft's DCT scale (PIL `draft()` then `load()`). Every peer and
pixelprep run alternate round after round; medians are reported, pixelprep's
arrays are checked equal to the article's and to OpenCV's, and pixelprep's peak
memory is measured (GNU time's maximum resident set size).

    python benches/photos.py make DIR --count 3000      # the photos (scikit-image's data)
    python benches/photos.py run DIR BINARY --rounds 3  # the timings
    python benches/photos.py scaling DIR BINARY         # one core against two

Run it in the venv of scripts/requirements-images.txt (benches/compare_photos.sh
does all of it).
"""

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image

BATCH = 1000  # the article's batch_size
# Colour photographs shipped inside scikit-image's wheel (no download).
SOURCES = ["astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "logo", "retina"]


def make(out, count, seed=2026):
    import skimage.data

    rng = np.random.default_rng(seed)
    sources = []
    for name in SOURCES:
        try:
            pixels = getattr(skimage.data, name)()
        except Exception:  # fetched at run time in this version: not shipped
            continue
        if pixels.ndim == 3 and pixels.shape[2] >= 3:
            sources.append(Image.fromarray(pixels[..., :3]))
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        im = sources[i % len(sources)]
        w, h = im.size
        cw, ch = (int(v * rng.uniform(0.4, 1.0)) for v in (w, h))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        side = int(rng.integers(300, 1001))  # the long side, 300..1000 px
        scale = side / max(cw, ch)
        part = im.crop((x0, y0, x0 + cw, y0 + ch)).resize(
            (max(1, round(cw * scale)), max(1, round(ch * scale))), Image.Resampling.BICUBIC)
        part.save(os.path.join(out, f"{i:06d}.jpg"), quality=int(rng.integers(75, 96)))


def files_of(folder):
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".jpg")]


def image_resize(path):
    """The article's function."""
    im = Image.open(path)
    im = im.convert("RGB")
    return np.array(im.resize((64, 64)))


def partition(paths):
    return [image_resize(p) for p in paths]


def opencv_partition(paths):
    """OpenCV's way, as img2dataset and the LMDB article read and resize."""
    import cv2

    out = []
    for p in paths:
        img = cv2.cvtColor(cv2.imread(p, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        out.append(cv2.resize(img, (64, 64), interpolation=cv2.INTER_AREA))
    return out


def opencv_pool(paths):
    with ProcessPoolExecutor() as executor:
        parts = executor.map(opencv_partition, batches(paths))
        return np.array([x for part in parts for x in part])


def decode_only(paths, draft=None):
    """Only libjpeg-turbo's decode (PIL `load()`); with `draft`, the DCT-scaled
    decode Pillow's `draft("RGB", draft)` picks, what --draft reproduces."""
    for p in paths:
        with Image.open(p) as im:
            if draft:
                im.draft("RGB", draft)
            im.load()
    return len(paths)


def batches(paths):
    return [paths[i:i + BATCH] for i in range(0, len(paths), BATCH)]


def article_pool(paths):
    with ProcessPoolExecutor() as executor:
        parts = executor.map(partition, batches(paths))
        return np.array([x for part in parts for x in part])


def article_serial(paths):
    return np.array(partition(paths))


def pooled(work, paths, workers=None):
    """`work` over the article's batches in a process pool; the files done."""
    with ProcessPoolExecutor(workers) as executor:
        return sum(executor.map(work, batches(paths)))


def run(folder, binary, rounds):
    paths = files_of(folder)
    tmp = tempfile.mkdtemp(prefix="pixelprep-photos-")
    out = os.path.join(tmp, "x.npy")

    def command(*extra):
        return [binary, "convert", folder, "-o", out, "--size", "64", "--force", "-q", *extra]

    def pixelprep(*extra):
        def run_it():
            subprocess.run(command(*extra), check=True, stdout=subprocess.DEVNULL)
            return np.load(out)
        return run_it

    opencv = ("--recipe", "opencv", "--filter", "area")
    peers = {
        "floor: PIL decode only, process pool": lambda: pooled(decode_only, paths),
        # Drafted to twice 64x64, as --draft asks.
        "draft floor: PIL draft decode only, pool":
            lambda: pooled(functools.partial(decode_only, draft=(128, 128)), paths),
        "article: PIL + ProcessPoolExecutor": lambda: article_pool(paths),
        "article in one process": lambda: article_serial(paths),
        "OpenCV: imread + INTER_AREA, same pool": lambda: opencv_pool(paths),
        "pixelprep --size 64 -> .npy": pixelprep(),
        "pixelprep --size 64 -j1 -> .npy": pixelprep("-j1"),
        "pixelprep --size 64 --draft -> .npy": pixelprep("--draft"),
        "pixelprep --recipe opencv --filter area": pixelprep(*opencv),
    }
    times = {name: [] for name in peers}
    results = {}
    for r in range(rounds):
        order = list(peers) if r % 2 == 0 else list(reversed(peers))
        for name in order:
            start = time.perf_counter()
            result = peers[name]()
            times[name].append(time.perf_counter() - start)
            results[name] = result

    def identical(a, b):
        return int(sum((results[a][i] == results[b][i]).all() for i in range(len(paths))))

    same = identical("pixelprep --size 64 -> .npy", "article: PIL + ProcessPoolExecutor")
    same_cv = identical("pixelprep --recipe opencv --filter area",
                        "OpenCV: imread + INTER_AREA, same pool")
    print(f"{len(paths)} JPEG photos in {folder}, {rounds} rounds, {os.cpu_count()} cores")
    article = statistics.median(times["article: PIL + ProcessPoolExecutor"])
    base = statistics.median(times["floor: PIL decode only, process pool"])
    print(f"{'run':40} {'median s':>9} {'x article':>10} {'x floor':>8}  runs")
    for name, ts in times.items():
        m = statistics.median(ts)
        runs = " ".join(f"{t:.2f}" for t in ts)
        print(f"{name:40} {m:9.2f} {article / m:10.2f} {m / base:8.2f}  {runs}")
    print("(x article: how many times faster than the article's pool; x floor: time over the floor's)")
    cv = statistics.median(times["OpenCV: imread + INTER_AREA, same pool"])
    ours_cv = statistics.median(times["pixelprep --recipe opencv --filter area"])
    serial = statistics.median(times["pixelprep --size 64 -j1 -> .npy"])
    parallel = statistics.median(times["pixelprep --size 64 -> .npy"])
    print(f"pixelprep --recipe opencv: {cv / ours_cv:.2f}x OpenCV's pool; "
          f"pixelprep parallel over -j1: {serial / parallel:.2f}x")
    draft = statistics.median(times["pixelprep --size 64 --draft -> .npy"])
    draft_base = statistics.median(times["draft floor: PIL draft decode only, pool"])
    print(f"pixelprep --draft: {draft / draft_base:.2f}x the draft floor's time; the draft floor "
          f"itself is {article / draft_base:.2f}x the article")
    for extra in [(), opencv]:
        r = subprocess.run(["/usr/bin/time", "-f", "%M", *command(*extra)],
                           capture_output=True, text=True, check=True)
        peak_mb = int(r.stderr.strip().splitlines()[-1]) / 1024
        print(f"peak memory of {' '.join(command(*extra)[1:])}: {peak_mb:.0f} MB "
              f"(the output array alone: {os.path.getsize(out) / 2**20:.0f} MB)")
    print(f"pixelprep's array equals the article's: {same} identical of {len(paths)}")
    print(f"pixelprep's OpenCV array equals OpenCV's: {same_cv} identical of {len(paths)}")
    return 0 if same == len(paths) and same_cv == len(paths) else 1


def scaling(folder, binary, rounds):
    """The same CPU-bound work on one core and on two, alternated: PIL's
    decode-only in one process and in a pool of 2, pixelprep -j1 and -j2."""
    paths = files_of(folder)
    out = os.path.join(tempfile.mkdtemp(prefix="pixelprep-photos-"), "x.npy")

    def pixelprep(j):
        subprocess.run([binary, "convert", folder, "-o", out, "--size", "64", "--force", "-q",
                        f"-j{j}"], check=True, stdout=subprocess.DEVNULL)

    runs = {"PIL decode, 1 process": lambda: pooled(decode_only, paths, 1),
            "PIL decode, pool of 2": lambda: pooled(decode_only, paths, 2),
            "pixelprep -j1": lambda: pixelprep(1), "pixelprep -j2": lambda: pixelprep(2)}
    times = {name: [] for name in runs}
    for r in range(rounds):
        for name in (list(runs) if r % 2 == 0 else list(reversed(runs))):
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    for name, ts in times.items():
        print(f"{name:24} median {statistics.median(ts):6.2f} s  runs "
              + " ".join(f"{t:.2f}" for t in ts))
    m = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"PIL decode 2 over 1: {m['PIL decode, 1 process'] / m['PIL decode, pool of 2']:.2f}x; "
          f"pixelprep -j2 over -j1: {m['pixelprep -j1'] / m['pixelprep -j2']:.2f}x")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--count", type=int, default=3000)
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("binary")
    r.add_argument("--rounds", type=int, default=3)
    c = sub.add_parser("scaling")
    c.add_argument("dir")
    c.add_argument("binary")
    c.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    if args.command == "make":
        make(args.dir, args.count)
        return 0
    if args.command == "scaling":
        return scaling(args.dir, os.path.abspath(args.binary), args.rounds)
    return run(args.dir, os.path.abspath(args.binary), args.rounds)


if __name__ == "__main__":
    sys.exit(main())
