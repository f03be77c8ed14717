"""Fixtures shared by the wheel's tests: the repository's producer fixtures (64
images of 20 x 24 pixels) and their golden outputs at size 16, pad 4."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "producers"
GEOMETRY = dict(height=20, width=24, size=16, pad=4)
CLI_GEOMETRY = ["--height", "20", "--width", "24", "--size", "16", "--pad", "4"]
IDS = [f"Train_{i}" for i in range(64)]


def png_pixels(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.mode == "L"
    return np.asarray(image)


@pytest.fixture(scope="session")
def table() -> pathlib.Path:
    return FIXTURES / "pyarrow_snappy.parquet"


@pytest.fixture(scope="session")
def golden() -> np.ndarray:
    """The reference kernel's images, in input order: (64, 16, 16) uint8."""
    return np.stack([png_pixels((FIXTURES / "golden" / f"{i}.png").read_bytes()) for i in IDS])
