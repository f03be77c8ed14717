#!/usr/bin/env python3
"""Golden cases for `src/image/resize/opencv.rs` (the port of OpenCV's `cv2.resize`).

Usage, from the repository root, with the venv that has opencv-python-headless 5.0.x:

    python3 -m venv .venv-images && .venv-images/bin/pip install -r scripts/requirements-images.txt
    .venv-images/bin/python scripts/make_opencv_resize_fixtures.py

It writes `tests/fixtures/opencv-resize/cases.bin`, read by the `opencv` module's unit
tests. Reference = OpenCV's own code: IPP is switched off (`cv2.ipp.setUseIPP(False)`;
with IPP on, 8-bit INTER_CUBIC differs by +-1 on many pixels) and one thread is used.
The cases are deterministic (fixed seed): small random and photo images (`skimage.data`),
1 to 4 channels, up- and downscaling, exact factors 2, 3, 4, mixed up/down, tiny sizes.

File format: cases back to back, each six little-endian u32
`interp (0 nearest, 1 linear, 2 cubic, 3 area), channels, sw, sh, dw, dh`, then the
source (`sh * sw * channels` bytes, interleaved) and cv2's result (`dh * dw * channels`).
"""
import struct
from pathlib import Path

import cv2
import numpy as np
from skimage import data

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/opencv-resize/cases.bin"
INTERPS = [cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_AREA]

# (sw, sh, dw, dh): down, up, exact factors, mixed, tiny; each is run for every
# interpolation with a rotating channel count.
SIZES = [
    (17, 13, 7, 5), (7, 5, 17, 13), (24, 18, 12, 9), (24, 18, 8, 6), (24, 24, 6, 6),
    (12, 9, 24, 18), (13, 11, 5, 23), (5, 23, 13, 11), (1, 9, 4, 3), (9, 1, 3, 4),
    (1, 1, 3, 2), (3, 2, 1, 1), (2, 2, 1, 1), (31, 7, 10, 7), (10, 7, 31, 7),
    (33, 19, 25, 14), (40, 30, 17, 23), (300, 3, 1, 1), (3, 300, 1, 2),
]
# Larger photo crops: the typical jobs, scaled down (SIMD parts and tails both used).
PHOTO_JOBS = [
    (3, 88, 66, 40, 40, 3), (3, 80, 60, 36, 28, 4), (2, 60, 44, 56, 56, 3),
    (2, 40, 30, 70, 50, 1), (1, 64, 48, 32, 24, 3), (1, 50, 40, 60, 52, 4),
    (0, 52, 40, 64, 48, 3),
]


def photo(rng, w, h, cn):
    ph = [data.astronaut(), data.chelsea(), data.coffee()][rng.integers(0, 3)]
    ph = np.concatenate([ph, ph[:, :, :1][:, ::-1]], -1)
    y0, x0 = rng.integers(0, ph.shape[0] - h), rng.integers(0, ph.shape[1] - w)
    return np.ascontiguousarray(ph[y0:y0 + h, x0:x0 + w][:, :, rng.permutation(4)[:cn]])


def write_case(f, it, img, dw, dh):
    h, w, cn = img.shape
    res = cv2.resize(img if cn > 1 else img[:, :, 0], (dw, dh), interpolation=INTERPS[it])
    f.write(struct.pack("<6I", it, cn, w, h, dw, dh))
    f.write(img.tobytes())
    f.write(np.ascontiguousarray(res).tobytes())


def main():
    cv2.ipp.setUseIPP(False)
    cv2.setNumThreads(1)
    assert not cv2.ipp.useIPP()
    rng = np.random.default_rng(20261203)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as f:
        n = 0
        for it in range(4):
            for i, (sw, sh, dw, dh) in enumerate(SIZES):
                cn = 1 + (i + it) % 4
                img = rng.integers(0, 256, (sh, sw, cn), dtype=np.uint8)
                if i % 3 == 0:  # extremes: saturation in the cubic passes
                    img = (img > 127).astype(np.uint8) * 255
                write_case(f, it, img, dw, dh)
                n += 1
        for it, sw, sh, dw, dh, cn in PHOTO_JOBS:
            write_case(f, it, photo(rng, sw, sh, cn), dw, dh)
            n += 1
    print(f"{n} cases, {OUT.stat().st_size} bytes -> {OUT}")


if __name__ == "__main__":
    main()
