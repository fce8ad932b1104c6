"""The package's in-process API: read_model, compress/decompress, TpzReader, errors."""
import gc
import json
import os
import struct

import numpy as np
import pytest

import tensorpress as tp
from conftest import need


def parse_safetensors(path):
    """An independent reader (the format's spec: u64 header size, JSON
    header, raw little-endian data) to check the library's views against."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    kinds = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1", "I8": "i1"}
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a:8 + n + b], dtype=kinds[h["dtype"]]).reshape(h["shape"])
    return out


def test_read_model_views_match_an_independent_parse(mnist_cnn):
    model = tp.read_model(mnist_cnn)
    assert model.format == "safetensors"
    expected = parse_safetensors(mnist_cnn)
    assert sorted(model.names()) == sorted(expected)
    assert sum(t.elements for t in model) == 1_199_882  # the shared README's parameter count
    for t in model:
        a = t.numpy()
        assert a.shape == expected[t.name].shape == t.shape
        assert a.dtype == np.float32 and t.dtype == "f32"
        np.testing.assert_array_equal(a, expected[t.name])


def test_numpy_is_a_read_only_view_that_outlives_the_model(mnist_cnn):
    model = tp.read_model(mnist_cnn)
    name = model.names()[0]
    a, b = model[name].numpy(), model[name].numpy()
    assert np.shares_memory(a, b)  # both view the mapping: no copy
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[...] = 0
    copy = np.array(a)
    del model, b
    gc.collect()
    np.testing.assert_array_equal(a, copy)  # the capsule keeps the mapping alive


def test_missing_tensor_name_is_not_found(mnist_cnn):
    with pytest.raises(tp.NotFoundError, match="no tensor named 'nope'"):
        tp.read_model(mnist_cnn)["nope"]


def test_dict_round_trip_every_numpy_dtype(tmp_path):
    rng = np.random.default_rng(7)
    tensors = {
        "f64": rng.standard_normal((3, 5)),
        "f32": rng.standard_normal((64, 33)).astype(np.float32),
        "f16": rng.standard_normal((17,)).astype(np.float16),
        "i64": rng.integers(-2**40, 2**40, (9,)),
        "i32": rng.integers(-1000, 1000, (4, 4), dtype=np.int32),
        "i16": rng.integers(-300, 300, (11,), dtype=np.int16),
        "i8": rng.integers(-128, 128, (2, 3, 4), dtype=np.int8),
        "u8": rng.integers(0, 256, (100,), dtype=np.uint8),
        "u16": rng.integers(0, 65536, (7,), dtype=np.uint16),
        "bool": rng.random(13) > 0.5,
        "scalar": np.float32(3.5),
        "strided": rng.standard_normal((8, 8)).astype(np.float32)[:, ::2],  # made contiguous
    }
    out = tmp_path / "d.tpz"
    report = tp.compress(tensors, out, metadata={"source": "test"})
    assert report["file_bytes"] == os.path.getsize(out)
    assert [t["name"] for t in report["tensors"]] == list(tensors)
    back = tp.decompress(out)
    assert list(back) == list(tensors)
    for name, value in tensors.items():
        want = np.asarray(value)
        assert back[name].dtype == want.dtype, name
        np.testing.assert_array_equal(back[name], want, err_msg=name)
    assert tp.TpzReader(out).metadata == {"source": "test"}


def test_model_file_to_tpz_and_random_access(mnist_cnn, tmp_path):
    out = tmp_path / "m.tpz"
    report = tp.compress(mnist_cnn, out, codec="atalanta", layout="fields", chunk=4096)
    assert all(t["layout"] == "fields" for t in report["tensors"])
    assert report["file_bytes"] < sum(t["bytes"] for t in report["tensors"])  # it compresses
    model = tp.read_model(mnist_cnn)
    reader = tp.TpzReader(out)
    assert reader.names() == model.names()
    for t in model:
        np.testing.assert_array_equal(reader[t.name], t.numpy())
    big = max(model, key=lambda t: t.elements)
    flat = big.numpy().reshape(-1)
    part = reader.read_elements(big.name, 100_000, 5_000)  # crosses chunk boundaries
    np.testing.assert_array_equal(part, flat[100_000:105_000])
    info = {i["name"]: i for i in reader.infos()}[big.name]
    assert info["shape"] == big.shape and info["elements"] == big.elements and info["lossy"] is None
    with pytest.raises(tp.InvalidArgumentError):
        reader.read_elements(big.name, big.elements - 1, 2)


def test_decompress_to_safetensors(mnist_cnn, tmp_path):
    tp.compress(mnist_cnn, tmp_path / "m.tpz")
    path = tp.decompress(tmp_path / "m.tpz", tmp_path / "m.safetensors")
    expected = parse_safetensors(mnist_cnn)
    got = parse_safetensors(path)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])


def test_torch_state_dict_round_trip_keeps_bf16(tmp_path):
    torch = need("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    state = dict(net.state_dict())
    state["bf16"] = torch.randn(5, 3).to(torch.bfloat16)
    state["half"] = torch.randn(6).half()
    tp.compress(state, tmp_path / "s.tpz")
    assert tp.TpzReader(tmp_path / "s.tpz").read("bf16").dtype == "bf16"
    back = tp.decompress(tmp_path / "s.tpz", torch=True)
    for name, value in state.items():
        assert back[name].dtype == value.dtype, name
        assert torch.equal(back[name], value), name
    net2 = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    net2.load_state_dict({k: v for k, v in back.items() if k not in ("bf16", "half")})
    x = torch.randn(2, 16)
    assert torch.equal(net(x), net2(x))


def test_bf16_numpy_needs_an_explicit_conversion(tmp_path):
    bits = np.array([0x3F80, 0xC000, 0x0000], dtype=np.uint16).view(np.int16)  # 1.0, -2.0, 0.0 in bf16
    tp._core.write_tpz(str(tmp_path / "b.tpz"), [("b", "bf16", [3], bits)], {})
    t = tp.TpzReader(tmp_path / "b.tpz").read("b")
    with pytest.raises(tp.UnsupportedError, match="bf16"):
        t.numpy()
    np.testing.assert_array_equal(t.to_f32(), np.array([1.0, -2.0, 0.0], np.float32))
    np.testing.assert_array_equal(t.raw().view(np.int16), bits)


def test_errors_carry_the_one_line_message(mnist_cnn, tmp_path):
    blob = bytearray(open(mnist_cnn, "rb").read())
    bad = tmp_path / "truncated.safetensors"
    bad.write_bytes(bytes(blob[:1000]))
    with pytest.raises(tp.CorruptDataError) as e:
        tp.read_model(bad)
    assert str(bad) in str(e.value) and "\n" not in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, tp.TensorpressError)

    with pytest.raises(tp.NotFoundError):
        tp.read_model(tmp_path / "absent.safetensors")

    tp.compress({"x": np.arange(50000, dtype=np.float32)}, tmp_path / "x.tpz")
    with pytest.raises(tp.AlreadyExistsError):
        tp.compress({"x": np.zeros(3, np.float32)}, tmp_path / "x.tpz")
    tp.compress({"x": np.zeros(3, np.float32)}, tmp_path / "x.tpz", overwrite=True)
    with pytest.raises(tp.InvalidArgumentError, match="unknown codec"):
        tp.compress({"x": np.zeros(3, np.float32)}, tmp_path / "y.tpz", codec="nope")

    # Damage the last byte of data: the chunk checksum names the tensor.
    tp.compress({"w": np.arange(50000, dtype=np.float32)}, tmp_path / "w.tpz", codec="zstd-3")
    data = bytearray((tmp_path / "w.tpz").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "w.tpz").write_bytes(bytes(data))
    with pytest.raises(tp.CorruptDataError, match="'w'") as e:
        tp.decompress(tmp_path / "w.tpz")
    assert "\n" not in str(e.value)


def test_unsupported_numpy_dtype(tmp_path):
    with pytest.raises(tp.UnsupportedError, match="complex"):
        tp.compress({"c": np.zeros(3, np.complex64)}, tmp_path / "c.tpz")
