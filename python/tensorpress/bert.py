"""A minimal BERT encoder in PyTorch whose parameter names are Hugging Face's.

Enough to run sentence-transformers models such as all-MiniLM-L6-v2 from a
folder holding ``config.json``, ``tokenizer.json`` and ``model.safetensors``
without the transformers package: the state dict loads strictly (every name
and shape must match), so a captured layer input ``P.input`` matches the
weight ``P.weight`` of the same file. Dropout is omitted (inference only).
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import nn

from ._api import read_model
from ._core import UnsupportedError


class _SelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask_bias
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)


class _Output(nn.Module):
    """dense -> residual add -> LayerNorm (BertSelfOutput and BertOutput)."""

    def __init__(self, inner: int, hidden: int, eps: float):
        super().__init__()
        self.dense = nn.Linear(inner, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, eps: float):
        super().__init__()
        self.self = _SelfAttention(hidden, heads)
        self.output = _Output(hidden, hidden, eps)

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, mask_bias), x)


class _Intermediate(nn.Module):
    def __init__(self, hidden: int, inner: int):
        super().__init__()
        self.dense = nn.Linear(hidden, inner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.gelu(self.dense(x))  # BERT's erf GELU


class _Layer(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        eps = c.get("layer_norm_eps", 1e-12)
        self.attention = _Attention(c["hidden_size"], c["num_attention_heads"], eps)
        self.intermediate = _Intermediate(c["hidden_size"], c["intermediate_size"])
        self.output = _Output(c["intermediate_size"], c["hidden_size"], eps)

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class _Embeddings(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.LayerNorm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).unsqueeze(0))

    def forward(self, ids: torch.Tensor, token_types: torch.Tensor) -> torch.Tensor:
        pos = self.position_ids[:, : ids.shape[1]]
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)
                              + self.token_type_embeddings(token_types))


class _Encoder(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c["num_hidden_layers"]))


class _Pooler(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)


class BertModel(nn.Module):
    """forward(input_ids, attention_mask=None) -> last hidden states [batch, tokens, hidden]."""

    def __init__(self, config: Dict[str, Any], pooler: bool = True):
        super().__init__()
        if config.get("model_type", "bert") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
            raise UnsupportedError("tensorpress.bert runs BERT models with absolute positions only")
        if config.get("hidden_act", "gelu") != "gelu":
            raise UnsupportedError(f"hidden_act {config.get('hidden_act')!r}: only 'gelu' is implemented")
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)
        if pooler:
            self.pooler = _Pooler(config["hidden_size"])

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, torch.zeros_like(input_ids))
        for layer in self.encoder.layer:
            x = layer(x, mask_bias)
        return x


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """A safetensors (or any tensorpress-readable) file as a torch state dict."""
    return {t.name: torch.from_numpy(np.array(t.numpy())) for t in read_model(path)}


def load_bert(folder: str) -> BertModel:
    """BertModel from a Hugging Face folder (config.json + model.safetensors), strictly loaded."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    state = load_state_dict(os.path.join(folder, "model.safetensors"))
    state = {k[5:] if k.startswith("bert.") else k: v for k, v in state.items()}
    model = BertModel(config, pooler=any(k.startswith("pooler.") for k in state))
    model.load_state_dict(state, strict=True)
    return model.eval()


class Tokenizer:
    """tokenizer.json through the `tokenizers` package, truncating to max_length."""

    def __init__(self, folder: str, max_length: int = 128):
        from tokenizers import Tokenizer as _Tok

        self._tok = _Tok.from_file(os.path.join(folder, "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)

    def ids(self, text: str) -> List[int]:
        return self._tok.encode(text).ids

    def batch(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Padded input_ids and attention_mask for a list of texts."""
        rows = [self.ids(t) for t in texts]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        return {"input_ids": ids, "attention_mask": mask}


def sentence_embeddings(model: BertModel, batch: Dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean of the token states under the mask, L2-normalised (sentence-transformers' pooling)."""
    with torch.no_grad():
        h = model(batch["input_ids"], batch["attention_mask"])
    m = batch["attention_mask"].unsqueeze(-1).float()
    e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return nn.functional.normalize(e, dim=-1)
