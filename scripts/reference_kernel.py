"""Reference port of the seed kernel (Bengali.AI "multiprocessing" preprocessing kernel).

    python scripts/reference_kernel.py FILE.parquet... -o OUT [--mode single|pool]
        [--processes N] [--height 137] [--width 236] [--size 128] [--pad 16]

OUT ending in `.zip`: a zip written with zipfile like the kernel (writestr, ZIP_STORED);
otherwise a folder of `<image_id>.png`.

`bbox`, `crop_resize` and `process_image_multi_v1` are the kernel's code verbatim, except
for the two blocks marked FALLBACK, which only run where the kernel would crash (docs/spec.md
section 2): a constant image (max 0 after inversion) and an image with no inner pixel
> 80 (bbox would index an empty array). Everything else, including the quirks (inner
bbox coordinates used as full-image ones, the inclusive max used as an exclusive end,
the in-place noise removal through a view), is kept as the kernel has it.

--mode single is the kernel's "single process" loop; --mode pool is "multi v1"
(pool.starmap over the rows of a file). Both give the same images.
"""

import argparse
import multiprocessing
import os
import sys
import time
import zipfile
import warnings

import cv2
import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

HEIGHT = 137
WIDTH = 236
SIZE = 128
PAD = 16


# ---- kernel code (verbatim apart from FALLBACK blocks) -------------------------------

def bbox(img):
    rows = np.any(img, axis=1)
    cols = np.any(img, axis=0)
    # FALLBACK (not in the kernel): no pixel above the threshold -> the whole frame.
    # The kernel raises IndexError here. Returned as (ymin, ymax, xmin, xmax) =
    # (0, HEIGHT, 0, WIDTH), then widened by crop_resize as usual (-> unchanged).
    if not rows.any():
        return 0, HEIGHT, 0, WIDTH
    # END FALLBACK
    rmin, rmax = np.where(rows)[0][[0, -1]]
    cmin, cmax = np.where(cols)[0][[0, -1]]

    return rmin, rmax, cmin, cmax


def crop_resize(img0, size = SIZE, pad = 16):
    # Crop a box around pixels large than the threshold
    # Some images contain line at the sides
    ymin,ymax,xmin,xmax = bbox(img0[5:-5,5:-5] > 80)

    # Cropping may cut too much, so we need to add it back
    xmin = xmin - 13 if (xmin > 13) else 0
    ymin = ymin - 10 if (ymin > 10) else 0
    xmax = xmax + 13 if (xmax < WIDTH - 13) else WIDTH
    ymax = ymax + 10 if (ymax < HEIGHT - 10) else HEIGHT
    img = img0[ymin:ymax,xmin:xmax]

    # Remove low intensity pixels as noise
    img[img < 28] = 0
    lx, ly = xmax-xmin,ymax-ymin
    l = max(lx,ly) + pad

    # Make sure that the aspect ratio is kept in rescaling
    img = np.pad(img, [((l-ly)//2,), ((l-lx)//2,)], mode = 'constant')

    return cv2.resize(img, (size, size))


def process_image_multi_v1(data, name):
    # Reshape data
    data = data.reshape(HEIGHT, WIDTH)

    # Normalize each image by its max val
    data = 255 - data.astype(np.uint8)
    # FALLBACK (not in the kernel): a constant image has max 0; the kernel computes
    # 0 * inf = NaN here and then crashes in bbox. docs/spec.md 2.2: it normalizes to all zeros.
    if data.max() == 0:
        img = np.zeros_like(data)
    else:
    # END FALLBACK
        img = (data*(255.0/data.max())).astype(np.uint8)

    # Crop, Resize and encode as PNG file
    img = crop_resize(img)
    img = cv2.imencode('.png',img)[1]

    return name, img


# ---- harness ---------------------------------------------------------------------------

def configure(height, width, size, pad):
    """Set the kernel's globals (also run in each pool worker, whatever the start method).

    crop_resize's defaults were bound at definition time, so they are rebound here to keep
    its body and its call `crop_resize(img)` verbatim."""
    global HEIGHT, WIDTH, SIZE, PAD
    HEIGHT, WIDTH, SIZE, PAD = height, width, size, pad
    crop_resize.__defaults__ = (size, pad)


def is_blank(raw):
    """True where a FALLBACK applies: constant image, or nothing > 80 in the inner region.

    Computed separately from the kernel code so that code stays verbatim."""
    data = 255 - raw.reshape(HEIGHT, WIDTH).astype(np.uint8)
    m = data.max()
    if m == 0:
        return True
    img = (data * (255.0 / m)).astype(np.uint8)
    return not (img[5:-5, 5:-5] > 80).any()


def pool_task(data, name):
    name, img = process_image_multi_v1(data, name)
    return name, img, is_blank(data)


class Sink:
    """Zip (like the kernel: ZipFile(..., 'w') + writestr, default ZIP_STORED) or folder."""

    def __init__(self, out):
        self.zip = None
        if out.endswith(".zip"):
            os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
            self.zip = zipfile.ZipFile(out, "w")
        else:
            self.dir = out
            os.makedirs(out, exist_ok=True)

    def write(self, name, img):
        if self.zip is not None:
            self.zip.writestr(name + '.png', img)
        else:
            # The kernel's v2 calls cv2.imwrite on the *encoded* bytes; the intent is
            # to store the PNG, so the encoded bytes are written as they are.
            with open(os.path.join(self.dir, name + ".png"), "wb") as f:
                f.write(img.tobytes())

    def close(self):
        if self.zip is not None:
            self.zip.close()


def run_single(files, sink):
    n = blanks = 0
    for fname in files:
        # Read parquet file into pandas.
        df = pd.read_parquet(fname)

        # The input inverted
        data = 255 - df.iloc[:, 1:].values.reshape(-1, HEIGHT, WIDTH).astype(np.uint8)
        for idx in range(len(df)):
            name = df.iloc[idx,0]

            # Normalize each image by its max val
            # FALLBACK (not in the kernel): constant image -> all zeros.
            if data[idx].max() == 0:
                img = np.zeros_like(data[idx])
            else:
            # END FALLBACK
                img = (data[idx]*(255.0/data[idx].max())).astype(np.uint8)
            # before crop_resize, which zeroes values < 28 in place
            blanks += (data[idx].max() == 0) or not (img[5:-5, 5:-5] > 80).any()
            img = crop_resize(img)

            img = cv2.imencode('.png',img)[1]
            sink.write(name, img)
            n += 1
    return n, blanks


def run_pool(files, sink, processes):
    n = blanks = 0
    pool = multiprocessing.Pool(processes=processes, initializer=configure,
                                initargs=(HEIGHT, WIDTH, SIZE, PAD))
    try:
        for fname in files:
            # Read Parquet file
            df = pd.read_parquet(fname)

            # Prep the input for pool.starmap.
            data = df.iloc[:, 1:].values
            names = df.image_id.tolist()

            for name, img, blank in pool.starmap(pool_task, zip(data, names)):
                sink.write(name, img)
                n += 1
                blanks += blank
    finally:
        pool.close()
        pool.join()
    return n, blanks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE.parquet")
    ap.add_argument("-o", "--out", required=True, help="OUT.zip or a folder")
    ap.add_argument("--mode", choices=["single", "pool"], default="single")
    ap.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    ap.add_argument("--height", type=int, default=137)
    ap.add_argument("--width", type=int, default=236)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--pad", type=int, default=16)
    args = ap.parse_args(argv)

    configure(args.height, args.width, args.size, args.pad)
    start = time.time()
    sink = Sink(args.out)
    try:
        if args.mode == "single":
            n, blanks = run_single(args.files, sink)
        else:
            n, blanks = run_pool(args.files, sink, args.processes)
    finally:
        sink.close()
    print(f"images {n}, blanks {int(blanks)}, seconds {time.time() - start:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
