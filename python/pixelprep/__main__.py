"""``python -m pixelprep``: the same command line as ``pixelprep``."""

from ._cli import main

main()
