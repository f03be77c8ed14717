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
