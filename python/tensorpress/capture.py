"""Capture every GEMM layer's input while a model runs, into activations.safetensors.

The file names each input ``<layer>.input`` where ``<layer>.weight`` is the
layer's weight in the model file, the convention every CLI verb
(``slices``, ``simulate``, ``analyze --activations``) matches on. Batches are
streamed to disk as they come (tensorpress._stream), so a capture never holds
more than one batch; ``max_tokens`` / ``max_samples`` bound the file.

TFLite captures name each input after its graph tensor instead (the name
the C++ finds the op's input under, graph.h).

Row conventions (those of the shared activation files):
  Linear / MatMul / Gemm input  -> [tokens, in_features] (leading axes flattened)
  Conv1d / Conv2d input         -> [samples, channels, (height,) width] (NCW / NCHW)
  Embedding input (token ids)   -> [tokens] int64
"""
from __future__ import annotations

import fnmatch
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._core import InvalidArgumentError, UnsupportedError
from ._stream import SafetensorsStream

PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_TORCH_TYPES = ("Linear", "Conv1d", "Conv2d", "Embedding")
DEFAULT_ONNX_OPS = ("MatMul", "Gemm", "Conv")


class _Limits:
    """Per-tensor row caps: tokens for dense inputs, samples for convolutions."""

    def __init__(self, max_tokens: Optional[int], max_samples: Optional[int]):
        if (max_tokens is not None and max_tokens < 1) or (max_samples is not None and max_samples < 1):
            raise InvalidArgumentError("max_tokens and max_samples must be at least 1")
        self.max_tokens, self.max_samples = max_tokens, max_samples
        self.cap: Dict[str, Optional[int]] = {}

    def add(self, stream: SafetensorsStream, name: str, rows: np.ndarray, conv: bool) -> None:
        cap = self.max_samples if conv else self.max_tokens
        self.cap[name] = cap
        if cap is not None:
            rows = rows[: max(0, cap - stream.rows(name))]
        if rows.shape[0] or stream.rows(name) == 0:
            stream.append(name, rows)

    def done(self, stream: SafetensorsStream) -> bool:
        return bool(self.cap) and all(c is not None and stream.rows(n) >= c for n, c in self.cap.items())


def _layer_name(weight_name: str) -> str:
    return weight_name[: -len(".weight")] if weight_name.endswith(".weight") else weight_name


def _spaced(n: int, k: int) -> np.ndarray:
    """k evenly spaced indices of range(n) (all of them when k >= n)."""
    if k >= n:
        return np.arange(n)
    return (np.arange(k) * n) // k


def _call(fn: Callable, batch: Any) -> Any:
    if isinstance(batch, dict):
        return fn(**batch)
    if isinstance(batch, (tuple, list)):
        return fn(*batch)
    return fn(batch)


def capture_torch(
    module: Any,
    batches: Iterable[Any],
    output: PathLike,
    *,
    max_tokens: Optional[int] = None,
    max_samples: Optional[int] = None,
    layer_types: Sequence[str] = DEFAULT_TORCH_TYPES,
    include: Optional[Sequence[str]] = None,
    rows_per_batch: Optional[int] = None,
    metadata: Optional[Dict[str, str]] = None,
    overwrite: bool = False,
) -> Dict[str, Tuple[int, ...]]:
    """Runs ``module`` on each batch (a dict is passed as keywords, a tuple as
    positional arguments) with forward pre-hooks on every module whose class
    name is in ``layer_types`` (and whose qualified name matches an
    ``include`` glob, if given), writing each one's input as ``<name>.input``.

    Stops early once every hooked layer has ``max_tokens`` rows (dense and
    embedding inputs) / ``max_samples`` samples (convolutions).
    ``rows_per_batch`` keeps that many evenly spaced rows (tokens) of each
    batch's dense and embedding inputs, the same positions in every layer, so
    a token budget covers many inputs instead of the first few. Returns
    {tensor name: shape} of the file written.
    """
    import torch

    stream = SafetensorsStream(os.fspath(output), overwrite=overwrite)
    limits = _Limits(max_tokens, max_samples)
    handles = []

    def hook_for(name: str, kind: str):
        act = name + ".input"
        conv = kind.startswith("Conv")

        def hook(_mod: Any, args: Tuple[Any, ...]) -> None:
            x = args[0].detach()
            if kind == "Embedding":
                rows = x.reshape(-1).to(torch.int64).cpu().numpy()
            elif conv:
                rows = x.float().cpu().numpy()
            else:
                rows = x.reshape(-1, x.shape[-1]).float().cpu().numpy()
            if rows_per_batch is not None and not conv:
                rows = rows[_spaced(rows.shape[0], rows_per_batch)]
            limits.add(stream, act, rows, conv)

        return hook

    try:
        for name, mod in module.named_modules():
            kind = type(mod).__name__
            if kind not in layer_types or getattr(mod, "weight", None) is None:
                continue
            if include and not any(fnmatch.fnmatchcase(name, g) for g in include):
                continue
            handles.append(mod.register_forward_pre_hook(hook_for(name, kind)))
        if not handles:
            raise InvalidArgumentError(f"no module of types {', '.join(layer_types)} to capture")
        with torch.no_grad():
            for batch in batches:
                _call(module, batch)
                if limits.done(stream):
                    break
        meta = {"producer": "tensorpress.capture (PyTorch forward pre-hooks)"}
        meta.update(metadata or {})
        return stream.close(meta)
    except BaseException:
        stream.abort()
        raise
    finally:
        for h in handles:
            h.remove()


def onnx_gemm_inputs(model: Any, ops: Sequence[str] = DEFAULT_ONNX_OPS) -> List[Tuple[str, str, str]]:
    """(value name, weight initializer name, op type) for every node of ``ops``
    whose weight operand (input 1) is an initializer, under any name."""
    inits = {i.name for i in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if node.op_type in ops and len(node.input) >= 2 and node.input[1] in inits and node.input[0]:
            out.append((node.input[0], node.input[1], node.op_type))
    return out


def onnx_gemm_weights(model: Any, ops: Sequence[str] = DEFAULT_ONNX_OPS) -> Dict[str, np.ndarray]:
    """Every GEMM weight of an ONNX graph as ``<layer>.weight`` in the layout
    the CLI verbs read (dense [out, in], conv OIHW as ONNX stores it): MatMul's
    B [in, out] and Gemm's B without transB are transposed. ``<layer>`` is the
    initializer name without ``.weight``, the name capture_onnx gives the
    layer's input, so ``slices WEIGHTS --activations ACTS`` pairs them by the
    graph rather than by naming conventions."""
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    out: Dict[str, np.ndarray] = {}
    for node in model.graph.node:
        if node.op_type not in ops or len(node.input) < 2 or node.input[1] not in inits:
            continue
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
        if node.op_type == "MatMul" and w.ndim == 2:
            w = w.T
        elif node.op_type == "Gemm":
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            if not trans_b:
                w = w.T
        out[_layer_name(node.input[1]) + ".weight"] = np.ascontiguousarray(w)
    return out


def capture_onnx(
    model_path: PathLike,
    feeds: Iterable[Dict[str, np.ndarray]],
    output: PathLike,
    *,
    max_tokens: Optional[int] = None,
    max_samples: Optional[int] = None,
    ops: Sequence[str] = DEFAULT_ONNX_OPS,
    weights_output: Optional[PathLike] = None,
    metadata: Optional[Dict[str, str]] = None,
    overwrite: bool = False,
) -> Dict[str, Tuple[int, ...]]:
    """Runs an ONNX model with onnxruntime, the input of every MatMul / Gemm /
    Conv with an initializer weight made a graph output, and writes each as
    ``<weight name without .weight>.input`` (``onnx::MatMul_7`` ->
    ``onnx::MatMul_7.input``). With ``weights_output``, also writes those
    weights (onnx_gemm_weights) so the CLI verbs find every GEMM of the graph
    whatever its initializers are called. Returns {tensor name: shape}."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(os.fspath(model_path))
    if weights_output is not None:
        from ._api import save_safetensors

        save_safetensors(onnx_gemm_weights(model, ops), weights_output, overwrite=overwrite,
                         metadata={"producer": "tensorpress.capture.onnx_gemm_weights",
                                   "source": os.path.abspath(os.fspath(model_path))})
    gemms = onnx_gemm_inputs(model, ops)
    if not gemms:
        raise InvalidArgumentError(f"{model_path}: no {'/'.join(ops)} node with an initializer weight")
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
        known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.input)}
    except Exception:  # shape inference is optional help, not a requirement
        known = {}
    present = {o.name for o in model.graph.output}
    for value, _, _ in gemms:
        if value in present:
            continue
        present.add(value)
        info = known.get(value)
        if info is None:
            info = onnx.helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, None)
        model.graph.output.append(info)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every value
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    wanted = sorted({v for v, _, _ in gemms})
    stream = SafetensorsStream(os.fspath(output), overwrite=overwrite)
    limits = _Limits(max_tokens, max_samples)
    try:
        for feed in feeds:
            values = dict(zip(wanted, session.run(wanted, feed)))
            for value, weight, op in gemms:
                x = np.asarray(values[value], dtype=np.float32)
                conv = op == "Conv"
                rows = x if conv else x.reshape(-1, x.shape[-1])
                limits.add(stream, _layer_name(weight) + ".input", rows, conv)
            if limits.done(stream):
                break
        meta = {"producer": "tensorpress.capture (onnxruntime, GEMM inputs as graph outputs)"}
        meta.update(metadata or {})
        return stream.close(meta)
    except BaseException:
        stream.abort()
        raise


DEFAULT_TFLITE_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def tflite_interpreter(model_path: PathLike) -> Any:
    """A TFLite interpreter that keeps every intermediate tensor readable
    (``experimental_preserve_all_tensors``), from ai-edge-litert or
    tflite-runtime, whichever is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as e:
            raise UnsupportedError("TFLite capture needs ai-edge-litert or tflite-runtime (pip install tflite-runtime)") from e
    interpreter = Interpreter(model_path=os.fspath(model_path), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    return interpreter


def tflite_gemm_inputs(interpreter: Any, ops: Sequence[str] = DEFAULT_TFLITE_OPS) -> List[Tuple[int, str, str, int]]:
    """(input tensor index, its name, op name, GEMM depth of a dense op or 0)
    for every op of ``ops``, each input once. The name is the graph tensor's,
    which ``tensorpress slices/simulate`` look the layer's input up under."""
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    out, seen = [], set()
    for op in interpreter._get_ops_details():  # the only API listing operators and their tensors
        inputs = list(op["inputs"])
        if op["op_name"] not in ops or len(inputs) < 2 or inputs[0] < 0 or inputs[0] in seen:
            continue
        seen.add(inputs[0])
        depth = int(details[inputs[1]]["shape"][-1]) if op["op_name"] == "FULLY_CONNECTED" else 0
        out.append((inputs[0], details[inputs[0]]["name"], op["op_name"], depth))
    return out


def _real(x: np.ndarray, detail: Dict[str, Any]) -> np.ndarray:
    """An integer tensor's real values (scale * (q - zero_point)); floats as they are."""
    if np.issubdtype(x.dtype, np.floating):
        return x.astype(np.float32)
    q = detail.get("quantization_parameters") or {}
    scales, zeros = np.asarray(q.get("scales", [])), np.asarray(q.get("zero_points", []))
    if scales.size == 0:
        return x.astype(np.float32)
    if scales.size == 1:
        return (scales[0] * (x.astype(np.float32) - zeros[0])).astype(np.float32)
    shape = [1] * x.ndim
    shape[q.get("quantized_dimension", 0)] = -1
    return (scales.reshape(shape) * (x.astype(np.float32) - zeros.reshape(shape))).astype(np.float32)


def _as_input(x: np.ndarray, detail: Dict[str, Any]) -> np.ndarray:
    """Real values in the interpreter's input dtype (quantized when it is an integer type)."""
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.floating):
        return x.astype(dtype)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)


def image_feeds(shape: Sequence[int], count: int) -> Iterable[np.ndarray]:
    """Stand-in inputs for an image model of NHWC ``shape`` [1, H, W, C]:
    shared MNIST digits in [0, 1], resized (nearest) to H x W and repeated
    over C. Not the model's domain: they exercise capture and give activation
    statistics of these inputs, not of the task's data."""
    from . import datasets

    if len(shape) != 4:
        raise InvalidArgumentError(f"input shape {list(shape)} is not NHWC; pass feeds explicitly")
    h, w, c = int(shape[1]), int(shape[2]), int(shape[3])
    images, _ = datasets.mnist(count)
    rows, cols = (np.arange(h) * 28) // h, (np.arange(w) * 28) // w
    for img in images.astype(np.float32) / 255.0:
        x = img[rows][:, cols]
        yield np.repeat(x[None, :, :, None], c, axis=3)


def capture_tflite(
    model_path: PathLike,
    feeds: Optional[Iterable[Union[np.ndarray, Dict[str, np.ndarray]]]],
    output: PathLike,
    *,
    max_tokens: Optional[int] = None,
    max_samples: Optional[int] = None,
    ops: Sequence[str] = DEFAULT_TFLITE_OPS,
    metadata: Optional[Dict[str, str]] = None,
    overwrite: bool = False,
) -> Dict[str, Tuple[int, ...]]:
    """Runs a TFLite model once per feed (real-valued arrays, quantized here
    for an integer input; a dict maps input names to arrays) and writes the
    input of every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED op under its
    graph tensor's name, dequantized to float32: convolutions NHWC
    [samples, H, W, C], dense layers [rows, in_features]. ``feeds=None`` uses
    ``image_feeds`` (MNIST digits, ``max_samples`` of them, default 64).
    Returns {tensor name: shape}."""
    interpreter = tflite_interpreter(model_path)
    gemms = tflite_gemm_inputs(interpreter, ops)
    if not gemms:
        raise InvalidArgumentError(f"{model_path}: no {'/'.join(ops)} operator")
    inputs = interpreter.get_input_details()
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    if feeds is None:
        if len(inputs) != 1:
            raise InvalidArgumentError(f"{model_path}: {len(inputs)} inputs; pass feeds explicitly")
        feeds = image_feeds(inputs[0]["shape"], max_samples or 64)
    stream = SafetensorsStream(os.fspath(output), overwrite=overwrite)
    limits = _Limits(max_tokens, max_samples)
    try:
        for feed in feeds:
            if not isinstance(feed, dict):
                if len(inputs) != 1:
                    raise InvalidArgumentError(f"{model_path}: {len(inputs)} inputs; feed a dict of arrays")
                feed = {inputs[0]["name"]: feed}
            for d in inputs:
                if d["name"] not in feed:
                    raise InvalidArgumentError(f"feed lacks input {d['name']!r}")
                interpreter.set_tensor(d["index"], _as_input(np.asarray(feed[d["name"]]), d))
            interpreter.invoke()
            for index, name, op, depth in gemms:
                x = _real(interpreter.get_tensor(index), details[index])
                conv = op != "FULLY_CONNECTED"
                rows = x if conv else x.reshape(-1, depth)
                limits.add(stream, name, rows, conv)
            if limits.done(stream):
                break
        meta = {"producer": "tensorpress.capture (TFLite interpreter, all tensors preserved)"}
        meta.update(metadata or {})
        return stream.close(meta)
    except BaseException:
        stream.abort()
        raise


def text_batches(tokenizer: Any, texts: Iterable[str]) -> Iterable[Dict[str, Any]]:
    """One unpadded sentence per batch, so no padding token is captured."""
    for text in texts:
        yield tokenizer.batch([text])


def capture_hf_folder(
    folder: PathLike, output: PathLike, *, text: Optional[PathLike] = None, sentences: int = 256,
    max_tokens: Optional[int] = None, overwrite: bool = False,
) -> Dict[str, Tuple[int, ...]]:
    """A Hugging Face BERT folder (config.json, tokenizer.json,
    model.safetensors) run on sentences of ``text`` (Moby-Dick by default),
    one sentence a batch. With ``max_tokens``, each sentence contributes
    ceil(max_tokens / sentences) evenly spaced tokens, so every sentence is
    represented."""
    import json

    from . import datasets

    folder = os.fspath(folder)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if config.get("model_type") != "bert":
        raise UnsupportedError(
            f"{folder}: model_type {config.get('model_type')!r}; tensorpress runs BERT folders itself "
            "(for other models call tensorpress.capture.capture_torch on the module)")
    from .bert import Tokenizer, load_bert

    model = load_bert(folder)
    tokenizer = Tokenizer(folder)
    texts = datasets.sentences(os.fspath(text) if text else None, count=sentences)
    per_sentence = -(-max_tokens // len(texts)) if max_tokens else None
    return capture_torch(
        model, text_batches(tokenizer, texts), output, max_tokens=max_tokens, rows_per_batch=per_sentence,
        overwrite=overwrite,
        metadata={"model": os.path.abspath(folder), "text": os.path.abspath(os.fspath(text)) if text else "moby-dick",
                  "sentences": str(len(texts))})
