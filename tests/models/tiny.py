"""Tiny checkpoints in the published layouts, and a reference computation to check them against.

Nothing here uses the package's own model code: the state dicts are written key by key, and
:func:`reference_logits` computes a RoBERTa encoder with relative-key attention in float64 numpy,
one attention score at a time, from the formulas (Shaw et al. 2018; ``transformers`` ≤ 4 for the
placement of the 1/√d scaling).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]


def train_bare_tokenizer(texts: list[str], vocab: int, path: Path) -> Path:
    """A ``tokenizers`` byte-level BPE saved as a bare tokenizer.json, the way the students' scripts do."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.NFKD(), normalizers.Strip(),
                                           normalizers.StripAccents()])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIAL,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


def compact_state(*, vocab: int, hidden: int, layers: int, heads: int, intermediate: int, positions: int,
                  relative: bool, members: int, outputs: int, seed: int, encoder: str = "encoder.",
                  head: str = "classifier.", pooler: bool = True) -> dict[str, torch.Tensor]:
    """Random weights under the key names ``torch.save(Model(RobertaModel(config)).state_dict())`` writes."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=0.4, shift=0.0):
        return torch.randn(*shape, generator=g) * scale + shift

    d = hidden // heads
    s = {f"{encoder}embeddings.position_ids": torch.arange(positions)[None],
         f"{encoder}embeddings.word_embeddings.weight": rnd(vocab, hidden),
         f"{encoder}embeddings.position_embeddings.weight": rnd(positions, hidden),
         f"{encoder}embeddings.token_type_embeddings.weight": rnd(1, hidden),
         f"{encoder}embeddings.LayerNorm.weight": rnd(hidden, scale=0.1, shift=1.0),
         f"{encoder}embeddings.LayerNorm.bias": rnd(hidden, scale=0.1)}
    for i in range(layers):
        p = f"{encoder}encoder.layer.{i}."
        for name in ("query", "key", "value"):
            s[f"{p}attention.self.{name}.weight"] = rnd(hidden, hidden)
            s[f"{p}attention.self.{name}.bias"] = rnd(hidden, scale=0.1)
        if relative:
            s[f"{p}attention.self.distance_embedding.weight"] = rnd(2 * positions - 1, d, scale=0.8)
        s[f"{p}attention.output.dense.weight"] = rnd(hidden, hidden)
        s[f"{p}attention.output.dense.bias"] = rnd(hidden, scale=0.1)
        s[f"{p}attention.output.LayerNorm.weight"] = rnd(hidden, scale=0.1, shift=1.0)
        s[f"{p}attention.output.LayerNorm.bias"] = rnd(hidden, scale=0.1)
        s[f"{p}intermediate.dense.weight"] = rnd(intermediate, hidden)
        s[f"{p}intermediate.dense.bias"] = rnd(intermediate, scale=0.1)
        s[f"{p}output.dense.weight"] = rnd(hidden, intermediate)
        s[f"{p}output.dense.bias"] = rnd(hidden, scale=0.1)
        s[f"{p}output.LayerNorm.weight"] = rnd(hidden, scale=0.1, shift=1.0)
        s[f"{p}output.LayerNorm.bias"] = rnd(hidden, scale=0.1)
    if pooler:
        s[f"{encoder}pooler.dense.weight"] = rnd(hidden, hidden)
        s[f"{encoder}pooler.dense.bias"] = rnd(hidden, scale=0.1)
    s[f"{head}dense.weight"] = rnd(hidden, members * hidden, scale=0.6)
    s[f"{head}dense.bias"] = rnd(hidden, scale=0.1)
    s[f"{head}out_proj.weight"] = rnd(outputs, hidden, scale=1.5)
    s[f"{head}out_proj.bias"] = rnd(outputs, scale=0.1)
    return s


SIZES = dict(hidden=24, layers=2, heads=3, intermediate=40, positions=34)


def write_compact_student(folder: Path, tokenizer_file: Path, *, relative: bool = True, members: int = 2,
                          outputs: int = 2, seed: int = 0, **overrides) -> tuple[Path, dict]:
    """A compact student as the students' scripts leave it: ``model.bin`` and a bare ``tokenizer.json``."""
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(tokenizer_file)).get_vocab_size()
    state = compact_state(vocab=vocab, relative=relative, members=members, outputs=outputs, seed=seed,
                          **{**SIZES, **overrides})
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state, folder / "model.bin")
    (folder / "tokenizer.json").write_bytes(tokenizer_file.read_bytes())
    return folder, state


def _np(state, key) -> np.ndarray:
    return state[key].double().numpy()


def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


_ACT = {"gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
        "silu": lambda x: x / (1 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0)}


def reference_sequence(state, ids: list[int], *, heads: int, attention: str, activation: str = "gelu",
                       encoder: str = "encoder.", pad: int = 1) -> np.ndarray:
    """The last layer's vector of the first token for one unpadded id sequence (float64)."""
    E = encoder
    x = _np(state, f"{E}embeddings.word_embeddings.weight")[ids] + _np(state, f"{E}embeddings.token_type_embeddings.weight")[0]
    positions = state[f"{E}embeddings.position_embeddings.weight"].shape[0]
    if attention == "absolute":
        x = x + _np(state, f"{E}embeddings.position_embeddings.weight")[[pad + 1 + i for i in range(len(ids))]]
    x = _layer_norm(x, _np(state, f"{E}embeddings.LayerNorm.weight"), _np(state, f"{E}embeddings.LayerNorm.bias"))
    n, hidden = x.shape
    d = hidden // heads
    i = 0
    while f"{E}encoder.layer.{i}.attention.self.query.weight" in state:
        p = f"{E}encoder.layer.{i}."
        proj = {name: x @ _np(state, f"{p}attention.self.{name}.weight").T + _np(state, f"{p}attention.self.{name}.bias")
                for name in ("query", "key", "value")}
        context = np.zeros_like(x)
        for h in range(heads):
            q, k, v = (proj[name][:, h * d:(h + 1) * d] for name in ("query", "key", "value"))
            scores = np.zeros((n, n))
            for l in range(n):
                for r in range(n):
                    score = q[l] @ k[r]
                    if attention != "absolute":
                        e = _np(state, f"{p}attention.self.distance_embedding.weight")[l - r + positions - 1]
                        score += q[l] @ e
                        if attention == "relative_key_query":
                            score += k[r] @ e
                    scores[l, r] = score / math.sqrt(d)
            weights = np.exp(scores - scores.max(1, keepdims=True))
            weights /= weights.sum(1, keepdims=True)
            context[:, h * d:(h + 1) * d] = weights @ v
        x = _layer_norm(context @ _np(state, f"{p}attention.output.dense.weight").T
                        + _np(state, f"{p}attention.output.dense.bias") + x,
                        _np(state, f"{p}attention.output.LayerNorm.weight"), _np(state, f"{p}attention.output.LayerNorm.bias"))
        inner = _ACT[activation](x @ _np(state, f"{p}intermediate.dense.weight").T + _np(state, f"{p}intermediate.dense.bias"))
        x = _layer_norm(inner @ _np(state, f"{p}output.dense.weight").T + _np(state, f"{p}output.dense.bias") + x,
                        _np(state, f"{p}output.LayerNorm.weight"), _np(state, f"{p}output.LayerNorm.bias"))
        i += 1
    return x[0]


def reference_head(state, vectors: list[np.ndarray], head: str = "classifier.") -> np.ndarray:
    """dense → tanh → out_proj on the members' first-token vectors side by side."""
    x = np.concatenate(vectors)
    x = np.tanh(_np(state, f"{head}dense.weight") @ x + _np(state, f"{head}dense.bias"))
    return _np(state, f"{head}out_proj.weight") @ x + _np(state, f"{head}out_proj.bias")


def published_ids(tokenizer_file: Path, code: str, block: int) -> list[int]:
    """``<s>`` + the first block − 2 ids of the whitespace-normalised code + ``</s>`` (no padding)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    ids = tok.encode(" ".join(code.split()), add_special_tokens=False).ids
    return [tok.token_to_id("<s>"), *ids[:block - 2], tok.token_to_id("</s>")]
