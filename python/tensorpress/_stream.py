"""A safetensors writer fed in pieces, so captured activations never sit in memory whole.

Each tensor grows along its first axis: pieces go to one spill file per
tensor beside the output; close() writes the header (whose offsets need the
final sizes) and concatenates the spills into a temporary file that is
renamed over the output, so a failed capture never leaves a partial file.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np

from ._core import AlreadyExistsError, InvalidArgumentError

_SAFETENSORS_DTYPE = {
    np.dtype("<f8"): "F64", np.dtype("<f4"): "F32", np.dtype("<f2"): "F16",
    np.dtype("<i8"): "I64", np.dtype("<i4"): "I32", np.dtype("<i2"): "I16", np.dtype("i1"): "I8",
    np.dtype("<u8"): "U64", np.dtype("<u4"): "U32", np.dtype("<u2"): "U16", np.dtype("u1"): "U8",
    np.dtype("bool"): "BOOL",
}


class _Spill:
    def __init__(self, path: str, dtype: np.dtype, tail: Tuple[int, ...]):
        self.file = open(path, "wb")
        self.path = path
        self.dtype = dtype
        self.tail = tail
        self.rows = 0


class SafetensorsStream:
    """Appends rows to named tensors; ``close(metadata)`` writes the file.

    ``max_rows`` caps every tensor's first axis (rows past it are dropped);
    ``full()`` says when every tensor seen so far has reached it.
    """

    def __init__(self, path: str, *, max_rows: Optional[int] = None, overwrite: bool = False):
        self.path = os.fspath(path)
        if os.path.exists(self.path) and not overwrite:
            raise AlreadyExistsError(f"{self.path}: exists (pass overwrite=True)")
        folder = os.path.dirname(os.path.abspath(self.path))
        self._dir = tempfile.mkdtemp(prefix=".tp-capture.", dir=folder)
        self._spills: Dict[str, _Spill] = {}
        self.max_rows = max_rows
        self._closed = False

    def rows(self, name: str) -> int:
        s = self._spills.get(name)
        return s.rows if s else 0

    def full(self) -> bool:
        return self.max_rows is not None and bool(self._spills) and all(
            s.rows >= self.max_rows for s in self._spills.values())

    def append(self, name: str, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        if array.ndim == 0:
            array = array.reshape(1)
        dtype = np.dtype(array.dtype).newbyteorder("<") if array.dtype.byteorder == ">" else np.dtype(array.dtype)
        if dtype not in _SAFETENSORS_DTYPE:
            raise InvalidArgumentError(f"{name}: dtype {array.dtype} has no safetensors name")
        spill = self._spills.get(name)
        if spill is None:
            spill = _Spill(os.path.join(self._dir, f"{len(self._spills)}.bin"), dtype, tuple(array.shape[1:]))
            self._spills[name] = spill
        if tuple(array.shape[1:]) != spill.tail or dtype != spill.dtype:
            raise InvalidArgumentError(
                f"{name}: a piece of shape {tuple(array.shape)} {array.dtype} does not continue "
                f"[rows, {', '.join(map(str, spill.tail))}] {spill.dtype}")
        if self.max_rows is not None:
            array = array[: max(0, self.max_rows - spill.rows)]
        spill.file.write(array.astype(dtype, copy=False).tobytes())
        spill.rows += array.shape[0]

    def close(self, metadata: Optional[Dict[str, str]] = None) -> Dict[str, Tuple[int, ...]]:
        """Writes the file; returns {name: shape}."""
        if self._closed:
            raise InvalidArgumentError("stream already closed")
        self._closed = True
        try:
            header: Dict[str, object] = {}
            if metadata:
                header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
            offset = 0
            shapes: Dict[str, Tuple[int, ...]] = {}
            order: List[_Spill] = []
            for name, s in self._spills.items():
                s.file.close()
                size = s.rows * int(np.prod(s.tail, dtype=np.int64)) * s.dtype.itemsize
                shapes[name] = (s.rows,) + s.tail
                header[name] = {"dtype": _SAFETENSORS_DTYPE[s.dtype], "shape": list(shapes[name]),
                                "data_offsets": [offset, offset + size]}
                offset += size
                order.append(s)
            blob = json.dumps(header, separators=(",", ":")).encode()
            blob += b" " * (-len(blob) % 8)  # data 8-byte aligned, as the format recommends
            tmp = os.path.join(self._dir, "out.safetensors")
            with open(tmp, "wb") as out:
                out.write(len(blob).to_bytes(8, "little"))
                out.write(blob)
                for s in order:
                    with open(s.path, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 22)
            os.replace(tmp, self.path)
            return shapes
        finally:
            self.abort()

    def abort(self) -> None:
        for s in self._spills.values():
            if not s.file.closed:
                s.file.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "SafetensorsStream":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not self._closed:
            self._closed = True
            self.abort()
