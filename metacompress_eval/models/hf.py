"""The ``hf`` adapter: Hugging Face ``AutoModelForSequenceClassification`` checkpoints.

A folder written by ``save_pretrained`` (``config.json``, weights, tokenizer files) or a Hub model id.
Inputs are fed as the tokenizer builds them (a text pair for clone pairs), truncated to ``max_length``;
batches are padded to their longest input.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import MetaCompressError
from .base import Inputs, LoadedModel, pooled_states, to_device
from .files import TOKENIZER_FILES, fingerprint_files, fingerprint_paths, hub_snapshot, weight_file_problem
from .options import flag
from .tokenizer import load_tokenizer

NAME = "hf"
SUMMARY = "Hugging Face AutoModelForSequenceClassification: a save_pretrained folder (config.json) or a Hub id"
OPTIONS = ()

# transformers 5 implements only absolute positions for these encoders; a config asking for relative
# ones loads with the distance_embedding weights silently dropped.
_RELATIVE = ("relative_key", "relative_key_query")


# Tokens kept beyond what truncation can keep of a side, so that cutting its text changes none of the
# tokens kept (a cut can only change the last few tokens before it); the longer side of a pair keeps a
# few more, so that it stays the longer one.
_CUT_MARGIN = 16
_LONGER_EXTRA = 4


def shorten_pair_sides(tok, firsts: list[str], seconds: list[str], max_length: int) -> tuple[list[str], list[str]]:
    """The texts of each pair side cut a little beyond the tokens truncation can keep, so that
    ``tok(firsts, seconds, truncation=True, max_length=max_length)`` gives the same token ids, fast.

    Why: a fast tokenizer truncating a pair builds every overflowing window of both sides and every
    combination of them (work and memory grow with the product of the sides' lengths): 30 BigCloneBench
    pairs at 96 tokens took 4.4 s and 600 MB, 410 of them 8 GB. Longest-first truncation (the
    ``tokenizers`` rule) keeps all of the shorter side or half of the budget from each, the odd token
    going to the longer side; so the result depends only on the first ``budget`` tokens of each side,
    on the exact length of a side within the budget, and on which side is longer. A side is cut at the
    start offset of a token ``_CUT_MARGIN`` (the longer side ``_CUT_MARGIN + _LONGER_EXTRA``) beyond the
    budget; the cut sides are counted again, and a pair whose cut sides do not stay beyond the budget
    with the same side the longer is left whole. Slow tokenizers (no offsets) and left truncation get
    the texts unchanged. ``tests/pipeline/test_models.py`` compares the two on generated pairs.
    """
    if not getattr(tok, "is_fast", False) or getattr(tok, "truncation_side", "right") != "right":
        return firsts, seconds
    budget = max(0, max_length - tok.num_special_tokens_to_add(pair=True))

    def offsets(texts: list[str]) -> list[list[tuple[int, int]]]:
        # verbose=False: these untruncated lengths are expected to exceed the model's maximum
        return tok(texts, add_special_tokens=False, return_offsets_mapping=True, return_attention_mask=False,
                   return_token_type_ids=False, verbose=False)["offset_mapping"]

    def cut(text: str, spans: list[tuple[int, int]], tokens: int) -> str:
        if len(spans) > tokens and spans[tokens][0] > spans[tokens - 1][0]:
            return text[:spans[tokens][0]]
        return text

    spans1, spans2 = offsets(firsts), offsets(seconds)
    out1, out2, changed = list(firsts), list(seconds), []
    for i, (s1, s2) in enumerate(zip(spans1, spans2)):
        n1, n2 = len(s1), len(s2)
        out1[i] = cut(firsts[i], s1, budget + _CUT_MARGIN + (_LONGER_EXTRA if n1 > n2 else 0))
        out2[i] = cut(seconds[i], s2, budget + _CUT_MARGIN + (_LONGER_EXTRA if n2 > n1 else 0))
        if out1[i] is not firsts[i] or out2[i] is not seconds[i]:
            changed.append(i)
    if changed:
        counts = tok([out1[i] for i in changed] + [out2[i] for i in changed], add_special_tokens=False,
                     return_attention_mask=False, return_token_type_ids=False, verbose=False)["input_ids"]
        for k, i in enumerate(changed):
            c1, c2 = len(counts[k]), len(counts[len(changed) + k])
            n1, n2 = len(spans1[i]), len(spans2[i])
            beyond = (c1 == n1 or c1 > budget) and (c2 == n2 or c2 > budget)
            if not beyond or (c1 > c2) != (n1 > n2) or (c1 == c2) != (n1 == n2):
                out1[i], out2[i] = firsts[i], seconds[i]
    return out1, out2


class HFModel(LoadedModel):
    """An ``AutoModelForSequenceClassification`` and its tokenizer."""

    adapter = "hf"
    supports_hidden_states = True

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[list[int]]:
        """Token ids of each input, truncated to ``max_length`` (pairs as the tokenizer's text pair)."""
        tok = self.tokenizer
        if not inputs:
            return []
        kwargs = dict(truncation=True, max_length=self.max_length, padding=False,
                      return_attention_mask=False, return_token_type_ids=False)
        if len(inputs[0]) == 2:
            firsts, seconds = shorten_pair_sides(tok, [i[0] for i in inputs], [i[1] for i in inputs], self.max_length)
            enc = tok(firsts, seconds, **kwargs)
        else:
            enc = tok([i[0] for i in inputs], **kwargs)
        return enc["input_ids"]

    def collate(self, rows: list[list[int]]):
        """Pad a batch to its longest row.

        Done with numpy rather than ``tokenizer.pad`` because the latter walks Python dicts per
        example and costs noticeable time against a small model's forward pass.
        """
        import torch

        pad = self.tokenizer.pad_token_id
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        right = getattr(self.tokenizer, "padding_side", "right") != "left"
        for i, r in enumerate(rows):
            if right:
                ids[i, :len(r)] = r
                mask[i, :len(r)] = 1
            else:
                ids[i, width - len(r):] = r
                mask[i, width - len(r):] = 1
        return {"input_ids": to_device(ids, self.device), "attention_mask": to_device(mask, self.device)}

    def forward(self, batch) -> np.ndarray:
        import torch

        with torch.inference_mode():
            logits = self.model(**batch).logits
        return logits.float().cpu().numpy()

    def hidden_states(self, batch) -> dict[str, np.ndarray]:
        import torch

        with torch.inference_mode():
            states = self.model(**batch, output_hidden_states=True).hidden_states
        mask = batch["attention_mask"]
        first = 0 if getattr(self.tokenizer, "padding_side", "right") != "left" else None
        return pooled_states(list(states), mask, first_index=first)

    def describe(self) -> dict:
        cfg = self.model.config
        return {
            "name_or_path": self.name,
            "fingerprint": self.fingerprint,
            "model_type": getattr(cfg, "model_type", None),
            "num_parameters": self.num_parameters(),
            "labels": self.label_names,
            "max_length": self.max_length,
            "label_permutation": self.label_permutation,
            "dtype": self.dtype,
            "attention": self.attention(),
        }


_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                 "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _tokenizer_path(tokenizer: str, *, role: str) -> Path:
    """A separate tokenizer: a local folder or ``tokenizer.json`` file as it is, else a Hub snapshot."""
    path = Path(tokenizer).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix == ".json"):
        return path
    if path.exists():
        raise MetaCompressError(f"{role} tokenizer {tokenizer!r} is not a tokenizer folder or tokenizer.json file")
    return resolve_folder(tokenizer, what=f"{role} tokenizer")


def resolve_folder(name: str, *, what: str) -> Path:
    """Return a local folder for ``name``: the folder itself, or a Hub snapshot (downloaded if online)."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise MetaCompressError(f"{what} {name!r} is a file, not a model folder")
        if not (path / "config.json").is_file():
            raise MetaCompressError(
                f"{what} {name!r} is not a model folder: it has no config.json "
                "(expected a folder written by save_pretrained, or a Hub model id)")
        return path
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise MetaCompressError(f"{what} {name!r} does not exist")
    return hub_snapshot(name, what=what)


def default_max_length(model, tokenizer, cap: int = 512) -> int:
    """The longest input the model accepts: position table size, tokenizer limit and ``cap``."""
    cfg = model.config
    limit = cap
    positions = getattr(cfg, "max_position_embeddings", None)
    if positions:
        # RoBERTa-family position ids start after the padding index, which costs pad_token_id + 1 slots.
        if getattr(cfg, "model_type", "") in ("roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text"):
            positions -= (getattr(cfg, "pad_token_id", 1) or 0) + 1
        limit = min(limit, positions)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and 0 < tok_limit < 1_000_000:
        limit = min(limit, tok_limit)
    return int(limit)


def load(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
         max_length: int | None = None, trust_remote_code: bool = False, options: dict | None = None) -> HFModel:
    """Load an ``AutoModelForSequenceClassification`` checkpoint and its tokenizer.

    Args:
        name: local folder (``save_pretrained`` output) or Hub model id.
        role: ``teacher`` / ``student``, used in error messages.
        tokenizer: a separate tokenizer folder or id when the model folder has none.
        device: torch device (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
        max_length: truncation length; default: the model's own limit, at most 512.
        trust_remote_code: allow custom modelling code from the checkpoint (off unless asked for).
        options: none are defined for this adapter.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    # The per-tensor "Loading weights" bar is noise next to the pipeline's own progress output.
    hf_logging.disable_progress_bar()
    folder = resolve_folder(name, what=role)
    tok_folder = _tokenizer_path(tokenizer, role=role) if tokenizer else folder
    if not tokenizer and not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise MetaCompressError(
            f"{role} {name!r} has no tokenizer files (tokenizer.json, vocab.json, …); "
            f"save the tokenizer into the folder or pass {flag(role, 'tokenizer')}")
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001 - JSON errors, unknown model types, ...: one line
        raise MetaCompressError(f"{role} {name!r}: cannot read config.json: {_first_line(exc)}") from None
    if getattr(config, "position_embedding_type", None) in _RELATIVE and not trust_remote_code:
        raise MetaCompressError(
            f"{role} {name!r}: config.json asks for {config.position_embedding_type} position embeddings, which "
            "this transformers release no longer implements (their distance_embedding weights would be dropped "
            "silently, giving wrong outputs); load its weights with the compact-roberta adapter instead")
    try:
        try:
            # PyTorch's fused scaled-dot-product attention where the architecture has it.
            model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=trust_remote_code,
                                                                       attn_implementation="sdpa")
        except (ValueError, ImportError):
            model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        raise MetaCompressError(
            f"{role} {name!r} ({getattr(config, 'model_type', '?')}) cannot be loaded as a sequence-classification "
            f"model: {_first_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - damaged weights raise SafetensorError, EOFError, RuntimeError, ...
        weights = next((f for f in _WEIGHT_FILES if (folder / f).is_file()), None)
        problem = weight_file_problem(folder / weights) if weights in _WEIGHT_FILES[:2] else None
        if problem:
            raise MetaCompressError(f"{role} {name!r}: {weights} {problem}") from None
        raise MetaCompressError(f"{role} {name!r}: cannot load {weights or 'the weights'}: {type(exc).__name__}: "
                                f"{_first_line(exc)}") from None
    tok = load_tokenizer(tok_folder, what=f"{role} {name!r}: tokenizer", trust_remote_code=trust_remote_code)
    if tok.pad_token is None:
        if tok.eos_token is None:
            raise MetaCompressError(f"{role} tokenizer has neither a pad nor an eos token; batching needs one")
        tok.pad_token = tok.eos_token
        model.config.pad_token_id = tok.pad_token_id
    try:
        model.to(device)
    except Exception as exc:
        raise MetaCompressError(f"cannot move {role} to device {device!r}: {exc}") from None
    model.eval()
    length = int(max_length) if max_length else default_max_length(model, tok)
    id2label = model.config.id2label or {i: f"LABEL_{i}" for i in range(model.config.num_labels)}
    labels = [str(id2label[i]) for i in range(len(id2label))]
    extra = {"max_length": length, "dtype": str(next(model.parameters()).dtype),
             "tokenizer": str(tok_folder) if tokenizer else None}
    fingerprint, files = fingerprint_files(folder, extra)
    if tokenizer:
        tok_fp = (fingerprint_paths([tok_folder], {}) if tok_folder.is_file() else fingerprint_files(tok_folder, {})[0])
        fingerprint = hashlib.sha256((fingerprint + tok_fp).encode()).hexdigest()[:32]
    return HFModel(name=name, label_names=labels, fingerprint=fingerprint, max_length=length, device=device,
                   model=model, tokenizer=tok, files=files)
