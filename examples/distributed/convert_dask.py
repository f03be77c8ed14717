"""Convert many pixel tables across a Dask cluster, one output per input.

    python convert_dask.py train_image_data_*.parquet --out shards/ --format tar
    python convert_dask.py /data/*.parquet --out /shared/out --scheduler tcp://head:8786

Each input becomes one task on one worker: `pixelprep.convert` with the worker's
cores (it runs on its own thread pool and releases the GIL). Without --scheduler,
a local cluster of --workers processes is started. Inputs and outputs must be
paths every worker sees (a shared file system, or the same local disk).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from dask.distributed import Client, LocalCluster

import pixelprep


def output_for(path: str, out_dir: str, fmt: str) -> str:
    """Where one input's output goes: named after the input."""
    name = os.path.splitext(os.path.basename(path))[0]
    if fmt == "tar":
        return os.path.join(out_dir, name, f"{name}-%06d.tar")
    return os.path.join(out_dir, f"{name}.{fmt}")


def convert_one(path: str, output: str, threads: int, geometry: dict) -> dict:
    """One task: one input into its own output, on the worker that runs it."""
    summary = pixelprep.convert(path, output, threads=threads, force=True, **geometry)
    return {"input": path, "worker": os.uname().nodename, **dataclasses.asdict(summary)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="pixel tables (Parquet, Feather)")
    parser.add_argument("--out", required=True, help="folder for the outputs, one per input")
    parser.add_argument("--format", default="zip", choices=["zip", "tar", "npy", "lmdb"])
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    parser.add_argument("--workers", type=int, default=2, help="local cluster: worker processes [2]")
    parser.add_argument("--threads", type=int, default=1,
                        help="pixelprep threads per task: the cores of one worker [1]")
    for name, default in [("height", 137), ("width", 236), ("size", 128), ("pad", 16)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args(argv)
    geometry = {k: getattr(args, k) for k in ("height", "width", "size", "pad")}
    os.makedirs(args.out, exist_ok=True)

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        # One task per worker process at a time; pixelprep does the threading.
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    started = time.perf_counter()
    inputs = [os.path.abspath(p) for p in args.inputs]
    futures = [
        client.submit(convert_one, path, os.path.abspath(output_for(path, args.out, args.format)),
                      args.threads, geometry, pure=False)
        for path in inputs
    ]
    results = client.gather(futures)
    seconds = time.perf_counter() - started
    for r in results:
        print(f"{r['input']}: {r['images']} images on {r['worker']} in {r['seconds']:.2f} s -> "
              f"{', '.join(r['outputs'])}")
    total = sum(r["images"] for r in results)
    print(f"{total} images from {len(results)} files in {seconds:.2f} s on the cluster")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
