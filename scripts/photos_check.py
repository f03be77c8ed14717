"""Real photographs of every format and mode, converted by pixelprep and by Pillow
and OpenCV themselves: every image must be equal, sample for sample, in the
documented order.

    python scripts/photos_check.py BINARY [--count N]

Makes N photos (default 300) with `make_image_fixtures.py --photos` (crops and
rescales of scikit-image's photographs saved as baseline, progressive and CMYK
JPEG, OpenCV JPEG, PNG of every kind, lossy and lossless WebP, BMP, GIF, TIFF),
then for several sizes, filters and modes compares pixelprep's .npy with
`Image.open(p).convert(MODE).resize((W, H), FILTER)`, and with --recipe opencv
`cv2.resize(cv2.imread(p, FLAG), (W, H), interpolation=INTER)` (IPP off, BGR
to RGB) on every file OpenCV reads. Run in the venv of
scripts/requirements-images.txt (scripts/check-photos.sh makes it).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# The fixture script's filters, fits and listing: one definition of each expression.
from make_image_fixtures import FILTERS, INTERPOLATIONS, cv_fitted, fitted, list_inputs

cv2.ipp.setUseIPP(False)  # the reference: OpenCV's own code (docs/spec.md 8.9)

HERE = os.path.dirname(os.path.abspath(__file__))
# (mode, width, height, filter): the article's 64x64, gray, a large enlargement-
# or-shrink, a non-square one and the other filters.
CASES = [
    ("RGB", 64, 64, "bicubic"),
    ("L", 64, 64, "bicubic"),
    ("RGB", 256, 256, "lanczos"),
    ("RGB", 96, 48, "bilinear"),
    ("RGB", 50, 70, "nearest"),
    ("RGB", 32, 32, "box"),
    ("L", 40, 30, "hamming"),
    ("RGB", 64, 64, "bicubic", "draft"),
    ("L", 32, 32, "lanczos", "draft"),
]
# (mode, width, height, interpolation[, fit]): the LMDB article's 256 cubic,
# img2dataset's area to 64, gray, OpenCV's default and the fits.
OPENCV_CASES = [
    ("RGB", 256, 256, "cubic"),
    ("RGB", 64, 64, "area"),
    ("L", 64, 64, "area"),
    ("RGB", 96, 48, "linear"),
    ("L", 200, 150, "cubic"),
    ("RGB", 50, 70, "nearest"),
    ("RGB", 64, 64, "area", "crop"),
    ("RGB", 64, 48, "cubic", "pad"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--count", type=int, default=300)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="pixelprep-photos-") as tmp:
        photos = os.path.join(tmp, "photos")
        subprocess.run([sys.executable, os.path.join(HERE, "make_image_fixtures.py"),
                        "--photos", str(args.count), "--out", photos], check=True)
        files = list_inputs(Path(photos))
        kinds = {}
        for f in files:
            with Image.open(os.path.join(photos, f)) as im:
                kinds[(im.format, im.mode)] = kinds.get((im.format, im.mode), 0) + 1
        print(f"{len(files)} photos: " + ", ".join(f"{k[0]} {k[1]} {n}" for k, n in sorted(kinds.items())))
        ids = [os.path.splitext(f)[0] for f in files]
        for mode, width, height, name, *draft in CASES:
            what = f"{mode} {width}x{height} {name}" + (" --draft" if draft else "")
            out = os.path.join(tmp, "x.npy")
            cmd = [binary, "convert", photos, "-o", out, "--force", "-q", "--size",
                   f"{width}x{height}", "--filter", name, "--color", "gray" if mode == "L" else "rgb",
                   *(["--draft"] if draft else [])]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {what}: pixelprep exited {r.returncode}: {r.stderr.strip()}")
                failed += 1
                continue
            ours = np.load(out)
            with open(os.path.join(tmp, "x.metadata.csv"), encoding="utf-8") as f:
                got_ids = [line.split(",")[0] for line in f.read().splitlines()[1:]]
            differing = []
            for i, relative in enumerate(files):
                with Image.open(os.path.join(photos, relative)) as im:
                    fit = "draft" if draft else "stretch"
                    want = np.array(fitted(im, mode, width, height, FILTERS[name], fit))
                if i >= len(ours) or ours[i].shape != want.shape or (ours[i] != want).any():
                    differing.append(relative)
            identical = len(files) - len(differing)
            good = not differing and got_ids == ids
            print(f"{'ok  ' if good else 'FAIL'} {what}: {identical} identical of {len(files)}"
                  + ("" if got_ids == ids else "; ids or order differ")
                  + (f"; differing: {differing[:5]}" if differing else ""))
            passed += good
            failed += not good
        for mode, width, height, name, *fit in OPENCV_CASES:
            good = opencv_case(binary, tmp, photos, files, ids, mode, width, height, name, *fit)
            passed += good
            failed += not good
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def opencv_case(binary, tmp, photos, files, ids, mode, width, height, name, fit="stretch"):
    what = f"opencv {mode} {width}x{height} {name} {fit}"
    out = os.path.join(tmp, "cv.npy")
    cmd = [binary, "convert", photos, "-o", out, "--force", "-q", "--recipe", "opencv",
           "--size", f"{width}x{height}", "--filter", name, "--fit", fit,
           "--color", "gray" if mode == "L" else "rgb"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL {what}: pixelprep exited {r.returncode}: {r.stderr.strip()}")
        return False
    ours = np.load(out)
    with open(os.path.join(tmp, "cv.metadata.csv"), encoding="utf-8") as f:
        got_ids = [line.split(",")[0] for line in f.read().splitlines()[1:]]
    flag = cv2.IMREAD_GRAYSCALE if mode == "L" else cv2.IMREAD_COLOR
    differing, unread = [], 0
    for i, relative in enumerate(files):
        img = cv2.imread(os.path.join(photos, relative), flag)
        if img is None:
            unread += 1
            continue
        if mode != "L":
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        # cv_fitted names the fill in the fit (pad-0: black, pixelprep's default).
        want = cv_fitted(img, width, height, INTERPOLATIONS[name], "pad-0" if fit == "pad" else fit)
        if i >= len(ours) or ours[i].shape != want.shape or (ours[i] != want).any():
            differing.append(relative)
    compared = len(files) - unread
    good = not differing and got_ids == ids and compared > 0
    print(f"{'ok  ' if good else 'FAIL'} {what}: {compared - len(differing)} identical of {compared}"
          + (f" ({unread} OpenCV cannot read)" if unread else "")
          + ("" if got_ids == ids else "; ids or order differ")
          + (f"; differing: {differing[:5]}" if differing else ""))
    return good


if __name__ == "__main__":
    sys.exit(main())
