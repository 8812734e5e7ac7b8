"""Train a small teacher and distil a smaller student for the offline demo.

Both models are ``RobertaForSequenceClassification`` trained from scratch on CPU, each with its own
byte-level BPE tokenizer, and saved with ``save_pretrained`` so that the rest of the tool loads them
like any Hugging Face checkpoint (``AutoModelForSequenceClassification`` / ``AutoTokenizer``).

The student is distilled Compressor-style (Shi et al., 2022): it never sees a label, only the
teacher's temperature-softened output distribution on unlabelled code, and it is much smaller
(one layer, narrow hidden size, its own smaller vocabulary, shorter context), so it ends up
agreeing with the teacher most of the time but not always -- which is what the metamorphic
evaluation is meant to expose.

Progress reporting: every trainer takes ``progress``, which may be

* ``None`` (default): a tqdm bar per epoch on stderr;
* ``False``: silent;
* a callable ``progress(stage: str, fraction: float)``, where ``fraction`` goes from 0 to 1 over
  that trainer's run and ``stage`` is a short description such as ``"teacher epoch 3/12"``;
* a tqdm bar (anything with ``total``, ``n`` and ``refresh``): its position is set to
  ``fraction * total``.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer, RobertaForSequenceClassification

from ..distill.common import (  # noqa: F401  (SPECIAL_TOKENS and train_tokenizer are part of this module's API)
    SPECIAL_TOKENS,
    collate,
    count_parameters,
    encode,
    length_batches,
    logits_of,
    make_optimiser,
    roberta_classifier,
    seed_everything,
    train_tokenizer,
)

__all__ = [
    "ID2LABEL",
    "ModelPreset",
    "SizePreset",
    "PRESETS",
    "train_tokenizer",
    "train_teacher",
    "distil_student",
    "predict_proba",
    "count_parameters",
]

ID2LABEL = {0: "safe", 1: "defective"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}

Progress = Any  # None, False, a callable(stage, fraction) or a tqdm bar: see the module docstring


@dataclass(frozen=True)
class ModelPreset:
    """Architecture and optimisation settings of one model."""

    vocab_size: int
    max_length: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    epochs: int
    batch_size: int
    learning_rate: float
    dropout: float = 0.1
    normalize_whitespace: bool = False
    patience: int = 4  # epochs without valid improvement before stopping (teacher only)
    # Teacher only: semantics-preserving transformations used as training-time augmentation.
    augment: tuple[str, ...] = ()


@dataclass(frozen=True)
class SizePreset:
    """How big the demo is: corpus size plus teacher and student settings."""

    n_functions: int
    teacher: ModelPreset
    student: ModelPreset


# The demo teacher sees each training function either as written or as one of its follow-ups
# (a common robustness practice); the student is distilled on the plain code only, as Compressor and
# AVATAR do. The demo therefore shows the published effect: students distilled without metamorphic
# data flip more under semantics-preserving changes than their teachers.
_AUGMENT = ("rename_variables", "dead_code", "if_else_swap")

PRESETS: dict[str, SizePreset] = {
    "demo": SizePreset(
        n_functions=4000,
        teacher=ModelPreset(vocab_size=2000, max_length=256, hidden_size=128, num_layers=2,
                            num_heads=4, intermediate_size=256, epochs=7, batch_size=16,
                            learning_rate=1e-3, normalize_whitespace=True, augment=_AUGMENT),
        student=ModelPreset(vocab_size=1000, max_length=160, hidden_size=64, num_layers=1,
                            num_heads=2, intermediate_size=128, epochs=8, batch_size=16,
                            learning_rate=2e-3),
    ),
    # For tests: seconds, not minutes. Accuracy is not meaningful at this size.
    "tiny": SizePreset(
        n_functions=120,
        teacher=ModelPreset(vocab_size=400, max_length=128, hidden_size=32, num_layers=1,
                            num_heads=2, intermediate_size=64, epochs=3, batch_size=16,
                            learning_rate=2e-3, augment=_AUGMENT),
        student=ModelPreset(vocab_size=300, max_length=96, hidden_size=16, num_layers=1,
                            num_heads=2, intermediate_size=32, epochs=4, batch_size=16,
                            learning_rate=3e-3),
    ),
}


def _preset(size: str) -> SizePreset:
    try:
        return PRESETS[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(PRESETS)}") from None


# --------------------------------------------------------------------------------------------
# Tokenizer

# ``train_tokenizer`` lives in metacompress_eval.distill.common (shared with the distillation recipes)
# and is re-exported from here.


# --------------------------------------------------------------------------------------------
# Helpers


class _Reporter:
    """Adapts the ``progress`` argument (see module docstring) to one interface."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.bar = None

    def epoch_start(self, stage: str, n_batches: int) -> None:
        if self.progress is None or self.progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=n_batches, desc=stage, leave=False, unit="batch")

    def update(self, stage: str, fraction: float) -> None:
        p = self.progress
        if self.bar is not None:
            self.bar.update(1)
        elif p is None or p is False or p is True:
            return
        elif all(hasattr(p, a) for a in ("total", "n", "refresh")):
            total = p.total or 100
            p.n = min(total, round(fraction * total))
            p.set_description(stage) if hasattr(p, "set_description") else None
            p.refresh()
        elif callable(p):
            p(stage, fraction)

    def epoch_end(self, postfix: str = "") -> None:
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix_str(postfix)
            self.bar.close()
            self.bar = None


# The generic pieces below are shared with metacompress_eval.distill (moved to distill/common.py);
# these thin aliases keep the demo's names and signatures.
_seed_everything = seed_everything
_encode = encode
_batches = length_batches
_collate = collate
_logits = logits_of


def _make_model(tokenizer, p: ModelPreset) -> RobertaForSequenceClassification:
    return roberta_classifier(tokenizer, hidden_size=p.hidden_size, num_layers=p.num_layers, num_heads=p.num_heads,
                              intermediate_size=p.intermediate_size, max_length=p.max_length, id2label=ID2LABEL,
                              dropout=p.dropout)


def _optimiser(model, p: ModelPreset, total_steps: int):
    return make_optimiser(model, p.learning_rate, total_steps)


def predict_proba(model_dir: str | Path, texts: Sequence[str], *, batch_size: int = 64) -> torch.Tensor:
    """Class probabilities (``[len(texts), 2]``) of a saved demo model, truncating to its context."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    max_len = model.config.max_position_embeddings - 2
    ids = _encode(tokenizer, texts, max_len)
    return torch.softmax(_logits(model, ids, tokenizer.pad_token_id, batch_size), dim=-1)


# --------------------------------------------------------------------------------------------
# Teacher


def _augmented_variants(rows: Sequence[dict], transforms: Sequence[str], seed: int) -> list[list[str]]:
    """Per row: its code followed by its follow-ups under ``transforms`` (seeded apart from evaluation)."""
    if not transforms:
        return [[r["code"]] for r in rows]
    from metacompress_eval.data import SourceInput
    from metacompress_eval.follow_ups import build_follow_ups

    sources = [SourceInput(str(i), (r["code"],)) for i, r in enumerate(rows)]
    follow = build_follow_ups(sources, "c", transforms, seed=seed + 7919)
    variants = [[r["code"]] for r in rows]
    for f in follow.items:
        variants[int(f.source_id)].append(f.inputs[0])
    return variants


def train_teacher(rows: Sequence[dict], out_dir: str | Path, *, size: str = "demo", seed: int = 0,
                  epochs: int | None = None, progress: Progress = None) -> Path:
    """Train the teacher classifier from scratch on the labelled corpus and save it.

    Uses rows with ``split == "train"`` for training and ``split == "valid"`` to pick the best
    epoch (with early stopping after ``patience`` epochs without improvement). When the preset
    names ``augment`` transformations, each epoch shows every training function either as written
    or as one of its (C) follow-ups, chosen at random. Rows are dicts with
    ``"code"`` and ``"label"`` as produced by :func:`~metacompress_eval.demo.corpus.generate_corpus`.

    Args:
        rows: the corpus.
        out_dir: folder that receives the model (safetensors), its tokenizer and
            ``training_log.json`` (per-epoch loss and valid accuracy, timings).
        size: preset name from :data:`PRESETS` (``"demo"`` or ``"tiny"``).
        seed: seeds Python's and torch's generators.
        epochs: overrides the preset's maximum number of epochs.
        progress: see the module docstring.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    p = _preset(size).teacher
    epochs = p.epochs if epochs is None else epochs
    out_dir = Path(out_dir)
    started = time.perf_counter()
    _seed_everything(seed)
    train = [r for r in rows if r["split"] == "train"]
    valid = [r for r in rows if r["split"] == "valid"] or train
    if not train:
        raise ValueError("no rows with split == 'train'")
    report = _Reporter(progress)
    report.update("teacher tokenizer", 0.0)

    tokenizer = train_tokenizer([r["code"] for r in train], p.vocab_size, out_dir, max_length=p.max_length,
                                normalize_whitespace=p.normalize_whitespace)
    variants = _augmented_variants(train, p.augment, seed)
    variant_ids = [_encode(tokenizer, v, p.max_length) for v in variants]
    valid_ids = _encode(tokenizer, [r["code"] for r in valid], p.max_length)
    y_train = torch.tensor([int(r["label"]) for r in train])
    y_valid = torch.tensor([int(r["label"]) for r in valid])

    model = _make_model(tokenizer, p)
    rng = random.Random(seed)
    n_batches = math.ceil(len(train) / p.batch_size)
    opt, sched = _optimiser(model, p, n_batches * epochs)
    pad = tokenizer.pad_token_id
    best_acc, best_state, best_epoch, stale = -1.0, None, 0, 0
    log: dict[str, Any] = {"preset": asdict(p), "seed": seed, "epochs": []}

    for epoch in range(1, epochs + 1):
        stage = f"teacher epoch {epoch}/{epochs}"
        report.epoch_start(stage, n_batches)
        model.train()
        total = 0.0
        train_ids = [rng.choice(v) for v in variant_ids]  # each function as written or as a follow-up
        for b, idx in enumerate(_batches([len(x) for x in train_ids], p.batch_size, rng)):
            input_ids, mask = _collate(train_ids, idx, pad)
            loss = F.cross_entropy(model(input_ids=input_ids, attention_mask=mask).logits, y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            report.update(stage, ((epoch - 1) + (b + 1) / n_batches) / epochs)
        valid_acc = (_logits(model, valid_ids, pad).argmax(-1) == y_valid).float().mean().item()
        train_loss = total / len(train)
        log["epochs"].append({"epoch": epoch, "train_loss": train_loss, "valid_accuracy": valid_acc,
                              "seconds": round(time.perf_counter() - started, 2)})
        report.epoch_end(f"loss {train_loss:.3f} valid acc {valid_acc:.3f}")
        if valid_acc > best_acc:
            best_acc, best_epoch, stale = valid_acc, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= p.patience:
                break

    model.load_state_dict(best_state)
    model.save_pretrained(str(out_dir))
    log.update(best_epoch=best_epoch, valid_accuracy=best_acc, parameters=count_parameters(model),
               seconds=round(time.perf_counter() - started, 2))
    (out_dir / "training_log.json").write_text(json.dumps(log, indent=2))
    report.update("teacher done", 1.0)
    return out_dir


# --------------------------------------------------------------------------------------------
# Student


def distil_student(teacher_dir: str | Path, texts: Sequence[str], out_dir: str | Path, *,
                   size: str = "demo", temperature: float = 2.0, seed: int = 0,
                   epochs: int | None = None, progress: Progress = None) -> Path:
    """Distil a smaller student from a saved teacher using unlabelled texts only.

    The teacher's logits are computed once (under ``torch.inference_mode``) with the teacher's
    own tokenizer; the student gets a fresh, smaller BPE tokenizer trained on ``texts`` and is
    trained to minimise ``KL(softmax(t / T) || softmax(s / T)) * T**2``.

    Args:
        teacher_dir: folder written by :func:`train_teacher`.
        texts: unlabelled code used for distillation (e.g. the training split without labels).
        out_dir: folder that receives the student, its tokenizer and ``distillation_log.json``
            (per-epoch mean distillation loss, final agreement with the teacher on ``texts``).
        size: preset name from :data:`PRESETS`.
        temperature: softmax temperature ``T``.
        seed: seeds Python's and torch's generators.
        epochs: overrides the preset's number of epochs.
        progress: see the module docstring.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    p = _preset(size).student
    epochs = p.epochs if epochs is None else epochs
    texts = list(texts)
    if not texts:
        raise ValueError("distillation needs at least one text")
    out_dir = Path(out_dir)
    started = time.perf_counter()
    _seed_everything(seed)
    report = _Reporter(progress)
    report.update("teacher logits", 0.0)

    t_tok = AutoTokenizer.from_pretrained(str(teacher_dir))
    teacher = AutoModelForSequenceClassification.from_pretrained(str(teacher_dir))
    t_max = teacher.config.max_position_embeddings - 2
    t_logits = _logits(teacher, _encode(t_tok, texts, t_max), t_tok.pad_token_id)
    del teacher
    soft = torch.softmax(t_logits / temperature, dim=-1)

    tokenizer = train_tokenizer(texts, p.vocab_size, out_dir, max_length=p.max_length,
                                normalize_whitespace=p.normalize_whitespace)
    ids = _encode(tokenizer, texts, p.max_length)
    model = _make_model(tokenizer, p)
    rng = random.Random(seed)
    n_batches = math.ceil(len(texts) / p.batch_size)
    opt, sched = _optimiser(model, p, n_batches * epochs)
    pad = tokenizer.pad_token_id
    log: dict[str, Any] = {"preset": asdict(p), "seed": seed, "temperature": temperature, "epochs": []}

    for epoch in range(1, epochs + 1):
        stage = f"student epoch {epoch}/{epochs}"
        report.epoch_start(stage, n_batches)
        model.train()
        total = 0.0
        for b, idx in enumerate(_batches([len(x) for x in ids], p.batch_size, rng)):
            input_ids, mask = _collate(ids, idx, pad)
            s_logits = model(input_ids=input_ids, attention_mask=mask).logits
            loss = F.kl_div(F.log_softmax(s_logits / temperature, dim=-1), soft[idx],
                            reduction="batchmean") * temperature ** 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            report.update(stage, ((epoch - 1) + (b + 1) / n_batches) / epochs)
        log["epochs"].append({"epoch": epoch, "distillation_loss": total / len(texts)})
        report.epoch_end(f"KD loss {total / len(texts):.4f}")

    agreement = (_logits(model, ids, pad).argmax(-1) == t_logits.argmax(-1)).float().mean().item()
    model.save_pretrained(str(out_dir))
    log.update(agreement_on_texts=agreement, parameters=count_parameters(model),
               seconds=round(time.perf_counter() - started, 2))
    (out_dir / "distillation_log.json").write_text(json.dumps(log, indent=2))
    report.update("student done", 1.0)
    return out_dir
