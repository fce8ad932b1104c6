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
