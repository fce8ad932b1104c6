#!/usr/bin/env python3
"""Writes the PyTorch checkpoints that src/io/pytorch_test.cc reads (run via scripts/pytorch-vectors).

Each X.pt is written by torch.save itself (Debian's python3-torch); X.expected.json lists, for every
tensor the file holds, the dotted name tensorpress should give it, its dtype, shape and values (as
PyTorch reads them back, flattened in C order), so the reader is checked against PyTorch's own
deserialisation rather than against our reading of the format.
"""
import collections
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16", torch.float64: "f64",
          torch.int8: "i8", torch.uint8: "u8", torch.int16: "i16", torch.int32: "i32", torch.int64: "i64",
          torch.bool: "bool"}


def flatten(obj, prefix=""):
    """The tensors of obj under the names tensorpress gives them (dicts and lists joined by dots)."""
    if isinstance(obj, torch.Tensor):
        yield (prefix or "tensor"), obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flatten(v, f"{prefix}.{i}" if prefix else str(i))


def save(name, obj, **kwargs):
    path = os.path.join(HERE, name + ".pt")
    torch.save(obj, path, **kwargs)
    back = torch.load(path)
    expected = []
    for key, t in flatten(back):
        values = t.detach().contiguous().reshape(-1)
        values = values.to(torch.float64) if t.dtype in (torch.float16, torch.bfloat16) else values
        expected.append({"name": key, "dtype": DTYPES[t.dtype], "shape": list(t.shape),
                         "contiguous": t.is_contiguous(), "values": values.tolist()})
    with open(os.path.join(HERE, name + ".expected.json"), "w") as f:
        json.dump(expected, f, indent=0)
        f.write("\n")


def main():
    torch.manual_seed(14)
    base = torch.randn(4, 6)
    embed = torch.randn(8, 4)
    sd = collections.OrderedDict()
    sd["weight.f32"] = base
    sd["weight.f16"] = torch.randn(5, 3).half()
    sd["weight.bf16"] = torch.randn(2, 7).bfloat16()
    sd["weight.f64"] = torch.randn(3).double()
    sd["codes.i8"] = torch.randint(-128, 128, (9,), dtype=torch.int8)
    sd["codes.u8"] = torch.randint(0, 256, (2, 2), dtype=torch.uint8)
    sd["codes.i16"] = torch.randint(-30000, 30000, (3,), dtype=torch.int16)
    sd["codes.i32"] = torch.randint(-2**31, 2**31 - 1, (3,), dtype=torch.int32)
    sd["steps.i64"] = torch.tensor([0, -1, 2**40, -2**62], dtype=torch.int64)
    sd["mask.bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["embed"] = embed
    sd["lm_head"] = embed                       # the same tensor twice (tied weights)
    sd["rows"] = base[1:3]                      # a plain slice: contiguous, at an offset
    sd["column"] = base[:, 2]                   # non-contiguous: copied
    sd["transposed"] = embed.t()                # non-contiguous: copied
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2))
    save("state_dict", sd)

    # A training checkpoint: a module's state_dict (OrderedDict with _metadata),
    # an optimizer's state (integer keys, lists) and plain values.
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    save("checkpoint", {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
                        "best": 0.25, "tag": "run-1"})
    save("legacy", collections.OrderedDict(a=torch.randn(3, 2), b=torch.arange(5), tied=embed,
                                           col=embed[:, 1]), _use_new_zipfile_serialization=False)
    save("protocol4", collections.OrderedDict(w=torch.randn(2, 3), b=torch.randn(3).half()),
         pickle_protocol=4)
    save("tensor", torch.arange(6, dtype=torch.int32).reshape(2, 3))
    print("torch", torch.__version__, "wrote", HERE, file=sys.stderr)


if __name__ == "__main__":
    main()
