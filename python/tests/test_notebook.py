"""The API in a real Jupyter kernel (ipykernel, run by nbclient), as notebook
users call it: progress lines reach the cell's output, results and errors come
back as Python objects, and `!pixelprep` runs the wheel's command."""

from __future__ import annotations

import subprocess
import sys

import nbclient
import nbformat
import pytest

import pixelprep
from conftest import FIXTURES, GEOMETRY


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernelspec for this interpreter, in a folder of its own."""
    prefix = tmp_path_factory.mktemp("kernel")
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", "wheel-test"],
        check=True, capture_output=True,
    )
    return prefix / "share" / "jupyter"


def run_cells(kernel, monkeypatch, cells):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbclient.NotebookClient(notebook, kernel_name="wheel-test", timeout=120).execute()
    return [
        {
            name: "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)
            for name in ("stdout", "stderr")
        }
        for cell in notebook.cells
    ]


def test_the_api_in_a_jupyter_kernel(kernel, monkeypatch, tmp_path):
    table = FIXTURES / "pyarrow_snappy.parquet"
    out = tmp_path / "train.npy"
    geometry = ", ".join(f"{k}={v}" for k, v in GEOMETRY.items())
    cells = run_cells(kernel, monkeypatch, [
        "import pixelprep",
        f"s = pixelprep.convert({str(table)!r}, {str(out)!r}, progress=True, {geometry})\n"
        "print(s.images, s.outputs[0])",
        f"ids, images = pixelprep.transform({str(table)!r}, {geometry})\n"
        "print(len(ids), images.shape, images.dtype)",
        "try:\n    pixelprep.convert('/nonexistent.parquet', 'x.zip')\n"
        "except pixelprep.InputError as e:\n    print('InputError:', e)",
        "!pixelprep --version",
    ])
    assert cells[1]["stdout"] == f"64 {out}\n"
    lines = cells[1]["stderr"].splitlines()
    assert lines[0] == "convert: starting, 64 images", cells[1]
    assert lines[-1].startswith("convert: 64 of 64 images (100%)"), cells[1]
    assert "\x1b" not in cells[1]["stderr"] and "\r" not in cells[1]["stderr"]
    assert cells[2]["stdout"] == "64 (64, 16, 16) uint8\n"
    assert cells[3]["stdout"].startswith("InputError: /nonexistent.parquet: cannot open input")
    assert cells[4]["stdout"].strip() == f"pixelprep {pixelprep.__version__}"
