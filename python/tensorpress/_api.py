"""Models, .tpz containers and tensors as NumPy arrays (in-process, via _core)."""
from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _core
from ._core import Tensor, UnsupportedError

PathLike = Union[str, "os.PathLike[str]"]

# NumPy dtype -> tensorpress dtype name. bf16 has no NumPy type; torch
# bfloat16 tensors are passed as their int16 bit patterns (see _as_array).
_NUMPY_TO_TP = {
    np.dtype(np.float64): "f64",
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.int64): "i64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int16): "i16",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint64): "u64",
    np.dtype(np.uint32): "u32",
    np.dtype(np.uint16): "u16",
    np.dtype(np.uint8): "u8",
    np.dtype(np.bool_): "bool",
}


class Model:
    """The tensors of a model file, in file order; ``model[name]`` is a :class:`Tensor`.

    Tensors view the file's memory map: ``tensor.numpy()`` is a read-only
    array over the mapped bytes, valid for as long as the array lives.
    """

    def __init__(self, core: "_core.Model"):
        self._core = core
        self._tensors: List[Tensor] = list(core.tensors)
        self._index = {t.name: i for i, t in enumerate(self._tensors)}

    @property
    def path(self) -> str:
        return self._core.path

    @property
    def format(self) -> str:
        """'safetensors', 'onnx', 'gguf', 'tflite', 'llama2c', 'npy' or 'npz'."""
        return self._core.format

    @property
    def metadata(self) -> Dict[str, str]:
        return self._core.metadata

    @property
    def tensors(self) -> List[Tensor]:
        return list(self._tensors)

    def names(self) -> List[str]:
        return [t.name for t in self._tensors]

    def __len__(self) -> int:
        return len(self._tensors)

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self._tensors)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> Tensor:
        try:
            return self._tensors[self._index[name]]
        except KeyError:
            raise _core.NotFoundError(f"{self.path}: no tensor named '{name}'") from None

    def numpy(self) -> Dict[str, np.ndarray]:
        """{name: read-only array} for every tensor (no copies)."""
        return {t.name: t.numpy() for t in self._tensors}

    def __repr__(self) -> str:
        return f"<tensorpress.Model {self.path!r} {self.format}, {len(self)} tensors>"


def read_model(path: PathLike) -> Model:
    """Reads a model file of any supported format (detected from its bytes).

    Raises CorruptDataError (truncated or malformed file), NotFoundError or
    IoError with the library's one-line message.
    """
    return Model(_core.read_model(os.fspath(path)))


def _as_array(name: str, value: Any) -> Tuple[str, np.ndarray]:
    """(tensorpress dtype, C-contiguous array of the storage bytes) of a NumPy
    array, a torch tensor or anything np.asarray takes."""
    if type(value).__module__.startswith("torch"):
        import torch

        t = value.detach().to("cpu").contiguous()
        if t.dtype == torch.bfloat16:
            return "bf16", t.view(torch.int16).numpy()
        value = t.numpy()
    array = np.ascontiguousarray(value)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    dtype = _NUMPY_TO_TP.get(np.dtype(array.dtype.str.replace(">", "<")))
    if dtype is None:
        raise UnsupportedError(f"tensor '{name}': NumPy dtype {array.dtype} has no tensorpress dtype")
    return dtype, array


def _inputs(tensors: Mapping[str, Any]) -> List[Tuple[str, str, List[int], np.ndarray]]:
    out = []
    for name, value in tensors.items():
        if isinstance(value, Tensor):
            out.append((name, value.dtype, list(value.shape), value.raw()))
            continue
        dtype, array = _as_array(name, value)
        out.append((name, dtype, list(array.shape), array))
    return out


def compress(
    source: Union[PathLike, Model, Mapping[str, Any]],
    output: PathLike,
    *,
    codec: Optional[str] = None,
    layout: str = "auto",
    chunk: int = 0,
    threads: int = 0,
    overwrite: bool = False,
    metadata: Optional[Mapping[str, str]] = None,
) -> Dict[str, Any]:
    """Writes a lossless .tpz container and returns the writer's report.

    ``source`` is a model file (any format read_model reads), a :class:`Model`,
    or a mapping name -> NumPy array / torch tensor (a ``state_dict()``; torch
    bf16 stays bf16). ``codec``: None/'auto' picks the smallest codec (or raw)
    per plane, or one of ``codec_names()``; ``layout``: 'auto', 'bytes',
    'fields' or 'whole'; ``chunk``: values per independent chunk (0: default
    32768). The report has the fields of ``tensorpress compress --json``
    (header_bytes, file_bytes, tensors[name, dtype, elements, bytes, layout,
    tried, planes]). Lossy settings (--quantize, --astc, --cast) are the CLI's:
    ``run_cli("compress", ...)``.
    """
    out = os.fspath(output)
    if isinstance(source, (str, os.PathLike)):
        source = read_model(source)
    if isinstance(source, Model):
        if metadata is not None:
            raise _core.InvalidArgumentError("metadata= applies to a mapping of tensors; a model keeps its own")
        return _core.write_tpz_model(out, source._core, codec, layout, chunk, threads, overwrite)
    if not isinstance(source, Mapping):
        raise TypeError("compress() takes a path, a tensorpress.Model or a mapping name -> array")
    return _core.write_tpz(out, _inputs(source), dict(metadata or {}), codec, layout, chunk, threads, overwrite)


def save_safetensors(
    tensors: Mapping[str, Any], path: PathLike, *, metadata: Optional[Mapping[str, str]] = None,
    overwrite: bool = False,
) -> None:
    """Writes a mapping name -> array / torch tensor as safetensors (atomically)."""
    _core.write_safetensors(os.fspath(path), _inputs(tensors), dict(metadata or {}), overwrite)


def _to_torch(t: Tensor) -> Any:
    import torch

    if t.dtype == "bf16":
        raw = np.array(t.raw()).view(np.int16).reshape(t.shape)
        return torch.from_numpy(raw).view(torch.bfloat16)
    return torch.from_numpy(np.array(t.numpy()))


def decompress(
    source: PathLike, output: Optional[PathLike] = None, *, threads: int = 0, torch: bool = False,
    overwrite: bool = False,
) -> Any:
    """Decodes a whole .tpz container.

    Without ``output``: returns {name: read-only NumPy array} (no copy of the
    decoded bytes), or with ``torch=True`` {name: torch tensor} (a state_dict;
    bf16 tensors come back as torch.bfloat16). With ``output``: writes the
    tensors as safetensors and returns the path. Every plane's checksum is
    verified; a damaged file raises CorruptDataError naming tensor and chunk.
    """
    model = _core.read_tpz(os.fspath(source), threads)
    if output is not None:
        out = os.fspath(output)
        _core.write_safetensors(
            out, [(t.name, t.dtype, list(t.shape), t.raw()) for t in model.tensors], model.metadata, overwrite)
        return out
    if torch:
        return {t.name: _to_torch(t) for t in model.tensors}
    return {t.name: t.numpy() for t in model.tensors}


class TpzReader:
    """Random access to a .tpz container: the header is checked once, tensors
    are decoded on request, touching only the chunks they need.

    ``reader[name]`` is a read-only NumPy array; ``reader.read(name)`` the
    :class:`Tensor` (with its quantization parameters);
    ``reader.read_elements(name, begin, count)`` a 1-D slice of one tensor.
    """

    def __init__(self, path: PathLike, *, threads: int = 0):
        self.path = os.fspath(path)
        self.threads = threads
        self._core = _core.TpzReader.open(self.path)
        self._infos = self._core.infos()

    @property
    def metadata(self) -> Dict[str, str]:
        return self._core.metadata

    def infos(self) -> List[Dict[str, Any]]:
        """Per tensor: name, dtype, shape, elements, layout, stored_bytes,
        quantization, original_dtype and, for lossy (ASTC) tensors, lossy."""
        return [dict(i) for i in self._infos]

    def names(self) -> List[str]:
        return [i["name"] for i in self._infos]

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._core.find(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def read(self, key: Union[str, int]) -> Tensor:
        if isinstance(key, int):
            if key < 0:
                key += len(self)
            return self._core.read_index(key, self.threads)
        return self._core.read(key, self.threads)

    def __getitem__(self, key: Union[str, int]) -> np.ndarray:
        return self.read(key).numpy()

    def read_elements(self, name: str, begin: int, count: int) -> np.ndarray:
        """Elements [begin, begin + count) of a tensor, flattened, as a 1-D array."""
        return self._core.read_elements(name, begin, count, self.threads).numpy()

    def __repr__(self) -> str:
        return f"<tensorpress.TpzReader {self.path!r}, {len(self)} tensors>"


def dtype_names() -> List[str]:
    return _core.dtype_names()


def codec_names() -> List[str]:
    return _core.codec_names()
