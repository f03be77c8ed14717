"""Make data-samples/bengali_sample.parquet: a small Bengali.AI-style pixel table.

36 rows of 137 x 236 grayscale images: rendered Bengali graphemes, dark ink on a light
noisy background, in the same Parquet layout as the competition's train_image_data_*.parquet
(string `image_id`, then uint8 columns "0".."32331", pandas index stored as
`__index_level_0__`, format 1.0, one row group, dictionary pages, snappy, statistics on).
See write_like_pandas for the two ways the footer is trimmed to stay under 10 MB.

Font: Debian package `fonts-lohit-beng-bengali` (apt-get install fonts-lohit-beng-bengali),
found with `fc-list :lang=bn`. Pillow's wheel bundles libraqm, so conjuncts are shaped.
Without the font the script still runs and draws random pen strokes instead (the output is
then different: regenerate the golden files after such a run).

Deterministic: fixed seed, no time or environment dependence besides the font file.

Usage: python data-samples/make_sample.py [OUT.parquet]
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HEIGHT, WIDTH = 137, 236
N_ROWS = 36
SEED = 20200113  # competition start date

# Graphemes as in the competition: root + vowel/consonant diacritics, incl. conjuncts.
GRAPHEMES = [
    "ক", "খ্র", "ত্তা", "শ্রী", "ক্ষ", "র্ম", "ন্দ্র", "ঙ্গ", "স্থ", "ঢ়", "ৎ", "ক্ত",
    "হ্ম", "জ্ঞ", "ড়ে", "গো", "দু", "ণ্ড", "স্ব", "ব্দ", "প্রি", "মৌ", "র্কে", "ল্প",
    "চ্ছ", "ষ্ট্র", "ঞ্জ", "থু", "ধ্যা", "ভ্রূ", "য়া", "ঘ্নি", "উ", "ঋ", "ঐ", "ন্তো",
]

# Rows with a specific purpose; every other row is an ordinary glyph.
EDGE_CROSSING = {4: "right", 15: "top", 20: "left-bottom", 27: "bottom-right"}
SMALL = {6: 14, 19: 18, 30: 22}          # font size in px
BORDER_LINES = {9, 24}                   # faint lines along the sides
LARGE = {2}                              # fills (nearly) the whole frame
CONSTANT = 7                             # all 255: inverted max is 0
NO_INK = 11                              # noise only + one dark pixel in the 5-px border


def find_font():
    """Path of a Bengali .ttf, or None."""
    try:
        out = subprocess.run(["fc-list", ":lang=bn", "file"], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        out = ""
    paths = sorted(p.strip().rstrip(":") for p in out.splitlines() if p.strip())
    # Prefer Lohit Bengali; Lohit Assamese shares most glyphs but is a second choice.
    paths.sort(key=lambda p: ("Bengali" not in p, p))
    for p in paths + ["/usr/share/fonts/truetype/lohit-bengali/Lohit-Bengali.ttf"]:
        if Path(p).is_file():
            return p
    return None


def background(rng):
    """Light paper: ~246 with noise, clipped to 235..255 like the scans."""
    bg = rng.normal(246.0, 4.0, size=(HEIGHT, WIDTH))
    # slow shading across the image, as from uneven lighting
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    bg += rng.uniform(-3, 3) * (xx / WIDTH) + rng.uniform(-3, 3) * (yy / HEIGHT)
    return np.clip(bg, 235, 255)


def glyph_mask(rng, text, font_path, size):
    """Coverage mask (float 0..1) of one grapheme, tightly cropped."""
    canvas = Image.new("L", (size * 4, size * 4), 0)
    draw = ImageDraw.Draw(canvas)
    if font_path:
        font = ImageFont.truetype(font_path, size)
        stroke = int(rng.integers(0, max(1, size // 25) + 1))  # pen thickness varies
        draw.text((size, size), text, font=font, fill=255, stroke_width=stroke,
                  stroke_fill=255)
    else:
        # fallback: a few random pen strokes
        pts = rng.uniform(size, size * 2, size=(int(rng.integers(3, 7)), 2))
        draw.line([tuple(p) for p in pts], fill=255, width=max(2, size // 12))
    # small rotation and blur, as handwriting scanned at low resolution
    canvas = canvas.rotate(float(rng.uniform(-8, 8)), resample=Image.BICUBIC)
    canvas = canvas.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.2))))
    box = canvas.getbbox()
    if box is None:
        return np.zeros((1, 1))
    canvas = canvas.crop(box)
    # slight anisotropic scaling
    w, h = canvas.size
    sx, sy = rng.uniform(0.85, 1.2), rng.uniform(0.85, 1.15)
    canvas = canvas.resize((max(1, int(w * sx)), max(1, int(h * sy))), Image.BILINEAR)
    return np.asarray(canvas, dtype=np.float64) / 255.0


def place(alpha, mask, top, left):
    """Max-combine mask into alpha at (top, left), clipping at the frame edges."""
    mh, mw = mask.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + mh, HEIGHT), min(left + mw, WIDTH)
    if y0 >= y1 or x0 >= x1:
        return
    sub = mask[y0 - top:y1 - top, x0 - left:x1 - left]
    alpha[y0:y1, x0:x1] = np.maximum(alpha[y0:y1, x0:x1], sub)


def make_image(i, rng, font_path):
    if i == CONSTANT:
        return np.full((HEIGHT, WIDTH), 255, dtype=np.uint8)
    bg = background(rng)
    if i == NO_INK:
        img = np.rint(bg).astype(np.uint8)
        # The inverted max comes from this border pixel, so after normalisation no inner
        # pixel (255 - 235 = 20 at most, scaled by 255/255) exceeds the threshold 80.
        img[2, 3] = 0
        return img

    if i in SMALL:
        size = SMALL[i]
    elif i in LARGE:
        size = 150
    else:
        size = int(rng.integers(55, 116))
    mask = glyph_mask(rng, GRAPHEMES[i % len(GRAPHEMES)], font_path, size)
    mh, mw = mask.shape

    # default: somewhere fully inside, with a random margin
    top = int(rng.integers(0, max(1, HEIGHT - mh)))
    left = int(rng.integers(0, max(1, WIDTH - mw)))
    if i in LARGE:
        top, left = (HEIGHT - mh) // 2, (WIDTH - mw) // 2
    edge = EDGE_CROSSING.get(i, "")
    if "right" in edge:
        left = WIDTH - mw + mw // 3
    if "left" in edge:
        left = -mw // 4
    if "top" in edge:
        top = -mh // 3
    if "bottom" in edge:
        top = HEIGHT - mh + mh // 4

    alpha = np.zeros((HEIGHT, WIDTH))
    place(alpha, mask, top, left)
    ink = rng.uniform(0, 45) + rng.normal(0, 6, size=(HEIGHT, WIDTH))
    ink = np.clip(ink, 0, 60)
    img = bg * (1 - alpha) + ink * alpha

    if i in BORDER_LINES:
        # "Some images contain line at the sides": faint gray lines near the edges,
        # mostly within the 5-px border the kernel ignores, one reaching inside it.
        if i == 9:
            img[:, 1:3] = np.minimum(img[:, 1:3], rng.uniform(150, 175, size=(HEIGHT, 2)))
            img[HEIGHT - 3, :] = np.minimum(img[HEIGHT - 3, :], 185)
        else:
            img[2, 10:WIDTH - 10] = np.minimum(img[2, 10:WIDTH - 10], 170)
            img[:, WIDTH - 2] = np.minimum(img[:, WIDTH - 2], 160)
            img[:, 6] = np.minimum(img[:, 6], 200)  # inside the inner region
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_like_pandas(df, out):
    """What `df.to_parquet(out, engine="pyarrow", compression="snappy", index=True,
    version="1.0")` writes, minus two footer bloats, so the file stays under 10 MB.

    With pyarrow 26 that call gives an 18.5 MB file (13.4 MB footer): pyarrow also stores
    the whole Arrow schema (ARROW:schema, base64, with a second copy of the pandas
    metadata). The competition files (pyarrow 0.15) have a ~6 MB footer: column metadata
    with statistics plus the `pandas` key. `store_schema=False` drops ARROW:schema, but in
    pyarrow 26 it also drops every key-value pair, so the `pandas` key is added back by
    hand. Its per-column entries for the 32,332 pixel columns (3.4 MB, ~106 bytes each)
    are left out: pandas falls back to the Arrow types (uint8) for unlisted columns, and
    `index_columns` still makes `__index_level_0__` the index. Everything else (schema,
    statistics, format 1.0, dictionary pages, snappy, one row group) is what to_parquet
    writes.
    """
    table = pa.Table.from_pandas(df, preserve_index=True)
    meta = json.loads(table.schema.metadata[b"pandas"])
    keep = {"image_id", "__index_level_0__"}
    meta["columns"] = [c for c in meta["columns"] if c["field_name"] in keep]
    table = table.replace_schema_metadata(None)
    with pq.ParquetWriter(out, table.schema, version="1.0", compression="snappy",
                          store_schema=False) as writer:
        writer.write_table(table)  # 36 rows: one row group
        writer.add_key_value_metadata({"pandas": json.dumps(meta)})


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(
        "bengali_sample.parquet")
    font_path = find_font()
    print(f"font: {font_path or 'MISSING, drawing random strokes'}")
    rng = np.random.default_rng(SEED)
    images = np.stack([make_image(i, rng, font_path) for i in range(N_ROWS)])

    pixels = pd.DataFrame(images.reshape(N_ROWS, -1),
                          columns=[str(c) for c in range(HEIGHT * WIDTH)])
    df = pd.concat([pd.DataFrame({"image_id": [f"Train_{i}" for i in range(N_ROWS)]}),
                    pixels], axis=1)
    # A plain Int64 index (not a RangeIndex) so pandas stores it as the column
    # `__index_level_0__`, last, as in the competition files.
    df.index = pd.Index(np.arange(N_ROWS, dtype=np.int64))
    write_like_pandas(df, out)
    print(f"wrote {out} ({out.stat().st_size} bytes, {N_ROWS} rows)")


if __name__ == "__main__":
    main()
