"""Hugging Face sequence-classification models: loading, fingerprints and label spaces."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import MetaCompressError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "vocab.txt",
                    "special_tokens_map.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
_GENERIC_LABEL = re.compile(r"^LABEL_\d+$")


@dataclass
class LoadedModel:
    """A model, its tokenizer and what identifies them.

    Attributes:
        name: what the user passed (folder or Hub id).
        model: the ``AutoModelForSequenceClassification`` instance (eval mode, on ``device``).
        tokenizer: its tokenizer.
        label_names: ``id2label`` in index order.
        max_length: truncation length used for every input.
        fingerprint: hash of config, weights, tokenizer files and ``max_length``; two runs with the
            same fingerprint produce the same outputs, so cached outputs are keyed by it.
        device: torch device string.
        label_permutation: for each teacher label index, the index of the same label in this model's
            output (identity unless a label map was given).
    """

    name: str
    model: Any
    tokenizer: Any
    label_names: list[str]
    max_length: int
    fingerprint: str
    device: str = "cpu"
    label_permutation: list[int] | None = None
    files: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        cfg = self.model.config
        return {
            "name_or_path": self.name,
            "fingerprint": self.fingerprint,
            "model_type": getattr(cfg, "model_type", None),
            "num_parameters": int(sum(p.numel() for p in self.model.parameters())),
            "labels": self.label_names,
            "max_length": self.max_length,
            "label_permutation": self.label_permutation,
        }


def _resolve_folder(name: str, *, what: str) -> Path:
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
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model",
                                                            "*.bin"]))
    except Exception as exc:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        hint = " and offline mode is on (HF_HUB_OFFLINE)" if offline else ""
        raise MetaCompressError(
            f"{what} {name!r} is not a local folder{hint}, and it could not be fetched from the Hub: "
            f"{type(exc).__name__}") from None


def fingerprint_files(folder: Path, extra: dict) -> tuple[str, list[str]]:
    """Hash the model's config, weights and tokenizer files with ``extra`` settings."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        if path.name == "config.json" or path.name in _TOKENIZER_FILES or path.suffix in _WEIGHT_SUFFIXES:
            names.append(path.name)
            digest.update(path.name.encode() + b"\0")
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return digest.hexdigest()[:32], names


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


def load_model(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
               max_length: int | None = None, trust_remote_code: bool = False) -> LoadedModel:
    """Load an ``AutoModelForSequenceClassification`` checkpoint and its tokenizer.

    Args:
        name: local folder (``save_pretrained`` output) or Hub model id.
        role: ``teacher`` / ``student``, used in error messages.
        tokenizer: a separate tokenizer folder or id when the model folder has none.
        device: torch device (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
        max_length: truncation length; default: the model's own limit, at most 512.
        trust_remote_code: allow custom modelling code from the checkpoint (off unless asked for).
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    # The per-tensor "Loading weights" bar is noise next to the pipeline's own progress output.
    hf_logging.disable_progress_bar()
    folder = _resolve_folder(name, what=role)
    tok_folder = _resolve_folder(tokenizer, what=f"{role} tokenizer") if tokenizer else folder
    if not tokenizer and not any((folder / f).is_file() for f in _TOKENIZER_FILES):
        raise MetaCompressError(
            f"{role} {name!r} has no tokenizer files (tokenizer.json, vocab.json, …); "
            f"save the tokenizer into the folder or pass --{role}-tokenizer")
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise MetaCompressError(f"{role} {name!r}: cannot read config.json: {exc}") from None
    try:
        model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        raise MetaCompressError(
            f"{role} {name!r} ({getattr(config, 'model_type', '?')}) cannot be loaded as a sequence-classification "
            f"model: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise MetaCompressError(f"{role} {name!r}: cannot load weights: {str(exc).splitlines()[0]}") from None
    try:
        tok = AutoTokenizer.from_pretrained(tok_folder, trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise MetaCompressError(f"{role} {name!r}: cannot load tokenizer from {tok_folder}: "
                                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
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
        tok_fp, _ = fingerprint_files(tok_folder, {})
        fingerprint = hashlib.sha256((fingerprint + tok_fp).encode()).hexdigest()[:32]
    return LoadedModel(name=name, model=model, tokenizer=tok, label_names=labels, max_length=length,
                       fingerprint=fingerprint, device=device, files=files)


def parse_label_map(text: str | None) -> dict[str, str]:
    """Parse ``"a=x,b=y"`` (student label → teacher label, by name or index)."""
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        if "=" not in part:
            raise MetaCompressError(f"--label-map entries look like STUDENT_LABEL=TEACHER_LABEL; got {part!r}")
        left, right = (s.strip() for s in part.split("=", 1))
        mapping[left] = right
    return mapping


def _index_of(label: str, names: Sequence[str], role: str) -> int:
    if label in names:
        return list(names).index(label)
    if label.isdigit() and int(label) < len(names):
        return int(label)
    raise MetaCompressError(f"label {label!r} is not a {role} label; {role} labels: {list(names)}")


def align_label_spaces(teacher: LoadedModel, student: LoadedModel, label_map: dict[str, str] | None = None) -> None:
    """Check that teacher and student share one label space; set ``student.label_permutation``.

    Label names must match index by index, unless either side uses the generic ``LABEL_i`` names
    (which carry no meaning) or an explicit ``label_map`` (student label → teacher label) says how
    they correspond. Anything else is an error: comparing outputs over different label sets would
    produce meaningless relations.
    """
    t_names, s_names = teacher.label_names, student.label_names
    if len(t_names) != len(s_names):
        raise MetaCompressError(
            f"teacher and student have different label sets: teacher {t_names} ({len(t_names)} labels), "
            f"student {s_names} ({len(s_names)} labels)")
    if label_map:
        perm = [-1] * len(t_names)
        for s_label, t_label in label_map.items():
            perm[_index_of(t_label, t_names, "teacher")] = _index_of(s_label, s_names, "student")
        if sorted(perm) != list(range(len(t_names))):
            raise MetaCompressError(f"--label-map must map every student label to a distinct teacher label; got {label_map}")
        student.label_permutation = perm
        return
    generic = all(_GENERIC_LABEL.match(n) for n in t_names) or all(_GENERIC_LABEL.match(n) for n in s_names)
    if not generic and [n.lower() for n in t_names] != [n.lower() for n in s_names]:
        raise MetaCompressError(
            f"teacher labels {t_names} and student labels {s_names} differ; if they mean the same classes, "
            "pass --label-map with STUDENT=TEACHER pairs, e.g. --label-map "
            + ",".join(f"{s}={t}" for s, t in zip(s_names, t_names)))
    student.label_permutation = None
