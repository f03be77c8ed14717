"""The wheel's command line: `pixelprep` on PATH and `python -m pixelprep`, the
same program as the standalone binary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import numpy as np

import pixelprep
from conftest import CLI_GEOMETRY, IDS, png_pixels


def run(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def test_the_command_is_on_path_and_as_a_module():
    command = shutil.which("pixelprep")
    assert command is not None and command.startswith(sys.prefix)
    for argv in ([command], [sys.executable, "-m", "pixelprep"]):
        out = run(*argv, "--version")
        assert out.stdout.strip() == f"pixelprep {pixelprep.__version__}"


def test_convert_through_the_command_gives_the_golden_zip(table, golden, tmp_path):
    out = tmp_path / "train.zip"
    done = run("pixelprep", "convert", str(table), "-o", str(out), *CLI_GEOMETRY, "--json")
    summary = json.loads(done.stdout)
    assert summary["images"] == 64 and summary["outputs"] == [str(out)]
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == [f"{i}.png" for i in IDS]
        images = np.stack([png_pixels(z.read(n)) for n in z.namelist()])
    np.testing.assert_array_equal(images, golden)


def test_errors_and_exit_codes(tmp_path):
    missing = run("pixelprep", "convert", str(tmp_path / "no.parquet"), "-o", str(tmp_path / "o.zip"),
                  check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ") and "cannot open input" in missing.stderr
    usage = run(sys.executable, "-m", "pixelprep", "convert", check=False)
    assert usage.returncode == 2


def test_bench_runs_its_children_through_this_interpreter(table):
    done = run("pixelprep", "bench", str(table), *CLI_GEOMETRY, "--rounds", "1", "--json")
    report = json.loads(done.stdout)
    assert report["identical"] is True
