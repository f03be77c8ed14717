import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy

__version__: str

PathLike = Union[str, os.PathLike[str]]

class Error(Exception):
    """A pixelprep failure; the message says where and what to do."""

class InputError(Error):
    """An input cannot be read or does not fit."""

class OutputExistsError(Error):
    """The output exists and force is not set, or force would replace foreign files."""

class OutputError(Error):
    """Writing the output failed."""

@dataclass(frozen=True)
class Summary:
    images: int
    blanks: int
    skipped: int
    files: int
    output_bytes: int
    seconds: float
    mean: float
    std: float
    outputs: List[str]
    channel_mean: List[float]
    channel_std: List[float]
    ignored: int
    bad: List[Tuple[str, str, str, str]]

def convert(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    threads: Optional[int] = None,
    size: Union[int, Tuple[int, int]] = 128,
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
) -> Summary: ...
def transform(
    source: object,
    *,
    size: Union[int, Tuple[int, int]] = 128,
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
) -> Tuple[List[str], numpy.ndarray]: ...

class ImageSequence:
    def __len__(self) -> int: ...
    def __getitem__(self, index: Union[int, slice]) -> numpy.ndarray: ...
    def __iter__(self) -> Iterator[numpy.ndarray]: ...
    def batches(self, size: int) -> Iterator[numpy.ndarray]: ...
    @property
    def paths(self) -> List[str]: ...
    @property
    def ids(self) -> List[str]: ...
    @property
    def labels(self) -> Optional[List[Any]]: ...
    @property
    def metadata(self) -> Dict[str, List[Any]]: ...
    @property
    def classes(self) -> Optional[List[str]]: ...

def images(
    source: Union[PathLike, Sequence[PathLike]],
    *,
    size: Union[int, Tuple[int, int]] = 128,
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
) -> ImageSequence: ...
