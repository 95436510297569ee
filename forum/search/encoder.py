"""Sentence embeddings of all-MiniLM-L6-v2 in numpy: no torch at run time.

The model is a 6-layer BERT; sentence-transformers runs it, then takes the
mean of the token vectors (padding excluded) and scales it to unit length
(its modules.json: Transformer, Pooling(mean), Normalize). This module does
the same forward pass with float32 numpy arrays, from the files of the model's
folder: tokenizer.json (read by the Rust ``tokenizers`` package),
model.safetensors, config.json and sentence_bert_config.json.
``tests/test_encoder.py`` compares its vectors with sentence-transformers'.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

# What a model folder must hold for `Encoder.load`.
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "sentence_bert_config.json",
)

Array = np.ndarray


class ModelMissing(Exception):
    """The model's folder lacks a file, or a file cannot be read."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(
            f"sentence model not usable at {folder}: {reason} "
            "(install it with `flask --app forum search model install`)"
        )
        self.folder = folder
        self.reason = reason


def model_files_present(folder: str | Path) -> bool:
    """True when ``folder`` holds every file the encoder reads."""
    return all((Path(folder) / name).is_file() for name in MODEL_FILES)


# erf as a rational function of x (odd over even polynomial), the float32
# approximation of Eigen and XLA: exact to a few float32 ulps on [-4, 4], and
# +-1 beyond. numpy has no erf, and BERT's GELU is the erf form, not tanh's.
_ERF_NUM = [
    np.float32(c)
    for c in (
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    )
]
_ERF_DEN = [
    np.float32(c)
    for c in (
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    )
]


def _erf(x: Array) -> Array:
    """The error function of a float32 array."""
    x = np.clip(x, -4.0, 4.0)
    x2 = x * x
    num = np.full_like(x, _ERF_NUM[0])
    for c in _ERF_NUM[1:]:
        num *= x2
        num += c
    num *= x
    den = np.full_like(x, _ERF_DEN[0])
    for c in _ERF_DEN[1:]:
        den *= x2
        den += c
    return num / den


def _gelu(x: Array) -> Array:
    """GELU in its exact (erf) form, as BERT's "gelu"."""
    return x * (np.float32(0.5) * (np.float32(1.0) + _erf(x * np.float32(0.5**0.5))))


def _layer_norm(x: Array, gain: Array, bias: Array, eps: float) -> Array:
    """LayerNorm over the last axis."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * gain + bias


@dataclass(frozen=True)
class _Layer:
    """One transformer layer's weights, dense ones transposed for ``x @ w``."""

    qkv: Array  # (hidden, 3 * hidden): query, key and value side by side
    qkv_bias: Array
    out: Array
    out_bias: Array
    norm1: tuple[Array, Array]
    up: Array
    up_bias: Array
    down: Array
    down_bias: Array
    norm2: tuple[Array, Array]


class Encoder:
    """all-MiniLM-L6-v2 (or a BERT model of the same shape) as numpy arrays."""

    def __init__(self, folder: Path) -> None:
        """Read the model in ``folder``; raise ModelMissing when it cannot."""
        if not model_files_present(folder):
            missing = [n for n in MODEL_FILES if not (folder / n).is_file()]
            raise ModelMissing(folder, f"missing {', '.join(missing)}")
        try:
            config = json.loads((folder / "config.json").read_text())
            st_config = json.loads((folder / "sentence_bert_config.json").read_text())
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            weights = load_file(str(folder / "model.safetensors"))
        except Exception as error:  # OSError, JSON, tokenizers' and safetensors'
            raise ModelMissing(folder, f"unreadable: {error}") from error
        activation = config.get("hidden_act")
        if activation != "gelu":
            raise ModelMissing(folder, f"unsupported activation {activation!r}")
        self.name = folder.name
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._hidden = int(config["hidden_size"])
        self._max_length = min(
            int(st_config["max_seq_length"]), int(config["max_position_embeddings"])
        )
        # tokenizer.json pads and truncates to 128: batches pad themselves here.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self._max_length)
        try:
            self._load_weights(weights, int(config["num_hidden_layers"]))
        except (KeyError, ValueError) as error:
            raise ModelMissing(folder, f"unexpected weights: {error}") from error

    def token_count(self, text: str) -> int:
        """How many word pieces the model reads of ``text`` (capped)."""
        return len(self._tokenizer.encode(text).ids)

    @classmethod
    def load(cls, folder: str | Path) -> Encoder:
        """The encoder of the model in ``folder`` (raises ModelMissing)."""
        return cls(Path(folder))

    def _load_weights(self, raw: dict[str, Array], layers: int) -> None:
        """Keep the weights as contiguous float32, dense ones transposed."""
        weights = {k.removeprefix("bert."): v for k, v in raw.items()}

        def get(name: str) -> Array:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        def dense(name: str) -> Array:
            return np.ascontiguousarray(weights[name + ".weight"].T, dtype=np.float32)

        self._words = get("embeddings.word_embeddings.weight")
        self._positions = get("embeddings.position_embeddings.weight")
        # token_type_ids are all 0: add type 0's vector to every token.
        self._type0 = get("embeddings.token_type_embeddings.weight")[0]
        self._norm = (
            get("embeddings.LayerNorm.weight"),
            get("embeddings.LayerNorm.bias"),
        )
        self._layers = []
        for i in range(layers):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            qkv = [dense(att + part) for part in ("query", "key", "value")]
            qkv_bias = [get(att + part + ".bias") for part in ("query", "key", "value")]
            self._layers.append(
                _Layer(
                    qkv=np.ascontiguousarray(np.concatenate(qkv, axis=1)),
                    qkv_bias=np.concatenate(qkv_bias),
                    out=dense(p + "attention.output.dense"),
                    out_bias=get(p + "attention.output.dense.bias"),
                    norm1=(
                        get(p + "attention.output.LayerNorm.weight"),
                        get(p + "attention.output.LayerNorm.bias"),
                    ),
                    up=dense(p + "intermediate.dense"),
                    up_bias=get(p + "intermediate.dense.bias"),
                    down=dense(p + "output.dense"),
                    down_bias=get(p + "output.dense.bias"),
                    norm2=(
                        get(p + "output.LayerNorm.weight"),
                        get(p + "output.LayerNorm.bias"),
                    ),
                )
            )
        if self._words.shape[1] != self._hidden:
            raise ValueError(f"embedding width {self._words.shape[1]}")

    @property
    def dimensions(self) -> int:
        """The length of each vector (384)."""
        return self._hidden

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Array:
        """Unit-length float32 vectors, one row per text, in the input's order."""
        out = np.zeros((len(texts), self._hidden), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Texts of similar length share a batch, so little of it is padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = len(ids[chunk[-1]])
            tokens = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                tokens[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1.0
            out[chunk] = self._forward(tokens, mask)
        return out

    def _forward(self, tokens: Array, mask: Array) -> Array:
        """Pooled, normalised vectors of a padded batch of token ids."""
        batch, width = tokens.shape
        hidden, heads = self._hidden, self._heads
        size = hidden // heads
        x = self._words[tokens] + self._positions[:width] + self._type0
        x = _layer_norm(x, *self._norm, self._eps).reshape(batch * width, hidden)
        # Padding gets the most negative float added before the softmax, as
        # transformers does: its weight becomes exactly 0.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self._layers:
            qkv = np.matmul(x, layer.qkv) + layer.qkv_bias
            qkv = qkv.reshape(batch, width, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores, v).transpose(0, 2, 1, 3)
            context = context.reshape(batch * width, hidden)
            attended = np.matmul(context, layer.out) + layer.out_bias + x
            x = _layer_norm(attended, *layer.norm1, self._eps)
            inner = _gelu(np.matmul(x, layer.up) + layer.up_bias)
            x = np.matmul(inner, layer.down) + layer.down_bias + x
            x = _layer_norm(x, *layer.norm2, self._eps)
        x = x.reshape(batch, width, hidden)
        summed = np.matmul(mask[:, None, :], x)[:, 0, :]
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
