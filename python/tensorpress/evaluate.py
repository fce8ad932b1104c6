"""What a lossy setting does to a model's task metric, beside fp32.

MiniLM (sentence embeddings): each setting is applied to the PyTorch model
(tensorpress.bert) and scored on sentences of the shared corpus against the
fp32 model: the mean cosine similarity of each sentence's embedding to its
fp32 embedding, and top-1 retrieval agreement (for each sentence, is its
nearest other sentence the same one fp32 finds?).

Settings (weights = every Linear layer's weight, the GEMMs):
  fp32                 the reference
  f16, bf16            every float tensor rounded to 16 bits (as `compress --cast`)
  int8/int4-tensor     weights symmetric, one scale per tensor
  int8/int4-channel    weights symmetric, one scale per output channel
                       (quant.h's QuantizeWeightsSymmetric: s = max|w| / (2^(b-1) - 1))
  a8-asym              every Linear input asymmetric uint8, Panacea's activation path
  a8-zpm               ... with ZPM's zero point
  a8-zpm-dbs           ... with ZPM and DBS's LO-bit truncation
                       The scale, zero point and LO width of each layer are those
                       `tensorpress slices` chooses on the layer's inputs captured
                       from the same sentences (tensorpress.capture, up to
                       CALIBRATION_TOKENS tokens spread over them), and each
                       input is quantized by the C++ itself
                       (_core.panacea_round_trip, gemm.h
                       PanaceaActivationRoundTrip), so the error is the one
                       slices measures; the row also gives the 4-bit multiplies
                       the setting saves over dense slices (slices' count)
  astc-WxH             weights stored as ASTC by `tensorpress compress --astc WxH`
                       and decoded back (the container's own decode)
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

DEFAULT_SETTINGS = ("fp32", "f16", "bf16", "int8-tensor", "int8-channel", "int4-tensor", "int4-channel",
                    "a8-asym", "a8-zpm", "a8-zpm-dbs", "astc-6x6", "astc-8x8")
# The slices setting behind each Panacea activation setting.
PANACEA_SETTINGS = {"a8-asym": "asym", "a8-zpm": "zpm", "a8-zpm-dbs": "zpm_dbs"}
CALIBRATION_TOKENS = 2048


def _symmetric(w: "torch.Tensor", bits: int, per_channel: bool) -> "torch.Tensor":
    import torch

    qmax = float((1 << (bits - 1)) - 1)
    absmax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()
    s = absmax / qmax
    s = torch.where(s > 0, s, torch.ones_like(s))
    return torch.clamp(torch.round(w / s), -qmax, qmax) * s


def _linear_weights(model: Any) -> List[str]:
    import torch

    return [n + ".weight" for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]


def _apply_weights(model: Any, setting: str, folder: str, workdir: str) -> Dict[str, Any]:
    """Modifies the model's weights in place; returns what the setting stores."""
    import torch

    state = model.state_dict()
    linear = _linear_weights(model)
    n_linear = sum(state[k].numel() for k in linear)
    if setting in ("f16", "bf16"):
        dtype = torch.float16 if setting == "f16" else torch.bfloat16
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(dtype).float())
        return {"weight_bits": 16.0}
    if setting.startswith("int"):
        bits = int(setting[3:].split("-")[0])
        per_channel = setting.endswith("-channel")
        with torch.no_grad():
            for k in linear:
                state[k].copy_(_symmetric(state[k], bits, per_channel))
        rows = sum(state[k].shape[0] for k in linear) if per_channel else len(linear)
        return {"weight_bits": bits + 32.0 * rows / n_linear}  # scales counted as f32
    if setting.startswith("astc-"):
        from . import TpzReader, decompress, run_cli

        footprint = setting[5:]
        tpz = os.path.join(workdir, f"{setting}.tpz")
        globs = sum((["--astc-tensor", k] for k in linear), [])
        run_cli("compress", os.path.join(folder, "model.safetensors"), "-o", tpz, "--astc", footprint,
                *globs, "--force")
        lossy = {i["name"]: i["lossy"] for i in TpzReader(tpz).infos() if i["lossy"]}
        missing = [k for k in linear if k not in lossy]
        if missing:
            raise RuntimeError(f"{setting}: {len(missing)} Linear weights not stored as ASTC ({missing[0]}, ...)")
        back = decompress(tpz, torch=True)
        with torch.no_grad():
            for k in linear:
                state[k].copy_(back[k].reshape(state[k].shape))
        bits = sum(lossy[k]["bits_per_weight"] * state[k].numel() for k in linear) / n_linear
        return {"weight_bits": bits}
    raise ValueError(f"unknown setting {setting!r}")


def _panacea_calibration(folder: str, text: Optional[str], sentences: int, workdir: str) -> Dict[str, Any]:
    """`tensorpress slices --json` on MiniLM's Linear inputs captured from the
    evaluation's sentences (CALIBRATION_TOKENS tokens spread over them)."""
    from ._cli import slices
    from .capture import capture_hf_folder

    acts = os.path.join(workdir, "calibration.safetensors")
    if not os.path.exists(acts):
        capture_hf_folder(folder, acts, text=text, sentences=sentences, max_tokens=CALIBRATION_TOKENS,
                          overwrite=True)
    return slices(os.path.join(folder, "model.safetensors"), acts)


def _panacea_hooks(model: Any, report: Dict[str, Any], setting: str) -> Tuple[List[Any], Dict[str, Any]]:
    """Forward pre-hooks quantizing each Linear input with the scale, zero
    point and LO width slices chose for ``setting`` (asym, zpm, zpm_dbs), by
    the C++ round trip; and the setting's figures over all layers."""
    import torch

    from ._core import panacea_round_trip

    params: Dict[str, Tuple[float, int, int]] = {}
    mults = dense = 0
    for r in report["layers"]:
        a = r["activations"][setting]
        params[r["activation"][: -len(".input")]] = (a["scale"], a["zero_point"], a.get("lo_bits", 4))
        mults += a["multiplies"]
        dense += a["dense_multiplies"]

    def hook_for(scale: float, zero: int, lo_bits: int):
        def hook(_m, args):
            x = args[0]
            flat = x.detach().float().contiguous().cpu().numpy().reshape(-1)
            y = torch.from_numpy(panacea_round_trip(flat, scale, zero, lo_bits)).reshape(x.shape).to(x.dtype)
            return (y,) + tuple(args[1:])
        return hook

    # Layers the forward never reaches (BERT's pooler) have no inputs and stay as they are.
    hooks = [m.register_forward_pre_hook(hook_for(*params[n]))
             for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n in params]
    return hooks, {"activation_bits": 8, "layers_quantized": len(hooks),
                   "mults_saved": 1.0 - mults / dense if dense else 0.0}


def evaluate_minilm(folder: str, *, sentences: int = 256, settings: Sequence[str] = DEFAULT_SETTINGS,
                    text: Optional[str] = None, batch: int = 32) -> Dict[str, Any]:
    """Scores each setting on MiniLM; returns {'sentences', 'rows': [...]}."""
    import torch

    from . import datasets
    from .bert import Tokenizer, load_bert, sentence_embeddings

    texts = datasets.sentences(text, count=sentences)
    tok = Tokenizer(folder)
    batches = [tok.batch(texts[i:i + batch]) for i in range(0, len(texts), batch)]

    def embed_all(model):
        return torch.cat([sentence_embeddings(model, b) for b in batches])

    def top1(e):
        sim = e @ e.T
        sim.fill_diagonal_(-2.0)
        return sim.argmax(dim=1)

    reference = embed_all(load_bert(folder))
    ref_top1 = top1(reference)
    rows = []
    calibration: Optional[Dict[str, Any]] = None
    with tempfile.TemporaryDirectory(prefix="tp-evaluate.") as workdir:
        for setting in settings:
            model = load_bert(folder)
            info: Dict[str, Any] = {"weight_bits": 32.0}
            hooks = []
            if setting in PANACEA_SETTINGS:
                if calibration is None:
                    calibration = _panacea_calibration(folder, text, sentences, workdir)
                hooks, extra = _panacea_hooks(model, calibration, PANACEA_SETTINGS[setting])
                info.update(extra)
            elif setting != "fp32":
                info = _apply_weights(model, setting, folder, workdir)
            e = embed_all(model)
            for h in hooks:
                h.remove()
            cos = (e * reference).sum(dim=1)
            rows.append({
                "setting": setting,
                **info,
                "cosine_mean": float(cos.mean()),
                "cosine_min": float(cos.min()),
                "retrieval_top1_agreement": float((top1(e) == ref_top1).float().mean()),
            })
    return {"model": os.path.abspath(folder), "sentences": len(texts), "rows": rows}


def evaluate_shared(which: str, *, limit: Optional[int] = None, held_out: int = 0,
                    held_out_length: int = 128) -> Dict[str, Any]:
    """The shared MNIST CNN (``mnist``: top-1 on the shared digits) or
    stories260K (``stories``: next-token agreement and perplexity on its
    shared sequences) under every weight x activation setting, scored by the
    C++ `tensorpress evaluate --json` (src/eval/), with the 4-bit multiplies
    each Panacea/Sibia setting saves from `tensorpress slices --json` on the
    same calibration activations.

    ``held_out`` (stories only): also score that many sequences of
    ``held_out_length`` tokens sampled from the fp32 model (seeds 1..N), text
    the calibration never saw; each row then has a ``held_out`` dict with the
    same metrics. The shared data ships no tokenizer for stories260K, so
    held-out text cannot be the shared corpus."""
    from . import datasets
    from ._cli import _json, slices

    root = os.path.join(datasets.shared_dir(), "data")
    if which == "mnist":
        model = os.path.join(root, "models", "mnist-cnn", "mnist_cnn.safetensors")
        acts = os.path.join(root, "models", "mnist-cnn", "activations_first64.safetensors")
        digits = os.path.join(root, "datasets", "mnist-10k")
        extra = ["--images", os.path.join(digits, "images-idx3-ubyte.gz"),
                 "--labels", os.path.join(digits, "labels-idx1-ubyte.gz")]
        if limit:
            extra += ["--limit", str(limit)]
    elif which == "stories":
        model = os.path.join(root, "models", "stories260k", "stories260K.bin")
        acts = os.path.join(root, "models", "stories260k", "activations_4x128.safetensors")
        extra = ["--held-out", str(held_out), "--held-out-length", str(held_out_length)] if held_out else []
    else:
        raise ValueError(f"unknown shared model {which!r} (mnist or stories)")
    result = _json("evaluate", model, "--activations", acts, *extra, "--json")
    report = slices(model, acts)
    saved = {}
    for setting in ("asym", "zpm", "zpm_dbs", "sibia"):
        mults = sum(r["activations"][setting]["multiplies"] for r in report["layers"])
        dense = sum(r["activations"][setting]["dense_multiplies"] for r in report["layers"])
        saved[setting] = 1.0 - mults / dense if dense else 0.0
    result["mults_saved"] = saved
    result["which"] = which
    return result


def markdown_shared(result: Dict[str, Any]) -> str:
    """A table of `evaluate_shared`'s rows: setting -> metric, errors, multiplies saved."""
    # Held-out scores become columns of their own.
    rows = [{**{k: v for k, v in r.items() if k != "held_out"},
             **{f"held-out {k}": v for k, v in r.get("held_out", {}).items()
                if k in ("perplexity", "next_token_agreement")}} for r in result["rows"]]
    metrics = [k for k in ("top1", "agreement", "perplexity", "next_token_agreement", "ppl") if k in rows[0]]
    metrics += [k for k in rows[0] if k not in metrics and k not in (
        "weights", "activations", "weight_sqnr_db", "weight_rmse", "activation_sqnr_db", "activation_rmse")]
    if result["which"] == "mnist":
        title = f"MNIST CNN on the first {result.get('digits', '?')} shared digits"
    else:
        title = "stories260K on its 4 shared sequences of 128 tokens (against the fp32 model's logits)"
        held = result.get("held_out")
        if held:
            seeds = held["seeds"]
            title += (f" and on {held['sequences']} held-out sequences of {held['length']} tokens sampled from the "
                      f"fp32 model (seeds {seeds[0]}..{seeds[1]}; `held-out` columns), which the calibration never saw")
    lines = [f"{title}; {result['weight_bits']}-bit symmetric weights (float = fp32 weights); "
             "activation settings as `tensorpress slices` chooses them (float = fp32 activations).", "",
             "| weights | activations | weight SQNR dB | activation SQNR dB | " + " | ".join(metrics) +
             " | 4b multiplies saved |",
             "|---|---|---:|---:|" + "---:|" * len(metrics) + "---:|"]

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4f}"
        return str(v)

    for r in rows:
        saved = result["mults_saved"].get(r["activations"])
        lines.append(f"| {r['weights']} | {r['activations']} | {fmt(r['weight_sqnr_db'])} | "
                     f"{fmt(r['activation_sqnr_db'])} | " + " | ".join(fmt(r[m]) for m in metrics) +
                     f" | {'' if saved is None else f'{100 * saved:.1f}%'} |")
    return "\n".join(lines) + "\n"


def markdown(result: Dict[str, Any]) -> str:
    lines = [
        f"MiniLM (all-MiniLM-L6-v2) on {result['sentences']} Moby-Dick sentences; "
        "every metric against the fp32 model's embeddings.",
        "",
        "| setting | bits / Linear weight | activations | mean cosine to fp32 | min cosine | "
        "top-1 retrieval agreement | 4b multiplies saved |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        act = f"{r['activation_bits']}-bit" if "activation_bits" in r else "fp32"
        saved = f"{100 * r['mults_saved']:.1f}%" if "mults_saved" in r else ""
        lines.append(f"| {r['setting']} | {r['weight_bits']:.2f} | {act} | {r['cosine_mean']:.5f} | "
                     f"{r['cosine_min']:.5f} | {100 * r['retrieval_top1_agreement']:.1f}% | {saved} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m tensorpress evaluate",
                                description="Accuracy of each lossy setting on MiniLM against fp32.")
    p.add_argument("folder", help="MiniLM folder (config.json, tokenizer.json, model.safetensors)")
    p.add_argument("--sentences", type=int, default=256)
    p.add_argument("--setting", action="append", help=f"repeatable; default: {', '.join(DEFAULT_SETTINGS)}")
    p.add_argument("--text", help="text file (default: the shared Moby-Dick)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    p.add_argument("--shared", action="append", choices=("mnist", "stories"),
                   help="also score a shared model with the C++ evaluator (repeatable)")
    p.add_argument("--limit", type=int, help="--shared mnist: score only the first N digits (default all 10,000)")
    p.add_argument("--held-out", type=int, default=0,
                   help="--shared stories: also score N sequences sampled from the fp32 model (held out from the "
                        "calibration)")
    p.add_argument("--held-out-length", type=int, default=128, help="tokens per held-out sequence (default 128)")
    args = p.parse_args(argv)
    result = evaluate_minilm(args.folder, sentences=args.sentences, settings=args.setting or DEFAULT_SETTINGS,
                             text=args.text)
    shared = [evaluate_shared(w, limit=args.limit, held_out=args.held_out if w == "stories" else 0,
                              held_out_length=args.held_out_length) for w in (args.shared or [])]
    if args.json:
        print(json.dumps({"minilm": result, "shared": shared}, indent=2) if shared else json.dumps(result, indent=2))
    else:
        print("\n".join([markdown(result)] + [markdown_shared(r) for r in shared]), end="")
    return 0
