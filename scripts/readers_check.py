#!/usr/bin/env python3
"""Reads every output format of `pixelprep convert` with its users' own Python readers.

    scripts/readers_check.py BINARY

Normally started by scripts/check-readers.sh, in .venv-readers (webdataset, lmdb, numpy,
pillow, datasets, pyarrow). The fixtures are the 64 20x24 images of
tests/fixtures/producers, converted at --size 16 --pad 4. The zip, read with zipfile and
PIL, must match the reference kernel's golden PNGs; its images are then the reference
pixels for every other format, each read as its users read it (webdataset, np.load, lmdb,
datasets' imagefolder) and checked for pixels, order and labels. One line per check,
then "N passed, M failed"; exit 1 if any failed.
"""
import collections
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback
import zipfile

import datasets
import lmdb
import numpy as np
import pyarrow.parquet as pq
import webdataset as wds
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "producers")
TABLE = os.path.join(FIXTURES, "pyarrow_snappy.parquet")
LABELS_CSV = os.path.join(FIXTURES, "train_labels.csv")
BETWEEN = os.path.join(FIXTURES, "labels_between.parquet")
GOLDEN = os.path.join(FIXTURES, "golden")
GEOMETRY = ["--height", "20", "--width", "24", "--size", "16", "--pad", "4"]
SIZE = 16
IDS = [f"Train_{i}" for i in range(64)]
INT_COLUMNS = ["grapheme_root", "vowel_diacritic", "consonant_diacritic"]
LABEL_COLUMNS = INT_COLUMNS + ["grapheme"]
TABLE_COLUMNS = LABEL_COLUMNS + ["ink_fraction"]


class Failed(Exception):
    pass


def expect(good, why):
    if not good:
        raise Failed(why)


def convert(binary, cwd, inputs, out, *extra):
    """Runs one conversion in cwd; returns its --json summary."""
    cmd = [binary, "convert", *inputs, "-o", out, *GEOMETRY, "--quiet", "--json", *extra]
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    expect(r.returncode == 0, f"`{shlex.join(cmd)}` exited {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def png_pixels(data, what):
    """A PNG's pixels as a uint8 array; it must be a 16x16 grayscale ("L") image."""
    image = Image.open(io.BytesIO(data))
    expect(image.mode == "L" and image.size == (SIZE, SIZE),
           f"{what}: mode {image.mode} size {image.size}, not L {SIZE}x{SIZE}")
    return np.array(image)


def same_pixels(got, want, what):
    expect(got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}")
    differ = int(np.count_nonzero(got != want))
    expect(differ == 0, f"{what}: {differ} of {want.size} pixels differ")


def read_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def train_labels():
    """train_labels.csv as {image_id: {column: text}}, and its rows in file order."""
    with open(LABELS_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["image_id"]: {c: r[c] for c in LABEL_COLUMNS} for r in rows}, rows


def typed(row):
    """A label row as a JSON reader should see it: the diacritic classes as ints."""
    return {c: int(row[c]) if c in INT_COLUMNS else row[c] for c in LABEL_COLUMNS}


def check_csv_labels(header, rows, first, ids, expected, what):
    """A metadata CSV: `first` column then the label columns, one row per id, in order."""
    expect(header == [first] + LABEL_COLUMNS, f"{what}: header {header}")
    got_ids = [r[0] for r in rows]
    expect(got_ids == ids, f"{what}: first column {got_ids[:3]}..., expected {ids[:3]}...")
    for r in rows:
        key = r[0][:-len(".png")] if first == "file_name" else r[0]
        want = [expected[key][c] for c in LABEL_COLUMNS]
        expect(r[1:] == want, f"{what}: row {r}, expected labels {want}")


# ------------------------------------------------------------------------------- formats

def check_zip(binary, tmp, ref):
    convert(binary, tmp, [TABLE], "x.zip", "--labels", LABELS_CSV)
    labels, rows = train_labels()
    expect([r["image_id"] for r in rows] == IDS, "train_labels.csv is not Train_0..Train_63")
    with zipfile.ZipFile(os.path.join(tmp, "x.zip")) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        want = [f"{i}.png" for i in IDS] + ["metadata.csv"]
        expect(names == want, f"entries {names[:3]}...{names[-2:]}, expected {want[:3]}...")
        # The zip's images are the reference even when they differ from the golden ones:
        # the other formats are then still checked against what the zip holds.
        ref.update((i, png_pixels(z.read(f"{i}.png"), f"{i}.png")) for i in IDS)
        header, meta = read_csv(z.read("metadata.csv").decode("utf-8"))
    expect(all(i.compress_type == zipfile.ZIP_STORED for i in infos), "entries not stored")
    for i in IDS:
        with open(os.path.join(GOLDEN, f"{i}.png"), "rb") as f:
            same_pixels(ref[i], png_pixels(f.read(), f"golden {i}.png"), f"{i}.png vs golden")
    check_csv_labels(header, meta, "file_name", [f"{i}.png" for i in IDS], labels,
                     "metadata.csv")
    return "64 PNGs in input order equal the golden ones; metadata.csv = train_labels.csv"


def read_webdataset(paths):
    """Every sample of the shards, in order, as webdataset users read them."""
    ds = wds.WebDataset(paths, shardshuffle=False).decode("l8")
    return list(ds)


def check_sample(sample, key, ref, labels, what):
    expect(sample["__key__"] == key, f"{what}: key {sample['__key__']!r}, expected {key!r}")
    expect("png" in sample and "json" in sample, f"{what}: members {sorted(sample)}")
    png = sample["png"]
    expect(png.dtype == np.uint8, f"{what}: png decoded as {png.dtype}")
    same_pixels(png, ref[key], f"{what} png")
    got = sample["json"]
    expect(got == labels, f"{what}: json {got}, expected {labels}")
    wrong = {c: type(v).__name__ for c, v in got.items() if type(v) is not type(labels[c])}
    expect(not wrong, f"{what}: json types {wrong}, expected {[type(v).__name__ for v in labels.values()]}")


def check_webdataset(binary, tmp, ref):
    labels, _ = train_labels()
    summary = convert(binary, tmp, [TABLE], "shards/train-%06d.tar", "--shard-size", "10",
                      "--labels", LABELS_CSV)
    shards = sorted(os.path.join(tmp, "shards", n) for n in os.listdir(os.path.join(tmp, "shards")))
    expect(len(shards) == 7, f"{len(shards)} shards, expected 7")
    outputs = sorted(os.path.join(tmp, p) for p in summary["outputs"])
    expect(outputs == shards, f"--json outputs {summary['outputs']} are not the shards")
    for n, path in enumerate(shards):
        with tarfile.open(path) as t:
            members = [m.name for m in t.getmembers()]
        chunk = IDS[10 * n:10 * n + 10]
        want = [f"{i}.{ext}" for i in chunk for ext in ("png", "json")]
        expect(members == want, f"{os.path.basename(path)}: members {members[:4]}...")
    samples = read_webdataset(shards)
    expect(len(samples) == 64, f"{len(samples)} samples, expected 64")
    for key, sample in zip(IDS, samples):
        check_sample(sample, key, ref, typed(labels[key]), f"sample {key}")
    return "7 shards, 64 samples in input order: keys, pixels, labels (ints as int)"


def check_tar_threads(binary, tmp, ref):
    runs = {}
    for j in ("1", "2"):
        convert(binary, tmp, [TABLE], f"j{j}/train-%06d.tar", "--shard-size", "10",
                "--labels", LABELS_CSV, "-j", j)
        folder = os.path.join(tmp, f"j{j}")
        runs[j] = {}
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                runs[j][name] = f.read()
    expect(len(runs["1"]) == 7, f"-j 1 wrote {len(runs['1'])} shards")
    expect(runs["1"].keys() == runs["2"].keys(), f"shards {list(runs['1'])} vs {list(runs['2'])}")
    differ = [n for n in runs["1"] if runs["1"][n] != runs["2"][n]]
    expect(not differ, f"-j 1 and -j 2 shards differ: {differ}")
    return "-j 1 and -j 2 shards are byte-identical"


def check_numpy(binary, tmp, ref):
    labels, _ = train_labels()
    convert(binary, tmp, [TABLE], "x.npy", "--labels", LABELS_CSV)
    array = np.load(os.path.join(tmp, "x.npy"), mmap_mode="r")
    expect(isinstance(array, np.memmap), f"np.load gave a {type(array).__name__}, not a memmap")
    expect(array.dtype == np.uint8, f"dtype {array.dtype}")
    expect(array.shape == (64, SIZE, SIZE), f"shape {array.shape}")
    expect(array.flags.c_contiguous, "not C-order")
    for n, key in enumerate(IDS):
        same_pixels(np.asarray(array[n]), ref[key], f"row {n}")
    with open(os.path.join(tmp, "x.metadata.csv"), newline="", encoding="utf-8") as f:
        header, rows = read_csv(f.read())
    check_csv_labels(header, rows, "image_id", IDS, labels, "x.metadata.csv")
    return "memmap uint8 (64, 16, 16), rows = zip images; metadata.csv ids and labels"


def check_lmdb(binary, tmp, ref):
    labels, _ = train_labels()
    convert(binary, tmp, [TABLE], "x.lmdb", "--labels", LABELS_CSV)
    env = lmdb.open(os.path.join(tmp, "x.lmdb"), subdir=False, readonly=True, lock=False)
    try:
        with env.begin() as txn:
            keys = sorted(k.decode("utf-8") for k, _ in txn.cursor())
            want = sorted(IDS + ["__keys__", "__len__", "__metadata__"])
            expect(keys == want, f"keys {keys[:3]}...{keys[-3:]}, expected ids + 3 specials")
            order = txn.get(b"__keys__").decode("utf-8").split("\n")
            expect(order == IDS, f"__keys__ {order[:3]}...{order[-2:]}")
            count = txn.get(b"__len__")
            expect(count == b"64", f"__len__ {count!r}, expected b'64'")
            for key in IDS:
                same_pixels(png_pixels(txn.get(key.encode("utf-8")), key), ref[key], key)
            header, rows = read_csv(txn.get(b"__metadata__").decode("utf-8"))
    finally:
        env.close()
    check_csv_labels(header, rows, "image_id", IDS, labels, "__metadata__")
    return "64 PNGs = zip images; __keys__ in input order, __len__ 64, __metadata__ labels"


def check_datasets(binary, tmp, ref):
    labels, _ = train_labels()
    convert(binary, tmp, [TABLE], "folder", "--labels", LABELS_CSV)
    ds = datasets.load_dataset("imagefolder", data_dir=os.path.join(tmp, "folder"),
                               split="train")
    expect(len(ds) == 64, f"{len(ds)} rows, expected 64")
    missing = set(["image"] + LABEL_COLUMNS) - set(ds.column_names)
    expect(not missing, f"columns {ds.column_names}, missing {sorted(missing)}")
    dtype = ds.features["grapheme_root"].dtype
    expect(dtype.startswith("int"), f"grapheme_root is {dtype}, not an integer type")
    got = collections.Counter()
    for row in ds:
        pixels = np.array(row["image"])
        expect(pixels.shape == (SIZE, SIZE), f"image shape {pixels.shape} ({row['image'].mode})")
        got[pixels.tobytes(), tuple(row[c] for c in LABEL_COLUMNS)] += 1
    want = collections.Counter(
        (ref[i].tobytes(), tuple(typed(labels[i]).values())) for i in IDS)
    expect(got == want, f"{sum((got - want).values())} of 64 (image, labels) rows unexpected")
    return "64 rows; multiset of (pixels, labels) = zip + train_labels.csv"


def check_table_labels(binary, tmp, ref):
    table = pq.read_table(BETWEEN, columns=["image_id"] + TABLE_COLUMNS).to_pylist()
    ids = [r["image_id"] for r in table]
    expect(sorted(ids) == sorted(IDS), f"{BETWEEN} ids {ids[:3]}...")
    expected = [{c: r[c] for c in TABLE_COLUMNS} for r in table]
    expect(all(type(r["ink_fraction"]) is float for r in expected), "ink_fraction not float")
    convert(binary, tmp, [BETWEEN], "between.tar")
    samples = read_webdataset([os.path.join(tmp, "between.tar")])
    expect(len(samples) == 64, f"{len(samples)} samples, expected 64")
    for key, labels, sample in zip(ids, expected, samples):
        check_sample(sample, key, ref, labels, f"between.tar {key}")
    convert(binary, tmp, [BETWEEN], "between.npy")
    array = np.load(os.path.join(tmp, "between.npy"), mmap_mode="r")
    expect(array.shape == (64, SIZE, SIZE), f"between.npy shape {array.shape}")
    with open(os.path.join(tmp, "between.metadata.csv"), newline="", encoding="utf-8") as f:
        header, rows = read_csv(f.read())
    expect(header == ["image_id"] + TABLE_COLUMNS, f"between.metadata.csv header {header}")
    expect([r[0] for r in rows] == ids, "between.metadata.csv ids not in table order")
    parse = {c: int if c in INT_COLUMNS else float if c == "ink_fraction" else str
             for c in TABLE_COLUMNS}
    for n, (key, labels, row) in enumerate(zip(ids, expected, rows)):
        same_pixels(np.asarray(array[n]), ref[key], f"between.npy row {n}")
        got = {c: parse[c](v) for c, v in zip(TABLE_COLUMNS, row[1:])}
        expect(got == labels, f"between.metadata.csv {key}: {row[1:]}, expected {labels}")
    return "tar json and npy metadata.csv = pyarrow's values (ink_fraction a float)"


def check_skip_blank(binary, tmp, ref):
    summary = convert(binary, tmp, [TABLE], "skip.npy", "--skip-blank")
    expect(summary["skipped"] == 2, f"--json says {summary['skipped']} skipped, expected 2")
    array = np.load(os.path.join(tmp, "skip.npy"), mmap_mode="r")
    expect(array.shape == (62, SIZE, SIZE), f"shape {array.shape}, expected (62, 16, 16)")
    with open(os.path.join(tmp, "skip.metadata.csv"), newline="", encoding="utf-8") as f:
        header, rows = read_csv(f.read())
    expect(header == ["image_id"], f"header {header}")
    kept = [r[0] for r in rows]
    skipped = [i for i in IDS if i not in kept]  # the difference with the full run's ids
    expect(len(kept) == 62 and len(skipped) == 2, f"{len(rows)} rows; left out {skipped}")
    expect(kept == [i for i in IDS if i not in skipped], f"ids not in input order: {kept[:4]}...")
    constant = [i for i in IDS if ref[i].min() == ref[i].max()]
    expect(set(constant) <= set(skipped), f"constant images {constant} kept; left out {skipped}")
    for n, key in enumerate(kept):
        same_pixels(np.asarray(array[n]), ref[key], f"row {n} ({key})")
    return f"62 rows in input order, {' and '.join(skipped)} left out"


PHOTOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                      "images", "folder")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def pillow_photos():
    """id -> Image.open(p).convert("RGB").resize((24, 16)) for the fixture folder's
    images (hidden files and dot-folders skipped), in sorted order, and their class."""
    found = []
    for folder, dirs, files in os.walk(PHOTOS):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(PHOTO_EXTENSIONS):
                found.append(os.path.relpath(os.path.join(folder, name), PHOTOS).replace(os.sep, "/"))
    want = {}
    for relative in sorted(found):
        with Image.open(os.path.join(PHOTOS, relative)) as image:
            pixels = np.array(image.convert("RGB").resize((24, 16)))
        want[os.path.splitext(relative)[0]] = pixels
    return want


def convert_photos(binary, cwd, out, *extra):
    cmd = [binary, "convert", PHOTOS, "-o", out, "--size", "24x16", "--quiet", "--json", *extra]
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    expect(r.returncode == 0, f"`{shlex.join(cmd)}` exited {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def check_colour(binary, tmp, ref):
    """Colour images of a folder of photos, in every format, read by each reader
    against Pillow's own convert("RGB").resize((24, 16)) of the same files."""
    want = pillow_photos()
    ids = list(want)
    classes = sorted({i.split("/")[0] for i in ids})
    convert_photos(binary, tmp, "photos.npy")
    array = np.load(os.path.join(tmp, "photos.npy"), mmap_mode="r")
    expect(array.shape == (len(ids), 16, 24, 3), f"npy shape {array.shape}")
    for n, key in enumerate(ids):
        same_pixels(np.asarray(array[n]), want[key], f"npy {key}")
    with open(os.path.join(tmp, "photos.metadata.csv"), newline="", encoding="utf-8") as f:
        header, rows = read_csv(f.read())
    expect(header == ["image_id", "label", "label_index"], f"npy csv header {header}")
    expect([r[0] for r in rows] == ids, "npy csv ids are not the sorted relative paths")
    expect(all(r[1] == r[0].split("/")[0] and int(r[2]) == classes.index(r[1]) for r in rows),
           "labels are not the class folders numbered as ImageFolder does")
    convert_photos(binary, tmp, "photos.zip")
    with zipfile.ZipFile(os.path.join(tmp, "photos.zip")) as z:
        for key in ids:
            image = Image.open(io.BytesIO(z.read(f"{key}.png")))
            expect(image.mode == "RGB", f"zip {key}: mode {image.mode}")
            same_pixels(np.array(image), want[key], f"zip {key}")
    # WebDataset keys may not hold a dot (pixelprep refuses them): the tar check
    # runs on a copy of the folder without such files.
    dotless = os.path.join(tmp, "dotless")
    shutil.copytree(PHOTOS, dotless, ignore=lambda d, names: [
        n for n in names if os.path.isfile(os.path.join(d, n)) and "." in os.path.splitext(n)[0]])
    tar_ids = [i for i in ids if "." not in i.split("/")[-1]]
    expect(len(tar_ids) < len(ids), "the fixture folder has an id with a dot")
    r = subprocess.run([binary, "convert", dotless, "-o", "pshards/p-%06d.tar", "--size", "24x16",
                        "--quiet", "--shard-size", "20"], cwd=tmp, capture_output=True, text=True)
    expect(r.returncode == 0, f"tar shards of the photos: {r.stderr.strip()}")
    r = subprocess.run([binary, "convert", PHOTOS, "-o", "refused.tar", "--quiet"], cwd=tmp,
                       capture_output=True, text=True)
    expect(r.returncode == 1 and "WebDataset" in r.stderr, "an id with a dot is not refused for tar")
    shards = sorted(os.path.join(tmp, "pshards", n) for n in os.listdir(os.path.join(tmp, "pshards")))
    samples = list(wds.WebDataset(shards, shardshuffle=False).decode("rgb8"))
    expect([s["__key__"] for s in samples] == tar_ids, "webdataset keys are not the ids in order")
    for sample in samples:
        same_pixels(sample["png"], want[sample["__key__"]], f"webdataset {sample['__key__']}")
        expect(sample["json"]["label"] == sample["__key__"].split("/")[0], "webdataset label")
    convert_photos(binary, tmp, "photos.lmdb")
    env = lmdb.open(os.path.join(tmp, "photos.lmdb"), subdir=False, readonly=True, lock=False)
    try:
        with env.begin() as txn:
            for key in ids:
                image = Image.open(io.BytesIO(txn.get(key.encode("utf-8"))))
                expect(image.mode == "RGB", f"lmdb {key}: mode {image.mode}")
                same_pixels(np.array(image), want[key], f"lmdb {key}")
    finally:
        env.close()
    convert_photos(binary, tmp, "raw.lmdb", "--lmdb-values", "raw")
    env = lmdb.open(os.path.join(tmp, "raw.lmdb"), subdir=False, readonly=True, lock=False)
    try:
        with env.begin() as txn:
            shape = tuple(int(v) for v in txn.get(b"__shape__").decode().split(","))
            expect(shape == (16, 24, 3), f"raw lmdb __shape__ {shape}")
            for key in ids:
                pixels = np.frombuffer(txn.get(key.encode("utf-8")), np.uint8).reshape(shape)
                same_pixels(pixels, want[key], f"raw lmdb {key}")
    finally:
        env.close()
    convert_photos(binary, tmp, "photofolder")
    ds = datasets.load_dataset("imagefolder", data_dir=os.path.join(tmp, "photofolder"), split="train")
    expect(len(ds) == len(ids), f"datasets: {len(ds)} rows, expected {len(ids)}")
    got = collections.Counter((np.array(r["image"]).tobytes(), r["label"]) for r in ds)
    expected = collections.Counter((want[i].tobytes(), i.split("/")[0]) for i in ids)
    expect(got == expected, f"datasets: {sum((got - expected).values())} (image, label) rows unexpected")
    return (f"{len(ids)} photos of every format: npy (N, 16, 24, 3), zip, webdataset, lmdb (PNG and raw) and "
            "datasets imagefolder all equal Pillow's convert('RGB').resize((24, 16)), with labels")


CHECKS = [
    ("zip: zipfile + PIL vs golden, metadata.csv", check_zip),
    ("webdataset: tar shards", check_webdataset),
    ("tar shards identical with -j 1 and -j 2", check_tar_threads),
    ("numpy: np.load mmap", check_numpy),
    ("lmdb", check_lmdb),
    ("datasets: imagefolder", check_datasets),
    ("table's own label columns (tar, npy)", check_table_labels),
    ("--skip-blank (npy)", check_skip_blank),
    ("colour photos: every reader against Pillow itself", check_colour),
]


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(f"usage: {sys.argv[0]} BINARY", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    datasets.disable_progress_bars()
    ref = {}  # id -> pixels of the zip's image: the reference for every other format
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="pixelprep-readers-") as tmp:
        for name, check in CHECKS:
            try:
                if check is not check_zip and len(ref) != len(IDS):
                    raise Failed("no reference pixels: the zip check did not read the zip")
                detail = check(binary, tmp, ref)
                print(f"ok  {name}: {detail}")
                passed += 1
            except Failed as e:
                print(f"FAIL {name}: {e}")
                failed += 1
            except Exception:
                print(f"FAIL {name}: unexpected error\n{traceback.format_exc().rstrip()}")
                failed += 1
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
