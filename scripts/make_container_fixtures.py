#!/usr/bin/env python3
"""The photos of tests/fixtures/images/folder/ packed as users receive them, for
the tests of reading containers in place (issue 27):

    python3 -m venv .venv-containers && .venv-containers/bin/pip install -r scripts/requirements-containers.txt
    .venv-containers/bin/python scripts/make_container_fixtures.py

writes tests/fixtures/images/containers/:

    folder.zip      every file of folder/ (hidden ones, notes, folders too) with
                    Python's zipfile, in the folder's sorted order, entries stored
                    and deflated in turn, plus the `__MACOSX/` junk a Mac's Finder adds
    folder.tar      the same with tarfile (plain, GNU format), names `./cat/0001.jpg`
                    as `tar -C folder -cf folder.tar .` writes them
    folder.parquet  what Hugging Face `datasets` writes for the folder's images
                    (`Dataset.from_dict({"image": paths, ...}).cast_column("image",
                    Image())`, then `to_parquet`): the `image` column a struct of
                    `{bytes, path}`, beside a `label` column (the class folder) and
                    `label_index`, in row groups of 16 rows

    folder.arrow    the same table as Feather v2 (`pyarrow.feather.write_feather`),
                    uncompressed, in record batches of 16 rows
    folder.zstd.arrow  the same, its buffers compressed with zstd

    bad.parquet     a plain binary column `img` (not the struct) and an `image_id`
                    column: a good PNG, a truncated one, a null with no path
    bad.arrow       the same as Feather v2 (uncompressed)
    absolute.parquet  the struct with null bytes and an absolute path outside the
                    table's folder, as to_parquet writes for images given by absolute path

and tests/fixtures/images/paths.parquet: what `datasets` itself writes with
`to_parquet` for images given by path (`{"bytes": None, "path": "folder/cat/0001.jpg"}`
rows, the paths relative to the table's folder), whose files are read from beside it,
and paths.arrow, the same rows as Feather v2 (write_feather's default, lz4).

Each lists the folder's images in the folder's order (Python's sorted() of the
relative paths), so converting it must give the folder's ids, order, labels and
pixels (the goldens of golden/). Fixed times and owners: a re-run writes the same
bytes.
"""

import argparse
import os
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests/fixtures/images/folder"
OUT = ROOT / "tests/fixtures/images/containers"
IMAGE_EXTS = {"jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"}
FIXED_TIME = (2024, 1, 2, 3, 4, 6)


def every_path(root: Path) -> list[str]:
    """Relative paths of every file and folder under `root`, sorted as strings
    (so the images come in the folder's own order), folders with a trailing `/`."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            found.append(Path(dirpath, d).relative_to(root).as_posix() + "/")
        for f in filenames:
            found.append(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(found)


def images_in_order(root: Path) -> list[str]:
    """The inputs of folder/ as pixelprep and golden/ids.txt list them."""
    return [
        p
        for p in every_path(root)
        if not p.endswith("/")
        and not any(part.startswith(".") for part in p.split("/"))
        and "." in p.rsplit("/", 1)[-1]
        and p.rsplit(".", 1)[-1].lower() in IMAGE_EXTS
    ]


def make_zip(out: Path) -> None:
    with zipfile.ZipFile(out, "w") as zf:
        for i, rel in enumerate(every_path(FOLDER)):
            info = zipfile.ZipInfo(rel, date_time=FIXED_TIME)
            if rel.endswith("/"):
                info.external_attr = 0o40755 << 16 | 0x10
                zf.writestr(info, b"")
                continue
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
            zf.writestr(info, (FOLDER / rel).read_bytes())
        # What the Finder's "Compress" adds: AppleDouble files under __MACOSX/.
        junk = zipfile.ZipInfo("__MACOSX/cat/._0001.jpg", date_time=FIXED_TIME)
        zf.writestr(junk, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")


def make_tar(out: Path) -> None:
    def fixed(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = 1_700_000_000
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tf:
        tf.add(FOLDER, arcname=".", recursive=False, filter=fixed)
        for rel in every_path(FOLDER):
            tf.add(FOLDER / rel, arcname="./" + rel.rstrip("/"), recursive=False, filter=fixed)


def make_parquet(out: Path) -> None:
    import pyarrow.feather as feather
    import pyarrow.parquet as pq
    from datasets import Dataset, Image

    rels = images_in_order(FOLDER)
    classes = sorted({r.split("/")[0] for r in rels})
    # The paths relative to the table, as a dataset pushed from a folder names them.
    ds = Dataset.from_dict(
        {
            "image": [str(FOLDER / r) for r in rels],
            "label": [r.split("/")[0] for r in rels],
            "label_index": [classes.index(r.split("/")[0]) for r in rels],
        }
    ).cast_column("image", Image())
    # datasets embeds each file's bytes when it writes (embed_external_files), but
    # keeps the absolute path; the Hub's tables name each file by its relative path.
    table = ds.with_format("arrow")[:]
    images = table.column("image").to_pylist()
    for row, rel in zip(images, rels):
        if row["bytes"] is None:
            row["bytes"] = (FOLDER / rel).read_bytes()
        row["path"] = rel
    import pyarrow as pa

    image_type = table.schema.field("image").type
    table = table.set_column(
        table.schema.get_field_index("image"), "image", pa.array(images, type=image_type)
    )
    pq.write_table(table, out, row_group_size=16, compression="snappy")
    feather.write_feather(table, out.with_suffix(".arrow"), compression="uncompressed", chunksize=16)
    feather.write_feather(table, out.with_suffix(".zstd.arrow"), compression="zstd", chunksize=16)
    del ds


def make_bad_parquet(out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = (FOLDER / "coffee" / "g8.png").read_bytes()
    cut = (FOLDER.parent / "bad" / "truncated.png").read_bytes()
    table = pa.table(
        {
            "image_id": ["good", "cut", "none"],
            "img": pa.array([good, cut, None], type=pa.binary()),
            "score": [0.5, 1.5, 2.5],
        }
    )
    pq.write_table(table, out, compression="snappy")
    import pyarrow.feather as feather

    feather.write_feather(table, out.with_suffix(".arrow"), compression="uncompressed")


def make_absolute_parquet(out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # datasets itself would stat the file, which is elsewhere on the machine that wrote it.
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    rows = [{"bytes": None, "path": "/nowhere/cat/0001.jpg"}]
    pq.write_table(pa.table({"image": pa.array(rows, type=image)}), out)


def make_parquet_paths(out: Path) -> None:
    from datasets import Dataset, Image

    os.chdir(out.parent)
    rels = images_in_order(FOLDER)
    ds = Dataset.from_dict({"image": [f"folder/{r}" for r in rels]}).cast_column("image", Image())
    ds.to_parquet(out.name)
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    feather.write_feather(pq.read_table(out.name), out.with_suffix(".arrow").name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--no-parquet", action="store_true", help="zip and tar only (no datasets)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    make_zip(args.out / "folder.zip")
    make_tar(args.out / "folder.tar")
    if not args.no_parquet:
        make_parquet(args.out / "folder.parquet")
        make_bad_parquet(args.out / "bad.parquet")
        make_absolute_parquet(args.out / "absolute.parquet")
        make_parquet_paths(FOLDER.parent / "paths.parquet")
    for p in sorted(args.out.iterdir()):
        print(f"{p.stat().st_size:>9} {p.relative_to(ROOT)}")
    print(f"{len(images_in_order(FOLDER))} images in each")


if __name__ == "__main__":
    main()
