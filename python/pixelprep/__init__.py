"""pixelprep: competition pixel tables (Parquet, Feather / Arrow IPC) and folders
of photos to training archives, pixel-identical to the reference Kaggle kernel
(tables) and to Pillow's ``Image.open(p).convert(MODE).resize(size, FILTER)``
(image files).

``convert`` writes what ``pixelprep convert`` writes (a zip or folder of PNGs,
WebDataset shards, a NumPy array, an LMDB store); ``transform`` returns the images
in memory, from a path or from any Arrow stream object (a pyarrow Table or
RecordBatch, a polars DataFrame, a DuckDB result).

Both release the GIL and work on their own thread pool, so they may be called from
several threads and from forked workers (DataLoader, Dask, Ray); Ctrl-C stops a
long call and raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import concurrent.futures
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
    "images",
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
    channel_mean: List[float] = dataclasses.field(default_factory=list)
    """Mean of each channel (R, G, B; one value for gray), 0..255 scale."""
    channel_std: List[float] = dataclasses.field(default_factory=list)
    """Standard deviation of each channel, 0..255 scale."""
    ignored: int = 0
    """Files in input folders without an image extension, passed over."""
    bad: List[Tuple[str, str, str, str]] = dataclasses.field(default_factory=list)
    """Image files left out with ``skip_bad=True``: (path, id, problem, reason)."""


SizeLike = Union[int, Tuple[int, int]]


def _fill(fill: Union[int, Tuple[int, int, int]]) -> List[int]:
    return [fill] if isinstance(fill, int) else [int(v) for v in fill]


def _size(size: SizeLike) -> Tuple[int, Tuple[int, int]]:
    """The square side the kernel takes and the (width, height) image files take."""
    if isinstance(size, int):
        return size, (size, size)
    width, height = size
    return width, (int(width), int(height))


def convert(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    threads: Optional[int] = None,
    size: SizeLike = 128,
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
    recipe: Optional[str] = None,
    color: str = "rgb",
    filter: Optional[str] = None,
    files: Optional[PathLike] = None,
    root: Optional[PathLike] = None,
    skip_bad: bool = False,
    max_pixels: Optional[int] = None,
    fit: str = "stretch",
    fill: Union[int, Tuple[int, int, int]] = 0,
    lmdb_values: str = "png",
    draft: bool = False,
    resume: bool = False,
    image_column: Optional[str] = None,
) -> Summary:
    """Convert pixel tables or image files into ``output``, as ``pixelprep
    convert`` does.

    Image files (folders, walked recursively; single photos; a ``files`` list)
    go through Pillow's recipe (``recipe="pil"``, their default): each image is
    ``Image.open(p).convert(MODE).resize((W, H), FILTER)`` with ``size`` an int
    or ``(W, H)``, ``color`` ``"rgb"`` or ``"gray"`` and ``filter`` one of
    bicubic (the default), bilinear, lanczos, box, hamming, nearest; or through
    OpenCV's (``recipe="opencv"``): ``cv2.resize(cv2.imread(p, FLAG), (W, H),
    interpolation=INTER)`` in RGB, with IPP off, ``filter`` one of linear (the
    default), cubic, area, nearest. ``fit`` is ``"stretch"``
    (resize to the size), ``"crop"`` (the largest centred box of its aspect) or
    ``"pad"`` (aspect kept, on a ``fill`` border: a gray value or ``(R, G, B)``).
    ``skip_bad=True`` leaves out files that cannot be decoded (``Summary.bad``).
    Image files into tar shards: each shard is put under its name once complete,
    and ``resume=True`` continues a run that was stopped, keeping the shards it
    finished (checked) and writing the rest, byte for byte as one run would.
    Zip and tar archives are read as folders; a Parquet or Feather table of
    encoded images (the Hugging Face ``{bytes, path}`` column, or a binary one)
    as rows of images, ``image_column`` naming the column when it is not found.

    The format comes from ``output``'s extension (``.zip``, ``.tar`` with
    ``%06d`` in the name for shards, ``.npy``, ``.lmdb``, else a folder) unless
    ``format`` (``"zip"``, ``"dir"``, ``"tar"``, ``"npy"``, ``"lmdb"``) says it.
    ``labels`` is a CSV with one row per image, joined on ``image_id``;
    ``shard_size`` the images per tar shard (10,000 by default); ``progress``
    prints plain progress lines on stderr. ``threads`` defaults to all cores.

    Raises ``InputError`` for an input that cannot be read or does not fit,
    ``OutputExistsError`` when the output exists and ``force`` is not set, and
    ``OutputError`` when writing fails; nothing is left under the output's name
    after a failure, but the finished shards of image files.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    side, output_size = _size(size)
    summary = _pixelprep.convert(
        [os.fspath(p) for p in inputs],
        os.fspath(output),
        threads=threads,
        size=side,
        output_size=output_size,
        recipe=recipe,
        color=color,
        filter=filter,
        files=None if files is None else os.fspath(files),
        root=None if root is None else os.fspath(root),
        skip_bad=skip_bad,
        max_pixels=max_pixels,
        fit=fit,
        fill=_fill(fill),
        lmdb_values=lmdb_values,
        draft=draft,
        resume=resume,
        image_column=image_column,
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
    size: SizeLike = 128,
    pad: int = 16,
    height: int = 137,
    width: int = 236,
    threads: Optional[int] = None,
    id_column: Optional[str] = None,
    recipe: Optional[str] = None,
    color: str = "rgb",
    filter: Optional[str] = None,
    max_pixels: Optional[int] = None,
    fit: str = "stretch",
    fill: Union[int, Tuple[int, int, int]] = 0,
    draft: bool = False,
    image_column: Optional[str] = None,
) -> Tuple[List[str], "numpy.ndarray"]:
    """The images of ``source``, nothing written.

    A folder, an image file, an archive or a table of encoded images
    (``image_column`` naming its column when it is not found) goes through
    Pillow's recipe (or OpenCV's, with ``recipe="opencv"``, as ``convert``
    says): ``(ids, images)`` with ``images`` an ``(N, H, W, 3)`` uint8 array
    (``(N, H, W)`` for ``color="gray"``), each
    ``Image.open(p).convert(MODE).resize((W, H), FILTER)``; ids are the relative
    paths without extension. Otherwise the
    reference kernel's images of a pixel table:

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
    side, output_size = _size(size)
    return _pixelprep.transform(
        source,
        size=side,
        output_size=output_size,
        recipe=recipe,
        color=color,
        filter=filter,
        max_pixels=max_pixels,
        fit=fit,
        fill=_fill(fill),
        draft=draft,
        image_column=image_column,
        pad=pad,
        height=height,
        width=width,
        threads=threads,
        id_column=id_column,
    )


class ImageSequence:
    """Image files as a lazy sequence of Pillow's images (``pixelprep.images``).

    ``len(seq)``; ``seq[i]`` is one ``(H, W, 3)`` uint8 array (``(H, W)`` for
    ``color="gray"``), made when asked for; ``seq[a:b]`` an ``(n, H, W, 3)``
    array made in parallel; ``seq.ids``, ``seq.labels`` (the class folder of each
    image, a table's ``label`` column, or None), ``seq.metadata`` (a table's other
    columns) and ``seq.classes``. Iterating yields the images in order
    while the next ``prefetch`` are made ahead on pixelprep's threads, without the
    GIL; ``seq.batches(n)`` yields ``(n, H, W, 3)`` arrays the same way.

    It is a map-style dataset for PyTorch's ``DataLoader``: after a fork, and
    when pickled into spawned workers, each process opens the files itself.
    """

    def __init__(self, inputs: List[str], options: dict, prefetch: int) -> None:
        self._inputs = inputs
        self._options = options
        self._prefetch = max(1, int(prefetch))
        self._native = None
        self._pid = None
        self._open()

    def _open(self):
        # A sequence made before a fork has no threads in the child: make another.
        if self._pid != os.getpid():
            self._native = _pixelprep.ImageSequence(self._inputs, **self._options)
            self._pid = os.getpid()
        return self._native

    def __getstate__(self) -> dict:
        return {"inputs": self._inputs, "options": self._options, "prefetch": self._prefetch}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["inputs"], state["options"], state["prefetch"])

    def __len__(self) -> int:
        return len(self._open())

    def __repr__(self) -> str:
        w, h = self._options["output_size"]
        return f"<pixelprep.ImageSequence of {len(self)} images, {w}x{h} {self._options['color']}>"

    @property
    def paths(self) -> List[str]:
        """The images' paths relative to their folder, in order (for ``files=``)."""
        return self._open().paths

    @property
    def ids(self) -> List[str]:
        """The image ids (relative paths without extension), in order."""
        return self._open().ids

    @property
    def labels(self) -> Optional[list]:
        """Each image's class folder, when every image sits in one; for a table
        of images, its ``label`` column (as ``datasets`` names it); else None."""
        return self._open().labels

    @property
    def metadata(self) -> dict:
        """A table of images' other columns, ``{name: [value per image]}``;
        empty for folders, files and archives."""
        return self._open().metadata

    @property
    def classes(self) -> Optional[List[str]]:
        """The sorted class folders; a label's index is its position here."""
        return self._open().classes

    def __getitem__(self, index):
        native = self._open()
        if isinstance(index, slice):
            return native.get_many(list(range(*index.indices(len(native)))))
        index = int(index)
        if index < 0:
            index += len(native)
        if not 0 <= index < len(native):
            raise IndexError(f"image {index} of a sequence of {len(native)}")
        return native.get_many([index])[0]

    def batches(self, size: int):
        """``(size, H, W, C)`` arrays in order (the last may be shorter), the next
        one made while the current one is used."""
        size = max(1, int(size))
        native = self._open()
        count = len(native)
        with concurrent.futures.ThreadPoolExecutor(1) as ahead:
            pending = ahead.submit(native.get_many, list(range(0, min(size, count))))
            for start in range(0, count, size):
                batch = pending.result()
                following = start + size
                if following < count:
                    pending = ahead.submit(
                        native.get_many, list(range(following, min(following + size, count))))
                yield batch

    def __iter__(self):
        for batch in self.batches(self._prefetch):
            yield from batch


def images(
    source: Union[PathLike, Sequence[PathLike]],
    *,
    size: SizeLike = 128,
    recipe: Optional[str] = None,
    color: str = "rgb",
    filter: Optional[str] = None,
    fit: str = "stretch",
    fill: Union[int, Tuple[int, int, int]] = 0,
    draft: bool = False,
    max_pixels: Optional[int] = None,
    threads: Optional[int] = None,
    prefetch: int = 32,
    image_column: Optional[str] = None,
) -> ImageSequence:
    """A lazy sequence of the images of image files (a folder, files, archives,
    a list of them, or one table of encoded images), each
    ``Image.open(p).convert(MODE).resize((W, H), FILTER)`` (or OpenCV's recipe,
    with ``recipe="opencv"``) as ``transform`` makes them; it returns at once,
    having listed the files only. See ``ImageSequence``."""
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    _, output_size = _size(size)
    options = dict(output_size=output_size, recipe=recipe, color=color, filter=filter, fit=fit,
                   fill=_fill(fill), draft=draft, max_pixels=max_pixels, threads=threads,
                   image_column=image_column)
    return ImageSequence([os.fspath(p) for p in source], options, prefetch)

