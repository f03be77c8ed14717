"""Convert a folder of photos (or a file list) across a Dask cluster: the files
split into chunks, one task per chunk writing its own array part, and one merged
index of ids and labels.

    python convert_images_dask.py photos/ --out parts/ --chunk 10000 --size 64
    python convert_images_dask.py /shared/photos --out /shared/parts --scheduler tcp://head:8786

The files are listed once, by pixelprep itself (`pixelprep.images(root).paths`:
the order and ids a single `pixelprep convert photos/` run gives). Each chunk's
paths go into a list file under OUT/lists/, and its task runs
`pixelprep.convert([], part, files=list, root=root)`, so ids stay relative to the
root. The driver then writes OUT/index.csv: image_id, part, row, and the
ImageFolder label and label_index numbered over the whole folder (a chunk alone
would number only the classes it holds). Parts concatenated in order equal the
one-machine array, image for image.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

from dask.distributed import Client, LocalCluster

import pixelprep


def convert_chunk(root: str, listing: str, output: str, threads: int, options: dict) -> dict:
    """One task: the files of one list into one array part."""
    summary = pixelprep.convert([], output, files=listing, root=root, threads=threads,
                                force=True, **options)
    return {"part": output, "images": summary.images, "worker": os.uname().nodename,
            "seconds": summary.seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="the folder of photos (ImageFolder layout for labels)")
    parser.add_argument("--out", required=True, help="folder for the parts, lists and index")
    parser.add_argument("--chunk", type=int, default=10_000, help="images per task [10000]")
    parser.add_argument("--size", default="64", help="output size: S or WxH [64]")
    parser.add_argument("--color", default="rgb", choices=["rgb", "gray"])
    parser.add_argument("--filter", default="bicubic")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="local cluster: workers [2]")
    parser.add_argument("--threads", type=int, default=1, help="pixelprep threads per task [1]")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "lists"), exist_ok=True)
    width, _, height = args.size.partition("x")
    size = (int(width), int(height or width))
    options = {"size": size, "color": args.color, "filter": args.filter}

    listing = pixelprep.images(root, **options)
    paths, ids, labels, classes = listing.paths, listing.ids, listing.labels, listing.classes
    chunks = [paths[i:i + args.chunk] for i in range(0, len(paths), args.chunk)]
    tasks = []
    for n, chunk in enumerate(chunks):
        list_path = os.path.join(out, "lists", f"part-{n:06d}.txt")
        with open(list_path, "w", encoding="utf-8") as f:
            f.write("".join(p + "\n" for p in chunk))
        tasks.append((list_path, os.path.join(out, f"part-{n:06d}.npy")))

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    started = time.perf_counter()
    futures = [client.submit(convert_chunk, root, lst, part, args.threads, options, pure=False)
               for lst, part in tasks]
    results = client.gather(futures)
    seconds = time.perf_counter() - started
    client.close()

    with open(os.path.join(out, "index.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        header = ["image_id", "part", "row"] + (["label", "label_index"] if labels else [])
        writer.writerow(header)
        for i, image_id in enumerate(ids):
            row = [image_id, f"part-{i // args.chunk:06d}.npy", i % args.chunk]
            if labels:
                row += [labels[i], classes.index(labels[i])]
            writer.writerow(row)
    for r in results:
        print(f"{r['part']}: {r['images']} images on {r['worker']} in {r['seconds']:.2f} s")
    print(f"{len(ids)} images in {len(results)} parts in {seconds:.2f} s on the cluster; "
          f"index: {os.path.join(out, 'index.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
