"""Rewrite a big pixel table as zstd Parquet and as lz4 Feather, for speed comparisons.

    .venv-producers/bin/python benches/rewrite_table.py SRC.parquet OUT_DIR
        [--name synth] [--batch-rows 65536] [--zstd-level N]

writes OUT_DIR/<name>_zstd.parquet and OUT_DIR/<name>_lz4.feather (venv: see
tests/fixtures/producers/make_producers.py; the reference venv works too) with pyarrow:

    <name>_zstd.parquet   as the competition files apart from the codec: one row group,
                          dictionary pages (format 1.0: PLAIN_DICTIONARY), data pages v1,
                          statistics, the source's columns in order (`__index_level_0__`
                          too) and its key-value metadata (the `pandas` key), no
                          ARROW:schema; compression zstd (pyarrow's default level 1)
    <name>_lz4.feather    Arrow IPC file (Feather v2), lz4 frame buffers, record batches of
                          --batch-rows rows (65,536 is write_feather's chunksize, so a
                          50,210-row table is one batch, as DataFrame.to_feather gives),
                          the source's schema metadata

Memory: pyarrow cannot append record batches to one Parquet row group (ParquetWriter
makes a row group per write call), so a one-row-group output needs the whole table in
memory: the source is read whole, once (uint8 pixels: rows x pixels bytes, 1.6 GB for
50,210 x 32,332), and both files are written from it. The Feather file is written one
record batch at a time from that table (zero-copy slices; only one batch's compressed
buffers exist at once). Prints the time, size and peak RSS of each step.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def step(label, t0, path=None):
    size = f", {path.stat().st_size / 1e6:,.1f} MB" if path else ""
    print(f"{label:28} {time.time() - t0:7.1f} s{size}, peak RSS {peak_rss_gb():.1f} GB",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", metavar="SRC.parquet")
    ap.add_argument("out_dir", metavar="OUT_DIR")
    ap.add_argument("--name", default="synth", help="output stem (default: synth)")
    ap.add_argument("--batch-rows", type=int, default=65536,
                    help="rows per Feather record batch (default: 65536, write_feather's)")
    ap.add_argument("--zstd-level", type=int, default=None,
                    help="zstd level (default: pyarrow's)")
    args = ap.parse_args(argv)

    src = pq.ParquetFile(args.src)
    md = src.metadata
    print(f"{args.src}: {md.num_rows} rows, {md.num_columns} columns, "
          f"{md.num_row_groups} row groups, {os.path.getsize(args.src) / 1e6:,.1f} MB")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.time()
    table = src.read()  # all row groups; keeps the schema's key-value metadata
    step("read source", t0)
    kv = {k: v for k, v in (md.metadata or {}).items()}

    pq_path = out / f"{args.name}_zstd.parquet"
    t0 = time.time()
    # store_schema=False drops all key-value metadata, so the source's is added back.
    with pq.ParquetWriter(pq_path, table.schema.remove_metadata(), version="1.0",
                          data_page_version="1.0", use_dictionary=True,
                          compression="zstd", compression_level=args.zstd_level,
                          store_schema=False) as writer:
        writer.write_table(table.replace_schema_metadata(None), row_group_size=table.num_rows)
        if kv:
            writer.add_key_value_metadata(kv)
    step(f"write {pq_path.name}", t0, pq_path)

    fe_path = out / f"{args.name}_lz4.feather"
    t0 = time.time()
    options = ipc.IpcWriteOptions(compression="lz4")
    batches = 0
    with pa.OSFile(str(fe_path), "wb") as sink, \
            ipc.new_file(sink, table.schema, options=options) as writer:
        for batch in table.to_batches(max_chunksize=args.batch_rows):
            writer.write_batch(batch)
            batches += 1
    step(f"write {fe_path.name} ({batches} b.)", t0, fe_path)

    # Cheap check: row counts and the footer's view of what was written.
    w = pq.ParquetFile(pq_path).metadata
    c = w.row_group(0).column(1)
    print(f"{pq_path.name}: {w.num_rows} rows, {w.num_row_groups} row group(s), "
          f"{c.compression}, {c.encodings}, keys {sorted(k.decode() for k in w.metadata or {})}")
    # (Reading a batch back would decompress all of it: only the footer is read.)
    r = ipc.open_file(fe_path)
    print(f"{fe_path.name}: {r.num_record_batches} record batch(es), "
          f"{len(r.schema)} columns")
    assert w.num_rows == md.num_rows == table.num_rows
    assert r.num_record_batches == batches and r.schema.equals(table.schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
