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
  a8-asym              every Linear input asymmetric uint8 with a min/max range per
                       layer calibrated on the same sentences (quant.h's
                       AsymmetricU8Params / QuantizeU8: the base of Panacea's
                       activation path, before ZPM's zero-point move and DBS's
                       LO-bit truncation, which are not applied here)
  astc-WxH             weights stored as ASTC by `tensorpress compress --astc WxH`
                       and decoded back (the container's own decode)
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

DEFAULT_SETTINGS = ("fp32", "f16", "bf16", "int8-tensor", "int8-channel", "int4-tensor", "int4-channel",
                    "a8-asym", "astc-6x6", "astc-8x8")


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


def _activation_hooks(model: Any, batches: Sequence[Dict[str, Any]], embed) -> List[Any]:
    """a8-asym: calibrate each Linear input's min/max over the batches, then
    quantize it on every later forward."""
    import torch

    ranges: Dict[str, List[float]] = {}
    handles = []

    def observe(name):
        def hook(_m, args):
            x = args[0]
            lo, hi = float(x.min()), float(x.max())
            r = ranges.setdefault(name, [lo, hi])
            r[0], r[1] = min(r[0], lo), max(r[1], hi)
        return hook

    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for n, m in linears:
        handles.append(m.register_forward_pre_hook(observe(n)))
    for b in batches:
        embed(b)
    for h in handles:
        h.remove()

    def quantize(name):
        lo, hi = min(ranges[name][0], 0.0), max(ranges[name][1], 0.0)
        s = (hi - lo) / 255.0
        s = s if s > 0 else 1.0
        z = float(np.clip(np.rint(np.float32(-lo / s)), 0, 255))

        def hook(_m, args):
            x = args[0]
            q = torch.clamp(torch.round(x / s) + z, 0, 255)
            return (s * (q - z),) + tuple(args[1:])
        return hook

    # Layers the forward never reaches (BERT's pooler) have no range and stay as they are.
    return [m.register_forward_pre_hook(quantize(n)) for n, m in linears if n in ranges]


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
    with tempfile.TemporaryDirectory(prefix="tp-evaluate.") as workdir:
        for setting in settings:
            model = load_bert(folder)
            info: Dict[str, Any] = {"weight_bits": 32.0}
            hooks = []
            if setting == "a8-asym":
                hooks = _activation_hooks(model, batches, lambda b: sentence_embeddings(model, b))
                info["activation_bits"] = 8
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


def markdown(result: Dict[str, Any]) -> str:
    lines = [
        f"MiniLM (all-MiniLM-L6-v2) on {result['sentences']} Moby-Dick sentences; "
        "every metric against the fp32 model's embeddings.",
        "",
        "| setting | bits / Linear weight | activations | mean cosine to fp32 | min cosine | top-1 retrieval agreement |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in result["rows"]:
        act = f"{r['activation_bits']}-bit" if "activation_bits" in r else "fp32"
        lines.append(f"| {r['setting']} | {r['weight_bits']:.2f} | {act} | {r['cosine_mean']:.5f} | "
                     f"{r['cosine_min']:.5f} | {100 * r['retrieval_top1_agreement']:.1f}% |")
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
    args = p.parse_args(argv)
    result = evaluate_minilm(args.folder, sentences=args.sentences, settings=args.setting or DEFAULT_SETTINGS,
                             text=args.text)
    print(json.dumps(result, indent=2) if args.json else markdown(result), end="" if not args.json else "\n")
    return 0
