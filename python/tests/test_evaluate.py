"""tensorpress.evaluate's weight quantizer against hand-computed values, and one MiniLM run."""
import numpy as np
import pytest

from conftest import need
from test_capture import minilm_folder


def test_symmetric_weight_quantization_by_hand():
    torch = need("torch")
    from tensorpress.evaluate import _symmetric

    w = torch.tensor([[1.0, -0.3, 0.6], [1.0, 0.1, -4.0]])
    # 4 bits: qmax 7 (values chosen away from rounding ties).
    # Row 0: s = 1/7, w/s = 7, -2.1, 4.2 -> 7, -2, 4. Row 1: s = 4/7, w/s = 1.75, 0.175, -7 -> 2, 0, -7.
    want = np.array([[1.0, -2 / 7, 4 / 7], [8 / 7, 0.0, -4.0]], np.float32)
    np.testing.assert_allclose(_symmetric(w, 4, per_channel=True).numpy(), want, rtol=1e-6)
    # Per tensor: s = 4/7: row 0 -> 1.75, -0.525, 1.05 -> 2, -1, 1.
    want_t = np.array([[8 / 7, -4 / 7, 4 / 7], [8 / 7, 0.0, -4.0]], np.float32)
    np.testing.assert_allclose(_symmetric(w, 4, per_channel=False).numpy(), want_t, rtol=1e-6)


def test_minilm_settings_order_as_expected():
    need("torch")
    need("tokenizers")
    from tensorpress.evaluate import evaluate_minilm

    r = evaluate_minilm(minilm_folder(), sentences=24, settings=["fp32", "f16", "int8-channel", "int4-tensor"])
    rows = {x["setting"]: x for x in r["rows"]}
    assert rows["fp32"]["cosine_mean"] == pytest.approx(1.0, abs=1e-6)
    assert rows["fp32"]["retrieval_top1_agreement"] == 1.0
    assert rows["f16"]["cosine_mean"] > rows["int8-channel"]["cosine_mean"] > rows["int4-tensor"]["cosine_mean"]
    assert rows["int8-channel"]["weight_bits"] == pytest.approx(8 + 32 * (6 * (4 * 384 + 1536 + 384) + 384) /
                                                                 (6 * (4 * 384 * 384 + 2 * 384 * 1536) + 384 * 384))


def test_panacea_round_trip_is_the_error_slices_measures(mnist_cnn, mnist_acts):
    """The C++ round trip evaluate applies, fed slices' own scale, zero point
    and LO width, reproduces the RMSE slices reports for a dense layer (whose
    GEMM operand is the recorded input itself, not an im2col copy)."""
    import tensorpress as tp
    from tensorpress._core import panacea_round_trip

    report = tp.slices(mnist_cnn, mnist_acts)
    row = next(r for r in report["layers"] if r["activation"] == "dense_2.input")
    x = tp.read_model(mnist_acts)["dense_2.input"].numpy().astype(np.float32)
    for setting in ("asym", "zpm", "zpm_dbs"):
        a = row["activations"][setting]
        y = panacea_round_trip(np.ascontiguousarray(x).reshape(-1), a["scale"], a["zero_point"], a.get("lo_bits", 4))
        rmse = float(np.sqrt(np.mean((y.astype(np.float64) - x.reshape(-1)) ** 2)))
        assert rmse == pytest.approx(a["rmse"], rel=1e-5), setting


def test_minilm_panacea_settings_from_slices():
    need("torch")
    need("tokenizers")
    from tensorpress.evaluate import evaluate_minilm

    r = evaluate_minilm(minilm_folder(), sentences=12, settings=["a8-asym", "a8-zpm-dbs"])
    rows = {x["setting"]: x for x in r["rows"]}
    for row in rows.values():
        assert row["layers_quantized"] == 36  # every encoder Linear; the pooler never runs
    # DBS drops LO bits: more multiplies saved, more error.
    assert rows["a8-zpm-dbs"]["mults_saved"] > rows["a8-asym"]["mults_saved"] > 0
    assert rows["a8-asym"]["cosine_mean"] > rows["a8-zpm-dbs"]["cosine_mean"]


def test_shared_stories260k_through_the_cli():
    from tensorpress.evaluate import evaluate_shared, markdown_shared

    r = evaluate_shared("stories", held_out=2, held_out_length=32)
    rows = {(x["weights"], x["activations"]): x for x in r["rows"]}
    assert rows[("float", "float")]["next_token_agreement"] == pytest.approx(1.0)
    assert 0 < r["mults_saved"]["asym"] < r["mults_saved"]["zpm_dbs"] < 1
    # Held out: float reproduces the sampled sequences' own logits.
    assert rows[("float", "float")]["held_out"]["next_token_agreement"] == 1.0
    assert rows[("float", "float")]["held_out"]["predictions"] == 2 * 31
    assert rows[("tensor", "zpm_dbs")]["held_out"]["perplexity"] > rows[("float", "float")]["held_out"]["perplexity"]
    table = markdown_shared(r)
    assert "| channel | zpm_dbs |" in table
    assert "held-out perplexity | held-out next_token_agreement" in table
    assert "2 held-out sequences of 32 tokens" in table
