"""pixelprep: competition pixel tables (Parquet, Feather / Arrow IPC) to training
archives, pixel-identical to the reference Kaggle kernel.

``convert`` writes what ``pixelprep convert`` writes (a zip or folder of PNGs,
WebDataset shards, a NumPy array, an LMDB store); ``transform`` returns the images
in memory, from a path or from any Arrow stream object (a pyarrow Table or
RecordBatch, a polars DataFrame, a DuckDB result).

Both release the GIL and work on their own thread pool, so they may be called from
several threads and from forked workers (DataLoader, Dask, Ray); Ctrl-C stops a
long call and raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

from . import _pixelprep
from ._pixelprep import Error, InputError, OutputError, OutputExistsError, __version__

if TYPE_CHECKING:
    import numpy

__all__ = [
    "Error",
    "InputError",
    "OutputError",
    "OutputExistsError",
    "Summary",
    "convert",
    "transform",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a ``convert`` run did: the fields of ``pixelprep convert --json``."""

    images: int
    """Images converted (skipped blanks included)."""
    blanks: int
    """Images that were constant or had no ink."""
    skipped: int
    """Blank images left out (``skip_blank=True``)."""
    files: int
    """Input files read."""
    output_bytes: int
    """Bytes written."""
    seconds: float
    """Wall time of the run."""
    mean: float
    """Mean of the written pixels, 0..255 scale."""
    std: float
    """Their (population) standard deviation, 0..255 scale."""
    outputs: List[str]
    """Every path written: the archive, each shard, the array and its CSV."""


def convert(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    threads: Optional[int] = None,
    size: int = 128,
    pad: int = 16,
    height: int = 137,
    width: int = 236,
    force: bool = False,
    skip_blank: bool = False,
    labels: Optional[PathLike] = None,
    shard_size: Optional[int] = None,
    format: Optional[str] = None,
    id_column: Optional[str] = None,
    progress: bool = False,
) -> Summary:
    """Convert pixel tables into ``output``, as ``pixelprep convert`` does.

    The format comes from ``output``'s extension (``.zip``, ``.tar`` with
    ``%06d`` in the name for shards, ``.npy``, ``.lmdb``, else a folder) unless
    ``format`` (``"zip"``, ``"dir"``, ``"tar"``, ``"npy"``, ``"lmdb"``) says it.
    ``labels`` is a CSV with one row per image, joined on ``image_id``;
    ``shard_size`` the images per tar shard (10,000 by default); ``progress``
    prints plain progress lines on stderr. ``threads`` defaults to all cores.

    Raises ``InputError`` for an input that cannot be read or does not fit,
    ``OutputExistsError`` when the output exists and ``force`` is not set, and
    ``OutputError`` when writing fails; nothing is left under the output's name
    after a failure.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    summary = _pixelprep.convert(
        [os.fspath(p) for p in inputs],
        os.fspath(output),
        threads=threads,
        size=size,
        pad=pad,
        height=height,
        width=width,
        force=force,
        skip_blank=skip_blank,
        labels=None if labels is None else os.fspath(labels),
        shard_size=shard_size,
        format=format,
        id_column=id_column,
        progress=progress,
    )
    return Summary(**summary)


def transform(
    source: object,
    *,
    size: int = 128,
    pad: int = 16,
    height: int = 137,
    width: int = 236,
    threads: Optional[int] = None,
    id_column: Optional[str] = None,
) -> Tuple[List[str], "numpy.ndarray"]:
    """The reference kernel's images of ``source``, nothing written.

    ``source`` is a path to any table ``convert`` reads, or an object with
    ``__arrow_c_stream__`` (a pyarrow Table or RecordBatch, a polars DataFrame, a
    DuckDB result), read through the Arrow C stream interface. Returns
    ``(ids, images)``: the image ids in input order and a C-contiguous
    ``(N, size, size)`` uint8 array. The whole array is in memory: for the full
    competition files, ``convert`` to an ``.npy`` and ``numpy.load`` it with
    ``mmap_mode="r"`` instead.
    """
    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
    return _pixelprep.transform(
        source,
        size=size,
        pad=pad,
        height=height,
        width=width,
        threads=threads,
        id_column=id_column,
    )

