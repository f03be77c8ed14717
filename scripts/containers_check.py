"""A folder of real photographs packed as users receive it, each converted by
pixelprep and compared with Pillow itself (issue 27's "done when"):

    .venv-images/bin/python scripts/make_image_fixtures.py --photos 300 --out /tmp/photos
    .venv-containers/bin/python scripts/containers_check.py BINARY /tmp/photos [--work DIR]

packs the folder with the tools a user has: `zip -r` (its own walk order), `tar
--sort=name`, and a Hugging Face table (`datasets`' Image feature, the bytes
embedded and named by relative path as `push_to_hub` stores them, row groups of
100); then converts the folder and each container with pixelprep, TMPDIR pointed
at an empty folder, and checks every image against
`Image.open(p).convert(MODE).resize((W, H), FILTER)`, the ids and labels against
the files', and the order against the container's own. Prints time and peak RSS
of each run; exits 1 on any difference.
"""

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, Image as HFImage
from PIL import Image

EXTS = {"jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"}
CASES = [
    ("rgb", "64x64", "bicubic", "RGB", Image.Resampling.BICUBIC),
    ("gray", "48x32", "lanczos", "L", Image.Resampling.LANCZOS),
]


def image_paths(names):
    """The image entries of `names` (folder-relative paths), hidden ones skipped."""
    out = []
    for n in names:
        n = n[2:] if n.startswith("./") else n
        parts = n.split("/")
        if n.endswith("/") or any(p.startswith(".") for p in parts):
            continue
        if "." in parts[-1] and parts[-1].rsplit(".", 1)[1].lower() in EXTS:
            out.append(n)
    return out


def pack(root: Path, work: Path, rels: list[str]) -> dict[str, list[str]]:
    """Writes p.zip, p.tar and p.parquet; returns each one's images in its order."""
    order = {}
    zip_path = work / "p.zip"
    if subprocess.run(["which", "zip"], capture_output=True).returncode == 0:
        subprocess.run(["zip", "-qr", "-X", str(zip_path), "."], cwd=root, check=True)
    else:
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
            for r in rels:
                z.write(root / r, r)
    order["p.zip"] = image_paths(zipfile.ZipFile(zip_path).namelist())
    tar_path = work / "p.tar"
    subprocess.run(["tar", "--sort=name", "-C", str(root), "-cf", str(tar_path), "."], check=True)
    order["p.tar"] = image_paths(tarfile.open(tar_path).getnames())
    classes = sorted({r.split("/")[0] for r in rels})
    ds = Dataset.from_dict(
        {
            "image": [str(root / r) for r in rels],
            "label": [r.split("/")[0] for r in rels],
            "label_index": [classes.index(r.split("/")[0]) for r in rels],
        }
    ).cast_column("image", HFImage())
    table = ds.with_format("arrow")[:]
    rows = [{"bytes": (root / r).read_bytes(), "path": r} for r in rels]
    table = table.set_column(0, "image", pa.array(rows, type=table.schema.field("image").type))
    pq.write_table(table, work / "p.parquet", row_group_size=100)
    order["p.parquet"] = rels
    return order


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("photos", type=Path)
    ap.add_argument("--work", type=Path, help="where the containers go [a temporary folder]")
    args = ap.parse_args()
    root = args.photos.resolve()
    work = (args.work or Path(tempfile.mkdtemp(prefix="containers-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    rels = sorted(image_paths(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()))
    classes = sorted({r.split("/")[0] for r in rels})
    order = {root.name: rels, **pack(root, work, rels)}
    for name in ["p.zip", "p.tar", "p.parquet"]:
        print(f"{name:10s} {(work / name).stat().st_size / 1e6:.1f} MB, {len(order[name])} images")
    failed = 0
    for color, size, filt, mode, resample in CASES:
        w, h = map(int, size.split("x"))
        want = {
            r: np.asarray(Image.open(root / r).convert(mode).resize((w, h), resample)) for r in rels
        }
        for src in [root, work / "p.zip", work / "p.tar", work / "p.parquet"]:
            out = work / f"o_{src.name}_{color}.npy"
            out.unlink(missing_ok=True)
            tmp = work / "tmp"
            tmp.mkdir(exist_ok=True)
            run = subprocess.run(
                ["/usr/bin/time", "-f", "%e s, peak RSS %M KB", args.binary, "convert", str(src),
                 "-o", str(out), "--size", size, "--color", color, "--filter", filt, "-q"],
                capture_output=True, text=True, env=dict(os.environ, TMPDIR=str(tmp)),
            )
            if run.returncode != 0:
                print(f"{src.name}: pixelprep failed: {run.stderr}")
                failed += 1
                continue
            got = np.load(out)
            meta = [l.split(",") for l in out.with_suffix(".metadata.csv").read_text().splitlines()[1:]]
            expected = order[src.name]
            ids_ok = [m[0] for m in meta] == [r.rsplit(".", 1)[0] for r in expected]
            labels_ok = [m[1:] for m in meta] == [
                [r.split("/")[0], str(classes.index(r.split("/")[0]))] for r in expected
            ]
            equal = got.shape[0] == len(expected) and all(
                (got[i] == want[r]).all() for i, r in enumerate(expected)
            )
            leftovers = len(os.listdir(tmp))
            ok = ids_ok and labels_ok and equal and leftovers == 0
            failed += not ok
            print(
                f"{src.name:10s} {color:4s} {size} {filt:8s}: pixels {'equal' if equal else 'DIFFER'}, "
                f"ids and order {'ok' if ids_ok else 'DIFFER'}, labels {'ok' if labels_ok else 'DIFFER'}, "
                f"{leftovers} temporary files; {run.stderr.strip().splitlines()[-1]}"
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
