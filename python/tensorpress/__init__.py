"""tensorpress: compress neural-network tensors and measure what each technique buys.

The Python face of the tensorpress C++ library (nanobind bindings in
``tensorpress._core``) and of its command line:

>>> import tensorpress as tp
>>> model = tp.read_model("model.safetensors")          # any supported format
>>> w = model["encoder.layer.0.attention.self.query.weight"].numpy()  # no copy
>>> report = tp.compress(model, "model.tpz")             # or a dict / state_dict
>>> tensors = tp.decompress("model.tpz")                 # {name: numpy array}
>>> r = tp.TpzReader("model.tpz"); r["embeddings.word_embeddings.weight"]
>>> tp.slices("model.safetensors", "activations.safetensors")["layers"][0]

Every failure raises a subclass of :class:`TensorpressError` whose ``str()`` is
the library's one-line message (the same line the CLI prints).
"""
from __future__ import annotations

from ._core import (
    AlreadyExistsError,
    CorruptDataError,
    InvalidArgumentError,
    IoError,
    NotFoundError,
    TensorpressError,
    Tensor,
    UnsupportedError,
)
from ._api import Model, TpzReader, codec_names, compress, decompress, dtype_names, read_model, save_safetensors
from ._cli import CliError, analyze, cli_path, run_cli, simulate, slices

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "CliError",
    "CorruptDataError",
    "InvalidArgumentError",
    "IoError",
    "Model",
    "NotFoundError",
    "Tensor",
    "TensorpressError",
    "TpzReader",
    "UnsupportedError",
    "analyze",
    "cli_path",
    "codec_names",
    "compress",
    "decompress",
    "dtype_names",
    "read_model",
    "run_cli",
    "save_safetensors",
    "simulate",
    "slices",
]
