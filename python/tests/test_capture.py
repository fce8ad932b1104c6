"""Activation capture: the streamed writer, PyTorch hooks, onnxruntime, and the CLI verbs reading the result."""
import os

import numpy as np
import pytest

import tensorpress as tp
from conftest import need, shared
from tensorpress._stream import SafetensorsStream


def test_stream_concatenates_pieces_and_caps_rows(tmp_path):
    out = tmp_path / "a.safetensors"
    pieces = [np.arange(i * 12, i * 12 + 12, dtype=np.float32).reshape(3, 4) for i in range(4)]
    s = SafetensorsStream(str(out), max_rows=10)
    for p in pieces:
        s.append("x.input", p)
    s.append("ids", np.array([5, 6, 7], np.int64))
    shapes = s.close({"k": "v"})
    assert shapes == {"x.input": (10, 4), "ids": (3,)}
    m = tp.read_model(out)
    np.testing.assert_array_equal(m["x.input"].numpy(), np.concatenate(pieces)[:10])
    np.testing.assert_array_equal(m["ids"].numpy(), [5, 6, 7])
    assert m.metadata == {"k": "v"}
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tp-capture")] == []  # spills removed


def test_stream_rejects_a_piece_that_does_not_continue(tmp_path):
    s = SafetensorsStream(str(tmp_path / "a.safetensors"))
    s.append("x", np.zeros((2, 4), np.float32))
    with pytest.raises(tp.InvalidArgumentError, match="does not continue"):
        s.append("x", np.zeros((2, 5), np.float32))
    s.abort()
    assert not (tmp_path / "a.safetensors").exists()
    (tmp_path / "b.safetensors").write_bytes(b"keep")
    with pytest.raises(tp.AlreadyExistsError):
        SafetensorsStream(str(tmp_path / "b.safetensors"))


def _mlp(torch):
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(12, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8)).eval()


def test_torch_hooks_record_each_layer_input(tmp_path):
    torch = need("torch")
    from tensorpress.capture import capture_torch

    net = _mlp(torch)
    xs = [torch.randn(5, 3, 12) for _ in range(4)]  # [batch, tokens, features]: 15 tokens a batch
    shapes = capture_torch(net, xs, tmp_path / "acts.safetensors", max_tokens=40)
    assert shapes == {"0.input": (40, 12), "2.input": (40, 32)}
    m = tp.read_model(tmp_path / "acts.safetensors")
    x = torch.cat([b.reshape(-1, 12) for b in xs])[:40]
    np.testing.assert_array_equal(m["0.input"].numpy(), x.numpy())
    with torch.no_grad():
        hidden = torch.relu(x @ net[0].weight.T + net[0].bias)  # the second layer's input, computed apart
    np.testing.assert_allclose(m["2.input"].numpy(), hidden.numpy(), rtol=1e-6, atol=1e-6)
    for name in m.names():  # every input names a weight of the state dict
        assert name[: -len(".input")] + ".weight" in net.state_dict()


def test_torch_conv_and_embedding_inputs(tmp_path):
    torch = need("torch")
    from tensorpress.capture import capture_torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(50, 6)
            self.conv1 = torch.nn.Conv1d(6, 4, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(1, 2, 3, stride=2)

        def forward(self, ids, image):
            return self.conv1(self.emb(ids).transpose(1, 2)).sum() + self.conv2(image).sum()

    batches = [(torch.randint(0, 50, (2, 7)), torch.randn(2, 1, 9, 9)) for _ in range(3)]
    shapes = capture_torch(Net(), batches, tmp_path / "a.safetensors", max_samples=5)
    assert shapes == {"emb.input": (42,), "conv1.input": (5, 6, 7), "conv2.input": (5, 1, 9, 9)}
    m = tp.read_model(tmp_path / "a.safetensors")
    assert m["emb.input"].dtype == "i64"
    np.testing.assert_array_equal(m["emb.input"].numpy(), torch.cat([b[0].reshape(-1) for b in batches]).numpy())


def test_captured_torch_model_feeds_slices_and_simulate(tmp_path):
    torch = need("torch")
    from tensorpress.capture import capture_torch

    net = _mlp(torch)
    tp.save_safetensors(net.state_dict(), tmp_path / "w.safetensors")
    capture_torch(net, [torch.randn(64, 12)], tmp_path / "a.safetensors")
    report = tp.slices(tmp_path / "w.safetensors", tmp_path / "a.safetensors")
    assert sorted(r["layer"] for r in report["layers"]) == ["0", "2"]
    # Linear(12, 32) on 64 rows: W 32 x 12 times X 12 x 64.
    row = next(r for r in report["layers"] if r["layer"] == "0")
    assert (row["m"], row["k"], row["n"]) == (32, 12, 64)
    sim = tp.simulate(tmp_path / "w.safetensors", tmp_path / "a.safetensors", arch="sa-ws,panacea")
    assert len(sim["layers"]) == 2


def test_onnx_capture_matches_torch(tmp_path):
    torch = need("torch")
    need("onnx")
    need("onnxruntime")
    from tensorpress.capture import capture_onnx, capture_torch

    net = _mlp(torch)
    torch.onnx.export(net, torch.randn(1, 12), str(tmp_path / "m.onnx"), input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    xs = [np.random.default_rng(i).standard_normal((6, 12)).astype(np.float32) for i in range(3)]
    shapes = capture_onnx(tmp_path / "m.onnx", [{"x": x} for x in xs], tmp_path / "onnx.safetensors")
    assert len(shapes) == 2 and all(s[0] == 18 for s in shapes.values())
    capture_torch(net, [torch.from_numpy(x) for x in xs], tmp_path / "torch.safetensors")
    got = {n: t.numpy() for n, t in ((t.name, t) for t in tp.read_model(tmp_path / "onnx.safetensors"))}
    want = tp.read_model(tmp_path / "torch.safetensors")
    # torch's exporter keeps Gemm weight names ('0.weight'), so names agree.
    for t in want:
        np.testing.assert_allclose(got[t.name], t.numpy(), rtol=1e-5, atol=1e-5)


def minilm_folder():
    """The MiniLM folder scripts/fetch-model fills (scripts/test fetches it
    and sets TP_MINILM, making the MiniLM tests mandatory there)."""
    folder = os.environ.get("TP_MINILM") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tensorpress", "all-minilm-l6-v2")
    if not all(os.path.exists(os.path.join(folder, f)) for f in ("config.json", "tokenizer.json", "model.safetensors")):
        if os.environ.get("TP_MINILM"):
            pytest.fail(f"TP_MINILM={folder} lacks config.json, tokenizer.json or model.safetensors")
        pytest.skip("MiniLM not fetched (scripts/fetch-model)")
    return folder


def test_minilm_embeddings_rank_a_paraphrase_first():
    torch = need("torch")
    need("tokenizers")
    from tensorpress.bert import Tokenizer, load_bert, sentence_embeddings

    folder = minilm_folder()
    model, tok = load_bert(folder), Tokenizer(folder)
    texts = ["The whale swam under the ship.", "A large whale was swimming beneath the boat.",
             "Interest rates rose again this quarter."]
    e = sentence_embeddings(model, tok.batch(texts))
    assert torch.allclose(e.norm(dim=-1), torch.ones(3), atol=1e-5)
    sim = e @ e.T
    assert sim[0, 1] > 0.5 > sim[0, 2]  # paraphrase close, unrelated far
    # Padding must not change a sentence's embedding (the mask works).
    alone = sentence_embeddings(model, tok.batch(texts[:1]))
    assert torch.allclose(alone[0], e[0], atol=1e-5)


def test_minilm_capture_feeds_every_linear_layer(tmp_path):
    need("torch")
    need("tokenizers")
    from tensorpress.capture import capture_hf_folder

    folder = minilm_folder()
    text = tmp_path / "t.txt"
    text.write_text("Call me Ishmael and listen to the story of the white whale. " * 4 +
                    "It is a way I have of driving off the spleen and regulating the circulation. " * 4)
    shapes = capture_hf_folder(folder, tmp_path / "a.safetensors", text=text, sentences=8, max_tokens=64)
    report = tp.slices(os.path.join(folder, "model.safetensors"), tmp_path / "a.safetensors")
    layers = {r["layer"] for r in report["layers"]}
    assert len(layers) == 36  # 6 encoder layers x (query, key, value, attention out, intermediate, output)
    assert all(r["n"] == 64 for r in report["layers"])
    assert shapes["encoder.layer.0.intermediate.dense.input"] == (64, 384)


def test_onnx_export_of_minilm_every_gemm_found_from_the_graph(tmp_path):
    """The issue's case: torch's ONNX export names MiniLM's Linear weights
    onnx::MatMul_* (transposed); pairing by the graph still finds all 36."""
    torch = need("torch")
    need("onnx")
    need("onnxruntime")
    need("tokenizers")
    from tensorpress.bert import Tokenizer, load_bert
    from tensorpress.capture import capture_onnx

    folder = minilm_folder()
    model, tok = load_bert(folder), Tokenizer(folder)
    ids = tok.batch(["Call me Ishmael."])["input_ids"]
    torch.onnx.export(model, (ids,), str(tmp_path / "minilm.onnx"), input_names=["input_ids"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}}, opset_version=14)
    import onnx

    names = [i.name for i in onnx.load(str(tmp_path / "minilm.onnx")).graph.initializer]
    assert any(n.startswith("onnx::MatMul") for n in names)  # the names that defeat matching by name
    texts = ["Call me Ishmael.", "It is a way I have of driving off the spleen and regulating the circulation."]
    feeds = [{"input_ids": tok.batch([t])["input_ids"].numpy()} for t in texts]
    capture_onnx(tmp_path / "minilm.onnx", feeds, tmp_path / "acts.safetensors",
                 weights_output=tmp_path / "w.safetensors")
    report = tp.slices(tmp_path / "w.safetensors", tmp_path / "acts.safetensors")
    assert len(report["layers"]) == 36
    # The C++ reads the GEMMs from the .onnx graph itself: no weights file needed.
    direct = tp.slices(tmp_path / "minilm.onnx", tmp_path / "acts.safetensors")
    assert len(direct["layers"]) == 36
    assert {r["weight"] for r in direct["layers"]} == {r["layer"] for r in report["layers"]}  # onnx::MatMul_*
    assert all(r["layer"].endswith("/MatMul") for r in direct["layers"])
    # The weights taken from the graph are the PyTorch ones, back in [out, in].
    exported = tp.read_model(tmp_path / "w.safetensors")
    torch_weights = {k: v.numpy() for k, v in model.state_dict().items() if k.endswith(".weight")}
    matched = 0
    for t in exported:
        w = t.numpy()
        if any(v.shape == w.shape and np.array_equal(v, w) for v in torch_weights.values()):
            matched += 1
    assert matched == 36


def _tflite_runtime():
    """ai-edge-litert or tflite-runtime, whichever scripts/test installed."""
    try:
        import ai_edge_litert  # noqa: F401
        return
    except ImportError:
        need("tflite_runtime")


def test_tflite_capture_dscnn_matches_the_graph(tmp_path):
    """DS-CNN (MLPerf Tiny keyword spotting): every CONV_2D, DEPTHWISE_CONV_2D
    and FULLY_CONNECTED input captured under its graph tensor's name, and the
    C++ finds the same ops in the graph: the 10x4 stride-2 SAME stem turns
    49x10 into 25x5 = 125 rows per sample."""
    _tflite_runtime()
    from tensorpress.capture import capture_tflite

    model = shared("data/models/mlperf-tiny/dscnn_kws_float32.tflite")
    shapes = capture_tflite(model, None, tmp_path / "a.safetensors", max_samples=4)
    assert len(shapes) == 10
    assert shapes["input_1"] == (4, 49, 10, 1)
    assert sum(1 for s in shapes.values() if s == (4, 25, 5, 64)) == 8
    sim = tp.simulate(model, tmp_path / "a.safetensors", arch="sa-ws,panacea")
    assert len(sim["layers"]) == 10
    assert all(r["m_source"] == "activations" for r in sim["layers"])
    stem = next(r for r in sim["layers"] if r["k"] == 40)
    assert stem["m"] == 4 * 125 and stem["n"] == 64
    # Slices: every GEMM, the four depthwise convolutions as 64 one-channel GEMMs each.
    report = tp.slices(model, tmp_path / "a.safetensors")
    assert len(report["layers"]) == 10
    assert next(r for r in report["layers"] if r["k"] == 40)["n"] == 4 * 125
    depthwise = [r for r in report["layers"] if r["groups"] > 1]
    assert len(depthwise) == 4
    for r in depthwise:
        assert (r["groups"], r["m"], r["k"], r["n"]) == (64, 64, 9, 4 * 125)
        # 64 GEMMs of 1 x 9 x 500: a 4-lane weight block (one real row) of two
        # SBR slices times 125 token blocks of two slices, 16 multiplies each.
        assert r["activations"]["asym"]["dense_multiplies"] == 64 * 9 * 2 * (125 * 2) * 16
