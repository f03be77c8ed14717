"""The Python API: convert and transform, from a path and from Arrow objects,
errors, threads and forked workers."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

import pixelprep
from conftest import FIXTURES, GEOMETRY, IDS, png_pixels


def check_images(ids, images, golden):
    assert ids == IDS
    assert isinstance(images, np.ndarray)
    assert images.dtype == np.uint8 and images.shape == (64, 16, 16)
    assert images.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(images, golden)


def test_transform_of_a_path_gives_the_reference_pixels(table, golden):
    check_images(*pixelprep.transform(table, **GEOMETRY), golden)
    check_images(*pixelprep.transform(str(table), threads=1, **GEOMETRY), golden)


def test_transform_of_a_pyarrow_table_and_record_batch(table, golden):
    arrow_table = pq.read_table(table)
    check_images(*pixelprep.transform(arrow_table, **GEOMETRY), golden)
    batch = arrow_table.combine_chunks().to_batches()[0]
    check_images(*pixelprep.transform(batch, **GEOMETRY), golden)


def test_transform_of_a_polars_dataframe(table, golden):
    frame = pl.read_parquet(table)
    check_images(*pixelprep.transform(frame, **GEOMETRY), golden)
    # Many small chunks: each a record batch.
    chunked = pl.concat([frame[i : i + 10] for i in range(0, 64, 10)], rechunk=False)
    check_images(*pixelprep.transform(chunked, **GEOMETRY), golden)


def test_transform_of_every_producer_fixture_matches(golden):
    for name in ["polars_default.parquet", "feather_lz4.feather", "duckdb_zstd_rg10.parquet"]:
        check_images(*pixelprep.transform(FIXTURES / name, **GEOMETRY), golden)


def test_convert_writes_the_golden_zip_and_returns_the_summary(table, golden, tmp_path):
    out = tmp_path / "train.zip"
    summary = pixelprep.convert(table, out, labels=FIXTURES / "train_labels.csv", **GEOMETRY)
    assert isinstance(summary, pixelprep.Summary)
    assert (summary.images, summary.files, summary.outputs) == (64, 1, [str(out)])
    assert summary.blanks == 2 and summary.skipped == 0
    assert summary.output_bytes == out.stat().st_size
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == [f"{i}.png" for i in IDS] + ["metadata.csv"]
        images = np.stack([png_pixels(z.read(n)) for n in names[:-1]])
    np.testing.assert_array_equal(images, golden)
    assert summary.mean == pytest.approx(float(golden.mean()))
    assert summary.std == pytest.approx(float(golden.std()))


def test_convert_to_an_array_and_shards(table, golden, tmp_path):
    summary = pixelprep.convert([table], tmp_path / "a.npy", **GEOMETRY)
    assert summary.outputs == [str(tmp_path / "a.npy"), str(tmp_path / "a.metadata.csv")]
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy", mmap_mode="r"), golden)
    shards = pixelprep.convert(table, tmp_path / "s" / "t-%03d.tar", shard_size=30, **GEOMETRY)
    assert [os.path.basename(p) for p in shards.outputs] == ["t-000.tar", "t-001.tar", "t-002.tar"]


def test_errors_are_typed_and_say_what_to_do(table, tmp_path):
    with pytest.raises(pixelprep.InputError, match="cannot open input"):
        pixelprep.transform(tmp_path / "missing.parquet")
    with pytest.raises(pixelprep.InputError, match="pixel columns"):
        pixelprep.transform(table)  # 20 x 24 images, read as 137 x 236
    out = tmp_path / "x.zip"
    out.write_bytes(b"mine")
    with pytest.raises(pixelprep.OutputExistsError, match="already exists; pass --force"):
        pixelprep.convert(table, out, **GEOMETRY)
    assert out.read_bytes() == b"mine"
    assert issubclass(pixelprep.InputError, pixelprep.Error)
    assert issubclass(pixelprep.OutputExistsError, pixelprep.Error)
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        pixelprep.transform(42)
    with pytest.raises(ValueError, match="format"):
        pixelprep.convert(table, tmp_path / "y", format="gif", **GEOMETRY)


def test_calls_from_many_threads_at_once(table, golden):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: pixelprep.transform(table, threads=2, **GEOMETRY), range(8)))
    for ids, images in results:
        check_images(ids, images, golden)


def _in_child(path, queue):
    ids, images = pixelprep.transform(path, **GEOMETRY)
    queue.put((ids, images.tobytes()))


def test_a_forked_worker_after_the_parent_used_it(table, golden):
    pixelprep.transform(table, **GEOMETRY)  # the parent's pool exists before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(str(table), queue))
    child.start()
    ids, data = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    check_images(ids, np.frombuffer(data, np.uint8).reshape(64, 16, 16), golden)


def test_ctrl_c_interrupts_a_long_convert_and_leaves_nothing(tmp_path):
    big = tmp_path / "big.parquet"
    subprocess.run(
        [sys.executable, "-m", "pixelprep", "synth", "-o", str(big), "--rows", "6000",
         "--row-group-size", "500"],
        check=True, capture_output=True,
    )
    out = tmp_path / "out.zip"
    script = textwrap.dedent(f"""
        import sys, pixelprep
        print("started", flush=True)
        try:
            pixelprep.convert({str(big)!r}, {str(out)!r}, threads=1)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        print("finished", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    import time
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    rest, _ = child.communicate(timeout=60)
    assert child.returncode == 3, rest
    assert rest.strip() == "interrupted"
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]
