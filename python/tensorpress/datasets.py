"""The project's shared inputs: Moby-Dick sentences and MNIST digits.

Found under ``$TP_SHARED`` or ``../shared`` of the source tree (see
/work/shared/README.md); pass a path explicitly anywhere else.
"""
from __future__ import annotations

import gzip
import os
import re
from typing import List, Optional, Tuple

import numpy as np

from ._core import CorruptDataError, NotFoundError


def shared_dir() -> str:
    """$TP_SHARED, else ../shared of the working directory, else ../shared
    beside the source tree the package was built from."""
    env = os.environ.get("TP_SHARED")
    if env:
        return env
    candidates = [os.path.join(os.getcwd(), "..", "shared")]
    try:
        from ._build import SOURCE_DIR

        candidates.append(os.path.join(SOURCE_DIR, "..", "shared"))
    except ImportError:  # running from the source tree without a build
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared"))
    for cand in candidates:
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return os.path.normpath(candidates[-1])


def moby_dick_path() -> str:
    return os.path.join(shared_dir(), "data", "datasets", "text", "moby-dick.txt")


def mnist_dir() -> str:
    return os.path.join(shared_dir(), "data", "datasets", "mnist-10k")


def sentences(path: Optional[str] = None, *, count: Optional[int] = None, min_chars: int = 40,
              max_chars: int = 400) -> List[str]:
    """Sentences of a plain-text file (Moby-Dick by default), in order, whitespace
    joined; chapter titles and fragments shorter than ``min_chars`` dropped.
    With ``count``, that many spread evenly over the whole text."""
    path = path or moby_dick_path()
    if not os.path.exists(path):
        raise NotFoundError(f"{path}: no such text file")
    with open(path, encoding="utf-8") as f:
        text = " ".join(f.read().split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"‘'])", text)
    out = [p for p in parts if min_chars <= len(p) <= max_chars and not p.startswith("CHAPTER")]
    if count is not None and count < len(out):
        step = len(out) / count
        out = [out[int(i * step)] for i in range(count)]
    return out


def _idx(path: str, magic: int) -> Tuple[Tuple[int, ...], bytes]:
    with gzip.open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8 or int.from_bytes(blob[:4], "big") != magic:
        raise CorruptDataError(f"{path}: not an IDX file of magic {magic:#x}")
    ndim = magic & 0xFF
    dims = tuple(int.from_bytes(blob[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = blob[4 + 4 * ndim:]
    if len(data) != int(np.prod(dims)):
        raise CorruptDataError(f"{path}: {len(data)} bytes of data for dimensions {dims}")
    return dims, data


def mnist(count: Optional[int] = None, folder: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(images uint8 [n, 28, 28], labels uint8 [n]) of the shared 10,000 digits."""
    folder = folder or mnist_dir()
    dims, data = _idx(os.path.join(folder, "images-idx3-ubyte.gz"), 0x803)
    images = np.frombuffer(data, np.uint8).reshape(dims)
    ldims, ldata = _idx(os.path.join(folder, "labels-idx1-ubyte.gz"), 0x801)
    labels = np.frombuffer(ldata, np.uint8).reshape(ldims)
    if count is not None:
        images, labels = images[:count], labels[:count]
    return images, labels
