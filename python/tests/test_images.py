"""Image files through the wheel: ``transform`` and ``convert`` on the fixture
folder of every format and mode, against Pillow itself and against the golden
arrays Pillow 13.0 made (tests/fixtures/images)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import pixelprep
from conftest import REPO

IMAGES = REPO / "tests" / "fixtures" / "images"
FOLDER = IMAGES / "folder"
GOLDEN = IMAGES / "golden"
IDS = (GOLDEN / "ids.txt").read_text().split()


def test_transform_of_a_folder_equals_pillow_s_goldens():
    ids, images = pixelprep.transform(FOLDER, size=64)
    assert ids == IDS
    assert images.shape == (len(IDS), 64, 64, 3) and images.dtype == np.uint8
    assert np.array_equal(images, np.load(GOLDEN / "pil_RGB_64x64_bicubic.npy"))
    ids, gray = pixelprep.transform(str(FOLDER), size=(32, 48), color="gray", filter="lanczos")
    assert gray.shape == (len(IDS), 48, 32)
    assert np.array_equal(gray, np.load(GOLDEN / "pil_L_32x48_lanczos.npy"))


def test_transform_of_one_photo_is_pillow_s_expression():
    photo = FOLDER / "cat" / "cmyk.jpg"
    ids, images = pixelprep.transform(photo, size=(40, 24), filter="nearest")
    want = np.array(Image.open(photo).convert("RGB").resize((40, 24), Image.Resampling.NEAREST))
    assert ids == ["cmyk"] and np.array_equal(images[0], want)


def test_opencv_recipe_equals_opencv_s_goldens_eagerly_and_lazily():
    ids, images = pixelprep.transform(FOLDER, recipe="opencv", size=64, filter="area")
    assert ids == IDS
    assert np.array_equal(images, np.load(GOLDEN / "cv_RGB_64x64_area.npy"))
    seq = pixelprep.images(FOLDER, recipe="opencv", size=(48, 32), color="gray", filter="cubic")
    want = np.load(GOLDEN / "cv_L_48x32_cubic.npy")
    assert np.array_equal(seq[5:20], want[5:20]) and np.array_equal(seq[-1], want[-1])
    with pytest.raises(ValueError, match="OpenCV's"):
        pixelprep.transform(FOLDER, size=64, filter="area")
    with pytest.raises(ValueError, match="not one of OpenCV's"):
        pixelprep.images(FOLDER, recipe="opencv", size=64, filter="lanczos")


def test_archives_and_image_tables_convert_as_the_folder(tmp_path):
    containers = IMAGES / "containers"
    want = np.load(GOLDEN / "pil_RGB_64x64_bicubic.npy")
    cases = [("folder.zip", {}), ("folder.tar", {}), ("folder.parquet", {"image_column": "image"}),
             ("folder.arrow", {})]
    for name, extra in cases:
        out = tmp_path / f"{name}.npy"
        summary = pixelprep.convert(containers / name, out, size=64, **extra)
        assert summary.images == len(IDS)
        assert np.array_equal(np.load(out), want), name
    with pytest.raises(pixelprep.InputError, match="label_index"):
        pixelprep.convert(containers / "folder.parquet", tmp_path / "x.npy", size=8,
                          image_column="label_index")


def test_tables_of_images_give_their_label_columns_lazily_and_eagerly():
    containers = IMAGES / "containers"
    want = np.load(GOLDEN / "pil_RGB_64x64_bicubic.npy")
    folder = pixelprep.images(FOLDER, size=64)
    for name in ["folder.parquet", "folder.arrow"]:
        seq = pixelprep.images(containers / name, size=64, image_column="image")
        assert seq.ids == IDS and seq.labels == folder.labels, name
        assert seq.metadata == {
            "label": folder.labels,
            "label_index": [folder.classes.index(c) for c in folder.labels],
        }, name
        assert np.array_equal(seq[3:9], want[3:9]), name
        ids, images = pixelprep.transform(containers / name, size=64, image_column="image")
        assert ids == IDS and np.array_equal(images, want), name
    assert folder.metadata == {}
    with pytest.raises(pixelprep.InputError, match="label_index"):
        pixelprep.images(containers / "folder.parquet", size=8, image_column="label_index")


def test_convert_of_a_folder_reports_channels_labels_and_bad_files(tmp_path):
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    Image.open(FOLDER / "cat" / "0001.jpg").save(folder / "a" / "x.png")
    Image.open(FOLDER / "coffee" / "rgba8.png").save(folder / "b" / "y.png")
    (folder / "b" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.raises(pixelprep.InputError, match="broken.jpg"):
        pixelprep.convert(folder, tmp_path / "x.npy", size=8)
    assert not (tmp_path / "x.npy").exists()
    summary = pixelprep.convert(folder, tmp_path / "x.npy", size=8, skip_bad=True)
    assert summary.images == 2 and len(summary.channel_mean) == 3
    assert [b[1] for b in summary.bad] == ["b/broken"]
    array = np.load(tmp_path / "x.npy")
    assert array.shape == (2, 8, 8, 3)
    rows = (tmp_path / "x.metadata.csv").read_text().splitlines()
    assert rows == ["image_id,label,label_index", "a/x,a,0", "b/y,b,1"]
    assert (tmp_path / "x.bad.csv").exists()
    assert os.fspath(tmp_path / "x.bad.csv") in summary.outputs


def test_the_lazy_sequence_gives_transform_s_images_every_way():
    golden = np.load(GOLDEN / "pil_RGB_64x64_bicubic.npy")
    seq = pixelprep.images(FOLDER, size=64, prefetch=7)
    assert len(seq) == len(IDS) and seq.ids == IDS
    labels = (GOLDEN / "labels.txt").read_text().split("\n")
    assert seq.labels == [line.split("\t")[0] for line in labels if line]
    assert seq.classes == sorted(set(seq.labels))
    assert np.array_equal(seq[0], golden[0]) and np.array_equal(seq[-1], golden[-1])
    assert np.array_equal(seq[10:20], golden[10:20])
    assert np.array_equal(np.stack(list(seq)), golden)
    batches = list(seq.batches(16))
    assert [len(b) for b in batches] == [16, 16, 16, len(IDS) - 48]
    assert np.array_equal(np.concatenate(batches), golden)
    with pytest.raises(IndexError):
        seq[len(IDS)]


SEQUENCE = None


def _item(i):
    return SEQUENCE[i]


def _item_of(args):
    seq, i = args
    return seq[i]


def test_the_lazy_sequence_in_forked_and_spawned_workers():
    import multiprocessing

    global SEQUENCE
    golden = np.load(GOLDEN / "pil_L_64x64_bicubic.npy")
    SEQUENCE = pixelprep.images(FOLDER, size=64, color="gray")
    assert np.array_equal(SEQUENCE[3], golden[3])  # used in the parent before the fork
    with multiprocessing.get_context("fork").Pool(2) as pool:
        forked = pool.map(_item, range(len(IDS)))
    assert np.array_equal(np.stack(forked), golden)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        spawned = pool.map(_item_of, [(SEQUENCE, i) for i in range(0, len(IDS), 5)])
    assert np.array_equal(np.stack(spawned), golden[::5])
