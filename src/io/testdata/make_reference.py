#!/usr/bin/env python3
"""Writes the reference GGUF and ONNX files that gguf_test.cc / onnx_test.cc read.

They are produced by the formats' own reference libraries, not by tensorpress:
  - gguf_reference.gguf: llama.cpp's `gguf` Python package (0.19.0) writes the file and quantizes
    with its own Q8_0/Q4_0/Q4_1/BF16 code; for each quantized tensor X it also stores X.ref, the
    package's own dequantization as F32, so the C++ reader's dequantization is checked against
    ggml's reference rather than against our reading of the spec.
  - onnx_reference/model.onnx (+ model.onnx.data): the `onnx` package (1.23) builds the model; each
    ext.X initializer lives in the external data file, and inline.X holds the same values encoded by
    onnx.helper.make_tensor in the typed protobuf fields (float16/bfloat16 bits and packed int4 in
    int32_data), so the reader's handling of both is checked against onnx's own encoder.
Run once:  python3 -m venv /tmp/v && /tmp/v/bin/pip install gguf==0.19.0 onnx==1.23.2 numpy
           /tmp/v/bin/python src/io/testdata/make_reference.py
"""
import os

import gguf
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def write_gguf():
    path = os.path.join(HERE, "gguf_reference.gguf")
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_string("general.name", "tensorpress reference")
    w.add_uint32("llama.block_count", 2)
    w.add_float32("llama.rope.freq_base", 10000.0)
    w.add_bool("flag", True)
    w.add_array("small", [1, 2, 3])
    w.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(20)])

    # numpy shapes are row-major; the gguf package stores them reversed (ne[0] = last).
    w.add_tensor("w.f32", (np.arange(24, dtype=np.float32) * 0.25 - 3).reshape(3, 8))
    w.add_tensor("w.f16", np.array([[1, -2, 0.5, 65504], [0, -0.25, 3, 7]], dtype=np.float16))
    w.add_tensor("w.i32", np.array([[-5, 0, 7]], dtype=np.int32))
    rng = np.random.default_rng(1234)
    x = rng.normal(0, 1, size=(2, 64)).astype(np.float32)
    for qtype in (gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_0,
                  gguf.GGMLQuantizationType.Q4_1, gguf.GGMLQuantizationType.BF16):
        q = gguf.quants.quantize(x, qtype)
        name = "w." + qtype.name.lower()
        w.add_tensor(name, q, raw_shape=q.shape if qtype == gguf.GGMLQuantizationType.BF16 else None,
                     raw_dtype=qtype)
        w.add_tensor(name + ".ref", gguf.quants.dequantize(q, qtype).astype(np.float32).reshape(x.shape))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_onnx():
    folder = os.path.join(HERE, "onnx_reference")
    os.makedirs(folder, exist_ok=True)
    f32 = (np.arange(12, dtype=np.float32) * 0.5 - 3).reshape(3, 4)
    f16 = np.array([1, -2, 0.5, 65504, -0.25], dtype=np.float16)
    bf16_vals = [1.0, -2.5, 0.15625, 256.0]  # exact in bfloat16
    i64 = np.array([[-(2**40), 3], [0, 2**62]], dtype=np.int64)
    i4 = [1, -2, 7, -8, 3]
    inits = [
        numpy_helper.from_array(f32, "ext.f32"),
        helper.make_tensor("inline.f32", TensorProto.FLOAT, f32.shape, f32.flatten().tolist()),
        numpy_helper.from_array(f16, "ext.f16"),
        helper.make_tensor("inline.f16", TensorProto.FLOAT16, f16.shape, f16),
        numpy_helper.from_array(i64, "ext.i64"),
        helper.make_tensor("inline.i64", TensorProto.INT64, i64.shape, i64.flatten().tolist()),
        helper.make_tensor("inline.bf16", TensorProto.BFLOAT16, [4], bf16_vals),
        helper.make_tensor("inline.i4", TensorProto.INT4, [5], i4),
    ]
    const = helper.make_node("Constant", [], ["const.out"],
                             value=numpy_helper.from_array(np.array([2.5, -1], dtype=np.float32)))
    add = helper.make_node("Add", ["ext.f32", "inline.f32"], ["y"])
    graph = helper.make_graph([const, add], "reference", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])], inits)
    model = helper.make_model(graph, producer_name="onnx-reference",
                              opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    for t in model.graph.initializer:
        if t.name.startswith("ext."):
            onnx.external_data_helper.set_external_data(t, location="model.onnx.data")
    onnx.save_model(model, os.path.join(folder, "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
    onnx.checker.check_model(os.path.join(folder, "model.onnx"))


write_gguf()
write_onnx()
