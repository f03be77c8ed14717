"""The ``pixelprep`` command of the wheel: the Rust command line, run through
the extension module, so that it is the same program as the standalone binary."""

from __future__ import annotations

import sys


def main() -> None:
    from ._pixelprep import run_cli

    # `bench` runs pixelprep as child processes: this interpreter, as a module.
    code = run_cli(["pixelprep", *sys.argv[1:]], [sys.executable, "-m", "pixelprep"])
    sys.exit(code)
