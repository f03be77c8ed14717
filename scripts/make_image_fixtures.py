#!/usr/bin/env python3
"""Image-file fixtures for the "image files" input and its Pillow recipe.

    python3 -m venv .venv-images && .venv-images/bin/pip install -r scripts/requirements-images.txt && .venv-images/bin/python scripts/make_image_fixtures.py

makes tests/fixtures/images/ (the Rust tests read it without Python):

    folder/      an ImageFolder tree: class folders Rocket/ cat/ coffee/ misc/ (and car/,
                 which holds no image so is no class), misc/deep/ one level deeper, files
                 of every kind a converter meets (JPEG 4:2:0/4:2:2/4:4:4/progressive/gray/
                 CMYK/YCCK/RGB/EXIF-rotated/odd sizes, PNG of every colour type and bit
                 depth with tRNS, Adam7 and all five filters written by the small PNG
                 writer below, WebP, BMP incl. 4-bit/RLE8/top-down written by hand, GIF,
                 TIFF), mostly crops of the photographs that ship inside scikit-image's
                 wheel, and files to skip (dot files, dot folders, .txt/.csv/.ppm).
    golden/      ids.txt, labels.txt and pil_<MODE>_<W>x<H>_<filter>.npy: uint8, C order,
                 (N, H, W, 3) for RGB and (N, H, W) for L, row i being
                 Image.open(p).convert(MODE).resize((W, H), FILTER) for the i-th input.
    bad/         files Pillow refuses (one it accepts, marked ok) and expected.tsv.
    conformance/ PngSuite (from pypng's sdist) and bmpsuite (from Pillow's sdist) files,
                 expected.tsv, ids.txt, golden_RGB_16x16_bicubic.npy.

Other uses:

    make_image_fixtures.py --out DIR        the same tree in DIR (the conformance images
                                            are copied from the committed ones)
    make_image_fixtures.py --photos N --out DIR
                                            N photos of varied formats, modes and sizes
                                            (crops and rescales of the same photographs)
                                            as an ImageFolder in DIR, for manual trials
                                            and benchmarks; not committed
    make_image_fixtures.py --import-conformance
                                            re-fetch the conformance images: pip
                                            downloads the pypng and Pillow sdists (PyPI)

Everything is made from fixed seeds; the encoders (libjpeg-turbo, libwebp, zlib, libtiff
of the pinned wheels, Python's zlib for the hand-written PNGs) give the same bytes on a
re-run.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "fixtures" / "images"

IMAGE_EXTS = {"jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"}

R = Image.Resampling
GOLDENS = [  # (mode, W, H, filter name[, fit])
    ("RGB", 64, 64, "bicubic"),
    ("RGB", 64, 64, "bilinear"),
    ("RGB", 64, 64, "lanczos"),
    ("RGB", 64, 64, "box"),
    ("RGB", 64, 64, "hamming"),
    ("RGB", 64, 64, "nearest"),
    ("RGB", 40, 24, "bicubic"),
    ("L", 64, 64, "bicubic"),
    ("L", 32, 48, "lanczos"),
    ("RGB", 150, 150, "bicubic"),
    # The fits (docs/spec.md 8.6), by the Python expressions of fitted() below.
    ("RGB", 64, 48, "bicubic", "crop"),
    ("L", 40, 40, "lanczos", "crop"),
    ("RGB", 50, 50, "nearest", "crop"),
    ("RGB", 64, 48, "bicubic", "pad-10-200-30"),
    ("L", 48, 32, "bilinear", "pad-128"),
    # --draft: JPEGs decoded at 1/2..1/8 scale, as after Pillow's draft().
    ("RGB", 8, 8, "bicubic", "draft"),
    ("L", 12, 10, "bilinear", "draft"),
]
# OpenCV's recipe (docs/spec.md 8.9): cv2.imread, BGR to RGB, cv2.resize with IPP
# off, by the same fits. (mode, W, H, interpolation[, fit])
OPENCV_GOLDENS = [
    ("RGB", 64, 64, "linear"),
    ("RGB", 64, 64, "cubic"),
    ("RGB", 64, 64, "area"),
    ("RGB", 64, 64, "nearest"),
    ("L", 64, 64, "area"),
    ("L", 48, 32, "cubic"),
    ("RGB", 96, 72, "cubic"),
    ("RGB", 40, 24, "area", "crop"),
    ("RGB", 64, 48, "linear", "pad-10-200-30"),
]
INTERPOLATIONS = {"linear": 1, "cubic": 2, "area": 3, "nearest": 0}  # cv2.INTER_*
FILTERS = {
    "nearest": R.NEAREST,
    "box": R.BOX,
    "bilinear": R.BILINEAR,
    "hamming": R.HAMMING,
    "bicubic": R.BICUBIC,
    "lanczos": R.LANCZOS,
}

PYPNG_SDIST = "pypng==0.20220715.0"
PILLOW_SDIST = f"pillow=={PIL.__version__}"

# --------------------------------------------------------------------------- photos


def skimage_data_dir() -> Path:
    """The folder of photographs inside the scikit-image wheel (no pooch download)."""
    import skimage

    return Path(skimage.__file__).resolve().parent / "data"


def photo(name: str) -> Image.Image:
    """A photograph shipped in skimage/data, read with Pillow (RGB, L or RGBA)."""
    path = skimage_data_dir() / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: scikit-image's wheel should ship it")
    im = Image.open(path)
    im.load()
    if im.mode not in ("RGB", "L", "RGBA"):
        im = im.convert("RGB")
    return im


def crop(im: Image.Image, box: tuple[int, int, int, int], size: tuple[int, int]) -> Image.Image:
    """Crop box (left, top, right, bottom) of a photo and rescale it to size (W, H)."""
    part = im.crop(box)
    if part.size != size:
        part = part.resize(size, R.LANCZOS)
    return part


def arr(im: Image.Image) -> np.ndarray:
    return np.asarray(im).copy()


# --------------------------------------------------------------------------- PNG writer

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def png_chunk(cid: bytes, data: bytes, crc: int | None = None) -> bytes:
    if crc is None:
        crc = zlib.crc32(cid + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + cid + data + struct.pack(">I", crc)


def pack_rows(samples: np.ndarray, bit_depth: int) -> np.ndarray:
    """(h, w, c) sample values -> (h, rowbytes) uint8, big-endian / MSB-first packing."""
    h, w, c = samples.shape
    if bit_depth == 16:
        be = samples.astype(">u2").view(np.uint8)
        return be.reshape(h, w * c * 2)
    if bit_depth == 8:
        return samples.astype(np.uint8).reshape(h, w * c)
    assert c == 1
    per = 8 // bit_depth
    rowbytes = (w * bit_depth + 7) // 8
    padded = np.zeros((h, rowbytes * per), np.uint16)
    padded[:, :w] = samples[:, :, 0]
    padded = padded.reshape(h, rowbytes, per)
    out = np.zeros((h, rowbytes), np.uint16)
    for k in range(per):
        out |= padded[:, :, k] << (8 - bit_depth * (k + 1))
    return out.astype(np.uint8)


def paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_row(ftype: int, raw: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    x = raw.astype(np.int32)
    up = prior.astype(np.int32)
    left = np.zeros_like(x)  # the bytes bpp to the left; 0 before the row's start
    upleft = np.zeros_like(up)
    left[bpp:] = x[:-bpp]
    upleft[bpp:] = up[:-bpp]
    if ftype == 0:
        out = x
    elif ftype == 1:
        out = x - left
    elif ftype == 2:
        out = x - up
    elif ftype == 3:
        out = x - (left + up) // 2
    else:
        out = x - paeth(left, up, upleft)
    return (out & 0xFF).astype(np.uint8)


def filter_image(packed: np.ndarray, bpp: int, filters, start: int) -> bytes:
    """Filter the rows of one (sub)image; filters: 'cycle', 'adaptive' or an int."""
    out = bytearray()
    prior = np.zeros(packed.shape[1], np.uint8)
    for y in range(packed.shape[0]):
        row = packed[y]
        if filters == "cycle":
            ftype = (start + y) % 5
            f = filter_row(ftype, row, prior, bpp)
        elif filters == "adaptive":  # libpng's heuristic: least sum of |signed bytes|
            best = None
            for ftype in range(5):
                cand = filter_row(ftype, row, prior, bpp)
                cost = int(np.abs(cand.astype(np.int8).astype(np.int32)).sum())
                if best is None or cost < best[0]:
                    best = (cost, ftype, cand)
            _, ftype, f = best
        else:
            ftype = int(filters)
            f = filter_row(ftype, row, prior, bpp)
        out.append(ftype)
        out += f.tobytes()
        prior = row
    return bytes(out)


def write_png(
    path: Path,
    samples: np.ndarray,
    color_type: int,
    bit_depth: int,
    *,
    palette: np.ndarray | None = None,
    trns: bytes | None = None,
    interlace: bool = False,
    filters="cycle",
    idat_size: int = 0,
    level: int = 9,
) -> None:
    """A PNG from sample values (h, w) or (h, w, c): palette indices for color type 3."""
    if samples.ndim == 2:
        samples = samples[:, :, None]
    h, w, c = samples.shape
    assert c == CHANNELS[color_type], (path, c, color_type)
    assert int(samples.max()) < (1 << bit_depth)
    bpp = max(1, c * bit_depth // 8)
    if interlace:
        raw = bytearray()
        for i, (xs, ys, dx, dy) in enumerate(ADAM7):
            sub = samples[ys::dy, xs::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            raw += filter_image(pack_rows(sub, bit_depth), bpp, filters, i)
        raw = bytes(raw)
    else:
        raw = filter_image(pack_rows(samples, bit_depth), bpp, filters, 0)
    z = zlib.compress(raw, level)
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += png_chunk(b"PLTE", np.asarray(palette, np.uint8).reshape(-1).tobytes())
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    step = idat_size or len(z)
    for i in range(0, len(z), step):
        out += png_chunk(b"IDAT", z[i : i + step])
    out += png_chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    check_png(path, samples, color_type, bit_depth)


def check_png(path: Path, s: np.ndarray, color_type: int, bit_depth: int) -> None:
    """Pillow must read back the samples written (this checks the writer above)."""
    if bit_depth == 16 and color_type != 0:
        s = s >> 8  # Pillow keeps the high byte
    if color_type == 0:
        want = {1: s[..., 0].astype(bool), 2: s[..., 0] * 85, 4: s[..., 0] * 17}.get(bit_depth, s[..., 0])
    elif color_type == 4 and bit_depth == 16:  # Pillow opens 16-bit LA as RGBA
        want = np.dstack([s[..., 0], s[..., 0], s[..., 0], s[..., 1]])
    elif color_type == 3:
        want = s[..., 0]
    else:
        want = s
    with Image.open(path) as im:
        got = np.asarray(im)
    assert got.shape == want.shape and np.array_equal(got, want), f"{path}: Pillow reads other pixels"


def quantize(im: Image.Image, colors: int) -> tuple[np.ndarray, np.ndarray]:
    """Median-cut palette of `colors` entries: (indices (h, w), palette (n, 3))."""
    q = im.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    idx = np.asarray(q).copy()
    pal = np.asarray(q.getpalette()[: 3 * colors], np.uint8).reshape(-1, 3)
    n = int(idx.max()) + 1
    return idx, pal[: max(n, 2)]


# --------------------------------------------------------------------------- BMP writer


def bmp_file(width: int, height: int, bits: int, pixels: bytes, *, palette=None, compression=0, top_down=False) -> bytes:
    """BITMAPFILEHEADER + BITMAPINFOHEADER (40 bytes) + BGRX palette + pixel data."""
    pal = b""
    if palette is not None:
        pal = b"".join(bytes((int(b), int(g), int(r), 0)) for r, g, b in palette)
    offset = 14 + 40 + len(pal)
    info = struct.pack(
        "<IiiHHIIiiII",
        40,
        width,
        -height if top_down else height,
        1,
        bits,
        compression,
        len(pixels),
        2835,
        2835,
        len(palette) if palette is not None else 0,
        0,
    )
    head = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return head + info + pal + pixels


def bmp_rows(packed_rows: list[bytes], top_down: bool) -> bytes:
    out = bytearray()
    for row in packed_rows if top_down else packed_rows[::-1]:
        out += row + b"\0" * (-len(row) % 4)
    return bytes(out)


def bmp_rle8(idx: np.ndarray) -> bytes:
    """BI_RLE8, bottom-up: encoded runs and absolute runs, end-of-line and end-of-bitmap."""
    out = bytearray()
    h, w = idx.shape
    for y in range(h - 1, -1, -1):
        row = idx[y].tolist()
        x = 0
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            if run >= 3:
                out += bytes((run, row[x]))
                x += run
                continue
            # absolute mode: up to the next run of 3 (at least 3 literals)
            end = x
            while end < w and end - x < 255:
                if end + 2 < w and row[end] == row[end + 1] == row[end + 2]:
                    break
                end += 1
            n = end - x
            if n < 3:
                for v in row[x:end]:
                    out += bytes((1, v))
            else:
                out += bytes((0, n)) + bytes(row[x:end]) + (b"\0" if n % 2 else b"")
            x = end
        out += b"\0\0"  # end of line
    out[-2:] = b"\0\1"  # end of bitmap replaces the last end of line
    return bytes(out)


# --------------------------------------------------------------------------- JPEG helpers


def jpeg_bytes(im: Image.Image, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def cmyk_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """A plausible print separation: K from the darkest channel, C/M/Y from the rest."""
    x = rgb.astype(np.float64) / 255.0
    k = 1.0 - x.max(axis=2)
    denom = np.where(k < 1.0, 1.0 - k, 1.0)
    cmy = (1.0 - x - k[..., None]) / denom[..., None]
    out = np.concatenate([cmy, k[..., None]], axis=2)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


def ycck_jpeg(cmyk: np.ndarray, quality: int = 90) -> bytes:
    """A YCCK JPEG (Adobe APP14 transform=2), as Photoshop writes CMYK.

    Pillow only writes Adobe CMYK (transform=0), inverted (rawmode "CMYK;I"). libjpeg
    decodes YCCK as YCbCr->RGB of the first three components, C = 255 - R..., K as
    stored. So the stored components are Y, Cb, Cr of (255 - C', 255 - M', 255 - Y')
    and K', where C'M'Y'K' = 255 - CMYK are the inverted values Pillow's "CMYK;I"
    expects; we hand Pillow 255 - those, it inverts them back on writing, and the
    APP14 transform byte is changed from 0 to 2.
    """
    inv = 255.0 - cmyk.astype(np.float64)  # stored Adobe (inverted) CMYK
    r, g, b = 255.0 - inv[..., 0], 255.0 - inv[..., 1], 255.0 - inv[..., 2]
    # libjpeg's RGB -> YCbCr (jccolor.c) with its rounding
    y = 0.29900 * r + 0.58700 * g + 0.11400 * b
    cb = -0.16874 * r - 0.33126 * g + 0.5 * b + 128.0
    cr = 0.5 * r - 0.41869 * g - 0.08131 * b + 128.0
    stored = np.stack([y, cb, cr, inv[..., 3]], axis=2)
    stored = np.clip(np.floor(stored + 0.5), 0, 255).astype(np.uint8)
    h, w = stored.shape[:2]
    pre = Image.frombytes("CMYK", (w, h), (255 - stored).tobytes())
    data = bytearray(jpeg_bytes(pre, quality=quality))
    i = 2
    while True:  # walk the markers to APP14 "Adobe"
        assert data[i] == 0xFF
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker == 0xEE and data[i + 4 : i + 9] == b"Adobe":
            assert data[i + 15] == 0, "expected Pillow's transform=0"
            data[i + 15] = 2
            break
        if marker == 0xDA:
            raise RuntimeError("no Adobe APP14 marker")
        i += 2 + length
    return bytes(data)


def check_pixels(path: Path, mode: str, want: np.ndarray) -> None:
    with Image.open(path) as im:
        assert im.mode == mode, (path, im.mode)
        assert np.array_equal(np.asarray(im), want), f"{path}: Pillow reads other pixels"


def exif_orientation(value: int) -> bytes:
    ex = Image.Exif()
    ex[0x0112] = value
    return ex.tobytes()


# --------------------------------------------------------------------------- folder/


def save(im: Image.Image, path: Path, fmt: str, **kw) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, fmt, **kw)


def make_folder(root: Path) -> dict[str, str]:
    """Write folder/; returns {relative path: what it is} for the inputs."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    kinds: dict[str, str] = {}
    rng = np.random.default_rng(20260603)

    def put(rel: str, what: str) -> Path:
        kinds[rel] = what
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    chelsea = photo("chelsea.png")  # 451x300 RGB, a cat
    coffee = photo("coffee.png")  # 600x400 RGB
    rocket = photo("rocket.jpg")  # 427x640 RGB
    astronaut = photo("astronaut.png")  # 512x512 RGB
    camera = photo("camera.png")  # 512x512 L
    coins = photo("coins.png")  # 384x303 L
    moon = photo("moon.png")  # 512x512 L
    hubble = photo("hubble_deep_field.jpg")  # 872x1000 RGB
    retina = photo("retina.jpg")  # 1411x1411 RGB
    motorcycle = photo("motorcycle_left.png")
    horse = photo("horse.png")  # 328x400, 1-bit looking L/RGBA
    logo = photo("logo.png")  # RGBA

    # ---- cat/: JPEG of every flavour, from the cat photograph
    face = (100, 20, 340, 200)
    save(crop(chelsea, face, (96, 64)), put("cat/0001.jpg", "JPEG baseline 4:2:0 q85"), "JPEG", quality=85, subsampling=2)
    save(crop(chelsea, (60, 40, 300, 220), (80, 60)), put("cat/0002.jpg", "JPEG baseline 4:2:2 q90"), "JPEG", quality=90, subsampling=1)
    save(
        crop(chelsea, (150, 50, 300, 220), (64, 72)),
        put("cat/0003.jpg", "JPEG baseline 4:4:4 q92, restart marker every MCU row"),
        "JPEG",
        quality=92,
        subsampling=0,
        restart_marker_rows=1,
    )
    save(crop(chelsea, (0, 0, 451, 300), (100, 67)), put("cat/img9.jpg", "JPEG progressive 4:2:0 q80"), "JPEG", quality=80, progressive=True)
    save(crop(chelsea, (200, 100, 266, 134), (33, 17)), put("cat/img10.jpg", "JPEG 33x17 4:2:0 (partial MCUs)"), "JPEG", quality=75, subsampling=2)
    save(
        crop(chelsea, (120, 60, 210, 162), (45, 51)),
        put("cat/IMG_11.JPG", "JPEG 45x51 4:2:0 optimized Huffman, upper-case extension"),
        "JPEG",
        quality=88,
        optimize=True,
    )
    save(
        crop(chelsea, (100, 30, 400, 230), (60, 40)),
        put("cat/exif6.jpg", "JPEG with EXIF Orientation=6 (not applied by Pillow)"),
        "JPEG",
        quality=85,
        exif=exif_orientation(6),
    )
    with Image.open(root / "cat/exif6.jpg") as im:
        assert im.getexif().get(0x0112) == 6 and im.size == (60, 40)
    save(crop(chelsea, (180, 40, 280, 180), (50, 70)).convert("L"), put("cat/gray.jpg", "JPEG grayscale (1 component)"), "JPEG", quality=85)
    cm = cmyk_from_rgb(arr(crop(chelsea, (90, 20, 390, 270), (48, 40))))
    save(Image.frombytes("CMYK", (48, 40), cm.tobytes()), put("cat/cmyk.jpg", "JPEG Adobe CMYK (transform 0, inverted)"), "JPEG", quality=90)
    cm2 = cmyk_from_rgb(arr(crop(chelsea, (130, 40, 330, 210), (41, 35))))
    put("cat/ycck.jpg", "JPEG YCCK (Adobe transform 2)").write_bytes(ycck_jpeg(cm2))
    with Image.open(root / "cat/ycck.jpg") as im:  # read back as the CMYK it was made of
        assert im.info.get("adobe_transform") == 2 and im.mode == "CMYK"
        err = np.abs(np.asarray(im).astype(int) - cm2.astype(int)).mean()
        assert err < 6, f"ycck.jpg decodes {err:.1f} away from its CMYK on average"
    import cv2  # a second libjpeg reading: OpenCV takes it as YCCK too

    bgr = cv2.imread(str(root / "cat/ycck.jpg"), cv2.IMREAD_COLOR)
    with Image.open(root / "cat/ycck.jpg") as im:
        diff = np.abs(np.asarray(im.convert("RGB")).astype(int) - bgr[:, :, ::-1].astype(int)).max()
    assert diff <= 2, f"OpenCV and Pillow read ycck.jpg {diff} apart"
    save(
        crop(chelsea, (50, 80, 400, 300), (70, 50)),
        put("cat/jpeg_named.png", "JPEG content under a .png name"),
        "JPEG",
        quality=85,
    )
    save(
        crop(chelsea, (220, 60, 330, 150), (39, 31)),
        put("cat/rgb_jpeg.jpeg", "JPEG stored as RGB (keep_rgb: no YCbCr, Adobe transform 0), .jpeg"),
        "JPEG",
        quality=90,
        keep_rgb=True,
    )

    # ---- coffee/: PNG of every colour type and depth (hand-written)
    cup = (140, 20, 460, 300)
    gray = arr(crop(camera, (100, 40, 400, 340), (64, 48)))
    write_png(put("coffee/g8.png", "PNG gray 8"), gray, 0, 8)
    write_png(put("coffee/g1.png", "PNG gray 1"), (arr(crop(coins, (0, 0, 300, 240), (37, 29))) > 110).astype(np.uint8), 0, 1)
    write_png(put("coffee/g2.png", "PNG gray 2"), arr(crop(coins, (40, 40, 240, 190), (40, 30))) >> 6, 0, 2)
    write_png(put("coffee/g4.png", "PNG gray 4"), arr(crop(moon, (100, 100, 300, 400), (31, 45))) >> 4, 0, 4)
    # 16-bit gray: a photograph times 257 plus a noisy low byte, so most values > 255
    m16 = arr(crop(moon, (150, 150, 400, 350), (48, 36))).astype(np.uint16) * 257
    m16 = (m16 & 0xFF00) | rng.integers(0, 256, m16.shape, dtype=np.uint16)
    write_png(put("coffee/G16.png", "PNG gray 16 (values > 255)"), m16, 0, 16, filters="adaptive")
    c8 = arr(crop(coffee, cup, (56, 49)))
    alpha = np.linspace(0, 255, 56)[None, :].repeat(49, 0).astype(np.uint8)
    write_png(put("coffee/ga8.png", "PNG gray+alpha 8"), np.stack([arr(Image.fromarray(c8).convert("L")), alpha], 2), 4, 8)
    g16 = arr(crop(coffee, (200, 50, 420, 250), (30, 34)).convert("L")).astype(np.uint16) * 257
    g16 ^= rng.integers(0, 256, g16.shape, dtype=np.uint16)
    a16 = np.linspace(65535, 0, 30 * 34).reshape(34, 30).astype(np.uint16)
    write_png(put("coffee/ga16.png", "PNG gray+alpha 16"), np.stack([g16, a16], 2), 4, 16)
    write_png(put("coffee/Rgb8.png", "PNG RGB 8, IDAT split in 512-byte chunks"), c8, 2, 8, idat_size=512)
    r16 = arr(crop(coffee, (0, 0, 600, 400), (66, 44))).astype(np.uint16) * 257
    r16 ^= rng.integers(0, 256, r16.shape, dtype=np.uint16)
    write_png(put("coffee/rgb16.png", "PNG RGB 16 (random low bytes)"), r16, 2, 16)
    ra8 = np.dstack([arr(crop(coffee, (300, 100, 600, 400), (52, 52))), rng.integers(0, 256, (52, 52), dtype=np.uint8)])
    write_png(put("coffee/rgba8.png", "PNG RGBA 8 (noise alpha)"), ra8, 6, 8)
    ra16 = arr(crop(coffee, (50, 150, 350, 390), (28, 24))).astype(np.uint16) * 257
    ra16 = np.dstack([ra16 ^ rng.integers(0, 256, ra16.shape, dtype=np.uint16), np.full((24, 28), 40000, np.uint16)])
    write_png(put("coffee/rgba16.png", "PNG RGBA 16"), ra16, 6, 16)
    for bd, (rel, sz) in {1: ("coffee/p1.png", (27, 22)), 2: ("coffee/p2.png", (44, 36)), 4: ("coffee/p4.png", (35, 58)), 8: ("coffee/p8.png", (72, 60))}.items():
        idx, pal = quantize(crop(coffee, cup, sz), 1 << bd)
        write_png(put(rel, f"PNG palette {bd}-bit ({len(pal)} entries)"), idx, 3, bd, palette=pal)
    idx, pal = quantize(crop(coffee, (250, 0, 550, 250), (46, 40)), 200)  # PLTE shorter than 256
    trns = bytes(np.linspace(0, 255, 24).astype(np.uint8))  # alpha for the first 24 entries only
    write_png(put("coffee/p8_trns.png", "PNG palette 8-bit, 200-entry PLTE, tRNS for 24 entries"), idx, 3, 8, palette=pal, trns=trns)
    gt = arr(crop(camera, (200, 60, 330, 200), (36, 40)))
    gt[gt < 60] = 17  # a gray value that tRNS makes transparent
    write_png(put("coffee/g8_trns.png", "PNG gray 8 with tRNS"), gt, 0, 8, trns=struct.pack(">H", 17))
    rt = arr(crop(coffee, (0, 200, 300, 400), (42, 28)))
    rt[:8, :10] = (10, 200, 30)
    write_png(
        put("coffee/rgb8.tRNS.png", "PNG RGB 8 with tRNS (two dots in the name)"),
        rt,
        2,
        8,
        trns=struct.pack(">HHH", 10, 200, 30),
    )
    write_png(put("coffee/adam7_rgb.png", "PNG RGB 8 Adam7 interlaced"), arr(crop(coffee, cup, (61, 43))), 2, 8, interlace=True)

    # ---- Rocket/: WebP and a .jpeg, from the rocket photograph
    save(crop(rocket, (100, 100, 330, 440), (60, 90)), put("Rocket/lossy.webp", "WebP lossy"), "WEBP", quality=80)
    save(crop(rocket, (150, 200, 300, 380), (50, 60)), put("Rocket/lossless.webp", "WebP lossless"), "WEBP", lossless=True)
    ra = crop(rocket, (0, 0, 427, 640), (44, 66)).convert("RGBA")
    a = np.asarray(ra).copy()
    a[:, :, 3] = np.linspace(255, 30, 66)[:, None].astype(np.uint8)
    save(Image.fromarray(a), put("Rocket/alpha.webp", "WebP lossy with alpha"), "WEBP", quality=75)
    save(crop(astronaut, (150, 20, 380, 260), (120, 118)), put("Rocket/astronaut.jpeg", "JPEG 4:2:0 q95 120x118"), "JPEG", quality=95)

    # ---- misc/: BMP, GIF, TIFF, synthetic images, one level deeper
    save(crop(hubble, (300, 300, 500, 450), (64, 48)), put("misc/bmp24.bmp", "BMP 24-bit (Pillow)"), "BMP")
    bgra = crop(astronaut, (50, 50, 450, 450), (40, 40)).convert("RGBA")
    save(bgra, put("misc/bmp32.bmp", "BMP 32-bit BI_RGB (Pillow, from RGBA)"), "BMP")
    save(crop(retina, (300, 300, 1100, 1000), (50, 44)).quantize(64), put("misc/bmp8.bmp", "BMP 8-bit palette (Pillow)"), "BMP")
    save(crop(coins, (60, 60, 260, 240), (38, 34)), put("misc/Bmp8gray.bmp", "BMP 8-bit gray palette (Pillow, L)"), "BMP")
    save(crop(horse, (0, 0, 328, 400), (41, 50)).convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"), put("misc/bmp1.bmp", "BMP 1-bit (Pillow)"), "BMP")
    idx, pal = quantize(crop(motorcycle, (200, 100, 600, 400), (37, 29)), 16)
    rows4 = [bytes((np.pad(r, (0, len(r) % 2))[0::2] << 4 | np.pad(r, (0, len(r) % 2))[1::2]).astype(np.uint8)) for r in idx.astype(np.uint8)]
    put("misc/bmp4.bmp", "BMP 4-bit palette (hand-written)").write_bytes(bmp_file(37, 29, 4, bmp_rows(rows4, False), palette=pal))
    check_pixels(root / "misc/bmp4.bmp", "P", idx)
    idx, pal = quantize(crop(astronaut, (0, 0, 512, 512), (53, 47)), 32)
    idx[10:20, :] = 3  # long runs
    put("misc/bmp8_rle.bmp", "BMP 8-bit RLE8 (hand-written)").write_bytes(bmp_file(53, 47, 8, bmp_rle8(idx), palette=pal, compression=1))
    check_pixels(root / "misc/bmp8_rle.bmp", "P", idx)
    td = arr(crop(motorcycle, (400, 100, 700, 350), (35, 27)))
    rows24 = [bytes(r[:, ::-1].reshape(-1)) for r in td]
    put("misc/bmp_topdown.bmp", "BMP 24-bit top-down (negative height, hand-written)").write_bytes(bmp_file(35, 27, 24, bmp_rows(rows24, True), top_down=True))
    check_pixels(root / "misc/bmp_topdown.bmp", "RGB", td)

    save(crop(astronaut, (100, 0, 400, 300), (48, 48)).quantize(128), put("misc/gif_static.gif", "GIF static"), "GIF")
    frames = [crop(hubble, (i * 100, 200, i * 100 + 300, 500), (36, 36)).quantize(64) for i in range(3)]
    save(frames[0], put("misc/gif_anim.gif", "GIF animated, 3 frames (the first counts)"), "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    gq = crop(logo, (0, 0, 500, 500), (44, 30)).convert("RGB").quantize(32)
    save(gq, put("misc/gif_trns.gif", "GIF with a transparent index"), "GIF", transparency=int(np.asarray(gq)[0, 0]))

    save(crop(motorcycle, (0, 0, 700, 500), (57, 41)), put("misc/tif_raw.tif", "TIFF RGB uncompressed"), "TIFF")
    save(crop(retina, (200, 200, 1200, 1200), (47, 47)), put("misc/tif_lzw.tif", "TIFF RGB LZW"), "TIFF", compression="tiff_lzw")
    save(crop(camera, (0, 0, 512, 400), (64, 50)), put("misc/tif_gray.TIF", "TIFF gray 8-bit uncompressed, upper-case extension"), "TIFF")
    save(crop(coffee, (0, 0, 400, 400), (45, 45)), put("misc/tif_deflate.tiff", "TIFF RGB adobe_deflate"), "TIFF", compression="tiff_adobe_deflate")

    # synthetic: gradients and noise
    yy, xx = np.mgrid[0:23, 0:71]
    grad = np.stack([xx * 255 // 70, yy * 255 // 22, (xx + yy) * 255 // 92], 2).astype(np.uint8)
    save(Image.fromarray(grad), put("misc/gradient.jpg", "JPEG 71x23 synthetic gradient"), "JPEG", quality=90)
    noise = rng.integers(0, 256, (29, 24, 3), dtype=np.uint8)
    write_png(put("misc/deep-noise.png", "PNG RGB 8 synthetic noise, filter adaptive"), noise, 2, 8, filters="adaptive")
    yy, xx = np.mgrid[0:57, 0:19]
    write_png(put("misc/deep/x.png", "PNG gray 8 Adam7 interlaced (synthetic rings)"), ((xx * xx + yy * yy) % 256).astype(np.uint8), 0, 8, interlace=True)
    write_png(put("misc/deep_b.png", "PNG RGB 8 Adam7 tiny 5x3"), rng.integers(0, 256, (3, 5, 3), dtype=np.uint8), 2, 8, interlace=True)

    # ---- files to skip
    (root / "notes.txt").write_text("Not an image: the converter skips .txt files.\n")
    (root / "labels.csv").write_text("id,label\ncat/0001,0\n")
    (root / "car").mkdir()
    (root / "car" / "README.txt").write_text("No image in here, so car/ is no class.\n")
    hidden = jpeg_bytes(crop(chelsea, face, (30, 20)), quality=80)
    (root / ".hidden.jpg").write_bytes(hidden)
    (root / "cat" / ".hidden.jpg").write_bytes(hidden)
    (root / ".cache").mkdir()
    write_png(root / ".cache" / "x.png", gray[:20, :20], 0, 8)
    (root / "misc" / ".thumbs").mkdir()
    (root / "misc" / ".thumbs" / "y.jpg").write_bytes(hidden)
    save(crop(coffee, cup, (20, 20)), root / "misc" / "skip.ppm", "PPM")  # not an input extension
    return kinds


def list_inputs(root: Path) -> list[str]:
    """Relative paths ('/'-separated) of the inputs, in Python sorted() order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if f.startswith("."):
                continue
            if f.rsplit(".", 1)[-1].lower() in IMAGE_EXTS and "." in f:
                found.append(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(found)


def fitted(im, mode, w, h, filt, fit="stretch"):
    """Image.open(p) to a (w, h) image of `mode` by `fit`: what pixelprep's --fit
    means, as Python (docs/spec.md 8.6). `pad-R-G-B` / `pad-V` name the fill;
    `draft` is --draft (8.8): Pillow's draft mode, then a stretch."""
    if fit == "draft":
        im.draft("RGB", (2 * w, 2 * h))
        return im.convert(mode).resize((w, h), filt)
    im = im.convert(mode)
    if fit == "stretch":
        return im.resize((w, h), filt)
    iw, ih = im.size
    if fit == "crop":
        # The largest centred box of the target's aspect.
        bw, bh = min(iw, ih * w / h), min(ih, iw * h / w)
        box = ((iw - bw) / 2, (ih - bh) / 2, (iw + bw) / 2, (ih + bh) / 2)
        return im.resize((w, h), filt, box=box)
    # pad: the whole image, aspect kept, centred on a canvas of the fill.
    fill = tuple(int(v) for v in fit.split("-")[1:])
    scale = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    canvas = Image.new(mode, (w, h), fill if len(fill) > 1 else fill[0])
    canvas.paste(im.resize((nw, nh), filt), ((w - nw) // 2, (h - nh) // 2))
    return canvas


def golden_name(spec, recipe="pil") -> str:
    mode, w, h, fname, *fit = spec
    return f"{recipe}_{mode}_{w}x{h}_{fname}" + "".join(f"_{f}" for f in fit)


def golden_arrays(root: Path, rels: list[str], specs) -> dict[tuple, np.ndarray]:
    out = {}
    for spec in specs:
        mode, w, h, fname, *fit = spec
        rows = []
        for rel in rels:
            with Image.open(root / rel) as im:
                rows.append(np.asarray(fitted(im, mode, w, h, FILTERS[fname], *fit)))
        out[spec] = np.ascontiguousarray(np.stack(rows).astype(np.uint8))
    return out


def cv_fitted(img, w, h, inter, fit="stretch"):
    """cv2.resize by `fit`, as Python: crop takes the largest centred box of the
    target's aspect in whole pixels (NumPy slicing), pad pastes the aspect-kept
    resize on a canvas of the fill (docs/spec.md 8.6)."""
    import cv2

    ih, iw = img.shape[:2]
    if fit == "stretch":
        return cv2.resize(img, (w, h), interpolation=inter)
    if fit == "crop":
        bw, bh = max(1, min(iw, ih * w // h)), max(1, min(ih, iw * h // w))
        x0, y0 = (iw - bw) // 2, (ih - bh) // 2
        return cv2.resize(img[y0:y0 + bh, x0:x0 + bw], (w, h), interpolation=inter)
    fill = [int(v) for v in fit.split("-")[1:]]
    scale = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    canvas = np.empty((h, w) + img.shape[2:], np.uint8)
    canvas[...] = fill if img.ndim == 3 else fill[0]
    left, top = (w - nw) // 2, (h - nh) // 2
    canvas[top:top + nh, left:left + nw] = cv2.resize(img, (nw, nh), interpolation=inter)
    return canvas


def opencv_golden_arrays(root: Path, rels: list[str]) -> dict[tuple, np.ndarray]:
    import cv2

    cv2.ipp.setUseIPP(False)  # the reference is OpenCV's own code, not Intel's
    out = {}
    for spec in OPENCV_GOLDENS:
        mode, w, h, name, *fit = spec
        rows = []
        for rel in rels:
            img = cv2.imread(str(root / rel), cv2.IMREAD_GRAYSCALE if mode == "L" else cv2.IMREAD_COLOR)
            assert img is not None, f"OpenCV cannot read {rel}"
            if mode == "RGB":
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            rows.append(cv_fitted(img, w, h, INTERPOLATIONS[name], *fit))
        out[spec] = np.ascontiguousarray(np.stack(rows).astype(np.uint8))
    return out


def make_golden(folder: Path, golden: Path, kinds: dict[str, str]) -> list[str]:
    if golden.exists():
        shutil.rmtree(golden)
    golden.mkdir(parents=True)
    rels = list_inputs(folder)
    ids = [os.path.splitext(r)[0] for r in rels]
    assert len(set(ids)) == len(ids), "two inputs with the same id"
    assert all("/" in r for r in rels), "an input directly at the root"
    classes = sorted({r.split("/", 1)[0] for r in rels})
    (golden / "ids.txt").write_text("".join(i + "\n" for i in ids))
    table = []
    for rel in rels:
        with Image.open(folder / rel) as im:
            table.append(f"{rel}\t{im.format}\t{im.mode}\t{im.size[0]}x{im.size[1]}\t{kinds[rel]}\n")
    (golden / "inputs.tsv").write_text("".join(table))
    (golden / "labels.txt").write_text("".join(f"{r.split('/', 1)[0]}\t{classes.index(r.split('/', 1)[0])}\n" for r in rels))
    with warnings.catch_warnings():
        # Pillow warns on converting a palette image whose tRNS holds bytes; fine. No
        # input may be large enough for a DecompressionBombWarning.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        arrays = golden_arrays(folder, rels, GOLDENS)
    for spec, a in arrays.items():
        np.save(golden / f"{golden_name(spec)}.npy", a, allow_pickle=False)
    for spec, a in opencv_golden_arrays(folder, rels).items():
        np.save(golden / f"{golden_name(spec, 'cv')}.npy", a, allow_pickle=False)
    lines = [
        "# Goldens for folder/",
        "",
        "Made by scripts/make_image_fixtures.py with Pillow "
        f"{PIL.__version__} and numpy {np.__version__}.",
        "",
        "- `ids.txt`: the inputs of folder/ (walked recursively; names and folders starting",
        "  with `.` skipped; extensions jpg jpeg png webp bmp gif tif tiff, any case),",
        "  their relative paths with `/` in Python `sorted()` order, each without its last",
        "  extension (`coffee/rgb8.tRNS.png` is `coffee/rgb8.tRNS`).",
        "- `labels.txt`: `class<TAB>index` per input, in that order: the class is the first",
        "  path component, the index its place among the sorted root folders holding at",
        f"  least one input ({', '.join(f'{c}={i}' for i, c in enumerate(classes))}).",
        "- `inputs.tsv`: per input, in that order: relative path, then Pillow's `format`,",
        "  `mode` and `WxH` on `Image.open(p)`, then what the file is. Pillow warns on",
        "  `convert` for coffee/p8_trns.png only (palette tRNS held as bytes).",
        "- `pil_<MODE>_<W>x<H>_<filter>.npy`: `np.save` of a C-contiguous uint8 array, row i",
        "  = `Image.open(p).convert(MODE).resize((W, H), Image.Resampling.<FILTER>)` for",
        f"  the i-th input; shape (N, H, W, 3) for RGB, (N, H, W) for L, N = {len(rels)}:",
        "",
    ]
    for spec in GOLDENS:
        mode, w, h = spec[:3]
        shape = (len(rels), h, w, 3) if mode == "RGB" else (len(rels), h, w)
        lines.append(f"  - `{golden_name(spec)}.npy` {shape}")
    import cv2

    lines += [
        "- `cv_<MODE>_<W>x<H>_<interpolation>.npy`: the same for OpenCV's recipe, made with",
        f"  opencv-python-headless {cv2.__version__} with `cv2.ipp.setUseIPP(False)`: row i =",
        "  `cv2.resize(cv2.imread(p, FLAG), (W, H), interpolation=cv2.INTER_<X>)`, FLAG",
        "  IMREAD_COLOR (then BGR to RGB) for RGB, IMREAD_GRAYSCALE for L; fits by `cv_fitted`:",
        "",
    ]
    for spec in OPENCV_GOLDENS:
        mode, w, h = spec[:3]
        shape = (len(rels), h, w, 3) if mode == "RGB" else (len(rels), h, w)
        lines.append(f"  - `{golden_name(spec, 'cv')}.npy` {shape}")
    (golden / "README.md").write_text("\n".join(lines) + "\n")
    return rels


# --------------------------------------------------------------------------- bad/


def pillow_verdict(path: Path) -> tuple[str, str]:
    """('ok', 'FORMAT MODE WxH') or (exception class, first line of its message).

    Run with the file's folder as the working directory and the bare file name, so the
    messages that quote the name carry no absolute path."""
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path.name) as im:
                fmt, mode, size = im.format, im.mode, im.size
                im.convert("RGB")
        return "ok", f"{fmt} {mode} {size[0]}x{size[1]}"
    except Exception as e:  # noqa: BLE001 - we record whatever Pillow raises
        msg = str(e).splitlines()[0] if str(e) else ""
        return type(e).__name__, msg
    finally:
        os.chdir(cwd)


def make_bad(bad: Path, folder: Path) -> list[tuple[str, str, str]]:
    if bad.exists():
        shutil.rmtree(bad)
    bad.mkdir(parents=True)
    jpg = (folder / "cat" / "0001.jpg").read_bytes()
    sos = jpg.index(b"\xff\xda")
    scan = sos + 2 + struct.unpack(">H", jpg[sos + 2 : sos + 4])[0]
    (bad / "truncated.jpg").write_bytes(jpg[: scan + (len(jpg) - scan) // 2])
    png = (folder / "coffee" / "g8.png").read_bytes()
    idat = png.index(b"IDAT")
    n = struct.unpack(">I", png[idat - 4 : idat])[0]
    (bad / "truncated.png").write_bytes(png[: idat + 4 + n // 2])
    (bad / "text.jpg").write_text("This is a text file with a .jpg name.\n")
    (bad / "empty.png").write_bytes(b"")
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
    tiny = png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
    (bad / "bomb_60000x60000.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + tiny + png_chunk(b"IEND", b""))
    # a bad CRC: Pillow checks the CRCs of the chunks before the first IDAT, never IDAT's
    good = (folder / "misc" / "deep-noise.png").read_bytes()
    i = good.index(b"IDAT")
    n = struct.unpack(">I", good[i - 4 : i])[0]
    crc_at = i + 4 + n
    (bad / "bad_crc_idat.png").write_bytes(good[:crc_at] + bytes(b ^ 0xFF for b in good[crc_at : crc_at + 4]) + good[crc_at + 4 :])
    j = good.index(b"IHDR") + 4 + 13
    (bad / "bad_crc_ihdr.png").write_bytes(good[:j] + bytes(b ^ 0xFF for b in good[j : j + 4]) + good[j + 4 :])
    (bad / "header_only.gif").write_bytes(b"GIF89a")
    (bad / "no_frame.gif").write_bytes(b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0, 0, 0) + b";")
    rows = []
    for p in sorted(bad.iterdir()):
        if p.name == "expected.tsv":
            continue
        cls, msg = pillow_verdict(p)
        rows.append((p.name, cls, msg))
    (bad / "expected.tsv").write_text("".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
    (bad / "README.md").write_text(BAD_README.format(pillow=PIL.__version__))
    return rows


BAD_README = """# Files a converter must refuse

Made by scripts/make_image_fixtures.py. `expected.tsv`: file name, tab, the class of the
exception that Pillow {pillow} raises on `Image.open(p).convert("RGB")`, tab, the first
line of its message, with this folder as the working directory and the bare file name
(so `cannot identify image file 'text.jpg'` quotes no folder). A file Pillow reads says
`ok` and `FORMAT MODE WxH` instead.

- truncated.jpg: cat/0001.jpg cut halfway through its scan data.
- truncated.png: coffee/g8.png cut halfway through its (only) IDAT chunk.
- text.jpg: a text file; empty.png: no bytes.
- bomb_60000x60000.png: a valid IHDR of 60000 x 60000 RGB 8, a tiny IDAT and IEND:
  3.6e9 pixels, over twice Image.MAX_IMAGE_PIXELS, so `Image.open` raises
  DecompressionBombError (a warning only between 1x and 2x the limit).
- bad_crc_ihdr.png: misc/deep-noise.png with its IHDR CRC inverted. The PNG plugin raises
  SyntaxError("broken PNG file (bad header checksum in b'IHDR')"), which `Image.open`
  turns into UnidentifiedImageError.
- bad_crc_idat.png: the same with its IDAT CRC inverted instead. Pillow checks the
  CRCs of the chunks before the first IDAT only, so it reads this one: `ok`. A
  converter that matches Pillow accepts it (or refuses it, on purpose, as stricter).
- header_only.gif: the 6 bytes `GIF89a` (the plugin's SyntaxError: too short a header).
- no_frame.gif: header, logical screen descriptor and trailer, no image (the plugin's
  SyntaxError "no more images in GIF file").
"""


# --------------------------------------------------------------------------- conformance/

PNGSUITE = "png"  # conformance/png/<name>.png from pypng's code/pngsuite.py
BMP_SELECTION = {  # bmpsuite, from Pillow's Tests/images/bmp/{g,q,b}/
    "g": [  # all but rgb24pal.bmp (rgb24.bmp's pixels with an unused palette)
        "pal1.bmp", "pal1bg.bmp", "pal1wb.bmp", "pal4.bmp", "pal4rle.bmp", "pal8-0.bmp",
        "pal8.bmp", "pal8nonsquare.bmp", "pal8os2.bmp", "pal8rle.bmp", "pal8topdown.bmp",
        "pal8v4.bmp", "pal8v5.bmp", "pal8w124.bmp", "pal8w125.bmp", "pal8w126.bmp",
        "rgb16-565.bmp", "rgb16-565pal.bmp", "rgb16.bmp", "rgb24.bmp", "rgb32.bmp",
        "rgb32bf.bmp",
    ],
    "q": [
        "pal1p1.bmp", "pal2.bmp", "pal4rletrns.bmp", "pal8rletrns.bmp", "pal8os2v2.bmp",
        "pal8os2v2-16.bmp", "pal8offs.bmp", "pal8oversizepal.bmp", "pal8os2sp.bmp",
        "rgb16-231.bmp", "rgb24jpeg.bmp", "rgb24png.bmp", "rgba16-4444.bmp", "rgba32.bmp",
    ],
    "b": None,
}


def pip_sdist(spec: str, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", spec, "-d", str(dest)],
        check=True,
    )
    name = spec.split("==")[0].lower()
    return next(p for p in dest.iterdir() if p.name.lower().startswith(name) and p.name.endswith(".tar.gz"))


def import_conformance(conf: Path) -> None:
    """Fetch the PngSuite images from pypng's sdist and bmpsuite from Pillow's."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for sub in ("png", "bmp"):
            if (conf / sub).exists():
                shutil.rmtree(conf / sub)
        sd = pip_sdist(PYPNG_SDIST, tmp)
        with tarfile.open(sd) as tf:
            member = next(m for m in tf.getmembers() if m.name.endswith("code/pngsuite.py"))
            src = tf.extractfile(member).read().decode()
        ns: dict = {}
        exec(compile(src, "pngsuite.py", "exec"), ns)  # a dict of name -> PNG bytes
        (conf / "png").mkdir(parents=True)
        for name, data in sorted(ns["png"].items()):
            (conf / "png" / f"{name}.png").write_bytes(data)
        sd = pip_sdist(PILLOW_SDIST, tmp)
        with tarfile.open(sd) as tf:
            for m in tf.getmembers():
                parts = m.name.split("/")
                if len(parts) != 6 or parts[1:4] != ["Tests", "images", "bmp"] or not m.isfile():
                    if m.name.endswith("Tests/images/bmp/README.txt"):
                        (conf / "bmp").mkdir(parents=True, exist_ok=True)
                        (conf / "bmp" / "README.txt").write_bytes(tf.extractfile(m).read())
                    continue
                group, fname = parts[4], parts[5]
                sel = BMP_SELECTION.get(group, [])
                if sel is None or fname in sel:
                    dst = conf / "bmp" / group / fname
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    dst.write_bytes(tf.extractfile(m).read())


def make_conformance(conf: Path, imported: bool) -> None:
    src = DEFAULT_OUT / "conformance"
    if not imported and conf.resolve() != src.resolve():  # --out elsewhere: copy the committed images
        for sub in ("png", "bmp"):
            if (conf / sub).exists():
                shutil.rmtree(conf / sub)
            if (src / sub).exists():
                shutil.copytree(src / sub, conf / sub)
    rels = sorted(
        p.relative_to(conf).as_posix()
        for sub in ("png", "bmp")
        for p in (conf / sub).rglob("*")
        if p.is_file() and p.suffix.lower() in (".png", ".bmp")
    )
    if not rels:
        print("conformance/: no images (run with --import-conformance)", file=sys.stderr)
        return
    rows, ok = [], []
    for rel in rels:
        cls, msg = pillow_verdict(conf / rel)
        rows.append((rel, cls, msg))
        if cls == "ok":
            ok.append(rel)
    (conf / "expected.tsv").write_text("".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
    (conf / "ids.txt").write_text("".join(r + "\n" for r in ok))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = golden_arrays(conf, ok, [("RGB", 16, 16, "bicubic")])[("RGB", 16, 16, "bicubic")]
    np.save(conf / "golden_RGB_16x16_bicubic.npy", g, allow_pickle=False)
    n_png = sum(r.startswith("png/") for r in rels)
    (conf / "README.md").write_text(CONFORMANCE_README.format(
        n_png=n_png, n_bmp=len(rels) - n_png, n_ok=len(ok), n=len(rels), pillow=PIL.__version__,
        pypng=PYPNG_SDIST, pillow_sdist=PILLOW_SDIST, q=", ".join(BMP_SELECTION["q"])))


CONFORMANCE_README = """# Conformance images

Third-party test images, copied unchanged by
`scripts/make_image_fixtures.py --import-conformance` (which pip-downloads two sdists
from PyPI); the rest of this folder is made from them by the same script without it.

- `png/` ({n_png} files): PngSuite by Willem van Schaik (basn*, basi*: every colour type
  and bit depth, plain and Adam7; tbbn/tbgn/tbrn: tRNS; s09n3p02: odd size; f02n0g08:
  filter 2; cs3n3p08: sBIT), as carried in `code/pngsuite.py` of the `{pypng}` sdist
  (pypng: MIT licence). PngSuite's licence: "Permission to use, copy, modify and
  distribute these images for any purpose and without fee is hereby granted."
  (Files whose names start with a capital letter are pypng's additions in the same
  naming scheme.)
- `bmp/` ({n_bmp} files): Jason Summers' BMP Suite (public domain, see `bmp/README.txt`),
  as carried in `Tests/images/bmp/` of the `{pillow_sdist}` sdist: `g/` (good) but rgb24pal.bmp,
  all of `b/` (bad), and from `q/` (questionable): {q}.

Made with Pillow {pillow}:

- `expected.tsv`: one line per image ({n}), relative path in sorted order, tab, `ok` or
  the class of the exception that `Image.open(p).convert("RGB")` raises, tab, for ok
  files `FORMAT MODE WxH` as Pillow opens them, else the first line of the message
  (the file's folder as the working directory, so a quoted name has no folder).
- `ids.txt`: the relative paths of the {n_ok} ok files, in the same order.
- `golden_RGB_16x16_bicubic.npy`: uint8 (N, 16, 16, 3), row i =
  `Image.open(p).convert("RGB").resize((16, 16), Image.Resampling.BICUBIC)` for the
  i-th line of ids.txt (warnings ignored).
"""


# --------------------------------------------------------------------------- --photos

PHOTOS = [
    "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "retina.jpg",
    "hubble_deep_field.jpg", "motorcycle_left.png", "camera.png", "coins.png", "moon.png",
    "brick.png", "grass.png", "gravel.png", "ihc.png", "page.png", "text.png", "color.png",
    "logo.png",
]


def make_photos(out: Path, n: int, seed: int = 7) -> None:
    """n photos as an ImageFolder (one class per source photograph) in out."""
    import cv2

    rng = np.random.default_rng(seed)
    srcs = {name: photo(name) for name in PHOTOS}
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = PHOTOS[int(rng.integers(len(PHOTOS)))]
        im = srcs[name]
        W, H = im.size
        fw, fh = rng.uniform(0.3, 1.0, 2)
        cw, ch = max(8, int(W * fw)), max(8, int(H * fh))
        x0, y0 = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
        side = int(np.exp(rng.uniform(np.log(24), np.log(900))))  # long side 24..900
        scale = side / max(cw, ch)
        size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
        part = im.crop((x0, y0, x0 + cw, y0 + ch)).resize(size, [R.LANCZOS, R.BICUBIC, R.BILINEAR][i % 3])
        kind = int(rng.integers(16))
        cls = name.rsplit(".", 1)[0]
        stem = out / cls / f"{cls}_{i:05d}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        rgb = part.convert("RGB")
        if kind == 0:
            rgb.save(f"{stem}.jpg", quality=int(rng.integers(50, 96)), subsampling=int(rng.integers(3)))
        elif kind == 1:
            rgb.save(f"{stem}.jpg", quality=int(rng.integers(60, 96)), progressive=True)
        elif kind == 2:
            q = int(rng.integers(60, 100))
            cv2.imwrite(f"{stem}.JPG", cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
        elif kind == 3:
            part.save(f"{stem}.png")
        elif kind == 4:
            cv2.imwrite(f"{stem}.png", cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR))
        elif kind == 5:
            rgb.convert("L").save(f"{stem}.png")
        elif kind == 6:
            rgb.save(f"{stem}.webp", quality=int(rng.integers(50, 95)))
        elif kind == 7:
            part.save(f"{stem}.webp", lossless=True)
        elif kind == 8:
            rgb.save(f"{stem}.bmp")
        elif kind == 9:
            rgb.quantize(256).save(f"{stem}.gif")
        elif kind == 10:
            rgb.save(f"{stem}.tif", compression="tiff_lzw")
        elif kind == 11:
            rgb.convert("CMYK").save(f"{stem}.jpeg", quality=90)
        elif kind == 12:
            # A camera's rotation flag, which OpenCV applies and Pillow does not.
            orientation = int(rng.integers(1, 9))
            rgb.save(f"{stem}.jpg", quality=85, exif=exif_orientation(orientation))
        elif kind == 13:
            # 16-bit colour, as scanners and HDR tools write it.
            wide = np.asarray(rgb).astype(np.uint16) * 257 + rng.integers(0, 257, (*rgb.size[::-1], 3), dtype=np.uint16)
            cv2.imwrite(f"{stem}.png", cv2.cvtColor(wide, cv2.COLOR_RGB2BGR))
        elif kind == 14:
            wide = np.asarray(rgb.convert("L")).astype(np.uint16) * 257
            cv2.imwrite(f"{stem}.png", wide)
        else:
            # RGBA with an eXIf orientation.
            rgba = rgb.convert("RGBA")
            rgba.putalpha(rgb.convert("L"))
            rgba.save(f"{stem}.png", exif=exif_orientation(int(rng.integers(1, 9))))


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--photos", type=int, default=0, help="write N photos into --out instead")
    ap.add_argument("--seed", type=int, default=7, help="seed of --photos")
    ap.add_argument("--import-conformance", action="store_true", help="re-fetch conformance images from PyPI sdists")
    args = ap.parse_args()
    out = args.out.resolve()
    t0 = time.time()
    if args.photos:
        if out == DEFAULT_OUT.resolve():
            raise SystemExit("--photos needs an --out of its own (they are not committed)")
        make_photos(out, args.photos, args.seed)
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {size / 1e6:.1f} MB in {out} ({time.time() - t0:.1f} s)")
        return
    folder = out / "folder"
    kinds = make_folder(folder)
    rels = make_golden(folder, out / "golden", kinds)
    rows = make_bad(out / "bad", folder)
    if args.import_conformance:
        import_conformance(out / "conformance")
    make_conformance(out / "conformance", args.import_conformance)
    print(f"{len(rels)} inputs in {folder}")
    for rel in rels:
        with Image.open(folder / rel) as im:
            print(f"  {rel:32s} {im.format:5s} {im.mode:6s} {im.size[0]}x{im.size[1]}")
    for name, cls, msg in rows:
        print(f"  bad/{name:24s} {cls}: {msg}")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{total / 1e6:.2f} MB in {out} ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
